//! [`Pacer`], the client-side limiter for one API key + base URL + surface: it spaces
//! requests by GCRA under the configured or learned limit, holds every waiter while the
//! key is paused (a 429's `Retry-After`, a quota the headers say is used up), learns a
//! limit from 429s and rate-limit headers when none was configured, and refuses — with
//! the pause's cause — a wait longer than the caller allows. Its shared state lives in a
//! [`PacingStore`]; what it learned locally is mirrored there.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::{sleep, Instant};

use super::learner::Learner;
use super::rate_limit::with_margin;
use super::store::{PacingStore, Pause, PauseCause, Reservation};
use super::{lock, RateLimit, LEARNED_LIMIT_TTL, SAFETY_MARGIN};

/// Under a learned limit, slots are reserved at most this far ahead. A learned rate may
/// rise within a second (slow start doubles it every half second): callers queued behind
/// a slow first guess must get the faster slots, not keep the ones booked at the old rate
/// (32 callers booked at a first guess of 1/s would otherwise hold the key at 1/s for
/// 32 s). And it may fall: after a 429 every slot booked at the rate that overshot still
/// goes out, each process's until its horizon (a second's worth of slots made 8-11 429s
/// per probe of an 8-process fleet against nginx).
const LEARNED_HORIZON: Duration = Duration::from_millis(250);
/// The longest a caller beyond the horizon waits before asking for a slot again.
const LEARNED_NAP: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub(super) struct PacerState {
    pub(super) margin: f64,
    pub(super) configured: Option<RateLimit>,
    /// A limit the server's rate-limit headers announced, and when it was last seen.
    pub(super) announced: Option<(RateLimit, Instant)>,
    /// What 429s taught (when nothing is configured or announced).
    pub(super) learner: Learner,
    /// When the learned limit was last read from the store, and what this process last
    /// wrote there.
    pub(super) learned_synced: Option<Instant>,
    pub(super) learned_written: Option<RateLimit>,
    /// The fleet's learning state last taken from (or written to) a store that learns
    /// together.
    pub(super) fleet_seen: Option<String>,
}

impl PacerState {
    /// The limit learned from the server: announced by headers, else taught by 429s.
    pub(super) fn learned(&mut self, now: Instant) -> Option<RateLimit> {
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
        self.fleet_seen = None;
    }
}

pub(super) struct PacerInner {
    pub(super) id: String,
    pub(super) store: Arc<dyn PacingStore>,
    pub(super) state: Mutex<PacerState>,
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
    pub(super) inner: Arc<PacerInner>,
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
        self.sync_learned().await;
        let (limit, learned) = {
            let mut st = lock(&self.inner.state);
            let learned = match st.configured {
                Some(_) => None,
                None => st.learned(Instant::now()),
            };
            (st.configured, learned)
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

    /// The limit to pace by now (with the safety margin), and how far ahead a learned
    /// one books slots: while it climbs fast (slow start) the next two slots, else
    /// [`LEARNED_HORIZON`]. A slot booked far ahead at the rate of the moment would keep
    /// its old spacing while the rate rises; the other callers wait and ask again at the
    /// rate then. A configured limit has no horizon.
    async fn plan(&self) -> (Option<RateLimit>, Option<Duration>) {
        self.sync_learned().await;
        let mut st = lock(&self.inner.state);
        let learned = match st.configured {
            Some(_) => None,
            None => st.learned(Instant::now()),
        };
        let from_429s = st.configured.is_none() && st.announced.is_none();
        // The safety margin applies to a learned rate too: requests paced exactly at a
        // server's limit meet a 429 whenever the network bunches two of them.
        let limit = st.configured.or(learned).map(|l| with_margin(l, st.margin));
        let horizon = match &limit {
            Some(l) if from_429s && st.learner.climbing_fast() => Some(l.emission_interval() * 2),
            Some(_) if st.configured.is_none() => Some(LEARNED_HORIZON),
            _ => None,
        };
        (limit, horizon)
    }

    /// One decision on the store: with a shared store, a pause this process's own 429
    /// began holds its other callers at once, while the store is still being told (a
    /// round trip that can take milliseconds, in which a fleet's first wave would go on
    /// meeting 429s); else a slot under `limit`, or with none the key's pause and the
    /// fleet's start window.
    async fn decide(&self, limit: Option<&RateLimit>, ask: Option<Duration>) -> Reservation {
        let store = &self.inner.store;
        let id = self.inner.id.as_str();
        if store.learns_together()
            && let Some(p) = store.known_pause(id).await
        {
            return Reservation::Paused(p);
        }
        match limit {
            Some(limit) => store.reserve(id, limit, ask).await,
            None => store.reserve_unpaced(id).await,
        }
    }

    /// The loop of decisions and waits. Its waits are boxed and the decision's outcome is
    /// read at once ([`Pacer::step`]): the future every call makes carries no timer or
    /// reservation, which only a paced call needs.
    async fn acquire_inner(&self, max_wait: Option<Duration>) -> Result<Duration, Refusal> {
        let start = Instant::now();
        loop {
            let waited = start.elapsed();
            let budget = max_wait.map(|m| m.saturating_sub(waited));
            let (limit, horizon) = self.plan().await;
            let ask = match (budget, horizon) {
                (Some(b), Some(h)) => Some(b.min(h)),
                (b, h) => b.or(h),
            };
            let reservation = self.decide(limit.as_ref(), ask).await;
            // Read out before the waits: the step (with a refusal's cause) is not held
            // across them.
            let (wait, for_slot) =
                match self.step(reservation, waited, budget, limit.is_none(), horizon) {
                    Step::Send => break,
                    Step::Refuse(refusal) => return Err(refusal),
                    Step::Wait(d) => (d, false),
                    Step::WaitForSlot(d) => (d, true),
                };
            Box::pin(sleep(wait)).await;
            // A pause that began while we waited for our slot still applies (as far as
            // this process knows: no second round trip).
            if for_slot && self.inner.store.known_pause(&self.inner.id).await.is_none() {
                break;
            }
        }
        let waited = start.elapsed();
        self.record_send(waited >= Duration::from_millis(1));
        Ok(waited)
    }

    /// What a decision on the store means for a caller that has `waited` so far and may
    /// wait `budget` more: send, fail now, or wait and ask again.
    fn step(
        &self,
        reservation: Reservation,
        waited: Duration,
        budget: Option<Duration>,
        no_limit: bool,
        horizon: Option<Duration>,
    ) -> Step {
        match reservation {
            Reservation::Paused(pause) => {
                if budget.is_some_and(|b| pause.remaining > b) {
                    return Step::Refuse(Refusal {
                        wait: waited + pause.remaining,
                        cause: pause.cause,
                    });
                }
                tracing::debug!(target: "surefoot::pacing", pacer = self.inner.id.as_str(), pause_ms = pause.remaining.as_millis() as u64, "paused after a 429");
                Step::Wait(pause.remaining)
            }
            // Nothing paces the key yet and the fleet's start window is full (no limit),
            // or a learned limit's slot is beyond the horizon: ask again shortly. Neither
            // fails a call on its own: when the caller's allowance is spent, send (a wrong
            // guess costs at most a 429, whose pause is the server's word).
            Reservation::TooLong(wait) if no_limit || horizon.is_some() => {
                if budget.is_some_and(|b| b < Duration::from_millis(1)) {
                    return Step::Send;
                }
                let nap = nap(wait, horizon);
                self.record_waiting();
                Step::Wait(budget.map_or(nap, |b| nap.min(b)))
            }
            Reservation::TooLong(wait) => Step::Refuse(Refusal {
                wait: waited + wait,
                cause: None,
            }),
            Reservation::Go(wait) if wait.is_zero() => Step::Send,
            Reservation::Go(wait) => {
                self.record_waiting();
                Step::WaitForSlot(wait)
            }
        }
    }
}

/// What [`Pacer::acquire_inner`] does after a decision.
enum Step {
    Send,
    Refuse(Refusal),
    /// Wait, then decide again.
    Wait(Duration),
    /// Wait for the slot reserved, then send unless the key was paused meanwhile.
    WaitForSlot(Duration),
}

/// How long to wait before asking again for a slot `wait` away: beyond a learned limit's
/// `horizon`, until the slot is within it (at least half the horizon, at most
/// [`LEARNED_NAP`]); for the fleet's start window (no horizon), the wait it gave.
fn nap(wait: Duration, horizon: Option<Duration>) -> Duration {
    match horizon {
        Some(h) => {
            let floor = (h / 2).max(Duration::from_millis(1));
            wait.saturating_sub(h).clamp(floor, LEARNED_NAP.max(floor))
        }
        None => wait,
    }
}
