//! What the server's answers teach a [`Pacer`]: every answer but a 429 counts toward
//! the accepted rate learning measures, a 429 pauses the key and (with no configured
//! limit) decreases the learned rate once per overload episode, and rate-limit headers
//! pause until a reset or announce the limit. With a store that learns together
//! (Redis) the measurements, the episode and the learned state are the whole fleet's:
//! the process whose 429 opened the episode decides the decrease from every process's
//! accepted answers and publishes it; the others take it with their next decision.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::learner::QUIET_PAUSE_MIN;
use super::pacer::Pacer;
use super::store::{Episode, PauseCause};
use super::{lock, RateLimit, DEFAULT_429_PAUSE, LEARNED_LIMIT_TTL};
use crate::error::Error;
use crate::headers::{RateLimitHeaders, MAX_RETRY_AFTER};

/// Whether an answer's headers say anything [`Pacer::observe_headers`] reads: every header
/// it reads is named `x-ratelimit…` or `ratelimit…` (one pass over the names instead of a
/// dozen lookups). A caller that skips the call without one skips its future too.
pub(crate) fn announces_limits(headers: &http::HeaderMap) -> bool {
    headers.keys().any(|name| {
        let name = name.as_str();
        name.starts_with("ratelimit") || name.starts_with("x-ratelimit")
    })
}

/// How long a learned limit read from the store is trusted before it is read again.
const LEARNED_REFRESH: Duration = Duration::from_secs(1);

impl Pacer {
    /// Brings this process's learned state up to date with the store's when it may have
    /// changed (another process may have learned a limit); the caller then reads it under
    /// the lock it takes anyway. Nothing to do with a configured limit.
    pub(super) async fn sync_learned(&self) {
        let store = &self.inner.store;
        // One lock for both questions: this runs before every request.
        let (configured, stale) = {
            let st = lock(&self.inner.state);
            let stale = st
                .learned_synced
                .is_none_or(|t| t.elapsed() >= LEARNED_REFRESH);
            (st.configured.is_some(), stale)
        };
        if configured {
            return;
        }
        if store.learns_together() {
            // The fleet's state (brought back by the last decision; read at most once a
            // second otherwise) replaces this process's when it changed.
            if let Some((state, age)) = store.fleet_learned(&self.inner.id).await {
                let mut st = lock(&self.inner.state);
                if st.fleet_seen.as_deref() != Some(state.as_str()) {
                    st.learner.import(&state, age, Instant::now());
                    st.fleet_seen = Some(state);
                }
            }
            return;
        }
        if stale {
            let from_store = store.learned(&self.inner.id).await;
            let mut st = lock(&self.inner.state);
            let now = Instant::now();
            st.learned_synced = Some(now);
            if let Some(theirs) = from_store.filter(|l| Some(*l) != st.learned_written) {
                st.learner.adopt(theirs, now);
            }
        }
    }

    /// Record what this process learned in the store, for the other processes on the key.
    async fn publish_learned(&self, limit: RateLimit) {
        lock(&self.inner.state).learned_written = Some(limit);
        self.inner
            .store
            .set_learned(&self.inner.id, Some(limit), LEARNED_LIMIT_TTL)
            .await;
    }

    /// A caller is about to wait for its slot: demand exceeds the rate in force (with a
    /// shared store, this process's sends are only its share of the key's, so the wait,
    /// not the sends, tells the rate is short).
    pub(super) fn record_waiting(&self) {
        let mut st = lock(&self.inner.state);
        if st.configured.is_none() {
            st.learner.on_waiting(Instant::now());
        }
    }

    pub(super) fn record_send(&self, limited: bool) {
        let mut st = lock(&self.inner.state);
        if st.configured.is_none() {
            st.learner.on_send(Instant::now(), limited);
        }
    }

    /// The server answered an attempt with `status`: with no configured limit, every
    /// answer but a 429 counts towards the accepted rate that learning measures (the
    /// client calls it for every answer).
    ///
    /// ```
    /// use std::sync::Arc;
    /// let p = surefoot::pacing::Pacer::new("x".into(), None, Arc::new(surefoot::pacing::MemoryStore::new()));
    /// p.on_answer(200);
    /// assert_eq!(p.limit(), None); // nothing is learned before a 429
    /// ```
    pub fn on_answer(&self, status: u16) {
        if status == 429 {
            return;
        }
        let mut st = lock(&self.inner.state);
        if st.configured.is_none() {
            st.learner.on_accepted(Instant::now());
            drop(st);
            self.inner.store.note_accepted(&self.inner.id);
        }
    }

    /// After a 429: pause every request on this key for `retry_after` from now (at most
    /// 24 h; when the server gave none, 1 s, or while learning a limit two intervals at
    /// the learned rate, from 50 ms to 1 s, judged on the whole fleet's answers with a
    /// store that learns together), remembering `cause` (the answer) for the
    /// calls refused meanwhile, and, if no limit was configured, learn one from the rate
    /// the server was measured to accept before it (once per overload episode). Call it for
    /// `rate_limit_exceeded`, `daily_cap_exceeded` and generic 429s — see
    /// [`Pacer::on_error`], which filters for you.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use surefoot::pacing::{MemoryStore, Pacer};
    /// let p = Pacer::new("doc".into(), None, Arc::new(MemoryStore::new()));
    /// p.on_rate_limited(Some(Duration::from_secs(2)), None).await;
    /// assert_eq!(p.acquire().await, Duration::from_secs(2));
    /// # }
    /// ```
    pub async fn on_rate_limited(&self, retry_after: Option<Duration>, cause: Option<PauseCause>) {
        let store = &self.inner.store;
        let retry_after = retry_after.map(|d| d.min(MAX_RETRY_AFTER));
        let (learning, d) = {
            let st = lock(&self.inner.state);
            let learning = st.configured.is_none() && st.announced.is_none();
            let d = match retry_after {
                Some(d) => d,
                // A fleet member with no rate yet pauses the key the least; the episode's
                // opener judges the pause on the fleet's answers (below).
                None if learning && store.learns_together() && !st.learner.has_rate() => {
                    QUIET_PAUSE_MIN
                }
                None if learning => st
                    .learner
                    .pause_without_retry_after(Instant::now(), DEFAULT_429_PAUSE),
                None => DEFAULT_429_PAUSE,
            };
            (learning, d)
        };
        let episode = d.max(DEFAULT_429_PAUSE);
        if learning && store.learns_together() {
            match store
                .throttled(&self.inner.id, d, cause.clone(), episode)
                .await
            {
                Episode::New(fleet) => {
                    let (state, pause) = {
                        let mut st = lock(&self.inner.state);
                        let now = Instant::now();
                        let pause = st.learner.on_fleet_throttled(
                            now,
                            retry_after,
                            DEFAULT_429_PAUSE,
                            &fleet,
                        );
                        let state = st.learner.export(now);
                        st.fleet_seen.clone_from(&state);
                        (state, pause)
                    };
                    if pause > d {
                        store.pause(&self.inner.id, pause, cause).await;
                    }
                    if let Some(state) = state {
                        store
                            .set_fleet_learned(&self.inner.id, state, LEARNED_LIMIT_TTL)
                            .await;
                    }
                    return;
                }
                // Another process's 429 decided this episode's decrease.
                Episode::Joined => return,
                // The store's backend is away: learn locally (it paused locally).
                Episode::Local => {}
            }
        } else {
            store.pause(&self.inner.id, d, cause).await;
        }
        let learned = if learning {
            lock(&self.inner.state)
                .learner
                .on_throttled(Instant::now(), d, episode)
        } else {
            None
        };
        if let Some(learned) = learned {
            self.publish_learned(learned).await;
        }
    }

    /// Feed a failed attempt's error: for a 429 of kind rate-limited other than
    /// `concurrency_limit_exceeded` (a session cap, not a request rate), calls
    /// [`on_rate_limited`](Pacer::on_rate_limited) with its `retry_after` and the error
    /// as the cause; ignores every other error (payment codes on 429 included).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use std::sync::Arc;
    /// use surefoot::{pacing::{MemoryStore, Pacer}, Error};
    /// let p = Pacer::new("doc".into(), None, Arc::new(MemoryStore::new()));
    /// let quota = br#"{"error": {"code": "insufficient_quota", "message": "m"}}"#;
    /// p.on_error(&Error::from_response(429, &http::HeaderMap::new(), quota, false)).await;
    /// assert_eq!(p.paused_for().await, None);
    /// p.on_error(&Error::from_response(429, &http::HeaderMap::new(), b"", false)).await;
    /// assert_eq!(p.pause().await.unwrap().cause.unwrap().code, "rate_limit_exceeded");
    /// # }
    /// ```
    pub async fn on_error(&self, err: &Error) {
        if err.status() == Some(429)
            && err.is_rate_limited()
            && err.code() != crate::error::codes::CONCURRENCY_LIMIT_EXCEEDED
        {
            self.on_rate_limited(err.retry_after(), Some(PauseCause::from_error(err)))
                .await;
        }
    }

    /// Learn from rate-limit headers on any response: `x-ratelimit-limit` /
    /// `x-ratelimit-remaining` / `x-ratelimit-reset` (also the `-requests` suffixed
    /// OpenAI names and the IETF draft `ratelimit-*`, `RateLimit: r=..;t=..` and
    /// `RateLimit-Policy: q;w=..` forms). Remaining 0 pauses every waiter until the reset
    /// (delta seconds, Unix epoch seconds, or `6m0s`-style durations; at most 24 h). A
    /// policy with a window, when no limit was configured, becomes the learned limit (it
    /// overrides what 429s taught): the quota may be spent as the window allows — all of
    /// it at once — not evenly spaced, and remaining 0 pauses until the reset.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use surefoot::pacing::{MemoryStore, Pacer};
    /// let p = Pacer::new("doc".into(), None, Arc::new(MemoryStore::new()));
    /// let mut h = http::HeaderMap::new();
    /// h.insert("x-ratelimit-remaining", "0".parse().unwrap());
    /// h.insert("x-ratelimit-reset", "3".parse().unwrap());
    /// p.observe_headers(&h).await;
    /// assert_eq!(p.paused_for().await, Some(Duration::from_secs(3)));
    /// # }
    /// ```
    pub async fn observe_headers(&self, headers: &http::HeaderMap) {
        if !announces_limits(headers) {
            return;
        }
        let info = RateLimitHeaders::parse(headers, SystemTime::now());
        let store = &self.inner.store;
        if info.remaining == Some(0)
            && let Some(reset) = info.reset.filter(|d| !d.is_zero())
        {
            let reset = reset.min(MAX_RETRY_AFTER);
            tracing::debug!(target: "surefoot::pacing", pacer = %self.inner.id, reset_ms = reset.as_millis() as u64, "rate-limit quota exhausted; pausing until reset");
            let request_id =
                crate::leaves::headers::request_id_from_headers(headers).map(str::to_owned);
            store
                .pause(
                    &self.inner.id,
                    reset,
                    Some(PauseCause::quota_used_up(request_id)),
                )
                .await;
        }
        if let (Some(q), Some(w)) = (info.limit, info.window) {
            let announced = {
                let mut st = lock(&self.inner.state);
                if st.configured.is_some() || q == 0 || w.is_zero() {
                    return;
                }
                // A quota per window is spent as the window allows (a burst of the whole
                // quota), not evenly spaced; remaining 0 pauses until the reset (above).
                let from_policy = RateLimit::new(q, w).burst(q);
                let now = Instant::now();
                let known = st.announced.map(|(l, _)| l);
                st.announced = Some((from_policy, now));
                if known == Some(from_policy) {
                    return;
                }
                tracing::debug!(target: "surefoot::pacing", pacer = %self.inner.id, limit = %from_policy, "learned a rate limit from headers");
                from_policy
            };
            self.publish_learned(announced).await;
        } else if let (Some(q), Some(0), Some(reset)) = (info.limit, info.remaining, info.reset) {
            self.learn_refill(q, reset).await;
        }
    }

    /// Headers gave a limit `q` with no window, none remaining, and the time until the
    /// quota is back (`reset`): whatever the server's window, `q` requests come back in
    /// `reset`, so with no configured limit the learned rate starts at once at `q ÷ reset`
    /// (instead of slow start from a guess), and the 429 that came with them decreases
    /// nothing more.
    async fn learn_refill(&self, q: u32, reset: Duration) {
        let state = {
            let mut st = lock(&self.inner.state);
            if st.configured.is_some() || st.announced.is_some() || q == 0 || reset.is_zero() {
                return;
            }
            let now = Instant::now();
            let rate = f64::from(q) / reset.as_secs_f64();
            if !st.learner.seed(rate, now, reset.max(DEFAULT_429_PAUSE)) {
                return;
            }
            tracing::debug!(target: "surefoot::pacing", pacer = %self.inner.id, rate, "learned a rate from rate-limit headers (limit, none remaining, reset)");
            let state = st.learner.export(now);
            if self.inner.store.learns_together() {
                st.fleet_seen.clone_from(&state);
            }
            (state, st.learner.limit(now))
        };
        match state {
            (Some(s), _) if self.inner.store.learns_together() => {
                self.inner
                    .store
                    .set_fleet_learned(&self.inner.id, s, LEARNED_LIMIT_TTL)
                    .await;
            }
            (_, Some(limit)) => self.publish_learned(limit).await,
            _ => {}
        }
    }
}
