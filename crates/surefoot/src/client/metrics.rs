//! Per-client counters of what the send loop did: requests put on the wire, retries, 429s
//! and other failures received, idempotent replays (duplicates the server refused to
//! create), calls held while their host was in an outage, calls failed because the retry
//! budget was spent, and the time spent waiting on the client-side limiter, in backoff
//! and held. Read a
//! [`Metrics`] snapshot with [`Client::metrics`](crate::Client::metrics); clones of a
//! client share one set of counters, so a progress bar can watch many tasks at once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::client::response::Response;
use crate::error::{Error, ErrorKind};

/// A snapshot of a client's counters since it was built (see
/// [`Client::metrics`](crate::Client::metrics)). Durations are summed over calls: with
/// many tasks waiting at once, `pacing_wait` can exceed the wall time.
///
/// ```no_run
/// # async fn run(client: surefoot::pyai::Client) -> surefoot::Result<()> {
/// use surefoot::pyai::CreateJob;
/// let before = client.client().metrics();
/// client.jobs().create(CreateJob::new("https://example.com/a.wav")).await?;
/// let m = client.client().metrics().since(&before);
/// println!(
///     "{} request(s), {} retried, {} 429s, {:?} on the limiter, {} duplicate(s) avoided",
///     m.requests_sent, m.retries, m.rate_limited, m.pacing_wait, m.replays
/// );
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// Logical calls that ended in a response.
    pub calls_succeeded: u64,
    /// Logical calls that ended in an error after the send loop started (after retries,
    /// or refused by the limiter/deadline); checks failed before sending are not counted.
    pub calls_failed: u64,
    /// HTTP attempts made (every try, including one whose connection failed).
    pub requests_sent: u64,
    /// Attempts that were retried (after a 429, 5xx, connection failure or timeout).
    pub retries: u64,
    /// 429 answers received (rate limits, concurrency limits, daily caps).
    pub rate_limited: u64,
    /// 5xx answers received.
    pub server_errors: u64,
    /// Attempts that failed without an answer (connection failures and timeouts).
    pub connection_errors: u64,
    /// Successful answers the server replayed for an idempotency key it had already
    /// seen (`Idempotent-Replayed: true`): duplicates avoided.
    pub replays: u64,
    /// Time spent waiting on the client-side limiter (pacing and 429 pauses).
    pub pacing_wait: Duration,
    /// Time slept between attempts (backoff and `Retry-After`).
    pub backoff_wait: Duration,
    /// Pacing decisions made in this process because the shared pacing store (Redis) did
    /// not answer within its decision timeout: counted by the store, so every client
    /// using it sees the same number. Always 0 with the in-process store.
    pub pacing_store_fallbacks: u64,
    /// Times a call was held because its host was in an outage (see
    /// [`crate::retry::hold`]); each hold ends when the host recovers, the call's turn to
    /// probe comes, or the call has waited as long as it may.
    pub calls_held: u64,
    /// Time calls spent held.
    pub hold_wait: Duration,
    /// Calls failed at once because the retry budget of their key and host was spent.
    pub retry_budget_exhausted: u64,
}

impl Metrics {
    /// The counters accumulated between `earlier` and `self` (saturating at zero).
    ///
    /// ```
    /// let m = surefoot::Metrics::default();
    /// assert_eq!(m.since(&m), surefoot::Metrics::default());
    /// ```
    pub fn since(&self, earlier: &Metrics) -> Metrics {
        Metrics {
            calls_succeeded: self.calls_succeeded.saturating_sub(earlier.calls_succeeded),
            calls_failed: self.calls_failed.saturating_sub(earlier.calls_failed),
            requests_sent: self.requests_sent.saturating_sub(earlier.requests_sent),
            retries: self.retries.saturating_sub(earlier.retries),
            rate_limited: self.rate_limited.saturating_sub(earlier.rate_limited),
            server_errors: self.server_errors.saturating_sub(earlier.server_errors),
            connection_errors: self
                .connection_errors
                .saturating_sub(earlier.connection_errors),
            replays: self.replays.saturating_sub(earlier.replays),
            pacing_wait: self.pacing_wait.saturating_sub(earlier.pacing_wait),
            backoff_wait: self.backoff_wait.saturating_sub(earlier.backoff_wait),
            pacing_store_fallbacks: self
                .pacing_store_fallbacks
                .saturating_sub(earlier.pacing_store_fallbacks),
            calls_held: self.calls_held.saturating_sub(earlier.calls_held),
            hold_wait: self.hold_wait.saturating_sub(earlier.hold_wait),
            retry_budget_exhausted: self
                .retry_budget_exhausted
                .saturating_sub(earlier.retry_budget_exhausted),
        }
    }

    /// `pacing_wait + backoff_wait + hold_wait`.
    ///
    /// ```
    /// assert_eq!(surefoot::Metrics::default().total_wait(), std::time::Duration::ZERO);
    /// ```
    pub fn total_wait(&self) -> Duration {
        self.pacing_wait + self.backoff_wait + self.hold_wait
    }
}

/// The live counters behind a client (shared by its clones).
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    calls_succeeded: AtomicU64,
    calls_failed: AtomicU64,
    requests_sent: AtomicU64,
    retries: AtomicU64,
    rate_limited: AtomicU64,
    server_errors: AtomicU64,
    connection_errors: AtomicU64,
    replays: AtomicU64,
    pacing_wait_us: AtomicU64,
    backoff_wait_us: AtomicU64,
    calls_held: AtomicU64,
    hold_wait_us: AtomicU64,
    retry_budget_exhausted: AtomicU64,
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl Recorder {
    pub(crate) fn snapshot(&self) -> Metrics {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Metrics {
            calls_succeeded: get(&self.calls_succeeded),
            calls_failed: get(&self.calls_failed),
            requests_sent: get(&self.requests_sent),
            retries: get(&self.retries),
            rate_limited: get(&self.rate_limited),
            server_errors: get(&self.server_errors),
            connection_errors: get(&self.connection_errors),
            replays: get(&self.replays),
            pacing_wait: Duration::from_micros(get(&self.pacing_wait_us)),
            backoff_wait: Duration::from_micros(get(&self.backoff_wait_us)),
            pacing_store_fallbacks: 0,
            calls_held: get(&self.calls_held),
            hold_wait: Duration::from_micros(get(&self.hold_wait_us)),
            retry_budget_exhausted: get(&self.retry_budget_exhausted),
        }
    }

    pub(crate) fn sent(&self) {
        add(&self.requests_sent, 1);
    }

    pub(crate) fn paced(&self, waited: Duration) {
        if !waited.is_zero() {
            add(&self.pacing_wait_us, micros(waited));
        }
    }

    pub(crate) fn failed_attempt(&self, err: &Error) {
        match err.status() {
            Some(429) => add(&self.rate_limited, 1),
            Some(s) if s >= 500 => add(&self.server_errors, 1),
            Some(_) => {}
            None if matches!(err.kind(), ErrorKind::Connection | ErrorKind::Timeout) => {
                add(&self.connection_errors, 1)
            }
            None => {}
        }
    }

    pub(crate) fn held(&self, waited: Duration) {
        add(&self.calls_held, 1);
        add(&self.hold_wait_us, micros(waited));
    }

    pub(crate) fn budget_exhausted(&self) {
        add(&self.retry_budget_exhausted, 1);
    }

    pub(crate) fn retried(&self, after: Duration) {
        add(&self.retries, 1);
        add(&self.backoff_wait_us, micros(after));
    }

    pub(crate) fn finished(&self, result: &Result<Response, Error>) {
        match result {
            Ok(resp) => {
                add(&self.calls_succeeded, 1);
                if resp.is_replay() {
                    add(&self.replays, 1);
                }
            }
            Err(_) => add(&self.calls_failed, 1),
        }
    }
}
