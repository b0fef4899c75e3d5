//! Every time a server states, read in one place: `Retry-After` (seconds, fractional
//! seconds, HTTP-date) and `retry-after-ms` ([`parse_retry_after`]), and every rate-limit
//! header form — `x-ratelimit-*`, OpenAI's `-requests` names, the IETF drafts'
//! `RateLimit` / `RateLimit-Policy` ([`RateLimitHeaders`]) with resets as delta seconds,
//! Unix epoch seconds, HTTP-dates or Go-style durations ([`parse_reset`]). Errors read
//! their `retry_after` here, retries their wait, pacing its limits and pauses; every value
//! is sanitised the same way (negative, NaN and unparseable values ignored, absurd ones
//! clamped to [`MAX_RETRY_AFTER`]).

use std::time::{Duration, SystemTime};

/// The longest `Retry-After` we believe; larger values (35-digit numbers, dates years
/// ahead) are clamped to 24 hours.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// let d = surefoot::headers::parse_retry_after_value("99999999999999999999999999999999999", SystemTime::now());
/// assert_eq!(d, Some(surefoot::headers::MAX_RETRY_AFTER));
/// assert_eq!(surefoot::headers::MAX_RETRY_AFTER, Duration::from_secs(86_400));
/// ```
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// The shortest `Retry-After` we honour. A shorter one (`retry-after-ms: 0.4`) would be an
/// instant retry, which a 429 must never get, and cannot be told in whole milliseconds
/// (the C API's unit), so it is ignored like `0` and the backoff applies.
///
/// ```
/// use std::time::SystemTime;
/// let mut h = http::HeaderMap::new();
/// h.insert("retry-after-ms", "0.4".parse().unwrap());
/// assert_eq!(surefoot::headers::parse_retry_after(&h, SystemTime::now()), None);
/// assert_eq!(surefoot::headers::MIN_RETRY_AFTER, std::time::Duration::from_millis(1));
/// ```
pub const MIN_RETRY_AFTER: Duration = Duration::from_millis(1);

/// Read the server's requested wait from `retry-after-ms` (takes priority; milliseconds,
/// fractions allowed) then `Retry-After` (integer or fractional seconds, or an HTTP-date
/// relative to `now`). Header names are case-insensitive.
///
/// Returns `None` ("ignore it") when missing, empty, unparseable, negative, NaN, infinite,
/// zero or under [`MIN_RETRY_AFTER`], or a date in the past; values over
/// [`MAX_RETRY_AFTER`] are clamped to it. An unusable `retry-after-ms` falls back to
/// `Retry-After`.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use surefoot::headers::parse_retry_after;
/// let mut h = http::HeaderMap::new();
/// h.insert("Retry-After", "1.5".parse().unwrap());
/// assert_eq!(parse_retry_after(&h, SystemTime::now()), Some(Duration::from_millis(1500)));
/// h.insert("retry-after-ms", "250".parse().unwrap());
/// assert_eq!(parse_retry_after(&h, SystemTime::now()), Some(Duration::from_millis(250)));
/// ```
pub fn parse_retry_after(headers: &http::HeaderMap, now: SystemTime) -> Option<Duration> {
    // By `HeaderName`, not `&str`: a `&str` lookup parses the name into a scratch buffer
    // that valgrind flags in the release library (see `error::header_str`).
    const RETRY_AFTER_MS: http::HeaderName = http::HeaderName::from_static("retry-after-ms");
    let ms = headers
        .get_all(RETRY_AFTER_MS)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| parse_number(v).and_then(|ms| secs_to_duration(ms / 1000.0)));
    if ms.is_some() {
        return ms;
    }
    headers
        .get_all(http::header::RETRY_AFTER)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| parse_retry_after_value(v, now))
}

/// Parse one `Retry-After` value: (fractional) seconds or an HTTP-date relative to `now`.
/// Same sanitising as [`parse_retry_after`].
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use surefoot::headers::parse_retry_after_value;
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480); // Wed, 21 Oct 2015 07:28:00 GMT
/// assert_eq!(parse_retry_after_value("Wed, 21 Oct 2015 07:28:30 GMT", now), Some(Duration::from_secs(30)));
/// assert_eq!(parse_retry_after_value("120", now), Some(Duration::from_secs(120)));
/// assert_eq!(parse_retry_after_value("-5", now), None);
/// assert_eq!(parse_retry_after_value("NaN", now), None);
/// assert_eq!(parse_retry_after_value("0", now), None);
/// ```
pub fn parse_retry_after_value(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if let Some(secs) = parse_number(v) {
        return secs_to_duration(secs);
    }
    let at = httpdate::parse_http_date(v).ok()?;
    let d = at.duration_since(now).ok()?;
    if d.is_zero() {
        None
    } else {
        Some(d.min(MAX_RETRY_AFTER))
    }
}

/// A decimal number (digits, optional sign, fraction, exponent). `None` for anything else,
/// including `inf` / `NaN` spelled out (those fall through to the date parser and fail).
fn parse_number(v: &str) -> Option<f64> {
    let v = v.trim();
    if v.is_empty()
        || !v
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'+' | b'-' | b'e' | b'E'))
        || !v.bytes().any(|b| b.is_ascii_digit())
    {
        return None;
    }
    v.parse::<f64>().ok()
}

/// Finite seconds of at least [`MIN_RETRY_AFTER`] → Duration (clamped to
/// [`MAX_RETRY_AFTER`]); else `None`.
fn secs_to_duration(secs: f64) -> Option<Duration> {
    if !secs.is_finite() || secs <= 0.0 {
        return None;
    }
    if secs >= MAX_RETRY_AFTER.as_secs_f64() {
        return Some(MAX_RETRY_AFTER);
    }
    let d = Duration::from_secs_f64(secs);
    (d >= MIN_RETRY_AFTER).then_some(d)
}

/// What a response's rate-limit headers say (each part `None` when absent or unusable).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use surefoot::headers::RateLimitHeaders;
/// let mut h = http::HeaderMap::new();
/// h.insert("ratelimit-policy", "100;w=60".parse().unwrap());
/// h.insert("ratelimit", r#""default";r=0;t=10"#.parse().unwrap());
/// let info = RateLimitHeaders::parse(&h, SystemTime::now());
/// assert_eq!(info.limit, Some(100));
/// assert_eq!(info.window, Some(Duration::from_secs(60)));
/// assert_eq!(info.remaining, Some(0));
/// assert_eq!(info.reset, Some(Duration::from_secs(10)));
/// ```
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct RateLimitHeaders {
    /// Requests allowed per window (`x-ratelimit-limit`, `RateLimit-Policy` `q`).
    pub limit: Option<u32>,
    /// Requests left in the current window.
    pub remaining: Option<u64>,
    /// Time until the window resets (at most [`MAX_RETRY_AFTER`]).
    pub reset: Option<Duration>,
    /// The window's length (`w=`), when the server states it.
    pub window: Option<Duration>,
}

impl RateLimitHeaders {
    /// Read every known rate-limit header form from `headers`, with HTTP-dates and epoch
    /// seconds relative to `now`. Later forms override earlier ones: `x-ratelimit-*` and
    /// `ratelimit-*`, then `RateLimit`, then `RateLimit-Policy`.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// let mut h = http::HeaderMap::new();
    /// h.insert("x-ratelimit-remaining-requests", "0".parse().unwrap());
    /// h.insert("x-ratelimit-reset-requests", "6m0s".parse().unwrap());
    /// let info = surefoot::headers::RateLimitHeaders::parse(&h, SystemTime::now());
    /// assert_eq!((info.remaining, info.reset), (Some(0), Some(Duration::from_secs(360))));
    /// ```
    pub fn parse(headers: &http::HeaderMap, now: SystemTime) -> Self {
        let get = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| headers.get(*n).and_then(|v| v.to_str().ok()))
                .map(str::trim)
        };
        let mut out = RateLimitHeaders::default();
        if let Some(v) = get(&[
            "x-ratelimit-remaining",
            "x-ratelimit-remaining-requests",
            "ratelimit-remaining",
        ]) {
            out.remaining = leading_number(v).filter(|n| *n >= 0.0).map(|n| n as u64);
        }
        if let Some(v) = get(&[
            "x-ratelimit-reset",
            "x-ratelimit-reset-requests",
            "ratelimit-reset",
        ]) {
            out.reset = parse_reset(v, now);
        }
        if let Some(v) = get(&[
            "x-ratelimit-limit",
            "x-ratelimit-limit-requests",
            "ratelimit-limit",
        ]) {
            out.limit = leading_number(v)
                .filter(|n| *n >= 1.0 && *n < u32::MAX as f64)
                .map(|n| n as u32);
            // Older IETF draft: `100, 100;w=60`.
            out.window = param(v, "w").and_then(secs);
        }
        // Newer IETF draft: `RateLimit: "default";r=0;t=10`.
        if let Some(v) = get(&["ratelimit"]) {
            if let Some(r) = param(v, "r").and_then(|r| r.parse::<u64>().ok()) {
                out.remaining = Some(r);
            }
            if let Some(t) = param(v, "t").and_then(secs) {
                out.reset = Some(t);
            }
        }
        // `RateLimit-Policy: 100;w=60` or `"default";q=100;w=60`.
        if let Some(v) = get(&["ratelimit-policy", "x-ratelimit-policy"]) {
            let first = v.split(',').next().unwrap_or("");
            if let Some(q) = param(first, "q")
                .and_then(|q| q.parse::<u32>().ok())
                .or_else(|| {
                    leading_number(first)
                        .filter(|n| *n >= 1.0 && *n < u32::MAX as f64)
                        .map(|n| n as u32)
                })
            {
                out.limit = Some(q);
            }
            if let Some(w) = param(first, "w").and_then(secs) {
                out.window = Some(w);
            }
        }
        out
    }
}

fn secs(s: &str) -> Option<Duration> {
    let n: f64 = s.trim().trim_matches('"').parse().ok()?;
    (n.is_finite() && n > 0.0)
        .then(|| Duration::from_secs_f64(n.min(MAX_RETRY_AFTER.as_secs_f64())))
}

/// The value of `;name=value` in a structured-field-ish header.
fn param<'a>(v: &'a str, name: &str) -> Option<&'a str> {
    v.split([';', ','])
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, val)| val.trim().trim_matches('"'))
}

fn leading_number(v: &str) -> Option<f64> {
    let end = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    v[..end].parse().ok()
}

/// A reset as delta seconds, Unix epoch seconds (values past 10^9), an HTTP-date, or a
/// Go-style duration (`1s`, `6m0s`, `20ms`, `1h2m3.5s`); `None` for zero, negative,
/// past or unparseable values; at most [`MAX_RETRY_AFTER`].
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use surefoot::headers::parse_reset;
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// assert_eq!(parse_reset("30", now), Some(Duration::from_secs(30)));
/// assert_eq!(parse_reset("1700000010", now), Some(Duration::from_secs(10)));
/// assert_eq!(parse_reset("1h2m3.5s", now), Some(Duration::from_millis(3_723_500)));
/// assert_eq!(parse_reset("-3", now), None);
/// ```
pub fn parse_reset(v: &str, now: SystemTime) -> Option<Duration> {
    let v = v.trim();
    if let Ok(n) = v.parse::<f64>() {
        if !n.is_finite() || n <= 0.0 {
            return None;
        }
        if n >= 1e9 {
            let at = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs_f64(n.min(1e11)))?;
            return at.duration_since(now).ok().map(|d| d.min(MAX_RETRY_AFTER));
        }
        return Some(Duration::from_secs_f64(
            n.min(MAX_RETRY_AFTER.as_secs_f64()),
        ));
    }
    if let Ok(at) = httpdate::parse_http_date(v) {
        return at.duration_since(now).ok().map(|d| d.min(MAX_RETRY_AFTER));
    }
    go_duration(v)
}

fn go_duration(v: &str) -> Option<Duration> {
    let mut total = 0.0f64;
    let mut rest = v;
    let mut any = false;
    while !rest.is_empty() {
        let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        if num_end == 0 {
            return None;
        }
        let n: f64 = rest[..num_end].parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_end] {
            "ms" => 0.001,
            "us" | "µs" => 0.000_001,
            "ns" => 0.000_000_001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total += n * factor;
        any = true;
    }
    (any && total.is_finite() && total > 0.0)
        .then(|| Duration::from_secs_f64(total.min(MAX_RETRY_AFTER.as_secs_f64())))
}

/// The request id a server put in the headers (`x-request-id`, `request-id`).
pub(crate) fn request_id_from_headers(headers: &http::HeaderMap) -> Option<&str> {
    const NAMES: [http::HeaderName; 2] = [
        http::HeaderName::from_static("x-request-id"),
        http::HeaderName::from_static("request-id"),
    ];
    NAMES
        .iter()
        .find_map(|name| headers.get(name).and_then(|v| v.to_str().ok()))
}
