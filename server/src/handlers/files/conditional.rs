//! Conditional requests: CPython's `If-Modified-Since` rule (a port of
//! `email.utils.parsedate_to_datetime`, so exactly the dates Python accepts
//! are honoured), and, beyond CPython, strong `ETag`s with `If-None-Match`
//! (RFC 9110 §13.1.2) and `If-Range` (§13.1.5).

use std::time::{SystemTime, UNIX_EPOCH};

const MONTHNAMES: [&str; 24] = [
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const DAYNAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
/// `email._parseaddr._timezones` (in `±hhmm` form).
const TIMEZONES: [(&str, i64); 14] = [
    ("UT", 0),
    ("UTC", 0),
    ("GMT", 0),
    ("Z", 0),
    ("AST", -400),
    ("ADT", -300),
    ("EST", -500),
    ("EDT", -400),
    ("CST", -600),
    ("CDT", -500),
    ("MST", -700),
    ("MDT", -600),
    ("PST", -800),
    ("PDT", -700),
];

/// A date as `parsedate_to_datetime` returns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PyDate {
    /// Seconds since the epoch, reading the fields as UTC.
    pub utc_fields_epoch: i64,
    /// The zone offset in seconds; `None` for a naive datetime.
    pub offset: Option<i64>,
}

/// Python's `int(s)` for ASCII input: optional sign, digits, single `_`
/// between digits.
fn py_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    let neg = s.starts_with('-');
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let mut n: i64 = 0;
    for b in digits.bytes() {
        match b {
            b'_' => {}
            b'0'..=b'9' => n = n.checked_mul(10)?.checked_add(i64::from(b - b'0'))?,
            _ => return None,
        }
    }
    Some(if neg { -n } else { n })
}

/// `email._parseaddr._parsedate_tz`: `[yy, mm, dd, hh, mm, ss]` and the
/// offset in seconds (`None` = no usable zone).
fn parsedate_tz(data: &str) -> Option<([i64; 6], Option<i64>)> {
    let mut data: Vec<String> = crate::pystr::py_split(data)
        .into_iter()
        .map(str::to_owned)
        .collect();
    if data.is_empty() {
        return None;
    }
    if data[0].ends_with(',') || DAYNAMES.contains(&data[0].to_lowercase().as_str()) {
        data.remove(0);
    } else if let Some(i) = data[0].rfind(',') {
        data[0] = data[0][i + 1..].to_owned();
    }
    if data.len() == 3 {
        let stuff: Vec<String> = data[0].split('-').map(str::to_owned).collect();
        if stuff.len() == 3 {
            data = stuff.into_iter().chain(data[1..].iter().cloned()).collect();
        }
    }
    if data.len() == 4 {
        let s = data[3].clone();
        let i = s.find('+').or_else(|| s.find('-'));
        match i {
            Some(i) if i > 0 => {
                data.truncate(3);
                data.push(s[..i].to_owned());
                data.push(s[i..].to_owned());
            }
            _ => data.push(String::new()),
        }
    }
    if data.len() < 5 {
        return None;
    }
    let [mut dd, mut mm, mut yy, mut tm, mut tz] =
        <[String; 5]>::try_from(data[..5].to_vec()).ok()?;
    if dd.is_empty() || mm.is_empty() || yy.is_empty() {
        return None;
    }
    mm = mm.to_lowercase();
    if !MONTHNAMES.contains(&mm.as_str()) {
        (dd, mm) = (mm, dd.to_lowercase());
        if !MONTHNAMES.contains(&mm.as_str()) {
            return None;
        }
    }
    let mut month = MONTHNAMES.iter().position(|m| *m == mm)? as i64 + 1;
    if month > 12 {
        month -= 12;
    }
    if dd.ends_with(',') {
        dd.pop();
    }
    if yy.find(':').is_some_and(|i| i > 0) {
        std::mem::swap(&mut yy, &mut tm);
    }
    if yy.ends_with(',') {
        yy.pop();
        if yy.is_empty() {
            return None;
        }
    }
    if !yy.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        std::mem::swap(&mut yy, &mut tz);
    }
    if tm.ends_with(',') {
        tm.pop();
        if tm.is_empty() {
            return None;
        }
    }
    let mut parts: Vec<&str> = tm.split(':').collect();
    if parts.len() == 1 && tm.contains('.') {
        parts = tm.split('.').collect();
        if parts.len() != 2 && parts.len() != 3 {
            return None;
        }
    }
    let (thh, tmm, tss) = match parts.as_slice() {
        [h, m] => (*h, *m, "0"),
        [h, m, s] => (*h, *m, *s),
        _ => return None,
    };
    let mut year = py_int(&yy)?;
    let day = py_int(&dd)?;
    let (h, mi, s) = (py_int(thh)?, py_int(tmm)?, py_int(tss)?);
    if year < 100 {
        year += if year > 68 { 1900 } else { 2000 };
    }
    let tz = tz.to_uppercase();
    let mut offset = match TIMEZONES.iter().find(|(n, _)| *n == tz) {
        Some((_, o)) => Some(*o),
        None => {
            let o = py_int(&tz);
            if o == Some(0) && tz.starts_with('-') {
                None
            } else {
                o
            }
        }
    };
    if let Some(o) = offset
        && o != 0
    {
        let (sign, o) = if o < 0 { (-1, -o) } else { (1, o) };
        offset = Some(sign * ((o / 100) * 3600 + (o % 100) * 60));
    }
    Some(([year, month, day, h, mi, s], offset))
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Hinnant).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `email.utils.parsedate_to_datetime(value)`; `None` where Python raises
/// (unparsable, out-of-range fields, an offset of a day or more).
pub fn parsedate_to_datetime(value: &str) -> Option<PyDate> {
    let ([y, mo, d, h, mi, s], offset) = parsedate_tz(value)?;
    let valid = (1..=9999).contains(&y)
        && (1..=12).contains(&mo)
        && (1..=days_in_month(y, mo)).contains(&d)
        && (0..24).contains(&h)
        && (0..60).contains(&mi)
        && (0..60).contains(&s)
        && offset.is_none_or(|o| o.abs() < 86_400);
    if !valid {
        return None;
    }
    Some(PyDate {
        utc_fields_epoch: days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s,
        offset,
    })
}

/// Whole seconds of a modification time since the epoch (negative before it).
pub fn mtime_secs(mtime: SystemTime) -> i64 {
    match mtime.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            let s = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            if d.subsec_nanos() > 0 { -s - 1 } else { -s }
        }
    }
}

/// CPython's `send_head` rule: `true` (answer 304) if `If-Modified-Since`
/// parses, is UTC or zone-less, and is not older than the file's mtime
/// truncated to seconds.
pub fn not_modified_since(ims: &str, mtime: SystemTime) -> bool {
    match parsedate_to_datetime(ims) {
        Some(d) if d.offset.is_none_or(|o| o == 0) => mtime_secs(mtime) <= d.utc_fields_epoch,
        _ => false,
    }
}

/// A strong entity tag from the file's modification time and size:
/// `"<mtime seconds hex>.<nanoseconds hex>-<size hex>"`.
pub fn etag(mtime: SystemTime, size: u64) -> String {
    let d = mtime.duration_since(UNIX_EPOCH).unwrap_or_default();
    format!("\"{:x}.{:x}-{:x}\"", d.as_secs(), d.subsec_nanos(), size)
}

/// `If-None-Match` evaluation (RFC 9110 §13.1.2, weak comparison): `true`
/// if some listed tag, or `*`, matches `etag` (the condition is false and
/// a GET/HEAD is answered 304).
pub fn none_match_hits(header: &str, etag: &str) -> bool {
    if header.trim() == "*" {
        return true;
    }
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let mine = opaque(etag);
    header.split(',').any(|t| opaque(t) == mine)
}

/// `If-Range` (RFC 9110 §13.1.5): `true` if the range may be served. An
/// entity tag must match strongly; a date must equal `Last-Modified`.
pub fn if_range_matches(header: &str, etag: &str, mtime: SystemTime) -> bool {
    let header = header.trim();
    if header.starts_with('"') {
        return header == etag;
    }
    if header.starts_with("W/") {
        return false;
    }
    match crate::date::parse_http_date(header) {
        Some(t) => mtime_secs(t) == mtime_secs(mtime),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn parsedate_formats() {
        // 1700000000 = Tue, 14 Nov 2023 22:13:20 GMT
        let utc = Some(PyDate {
            utc_fields_epoch: 1_700_000_000,
            offset: Some(0),
        });
        let naive = Some(PyDate {
            utc_fields_epoch: 1_700_000_000,
            offset: None,
        });
        let cases = [
            ("Tue, 14 Nov 2023 22:13:20 GMT", utc),
            ("Tuesday, 14-Nov-23 22:13:20 GMT", utc),
            ("Tue Nov 14 22:13:20 2023", naive),
            ("14 Nov 2023 22:13:20 +0000", utc),
            ("14 Nov 2023 22:13:20 -0000", naive),
            ("14 Nov 2023 22:13:20 FOO", naive),
            ("Tue,14 Nov 2023 22:13:20 GMT", utc),
            ("garbage", None),
            ("", None),
            ("Tue, 31 Feb 2023 22:13:20 GMT", None),
            ("Tue, 14 Nov 2023 24:13:20 GMT", None),
            (
                "Tue, 14 Nov 2023 22:13 GMT",
                utc.map(|d| PyDate {
                    utc_fields_epoch: d.utc_fields_epoch - 20,
                    ..d
                }),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(parsedate_to_datetime(input), want, "{input:?}");
        }
        let plus = parsedate_to_datetime("14 Nov 2023 22:13:20 +0100").unwrap();
        assert_eq!(plus.offset, Some(3600));
        let est = parsedate_to_datetime("14 Nov 2023 22:13:20 EST").unwrap();
        assert_eq!(est.offset, Some(-18000));
    }

    #[test]
    fn ims_rules() {
        let mtime = UNIX_EPOCH + Duration::from_millis(1_700_000_000_750);
        assert!(not_modified_since("Tue, 14 Nov 2023 22:13:20 GMT", mtime));
        assert!(!not_modified_since("Tue, 14 Nov 2023 22:13:19 GMT", mtime));
        assert!(!not_modified_since(
            "Tue, 14 Nov 2099 22:13:20 +0100",
            mtime
        ));
        assert!(!not_modified_since("Tue, 14 Nov 2099 22:13:20 EST", mtime));
        assert!(not_modified_since("Tue, 14 Nov 2099 22:13:20 -0000", mtime));
        assert!(!not_modified_since("garbage", mtime));
    }

    #[test]
    fn etag_matching() {
        let mtime = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let tag = etag(mtime, 6);
        assert_eq!(tag, "\"6553f100.0-6\"");
        assert!(none_match_hits("*", &tag));
        assert!(none_match_hits(&format!("\"x\", W/{tag}"), &tag));
        assert!(!none_match_hits("\"x\"", &tag));
        assert!(if_range_matches(&tag, &tag, mtime));
        assert!(!if_range_matches(&format!("W/{tag}"), &tag, mtime));
        assert!(if_range_matches(
            "Tue, 14 Nov 2023 22:13:20 GMT",
            &tag,
            mtime
        ));
        assert!(!if_range_matches(
            "Tue, 14 Nov 2023 22:13:21 GMT",
            &tag,
            mtime
        ));
    }
}
