//! The send loop of one call, in steps around one [`Call`] state: wait for the host's
//! outage hold, wait for the pacer, send one attempt (`client::exchange`), then on a
//! failure let pacing and the hold learn from it, decide (retry classifiers, backoff,
//! the retry budget) and either sleep and go again or stop with the error. One deadline
//! bounds every attempt and wait; the same body bytes and idempotency key go out each time.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tracing::Instrument;

use crate::client::exchange::{held_too_long, refused_error};
use crate::client::request::Prepared;
use crate::client::response::Response;
use crate::error::{Error, Result};
use crate::retry::hold::{self, Entry, ProbeGuard, Unproven};
use crate::retry::{self, budget, Attempt, Decision, FailReason, RetryContext};

/// What the loop does after a failed attempt.
enum Next {
    /// Send again (after any sleep already taken).
    Again,
    /// Stop with this error.
    Stop(Error),
}

/// How this attempt passed the host's hold: as its probe, or admitted while the host is
/// not proven up (each dropped when the attempt's outcome is recorded).
#[derive(Default)]
struct Pass {
    probe: Option<ProbeGuard>,
    unproven: Option<Unproven>,
}

/// The state of one call across its attempts.
struct Call<'a> {
    req: &'a Prepared,
    deadline_at: Option<Instant>,
    /// A client that does not retry fails fast: it is never held.
    use_hold: bool,
    /// This call's id in the hold, taken when an attempt first fails (a shared counter:
    /// a call that succeeds at once never touches it).
    id: Option<u64>,
    /// The host's outage shared between processes (a shared store only).
    shared: Option<hold::Shared<'a>>,
    waited: Duration,
    attempt: u32,
    retries_done: u32,
    tokens_taken: u32,
    /// This call's last failed attempt (what a call held too long reports).
    last_err: Option<Error>,
    /// When this call must stop being held: `max_retry_wait` after its first hold.
    hold_until: Option<Instant>,
}

impl Prepared {
    /// Runs the call and counts how it ended. A block, not an `async fn`, so that the
    /// request is held once in the future (an `async fn` keeps `self` twice).
    #[allow(clippy::manual_async_fn)]
    pub(crate) fn run(self) -> impl std::future::Future<Output = Result<Response>> {
        async move {
            let result = self.send_loop().await;
            self.client.recorder().finished(&result);
            result
        }
    }

    async fn send_loop(&self) -> Result<Response> {
        let mut call = Call::new(self);
        loop {
            let pass = call.pass_the_hold().await?;
            call.attempt += 1;
            call.pace().await?;
            let timeout = call.attempt_timeout()?;
            // The outcome is bound first: as the `match`'s scrutinee it would be held in
            // this future while the arms wait.
            let outcome = call.send_attempt(timeout).await;
            let err = match outcome {
                Ok(resp) => return Ok(call.succeeded(resp, pass).await),
                Err(e) => e,
            };
            // Boxed: the failure path's future is large, and rarely made.
            match Box::pin(call.failed(err, pass)).await {
                Next::Again => continue,
                Next::Stop(e) => return Err(e),
            }
        }
    }
}

impl<'a> Call<'a> {
    fn new(req: &'a Prepared) -> Self {
        Call {
            req,
            deadline_at: req.deadline.map(|d| Instant::now() + d),
            use_hold: req.client.retry_policy().max_retries > 0,
            id: None,
            shared: req.client.shared_outage(),
            waited: Duration::ZERO,
            attempt: 0,
            retries_done: 0,
            tokens_taken: 0,
            last_err: None,
            hold_until: None,
        }
    }

    fn max_retry_wait(&self) -> Duration {
        self.req.client.retry_policy().max_retry_wait
    }

    fn held(&mut self, held: Duration) {
        if !held.is_zero() {
            self.waited += held;
            self.req.client.recorder().held(held);
        }
    }

    /// Waits while the host is in an outage or not proven up; a wait longer than the call
    /// may take fails it (its own last error, or "not sent" with the host's).
    async fn pass_the_hold(&mut self) -> Result<Pass> {
        let mut pass = Pass::default();
        if !self.use_hold {
            return Ok(pass);
        }
        let host = self.req.client.host_hold();
        if !host.is_proven() && !host.in_outage() {
            // A host not proven up admits a few attempts at a time until it answers.
            let now = Instant::now();
            let until = now + self.max_retry_wait();
            let until = self.deadline_at.map_or(until, |d| d.min(until));
            // Boxed, as the outage's wait below: a call that is not held does not carry
            // either future.
            let (admitted, held) =
                Box::pin(host.admit_unproven(until.saturating_duration_since(now), self.shared))
                    .await;
            self.held(held);
            pass.unproven = admitted;
        }
        if !host.in_outage() {
            return Ok(pass);
        }
        pass.unproven = None;
        let now = Instant::now();
        let until = *self.hold_until.get_or_insert(now + self.max_retry_wait());
        let until = self.deadline_at.map_or(until, |d| d.min(until));
        let (entry, held) =
            Box::pin(host.enter(until.saturating_duration_since(now), self.shared)).await;
        self.held(held);
        match entry {
            Entry::Open => {}
            Entry::Probe(p) => pass.probe = Some(p),
            Entry::TooLong { last_error, outage } => {
                let own = self.last_err.take();
                return Err(held_too_long(own, &last_error, &outage, held)
                    .with_attempts(self.attempt)
                    .with_waited(self.waited));
            }
        }
        Ok(pass)
    }

    /// Waits for the pacer, at most `max_retry_wait` and the remaining deadline; a longer
    /// wait (say the key is paused by a daily cap) fails now, telling how long to wait.
    async fn pace(&mut self) -> Result<()> {
        let Some(pacer) = &self.req.pacer else {
            return Ok(());
        };
        let mut max_wait = self.max_retry_wait();
        if let Some(at) = self.deadline_at {
            max_wait = max_wait.min(at.saturating_duration_since(Instant::now()));
        }
        // Boxed: the pacer's future is large for what it does when the key is not paced,
        // and unboxed it made every call's future too large for the allocator's fast path.
        match Box::pin(pacer.acquire_within(max_wait)).await {
            Ok(w) => {
                self.req.client.recorder().paced(w);
                if !w.is_zero() {
                    tracing::debug!(wait_ms = w.as_millis() as u64, "surefoot: paced");
                }
                self.waited += w;
                Ok(())
            }
            Err(refusal) => Err(refused_error(&refusal, pacer.limit())
                .with_retry_after(Some(refusal.wait))
                .with_attempts(self.attempt - 1)
                .with_waited(self.waited)),
        }
    }

    /// This attempt's timeout: the per-attempt one within what is left of the deadline;
    /// a deadline already spent fails the call.
    fn attempt_timeout(&self) -> Result<Option<Duration>> {
        let remaining = self
            .deadline_at
            .map(|d| d.saturating_duration_since(Instant::now()));
        if remaining == Some(Duration::ZERO) {
            return Err(Error::timeout(format!(
                "deadline of {} exceeded",
                crate::config::rate_display::human_duration(self.req.deadline.unwrap_or_default())
            ))
            .with_attempts(self.attempt - 1)
            .with_waited(self.waited));
        }
        Ok(match (self.req.timeout, remaining) {
            (Some(t), Some(r)) => Some(t.min(r)),
            (t, r) => t.or(r),
        })
    }

    /// One attempt inside its span; the status or error type is recorded on the span.
    async fn send_attempt(&self, timeout: Option<Duration>) -> Result<Response> {
        self.req.client.recorder().sent();
        let span = self.req.attempt_span(self.attempt);
        // Boxed: the attempt's future is large; moved by value into the span's wrapper it
        // cost memmoves on every call.
        let outcome = Box::pin(self.req.attempt(timeout))
            .instrument(span.clone())
            .await;
        match &outcome {
            Ok(resp) => {
                span.record("http.response.status_code", resp.status.as_u16());
            }
            Err(e) => {
                if let Some(s) = e.status() {
                    span.record("http.response.status_code", s);
                    span.record("error.type", s.to_string());
                } else {
                    span.record("error.type", e.code());
                }
            }
        }
        outcome
    }

    /// A successful answer: the hold and the retry budget learn it. (A block, not an
    /// `async fn`, which would hold the answer twice in its future.)
    #[allow(clippy::manual_async_fn)]
    fn succeeded(&self, mut resp: Response, pass: Pass) -> impl Future<Output = Response> + '_ {
        async move {
            let client = &self.req.client;
            client.host_hold().succeeded(pass.probe, self.shared).await;
            drop(pass.unproven);
            let (store, budget_key) = client.retry_budget_store();
            client
                .retry_budget()
                .on_success(store, budget_key, self.tokens_taken)
                .await;
            resp.attempts = self.attempt;
            resp.waited = self.waited;
            let span = tracing::Span::current();
            span.record("status", resp.status.as_u16());
            span.record("attempts", self.attempt);
            resp
        }
    }

    /// A failed attempt: pacing and the hold learn from it, then retry or stop.
    async fn failed(&mut self, err: Error, pass: Pass) -> Next {
        let client = &self.req.client;
        client.recorder().failed_attempt(&err);
        // A rate limit pauses every request on the key (not a session cap or a quota).
        if let Some(pacer) = &self.req.pacer {
            pacer.on_error(&err).await;
        }
        let was_probe = pass.probe.is_some();
        let host = client.host_hold();
        let id = *self.id.get_or_insert_with(hold::call_id);
        let in_outage = self.use_hold && host.failed(id, &err, pass.probe, self.shared).await;
        drop(pass.unproven);
        let ctx = RetryContext {
            error: &err,
            idempotent: self.req.idempotent,
        };
        if was_probe
            && in_outage
            && hold::is_host_failure(&err)
            && client.retry_classifiers().classify(&ctx).is_retry()
        {
            // A failed probe spends no retry: the call goes back to being held.
            tracing::debug!(
                attempt = self.attempt,
                code = err.code(),
                "surefoot: probe failed"
            );
            self.last_err = Some(err);
            return Next::Again;
        }
        match self.decide(&err).await {
            Decision::Retry { after } => {
                self.retry_after_sleep(err, after, in_outage).await;
                Next::Again
            }
            Decision::Fail {
                retry_after,
                reason,
            } => Next::Stop(self.give_up(err, retry_after, reason)),
        }
    }

    /// The retry decision, paid for from the retry budget.
    async fn decide(&mut self, err: &Error) -> Decision {
        let client = &self.req.client;
        let remaining = self
            .deadline_at
            .map(|d| d.saturating_duration_since(Instant::now()));
        let decision = retry::decide(
            client.retry_policy(),
            client.retry_classifiers(),
            client.backoff_strategy(),
            &Attempt {
                error: err,
                retries_done: self.retries_done,
                idempotent: self.req.idempotent,
                remaining,
                jitter: retry::jitter(),
            },
        );
        if !decision.is_retry() {
            return decision;
        }
        let budget = client.retry_budget();
        let (store, budget_key) = client.retry_budget_store();
        if budget.take(store, budget_key, err).await {
            self.tokens_taken = self.tokens_taken.saturating_add(budget.cost(err));
            decision
        } else {
            Decision::Fail {
                retry_after: err.retry_after(),
                reason: FailReason::RetryBudgetExhausted,
            }
        }
    }

    /// Sleeps before the next attempt; in an outage the hold replaces the backoff (the
    /// call waits for the host's recovery, or its turn to probe, instead of a blind sleep).
    async fn retry_after_sleep(&mut self, err: Error, after: Duration, in_outage: bool) {
        self.retries_done += 1;
        let sleep = if in_outage { Duration::ZERO } else { after };
        tracing::warn!(
            attempt = self.attempt,
            status = err.status(),
            code = err.code(),
            wait_ms = sleep.as_millis() as u64,
            held = in_outage,
            error = %err.message(),
            "surefoot: retrying"
        );
        self.req.client.recorder().retried(sleep);
        if !sleep.is_zero() {
            tokio::time::sleep(sleep).await;
            self.waited += sleep;
        }
        self.last_err = Some(err);
    }

    /// The call's final error: attempts, wait, `retry_after` and why it stopped.
    fn give_up(&self, err: Error, retry_after: Option<Duration>, reason: FailReason) -> Error {
        tracing::debug!(
            attempt = self.attempt,
            code = err.code(),
            ?reason,
            "surefoot: giving up"
        );
        let span = tracing::Span::current();
        if let Some(s) = err.status() {
            span.record("status", s);
        }
        span.record("attempts", self.attempt);
        let retry_after = retry_after.or(err.retry_after());
        let err = if reason == FailReason::RetryBudgetExhausted {
            self.req.client.recorder().budget_exhausted();
            tracing::warn!(
                code = err.code(),
                "surefoot: retry budget exhausted for this key and host; not retried"
            );
            let message = budget::exhausted_message(&err);
            err.with_message(message)
        } else {
            err
        };
        err.with_attempts(self.attempt)
            .with_retry_after(retry_after)
            .with_waited(self.waited)
            .with_stop_reason(Some(reason))
    }
}
