//! Retry classification: the ordered [`RetryClassifier`]s that look at a failed attempt
//! and answer retry, retry after a given wait, don't retry (with the reason), or — to let
//! the next one decide — no opinion. The built-in ones, in their order: payment codes
//! (never retried, whatever the status), idempotency (a conflict is final; a request that
//! is not idempotent and may have reached the server is not sent twice, unless refused
//! with 429), the daily cap (retried only after its reset), the concurrency limit (retried
//! once a session slot frees), the HTTP status (408, 429, 500, 502, 503, 504), and the
//! transport (connection failures and timeouts). A caller's own classifier
//! ([`ClientBuilder::retry_classifier`](crate::ClientBuilder::retry_classifier)) runs
//! before them. [`Error::is_retryable`] is the built-in chain's answer.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::error::{codes, Error, ErrorKind, FailReason};

/// What one classifier says about a failed attempt.
///
/// ```
/// use std::time::Duration;
/// use surefoot::retry::{FailReason, RetryAction};
/// assert!(RetryAction::RetryAfter(Duration::from_secs(1)).is_retry());
/// assert!(!RetryAction::DontRetry(FailReason::NotRetryable).is_retry());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAction {
    /// No opinion: the next classifier decides.
    NoOpinion,
    /// Retry after the server's `Retry-After`, or else the backoff.
    Retry,
    /// Retry after exactly this wait.
    RetryAfter(Duration),
    /// Do not retry, for this reason.
    DontRetry(FailReason),
}

impl RetryAction {
    /// Whether this is [`RetryAction::Retry`] or [`RetryAction::RetryAfter`].
    ///
    /// ```
    /// assert!(surefoot::retry::RetryAction::Retry.is_retry());
    /// assert!(!surefoot::retry::RetryAction::NoOpinion.is_retry());
    /// ```
    pub fn is_retry(self) -> bool {
        matches!(self, RetryAction::Retry | RetryAction::RetryAfter(_))
    }
}

/// The failed attempt a classifier looks at.
///
/// ```
/// let e = surefoot::Error::timeout("t");
/// let ctx = surefoot::retry::RetryContext { error: &e, idempotent: true };
/// assert_eq!(ctx.error.code(), "timeout");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RetryContext<'a> {
    /// The attempt's error.
    pub error: &'a Error,
    /// Whether the request may be sent twice without changing the outcome (see
    /// [`is_idempotent`](crate::retry::is_idempotent)).
    pub idempotent: bool,
}

/// One rule of retry classification. Implement it to teach the client about an API's own
/// codes; give it to [`ClientBuilder::retry_classifier`](crate::ClientBuilder::retry_classifier).
///
/// ```
/// use surefoot::retry::{FailReason, RetryAction, RetryClassifier, RetryContext};
/// #[derive(Debug)]
/// struct RetryLocked;
/// impl RetryClassifier for RetryLocked {
///     fn name(&self) -> &'static str { "locked" }
///     fn classify(&self, ctx: &RetryContext<'_>) -> RetryAction {
///         match ctx.error.status() {
///             Some(423) => RetryAction::Retry,
///             _ => RetryAction::NoOpinion,
///         }
///     }
/// }
/// let e = surefoot::Error::from_response(423, &http::HeaderMap::new(), b"", false);
/// assert_eq!(RetryLocked.classify(&RetryContext { error: &e, idempotent: true }), RetryAction::Retry);
/// ```
pub trait RetryClassifier: Send + Sync + fmt::Debug + 'static {
    /// A short name, for logs.
    fn name(&self) -> &'static str;
    /// What to do about this failed attempt.
    fn classify(&self, ctx: &RetryContext<'_>) -> RetryAction;
}

/// Payment codes (`insufficient_quota`, `credit_exhausted`, `key_budget_exceeded`):
/// never retried, even when sent with 429 and `Retry-After`.
///
/// ```
/// use surefoot::retry::{classify::PaymentCodes, FailReason, RetryAction, RetryClassifier, RetryContext};
/// let e = surefoot::Error::from_response(429, &http::HeaderMap::new(),
///     br#"{"error": {"code": "insufficient_quota", "message": "m"}}"#, false);
/// assert_eq!(PaymentCodes.classify(&RetryContext { error: &e, idempotent: true }),
///     RetryAction::DontRetry(FailReason::NotRetryable));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct PaymentCodes;

impl RetryClassifier for PaymentCodes {
    fn name(&self) -> &'static str {
        "payment_codes"
    }
    fn classify(&self, ctx: &RetryContext<'_>) -> RetryAction {
        if codes::is_payment(ctx.error.code()) {
            RetryAction::DontRetry(FailReason::NotRetryable)
        } else {
            RetryAction::NoOpinion
        }
    }
}

/// Idempotency: `idempotency_conflict` is final; a request that is not idempotent and
/// may have reached the server is not sent twice after a failure that would otherwise be
/// retried (5xx, 408, a timeout, a connection lost after sending), unless the server
/// refused it with 429.
///
/// ```
/// use surefoot::retry::{classify::Idempotency, FailReason, RetryAction, RetryClassifier, RetryContext};
/// let e = surefoot::Error::from_response(503, &http::HeaderMap::new(), b"", false);
/// assert_eq!(Idempotency.classify(&RetryContext { error: &e, idempotent: false }),
///     RetryAction::DontRetry(FailReason::NotIdempotent));
/// assert_eq!(Idempotency.classify(&RetryContext { error: &e, idempotent: true }), RetryAction::NoOpinion);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Idempotency;

impl RetryClassifier for Idempotency {
    fn name(&self) -> &'static str {
        "idempotency"
    }
    fn classify(&self, ctx: &RetryContext<'_>) -> RetryAction {
        let e = ctx.error;
        if e.code() == codes::IDEMPOTENCY_CONFLICT {
            return RetryAction::DontRetry(FailReason::NotRetryable);
        }
        let transient = match e.status() {
            Some(s) => matches!(s, 408 | 500 | 502 | 503 | 504),
            None => matches!(e.kind(), ErrorKind::Connection | ErrorKind::Timeout),
        };
        if !ctx.idempotent && e.reached_server() && transient {
            RetryAction::DontRetry(FailReason::NotIdempotent)
        } else {
            RetryAction::NoOpinion
        }
    }
}

/// `daily_cap_exceeded`: the cap lifts only at its reset, which a short backoff cannot
/// reach, so it is retried after the server's `Retry-After` (the decision then fails at
/// once when that is longer than the caller allows) and not at all without one.
///
/// ```
/// use std::time::Duration;
/// use surefoot::retry::{classify::DailyCap, RetryAction, RetryClassifier, RetryContext};
/// let mut h = http::HeaderMap::new();
/// h.insert("retry-after", "30".parse().unwrap());
/// let e = surefoot::Error::from_response(429, &h, br#"{"error": {"code": "daily_cap_exceeded"}}"#, false);
/// assert_eq!(DailyCap.classify(&RetryContext { error: &e, idempotent: true }),
///     RetryAction::RetryAfter(Duration::from_secs(30)));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DailyCap;

impl RetryClassifier for DailyCap {
    fn name(&self) -> &'static str {
        "daily_cap"
    }
    fn classify(&self, ctx: &RetryContext<'_>) -> RetryAction {
        if ctx.error.code() != codes::DAILY_CAP_EXCEEDED {
            return RetryAction::NoOpinion;
        }
        match ctx.error.retry_after() {
            Some(d) => RetryAction::RetryAfter(d),
            None => RetryAction::DontRetry(FailReason::NotRetryable),
        }
    }
}

/// `concurrency_limit_exceeded`: every session slot is taken; retried (after the
/// server's `Retry-After`, else the backoff) so the call waits for a slot to free.
///
/// ```
/// use surefoot::retry::{classify::ConcurrencyLimit, RetryAction, RetryClassifier, RetryContext};
/// let e = surefoot::Error::from_response(429, &http::HeaderMap::new(),
///     br#"{"error": {"code": "concurrency_limit_exceeded"}}"#, false);
/// assert_eq!(ConcurrencyLimit.classify(&RetryContext { error: &e, idempotent: false }), RetryAction::Retry);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ConcurrencyLimit;

impl RetryClassifier for ConcurrencyLimit {
    fn name(&self) -> &'static str {
        "concurrency_limit"
    }
    fn classify(&self, ctx: &RetryContext<'_>) -> RetryAction {
        if ctx.error.code() == codes::CONCURRENCY_LIMIT_EXCEEDED {
            RetryAction::Retry
        } else {
            RetryAction::NoOpinion
        }
    }
}

/// The HTTP status of an answer: 408, 429, 500, 502, 503 and 504 are retried; every
/// other status (4xx, 501, 505+, a 2xx whose body could not be read) is not.
///
/// ```
/// use surefoot::retry::{classify::Status, FailReason, RetryAction, RetryClassifier, RetryContext};
/// let e = surefoot::Error::from_response(404, &http::HeaderMap::new(), b"", false);
/// assert_eq!(Status.classify(&RetryContext { error: &e, idempotent: true }),
///     RetryAction::DontRetry(FailReason::NotRetryable));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Status;

impl RetryClassifier for Status {
    fn name(&self) -> &'static str {
        "status"
    }
    fn classify(&self, ctx: &RetryContext<'_>) -> RetryAction {
        match ctx.error.status() {
            Some(408 | 429 | 500 | 502 | 503 | 504) => RetryAction::Retry,
            Some(_) => RetryAction::DontRetry(FailReason::NotRetryable),
            None => RetryAction::NoOpinion,
        }
    }
}

/// Failures without an answer: connection failures and timeouts are retried; anything
/// else without a status (refused before sending, the client's own limiter, a server
/// certificate TLS refused) is not.
///
/// ```
/// use surefoot::retry::{classify::Transport, RetryAction, RetryClassifier, RetryContext};
/// let e = surefoot::Error::connection("refused", false);
/// assert_eq!(Transport.classify(&RetryContext { error: &e, idempotent: false }), RetryAction::Retry);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Transport;

impl RetryClassifier for Transport {
    fn name(&self) -> &'static str {
        "transport"
    }
    fn classify(&self, ctx: &RetryContext<'_>) -> RetryAction {
        if ctx.error.status().is_some() {
            return RetryAction::NoOpinion;
        }
        match ctx.error.kind() {
            ErrorKind::Connection if ctx.error.is_certificate_refused() => {
                RetryAction::DontRetry(FailReason::NotRetryable)
            }
            ErrorKind::Connection | ErrorKind::Timeout => RetryAction::Retry,
            _ => RetryAction::DontRetry(FailReason::NotRetryable),
        }
    }
}

/// An ordered list of classifiers: the first answer other than
/// [`RetryAction::NoOpinion`] decides; when none has an opinion, the answer is
/// "don't retry".
///
/// ```
/// use surefoot::retry::{Classifiers, RetryAction, RetryContext};
/// let e = surefoot::Error::from_response(503, &http::HeaderMap::new(), b"", false);
/// let c = Classifiers::default();
/// assert_eq!(c.classify(&RetryContext { error: &e, idempotent: true }), RetryAction::Retry);
/// assert_eq!(c.names(), ["payment_codes", "idempotency", "daily_cap", "concurrency_limit", "status", "transport"]);
/// ```
#[derive(Clone)]
pub struct Classifiers(Vec<Arc<dyn RetryClassifier>>);

impl Classifiers {
    /// No classifier at all (every failure answers "don't retry"); add some with
    /// [`push`](Classifiers::push).
    ///
    /// ```
    /// assert!(surefoot::retry::Classifiers::empty().names().is_empty());
    /// ```
    pub fn empty() -> Self {
        Classifiers(Vec::new())
    }

    /// Add `c` after the classifiers already there.
    ///
    /// ```
    /// let mut c = surefoot::retry::Classifiers::empty();
    /// c.push(std::sync::Arc::new(surefoot::retry::classify::Status));
    /// assert_eq!(c.names(), ["status"]);
    /// ```
    pub fn push(&mut self, c: Arc<dyn RetryClassifier>) {
        self.0.push(c);
    }

    /// Put `c` before the classifiers already there (so it speaks first).
    ///
    /// ```
    /// let mut c = surefoot::retry::Classifiers::default();
    /// c.push_front(std::sync::Arc::new(surefoot::retry::classify::Transport));
    /// assert_eq!(c.names()[0], "transport");
    /// ```
    pub fn push_front(&mut self, c: Arc<dyn RetryClassifier>) {
        self.0.insert(0, c);
    }

    /// The classifiers' names, in order.
    ///
    /// ```
    /// assert_eq!(surefoot::retry::Classifiers::default().names().len(), 6);
    /// ```
    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|c| c.name()).collect()
    }

    /// The first classifier with an opinion, and that opinion (`None` when none has one).
    ///
    /// ```
    /// use surefoot::retry::{Classifiers, RetryAction, RetryContext};
    /// let e = surefoot::Error::connection("refused", false);
    /// let (name, action) = Classifiers::default().first_opinion(&RetryContext { error: &e, idempotent: false }).unwrap();
    /// assert_eq!((name, action), ("transport", RetryAction::Retry));
    /// ```
    pub fn first_opinion(&self, ctx: &RetryContext<'_>) -> Option<(&'static str, RetryAction)> {
        self.0
            .iter()
            .map(|c| (c.name(), c.classify(ctx)))
            .find(|(_, a)| *a != RetryAction::NoOpinion)
    }

    /// The first opinion, or "don't retry" when none has one.
    ///
    /// ```
    /// use surefoot::retry::{Classifiers, FailReason, RetryAction, RetryContext};
    /// let e = surefoot::Error::timeout("t");
    /// assert_eq!(Classifiers::empty().classify(&RetryContext { error: &e, idempotent: true }),
    ///     RetryAction::DontRetry(FailReason::NotRetryable));
    /// ```
    pub fn classify(&self, ctx: &RetryContext<'_>) -> RetryAction {
        self.first_opinion(ctx)
            .map_or(RetryAction::DontRetry(FailReason::NotRetryable), |(_, a)| a)
    }
}

impl Default for Classifiers {
    /// The built-in chain, in order: payment codes, idempotency, daily cap, concurrency
    /// limit, status, transport.
    fn default() -> Self {
        Classifiers(vec![
            Arc::new(PaymentCodes),
            Arc::new(Idempotency),
            Arc::new(DailyCap),
            Arc::new(ConcurrencyLimit),
            Arc::new(Status),
            Arc::new(Transport),
        ])
    }
}

impl fmt::Debug for Classifiers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

/// The built-in chain, built once (what [`Error::is_retryable`] and
/// [`RetryPolicy::decide`](crate::retry::RetryPolicy::decide) use).
///
/// ```
/// assert_eq!(surefoot::retry::classify::default_classifiers().names().len(), 6);
/// ```
pub fn default_classifiers() -> &'static Classifiers {
    static DEFAULT: OnceLock<Classifiers> = OnceLock::new();
    DEFAULT.get_or_init(Classifiers::default)
}

impl Error {
    /// Whether this failure is worth retrying, as the built-in classifiers see it for an
    /// idempotent request (the retry decision still applies its own rules: idempotency,
    /// the number of retries, the retry budget, the maximum wait, the deadline).
    ///
    /// ```
    /// let h = http::HeaderMap::new();
    /// let quota = br#"{"error": {"message": "quota", "type": "insufficient_quota", "code": "insufficient_quota"}}"#;
    /// assert!(!surefoot::Error::from_response(429, &h, quota, false).is_retryable());
    /// assert!(surefoot::Error::from_response(503, &h, b"", false).is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        default_classifiers()
            .classify(&RetryContext {
                error: self,
                idempotent: true,
            })
            .is_retry()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(status: u16, code: &str) -> Error {
        let body = format!(r#"{{"error": {{"message": "m", "code": "{code}"}}}}"#);
        Error::from_response(status, &http::HeaderMap::new(), body.as_bytes(), false)
    }

    fn ctx(e: &Error, idempotent: bool) -> RetryContext<'_> {
        RetryContext {
            error: e,
            idempotent,
        }
    }

    #[test]
    fn each_classifier_answers_only_its_own_case() {
        let quota = err(429, codes::INSUFFICIENT_QUOTA);
        let conflict = err(409, codes::IDEMPOTENCY_CONFLICT);
        let cap = err(429, codes::DAILY_CAP_EXCEEDED);
        let sessions = err(429, codes::CONCURRENCY_LIMIT_EXCEEDED);
        let unavailable = err(503, "overloaded");
        let reset = Error::connection("reset", true);
        let dont = RetryAction::DontRetry(FailReason::NotRetryable);
        assert_eq!(PaymentCodes.classify(&ctx(&quota, true)), dont);
        assert_eq!(
            PaymentCodes.classify(&ctx(&unavailable, true)),
            RetryAction::NoOpinion
        );
        assert_eq!(Idempotency.classify(&ctx(&conflict, true)), dont);
        assert_eq!(
            Idempotency.classify(&ctx(&reset, false)),
            RetryAction::DontRetry(FailReason::NotIdempotent)
        );
        assert_eq!(
            Idempotency.classify(&ctx(&sessions, false)),
            RetryAction::NoOpinion
        );
        assert_eq!(
            Idempotency.classify(&ctx(&Error::connection("refused", false), false)),
            RetryAction::NoOpinion
        );
        assert_eq!(DailyCap.classify(&ctx(&cap, true)), dont);
        assert_eq!(
            DailyCap.classify(&ctx(&sessions, true)),
            RetryAction::NoOpinion
        );
        assert_eq!(
            ConcurrencyLimit.classify(&ctx(&sessions, true)),
            RetryAction::Retry
        );
        assert_eq!(
            ConcurrencyLimit.classify(&ctx(&cap, true)),
            RetryAction::NoOpinion
        );
        assert_eq!(
            Status.classify(&ctx(&unavailable, true)),
            RetryAction::Retry
        );
        assert_eq!(Status.classify(&ctx(&err(501, "x"), true)), dont);
        assert_eq!(Status.classify(&ctx(&reset, true)), RetryAction::NoOpinion);
        assert_eq!(Transport.classify(&ctx(&reset, true)), RetryAction::Retry);
        assert_eq!(
            Transport.classify(&ctx(&Error::timeout("t"), true)),
            RetryAction::Retry
        );
        assert_eq!(
            Transport.classify(&ctx(&Error::invalid_request("x"), true)),
            dont
        );
        assert_eq!(
            Transport.classify(&ctx(&unavailable, true)),
            RetryAction::NoOpinion
        );
    }

    #[test]
    fn the_first_opinion_wins() {
        #[derive(Debug)]
        struct Always(RetryAction);
        impl RetryClassifier for Always {
            fn name(&self) -> &'static str {
                "always"
            }
            fn classify(&self, _: &RetryContext<'_>) -> RetryAction {
                self.0
            }
        }
        let quota = err(429, codes::INSUFFICIENT_QUOTA);
        let mut c = Classifiers::default();
        c.push_front(Arc::new(Always(RetryAction::NoOpinion)));
        assert!(!c.classify(&ctx(&quota, true)).is_retry());
        c.push_front(Arc::new(Always(RetryAction::Retry)));
        assert!(c.classify(&ctx(&quota, true)).is_retry());
        // Appended after the built-ins, it is never asked about what they answer.
        let mut c = Classifiers::default();
        c.push(Arc::new(Always(RetryAction::Retry)));
        assert!(!c.classify(&ctx(&quota, true)).is_retry());
    }

    #[test]
    fn is_retryable_matches_the_documented_table() {
        for (status, code, retry) in [
            (429, codes::RATE_LIMIT_EXCEEDED, true),
            (429, codes::CONCURRENCY_LIMIT_EXCEEDED, true),
            (429, codes::INSUFFICIENT_QUOTA, false),
            (402, codes::CREDIT_EXHAUSTED, false),
            (409, codes::IDEMPOTENCY_CONFLICT, false),
            (408, "request_timeout", true),
            (500, "x", true),
            (502, "x", true),
            (503, "x", true),
            (504, "x", true),
            (501, "x", false),
            (400, "x", false),
            (401, codes::UNAUTHORIZED, false),
        ] {
            assert_eq!(err(status, code).is_retryable(), retry, "{status} {code}");
        }
        assert!(Error::timeout("t").is_retryable());
        assert!(Error::connection("reset", true).is_retryable());
        assert!(!Error::decode("x", 200, b"{").is_retryable());
        assert!(!Error::invalid_request("x").is_retryable());
    }
}
