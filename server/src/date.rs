//! Dates as `BaseHTTPRequestHandler` writes them: `date_time_string()` (an
//! RFC 9110 IMF-fixdate, `email.utils.formatdate(usegmt=True)`) and
//! `log_date_time_string()` (`23/Nov/2026 12:06:36`); and the one civil-date
//! algorithm (Howard Hinnant's `days_from_civil` / `civil_from_days`) that
//! every date in the crate is computed with.
//!
//! The log timestamp is in UTC; CPython uses the local time zone, which is
//! the same on the UTC machines this is deployed and tested on.

use std::cell::RefCell;
use std::thread::LocalKey;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Month abbreviations, as `email.utils` and `BaseHTTPRequestHandler.monthname` write them.
pub(crate) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Weekday abbreviations from Monday, as `email.utils` writes them.
pub(crate) const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Seconds in a day.
const DAY: i64 = 86_400;

thread_local! {
    static HTTP_DATE: RefCell<(i64, String)> = const { RefCell::new((0, String::new())) };
    static LOG_DATE: RefCell<(i64, String)> = const { RefCell::new((0, String::new())) };
    static FIXDATE: RefCell<(i64, String)> = const { RefCell::new((0, String::new())) };
}

/// `format(secs)`, remembered per thread for the last second asked: every
/// response and log line of a busy second shows the same few dates, so
/// each is formatted once a second instead of once a request.
fn memo(
    cell: &'static LocalKey<RefCell<(i64, String)>>,
    secs: i64,
    format: fn(i64) -> String,
) -> String {
    cell.with(|c| {
        let mut c = c.borrow_mut();
        if c.0 != secs || c.1.is_empty() {
            *c = (secs, format(secs));
        }
        c.1.clone()
    })
}

fn unix_secs(t: SystemTime) -> i64 {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    i64::try_from(secs).unwrap_or(i64::MAX)
}

/// `date_time_string(timestamp)`: `Sun, 06 Nov 1994 08:49:37 GMT`, seconds truncated.
pub(crate) fn date_time_string(t: SystemTime) -> String {
    memo(&HTTP_DATE, unix_secs(t), |secs| {
        httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs()))
    })
}

/// `log_date_time_string()` for a given time: `23/Nov/2026 12:06:36`.
pub(crate) fn log_date_time_string(t: SystemTime) -> String {
    memo(&LOG_DATE, unix_secs(t), format_log_date)
}

fn format_log_date(secs: i64) -> String {
    let secs = secs.unsigned_abs();
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!(
        "{:02}/{}/{:04} {:02}:{:02}:{:02}",
        d,
        MONTHS[(m - 1) as usize],
        y,
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// Parses an HTTP date (IMF-fixdate, RFC 850 or asctime) to a time.
pub(crate) fn parse_http_date(s: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(s).ok()
}

/// `email.utils.formatdate(secs, usegmt=True)` for whole seconds since the
/// epoch, also before 1970 (which `httpdate` cannot format):
/// `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) fn imf_fixdate(secs: i64) -> String {
    memo(&FIXDATE, secs, format_imf_fixdate)
}

fn format_imf_fixdate(secs: i64) -> String {
    let days = secs.div_euclid(DAY);
    let tod = secs.rem_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        // 1970-01-01 was a Thursday.
        WEEKDAYS[(days + 3).rem_euclid(7) as usize],
        d,
        MONTHS[(m - 1) as usize],
        y,
        tod / 3600,
        tod / 60 % 60,
        tod % 60
    )
}

/// The number of days in month `m` (1-12) of the proleptic Gregorian year `y`.
pub(crate) fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Hinnant's
/// `days_from_civil`); `m` is 1-12.
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to (year, month, day), Hinnant's `civil_from_days`.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_date_time_string() {
        let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(date_time_string(t), "Sun, 06 Nov 1994 08:49:37 GMT");
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_750);
        assert_eq!(date_time_string(t), "Tue, 14 Nov 2023 22:13:20 GMT");
    }

    #[test]
    fn log_date_format() {
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(log_date_time_string(t), "14/Nov/2023 22:13:20");
        assert_eq!(log_date_time_string(UNIX_EPOCH), "01/Jan/1970 00:00:00");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(log_date_time_string(leap), "29/Feb/2000 00:00:00");
    }

    #[test]
    fn civil_round_trip() {
        for days in [-719_468, -1, 0, 1, 10_956, 11_016, 19_675, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m.into(), d.into()), days, "{days}");
        }
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(imf_fixdate(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(imf_fixdate(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
    }
}
