//! The `basehttp` command line (a module of the binary, not the library): a
//! port of the argparse parser of `python -m http.server` (CPython 3.15
//! `http.server._main` with its TLS options, plus 3.14's `--cgi` and our
//! `--cgi-rfc3875`, `--spa`, `--cors`, `--isolate`, `--no-cache`,
//! `--compress`, `--upload`, `--overwrite`, `--auth`, `--auth-writes-only`,
//! `--urls`, `--qr`, `--no-dotfiles`, `--symlinks` and `--archive`). Pure:
//! [`Args::parse`] takes the arguments and returns a value or a
//! [`UsageError`], so tests feed it vectors.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;

use basehttp::handlers::files::Symlinks;

/// The program name shown in usage and error lines.
pub(crate) const PROG: &str = "basehttp";

/// argparse's `--help` output (3.13+ layout, 80 columns), kept in
/// `help.txt` so the binary's tests compare against the same text.
pub(crate) const HELP: &str = include_str!("help.txt");

/// argparse's usage lines: the help text up to its first blank line.
pub(crate) fn usage() -> &'static str {
    let end = HELP.find("\n\n").map_or(HELP.len(), |i| i + 1);
    &HELP[..end]
}

/// CPython's default port.
pub(crate) const DEFAULT_PORT: u16 = 8000;

/// The parsed command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Args {
    /// `port` (default 8000; 0 picks a free port).
    pub(crate) port: u16,
    /// `-b/--bind`: `None` ⇒ all interfaces (`::` dual-stack, else `0.0.0.0`).
    pub(crate) bind: Option<String>,
    /// `-d/--directory`: `None` ⇒ the current directory.
    pub(crate) directory: Option<OsString>,
    /// `-p/--protocol`, verbatim (`HTTP/1.0` by default).
    pub(crate) protocol: String,
    /// `--cgi`: serve with the CGI handler.
    pub(crate) cgi: bool,
    /// `--cgi-rfc3875`: serve with the CGI handler in its RFC 3875 mode
    /// (implies `--cgi`).
    pub cgi_rfc3875: bool,
    /// `--content-type` (`default_content_type`).
    pub(crate) content_type: String,
    /// `-H/--header NAME VALUE`, in order.
    pub(crate) headers: Vec<(String, String)>,
    /// `--tls-cert PATH` (3.14): serve HTTPS with this certificate chain.
    pub(crate) tls_cert: Option<OsString>,
    /// `--tls-key PATH`: the key, when not in the certificate file.
    pub(crate) tls_key: Option<OsString>,
    /// `--tls-password-file PATH`: checked by
    /// [`Args::check_tls_password_file`], read by
    /// `TlsConfig::from_pem_files_with_password_file`.
    pub(crate) tls_password_file: Option<OsString>,
    /// `--spa[=FILE]`: the single-page-app fallback (`index.html` when no
    /// FILE is given).
    pub(crate) spa: Option<OsString>,
    /// `--cors`: `Access-Control-Allow-Origin: *` and `OPTIONS` preflights.
    pub(crate) cors: bool,
    /// `--isolate`: COOP `same-origin` and COEP `require-corp`.
    pub(crate) isolate: bool,
    /// `--no-cache`: `Cache-Control: no-store`, never a 304.
    pub(crate) no_cache: bool,
    /// `--no-dotfiles`: 404 for dot-paths, none in listings and archives.
    pub(crate) no_dotfiles: bool,
    /// `--symlinks follow|inside|off` (follow, CPython's, by default).
    pub(crate) symlinks: Symlinks,
    /// `--archive`: folders downloaded as one `.tar.gz`.
    pub(crate) archive: bool,
    /// The presets given (`--share`, `--dev`), each with what it turned
    /// on, for the line the command prints.
    pub(crate) presets: Vec<(&'static str, &'static str)>,
    /// `--compress`: content codings by `Accept-Encoding` (precompressed
    /// siblings and on the fly).
    pub(crate) compress: bool,
    /// `--upload[=DIR]`: accept uploads (anywhere: `Some(None)`; into DIR
    /// and below: `Some(Some(DIR))`).
    pub(crate) upload: Option<Option<OsString>>,
    /// `--overwrite`: uploads may replace files.
    pub(crate) overwrite: bool,
    /// `--auth USER:PASS` (or `USER:sha256:HEX`), each time given.
    pub(crate) auth: Vec<String>,
    /// `--auth-writes-only`: only uploads ask for the password.
    pub(crate) auth_writes_only: bool,
    /// `--urls`: the URLs to open, on stderr.
    pub(crate) urls: bool,
    /// `--qr`: also a QR code of the first LAN URL (implies `--urls`).
    pub(crate) qr: bool,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            port: DEFAULT_PORT,
            bind: None,
            directory: None,
            protocol: "HTTP/1.0".to_owned(),
            cgi: false,
            cgi_rfc3875: false,
            content_type: "application/octet-stream".to_owned(),
            headers: Vec::new(),
            tls_cert: None,
            tls_key: None,
            tls_password_file: None,
            spa: None,
            cors: false,
            isolate: false,
            no_cache: false,
            no_dotfiles: false,
            symlinks: Symlinks::Follow,
            archive: false,
            presets: Vec::new(),
            compress: false,
            upload: None,
            overwrite: false,
            auth: Vec::new(),
            auth_writes_only: false,
            urls: false,
            qr: false,
        }
    }
}

/// Why the arguments did not give an [`Args`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum UsageError {
    /// `-h/--help`: print [`HELP`] to stdout, exit 0.
    Help,
    /// A usage error: print the usage lines and `basehttp: error: <message>` to
    /// stderr, exit 2.
    Invalid(String),
}

impl UsageError {
    /// The process exit status argparse uses.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            UsageError::Help => 0,
            UsageError::Invalid(_) => 2,
        }
    }
}

impl fmt::Display for UsageError {
    /// The full text to print (help, or usage + error line).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageError::Help => f.write_str(HELP),
            UsageError::Invalid(msg) => writeln!(f, "{}{PROG}: error: {msg}", usage()),
        }
    }
}

impl std::error::Error for UsageError {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Opt {
    Help,
    Bind,
    Directory,
    Protocol,
    Cgi,
    CgiRfc3875,
    ContentType,
    Header,
    // TLS (3.14)
    TlsCert,
    TlsKey,
    TlsPasswordFile,
    // Ours, for a dev build (issue 23).
    Spa,
    Cors,
    Isolate,
    NoCache,
    // Ours (issue 20).
    Compress,
    // Ours, for sharing a folder (issue 23).
    Upload,
    Overwrite,
    Auth,
    AuthWritesOnly,
    Urls,
    Qr,
    NoDotfiles,
    Symlinks,
    Archive,
    // Presets of ours (issue 23).
    Share,
    Dev,
}

/// The file `--spa` serves when no `=FILE` is given.
const SPA_DEFAULT: &str = "index.html";

/// CPython's long options. An abbreviation is matched against these first,
/// so that one CPython resolves (`--co` for `--content-type`) or reports
/// ambiguous (`--c`) does the same here whatever options we add.
const LONG: &[(&str, Opt)] = &[
    ("--help", Opt::Help),
    ("--bind", Opt::Bind),
    ("--directory", Opt::Directory),
    ("--protocol", Opt::Protocol),
    ("--cgi", Opt::Cgi),
    ("--content-type", Opt::ContentType),
    ("--header", Opt::Header),
    // TLS (3.14)
    ("--tls-cert", Opt::TlsCert),
    ("--tls-key", Opt::TlsKey),
    ("--tls-password-file", Opt::TlsPasswordFile),
];

/// Our long options (the peers' spellings where they have one: miniserve
/// `--spa`, `serve` and `http-server` `--cors`). Matched by exact name, or
/// by an abbreviation that no option in [`LONG`] starts with (`--cor`,
/// `--com`, never `--co`).
const OURS: &[(&str, Opt)] = &[
    ("--cgi-rfc3875", Opt::CgiRfc3875),
    ("--spa", Opt::Spa),
    ("--cors", Opt::Cors),
    ("--isolate", Opt::Isolate),
    ("--no-cache", Opt::NoCache),
    ("--compress", Opt::Compress),
    ("--upload", Opt::Upload),
    ("--overwrite", Opt::Overwrite),
    ("--auth", Opt::Auth),
    ("--auth-writes-only", Opt::AuthWritesOnly),
    ("--urls", Opt::Urls),
    ("--qr", Opt::Qr),
    ("--no-dotfiles", Opt::NoDotfiles),
    ("--symlinks", Opt::Symlinks),
    ("--archive", Opt::Archive),
    ("--share", Opt::Share),
    ("--dev", Opt::Dev),
];

/// What `--share` turns on: sharing a folder on a LAN (miniserve's
/// `--upload-files`, `--enable-tar-gz`, hidden files and links kept in,
/// `--qrcode`'s address list).
const SHARE: &str = "--upload --archive --no-dotfiles --symlinks=inside --urls";

/// What `--dev` turns on: serving a web app's build (`serve --single
/// --cors`, with `http-server`'s most asked-for `-c-1`, and compression).
const DEV: &str = "--spa --cors --no-cache --compress";

impl Opt {
    fn short(c: char) -> Option<Opt> {
        Some(match c {
            'h' => Opt::Help,
            'b' => Opt::Bind,
            'd' => Opt::Directory,
            'p' => Opt::Protocol,
            'H' => Opt::Header,
            _ => return None,
        })
    }
    fn display(self) -> &'static str {
        match self {
            Opt::Help => "-h/--help",
            Opt::Bind => "-b/--bind",
            Opt::Directory => "-d/--directory",
            Opt::Protocol => "-p/--protocol",
            Opt::Cgi => "--cgi",
            Opt::CgiRfc3875 => "--cgi-rfc3875",
            Opt::ContentType => "--content-type",
            Opt::Header => "-H/--header",
            Opt::TlsCert => "--tls-cert",
            Opt::TlsKey => "--tls-key",
            Opt::TlsPasswordFile => "--tls-password-file",
            Opt::Spa => "--spa",
            Opt::Cors => "--cors",
            Opt::Isolate => "--isolate",
            Opt::NoCache => "--no-cache",
            Opt::NoDotfiles => "--no-dotfiles",
            Opt::Symlinks => "--symlinks",
            Opt::Archive => "--archive",
            Opt::Share => "--share",
            Opt::Dev => "--dev",
            Opt::Compress => "--compress",
            Opt::Upload => "--upload",
            Opt::Overwrite => "--overwrite",
            Opt::Auth => "--auth",
            Opt::AuthWritesOnly => "--auth-writes-only",
            Opt::Urls => "--urls",
            Opt::Qr => "--qr",
        }
    }
    fn nargs(self) -> usize {
        match self {
            Opt::Help
            | Opt::Cgi
            | Opt::CgiRfc3875
            | Opt::Spa
            | Opt::Cors
            | Opt::Isolate
            | Opt::NoCache
            | Opt::NoDotfiles
            | Opt::Archive
            | Opt::Compress
            | Opt::Upload
            | Opt::Overwrite
            | Opt::AuthWritesOnly
            | Opt::Urls
            | Opt::Qr
            | Opt::Share
            | Opt::Dev => 0,
            Opt::Header => 2,
            _ => 1,
        }
    }

    /// Takes a value only when attached (`--spa=FILE`): argparse's
    /// `nargs='?'` would take the port that follows as the value.
    fn optional_inline(self) -> bool {
        matches!(self, Opt::Spa | Opt::Upload)
    }
}

/// A long option by exact name or unique prefix (argparse `allow_abbrev`):
/// CPython's options first ([`LONG`]), then ours ([`OURS`]) for a prefix
/// none of CPython's has.
fn long_opt(name: &str) -> Result<Option<Opt>, UsageError> {
    if let Some((_, o)) = LONG.iter().chain(OURS).find(|(n, _)| *n == name) {
        return Ok(Some(*o));
    }
    let prefix_of = |table: &'static [(&'static str, Opt)]| -> Vec<&'static (&'static str, Opt)> {
        table.iter().filter(|(n, _)| n.starts_with(name)).collect()
    };
    let mut hits = prefix_of(LONG);
    if hits.is_empty() {
        hits = prefix_of(OURS);
    }
    match hits.as_slice() {
        [] => Ok(None),
        [(_, o)] => Ok(Some(*o)),
        many => {
            let names: Vec<&str> = many.iter().map(|(n, _)| *n).collect();
            Err(UsageError::Invalid(format!(
                "ambiguous option: {name} could match {}",
                names.join(", ")
            )))
        }
    }
}

/// argparse's test for an argument that looks like an option (a negative
/// number does not, since no option looks like one).
fn looks_like_option(s: &str) -> bool {
    s.starts_with('-') && s.len() > 1 && s[1..].parse::<f64>().is_err()
}

fn utf8(arg: OsString) -> Result<String, UsageError> {
    arg.into_string().map_err(|a| {
        UsageError::Invalid(format!(
            "argument is not valid UTF-8: {}",
            a.to_string_lossy()
        ))
    })
}

impl Args {
    /// Parses the arguments after the program name.
    ///
    /// # Errors
    /// [`UsageError::Help`] for `-h/--help`, [`UsageError::Invalid`] for
    /// anything argparse would reject (exit status 2).
    pub(crate) fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Args, UsageError> {
        let mut out = Args::default();
        let mut queue: VecDeque<OsString> = args.into_iter().collect();
        let mut positionals: Vec<String> = Vec::new();
        let mut only_positional = false;
        while let Some(arg) = queue.pop_front() {
            let text = arg.to_string_lossy().into_owned();
            if only_positional || !looks_like_option(&text) {
                positionals.push(utf8(arg)?);
                continue;
            }
            if text == "--" {
                only_positional = true;
                continue;
            }
            let Some((opt, inline)) = resolve_option(&text)? else {
                positionals.push(format!("{UNKNOWN}{text}"));
                continue;
            };
            let values = collect_values(opt, inline, &mut queue)?;
            out.apply(opt, values)?;
        }
        out.apply_positionals(positionals)?;
        out.check_tls()?;
        out.check_archive()?;
        Ok(out)
    }

    /// Stores one option's values (exactly [`Opt::nargs`] of them).
    fn apply(&mut self, opt: Opt, values: Vec<OsString>) -> Result<(), UsageError> {
        let mut values = values.into_iter();
        let mut next = || values.next().unwrap_or_default();
        match opt {
            Opt::Help => return Err(UsageError::Help),
            Opt::Cgi => self.cgi = true,
            Opt::CgiRfc3875 => self.cgi_rfc3875 = true,
            Opt::Bind => self.bind = Some(utf8(next())?),
            Opt::Directory => self.directory = Some(next()),
            Opt::Protocol => self.protocol = utf8(next())?,
            Opt::ContentType => self.content_type = utf8(next())?,
            Opt::Header => {
                let name = utf8(next())?;
                let value = utf8(next())?;
                self.headers.push((name, value));
            }
            Opt::TlsCert => self.tls_cert = Some(next()),
            Opt::TlsKey => self.tls_key = Some(next()),
            Opt::TlsPasswordFile => self.tls_password_file = Some(next()),
            Opt::Spa => {
                self.spa = Some(values.next().unwrap_or_else(|| SPA_DEFAULT.into()));
            }
            Opt::Cors => self.cors = true,
            Opt::Isolate => self.isolate = true,
            Opt::NoCache => self.no_cache = true,
            Opt::NoDotfiles => self.no_dotfiles = true,
            Opt::Symlinks => self.symlinks = symlinks_choice(&utf8(next())?)?,
            Opt::Archive => self.archive = true,
            Opt::Compress => self.compress = true,
            Opt::Upload => self.upload = Some(values.next()),
            Opt::Overwrite => self.overwrite = true,
            Opt::Auth => {
                let spec = utf8(next())?;
                basehttp::handlers::BasicAuth::parse(&spec)
                    .map_err(|e| UsageError::Invalid(format!("argument --auth: {e}")))?;
                self.auth.push(spec);
            }
            Opt::AuthWritesOnly => self.auth_writes_only = true,
            Opt::Urls => self.urls = true,
            Opt::Qr => {
                self.urls = true;
                self.qr = true;
            }
            Opt::Share => {
                // What was set explicitly before stays (an `--upload=DIR`).
                self.upload.get_or_insert(None);
                self.archive = true;
                self.no_dotfiles = true;
                if self.symlinks == Symlinks::Follow {
                    self.symlinks = Symlinks::Inside;
                }
                self.urls = true;
                self.presets.push(("--share", SHARE));
            }
            Opt::Dev => {
                self.spa.get_or_insert_with(|| SPA_DEFAULT.into());
                self.cors = true;
                self.no_cache = true;
                self.compress = true;
                self.presets.push(("--dev", DEV));
            }
        }
        Ok(())
    }

    /// The positional `port` (Python's `int()`, then 0-65535); unknown
    /// options (marked with [`UNKNOWN`]) and extra positionals are
    /// `unrecognized arguments`, in order.
    fn apply_positionals(&mut self, positionals: Vec<String>) -> Result<(), UsageError> {
        let mut extras: Vec<String> = Vec::new();
        let mut port_seen = false;
        for p in positionals {
            if let Some(unknown) = p.strip_prefix(UNKNOWN) {
                extras.push(unknown.to_owned());
            } else if !port_seen {
                port_seen = true;
                // Python's `int()`; a value beyond i128 is reported as invalid.
                let n = basehttp::__private::py_int(&p).map_err(|_| {
                    UsageError::Invalid(format!("argument port: invalid int value: '{p}'"))
                })?;
                self.port = u16::try_from(n).map_err(|_| {
                    UsageError::Invalid(format!("argument port: port must be 0-65535: {n}"))
                })?;
            } else {
                extras.push(p);
            }
        }
        if !extras.is_empty() {
            return Err(UsageError::Invalid(format!(
                "unrecognized arguments: {}",
                extras.join(" ")
            )));
        }
        Ok(())
    }
}

/// `--symlinks`'s choices (argparse `choices`), in the order `--help`
/// lists them.
const SYMLINKS_CHOICES: [(&str, Symlinks); 3] = [
    ("follow", Symlinks::Follow),
    ("inside", Symlinks::Inside),
    ("off", Symlinks::Off),
];

/// The `--symlinks` value, or argparse's `invalid choice` error.
fn symlinks_choice(value: &str) -> Result<Symlinks, UsageError> {
    SYMLINKS_CHOICES
        .iter()
        .find(|(name, _)| *name == value)
        .map(|&(_, symlinks)| symlinks)
        .ok_or_else(|| {
            let names: Vec<&str> = SYMLINKS_CHOICES.iter().map(|(n, _)| *n).collect();
            UsageError::Invalid(format!(
                "argument --symlinks: invalid choice: {} (choose from {})",
                basehttp::__private::py_repr(value),
                names.join(", ")
            ))
        })
}

impl Args {
    /// An archive of a folder above a CGI directory would hold the
    /// scripts' source: `--archive` is refused with `--cgi` (argparse's
    /// mutually exclusive message).
    fn check_archive(&self) -> Result<(), UsageError> {
        let cgi = match (self.cgi, self.cgi_rfc3875) {
            (true, _) => "--cgi",
            (false, true) => "--cgi-rfc3875",
            (false, false) => return Ok(()),
        };
        if !self.archive {
            return Ok(());
        }
        let why = if self.presets.iter().any(|(p, _)| *p == "--share") {
            "--share (which turns on --archive)"
        } else {
            "--archive"
        };
        Err(UsageError::Invalid(format!(
            "argument {why}: not allowed with argument {cgi}"
        )))
    }
}

/// Marks an unknown option among the positionals, so that it is reported
/// in place among `unrecognized arguments` (a real argument cannot hold NUL).
const UNKNOWN: char = '\0';

/// The option `text` names, with a value attached to it (`--bind=x`,
/// `-bx`); `None` for an unknown option.
fn resolve_option(text: &str) -> Result<Option<(Opt, Option<OsString>)>, UsageError> {
    if text.starts_with("--") {
        let (name, value) = match text.split_once('=') {
            Some((n, v)) => (n, Some(OsString::from(v))),
            None => (text, None),
        };
        return Ok(long_opt(name)?.map(|o| (o, value)));
    }
    let mut chars = text[1..].chars();
    let c = chars.next().unwrap_or('-');
    let rest: String = chars.collect();
    Ok(match Opt::short(c) {
        // `-hx`: argparse would try `-x` next; treat as help.
        Some(o) if o.nargs() == 0 && !rest.is_empty() => Some((o, None)),
        Some(o) => Some((o, (!rest.is_empty()).then(|| OsString::from(rest)))),
        None => None,
    })
}

/// The option's values: the attached one, then following arguments that
/// do not look like options, until [`Opt::nargs`] are there.
fn collect_values(
    opt: Opt,
    inline: Option<OsString>,
    queue: &mut VecDeque<OsString>,
) -> Result<Vec<OsString>, UsageError> {
    let mut values: Vec<OsString> = Vec::new();
    if let Some(v) = inline {
        if opt.optional_inline() {
            return Ok(vec![v]);
        }
        if opt.nargs() == 0 {
            return Err(UsageError::Invalid(format!(
                "argument {}: ignored explicit argument '{}'",
                opt.display(),
                v.to_string_lossy()
            )));
        }
        values.push(v);
    }
    while values.len() < opt.nargs() {
        match queue.front() {
            Some(next) if !looks_like_option(&next.to_string_lossy()) => {
                values.extend(queue.pop_front());
            }
            _ => {
                let want = if opt.nargs() == 1 {
                    "expected one argument".to_owned()
                } else {
                    format!("expected {} arguments", opt.nargs())
                };
                return Err(UsageError::Invalid(format!(
                    "argument {}: {want}",
                    opt.display()
                )));
            }
        }
    }
    Ok(values)
}

// TLS options (3.14): the checks `_main` makes after `parse_args`.
impl Args {
    fn check_tls(&self) -> Result<(), UsageError> {
        let set = |o: &Option<OsString>| o.as_ref().is_some_and(|v| !v.is_empty());
        if !set(&self.tls_cert) && set(&self.tls_key) {
            return Err(UsageError::Invalid(
                "--tls-key requires --tls-cert to be set".to_owned(),
            ));
        }
        if set(&self.tls_password_file) && !set(&self.tls_cert) {
            return Err(UsageError::Invalid(
                "--tls-password-file requires --tls-cert to be set".to_owned(),
            ));
        }
        Ok(())
    }

    /// The password file, if one is set (an empty path is not, as in
    /// Python).
    pub(crate) fn tls_password_file(&self) -> Option<&OsString> {
        self.tls_password_file.as_ref().filter(|p| !p.is_empty())
    }

    /// `_main`'s `open(args.tls_password_file)`, done right after parsing:
    /// a password file that cannot be opened is a usage error (exit status
    /// 2), `Failed to read TLS password file: [Errno 2] No such file or
    /// directory: 'x'`. Its contents are taken, as CPython takes them, by
    /// `TlsConfig::from_pem_files_with_password_file` when the server starts.
    ///
    /// # Errors
    /// The usage error above; a directory gives `[Errno 21] Is a directory`
    /// as Python's `open` does.
    pub(crate) fn check_tls_password_file(&self) -> Result<(), UsageError> {
        let Some(path) = self.tls_password_file() else {
            return Ok(());
        };
        // Reading (not only opening) says `EISDIR` for a directory, as
        // Python's `open` does.
        let Err(error) = std::fs::read(path) else {
            return Ok(());
        };
        Err(UsageError::Invalid(format!(
            "Failed to read TLS password file: {}",
            os_error_text(&error, &path.to_string_lossy())
        )))
    }
}

/// Python's `str(OSError)` for a failed `open(path)`:
/// `[Errno 2] No such file or directory: 'path'`.
fn os_error_text(e: &std::io::Error, path: &str) -> String {
    let text = e.to_string();
    match e.raw_os_error() {
        Some(code) => {
            let strerror = text
                .strip_suffix(&format!(" (os error {code})"))
                .unwrap_or(&text);
            format!(
                "[Errno {code}] {strerror}: {}",
                basehttp::__private::py_repr(path)
            )
        }
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, UsageError> {
        Args::parse(args.iter().map(OsString::from))
    }

    fn err(args: &[&str]) -> String {
        match parse(args) {
            Err(UsageError::Invalid(m)) => m,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn test_no_arguments() {
        assert_eq!(parse(&[]).unwrap(), Args::default());
    }

    #[test]
    fn test_port_flag() {
        for (arg, port) in [
            ("8000", 8000),
            ("65535", 65535),
            ("0", 0),
            ("+80", 80),
            ("8_0", 80),
        ] {
            assert_eq!(parse(&[arg]).unwrap().port, port);
        }
        assert_eq!(err(&["abc"]), "argument port: invalid int value: 'abc'");
        assert!(err(&["70000"]).starts_with("argument port"));
    }

    #[test]
    fn test_directory_flag() {
        for d in [".", "/foo", "\\bar", "/", "C:\\"] {
            for flag in ["-d", "--directory"] {
                assert_eq!(parse(&[flag, d]).unwrap().directory, Some(d.into()));
            }
        }
        assert_eq!(parse(&["--dir=/x"]).unwrap().directory, Some("/x".into()));
        assert_eq!(parse(&["-d/x"]).unwrap().directory, Some("/x".into()));
    }

    #[test]
    fn test_bind_flag() {
        for b in ["localhost", "127.0.0.1", "::1", "0.0.0.0", "8.8.8.8"] {
            for flag in ["-b", "--bind"] {
                assert_eq!(parse(&[flag, b]).unwrap().bind.as_deref(), Some(b));
            }
        }
    }

    #[test]
    fn test_protocol_flag() {
        for p in ["HTTP/1.0", "HTTP/1.1", "HTTP/2.0", "HTTP/3.0"] {
            assert_eq!(parse(&["-p", p]).unwrap().protocol, p);
            assert_eq!(parse(&["--protocol", p]).unwrap().protocol, p);
        }
    }

    #[test]
    fn test_content_type_flag() {
        for t in ["text/html", "text/plain", "application/json"] {
            assert_eq!(parse(&["--content-type", t]).unwrap().content_type, t);
        }
    }

    #[test]
    fn test_header_flag() {
        let a = parse(&["--header", "h1", "v1", "-H", "h2", "v2"]).unwrap();
        assert_eq!(
            a.headers,
            [("h1".into(), "v1".into()), ("h2".into(), "v2".into())]
        );
    }

    #[test]
    fn test_extra_header_flag_too_few_args() {
        assert_eq!(
            err(&["--header", "h1"]),
            "argument -H/--header: expected 2 arguments"
        );
    }

    #[test]
    fn test_extra_header_flag_too_many_args() {
        assert_eq!(
            err(&["--header", "h1", "v1", "h2"]),
            "argument port: invalid int value: 'h2'"
        );
        assert_eq!(
            err(&["--header", "h1", "v1", "h2", "8000"]),
            "argument port: invalid int value: 'h2'"
        );
    }

    #[test]
    fn test_extra_response_headers_arg() {
        let a = parse(&[
            "-H",
            "Set-Cookie",
            "k=v",
            "-H",
            "Set-Cookie",
            "k2=v2:v3 v4",
            "8080",
        ])
        .unwrap();
        assert_eq!(a.port, 8080);
        assert_eq!(
            a.headers,
            [
                ("Set-Cookie".into(), "k=v".into()),
                ("Set-Cookie".into(), "k2=v2:v3 v4".into())
            ]
        );
    }

    #[test]
    fn test_help_flag() {
        assert_eq!(parse(&["-h"]), Err(UsageError::Help));
        assert_eq!(parse(&["--help"]), Err(UsageError::Help));
        assert_eq!(parse(&["8000", "--he"]).unwrap_err().exit_code(), 2);
        assert_eq!(UsageError::Help.to_string(), HELP);
    }

    #[test]
    fn test_unknown_flag() {
        let e = parse(&["--unknown-flag"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(
            e.to_string(),
            format!(
                "{}basehttp: error: unrecognized arguments: --unknown-flag\n",
                usage()
            )
        );
    }

    #[test]
    fn usage_errors() {
        assert_eq!(err(&["-b"]), "argument -b/--bind: expected one argument");
        assert_eq!(
            err(&["-d", "-b", "x"]),
            "argument -d/--directory: expected one argument"
        );
        assert_eq!(
            err(&["--he"]),
            "ambiguous option: --he could match --help, --header"
        );
        assert_eq!(
            err(&["--cgi=1"]),
            "argument --cgi: ignored explicit argument '1'"
        );
        assert_eq!(err(&["1", "2"]), "unrecognized arguments: 2");
        assert!(parse(&["--cgi"]).unwrap().cgi);
        let rfc = parse(&["--cgi-rfc3875"]).unwrap();
        assert!(rfc.cgi_rfc3875 && !rfc.cgi);
        assert!(parse(&["--cgi-r"]).unwrap().cgi_rfc3875);
        assert_eq!(
            parse(&["--cgi-rfc3875=1"]),
            Err(UsageError::Invalid(
                "argument --cgi-rfc3875: ignored explicit argument '1'".into()
            ))
        );
        assert_eq!(parse(&["--", "9000"]).unwrap().port, 9000);
    }

    #[test]
    fn dev_flags() {
        let a = parse(&[
            "--spa",
            "--cors",
            "--isolate",
            "--no-cache",
            "--compress",
            "8080",
        ])
        .unwrap();
        assert_eq!(a.spa, Some("index.html".into()));
        assert!(a.cors && a.isolate && a.no_cache && a.compress);
        // `--spa` never takes the port as its FILE.
        assert_eq!(a.port, 8080);
        assert_eq!(parse(&["--spa", "9000"]).unwrap().port, 9000);
        let a = parse(&["--spa=app.html"]).unwrap();
        assert_eq!((a.spa, a.port), (Some("app.html".into()), 8000));
        // Off by default: CPython's bytes.
        let d = Args::default();
        assert!(d.spa.is_none() && !d.cors && !d.isolate && !d.no_cache && !d.compress);
        for flag in ["--cors=1", "--isolate=1", "--no-cache=1", "--compress=1"] {
            let name = flag.trim_end_matches("=1");
            assert_eq!(
                err(&[flag]),
                format!("argument {name}: ignored explicit argument '1'")
            );
        }
    }

    /// Every abbreviation CPython resolves still resolves to the same
    /// option, every one it calls ambiguous still is (with CPython's
    /// message), and ours resolve by the prefixes no CPython option has.
    #[test]
    fn abbreviations_of_cpythons_options_are_unchanged() {
        let cpython: Vec<&str> = LONG.iter().map(|(n, _)| *n).collect();
        for (name, opt) in LONG {
            for end in 3..=name.len() {
                let prefix = &name[..end];
                let hits: Vec<&str> = cpython
                    .iter()
                    .copied()
                    .filter(|n| n.starts_with(prefix))
                    .collect();
                match (hits.as_slice(), long_opt(prefix)) {
                    (_, Ok(Some(o))) if hits.contains(&prefix) => assert!(o == *opt),
                    ([_], Ok(Some(o))) => assert!(o == *opt, "{prefix}"),
                    (many, Err(UsageError::Invalid(m))) => assert_eq!(
                        m,
                        format!("ambiguous option: {prefix} could match {}", many.join(", "))
                    ),
                    (_, other) => panic!("{prefix}: {other:?}"),
                }
            }
        }
        assert_eq!(
            err(&["--c"]),
            "ambiguous option: --c could match --cgi, --content-type"
        );
        // `--co` is still `--content-type`, not ambiguous with `--cors`.
        assert_eq!(
            err(&["--co"]),
            "argument --content-type: expected one argument"
        );
        assert_eq!(parse(&["--co", "text/x"]).unwrap().content_type, "text/x");
        // Nor with `--compress`: `--co text/x` leaves compression off.
        assert!(!parse(&["--co", "text/x"]).unwrap().compress);
        assert_eq!(
            parse(&["--cgi"]).unwrap(),
            Args {
                cgi: true,
                ..Args::default()
            }
        );
    }

    #[test]
    fn abbreviations_of_our_options() {
        for (prefix, flag) in [
            ("--cgi-", "rfc"),
            ("--cgi-r", "rfc"),
            ("--sp", "spa"),
            ("--cor", "cors"),
            ("--i", "isolate"),
            ("--iso", "isolate"),
            ("--no-c", "no-cache"),
            ("--no-d", "no-dotfiles"),
            ("--ar", "archive"),
            ("--arch", "archive"),
            ("--com", "compress"),
            ("--compr", "compress"),
        ] {
            let a = parse(&[prefix]).unwrap();
            let got = match () {
                () if a.cgi_rfc3875 => "rfc",
                () if a.spa.is_some() => "spa",
                () if a.cors => "cors",
                () if a.isolate => "isolate",
                () if a.no_cache => "no-cache",
                () if a.compress => "compress",
                () if a.no_dotfiles => "no-dotfiles",
                () if a.archive => "archive",
                () => "none",
            };
            assert_eq!(got, flag, "{prefix}");
        }
        assert_eq!(parse(&["--sp=a.html"]).unwrap().spa, Some("a.html".into()));
        assert_eq!(parse(&["--sy", "off"]).unwrap().symlinks, Symlinks::Off);
        // Where two of ours share a prefix, argparse's ambiguity.
        for (prefix, names) in [
            ("--s", "--spa, --symlinks, --share"),
            ("--n", "--no-cache, --no-dotfiles"),
            ("--no", "--no-cache, --no-dotfiles"),
            ("--no-", "--no-cache, --no-dotfiles"),
            ("--a", "--auth, --auth-writes-only, --archive"),
        ] {
            assert_eq!(
                err(&[prefix]),
                format!("ambiguous option: {prefix} could match {names}")
            );
        }
    }

    #[test]
    fn dotfiles_symlinks_and_archive_flags() {
        let a = parse(&["--no-dotfiles", "--symlinks", "inside", "--archive", "9000"]).unwrap();
        assert!(a.no_dotfiles && a.archive);
        assert_eq!((a.symlinks, a.port), (Symlinks::Inside, 9000));
        for (value, want) in [
            ("follow", Symlinks::Follow),
            ("inside", Symlinks::Inside),
            ("off", Symlinks::Off),
        ] {
            assert_eq!(parse(&["--symlinks", value]).unwrap().symlinks, want);
            let inline = format!("--symlinks={value}");
            assert_eq!(parse(&[&inline]).unwrap().symlinks, want);
        }
        // Off by default: CPython's bytes.
        let d = Args::default();
        assert!(!d.no_dotfiles && !d.archive && d.symlinks == Symlinks::Follow);
        assert_eq!(
            err(&["--symlinks", "Inside"]),
            "argument --symlinks: invalid choice: 'Inside' (choose from follow, inside, off)"
        );
        assert_eq!(
            err(&["--symlinks"]),
            "argument --symlinks: expected one argument"
        );
        assert_eq!(
            err(&["--symlinks", "--archive"]),
            "argument --symlinks: expected one argument"
        );
        for flag in ["--no-dotfiles=1", "--archive=1"] {
            let name = flag.trim_end_matches("=1");
            assert_eq!(
                err(&[flag]),
                format!("argument {name}: ignored explicit argument '1'")
            );
        }
        assert_eq!(
            err(&["--cgi", "--archive"]),
            "argument --archive: not allowed with argument --cgi"
        );
        assert_eq!(
            err(&["--archive", "--cgi-rfc3875"]),
            "argument --archive: not allowed with argument --cgi-rfc3875"
        );
        assert!(parse(&["--cgi", "--no-dotfiles", "--symlinks=off"]).is_ok());
    }

    #[test]
    fn presets() {
        let a = parse(&["--share"]).unwrap();
        assert_eq!(a.upload, Some(None));
        assert!(a.archive && a.no_dotfiles && a.urls);
        assert_eq!(a.symlinks, Symlinks::Inside);
        assert_eq!(a.presets, [("--share", SHARE)]);
        assert!(!a.cors && !a.compress && a.spa.is_none());
        // What was given explicitly stays.
        let a = parse(&["--upload=in", "--symlinks", "off", "--share"]).unwrap();
        assert_eq!(a.upload, Some(Some("in".into())));
        assert_eq!(a.symlinks, Symlinks::Off);
        let a = parse(&["--spa=app.html", "--dev", "8080"]).unwrap();
        assert_eq!(a.spa, Some("app.html".into()));
        assert!(a.cors && a.no_cache && a.compress && !a.isolate);
        assert_eq!(a.presets, [("--dev", DEV)]);
        assert_eq!(a.port, 8080);
        assert!(parse(&["--de"]).unwrap().compress, "--de is --dev");
        assert!(
            parse(&["--d", "x"]).unwrap().directory.is_some(),
            "--d stays --directory"
        );
        assert!(parse(&["--sh"]).unwrap().archive);
        let e = parse(&["--share", "--cgi"]).unwrap_err().to_string();
        assert!(
            e.ends_with("error: argument --share (which turns on --archive): not allowed with argument --cgi\n"),
            "{e}"
        );
    }

    #[test]
    fn sharing_flags() {
        let a = parse(&[
            "--upload",
            "--overwrite",
            "--auth",
            "u:p",
            "--auth",
            "v:q",
            "8080",
        ])
        .unwrap();
        assert_eq!(a.upload, Some(None));
        assert!(a.overwrite && !a.auth_writes_only);
        assert_eq!(a.auth, ["u:p", "v:q"]);
        assert_eq!(a.port, 8080, "--upload takes no value unless attached");
        let a = parse(&["--upload=incoming", "--auth-writes-only", "--auth=u:p"]).unwrap();
        assert_eq!(a.upload, Some(Some("incoming".into())));
        assert!(a.auth_writes_only);
        // Abbreviations: unique prefixes of ours; `--au` could be two.
        assert_eq!(parse(&["--up"]).unwrap().upload, Some(None));
        assert!(parse(&["--ov"]).unwrap().overwrite);
        assert!(parse(&["--auth-w"]).unwrap().auth_writes_only);
        let e = parse(&["--au", "u:p"]).unwrap_err().to_string();
        assert!(
            e.ends_with("error: ambiguous option: --au could match --auth, --auth-writes-only\n"),
            "{e}"
        );
        for bad in ["nocolon", ":p", "u:sha256:12"] {
            let e = parse(&["--auth", bad]).unwrap_err().to_string();
            assert!(e.contains("error: argument --auth: "), "{e}");
        }
        assert!(
            parse(&["--auth"])
                .unwrap_err()
                .to_string()
                .contains("expected one argument")
        );
    }

    #[test]
    fn tls_flags() {
        let a = parse(&[
            "--tls-cert",
            "c.pem",
            "--tls-key",
            "k.pem",
            "--tls-password-file",
            "p",
        ])
        .unwrap();
        assert_eq!(a.tls_cert, Some("c.pem".into()));
        assert_eq!(a.tls_key, Some("k.pem".into()));
        assert_eq!(a.tls_password_file, Some("p".into()));
        assert_eq!(parse(&["--tls-cert=c"]).unwrap().tls_cert, Some("c".into()));
        assert_eq!(parse(&["--tls-c", "c"]).unwrap().tls_cert, Some("c".into()));
        assert_eq!(
            err(&["--tls", "x"]),
            "ambiguous option: --tls could match --tls-cert, --tls-key, --tls-password-file"
        );
        assert_eq!(
            err(&["--tls-cert"]),
            "argument --tls-cert: expected one argument"
        );
    }

    #[test]
    fn tls_key_and_password_need_a_certificate() {
        assert_eq!(
            err(&["--tls-key", "k.pem"]),
            "--tls-key requires --tls-cert to be set"
        );
        assert_eq!(
            err(&["--tls-password-file", "p"]),
            "--tls-password-file requires --tls-cert to be set"
        );
        // The key check comes first, as in `_main`.
        assert_eq!(
            err(&["--tls-password-file", "p", "--tls-key", "k"]),
            "--tls-key requires --tls-cert to be set"
        );
        // An empty --tls-cert is not set (Python's truthiness).
        assert_eq!(
            err(&["--tls-cert", "", "--tls-key", "k"]),
            "--tls-key requires --tls-cert to be set"
        );
        assert_eq!(parse(&["--tls-key", "k"]).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn a_tls_password_file_that_cannot_be_opened_is_a_usage_error() {
        let dir = std::env::temp_dir().join(format!("basehttp-cli-pw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("pw");
        std::fs::write(&file, " secret \n").unwrap();
        let args = |path: &std::path::Path| {
            Args::parse(
                ["--tls-cert", "c", "--tls-password-file"]
                    .iter()
                    .map(OsString::from)
                    .chain([path.as_os_str().to_owned()]),
            )
            .unwrap()
        };
        assert_eq!(args(&file).check_tls_password_file(), Ok(()));
        let missing = dir.join("missing");
        let failed = |what: &str, path: &std::path::Path| {
            Err(UsageError::Invalid(format!(
                "Failed to read TLS password file: {what}: '{}'",
                path.display()
            )))
        };
        assert_eq!(
            args(&missing).check_tls_password_file(),
            failed("[Errno 2] No such file or directory", &missing)
        );
        assert_eq!(
            args(&dir).check_tls_password_file(),
            failed("[Errno 21] Is a directory", &dir)
        );
        assert_eq!(Args::default().check_tls_password_file(), Ok(()));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
