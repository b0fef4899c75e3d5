//! The error's kind ([`ErrorKind`]: what kind of failure, for branching) and why the retry
//! decision stopped ([`FailReason`]), each with its stable name.

use std::fmt;

/// Why the retry decision returned an error instead of trying again (see
/// [`crate::retry::Decision::Fail`] and [`Error::stop_reason`](crate::Error::stop_reason)).
///
/// ```
/// assert_eq!(surefoot::retry::FailReason::NotIdempotent.as_str(), "not_idempotent");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailReason {
    /// The error is not worth retrying (4xx, payment, conflict, decode…, or a daily cap
    /// whose reset time is unknown).
    NotRetryable,
    /// `max_retries` retries were already made.
    RetriesExhausted,
    /// A non-idempotent request that may have reached the server (and was not a 429).
    NotIdempotent,
    /// The wait exceeds `max_retry_wait`.
    WaitExceedsMaxRetryWait,
    /// The wait would reach or pass the overall deadline.
    WaitExceedsDeadline,
    /// The retry budget of this key and host is spent: too many calls to it failed
    /// lately, so this one fails now instead of adding load (see
    /// [`crate::retry::budget`]).
    RetryBudgetExhausted,
    /// The host is in an outage and the call was held as long as it may wait
    /// (the smaller of its deadline and `max_retry_wait`) without the host recovering.
    HeldTooLong,
}

impl FailReason {
    /// A stable snake_case name (for logs and bindings).
    ///
    /// ```
    /// use surefoot::retry::FailReason;
    /// assert_eq!(FailReason::WaitExceedsDeadline.as_str(), "wait_exceeds_deadline");
    /// assert_eq!(FailReason::RetryBudgetExhausted.as_str(), "retry_budget_exhausted");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            FailReason::NotRetryable => "not_retryable",
            FailReason::RetriesExhausted => "retries_exhausted",
            FailReason::NotIdempotent => "not_idempotent",
            FailReason::WaitExceedsMaxRetryWait => "wait_exceeds_max_retry_wait",
            FailReason::WaitExceedsDeadline => "wait_exceeds_deadline",
            FailReason::RetryBudgetExhausted => "retry_budget_exhausted",
            FailReason::HeldTooLong => "held_too_long",
        }
    }
}

impl fmt::Display for FailReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The broad category of a failure; the same twelve values in every language.
///
/// Branch on [`Error::code`](crate::Error::code) for precise handling and on the kind for coarse handling.
///
/// ```
/// use surefoot::ErrorKind;
/// assert_eq!(ErrorKind::RateLimited.as_str(), "rate_limited");
/// assert_eq!(ErrorKind::PaymentRequired.to_string(), "payment_required");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// 401: missing, invalid, expired or revoked key.
    Authentication,
    /// 403: the key may not do this (scope, plan, origin).
    Permission,
    /// 404: no such resource (for this key/workspace).
    NotFound,
    /// 400, 422 and other 4xx: the request needs fixing.
    Validation,
    /// 409: e.g. an idempotency key reused with a different body.
    Conflict,
    /// 402, or a quota/credit/budget code on any status: add credit or upgrade.
    PaymentRequired,
    /// 429 rate, concurrency or daily-cap limits.
    RateLimited,
    /// 5xx, or a success response whose body could not be understood.
    Server,
    /// The connection failed (DNS, connect, TLS, reset).
    Connection,
    /// A per-attempt timeout or the overall deadline expired (also HTTP 408).
    Timeout,
    /// Refused on the client side before anything was sent.
    InvalidRequest,
    /// A bulk item the run did not finish because the run stopped or was interrupted first
    /// (the error says why, and whether its outcome is unknown because it was sent).
    NotDone,
}

impl ErrorKind {
    /// Every kind, in declaration order (handy for bindings and exhaustive tests).
    ///
    /// ```
    /// assert_eq!(surefoot::error::ErrorKind::ALL.len(), 12);
    /// ```
    pub const ALL: [ErrorKind; 12] = [
        ErrorKind::Authentication,
        ErrorKind::Permission,
        ErrorKind::NotFound,
        ErrorKind::Validation,
        ErrorKind::Conflict,
        ErrorKind::PaymentRequired,
        ErrorKind::RateLimited,
        ErrorKind::Server,
        ErrorKind::Connection,
        ErrorKind::Timeout,
        ErrorKind::InvalidRequest,
        ErrorKind::NotDone,
    ];

    /// The stable snake_case name of the kind.
    ///
    /// ```
    /// assert_eq!(surefoot::ErrorKind::NotFound.as_str(), "not_found");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Authentication => "authentication",
            ErrorKind::Permission => "permission",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Validation => "validation",
            ErrorKind::Conflict => "conflict",
            ErrorKind::PaymentRequired => "payment_required",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Server => "server",
            ErrorKind::Connection => "connection",
            ErrorKind::Timeout => "timeout",
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::NotDone => "not_done",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
