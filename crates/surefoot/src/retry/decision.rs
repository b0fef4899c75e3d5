//! The retry decision: after a failed attempt, ask the classifiers, then weigh their
//! answer against the policy — retries already made, the wait (the classifier's, the
//! server's `Retry-After`, else the backoff strategy's), `max_retry_wait` and the time
//! left before the deadline — and answer [`Decision::Retry`] after a wait or
//! [`Decision::Fail`] with the reason. Pure: no I/O, no sleeping, no clock; the retry
//! budget (which needs the store) is applied by the send loop on a `Retry`. Once a call's
//! retries are over, [`Error::verdict`] tells bulk work what its final error means for
//! the rest of the run: stop, try the item later, or count it failed.

use std::time::Duration;

use super::backoff::BackoffStrategy;
use super::classify::{Classifiers, RetryAction, RetryContext};
use super::RetryPolicy;
use crate::error::{codes, Error, ErrorKind, FailReason};

/// What to do after a failed attempt.
///
/// ```
/// use std::time::Duration;
/// use surefoot::retry::Decision;
/// let d = Decision::Retry { after: Duration::from_secs(1) };
/// assert!(d.is_retry());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Sleep `after`, then send again.
    Retry {
        /// How long to wait before the next attempt.
        after: Duration,
    },
    /// Give up and return the error; `retry_after` is what to put on it (the server's
    /// requested wait, or the wait we refused to make).
    Fail {
        /// The wait to report on the returned error.
        retry_after: Option<Duration>,
        /// Why retrying stopped.
        reason: FailReason,
    },
}

impl Decision {
    /// Whether this is [`Decision::Retry`].
    ///
    /// ```
    /// use surefoot::retry::{Decision, FailReason};
    /// assert!(!Decision::Fail { retry_after: None, reason: FailReason::NotRetryable }.is_retry());
    /// ```
    pub fn is_retry(&self) -> bool {
        matches!(self, Decision::Retry { .. })
    }
}

/// One failed attempt and its circumstances, as [`decide`] weighs them.
///
/// ```
/// let e = surefoot::Error::timeout("t");
/// let a = surefoot::retry::Attempt { error: &e, retries_done: 0, idempotent: true, remaining: None, jitter: 1.0 };
/// assert_eq!(a.retries_done, 0);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    /// The attempt's error.
    pub error: &'a Error,
    /// Retries already made for this call.
    pub retries_done: u32,
    /// Whether the request may be sent twice.
    pub idempotent: bool,
    /// Time left before the call's deadline, if it has one.
    pub remaining: Option<Duration>,
    /// A jitter factor in [0.5, 1] for the backoff (see [`jitter`](super::jitter)).
    pub jitter: f64,
}

/// The decision after `attempt`, with these classifiers and backoff.
///
/// Rules, in order: the classifiers' answer "don't retry" fails with its reason; after
/// `max_retries` retries, fail; the wait is the classifier's (`RetryAfter`), else the
/// server's `retry_after`, else the backoff (so a 429 is never retried instantly); a
/// wait above `max_retry_wait` or reaching the deadline fails at once with `retry_after`
/// set to that wait.
///
/// ```
/// use std::time::Duration;
/// use surefoot::retry::{decide, Attempt, Classifiers, Decision, ExponentialBackoff, RetryPolicy};
/// let e = surefoot::Error::from_response(503, &http::HeaderMap::new(), b"", false);
/// let a = Attempt { error: &e, retries_done: 1, idempotent: true, remaining: None, jitter: 1.0 };
/// let d = decide(&RetryPolicy::default(), &Classifiers::default(), &ExponentialBackoff::default(), &a);
/// assert_eq!(d, Decision::Retry { after: Duration::from_secs(2) });
/// ```
pub fn decide(
    policy: &RetryPolicy,
    classifiers: &Classifiers,
    backoff: &dyn BackoffStrategy,
    attempt: &Attempt<'_>,
) -> Decision {
    let error = attempt.error;
    let fail = |retry_after, reason| Decision::Fail {
        retry_after,
        reason,
    };
    let action = classifiers.classify(&RetryContext {
        error,
        idempotent: attempt.idempotent,
    });
    let fixed = match action {
        RetryAction::NoOpinion => return fail(error.retry_after(), FailReason::NotRetryable),
        RetryAction::DontRetry(FailReason::NotIdempotent)
            if attempt.retries_done >= policy.max_retries =>
        {
            return fail(error.retry_after(), FailReason::RetriesExhausted)
        }
        RetryAction::DontRetry(reason) => return fail(error.retry_after(), reason),
        RetryAction::Retry => None,
        RetryAction::RetryAfter(d) => Some(d),
    };
    if attempt.retries_done >= policy.max_retries {
        return fail(error.retry_after(), FailReason::RetriesExhausted);
    }
    let wait = fixed
        .or(error.retry_after())
        .unwrap_or_else(|| backoff.delay(attempt.retries_done, error, attempt.jitter));
    if wait > policy.max_retry_wait {
        return fail(Some(wait), FailReason::WaitExceedsMaxRetryWait);
    }
    if let Some(r) = attempt.remaining
        && wait >= r
    {
        return fail(Some(wait), FailReason::WaitExceedsDeadline);
    }
    Decision::Retry { after: wait }
}

/// What bulk work (a CLI run, a batch job) should do with an item's final error, once the
/// call's own retries are spent (see [`Error::verdict`]).
///
/// ```
/// use surefoot::retry::Verdict;
/// let e = surefoot::Error::from_response(422, &http::HeaderMap::new(), b"", false);
/// assert_eq!(e.verdict(), Verdict::ItemFailed);
/// assert_eq!(Verdict::StopRun.as_str(), "stop_run");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// About the key or the service as a whole (revoked key, no access, no credit, a
    /// daily cap, a key paused longer than the call may wait, a server that cannot be
    /// reached or stayed in an outage): every other item would fail the same way, so stop.
    StopRun,
    /// Transient (429, 5xx, a dropped connection, a timeout, the retry budget spent):
    /// try the item again in a later round, with the same idempotency key.
    TryLater,
    /// About this item only (validation, conflict, not found): report it and go on.
    ItemFailed,
}

impl Verdict {
    /// A stable snake_case name.
    ///
    /// ```
    /// assert_eq!(surefoot::retry::Verdict::TryLater.as_str(), "try_later");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::StopRun => "stop_run",
            Verdict::TryLater => "try_later",
            Verdict::ItemFailed => "item_failed",
        }
    }
}

impl Error {
    /// What bulk work should do with this final error of an item: see [`Verdict`].
    ///
    /// ```
    /// use surefoot::{retry::Verdict, Error};
    /// let h = http::HeaderMap::new();
    /// assert_eq!(Error::from_response(401, &h, b"", false).verdict(), Verdict::StopRun);
    /// assert_eq!(Error::from_response(503, &h, b"", false).verdict(), Verdict::TryLater);
    /// assert_eq!(Error::connection("refused", false).verdict(), Verdict::StopRun);
    /// assert_eq!(Error::from_response(404, &h, b"", false).verdict(), Verdict::ItemFailed);
    /// ```
    pub fn verdict(&self) -> Verdict {
        match self.kind() {
            ErrorKind::Authentication | ErrorKind::Permission | ErrorKind::PaymentRequired => {
                return Verdict::StopRun
            }
            _ if self.code() == codes::DAILY_CAP_EXCEEDED => return Verdict::StopRun,
            _ => {}
        }
        if self.stop_reason() == Some(FailReason::HeldTooLong) {
            // The host stayed in an outage for as long as a call may wait.
            return Verdict::StopRun;
        }
        if self.code() == codes::CLIENT_RATE_LIMITED {
            // This client's own limiter had more calls queued than this one may wait for:
            // it was not sent, and goes again once the queue has drained.
            return Verdict::TryLater;
        }
        let retryable = self.is_retryable();
        match self.kind() {
            // A server's pause longer than the call may wait: the key is paused a while.
            ErrorKind::RateLimited if !retryable => Verdict::StopRun,
            // Could not even connect after every retry: the service is down or the URL wrong.
            ErrorKind::Connection if !self.reached_server() => Verdict::StopRun,
            _ if retryable => Verdict::TryLater,
            _ => Verdict::ItemFailed,
        }
    }
}
