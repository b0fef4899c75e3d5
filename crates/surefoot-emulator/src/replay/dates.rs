//! HTTP-dates moved to the real clock: a `retry_after` vector states its `Retry-After` date
//! relative to its own `now`, and the replay server serves it relative to the real one, in
//! the format the vector wrote it in.

use std::time::{SystemTime, UNIX_EPOCH};

/// Whole Unix seconds of `t` (0 before the epoch).
pub(super) fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Moves an HTTP-date by (real now − `from`) seconds, in the format it was written in
/// (IMF-fixdate, RFC 850 or asctime). A value that is no HTTP-date is kept as is.
pub(super) fn shift_date(value: &str, from: u64) -> String {
    let Ok(date) = httpdate::parse_http_date(value.trim()) else {
        return value.to_owned();
    };
    let now = unix(SystemTime::now()) as i64;
    let t = unix(date) as i64 + (now - from as i64);
    let t = t.max(0);
    let v = value.trim();
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let wd = (days + 4).rem_euclid(7) as usize; // 1970-01-01 was a Thursday
    const SHORT: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const LONG: [&str; 7] = [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (hh, mm, ss) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mon = MONTHS[(m - 1) as usize];
    if !v.contains(',') {
        format!("{} {mon} {d:>2} {hh:02}:{mm:02}:{ss:02} {y}", SHORT[wd])
    } else if v.split(',').next().is_some_and(|w| w.len() > 3) {
        format!(
            "{}, {d:02}-{mon}-{:02} {hh:02}:{mm:02}:{ss:02} GMT",
            LONG[wd],
            y % 100
        )
    } else {
        format!(
            "{}, {d:02} {mon} {y} {hh:02}:{mm:02}:{ss:02} GMT",
            SHORT[wd]
        )
    }
}

/// Days since 1970-01-01 → (year, month 1–12, day 1–31) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::super::DEFAULT_NOW_UNIX;
    use super::*;

    #[test]
    fn dates_keep_their_format() {
        let now = unix(SystemTime::now());
        for v in [
            "Wed, 21 Oct 2015 07:28:30 GMT",
            "Wednesday, 21-Oct-15 07:28:30 GMT",
            "Wed Oct 21 07:28:30 2015",
        ] {
            let shifted = shift_date(v, DEFAULT_NOW_UNIX);
            let t = unix(httpdate::parse_http_date(&shifted).unwrap());
            assert!((now + 29..=now + 31).contains(&t), "{v} -> {shifted}");
            assert_eq!(shifted.contains(','), v.contains(','), "{shifted}");
            assert_eq!(shifted.contains('-'), v.contains('-'), "{shifted}");
        }
        assert_eq!(
            shift_date("Wed, 32 Oct 2015 07:28:30 GMT", 0),
            "Wed, 32 Oct 2015 07:28:30 GMT"
        );
    }
}
