//! Reading the rate-limit headers servers send with their answers (`x-ratelimit-*`, the
//! OpenAI `-requests` names, the IETF drafts' `RateLimit` / `RateLimit-Policy`) into one
//! [`RateLimitHeaders`] the pacer learns from.

use std::time::{Duration, SystemTime};

use crate::retry::MAX_RETRY_AFTER;

/// What a response's rate-limit headers say.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct RateLimitHeaders {
    pub(crate) limit: Option<u32>,
    pub(crate) remaining: Option<u64>,
    pub(crate) reset: Option<Duration>,
    pub(crate) window: Option<Duration>,
}

impl RateLimitHeaders {
    pub(crate) fn parse(headers: &http::HeaderMap, now: SystemTime) -> Self {
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
/// Go-style duration (`1s`, `6m0s`, `20ms`, `1h2m3.5s`).
pub(crate) fn parse_reset(v: &str, now: SystemTime) -> Option<Duration> {
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
