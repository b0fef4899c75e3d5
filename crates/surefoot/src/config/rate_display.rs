//! How a rate limit and a wait read to people, on every surface (Python reprs, the CLI's summary and
//! progress, C strings): a configured limit as written (`500/min`, `20/s burst 5`), a
//! learned one — whose window is an odd fraction of a second — as an approximate rate in
//! the largest unit that keeps it at least 1 (`≈36/s`, `≈12/min`, `≈3/h`), never
//! `1/0.027741216s`. [`RateLimit`]'s own `Display` stays exact (it parses back).

use std::fmt;
use std::time::Duration;

use super::rate_limit::RateLimit;

/// A rate limit shown for people; see [`RateLimit::human`].
#[derive(Debug, Clone, Copy)]
pub struct HumanRate(RateLimit);

impl RateLimit {
    /// The limit as people read it: exact when its window is a whole unit, else `≈N/s`
    /// (or `/min`, `/h`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use surefoot::RateLimit;
    /// assert_eq!(RateLimit::per_minute(500).human().to_string(), "500/min");
    /// assert_eq!(RateLimit::per_second(20).burst(5).human().to_string(), "20/s burst 5");
    /// let learned = RateLimit::new(1, Duration::from_secs_f64(0.027741216));
    /// assert_eq!(learned.human().to_string(), "≈36/s");
    /// let slow = RateLimit::new(1, Duration::from_secs_f64(7.3));
    /// assert_eq!(slow.human().to_string(), "≈8.2/min");
    /// ```
    pub fn human(&self) -> HumanRate {
        HumanRate(*self)
    }
}

const UNITS: [(&str, u64); 3] = [("s", 1), ("min", 60), ("h", 3600)];

fn whole_unit(per: Duration) -> bool {
    per.subsec_nanos() == 0 && UNITS.iter().any(|(_, s)| per.as_secs() == *s)
}

impl fmt::Display for HumanRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = self.0;
        if whole_unit(l.per()) {
            return write!(f, "{l}");
        }
        let per_sec = f64::from(l.requests()) / l.per().as_secs_f64().max(f64::MIN_POSITIVE);
        let (unit, rate) = UNITS
            .iter()
            .map(|(u, s)| (*u, per_sec * *s as f64))
            .find(|(_, r)| *r >= 1.0)
            .unwrap_or(("h", per_sec * 3600.0));
        if rate >= 10.0 {
            write!(f, "≈{rate:.0}/{unit}")?;
        } else {
            let shown = format!("{rate:.1}");
            write!(f, "≈{}/{unit}", shown.trim_end_matches(".0"))?;
        }
        if l.burst_size() > 1 {
            write!(f, " burst {}", l.burst_size())?;
        }
        Ok(())
    }
}

/// A duration as people read it: `850ms`, `1.5s`, `250µs`, never `0.0s` for a short one.
///
/// ```
/// use std::time::Duration;
/// use surefoot::pacing::human_duration;
/// assert_eq!(human_duration(Duration::from_millis(1)), "1ms");
/// assert_eq!(human_duration(Duration::from_micros(40)), "40µs");
/// assert_eq!(human_duration(Duration::from_millis(1500)), "1.5s");
/// assert_eq!(human_duration(Duration::ZERO), "0s");
/// ```
pub fn human_duration(d: Duration) -> String {
    if d.is_zero() {
        "0s".to_string()
    } else if d < Duration::from_millis(1) {
        format!("{}µs", d.as_micros())
    } else if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        let s = format!("{:.1}", d.as_secs_f64());
        format!("{}s", s.trim_end_matches(".0"))
    }
}
