//! Time helpers: RFC 3339 timestamps without a date crate, the milliseconds-since-start
//! clock that stats use, and the distance to the next UTC midnight (when PyAI daily caps
//! reset). Everything here is pure arithmetic on `SystemTime`/`Instant`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds in a day.
pub(crate) const DAY_SECS: u64 = 86_400;

/// Formats a Unix timestamp (seconds + milliseconds) as RFC 3339 UTC, e.g.
/// `2025-01-01T00:00:00Z` (or `...00.123Z` when `millis` is non-zero).
pub(crate) fn rfc3339(unix_secs: i64, millis: u32) -> String {
    let days = unix_secs.div_euclid(DAY_SECS as i64);
    let rem = unix_secs.rem_euclid(DAY_SECS as i64);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    if millis == 0 {
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{millis:03}Z")
    }
}

/// The current wall-clock time as RFC 3339 UTC with milliseconds.
pub(crate) fn now_rfc3339() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    rfc3339(since.as_secs() as i64, since.subsec_millis())
}

/// The current UTC day number (days since the Unix epoch).
pub(crate) fn utc_day(now: SystemTime) -> u64 {
    now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() / DAY_SECS
}

/// Time left until the next UTC midnight, in whole seconds (at least 1).
pub(crate) fn secs_to_utc_midnight(now: SystemTime) -> u64 {
    let secs = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    (DAY_SECS - secs % DAY_SECS).max(1)
}

/// `Retry-After` seconds for a wait: rounded up, at least 1.
pub(crate) fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs_f64().ceil() as u64;
    secs.max(1)
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
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
    fn formats_known_dates() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_704_067_200, 0), "2024-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_709_210_096, 5), "2024-02-29T12:34:56.005Z");
    }

    #[test]
    fn midnight_distance() {
        let t = UNIX_EPOCH + Duration::from_secs(DAY_SECS * 10 + 86_399);
        assert_eq!(secs_to_utc_midnight(t), 1);
        let t = UNIX_EPOCH + Duration::from_secs(DAY_SECS * 10);
        assert_eq!(secs_to_utc_midnight(t), DAY_SECS);
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(20)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1001)), 2);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}
