//! Client options by name: the one rule for each option every surface sets — the Rust
//! [`ClientBuilder`](crate::ClientBuilder) methods, the C `sf_client_options_set_*` setters and the Python
//! constructor keywords all hand an [`OptionValue`] to [`ClientBuilder::set`](crate::ClientBuilder::set), which checks
//! it here, once, with one `invalid_request` message per rule; the environment variables
//! every surface reads ([`ClientBuilder::from_env`](crate::ClientBuilder::from_env)); and [`Client::describe_option`](crate::Client::describe_option), the
//! effective value of an option as text. The bindings only convert their own types into an
//! [`OptionValue`].
//!
//! The edges, decided once (durations are seconds; C passes milliseconds, and `-1` for
//! none):
//!
//! | option | none | 0 | negative, NaN, ±inf | over the top |
//! |---|---|---|---|---|
//! | `timeout` | no per-attempt timeout | refused | refused | > 365 days refused |
//! | `deadline` | no deadline (default) | refused | refused | > 365 days refused |
//! | `connect_timeout`, `max_retry_wait` | refused | refused (`max_retry_wait`: fail at once) | refused | > 365 days refused |
//! | `backoff` (base, cap) | the default 1 s, 20 s | refused | refused | > 365 days refused; base > cap refused |
//! | `max_retries` | refused | no retries | refused | > 4294967295 refused |
//! | `max_concurrent_sessions` | no cap (default) | refused | refused | > 4294967295 refused |
//! | `max_response_bytes` | refused | refused | refused | > 2^63−1 refused |
//! | `rate_limit` (requests, per, burst) | the default (documented or learned) | refused | refused | requests, burst > 4294967295 refused |
//!
//! A number where a whole number is needed (`2.5`, `3.0`), a string where a number is
//! needed, anything but `true`/`false` for a switch, and an unknown option name are refused
//! too. Strings: an empty `pacing_store` means the in-process default (as an empty
//! `SUREFOOT_PACING_STORE` does); an empty or blank `user_agent` or `ca_file` is refused;
//! base URLs, keys, headers, paths, fields, surface prefixes and the `ca_file` itself follow
//! their own modules' rules.

use std::time::Duration;

use crate::config::rate_limit::RateLimit;
use crate::error::{Error, Result};

/// The options [`ClientBuilder::set`](crate::ClientBuilder::set) knows, by their canonical (Python keyword) names.
///
/// ```
/// assert!(surefoot::options::OPTIONS.contains(&"max_concurrent_sessions"));
/// ```
pub const OPTIONS: &[&str] = &[
    "base_url",
    "api_key",
    "max_retries",
    "timeout",
    "connect_timeout",
    "deadline",
    "max_retry_wait",
    "backoff",
    "rate_limit",
    "pacing",
    "pacing_store",
    "max_concurrent_sessions",
    "allow_insecure_http",
    "headers",
    "user_agent",
    "ca_file",
    "max_response_bytes",
    "prefetch",
    "paths",
    "fields",
    "surfaces",
    "error_shape",
];

/// The longest duration any option accepts: 365 days.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

/// A value given for an option, in the types of whichever surface gave it. Its `Debug`
/// never shows a string (it may be a key).
///
/// ```
/// use surefoot::options::OptionValue;
/// assert_eq!(OptionValue::from(3u32), OptionValue::Int(3));
/// assert_eq!(format!("{:?}", OptionValue::from("sk-secret")), "Text(…)");
/// ```
#[derive(Clone, PartialEq)]
pub enum OptionValue {
    /// No value (Python `None`, C's `-1` or NULL, JSON `null`).
    None,
    /// A switch.
    Bool(bool),
    /// A whole number (a count, or seconds).
    Int(i128),
    /// A number of seconds, or a number where a whole one is needed (refused there).
    Float(f64),
    /// Milliseconds (the C setters' unit).
    Millis(i64),
    /// An exact duration (the Rust builder's unit).
    Duration(Duration),
    /// A string.
    Text(String),
    /// A sequence (`backoff`'s base and cap).
    List(Vec<OptionValue>),
    /// Named members (headers, paths, fields, surfaces; a rate limit's parts).
    Map(Vec<(String, OptionValue)>),
    /// A rate limit already made.
    Limit(RateLimit),
}

impl std::fmt::Debug for OptionValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OptionValue::None => f.write_str("None"),
            OptionValue::Bool(b) => write!(f, "Bool({b})"),
            OptionValue::Int(n) => write!(f, "Int({n})"),
            OptionValue::Float(x) => write!(f, "Float({x:?})"),
            OptionValue::Millis(n) => write!(f, "Millis({n})"),
            OptionValue::Duration(d) => write!(f, "Duration({d:?})"),
            OptionValue::Text(_) => f.write_str("Text(…)"),
            OptionValue::List(v) => f.debug_tuple("List").field(v).finish(),
            OptionValue::Map(m) => {
                let names: Vec<&str> = m.iter().map(|(k, _)| k.as_str()).collect();
                f.debug_tuple("Map").field(&names).finish()
            }
            OptionValue::Limit(l) => write!(f, "Limit({l})"),
        }
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for OptionValue {
            fn from(n: $t) -> Self {
                OptionValue::Int(n as i128)
            }
        }
    )*};
}
from_int!(u32, u64, usize, i32, i64);

impl From<bool> for OptionValue {
    fn from(b: bool) -> Self {
        OptionValue::Bool(b)
    }
}
impl From<f64> for OptionValue {
    fn from(x: f64) -> Self {
        OptionValue::Float(x)
    }
}
impl From<Duration> for OptionValue {
    fn from(d: Duration) -> Self {
        OptionValue::Duration(d)
    }
}
impl From<&str> for OptionValue {
    fn from(s: &str) -> Self {
        OptionValue::Text(s.to_owned())
    }
}
impl From<String> for OptionValue {
    fn from(s: String) -> Self {
        OptionValue::Text(s)
    }
}
impl From<RateLimit> for OptionValue {
    fn from(l: RateLimit) -> Self {
        OptionValue::Limit(l)
    }
}
impl<T: Into<OptionValue>> From<Option<T>> for OptionValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(OptionValue::None, Into::into)
    }
}

impl OptionValue {
    /// What the value is, for messages (never the text of a string).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            OptionValue::None => "none",
            OptionValue::Bool(_) => "a boolean",
            OptionValue::Int(_) | OptionValue::Float(_) => "a number",
            OptionValue::Millis(_) | OptionValue::Duration(_) => "a duration",
            OptionValue::Text(_) => "a string",
            OptionValue::List(_) => "a list",
            OptionValue::Map(_) => "a mapping",
            OptionValue::Limit(_) => "a rate limit",
        }
    }
}

pub(crate) fn invalid(message: String) -> Error {
    Error::invalid_request(message)
}

/// A number of seconds as the messages show it (`-1.0`, `0.5`, `NaN`, `inf`, `1e30`).
pub(crate) fn shown_secs(x: f64) -> String {
    format!("{x:?}")
}

/// The duration rule: `what` is the option's name in messages; `none` what none means
/// (`None`: refused); `zero_ok` whether 0 is accepted.
pub(crate) fn duration(
    what: &str,
    v: OptionValue,
    none: Option<&str>,
    zero_ok: bool,
) -> Result<Option<Duration>> {
    let or_none = none
        .map(|m| format!(", or none for {m}"))
        .unwrap_or_default();
    let secs: f64 = match v {
        OptionValue::None => {
            return match none {
                Some(_) => Ok(None),
                None => Err(invalid(format!(
                    "{what} cannot be none: give a number of seconds"
                ))),
            }
        }
        OptionValue::Duration(d) => d.as_secs_f64(),
        OptionValue::Millis(ms) => ms as f64 / 1000.0,
        OptionValue::Int(n) => n as f64,
        OptionValue::Float(x) => x,
        other => {
            return Err(invalid(format!(
                "{what} must be a number of seconds{or_none} (got {})",
                other.kind()
            )))
        }
    };
    if secs.is_nan() {
        return Err(invalid(format!(
            "{what} must be a number of seconds{or_none} (got NaN)"
        )));
    }
    if secs < 0.0 || (secs == 0.0 && !zero_ok) {
        let rule = if zero_ok {
            "must not be negative"
        } else {
            "must be greater than zero"
        };
        return Err(invalid(format!(
            "{what} {rule}{or_none} (got {} s)",
            shown_secs(secs)
        )));
    }
    if secs > MAX_DURATION.as_secs_f64() {
        return Err(invalid(format!(
            "{what} must be at most 31536000 s (365 days) (got {} s)",
            shown_secs(secs)
        )));
    }
    // Exact for the Rust and C units; seconds rounded to the nanosecond (0.3 is 300 ms).
    let d = match v {
        OptionValue::Duration(d) => d,
        OptionValue::Millis(ms) => Duration::from_millis(ms as u64),
        _ => Duration::from_nanos((secs * 1e9).round() as u64),
    };
    if d.is_zero() && !zero_ok {
        return Err(invalid(format!(
            "{what} must be greater than zero{or_none} (got {} s)",
            shown_secs(secs)
        )));
    }
    Ok(Some(d))
}

/// A per-call `timeout` or `deadline` ([`crate::RequestBuilder::option`]): the client's
/// rule for it, none meaning the client's own value.
pub(crate) fn per_call_duration(name: &str, value: OptionValue) -> Result<Option<Duration>> {
    match name {
        "timeout" | "deadline" => duration(name, value, Some("the client's"), false),
        other => {
            let shown: String = other.chars().take(64).collect();
            Err(invalid(format!(
                "unknown per-call option {shown:?}; the per-call options are: timeout, deadline"
            )))
        }
    }
}

/// The whole-number rule: between `min` and `max`; `none` what none means (`None`:
/// refused).
pub(crate) fn count(
    what: &str,
    v: OptionValue,
    min: u64,
    max: u64,
    none: Option<&str>,
) -> Result<Option<u64>> {
    let range = if max == u64::MAX {
        format!("at least {min}")
    } else {
        format!("between {min} and {max}")
    };
    let or_none = none
        .map(|m| format!(", or none for {m}"))
        .unwrap_or_default();
    match v {
        OptionValue::None if none.is_some() => Ok(None),
        OptionValue::Int(n) if n >= i128::from(min) && n <= i128::from(max) => Ok(Some(n as u64)),
        OptionValue::Int(n) => Err(invalid(format!(
            "{what} must be {range}{or_none} (got {n})"
        ))),
        OptionValue::Float(x) => Err(invalid(format!(
            "{what} must be a whole number {range}{or_none} (got {})",
            shown_secs(x)
        ))),
        other => Err(invalid(format!(
            "{what} must be a whole number {range}{or_none} (got {})",
            other.kind()
        ))),
    }
}

pub(crate) fn switch(what: &str, v: OptionValue) -> Result<bool> {
    match v {
        OptionValue::Bool(b) => Ok(b),
        other => Err(invalid(format!(
            "{what} must be true or false (got {})",
            other.kind()
        ))),
    }
}

pub(crate) fn text(what: &str, v: OptionValue) -> Result<String> {
    match v {
        OptionValue::Text(s) => Ok(s),
        other => Err(invalid(format!(
            "{what} must be a string (got {})",
            other.kind()
        ))),
    }
}

/// Name → string pairs (headers, paths, fields).
pub(crate) fn string_pairs(what: &str, v: OptionValue) -> Result<Vec<(String, String)>> {
    let bad = |kind: &str| {
        invalid(format!(
            "{what} must be a mapping of strings to strings (got {kind})"
        ))
    };
    match v {
        OptionValue::Map(members) => members
            .into_iter()
            .map(|(k, v)| match v {
                OptionValue::Text(s) => Ok((k, s)),
                other => Err(bad(&format!("{} for {k:?}", other.kind()))),
            })
            .collect(),
        other => Err(bad(other.kind())),
    }
}

/// The rate-limit rule: a limit, `"20/s burst 5"`, or `{requests, per, burst}` (`per` in
/// seconds, `burst` 1 when missing). `what` names the limit in messages.
pub(crate) fn rate_limit(what: &str, v: OptionValue) -> Result<Option<RateLimit>> {
    match v {
        OptionValue::None => Ok(None),
        OptionValue::Limit(l) => Ok(Some(l)),
        OptionValue::Text(s) => RateLimit::parse(&s).map(Some),
        OptionValue::Map(members) => {
            let mut requests = None;
            let mut per = None;
            let mut burst = OptionValue::Int(1);
            for (k, v) in members {
                match k.as_str() {
                    "requests" => requests = Some(v),
                    "per" => per = Some(v),
                    "burst" => burst = v,
                    other => {
                        return Err(invalid(format!(
                            "{what} has no part {other:?}: its parts are requests, per and burst"
                        )))
                    }
                }
            }
            let max = u64::from(u32::MAX);
            let requests = count(
                &format!("{what} requests"),
                requests.unwrap_or(OptionValue::None),
                1,
                max,
                None,
            )?
            .unwrap_or(1);
            let per = duration(
                &format!("{what} per"),
                per.unwrap_or(OptionValue::Int(1)),
                None,
                false,
            )?
            .unwrap_or(Duration::from_secs(1));
            let burst = count(&format!("{what} burst"), burst, 1, max, None)?.unwrap_or(1);
            Ok(Some(RateLimit::new(requests as u32, per).burst(burst as u32)))
        }
        other => Err(invalid(format!(
            "{what} must be a string such as \"500/min\" or \"20/s burst 5\", or requests, per and burst (got {})",
            other.kind()
        ))),
    }
}

/// A whole `RateLimit(requests, per, burst)` from a surface's own values (the Python
/// `RateLimit` constructor, the C setters), by the `rate_limit` rule.
///
/// ```
/// use surefoot::options::{rate_limit_from_parts, OptionValue};
/// let l = rate_limit_from_parts(OptionValue::Int(20), OptionValue::Float(1.0), OptionValue::Int(5))?;
/// assert_eq!(l.to_string(), "20/s burst 5");
/// let e = rate_limit_from_parts(OptionValue::Int(0), OptionValue::Float(1.0), OptionValue::Int(1)).unwrap_err();
/// assert_eq!(e.message(), "rate_limit requests must be between 1 and 4294967295 (got 0)");
/// # Ok::<(), surefoot::Error>(())
/// ```
pub fn rate_limit_from_parts(
    requests: OptionValue,
    per: OptionValue,
    burst: OptionValue,
) -> Result<RateLimit> {
    let parts = vec![
        ("requests".to_owned(), requests),
        ("per".to_owned(), per),
        ("burst".to_owned(), burst),
    ];
    Ok(rate_limit("rate_limit", OptionValue::Map(parts))?.unwrap_or(RateLimit::per_second(1)))
}
