//! [`RateLimit`]: a request rate with a burst, its `"500/min"` / `"20/s burst 5"` syntax,
//! and the safety margin the pacer adds on top of a limit before enforcing it.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::error::{Error, InvalidRequestReason};

/// The largest restart gap the safety margin adds (see [`RateLimit::restart_gap`]).
const MAX_RESTART_GAP: Duration = Duration::from_millis(20);

/// A rate limit: `requests` per `per`, allowing bursts of `burst` requests at once
/// (default 1: evenly spaced). Enforced with GCRA: one request every
/// [`emission_interval`](RateLimit::emission_interval), with up to `burst - 1` requests
/// of credit banked while idle.
///
/// ```
/// use std::time::Duration;
/// use surefoot::RateLimit;
/// let l = RateLimit::per_second(20).burst(5);
/// assert_eq!(l.emission_interval(), Duration::from_millis(50));
/// assert_eq!(l.burst_size(), 5);
/// assert_eq!("500/min".parse::<RateLimit>().unwrap(), RateLimit::per_minute(500));
/// assert_eq!(l.to_string(), "20/s burst 5");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    requests: u32,
    per: Duration,
    burst: u32,
    /// Extra spacing after a schedule (re)starts from idle; see [`RateLimit::restart_gap`].
    restart_gap: Duration,
}

impl RateLimit {
    /// `n` requests per second (`n` of 0 is treated as 1).
    ///
    /// ```
    /// assert_eq!(surefoot::RateLimit::per_second(4).per(), std::time::Duration::from_secs(1));
    /// ```
    pub fn per_second(n: u32) -> Self {
        Self::new(n, Duration::from_secs(1))
    }

    /// `n` requests per minute (`n` of 0 is treated as 1).
    ///
    /// ```
    /// assert_eq!(surefoot::RateLimit::per_minute(500).requests(), 500);
    /// ```
    pub fn per_minute(n: u32) -> Self {
        Self::new(n, Duration::from_secs(60))
    }

    /// `requests` per `per`. A `requests` of 0 is treated as 1 and a zero `per` as 1 ns
    /// (use [`RateLimit::parse`] to reject such values instead).
    ///
    /// ```
    /// use std::time::Duration;
    /// let l = surefoot::RateLimit::new(10, Duration::from_secs(2));
    /// assert_eq!(l.emission_interval(), Duration::from_millis(200));
    /// ```
    pub fn new(requests: u32, per: Duration) -> Self {
        RateLimit {
            requests: requests.max(1),
            per: per.max(Duration::from_nanos(1)),
            burst: 1,
            restart_gap: Duration::ZERO,
        }
    }

    /// Allow bursts of up to `burst` requests (0 is treated as 1).
    ///
    /// ```
    /// assert_eq!(surefoot::RateLimit::per_second(20).burst(5).burst_size(), 5);
    /// ```
    pub fn burst(self, burst: u32) -> Self {
        RateLimit {
            burst: burst.max(1),
            ..self
        }
    }

    /// Requests allowed per [`per`](RateLimit::per).
    ///
    /// ```
    /// assert_eq!(surefoot::RateLimit::per_second(7).requests(), 7);
    /// ```
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// The window the `requests` are counted over.
    ///
    /// ```
    /// assert_eq!(surefoot::RateLimit::per_minute(7).per().as_secs(), 60);
    /// ```
    pub fn per(&self) -> Duration {
        self.per
    }

    /// The burst size (1 = evenly spaced).
    ///
    /// ```
    /// assert_eq!(surefoot::RateLimit::per_minute(7).burst_size(), 1);
    /// ```
    pub fn burst_size(&self) -> u32 {
        self.burst
    }

    /// Extra spacing a store adds after the first request of a schedule that (re)starts
    /// from idle. Zero for limits you build; the pacer's safety margin sets it (at most
    /// 20 ms) on the limit it enforces, so a server whose count started a little after ours
    /// — the first request's connection set-up, a busy CPU — still sees every later
    /// request on time.
    ///
    /// ```
    /// assert!(surefoot::RateLimit::per_second(20).restart_gap().is_zero());
    /// ```
    pub fn restart_gap(&self) -> Duration {
        self.restart_gap
    }

    /// The spacing between requests at the sustained rate: `per / requests`.
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(surefoot::RateLimit::per_minute(500).emission_interval(), Duration::from_millis(120));
    /// ```
    pub fn emission_interval(&self) -> Duration {
        self.per / self.requests
    }

    /// Parse `"N/unit"` with an optional `" burst B"`: `"500/min"`, `"20/s"`, `"20/sec"`,
    /// `"3/h"`, `"10/2s"`, `"1/0.5s"`, `"100/ms"`, `"20/s burst 5"`. Units: `ms`, `s`/`sec`/
    /// `second(s)`, `m`/`min`/`minute(s)`, `h`/`hr`/`hour(s)`, `d`/`day(s)`. Anything
    /// else is an `invalid_request` error naming the problem.
    ///
    /// ```
    /// use std::time::Duration;
    /// use surefoot::RateLimit;
    /// assert_eq!(RateLimit::parse("10/2s").unwrap(), RateLimit::new(10, Duration::from_secs(2)));
    /// assert_eq!(RateLimit::parse("20/s burst 5").unwrap(), RateLimit::per_second(20).burst(5));
    /// let e = RateLimit::parse("0/s").unwrap_err();
    /// assert_eq!(e.message(), "rate limit `0/s`: the number of requests must be at least 1");
    /// ```
    pub fn parse(s: &str) -> Result<RateLimit, Error> {
        let shown: String = s.chars().take(64).collect();
        let bad = |why: &str| {
            Error::invalid_because(
                InvalidRequestReason::RateLimit,
                format!("rate limit `{shown}`: {why}"),
            )
        };
        let text = s.trim().to_ascii_lowercase();
        let (main, burst) = match text.split_once("burst") {
            Some((m, b)) => {
                let b = b.trim().trim_start_matches(['=', ':']).trim();
                let b: u32 = b
                    .parse()
                    .map_err(|_| bad("the burst must be a whole number, as in `20/s burst 5`"))?;
                if b == 0 {
                    return Err(bad("the burst must be at least 1"));
                }
                (m.trim().trim_end_matches(',').trim().to_owned(), b)
            }
            None => (text.clone(), 1),
        };
        let (n, unit) = main
            .split_once('/')
            .ok_or_else(|| bad("expected `N/unit`, as in `500/min` or `20/s`"))?;
        let n = n.trim();
        let requests: u32 = n
            .parse()
            .map_err(|_| bad("the number of requests must be a whole number"))?;
        if requests == 0 {
            return Err(bad("the number of requests must be at least 1"));
        }
        let unit = unit.trim();
        let split = unit
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(unit.len());
        let (count, name) = unit.split_at(split);
        let count: f64 = if count.is_empty() {
            1.0
        } else {
            count
                .parse()
                .map_err(|_| bad("the window must be a number followed by a unit, as in `10/2s`"))?
        };
        let unit_secs = match name.trim() {
            "ms" | "msec" | "millisecond" | "milliseconds" => 0.001,
            "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
            "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
            "d" | "day" | "days" => 86_400.0,
            "" => return Err(bad("missing unit; use ms, s, min, h or d")),
            _ => return Err(bad("unknown unit; use ms, s, min, h or d")),
        };
        let secs = count * unit_secs;
        if !secs.is_finite() || secs <= 0.0 {
            return Err(bad("the window must be longer than zero"));
        }
        if secs > 366.0 * 86_400.0 {
            return Err(bad("the window must be at most a year"));
        }
        let per = Duration::from_secs_f64(secs);
        if per.is_zero() {
            return Err(bad("the window must be longer than zero"));
        }
        Ok(RateLimit::new(requests, per).burst(burst))
    }
}

impl FromStr for RateLimit {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        RateLimit::parse(s)
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per = self.per;
        let unit = match per {
            p if p == Duration::from_secs(1) => "s".to_owned(),
            p if p == Duration::from_secs(60) => "min".to_owned(),
            p if p == Duration::from_secs(3600) => "h".to_owned(),
            p if p == Duration::from_secs(86_400) => "d".to_owned(),
            p if p.subsec_nanos() == 0 => format!("{}s", p.as_secs()),
            p if p == Duration::from_millis(1) => "ms".to_owned(),
            p if p.subsec_nanos() % 1_000_000 == 0 && p.as_secs() == 0 => {
                format!("{}ms", p.as_millis())
            }
            p => format!("{}s", p.as_secs_f64()),
        };
        write!(f, "{}/{}", self.requests, unit)?;
        if self.burst > 1 {
            write!(f, " burst {}", self.burst)?;
        }
        Ok(())
    }
}

/// The limit actually enforced: the window stretched by the safety margin, and one burst
/// slot held back (or, with no burst, a restart gap of one interval, at most 20 ms), so a
/// server whose clock started a few milliseconds after ours — the first request's
/// connection set-up, a busy CPU — still finds every request on time.
pub(crate) fn with_margin(l: RateLimit, margin: f64) -> RateLimit {
    if margin <= 0.0 {
        return l;
    }
    RateLimit {
        per: l.per.mul_f64(1.0 + margin),
        burst: l.burst.saturating_sub(1).max(1),
        // Without a burst slot to hold back, the restart gap gives the same slack.
        restart_gap: if l.burst == 1 {
            l.emission_interval().min(MAX_RESTART_GAP)
        } else {
            Duration::ZERO
        },
        ..l
    }
}

/// One process's fair share of `l` when `processes` share it: the window `processes`
/// times longer and the burst divided among them (at least 1). What a shared store
/// enforces locally while its backend is away, so the fleet stays near the limit.
pub(crate) fn fair_share(l: RateLimit, processes: u32) -> RateLimit {
    if processes <= 1 {
        return l;
    }
    RateLimit {
        per: l.per.saturating_mul(processes),
        burst: (l.burst / processes).max(1),
        ..l
    }
}
