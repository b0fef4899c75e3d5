//! [`Pacer`], the client-side limiter for one API key + base URL + surface: it spaces
//! requests by GCRA under the configured or learned limit, holds every waiter while the
//! key is paused (a 429's `Retry-After`, a quota the headers say is used up), learns a
//! limit from 429s and rate-limit headers when none was configured, and refuses — with
//! the pause's cause — a wait longer than the caller allows. Its shared state lives in a
//! [`PacingStore`]; what it learned locally is mirrored there.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::time::{sleep, Instant};

use super::learner::Learner;
use super::rate_limit::with_margin;
use super::store::{PacingStore, Pause, PauseCause, Reservation};
use super::{lock, RateLimit, DEFAULT_429_PAUSE, LEARNED_LIMIT_TTL, SAFETY_MARGIN};
use crate::error::Error;
use crate::headers::{RateLimitHeaders, MAX_RETRY_AFTER};

/// How long a learned limit read from the store is trusted before it is read again.
const LEARNED_REFRESH: Duration = Duration::from_secs(1);

/// Under a learned limit, slots are reserved at most this far ahead. A learned rate may
/// rise within a second (slow start doubles it every second): callers queued behind a slow
/// first guess must get the faster slots, not keep the ones booked at the old rate (32
/// callers booked at a first guess of 1/s would otherwise hold the key at 1/s for 32 s).
const LEARNED_HORIZON: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
struct PacerState {
    margin: f64,
    configured: Option<RateLimit>,
    /// A limit the server's rate-limit headers announced, and when it was last seen.
    announced: Option<(RateLimit, Instant)>,
    /// What 429s taught (when nothing is configured or announced).
    learner: Learner,
    /// When the learned limit was last read from the store, and what this process last
    /// wrote there.
    learned_synced: Option<Instant>,
    learned_written: Option<RateLimit>,
}

impl PacerState {
    /// The limit learned from the server: announced by headers, else taught by 429s.
    fn learned(&mut self, now: Instant) -> Option<RateLimit> {
        if self
            .announced
            .is_some_and(|(_, at)| now.saturating_duration_since(at) >= LEARNED_LIMIT_TTL)
        {
            self.announced = None;
        }
        if self
            .learner
            .last_event()
            .is_some_and(|at| now.saturating_duration_since(at) >= LEARNED_LIMIT_TTL)
        {
            tracing::debug!(target: "surefoot::pacing", "forgetting learned rate limit after a quiet period");
            self.learner.forget();
        }
        self.announced
            .map(|(l, _)| l)
            .or_else(|| self.learner.limit(now))
    }

    fn effective(&mut self, now: Instant) -> Option<RateLimit> {
        if self.configured.is_some() {
            return self.configured;
        }
        self.learned(now)
    }

    fn forget(&mut self) {
        self.announced = None;
        self.learner.forget();
        self.learned_synced = None;
        self.learned_written = None;
    }
}

struct PacerInner {
    id: String,
    store: Arc<dyn PacingStore>,
    state: Mutex<PacerState>,
}

/// A wait the pacer would not make: longer than the caller allows.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// use std::sync::Arc;
/// use std::time::Duration;
/// use surefoot::pacing::{MemoryStore, Pacer};
/// let p = Pacer::new("doc".into(), None, Arc::new(MemoryStore::new()));
/// p.on_rate_limited(Some(Duration::from_secs(3600)), None).await;
/// let refusal = p.acquire_within(Duration::from_secs(60)).await.unwrap_err();
/// assert_eq!(refusal.wait, Duration::from_secs(3600));
/// assert!(refusal.cause.is_none());
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// How long the next request on this key would have to wait.
    pub wait: Duration,
    /// The server answer whose pause makes the wait (none when it is the client's own
    /// schedule).
    pub cause: Option<PauseCause>,
}

/// What a pacer knows right now: what [`Client::pacing`](crate::Client::pacing) reports.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// use std::sync::Arc;
/// use surefoot::{pacing::{MemoryStore, Pacer}, RateLimit};
/// let p = Pacer::new("doc".into(), Some(RateLimit::per_second(5)), Arc::new(MemoryStore::new()));
/// let s = p.state().await;
/// assert_eq!((s.limit, s.learned, s.pause), (Some(RateLimit::per_second(5)), None, None));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PacingState {
    /// The surface (`data`, `management`, `jobs`, …) this pacer paces.
    pub surface: String,
    /// The limit configured (by the caller or the API's documented plan).
    pub limit: Option<RateLimit>,
    /// The limit learned from the server (only when none is configured).
    pub learned: Option<RateLimit>,
    /// The pause in force, with the answer that set it.
    pub pause: Option<Pause>,
}

impl PacingState {
    /// The state as JSON, the form the C API hands out: `{"surface", "limit", "learned"
    /// (`"20/s burst 5"` or null), "paused_for_ms" (null when not paused), "pause": null or
    /// {"code", "kind", "status", "message", "request_id"}}`.
    ///
    /// ```
    /// use surefoot::{pacing::PacingState, RateLimit};
    /// let s = PacingState { surface: "data".into(), limit: Some(RateLimit::per_minute(500)), learned: None, pause: None };
    /// assert_eq!(s.to_json()["limit"], "500/min");
    /// assert!(s.to_json()["pause"].is_null());
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        let show = |l: Option<RateLimit>| l.map(|l| l.to_string());
        let cause = self.pause.as_ref().and_then(|p| p.cause.as_ref());
        serde_json::json!({
            "surface": self.surface,
            "limit": show(self.limit),
            "learned": show(self.learned),
            "paused_for_ms": self.pause.as_ref().map(|p| u64::try_from(p.remaining.as_millis()).unwrap_or(u64::MAX)),
            "pause": cause.map(|c| serde_json::json!({
                "code": c.code,
                "kind": c.kind.as_str(),
                "status": c.status,
                "message": c.message,
                "request_id": c.request_id,
            })),
        })
    }
}

/// The client-side limiter for one API key + base URL + surface: cheap to clone (an
/// `Arc` inside), shared by every client using the same triple (see
/// [`shared_pacer`](crate::pacing::shared_pacer)).
///
/// With a limit, requests are spaced by GCRA; without one, only pauses apply until a
/// limit is learned from 429s ([`Pacer::on_rate_limited`]) or from rate-limit headers
/// ([`Pacer::observe_headers`]).
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// use std::sync::Arc;
/// use std::time::Duration;
/// use surefoot::pacing::{MemoryStore, Pacer};
/// use surefoot::RateLimit;
/// let pacer = Pacer::new("doc".into(), Some(RateLimit::per_second(20)), Arc::new(MemoryStore::new()));
/// assert_eq!(pacer.acquire().await, Duration::ZERO);
/// // 20/s is one request per 50 ms, plus the 2 % safety margin, plus (after an idle
/// // start) the 20 ms restart gap; then one per 51 ms.
/// assert_eq!(pacer.acquire().await, Duration::from_millis(71));
/// assert_eq!(pacer.acquire().await, Duration::from_millis(51));
/// # }
/// ```
#[derive(Clone)]
pub struct Pacer {
    inner: Arc<PacerInner>,
}

impl fmt::Debug for Pacer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pacer")
            .field("id", &self.inner.id)
            .field("store", &self.inner.store.name())
            .field("limit", &self.limit())
            .finish()
    }
}

impl Pacer {
    /// A pacer storing its state under `id` in `store`. `id` must not contain an API key
    /// in clear ([`key_name`](crate::pacing::key_name) hashes it).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use surefoot::pacing::{MemoryStore, Pacer};
    /// let p = Pacer::new("id".into(), None, Arc::new(MemoryStore::new()));
    /// assert_eq!(p.limit(), None);
    /// ```
    pub fn new(id: String, limit: Option<RateLimit>, store: Arc<dyn PacingStore>) -> Self {
        Pacer {
            inner: Arc::new(PacerInner {
                id,
                store,
                state: Mutex::new(PacerState {
                    margin: SAFETY_MARGIN,
                    configured: limit,
                    ..PacerState::default()
                }),
            }),
        }
    }

    /// The store id of this pacer.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let p = surefoot::pacing::Pacer::new("abc".into(), None, Arc::new(surefoot::pacing::MemoryStore::new()));
    /// assert_eq!(p.id(), "abc");
    /// ```
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// The store this pacer keeps its state in.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let p = surefoot::pacing::Pacer::new("abc".into(), None, Arc::new(surefoot::pacing::MemoryStore::new()));
    /// assert_eq!(p.store().name(), "memory");
    /// ```
    pub fn store(&self) -> &Arc<dyn PacingStore> {
        &self.inner.store
    }

    /// The limit in force: the configured one, else one learned from the server.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use surefoot::{pacing::{MemoryStore, Pacer}, RateLimit};
    /// let p = Pacer::new("x".into(), Some(RateLimit::per_minute(500)), Arc::new(MemoryStore::new()));
    /// assert_eq!(p.limit(), Some(RateLimit::per_minute(500)));
    /// ```
    pub fn limit(&self) -> Option<RateLimit> {
        lock(&self.inner.state).effective(Instant::now())
    }

    /// Whether the limit was configured (as opposed to learned or absent).
    ///
    /// ```
    /// use std::sync::Arc;
    /// let p = surefoot::pacing::Pacer::new("x".into(), None, Arc::new(surefoot::pacing::MemoryStore::new()));
    /// assert!(!p.is_configured());
    /// ```
    pub fn is_configured(&self) -> bool {
        lock(&self.inner.state).configured.is_some()
    }

    pub(crate) fn set_configured_if_none(&self, limit: RateLimit) {
        let mut st = lock(&self.inner.state);
        if st.configured.is_none() {
            st.configured = Some(limit);
        }
    }

    /// Space requests `margin` (a fraction, e.g. `0.02`; clamped to 0–1) further apart
    /// than the limit strictly allows; see [`SAFETY_MARGIN`]. Affects every clone.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let p = surefoot::pacing::Pacer::new("x".into(), None, Arc::new(surefoot::pacing::MemoryStore::new()));
    /// p.set_safety_margin(0.0);
    /// ```
    pub fn set_safety_margin(&self, margin: f64) {
        let m = if margin.is_finite() {
            margin.clamp(0.0, 1.0)
        } else {
            SAFETY_MARGIN
        };
        lock(&self.inner.state).margin = m;
    }

    /// The pause in force on this key (after a 429, or a quota used up), if any.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use std::sync::Arc;
    /// let p = surefoot::pacing::Pacer::new("x".into(), None, Arc::new(surefoot::pacing::MemoryStore::new()));
    /// assert_eq!(p.pause().await, None);
    /// # }
    /// ```
    pub async fn pause(&self) -> Option<Pause> {
        self.inner.store.paused(&self.inner.id).await
    }

    /// How long the current pause still lasts, if any.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use std::sync::Arc;
    /// let p = surefoot::pacing::Pacer::new("x".into(), None, Arc::new(surefoot::pacing::MemoryStore::new()));
    /// assert_eq!(p.paused_for().await, None);
    /// # }
    /// ```
    pub async fn paused_for(&self) -> Option<Duration> {
        self.pause().await.map(|p| p.remaining)
    }

    /// What this pacer knows: limits, learned limit, the pause and its cause. `surface`
    /// is left empty (the client fills it in).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// let p = surefoot::pacing::Pacer::new("x".into(), None, Arc::new(surefoot::pacing::MemoryStore::new()));
    /// p.on_rate_limited(Some(Duration::from_secs(9)), None).await;
    /// assert_eq!(p.state().await.pause.unwrap().remaining, Duration::from_secs(9));
    /// # }
    /// ```
    pub async fn state(&self) -> PacingState {
        let learned = self.refresh_learned().await;
        let (limit, learned) = {
            let st = lock(&self.inner.state);
            (
                st.configured,
                if st.configured.is_some() {
                    None
                } else {
                    learned
                },
            )
        };
        PacingState {
            surface: String::new(),
            limit,
            learned,
            pause: self.pause().await,
        }
    }

    /// Forget what this key's pacing learned and lift its pause (after a plan upgrade, or
    /// between tests): the schedule, pause, learned limit and slots in the store, and the
    /// learned state of this process. The configured limit stays.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// let p = surefoot::pacing::Pacer::new("x".into(), None, Arc::new(surefoot::pacing::MemoryStore::new()));
    /// p.on_rate_limited(Some(Duration::from_secs(3600)), None).await;
    /// p.reset().await;
    /// assert_eq!(p.paused_for().await, None);
    /// # }
    /// ```
    pub async fn reset(&self) {
        lock(&self.inner.state).forget();
        self.inner.store.reset(&self.inner.id).await;
    }

    /// Forget the learned state kept in this process (not the store's).
    pub(crate) fn forget_local(&self) {
        lock(&self.inner.state).forget();
    }

    /// The learned limit, read again from the store when the local copy is stale (another
    /// process may have learned one).
    async fn refresh_learned(&self) -> Option<RateLimit> {
        let stale = {
            let st = lock(&self.inner.state);
            if st.configured.is_some() {
                return None;
            }
            st.learned_synced
                .map_or(true, |t| t.elapsed() >= LEARNED_REFRESH)
        };
        if stale {
            let from_store = self.inner.store.learned(&self.inner.id).await;
            let mut st = lock(&self.inner.state);
            let now = Instant::now();
            st.learned_synced = Some(now);
            if let Some(theirs) = from_store.filter(|l| Some(*l) != st.learned_written) {
                st.learner.adopt(theirs, now);
            }
        }
        lock(&self.inner.state).learned(Instant::now())
    }

    /// Record what this process learned in the store, for the other processes on the key.
    async fn publish_learned(&self, limit: RateLimit) {
        lock(&self.inner.state).learned_written = Some(limit);
        self.inner
            .store
            .set_learned(&self.inner.id, Some(limit), LEARNED_LIMIT_TTL)
            .await;
    }

    /// Wait until a request may be sent: first any pause (after a 429), then the GCRA
    /// slot. Returns the time waited.
    ///
    /// Cancel safety: dropping the future while it waits for its slot wastes that slot
    /// (the next callers are spaced as if it had been used), never lets a request through
    /// early. Wrap it in `tokio::time::timeout` to bound it, or use
    /// [`acquire_within`](Pacer::acquire_within) to fail fast without waiting.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use surefoot::{pacing::{MemoryStore, Pacer}, RateLimit};
    /// let p = Pacer::new("doc".into(), Some(RateLimit::per_second(2)), Arc::new(MemoryStore::new()));
    /// p.acquire().await;
    /// // 500 ms + the 2 % margin + the 20 ms restart gap after an idle start.
    /// assert_eq!(p.acquire().await, Duration::from_millis(530));
    /// # }
    /// ```
    pub async fn acquire(&self) -> Duration {
        match self.acquire_inner(None).await {
            Ok(w) => w,
            Err(r) => r.wait,
        }
    }

    /// Like [`acquire`](Pacer::acquire), but if the wait (pause plus slot) would exceed
    /// `max_wait`, return a [`Refusal`] at once without waiting or reserving a slot, so
    /// the caller can fail with `retry_after` instead of hanging (e.g. a daily cap's
    /// hours-long pause, or the remaining deadline). The refusal carries the cause of the
    /// pause, if a server answer set one.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use surefoot::pacing::{MemoryStore, Pacer};
    /// let p = Pacer::new("doc".into(), None, Arc::new(MemoryStore::new()));
    /// p.on_rate_limited(Some(Duration::from_secs(3600)), None).await;
    /// assert_eq!(p.acquire_within(Duration::from_secs(60)).await.unwrap_err().wait, Duration::from_secs(3600));
    /// # }
    /// ```
    pub async fn acquire_within(&self, max_wait: Duration) -> Result<Duration, Refusal> {
        self.acquire_inner(Some(max_wait)).await
    }

    async fn acquire_inner(&self, max_wait: Option<Duration>) -> Result<Duration, Refusal> {
        let start = Instant::now();
        let store = &self.inner.store;
        let id = self.inner.id.as_str();
        loop {
            let waited = start.elapsed();
            let budget = max_wait.map(|m| m.saturating_sub(waited));
            let (limit, learned, climbing) = {
                let learned = self.refresh_learned().await;
                let st = lock(&self.inner.state);
                let from_429s = st.configured.is_none() && st.announced.is_none();
                // The safety margin applies to a learned rate too: a rate learned from 429s
                // sits at what the server was measured to accept, and requests paced exactly
                // at a server's limit meet a 429 whenever the network bunches two of them.
                (
                    st.configured.or(learned).map(|l| with_margin(l, st.margin)),
                    st.configured.is_none(),
                    from_429s && st.learner.climbing_fast(),
                )
            };
            // A learned limit books only slots due within a horizon: while it climbs fast
            // (slow start) the next few slots, else LEARNED_HORIZON. A slot booked far ahead
            // at the rate of the moment would keep its old spacing while the rate rises; the
            // other callers wait and ask again at the rate then.
            let horizon = match &limit {
                Some(l) if climbing => Some(l.emission_interval() * 2),
                Some(_) if learned => Some(LEARNED_HORIZON),
                _ => None,
            };
            let ask = match (budget, horizon) {
                (Some(b), Some(h)) => Some(b.min(h)),
                (b, h) => b.or(h),
            };
            let reservation = match &limit {
                Some(limit) => store.reserve(id, limit, ask).await,
                None => match store.paused(id).await {
                    Some(p) => Reservation::Paused(p),
                    None => Reservation::Go(Duration::ZERO),
                },
            };
            match reservation {
                Reservation::Paused(pause) => {
                    if budget.is_some_and(|b| pause.remaining > b) {
                        return Err(Refusal {
                            wait: waited + pause.remaining,
                            cause: pause.cause,
                        });
                    }
                    tracing::debug!(target: "surefoot::pacing", pacer = id, pause_ms = pause.remaining.as_millis() as u64, "paused after a 429");
                    sleep(pause.remaining).await;
                    continue;
                }
                // Beyond the horizon but within the caller's budget: ask again once the
                // next slot is within the horizon (at least every LEARNED_HORIZON), under
                // the limit then in force.
                Reservation::TooLong(wait)
                    if horizon.is_some() && budget.map_or(true, |b| wait <= b) =>
                {
                    let h = horizon.unwrap_or_default();
                    let floor = (h / 2).max(Duration::from_millis(1));
                    sleep(
                        wait.saturating_sub(h)
                            .clamp(floor, LEARNED_HORIZON.max(floor)),
                    )
                    .await;
                    continue;
                }
                Reservation::TooLong(wait) => {
                    return Err(Refusal {
                        wait: waited + wait,
                        cause: None,
                    })
                }
                Reservation::Go(wait) => {
                    if !wait.is_zero() {
                        sleep(wait).await;
                        // A pause that began while we waited for our slot still applies
                        // (as far as this process knows: no second round trip).
                        if store.known_pause(id).await.is_some() {
                            continue;
                        }
                    }
                }
            }
            let waited = start.elapsed();
            self.record_send(waited >= Duration::from_millis(1));
            return Ok(waited);
        }
    }

    fn record_send(&self, limited: bool) {
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
        }
    }

    /// After a 429: pause every request on this key for `retry_after` from now (1 s when
    /// the server gave none; at most 24 h), remembering `cause` (the answer) for the
    /// calls refused meanwhile, and, if no limit was configured, learn one by halving
    /// the observed rate (or the previously learned one). Call it for
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
        let d = retry_after
            .unwrap_or(DEFAULT_429_PAUSE)
            .min(MAX_RETRY_AFTER);
        let store = &self.inner.store;
        store.pause(&self.inner.id, d, cause).await;
        let learned = {
            let mut st = lock(&self.inner.state);
            if st.configured.is_some() || st.announced.is_some() {
                None
            } else {
                st.learner
                    .on_throttled(Instant::now(), d.max(DEFAULT_429_PAUSE))
            }
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
        // Every header read below is named `x-ratelimit…` or `ratelimit…`: without one,
        // there is nothing to learn (one pass over the names instead of a dozen lookups).
        if !headers.keys().any(|name| {
            let name = name.as_str();
            name.starts_with("ratelimit") || name.starts_with("x-ratelimit")
        }) {
            return;
        }
        let info = RateLimitHeaders::parse(headers, SystemTime::now());
        let store = &self.inner.store;
        if info.remaining == Some(0) {
            if let Some(reset) = info.reset.filter(|d| !d.is_zero()) {
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
        }
    }
}
