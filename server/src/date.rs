//! Dates as `BaseHTTPRequestHandler` writes them: `date_time_string()` (an
//! RFC 9110 IMF-fixdate, `email.utils.formatdate(usegmt=True)`) and
//! `log_date_time_string()` (`23/Nov/2026 12:06:36`).
//!
//! The log timestamp is in UTC; CPython uses the local time zone, which is
//! the same on the UTC machines this is deployed and tested on.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `date_time_string(timestamp)`: `Sun, 06 Nov 1994 08:49:37 GMT`, seconds truncated.
pub fn date_time_string(t: SystemTime) -> String {
    httpdate::fmt_http_date(t)
}

/// `log_date_time_string()` for a given time: `23/Nov/2026 12:06:36`.
pub fn log_date_time_string(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
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
pub fn parse_http_date(s: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(s).ok()
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
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
}
