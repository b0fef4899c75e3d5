//! The retry policy, in small parts: [`classify`] (the ordered classifiers that answer
//! retry / don't / retry after), [`backoff`] (the wait when the server gives none),
//! [`budget`] (a token bucket per key and host, in the pacing store, that stops retry
//! storms), [`decision`] (the classifiers' answer weighed against the policy, the wait,
//! `max_retry_wait` and the deadline) and [`hold`] (riding out a host's outage: calls
//! held, one probe at a time). This module holds the numbers ([`RetryPolicy`]), which
//! methods are idempotent ([`is_idempotent`]), and re-exports the parts. `Retry-After`
//! and rate-limit headers are read by [`crate::headers`]. Nothing here sleeps except the
//! hold, which only waits for the host.

use std::time::Duration;

use crate::error::Error;

pub mod backoff;
pub mod budget;
pub mod classify;
pub mod decision;
pub mod hold;

pub use crate::error::FailReason;
pub use crate::headers::{
    parse_retry_after, parse_retry_after_value, MAX_RETRY_AFTER, MIN_RETRY_AFTER,
};
pub use backoff::{jitter, BackoffStrategy, ExponentialBackoff};
pub use budget::RetryBudget;
pub use classify::{Classifiers, RetryAction, RetryClassifier, RetryContext};
pub use decision::{decide, Attempt, Decision, Verdict};

pub use crate::config::settings::DEFAULT_MAX_RETRIES;

/// How retries are paced and bounded.
///
/// ```
/// use std::time::Duration;
/// use surefoot::retry::RetryPolicy;
/// let p = RetryPolicy { max_retries: 5, max_retry_wait: Duration::from_secs(10), ..RetryPolicy::default() };
/// assert_eq!(p.base, Duration::from_secs(1));
/// assert_eq!(p.cap, Duration::from_secs(20));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retrying). Default 3.
    pub max_retries: u32,
    /// Backoff for the first retry before jitter. Default 1 s.
    pub base: Duration,
    /// Largest backoff before jitter. Default 20 s.
    pub cap: Duration,
    /// Longest single wait we accept (server's `Retry-After` or backoff); a longer one
    /// fails at once with `retry_after` set instead of sleeping. Default 60 s.
    pub max_retry_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: DEFAULT_MAX_RETRIES,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(20),
            max_retry_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    ///
    /// ```
    /// assert_eq!(surefoot::retry::RetryPolicy::none().max_retries, 0);
    /// ```
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// The policy's [`ExponentialBackoff`] (its `base` and `cap`).
    ///
    /// ```
    /// let b = surefoot::retry::RetryPolicy::default().exponential_backoff();
    /// assert_eq!(b, surefoot::retry::ExponentialBackoff::default());
    /// ```
    pub fn exponential_backoff(&self) -> ExponentialBackoff {
        ExponentialBackoff {
            base: self.base,
            cap: self.cap,
        }
    }

    /// Backoff before retry number `retry` (0-based): `min(cap, base · 2^retry) · jitter`,
    /// with `jitter` clamped to [0.5, 1] (NaN counts as 1).
    ///
    /// ```
    /// use std::time::Duration;
    /// let p = surefoot::retry::RetryPolicy::default();
    /// assert_eq!(p.backoff(0, 1.0), Duration::from_secs(1));
    /// assert_eq!(p.backoff(2, 1.0), Duration::from_secs(4));
    /// assert_eq!(p.backoff(2, 0.5), Duration::from_secs(2));
    /// assert_eq!(p.backoff(30, 1.0), Duration::from_secs(20));
    /// ```
    pub fn backoff(&self, retry: u32, jitter: f64) -> Duration {
        self.exponential_backoff().delay_for(retry, jitter)
    }

    /// Decide what to do after `error`, given `retries_done` retries already made,
    /// whether the request is idempotent, the time `remaining` before the overall deadline
    /// (if any), and a `jitter` factor (see [`jitter`]), with the built-in classifiers and
    /// this policy's exponential backoff — see [`decide`] for the rules.
    ///
    /// ```
    /// use std::time::Duration;
    /// use surefoot::retry::{Decision, FailReason, RetryPolicy};
    /// use surefoot::Error;
    /// let p = RetryPolicy::default();
    /// let e = Error::from_response(503, &http::HeaderMap::new(), b"", false);
    /// assert_eq!(p.decide(&e, 0, true, None, 1.0), Decision::Retry { after: Duration::from_secs(1) });
    /// assert_eq!(
    ///     p.decide(&e, 0, false, None, 1.0),
    ///     Decision::Fail { retry_after: None, reason: FailReason::NotIdempotent }
    /// );
    /// ```
    pub fn decide(
        &self,
        error: &Error,
        retries_done: u32,
        idempotent: bool,
        remaining: Option<Duration>,
        jitter: f64,
    ) -> Decision {
        decide(
            self,
            classify::default_classifiers(),
            &self.exponential_backoff(),
            &Attempt {
                error,
                retries_done,
                idempotent,
                remaining,
                jitter,
            },
        )
    }
}

/// Whether a request may be sent twice without changing the outcome: GET, HEAD, PUT,
/// DELETE, OPTIONS, TRACE, or any method carrying an `Idempotency-Key`.
///
/// ```
/// use surefoot::retry::is_idempotent;
/// assert!(is_idempotent(&http::Method::GET, false));
/// assert!(!is_idempotent(&http::Method::POST, false));
/// assert!(is_idempotent(&http::Method::POST, true));
/// ```
pub fn is_idempotent(method: &http::Method, has_idempotency_key: bool) -> bool {
    has_idempotency_key
        || matches!(
            *method,
            http::Method::GET
                | http::Method::HEAD
                | http::Method::PUT
                | http::Method::DELETE
                | http::Method::OPTIONS
                | http::Method::TRACE
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;
    use std::time::SystemTime;

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    fn hm(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        m
    }

    fn err(status: u16, code: &str, retry_after: Option<&str>) -> Error {
        let mut h = HeaderMap::new();
        if let Some(r) = retry_after {
            h.insert("retry-after", r.parse().unwrap());
        }
        let body = format!(r#"{{"error": {{"message": "m", "code": "{code}"}}}}"#);
        Error::from_response(status, &h, body.as_bytes(), false)
    }

    #[test]
    fn retry_after_values() {
        let n = now();
        let s = Duration::from_secs;
        assert_eq!(parse_retry_after_value("5", n), Some(s(5)));
        assert_eq!(parse_retry_after_value(" 5 ", n), Some(s(5)));
        assert_eq!(
            parse_retry_after_value("2.5", n),
            Some(Duration::from_millis(2500))
        );
        assert_eq!(
            parse_retry_after_value("0.001", n),
            Some(Duration::from_millis(1))
        );
        assert_eq!(parse_retry_after_value("1e2", n), Some(s(100)));
        assert_eq!(parse_retry_after_value("+3", n), Some(s(3)));
        for bad in [
            "", "  ", "0", "0.0", "-0", "-1", "-0.5", "NaN", "nan", "inf", "-inf", "infinity",
            "abc", "1s", "1.2.3", "--1", "e", ".", "1e999999",
        ] {
            let got = parse_retry_after_value(bad, n);
            assert!(got.is_none() || bad == "1e999999", "{bad:?} -> {got:?}");
        }
        // 1e999999 overflows to inf → ignored.
        assert_eq!(parse_retry_after_value("1e999999", n), None);
        assert_eq!(
            parse_retry_after_value("99999999999999999999999999999999999", n),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(parse_retry_after_value("86401", n), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after_value("86400", n), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after_value("1e-12", n), None); // rounds to zero
        assert_eq!(parse_retry_after_value("0.0009", n), None); // under a millisecond
    }

    #[test]
    fn retry_after_dates() {
        let n = now();
        let fmt = |t: SystemTime| httpdate::fmt_http_date(t);
        assert_eq!(
            parse_retry_after_value(&fmt(n + Duration::from_secs(30)), n),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after_value(&fmt(n - Duration::from_secs(30)), n),
            None
        );
        assert_eq!(parse_retry_after_value(&fmt(n), n), None);
        let years = n + Duration::from_secs(5 * 365 * 86_400);
        assert_eq!(
            parse_retry_after_value(&fmt(years), n),
            Some(MAX_RETRY_AFTER)
        );
        // RFC 850 and asctime forms are HTTP-dates too.
        let now2 = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777 - 10); // Sun, 06 Nov 1994 08:49:37 GMT - 10 s
        assert_eq!(
            parse_retry_after_value("Sunday, 06-Nov-94 08:49:37 GMT", now2),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after_value("Sun Nov  6 08:49:37 1994", now2),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after_value("Sun, 32 Nov 1994 08:49:37 GMT", now2),
            None
        );
    }

    #[test]
    fn retry_after_headers() {
        let n = now();
        assert_eq!(parse_retry_after(&HeaderMap::new(), n), None);
        assert_eq!(
            parse_retry_after(&hm(&[("Retry-After", "3")]), n),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            parse_retry_after(&hm(&[("RETRY-AFTER-MS", "1500.5")]), n),
            Some(Duration::from_micros(1_500_500))
        );
        assert_eq!(
            parse_retry_after(&hm(&[("retry-after-ms", "200"), ("retry-after", "3")]), n),
            Some(Duration::from_millis(200))
        );
        // Unusable ms header falls back to Retry-After.
        assert_eq!(
            parse_retry_after(&hm(&[("retry-after-ms", "-5"), ("retry-after", "3")]), n),
            Some(Duration::from_secs(3))
        );
        assert_eq!(parse_retry_after(&hm(&[("retry-after-ms", "0")]), n), None);
        assert_eq!(
            parse_retry_after(&hm(&[("retry-after-ms", "0.4")]), n),
            None
        );
        assert_eq!(
            parse_retry_after(&hm(&[("retry-after-ms", "1")]), n),
            Some(Duration::from_millis(1))
        );
        assert_eq!(
            parse_retry_after(&hm(&[("retry-after-ms", "0.4"), ("retry-after", "2")]), n),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            parse_retry_after(&hm(&[("retry-after-ms", "1e30")]), n),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(parse_retry_after(&hm(&[("retry-after", "")]), n), None);
        // Non-UTF-8 header bytes are ignored, not a panic.
        let mut h = HeaderMap::new();
        h.insert(
            "retry-after",
            http::HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
        );
        assert_eq!(parse_retry_after(&h, n), None);
    }

    #[test]
    fn backoff_schedule() {
        let p = RetryPolicy::default();
        let s = Duration::from_secs;
        let full: Vec<_> = (0..7).map(|n| p.backoff(n, 1.0)).collect();
        assert_eq!(full, [s(1), s(2), s(4), s(8), s(16), s(20), s(20)]);
        assert_eq!(p.backoff(u32::MAX, 1.0), s(20));
        assert_eq!(p.backoff(1, 0.75), Duration::from_millis(1500));
        assert_eq!(p.backoff(0, 0.0), Duration::from_millis(500)); // clamped up
        assert_eq!(p.backoff(0, 7.0), s(1)); // clamped down
        assert_eq!(p.backoff(0, f64::NAN), s(1));
        let huge = RetryPolicy {
            base: Duration::MAX,
            cap: Duration::MAX,
            ..p
        };
        assert_eq!(
            huge.backoff(5, 1.0),
            Duration::from_secs(u64::from(u32::MAX))
        );
        for _ in 0..1000 {
            let j = jitter();
            assert!((0.5..=1.0).contains(&j));
            let b = p.backoff(3, j);
            assert!(b >= s(4) && b <= s(8));
        }
    }

    #[test]
    fn decide_not_retryable() {
        let p = RetryPolicy::default();
        for (status, code) in [
            (400, "bad"),
            (401, "unauthorized"),
            (402, "credit_exhausted"),
            (429, "insufficient_quota"),
            (409, "idempotency_conflict"),
            (404, "not_found"),
        ] {
            let e = err(status, code, Some("5"));
            assert_eq!(
                p.decide(&e, 0, true, None, 1.0),
                Decision::Fail {
                    retry_after: Some(Duration::from_secs(5)),
                    reason: FailReason::NotRetryable
                },
                "{status} {code}"
            );
        }
        let e = Error::invalid_request("x");
        assert_eq!(
            p.decide(&e, 0, true, None, 1.0),
            Decision::Fail {
                retry_after: None,
                reason: FailReason::NotRetryable
            }
        );
    }

    #[test]
    fn decide_budget_and_backoff() {
        let p = RetryPolicy::default();
        let e = err(503, "overloaded", None);
        let waits: Vec<_> = (0..3)
            .map(|n| match p.decide(&e, n, true, None, 1.0) {
                Decision::Retry { after } => after,
                d => panic!("{d:?}"),
            })
            .collect();
        assert_eq!(
            waits,
            [
                Duration::from_secs(1),
                Duration::from_secs(2),
                Duration::from_secs(4)
            ]
        );
        assert_eq!(
            p.decide(&e, 3, true, None, 1.0),
            Decision::Fail {
                retry_after: None,
                reason: FailReason::RetriesExhausted
            }
        );
        let e = err(429, "rate_limit_exceeded", Some("2"));
        assert_eq!(
            p.decide(&e, 3, true, None, 1.0),
            Decision::Fail {
                retry_after: Some(Duration::from_secs(2)),
                reason: FailReason::RetriesExhausted
            }
        );
        assert_eq!(
            RetryPolicy::none().decide(&e, 0, true, None, 1.0),
            Decision::Fail {
                retry_after: Some(Duration::from_secs(2)),
                reason: FailReason::RetriesExhausted
            }
        );
    }

    #[test]
    fn decide_429_honours_retry_after_and_never_instant() {
        let p = RetryPolicy::default();
        let e = err(429, "rate_limit_exceeded", Some("7"));
        assert_eq!(
            p.decide(&e, 0, true, None, 0.5),
            Decision::Retry {
                after: Duration::from_secs(7)
            }
        );
        // Without Retry-After: the backoff, never zero.
        let e = err(429, "rate_limit_exceeded", None);
        assert_eq!(
            p.decide(&e, 0, true, None, 0.5),
            Decision::Retry {
                after: Duration::from_millis(500)
            }
        );
        assert_eq!(
            p.decide(&e, 2, true, None, 1.0),
            Decision::Retry {
                after: Duration::from_secs(4)
            }
        );
        let e = Error::from_response(429, &HeaderMap::new(), br#"{"detail": "Too many"}"#, false);
        assert!(p.decide(&e, 0, false, None, 1.0).is_retry());
    }

    #[test]
    fn decide_idempotency() {
        let p = RetryPolicy::default();
        // POST that may have reached the server: not retried.
        for e in [
            err(503, "x", None),
            err(500, "x", None),
            Error::timeout("t"),
            Error::connection("reset", true),
        ] {
            assert_eq!(
                p.decide(&e, 0, false, None, 1.0),
                Decision::Fail {
                    retry_after: None,
                    reason: FailReason::NotIdempotent
                },
                "{e}"
            );
            assert!(p.decide(&e, 0, true, None, 1.0).is_retry());
        }
        // Provably never reached the server, or refused with 429: retried.
        assert!(p
            .decide(&Error::connection("refused", false), 0, false, None, 1.0)
            .is_retry());
        assert!(p
            .decide(
                &err(429, "concurrency_limit_exceeded", Some("1")),
                0,
                false,
                None,
                1.0
            )
            .is_retry());
    }

    #[test]
    fn decide_wait_limits() {
        let p = RetryPolicy::default();
        let e = err(429, "daily_cap_exceeded", Some("3600"));
        assert_eq!(
            p.decide(&e, 0, true, None, 1.0),
            Decision::Fail {
                retry_after: Some(Duration::from_secs(3600)),
                reason: FailReason::WaitExceedsMaxRetryWait
            }
        );
        // Without the time to the reset, a daily cap is not retried on a short backoff.
        let e = err(429, "daily_cap_exceeded", None);
        assert_eq!(
            p.decide(&e, 0, true, None, 1.0),
            Decision::Fail {
                retry_after: None,
                reason: FailReason::NotRetryable
            }
        );
        let e = err(429, "daily_cap_exceeded", Some("30"));
        assert!(p.decide(&e, 0, false, None, 1.0).is_retry());
        let e = err(429, "rate_limit_exceeded", Some("60"));
        assert!(p.decide(&e, 0, true, None, 1.0).is_retry()); // equal to max is fine
        let e = err(429, "rate_limit_exceeded", Some("5"));
        assert_eq!(
            p.decide(&e, 0, true, Some(Duration::from_secs(5)), 1.0),
            Decision::Fail {
                retry_after: Some(Duration::from_secs(5)),
                reason: FailReason::WaitExceedsDeadline
            }
        );
        assert_eq!(
            p.decide(
                &e,
                0,
                true,
                Some(Duration::from_secs(5) + Duration::from_millis(1)),
                1.0
            ),
            Decision::Retry {
                after: Duration::from_secs(5)
            }
        );
        let e = err(503, "x", None);
        assert_eq!(
            p.decide(&e, 1, true, Some(Duration::from_millis(1500)), 1.0),
            Decision::Fail {
                retry_after: Some(Duration::from_secs(2)),
                reason: FailReason::WaitExceedsDeadline
            }
        );
        assert_eq!(
            p.decide(&e, 1, true, Some(Duration::ZERO), 1.0),
            Decision::Fail {
                retry_after: Some(Duration::from_secs(2)),
                reason: FailReason::WaitExceedsDeadline
            }
        );
    }

    #[test]
    fn idempotent_methods() {
        use http::Method;
        for m in [
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
            Method::TRACE,
        ] {
            assert!(is_idempotent(&m, false), "{m}");
        }
        for m in [
            Method::POST,
            Method::PATCH,
            Method::CONNECT,
            Method::from_bytes(b"PURGE").unwrap(),
        ] {
            assert!(!is_idempotent(&m, false), "{m}");
            assert!(is_idempotent(&m, true), "{m}");
        }
    }
}
