//! Every compile-time check of `#[http_handler]`: method names (RFC 9110
//! tokens, case, near misses of standard methods), `do_*` and hook
//! signatures, fns named like a Python hook the macro does not wire (or a
//! near miss of one it does), and argument values. Each problem is one spanned error on the
//! offending tokens; all are collected, none stops the others.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::quote;
use syn::{FnArg, Ident, Path, ReceiverKind, ReturnType, Signature, Type};

use crate::hooks::{Arg, HOOKS, Recv};
use crate::parse::{Args, Errors, HandlerImpl, STOCK_BASES};

/// Methods defined by RFC 9110 §9 and RFC 5789 (PATCH): the near-miss
/// suggestions, and the runtime's `method_not_allowed` set through
/// `__standard_methods!`.
pub(crate) const STANDARD_METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// The signature every `do_*` method must have.
const DO_SIGNATURE: &str = "fn do_X(&mut self, req: &mut Request) -> io::Result<()>";

/// RFC 9110 §5.6.2 `tchar`.
pub(crate) fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// Optimal string alignment distance (Levenshtein plus adjacent
/// transpositions), so `PSOT` is one edit from `POST`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// The standard method `name` is a one-edit typo of, if any.
pub(crate) fn near_miss(name: &str) -> Option<&'static str> {
    if name.len() < 3 || STANDARD_METHODS.contains(&name) {
        return None;
    }
    STANDARD_METHODS
        .iter()
        .copied()
        .find(|m| edit_distance(name, m) == 1)
}

/// Checks an HTTP method name; `Err` is the message.
pub(crate) fn check_method_name(http_method: &str, explicit: bool) -> Result<(), String> {
    let shown = if explicit {
        format!("#[method(\"{http_method}\")]")
    } else {
        format!("do_{http_method}")
    };
    if http_method.is_empty() {
        return Err(if explicit {
            "`#[method(\"\")]` names no method; write the HTTP method, e.g. `#[method(\"M-SEARCH\")]`".into()
        } else {
            "`do_` names no HTTP method; add the method after `do_`, e.g. `do_GET`".into()
        });
    }
    if let Some(bad) = http_method.chars().find(|&c| !is_tchar(c)) {
        return Err(format!(
            "`{shown}` is not an HTTP method: `{bad}` is not an HTTP token character \
             (RFC 9110 §5.6.2); use ASCII letters, digits or one of !#$%&'*+-.^_`|~"
        ));
    }
    if explicit {
        return Ok(());
    }
    if http_method.chars().any(|c| c.is_ascii_lowercase()) {
        let upper = http_method.to_ascii_uppercase();
        let upper = near_miss(&upper).map_or(upper, str::to_owned);
        return Err(format!(
            "HTTP methods are case-sensitive, so `{shown}` would only answer `{http_method}` \
             requests; did you mean `do_{upper}`?"
        ));
    }
    if let Some(m) = near_miss(http_method) {
        return Err(format!(
            "`{shown}` is not a standard HTTP method; did you mean `do_{m}`? \
             (for a custom method of this name write `#[method(\"{http_method}\")]` on the fn)"
        ));
    }
    Ok(())
}

/// `BaseHTTPRequestHandler`, `SimpleHTTPRequestHandler` and
/// `CGIHTTPRequestHandler` methods a Python subclass overrides that are not
/// hooks here, with what to write instead. An inherent fn of that name would
/// compile and never run.
const UNWIRED: &[(&str, &str)] = &[
    (
        "end_headers",
        "to add headers to every response write `fn before_end_headers(req: &mut Request) -> io::Result<()>`",
    ),
    (
        "send_error",
        "to change error bodies write `fn error_page(req: &Request, code: u16, message: &str, explain: &str) -> ErrorPage` (or set `error_message_format`)",
    ),
    (
        "send_response",
        "the server calls `Request::send_response` itself; add headers in `before_end_headers`",
    ),
    (
        "send_header",
        "the server calls `Request::send_header` itself; add headers in `before_end_headers`",
    ),
    (
        "send_response_only",
        "the server calls `Request::send_response_only` itself",
    ),
    (
        "flush_headers",
        "the server calls `Request::flush_headers` itself",
    ),
    (
        "log_request",
        "the access line is written after each response by `fn after_response(req: &Request, exchange: &Exchange)` (status, bytes sent and duration in `exchange`); write that hook instead",
    ),
    (
        "log_error",
        "every log line goes through `fn log_message(req: &Request, message: &str)`",
    ),
    (
        "date_time_string",
        "the `Date` header comes from `Request::date_time_string`; set a header in `before_end_headers` instead",
    ),
    (
        "log_date_time_string",
        "override `fn log_message(req: &Request, message: &str)` to format log lines",
    ),
    (
        "address_string",
        "override `fn log_message(req: &Request, message: &str)` to format log lines",
    ),
    (
        "handle",
        "the server runs the connection; write `do_*` methods",
    ),
    (
        "handle_one_request",
        "the server runs the connection; write `do_*` methods",
    ),
    (
        "parse_request",
        "the server parses requests; read `req.headers` and `req.url()` in `do_*` methods",
    ),
    (
        "setup",
        "build the handler's state in the server's factory closure",
    ),
    ("finish", "the server ends the connection"),
];

/// `SimpleHTTPRequestHandler` / `CGIHTTPRequestHandler` methods: overridden
/// in the stock handler's trait impl, not in the `#[http_handler]` block.
const STOCK_METHODS: &[(&str, &str)] = &[
    ("send_head", "FileHandler"),
    ("resolve_directory", "FileHandler"),
    ("open_file", "FileHandler"),
    ("send_not_modified", "FileHandler"),
    ("select_range", "FileHandler"),
    ("send_file_headers", "FileHandler"),
    ("list_directory", "FileHandler"),
    ("translate_path", "FileHandler"),
    ("copyfile", "FileHandler"),
    ("guess_type", "FileHandler"),
    ("is_cgi", "CgiHandler"),
    ("is_executable", "CgiHandler"),
    ("run_cgi", "CgiHandler"),
];

/// Checks a fn that is neither a `do_*` method nor a hook: a name Python
/// would call as an override, or a near miss of a hook, is an error.
fn check_other_fn(ident: &syn::Ident, errors: &mut Errors) {
    let name = ident.to_string();
    if let Some((_, advice)) = UNWIRED.iter().find(|(n, _)| *n == name) {
        errors.spanned(
            ident,
            format!(
                "`{name}` is a Python `BaseHTTPRequestHandler` method, but not a hook here: \
                 the server would never call this fn; {advice}"
            ),
        );
    } else if let Some((_, tr)) = STOCK_METHODS.iter().find(|(n, _)| *n == name) {
        errors.spanned(
            ident,
            format!(
                "`{name}` here is an inherent fn the server never calls; override it in \
                 `impl {tr} for ..` (the stock handler's trait), next to `file_handler`"
            ),
        );
    } else if let Some(hook) = HOOKS
        .iter()
        .map(|h| h.name)
        .find(|h| name.len() >= 5 && edit_distance(&name, h) <= 2)
    {
        errors.spanned(
            ident,
            format!(
                "`{name}` is not a hook, so the server would never call it; did you mean `{hook}`?"
            ),
        );
    }
}

/// Checks the attribute arguments' values.
pub(crate) fn args(args: &Args, errors: &mut Errors) {
    for (name, value) in &args.overrides {
        let v = value.value();
        let ok = match name.to_string().as_str() {
            "protocol_version" => v == "HTTP/1.0" || v == "HTTP/1.1",
            "server_version" | "sys_version" | "error_content_type" => !v.contains(['\r', '\n']),
            _ => true,
        };
        if !ok {
            let msg = if name == "protocol_version" {
                format!(
                    "`protocol_version` must be \"HTTP/1.0\" or \"HTTP/1.1\", not {v:?}; use one of those"
                )
            } else {
                format!("`{name}` is sent in a header and cannot contain a line break; remove it")
            };
            errors.spanned(value, msg);
        }
    }
}

/// Checks the impl block: method names, duplicates, signatures, hooks.
pub(crate) fn handler(h: &HandlerImpl, args: &Args, errors: &mut Errors) {
    if h.methods.is_empty() && args.extends.is_none() && !args.extends_error {
        errors.spanned(
            &h.item.self_ty,
            "`#[http_handler]` impl has no `do_*` method; add one such as \
             `fn do_GET(&mut self, req: &mut Request) -> io::Result<()>` (or inherit them with `extends = BaseHandler`)",
        );
    }
    for (i, m) in h.methods.iter().enumerate() {
        check_do_signature(&m.sig, errors);
        if let Err(msg) = check_method_name(&m.http_method, m.explicit) {
            errors.push(syn::Error::new(m.name_span, msg));
            continue;
        }
        let dup = h.methods[..i]
            .iter()
            .any(|o| o.http_method == m.http_method && o.cfgs.is_empty() && m.cfgs.is_empty());
        if dup && m.explicit {
            errors.push(syn::Error::new(
                m.name_span,
                format!(
                    "method `{}` is already handled by another fn; remove one",
                    m.http_method
                ),
            ));
        }
    }
    for hook in &h.hooks {
        check_hook(hook.spec, &hook.sig, errors);
    }
    for ident in &h.others {
        check_other_fn(ident, errors);
    }
}

/// `async`, generics, `const`/`unsafe`/`extern` qualifiers: never allowed on
/// a fn the generated code calls or takes a pointer to.
fn check_qualifiers(what: &str, sig: &Signature, errors: &mut Errors) {
    if let Some(a) = &sig.asyncness {
        errors.spanned(
            a,
            format!("`{what}` cannot be `async`: handlers run on blocking I/O; remove `async`"),
        );
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.spanned(
            &sig.generics,
            format!("`{what}` cannot have generic parameters; move them to the impl or type"),
        );
    }
    if let syn::Safety::Unsafe(u) = &sig.safety {
        errors.spanned(
            u,
            format!("`{what}` cannot be `unsafe`: the generated code calls it from safe code; remove `unsafe`"),
        );
    }
    if let Some(v) = &sig.variadic {
        errors.spanned(v, format!("`{what}` cannot be variadic; remove `...`"));
    }
}

/// Checks the receiver, the argument shapes (`&_` / `&mut _`) and whether
/// a return type is present. Types themselves are left to rustc.
fn check_shape(
    what: &str,
    sig: &Signature,
    recv: Recv,
    args: &[(Arg, &str)],
    returns: Option<&str>,
    expected: &str,
    errors: &mut Errors,
) {
    let mut inputs = sig.inputs.iter().peekable();
    let mut stray_self = false;
    let want_recv = match recv {
        Recv::None => None,
        Recv::Ref => Some("&self"),
        Recv::RefMut => Some("&mut self"),
    };
    match (inputs.peek(), want_recv) {
        (Some(FnArg::Receiver(r)), Some(want)) => {
            let ok = match &r.kind {
                ReceiverKind::Reference(_, _, m) => m.is_some() == (recv == Recv::RefMut),
                _ => false,
            };
            if !ok {
                errors.spanned(
                    r,
                    format!("`{what}` must take `{want}`; the signature is `{expected}`"),
                );
            }
            inputs.next();
        }
        (Some(FnArg::Receiver(r)), None) => {
            errors.spanned(
                r,
                format!(
                    "`{what}` is an associated fn without `self`; the signature is `{expected}`"
                ),
            );
            stray_self = true;
            inputs.next();
        }
        (_, Some(want)) => {
            let span = sig.paren_token.span.join();
            errors.push(syn::Error::new(
                span,
                format!("`{what}` must take `{want}` first; the signature is `{expected}`"),
            ));
        }
        (_, None) => {}
    }
    let rest: Vec<&FnArg> = inputs.collect();
    let shape_ok = rest.len() == args.len()
        && rest.iter().zip(args).all(|(arg, (kind, _))| match (arg, kind) {
            (FnArg::Typed(pt), Arg::Value) => !matches!(&*pt.ty, Type::Reference(_)),
            (FnArg::Typed(pt), kind) => {
                matches!(&*pt.ty, Type::Reference(r) if r.mutability.is_some() == (*kind == Arg::Mut))
            }
            (FnArg::Receiver(_), _) => false,
        });
    if !shape_ok && !stray_self {
        let wanted: Vec<&str> = args.iter().map(|(_, t)| *t).collect();
        let msg = format!(
            "`{what}` must take {}; the signature is `{expected}`",
            if wanted.is_empty() {
                "no other arguments".to_owned()
            } else {
                format!("`{}`", wanted.join(", "))
            }
        );
        if rest.is_empty() {
            errors.push(syn::Error::new(sig.paren_token.span.join(), msg));
        } else {
            errors.spanned(quote::quote!(#(#rest)*), msg);
        }
    }
    match (&sig.output, returns) {
        (ReturnType::Default, Some(ret)) => errors.push(syn::Error::new(
            sig.paren_token.span.close(),
            format!("`{what}` must return `{ret}`; add `-> {ret}`"),
        )),
        (ReturnType::Type(arrow, ty), None) if !is_unit(ty) => errors.spanned(
            quote::quote!(#arrow #ty),
            format!("`{what}` returns nothing; the signature is `{expected}`"),
        ),
        _ => {}
    }
}

fn is_unit(ty: &Type) -> bool {
    matches!(ty, Type::Tuple(t) if t.elems.is_empty())
}

/// `fn do_X(&mut self, req: &mut Request) -> io::Result<()>`.
fn check_do_signature(sig: &Signature, errors: &mut Errors) {
    let what = sig.ident.to_string();
    check_qualifiers(&what, sig, errors);
    let expected = DO_SIGNATURE.replace("do_X", &what);
    check_shape(
        &what,
        sig,
        Recv::RefMut,
        &[(Arg::Mut, "req: &mut Request")],
        Some("io::Result<()>"),
        &expected,
        errors,
    );
}

/// A hook's signature, as its [`HOOKS`] entry (after `Class` and
/// `Handler`) declares it.
fn check_hook(hook: &crate::hooks::Hook, sig: &Signature, errors: &mut Errors) {
    check_qualifiers(hook.name, sig, errors);
    check_shape(
        hook.name,
        sig,
        hook.recv,
        hook.args,
        hook.returns,
        hook.signature,
        errors,
    );
}

/// Finds `SimpleHttpRequestHandler::do_GET(self, ..)` (or another `do_*`
/// of a stock base type) in `tokens`: Python's `super().do_GET()` spelled
/// with the base type, whose own method takes the stock handler, not
/// `self` (rustc says only "mismatched types"). Reports each with the
/// trait call to write, and returns `tokens` with the base type replaced
/// by that trait, so that the impl re-emitted beside the error adds no
/// error of its own.
pub(crate) fn super_calls(tokens: TokenStream, krate: &Path, errors: &mut Errors) -> TokenStream {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = TokenStream::new();
    for (i, tree) in trees.iter().enumerate() {
        if let Some((base, trait_name, method)) = super_call_at(&trees, i) {
            errors.push(syn::Error::new(
                base.span(),
                format!(
                    "`{base}::{method}` is the stock handler's own method and takes a \
                     `{base}`, not `self`; to run the inherited `{method}` (Python's \
                     `super().{method}()`), write `{trait_name}::{method}(self, req)`"
                ),
            ));
            let trait_ident = Ident::new(trait_name, base.span());
            let qualified = i >= 2 && is_punct(&trees[i - 1], ':') && is_punct(&trees[i - 2], ':');
            out.extend(if qualified {
                quote!(#trait_ident)
            } else {
                quote!(#krate::handlers::#trait_ident)
            });
            continue;
        }
        match tree {
            TokenTree::Group(g) => {
                let mut inner = Group::new(g.delimiter(), super_calls(g.stream(), krate, errors));
                inner.set_span(g.span());
                out.extend([TokenTree::Group(inner)]);
            }
            other => out.extend([other.clone()]),
        }
    }
    out
}

/// `Base :: do_X (self` or `(self, ..` at `trees[i]`, with a stock `Base`:
/// the base, its trait and the method.
fn super_call_at(trees: &[TokenTree], i: usize) -> Option<(&Ident, &'static str, &Ident)> {
    let [
        TokenTree::Ident(base),
        c1,
        c2,
        TokenTree::Ident(method),
        TokenTree::Group(args),
        ..,
    ] = trees.get(i..)?
    else {
        return None;
    };
    let (_, trait_name) = STOCK_BASES.iter().find(|(b, _)| base == b)?;
    let mut inner = args.stream().into_iter();
    let first_is_self = matches!(inner.next(), Some(TokenTree::Ident(s)) if s == "self");
    let alone = inner.next().is_none_or(|t| is_punct(&t, ','));
    let call = is_punct(c1, ':')
        && is_punct(c2, ':')
        && method.to_string().starts_with("do_")
        && args.delimiter() == proc_macro2::Delimiter::Parenthesis;
    (call && first_is_self && alone).then_some((base, *trait_name, method))
}

fn is_punct(t: &TokenTree, c: char) -> bool {
    matches!(t, TokenTree::Punct(p) if p.as_char() == c)
}

/// The `#[http_handler]` placed on something that is not an inherent impl.
pub(crate) fn misplaced(item: &syn::Item) -> syn::Error {
    let msg = "`#[http_handler]` goes on an inherent `impl` block with `do_*` methods; \
               write `#[http_handler] impl MyHandler { fn do_GET(..) }`";
    match item {
        syn::Item::Impl(i) => match &i.trait_ {
            Some((path, for_)) => syn::Error::new_spanned(
                quote::quote!(#path #for_),
                "`#[http_handler]` cannot go on a trait impl; put it on an inherent \
                 `impl MyHandler { .. }` block (it implements `Handler` for you)",
            ),
            None => syn::Error::new(Span::call_site(), msg),
        },
        syn::Item::Struct(s) => syn::Error::new_spanned(&s.ident, msg),
        syn::Item::Enum(e) => syn::Error::new_spanned(&e.ident, msg),
        syn::Item::Fn(f) => syn::Error::new_spanned(&f.sig.ident, msg),
        syn::Item::Trait(t) => syn::Error::new_spanned(&t.ident, msg),
        syn::Item::Mod(m) => syn::Error::new_spanned(&m.ident, msg),
        other => syn::Error::new_spanned(other, msg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;
    use syn::parse_quote;

    #[test]
    fn method_names() {
        let ok = [
            "GET", "SPAM", "MKCOL", "M_SEARCH", "TEST", "CUSTOM", "X", "PROPFIND",
        ];
        for m in ok {
            assert_eq!(check_method_name(m, false), Ok(()), "{m}");
        }
        let bad: &[(&str, &str)] = &[
            (
                "get",
                "HTTP methods are case-sensitive, so `do_get` would only answer `get` requests; did you mean `do_GET`?",
            ),
            ("Post", "did you mean `do_POST`?"),
            ("options", "did you mean `do_OPTIONS`?"),
            (
                "gett",
                "would only answer `gett` requests; did you mean `do_GET`?",
            ),
            (
                "GETT",
                "`do_GETT` is not a standard HTTP method; did you mean `do_GET`?",
            ),
            ("PSOT", "did you mean `do_POST`?"),
            ("DELET", "did you mean `do_DELETE`?"),
            (
                "",
                "`do_` names no HTTP method; add the method after `do_`, e.g. `do_GET`",
            ),
            (
                "GÉT",
                "`do_GÉT` is not an HTTP method: `É` is not an HTTP token character",
            ),
        ];
        for (m, want) in bad {
            let got = check_method_name(m, false).unwrap_err();
            assert!(got.contains(want), "{m}: {got}");
        }
        assert_eq!(check_method_name("M-SEARCH", true), Ok(()));
        assert_eq!(
            check_method_name("GETT", true),
            Ok(()),
            "#[method] skips near-miss"
        );
        assert!(
            check_method_name("A B", true)
                .unwrap_err()
                .contains("` ` is not an HTTP token")
        );
    }

    #[test]
    fn distances() {
        assert_eq!(edit_distance("PSOT", "POST"), 1);
        assert_eq!(edit_distance("GETT", "GET"), 1);
        assert_eq!(edit_distance("TEST", "POST"), 2);
        assert_eq!(near_miss("HEAD"), None);
        assert_eq!(near_miss("PTACH"), Some("PATCH"));
    }

    fn messages(item: syn::ItemImpl, args: proc_macro2::TokenStream) -> Vec<String> {
        let mut errors = parse::Errors::default();
        let args = parse::args(args, &mut errors);
        let h = parse::handler(item, &mut errors);
        super::args(&args, &mut errors);
        handler(&h, &args, &mut errors);
        match errors.finish() {
            Ok(()) => Vec::new(),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn good_impl_has_no_errors() {
        let errs = messages(
            parse_quote! {
                impl<'a, T: Send> H<'a, T> {
                    fn do_GET(&mut self, req: &mut basehttp::Request) -> std::io::Result<()> { Ok(()) }
                    fn log_message(req: &Request, message: &str) {}
                    fn version_string(req: &Request) -> String { String::new() }
                    fn before_end_headers(req: &mut Request) -> io::Result<()> { Ok(()) }
                    fn handle_expect_100(&mut self, req: &mut Request) -> io::Result<bool> { Ok(true) }
                    fn class(&self) -> Class { Class::BASE }
                    fn after_response(req: &Request, exchange: &Exchange) {}
                }
            },
            quote::quote!(protocol_version = "HTTP/1.1"),
        );
        assert!(errs.is_empty(), "{errs:?}");
    }

    #[test]
    fn signature_errors_all_reported() {
        let errs = messages(
            parse_quote! {
                impl H {
                    async fn do_GET(&mut self, req: &mut Request) -> io::Result<()> { Ok(()) }
                    fn do_POST(&self, req: &mut Request) -> io::Result<()> { Ok(()) }
                    fn do_PUT(&mut self) -> io::Result<()> { Ok(()) }
                    fn do_HEAD(&mut self, req: &mut Request) {}
                    fn do_PATCH<T>(&mut self, req: &mut Request) -> io::Result<()> { Ok(()) }
                    fn do_TRACE(req: &mut Request) -> io::Result<()> { Ok(()) }
                    fn do_DELETE(&mut self, req: Request, x: u8) -> io::Result<()> { Ok(()) }
                    unsafe fn do_CONNECT(&mut self, req: &mut Request) -> io::Result<()> { Ok(()) }
                    fn version_string(&self) -> String { String::new() }
                    fn log_message(req: &Request, message: &str) -> bool { true }
                }
            },
            quote::quote!(protocol_version = "HTTP/2"),
        );
        let want = [
            "`protocol_version` must be \"HTTP/1.0\" or \"HTTP/1.1\", not \"HTTP/2\"",
            "`do_GET` cannot be `async`",
            "`do_POST` must take `&mut self`; the signature is `fn do_POST(&mut self, req: &mut Request) -> io::Result<()>`",
            "`do_PUT` must take `req: &mut Request`",
            "`do_HEAD` must return `io::Result<()>`; add `-> io::Result<()>`",
            "`do_PATCH` cannot have generic parameters",
            "`do_TRACE` must take `&mut self` first",
            "`do_DELETE` must take `req: &mut Request`",
            "`do_CONNECT` cannot be `unsafe`",
            "`version_string` is an associated fn without `self`",
            "`log_message` returns nothing",
        ];
        assert_eq!(errs.len(), want.len(), "{errs:#?}");
        for (got, want) in errs.iter().zip(want) {
            assert!(got.starts_with(want), "got {got}\nwant {want}");
        }
    }

    #[test]
    fn header_values_cannot_break_lines() {
        let errs = messages(
            parse_quote!(impl H { fn do_GET(&mut self, r: &mut R) -> io::Result<()> { Ok(()) } }),
            quote::quote!(
                server_version = "a\r\nX-Evil: 1",
                error_message_format = "a\nb"
            ),
        );
        assert_eq!(
            errs,
            ["`server_version` is sent in a header and cannot contain a line break; remove it"]
        );
    }

    #[test]
    fn empty_impl_needs_extends() {
        let errs = messages(parse_quote!(impl H {}), quote::quote!());
        assert_eq!(errs.len(), 1);
        assert!(errs[0].starts_with("`#[http_handler]` impl has no `do_*` method"));
        assert!(messages(parse_quote!(impl H {}), quote::quote!(extends = Base)).is_empty());
    }

    #[test]
    fn super_calls_through_the_base_type_name_the_trait() {
        let krate: Path = parse_quote!(::basehttp);
        let mut errors = parse::Errors::default();
        let body = quote::quote! {
            fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
                SimpleHttpRequestHandler::do_GET(self, req)?;
                basehttp::handlers::CgiHttpRequestHandler::do_POST(self, req)?;
                SimpleHttpRequestHandler::do_GET(&mut self.files, req)?;
                FileHandler::do_HEAD(self, req)
            }
        };
        let out = super_calls(body, &krate, &mut errors).to_string();
        let errs: Vec<String> = errors
            .finish()
            .unwrap_err()
            .into_iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(
            errs[0].ends_with("write `FileHandler::do_GET(self, req)`"),
            "{}",
            errs[0]
        );
        assert!(
            errs[1].ends_with("write `CgiHandler::do_POST(self, req)`"),
            "{}",
            errs[1]
        );
        assert!(
            out.contains(":: basehttp :: handlers :: FileHandler :: do_GET (self , req)"),
            "{out}"
        );
        assert!(
            out.contains("basehttp :: handlers :: CgiHandler :: do_POST"),
            "{out}"
        );
        assert!(
            out.contains("SimpleHttpRequestHandler :: do_GET (& mut self . files"),
            "{out}"
        );
    }

    #[test]
    fn misplaced_items() {
        let e = misplaced(&parse_quote!(impl Handler for H {}));
        assert!(
            e.to_string()
                .starts_with("`#[http_handler]` cannot go on a trait impl")
        );
        let e = misplaced(&parse_quote!(
            struct H;
        ));
        assert!(e.to_string().contains("goes on an inherent `impl` block"));
    }
}
