//! Conditional requests: CPython's `If-Modified-Since` rule (a port of
//! `email.utils.parsedate_to_datetime`, so exactly the dates Python accepts
//! are honoured), and, beyond CPython, strong `ETag`s with `If-None-Match`
//! (RFC 9110 §13.1.2) and `If-Range` (§13.1.5).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::date::{days_from_civil, days_in_month, imf_fixdate};
use crate::pystr::{PyIntError, py_int};

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
pub(crate) struct PyDate {
    /// Seconds since the epoch, reading the fields as UTC.
    pub utc_fields_epoch: i64,
    /// The zone offset in seconds; `None` for a naive datetime.
    pub offset: Option<i64>,
}

/// `email._parseaddr._parsedate_tz`: `[yy, mm, dd, hh, mm, ss]` and the
/// offset in seconds (`None` = no usable zone). An offset is `i128` because
/// Python's is unbounded: a hostile one saturates, and is then rejected as
/// a day or more by [`parsedate_to_datetime`].
fn parsedate_tz(data: &str) -> Option<([i64; 6], Option<i128>)> {
    let [dd, mm, mut yy, mut tm, mut tz] = date_words(data)?;
    if dd.is_empty() || mm.is_empty() || yy.is_empty() {
        return None;
    }
    let (mut dd, month) = day_and_month(dd, &mm)?;
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
    let [thh, tmm, tss] = time_words(&tm)?;
    let mut year = int_field(&yy)?;
    let day = int_field(&dd)?;
    let (h, mi, s) = (int_field(thh)?, int_field(tmm)?, int_field(tss)?);
    if year < 100 {
        year += if year > 68 { 1900 } else { 2000 };
    }
    Some(([year, month, day, h, mi, s], zone_offset(&tz)))
}

/// The first part of `_parsedate_tz`, up to `[dd, mm, yy, tm, tz] =
/// data[:5]`: the words of `data` without a day name, with `dd-mm-yy`
/// split into three and a zone glued to the time (`22:13:20+0100`) split
/// off (or an empty zone added).
fn date_words(data: &str) -> Option<[String; 5]> {
    let mut data: Vec<String> = crate::pystr::py_split(data)
        .into_iter()
        .map(str::to_owned)
        .collect();
    let first = data.first()?;
    if first.ends_with(',') || DAYNAMES.contains(&first.to_lowercase().as_str()) {
        data.remove(0);
    } else if let Some(i) = first.rfind(',') {
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
    data.truncate(5);
    <[String; 5]>::try_from(data).ok()
}

/// The day word and the month number (1-12): `mm` names the month, or
/// else `dd` does and the two are swapped (`Nov 14`); `None` if neither.
fn day_and_month(dd: String, mm: &str) -> Option<(String, i64)> {
    let mut mm = mm.to_lowercase();
    let mut dd = dd;
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
    Some((dd, month))
}

/// `hh:mm[:ss]` (or `hh.mm[.ss]`) split into hours, minutes and seconds
/// (`"0"` when absent).
fn time_words(tm: &str) -> Option<[&str; 3]> {
    let mut parts: Vec<&str> = tm.split(':').collect();
    if parts.len() == 1 && tm.contains('.') {
        parts = tm.split('.').collect();
        if parts.len() != 2 && parts.len() != 3 {
            return None;
        }
    }
    match parts.as_slice() {
        [h, m] => Some([*h, *m, "0"]),
        [h, m, s] => Some([*h, *m, *s]),
        _ => None,
    }
}

/// `int(field)` for a date field. Python would go on with a value beyond
/// `i64`, but no such year, day or time is valid, so it is `None` at once.
fn int_field(s: &str) -> Option<i64> {
    i64::try_from(py_int(s).ok()?).ok()
}

/// The zone's offset in seconds: a name from `_timezones` or `±hhmm`
/// (`-0000` and anything else unusable is `None`, a naive datetime).
/// Saturates where Python's unbounded arithmetic would go on.
fn zone_offset(tz: &str) -> Option<i128> {
    let tz = tz.to_uppercase();
    let hhmm = match TIMEZONES.iter().find(|(n, _)| *n == tz) {
        Some((_, o)) => i128::from(*o),
        None => match py_int(&tz) {
            Ok(0) if tz.starts_with('-') => return None,
            Ok(o) => o,
            // Python's `int` has no bound: the offset is over a day anyway.
            Err(PyIntError::TooLarge) => i128::MAX,
            Err(PyIntError::Invalid) => return None,
        },
    };
    let (hh, mm) = (hhmm.unsigned_abs() / 100, hhmm.unsigned_abs() % 100);
    let secs = i128::try_from(hh.saturating_mul(3600).saturating_add(mm * 60)).unwrap_or(i128::MAX);
    Some(if hhmm < 0 { -secs } else { secs })
}

/// `email.utils.parsedate_to_datetime(value)`; `None` where Python raises
/// (unparsable, out-of-range fields, an offset of a day or more).
pub(crate) fn parsedate_to_datetime(value: &str) -> Option<PyDate> {
    let ([y, mo, d, h, mi, s], offset) = parsedate_tz(value)?;
    let valid = (1..=9999).contains(&y)
        && (1..=12).contains(&mo)
        && (1..=days_in_month(y, mo)).contains(&d)
        && (0..24).contains(&h)
        && (0..60).contains(&mi)
        && (0..60).contains(&s);
    // `datetime.timezone` takes only offsets strictly within a day.
    let offset = match offset {
        None => None,
        Some(o) if o.unsigned_abs() < 86_400 => i64::try_from(o).ok(),
        Some(_) => return None,
    };
    if !valid {
        return None;
    }
    Some(PyDate {
        utc_fields_epoch: days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s,
        offset,
    })
}

/// Whole seconds of a modification time since the epoch (negative before it).
pub(crate) fn mtime_secs(mtime: SystemTime) -> i64 {
    match mtime.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            let s = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            if d.subsec_nanos() > 0 { -s - 1 } else { -s }
        }
    }
}

/// `email.utils.formatdate(mtime, usegmt=True)` (`Last-Modified`), also for
/// times before 1970, which `httpdate` cannot format.
pub(crate) fn last_modified(mtime: SystemTime) -> String {
    imf_fixdate(mtime_secs(mtime))
}

/// CPython's `send_head` rule: `true` (answer 304) if `If-Modified-Since`
/// parses, is UTC or zone-less, and is not older than the file's mtime
/// truncated to seconds.
pub(crate) fn not_modified_since(ims: &str, mtime: SystemTime) -> bool {
    match parsedate_to_datetime(ims) {
        Some(d) if d.offset.is_none_or(|o| o == 0) => mtime_secs(mtime) <= d.utc_fields_epoch,
        _ => false,
    }
}

/// A strong entity tag from the file's modification time and size:
/// `"<mtime seconds hex>.<nanoseconds hex>-<size hex>"`.
pub(crate) fn etag(mtime: SystemTime, size: u64) -> String {
    let d = mtime.duration_since(UNIX_EPOCH).unwrap_or_default();
    format!("\"{:x}.{:x}-{:x}\"", d.as_secs(), d.subsec_nanos(), size)
}

/// `If-None-Match` evaluation (RFC 9110 §13.1.2, weak comparison): `true`
/// if some listed tag, or `*`, matches `etag` (the condition is false and
/// a GET/HEAD is answered 304).
pub(crate) fn none_match_hits(header: &str, etag: &str) -> bool {
    if header.trim() == "*" {
        return true;
    }
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let mine = opaque(etag);
    header.split(',').any(|t| opaque(t) == mine)
}

/// `If-Range` (RFC 9110 §13.1.5): `true` if the range may be served. An
/// entity tag must match strongly; a date must equal `Last-Modified`.
pub(crate) fn if_range_matches(header: &str, etag: &str, mtime: SystemTime) -> bool {
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

/// The fuzz target `http_date` (built with `--cfg fuzzing`; its corpus is
/// replayed by `cargo test`): the input, read as a header value is
/// (latin-1), through the `If-Modified-Since` parser and the `If-Range`
/// one; and an instant taken from its first eight bytes written as
/// `Last-Modified` is. Panics if a parsed date is out of Python's range, if
/// a date written out does not read back as the same instant, or if the
/// 304 and `If-Range` rules disagree with the date they parsed.
#[cfg(any(test, fuzzing))]
pub(crate) fn fuzz_dates(data: &[u8]) {
    use crate::date::{date_time_string, parse_http_date};
    const DAY: i64 = 86_400;
    let at = |secs: i64| match u64::try_from(secs) {
        Ok(s) => UNIX_EPOCH + std::time::Duration::from_secs(s),
        Err(_) => UNIX_EPOCH - std::time::Duration::from_secs(secs.unsigned_abs()),
    };
    let gmt = |secs| PyDate {
        utc_fields_epoch: secs,
        offset: Some(0),
    };
    // Years 1 to 9999; Python reads a year below 100 as 19xx or 20xx, so
    // only dates from year 100 on read back as written.
    let (first, from_100, end) = (
        days_from_civil(1, 1, 1) * DAY,
        days_from_civil(100, 1, 1) * DAY,
        days_from_civil(10_000, 1, 1) * DAY,
    );
    let value = crate::pystr::latin1(data);
    if let Some(d) = parsedate_to_datetime(&value) {
        let secs = d.utc_fields_epoch;
        assert!((first..end).contains(&secs), "{value:?}: {d:?}");
        assert!(d.offset.is_none_or(|o| o.abs() < DAY), "{value:?}: {d:?}");
        if secs >= from_100 {
            assert_eq!(parsedate_to_datetime(&imf_fixdate(secs)), Some(gmt(secs)));
        }
        let utc = d.offset.is_none_or(|o| o == 0);
        assert_eq!(not_modified_since(&value, at(secs)), utc, "{value:?}");
        assert!(!not_modified_since(&value, at(secs + 1)), "{value:?}");
    }
    if let Some(t) = parse_http_date(&value) {
        assert_eq!(parse_http_date(&date_time_string(t)), Some(t), "{value:?}");
        assert!(if_range_matches(&value, "\"tag\"", t), "{value:?}");
    }
    if let Some(bytes) = data.first_chunk::<8>() {
        let secs = from_100 + i64::from_le_bytes(*bytes).rem_euclid(end - from_100);
        let text = imf_fixdate(secs);
        assert_eq!(parsedate_to_datetime(&text), Some(gmt(secs)), "{text}");
        if secs >= 0 {
            assert_eq!(parse_http_date(&text), Some(at(secs)), "{text}");
        }
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

    /// A zone offset Python's unbounded `int` reads but `datetime.timezone`
    /// rejects (a day or more): `parsedate_to_datetime` raises, `send_head`
    /// ignores the header. Used to overflow `(o / 100) * 3600` (a panic in
    /// a debug build) or, past `i64`, to read as a naive date.
    #[test]
    fn hostile_zone_offsets_are_rejected() {
        let mtime = UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        for zone in [
            "+2400",
            "-2400",
            "+99999999999999999",
            "+999999999999999999",
            "-999999999999999999",
            "+9999999999999999999",
            "+99999999999999999999999999999999999999999",
            "-99999999999999999999999999999999999999999",
        ] {
            let ims = format!("Sun, 13 Sep 2020 12:26:40 {zone}");
            assert_eq!(parsedate_to_datetime(&ims), None, "{ims}");
            assert!(!not_modified_since(&ims, mtime), "{ims}");
        }
        let ok = parsedate_to_datetime("Sun, 13 Sep 2020 12:26:40 +2359").unwrap();
        assert_eq!(ok.offset, Some(86_340));
    }

    #[test]
    fn last_modified_format() {
        let at = |s: i64| {
            if s >= 0 {
                UNIX_EPOCH + Duration::from_secs(s as u64)
            } else {
                UNIX_EPOCH - Duration::from_secs((-s) as u64)
            }
        };
        let cases = [
            (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
            (1_700_000_000, "Tue, 14 Nov 2023 22:13:20 GMT"),
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
            (-315_619_200, "Fri, 01 Jan 1960 00:00:00 GMT"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        ];
        for (s, want) in cases {
            assert_eq!(last_modified(at(s)), want, "{s}");
        }
        let frac = UNIX_EPOCH - Duration::from_millis(500);
        assert_eq!(last_modified(frac), "Wed, 31 Dec 1969 23:59:59 GMT");
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
