//! Client-side pacing, so a bulk job stays under the server's per-key limits instead of
//! bouncing off them. This module owns [`RateLimit`] (and its `"500/min"` / `"20/s"`
//! syntax), the [`PacingStore`] trait with its in-process [`MemoryStore`], the GCRA rate
//! limiter [`Pacer`] (one per API key + base URL + surface, shared process-wide through
//! [`shared_pacer`], pausing every waiter after a 429 and learning limits from `Retry-After`
//! and rate-limit headers), and the [`ConcurrencyLimiter`] that caps concurrent realtime
//! sessions. Time comes from `tokio::time`, so tests can run on a paused (virtual) clock.
//! API keys are hashed before they become map keys or store keys.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{sleep, Instant};

use crate::error::Error;
use crate::retry::MAX_RETRY_AFTER;

/// How long every waiter pauses after a 429 that carried no `Retry-After`.
pub const DEFAULT_429_PAUSE: Duration = Duration::from_secs(1);
/// The pacer spaces requests this fraction further apart than the limit strictly allows
/// (2 %: 20/s is paced at one request per 51 ms) and keeps one slot of a burst in reserve,
/// so jitter between the client's send and the server's count does not turn a request sent
/// exactly on time into a 429.
/// Change it per pacer with [`Pacer::set_safety_margin`].
pub const SAFETY_MARGIN: f64 = 0.02;
/// The largest restart gap the safety margin adds (see [`RateLimit::restart_gap`]).
const MAX_RESTART_GAP: Duration = Duration::from_millis(20);
/// A limit learned from 429s is forgotten after this long without another 429.
pub const LEARNED_LIMIT_TTL: Duration = Duration::from_secs(600);
/// The slowest rate learning will ever settle on: one request per minute.
const SLOWEST_LEARNED_INTERVAL: Duration = Duration::from_secs(60);
/// Sends remembered for estimating the observed rate (only when learning).
const SEND_WINDOW: Duration = Duration::from_secs(60);
const MAX_SENDS_REMEMBERED: usize = 4096;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

// ===== RateLimit ==========================================================================

/// A rate limit: `requests` per `per`, allowing bursts of `burst` requests at once
/// (default 1: evenly spaced). Enforced with GCRA: one request every
/// [`emission_interval`](RateLimit::emission_interval), with up to `burst - 1` requests
/// of credit banked while idle.
///
/// ```
/// use std::time::Duration;
/// use surefoot::RateLimit;
/// let l = RateLimit::per_second(20).burst(5);
/// assert_eq!(l.emission_interval(), Duration::from_millis(50));
/// assert_eq!(l.burst_size(), 5);
/// assert_eq!("500/min".parse::<RateLimit>().unwrap(), RateLimit::per_minute(500));
/// assert_eq!(l.to_string(), "20/s burst 5");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    requests: u32,
    per: Duration,
    burst: u32,
    /// Extra spacing after a schedule (re)starts from idle; see [`RateLimit::restart_gap`].
    restart_gap: Duration,
}

impl RateLimit {
    /// `n` requests per second (`n` of 0 is treated as 1).
    ///
    /// ```
    /// assert_eq!(surefoot::RateLimit::per_second(4).per(), std::time::Duration::from_secs(1));
    /// ```
    pub fn per_second(n: u32) -> Self {
        Self::new(n, Duration::from_secs(1))
    }

    /// `n` requests per minute (`n` of 0 is treated as 1).
    ///
    /// ```
    /// assert_eq!(surefoot::RateLimit::per_minute(500).requests(), 500);
    /// ```
    pub fn per_minute(n: u32) -> Self {
        Self::new(n, Duration::from_secs(60))
    }

    /// `requests` per `per`. A `requests` of 0 is treated as 1 and a zero `per` as 1 ns
    /// (use [`RateLimit::parse`] to reject such values instead).
    ///
    /// ```
    /// use std::time::Duration;
    /// let l = surefoot::RateLimit::new(10, Duration::from_secs(2));
    /// assert_eq!(l.emission_interval(), Duration::from_millis(200));
    /// ```
    pub fn new(requests: u32, per: Duration) -> Self {
        RateLimit {
            requests: requests.max(1),
            per: per.max(Duration::from_nanos(1)),
            burst: 1,
            restart_gap: Duration::ZERO,
        }
    }

    /// Allow bursts of up to `burst` requests (0 is treated as 1).
    ///
    /// ```
    /// assert_eq!(surefoot::RateLimit::per_second(20).burst(5).burst_size(), 5);
    /// ```
    pub fn burst(self, burst: u32) -> Self {
        RateLimit {
            burst: burst.max(1),
            ..self
        }
    }

    /// Requests allowed per [`per`](RateLimit::per).
    ///
    /// ```
    /// assert_eq!(surefoot::RateLimit::per_second(7).requests(), 7);
    /// ```
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// The window the `requests` are counted over.
    ///
    /// ```
    /// assert_eq!(surefoot::RateLimit::per_minute(7).per().as_secs(), 60);
    /// ```
    pub fn per(&self) -> Duration {
        self.per
    }

    /// The burst size (1 = evenly spaced).
    ///
    /// ```
    /// assert_eq!(surefoot::RateLimit::per_minute(7).burst_size(), 1);
    /// ```
    pub fn burst_size(&self) -> u32 {
        self.burst
    }

    /// Extra spacing a store adds after the first request of a schedule that (re)starts
    /// from idle. Zero for limits you build; the pacer's safety margin sets it (at most
    /// 20 ms) on the limit it enforces, so a server whose count started a little after ours
    /// — the first request's connection set-up, a busy CPU — still sees every later
    /// request on time.
    ///
    /// ```
    /// assert!(surefoot::RateLimit::per_second(20).restart_gap().is_zero());
    /// ```
    pub fn restart_gap(&self) -> Duration {
        self.restart_gap
    }

    /// The spacing between requests at the sustained rate: `per / requests`.
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(surefoot::RateLimit::per_minute(500).emission_interval(), Duration::from_millis(120));
    /// ```
    pub fn emission_interval(&self) -> Duration {
        self.per / self.requests
    }

    /// Parse `"N/unit"` with an optional `" burst B"`: `"500/min"`, `"20/s"`, `"20/sec"`,
    /// `"3/h"`, `"10/2s"`, `"1/0.5s"`, `"100/ms"`, `"20/s burst 5"`. Units: `ms`, `s`/`sec`/
    /// `second(s)`, `m`/`min`/`minute(s)`, `h`/`hr`/`hour(s)`, `d`/`day(s)`. Anything
    /// else is an `invalid_request` error naming the problem.
    ///
    /// ```
    /// use std::time::Duration;
    /// use surefoot::RateLimit;
    /// assert_eq!(RateLimit::parse("10/2s").unwrap(), RateLimit::new(10, Duration::from_secs(2)));
    /// assert_eq!(RateLimit::parse("20/s burst 5").unwrap(), RateLimit::per_second(20).burst(5));
    /// let e = RateLimit::parse("0/s").unwrap_err();
    /// assert_eq!(e.message(), "rate limit `0/s`: the number of requests must be at least 1");
    /// ```
    pub fn parse(s: &str) -> Result<RateLimit, Error> {
        let shown: String = s.chars().take(64).collect();
        let bad = |why: &str| Error::invalid_request(format!("rate limit `{shown}`: {why}"));
        let text = s.trim().to_ascii_lowercase();
        let (main, burst) = match text.split_once("burst") {
            Some((m, b)) => {
                let b = b.trim().trim_start_matches(['=', ':']).trim();
                let b: u32 = b
                    .parse()
                    .map_err(|_| bad("the burst must be a whole number, as in `20/s burst 5`"))?;
                if b == 0 {
                    return Err(bad("the burst must be at least 1"));
                }
                (m.trim().trim_end_matches(',').trim().to_owned(), b)
            }
            None => (text.clone(), 1),
        };
        let (n, unit) = main
            .split_once('/')
            .ok_or_else(|| bad("expected `N/unit`, as in `500/min` or `20/s`"))?;
        let n = n.trim();
        let requests: u32 = n
            .parse()
            .map_err(|_| bad("the number of requests must be a whole number"))?;
        if requests == 0 {
            return Err(bad("the number of requests must be at least 1"));
        }
        let unit = unit.trim();
        let split = unit
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(unit.len());
        let (count, name) = unit.split_at(split);
        let count: f64 = if count.is_empty() {
            1.0
        } else {
            count
                .parse()
                .map_err(|_| bad("the window must be a number followed by a unit, as in `10/2s`"))?
        };
        let unit_secs = match name.trim() {
            "ms" | "msec" | "millisecond" | "milliseconds" => 0.001,
            "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
            "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
            "d" | "day" | "days" => 86_400.0,
            "" => return Err(bad("missing unit; use ms, s, min, h or d")),
            _ => return Err(bad("unknown unit; use ms, s, min, h or d")),
        };
        let secs = count * unit_secs;
        if !secs.is_finite() || secs <= 0.0 {
            return Err(bad("the window must be longer than zero"));
        }
        if secs > 366.0 * 86_400.0 {
            return Err(bad("the window must be at most a year"));
        }
        let per = Duration::from_secs_f64(secs);
        if per.is_zero() {
            return Err(bad("the window must be longer than zero"));
        }
        Ok(RateLimit::new(requests, per).burst(burst))
    }
}

impl FromStr for RateLimit {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        RateLimit::parse(s)
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per = self.per;
        let unit = match per {
            p if p == Duration::from_secs(1) => "s".to_owned(),
            p if p == Duration::from_secs(60) => "min".to_owned(),
            p if p == Duration::from_secs(3600) => "h".to_owned(),
            p if p == Duration::from_secs(86_400) => "d".to_owned(),
            p if p.subsec_nanos() == 0 => format!("{}s", p.as_secs()),
            p if p == Duration::from_millis(1) => "ms".to_owned(),
            p if p.subsec_nanos() % 1_000_000 == 0 && p.as_secs() == 0 => {
                format!("{}ms", p.as_millis())
            }
            p => format!("{}s", p.as_secs_f64()),
        };
        write!(f, "{}/{}", self.requests, unit)?;
        if self.burst > 1 {
            write!(f, " burst {}", self.burst)?;
        }
        Ok(())
    }
}

// ===== PacingStore ========================================================================

/// The storage behind the limiter: small, so a shared store (e.g. Redis, for many
/// processes on one key) can back it later. Keys are opaque ids (API keys already hashed).
///
/// ```
/// use std::time::Duration;
/// use surefoot::pacing::{MemoryStore, PacingStore};
/// use surefoot::RateLimit;
/// let store = MemoryStore::new();
/// let l = RateLimit::per_second(10);
/// assert_eq!(store.reserve("k", &l, 1_000), Duration::ZERO);
/// assert_eq!(store.reserve("k", &l, 1_000), Duration::from_millis(100));
/// store.pause_until("k", 5_000);
/// assert_eq!(store.paused_until("k"), Some(5_000));
/// ```
pub trait PacingStore: Send + Sync + 'static {
    /// Reserve the next slot for `key` under `limit` at `now_ms` (on the store's clock,
    /// see [`PacingStore::now_ms`]); returns how long the caller must wait before sending
    /// (zero = go now). GCRA (theoretical arrival time) semantics; the reservation is made
    /// atomically.
    fn reserve(&self, key: &str, limit: &RateLimit, now_ms: u64) -> Duration;

    /// Like [`reserve`](PacingStore::reserve), but if the wait would exceed `max_wait`,
    /// reserve nothing and return `Err(wait)`. The default implementation reserves anyway
    /// (wasting the slot); stores should override it.
    fn reserve_within(
        &self,
        key: &str,
        limit: &RateLimit,
        now_ms: u64,
        max_wait: Duration,
    ) -> Result<Duration, Duration> {
        let wait = self.reserve(key, limit, now_ms);
        if wait > max_wait {
            Err(wait)
        } else {
            Ok(wait)
        }
    }

    /// Every caller on `key` must wait until `until_ms` (a 429's `Retry-After` pauses all
    /// waiters on that key); keeps the later of the existing and the new pause.
    fn pause_until(&self, key: &str, until_ms: u64);

    /// The end of the current pause on `key`, if one was set (it may lie in the past).
    fn paused_until(&self, key: &str) -> Option<u64>;

    /// The store's clock in milliseconds. Default: wall-clock milliseconds since the Unix
    /// epoch (shared stores across machines need a shared clock); [`MemoryStore`] uses a
    /// monotonic tokio clock instead.
    fn now_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct KeyState {
    /// Theoretical arrival time of the next request, in ns on the store clock.
    tat_ns: u64,
    paused_until_ms: Option<u64>,
}

/// The default in-process store: a mutex-protected map, with a monotonic clock
/// (`tokio::time::Instant` relative to the store's creation, so virtual time works).
///
/// ```
/// use surefoot::pacing::{MemoryStore, PacingStore};
/// let store = MemoryStore::new();
/// assert_eq!(store.paused_until("nobody"), None);
/// ```
pub struct MemoryStore {
    origin: Instant,
    keys: Mutex<HashMap<String, KeyState>>,
}

impl MemoryStore {
    /// An empty store whose clock starts now.
    ///
    /// ```
    /// let _store = std::sync::Arc::new(surefoot::pacing::MemoryStore::new());
    /// ```
    pub fn new() -> Self {
        MemoryStore {
            origin: Instant::now(),
            keys: Mutex::new(HashMap::new()),
        }
    }

    fn reserve_inner(
        &self,
        key: &str,
        limit: &RateLimit,
        now_ms: u64,
        max_wait: Option<Duration>,
    ) -> Result<Duration, Duration> {
        let now = now_ms.saturating_mul(1_000_000);
        let t = u64::try_from(limit.emission_interval().as_nanos()).unwrap_or(u64::MAX);
        let tau = t.saturating_mul(u64::from(limit.burst_size().saturating_sub(1)));
        let mut keys = lock(&self.keys);
        let state = keys.entry(key.to_owned()).or_default();
        // A schedule that (re)starts from idle gets the limit's restart gap after it.
        let gap = if state.tat_ns <= now {
            u64::try_from(limit.restart_gap().as_nanos()).unwrap_or(u64::MAX)
        } else {
            0
        };
        let tat = state.tat_ns.max(now);
        let wait = Duration::from_nanos(tat.saturating_sub(tau).saturating_sub(now));
        if max_wait.is_some_and(|m| wait > m) {
            return Err(wait);
        }
        state.tat_ns = tat.saturating_add(t).saturating_add(gap);
        Ok(wait)
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new()
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("keys", &lock(&self.keys).len())
            .finish()
    }
}

impl PacingStore for MemoryStore {
    fn reserve(&self, key: &str, limit: &RateLimit, now_ms: u64) -> Duration {
        self.reserve_inner(key, limit, now_ms, None)
            .unwrap_or_else(|w| w)
    }

    fn reserve_within(
        &self,
        key: &str,
        limit: &RateLimit,
        now_ms: u64,
        max_wait: Duration,
    ) -> Result<Duration, Duration> {
        self.reserve_inner(key, limit, now_ms, Some(max_wait))
    }

    fn pause_until(&self, key: &str, until_ms: u64) {
        let mut keys = lock(&self.keys);
        let state = keys.entry(key.to_owned()).or_default();
        state.paused_until_ms = Some(state.paused_until_ms.map_or(until_ms, |p| p.max(until_ms)));
    }

    fn paused_until(&self, key: &str) -> Option<u64> {
        lock(&self.keys).get(key).and_then(|s| s.paused_until_ms)
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(
            Instant::now()
                .saturating_duration_since(self.origin)
                .as_millis(),
        )
        .unwrap_or(u64::MAX)
    }
}

/// The process-wide store used by [`shared_pacer`].
///
/// ```
/// let a = surefoot::pacing::default_store();
/// let b = surefoot::pacing::default_store();
/// assert!(std::sync::Arc::ptr_eq(&a, &b));
/// ```
pub fn default_store() -> Arc<dyn PacingStore> {
    static STORE: OnceLock<Arc<dyn PacingStore>> = OnceLock::new();
    STORE.get_or_init(|| Arc::new(MemoryStore::new())).clone()
}

// ===== Pacer ==============================================================================

#[derive(Debug, Default)]
struct PacerState {
    margin: f64,
    configured: Option<RateLimit>,
    learned: Option<RateLimit>,
    last_429: Option<Instant>,
    sends: VecDeque<Instant>,
}

impl PacerState {
    fn effective(&mut self, now: Instant) -> Option<RateLimit> {
        if self.configured.is_some() {
            return self.configured;
        }
        if let (Some(_), Some(at)) = (self.learned, self.last_429) {
            if now.saturating_duration_since(at) >= LEARNED_LIMIT_TTL {
                tracing::debug!(target: "surefoot::pacing", "forgetting learned rate limit after a quiet period");
                self.learned = None;
                self.last_429 = None;
            }
        }
        self.learned
    }
}

struct PacerInner {
    id: String,
    store: Arc<dyn PacingStore>,
    state: Mutex<PacerState>,
}

/// The client-side limiter for one API key + base URL + surface: cheap to clone (an
/// `Arc` inside), shared by every client using the same triple (see [`shared_pacer`]).
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
            .field("limit", &self.limit())
            .finish()
    }
}

impl Pacer {
    /// A pacer storing its state under `id` in `store`. `id` must not contain an API key
    /// in clear ([`shared_pacer`] hashes it).
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

    fn set_configured_if_none(&self, limit: RateLimit) {
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

    /// How long the current pause (after a 429) still lasts, if any.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let p = surefoot::pacing::Pacer::new("x".into(), None, Arc::new(surefoot::pacing::MemoryStore::new()));
    /// assert_eq!(p.paused_for(), None);
    /// ```
    pub fn paused_for(&self) -> Option<Duration> {
        let store = &self.inner.store;
        let until = store.paused_until(&self.inner.id)?;
        let now = store.now_ms();
        (until > now).then(|| Duration::from_millis(until - now))
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
            Ok(w) | Err(w) => w,
        }
    }

    /// Like [`acquire`](Pacer::acquire), but if the wait (pause plus slot) would exceed
    /// `max_wait`, return `Err(needed_wait)` at once without waiting or reserving a slot,
    /// so the caller can fail with `retry_after` instead of hanging (e.g. a daily cap's
    /// hours-long pause, or the remaining deadline).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use surefoot::pacing::{MemoryStore, Pacer};
    /// let p = Pacer::new("doc".into(), None, Arc::new(MemoryStore::new()));
    /// p.on_rate_limited(Some(Duration::from_secs(3600)));
    /// assert_eq!(p.acquire_within(Duration::from_secs(60)).await, Err(Duration::from_secs(3600)));
    /// # }
    /// ```
    pub async fn acquire_within(&self, max_wait: Duration) -> Result<Duration, Duration> {
        self.acquire_inner(Some(max_wait)).await
    }

    async fn acquire_inner(&self, max_wait: Option<Duration>) -> Result<Duration, Duration> {
        let start = Instant::now();
        let store = &self.inner.store;
        let id = self.inner.id.as_str();
        loop {
            let waited = start.elapsed();
            let budget = max_wait.map(|m| m.saturating_sub(waited));
            let now = store.now_ms();
            if let Some(until) = store.paused_until(id).filter(|&u| u > now) {
                let pause = Duration::from_millis(until - now);
                if budget.is_some_and(|b| pause > b) {
                    return Err(waited + pause);
                }
                tracing::debug!(target: "surefoot::pacing", pacer = id, pause_ms = until - now, "paused after a 429");
                sleep(pause).await;
                continue;
            }
            let limit = {
                let mut st = lock(&self.inner.state);
                let margin = st.margin;
                st.effective(Instant::now()).map(|l| with_margin(l, margin))
            };
            if let Some(limit) = limit {
                let wait = match budget {
                    Some(b) => store
                        .reserve_within(id, &limit, now, b)
                        .map_err(|w| waited + w)?,
                    None => store.reserve(id, &limit, now),
                };
                if !wait.is_zero() {
                    sleep(wait).await;
                }
                // A pause that began while we waited for our slot still applies.
                let now = store.now_ms();
                if store.paused_until(id).is_some_and(|u| u > now) {
                    continue;
                }
            }
            self.record_send();
            return Ok(start.elapsed());
        }
    }

    fn record_send(&self) {
        let mut st = lock(&self.inner.state);
        if st.configured.is_some() {
            return;
        }
        let now = Instant::now();
        st.sends.push_back(now);
        while st.sends.len() > MAX_SENDS_REMEMBERED
            || st
                .sends
                .front()
                .is_some_and(|&t| now.saturating_duration_since(t) > SEND_WINDOW)
        {
            st.sends.pop_front();
        }
    }

    /// After a 429: pause every request on this key for `retry_after` from now (1 s when
    /// the server gave none; at most 24 h), and, if no limit was configured, learn one by
    /// halving the observed rate (or the previously learned one). Call it for
    /// `rate_limit_exceeded`, `daily_cap_exceeded` and generic 429s — see
    /// [`Pacer::on_error`], which filters for you.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use surefoot::pacing::{MemoryStore, Pacer};
    /// let p = Pacer::new("doc".into(), None, Arc::new(MemoryStore::new()));
    /// p.on_rate_limited(Some(Duration::from_secs(2)));
    /// assert_eq!(p.acquire().await, Duration::from_secs(2));
    /// # }
    /// ```
    pub fn on_rate_limited(&self, retry_after: Option<Duration>) {
        let d = retry_after
            .unwrap_or(DEFAULT_429_PAUSE)
            .min(MAX_RETRY_AFTER);
        let store = &self.inner.store;
        let ms = u64::try_from(d.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX);
        store.pause_until(&self.inner.id, store.now_ms().saturating_add(ms));

        let mut st = lock(&self.inner.state);
        let now = Instant::now();
        let previous = st.last_429.replace(now);
        if st.configured.is_some() {
            return;
        }
        // 429s answering requests that were already in flight when the first one came back
        // are one event, not many: learn (halve) at most once per pause.
        let same_event =
            previous.is_some_and(|p| now.saturating_duration_since(p) < d.max(DEFAULT_429_PAUSE));
        if same_event && st.learned.is_some() {
            return;
        }
        let observed = {
            let recent: Vec<Instant> = st
                .sends
                .iter()
                .copied()
                .filter(|&t| now.saturating_duration_since(t) <= SEND_WINDOW)
                .collect();
            (recent.len() >= 2).then(|| {
                let span = now
                    .saturating_duration_since(recent[0])
                    .max(Duration::from_secs(1));
                span / u32::try_from(recent.len()).unwrap_or(u32::MAX)
            })
        };
        let base = match (st.learned, observed) {
            (Some(l), Some(o)) => Some(l.emission_interval().max(o)),
            (Some(l), None) => Some(l.emission_interval()),
            (None, o) => o,
        };
        if let Some(interval) = base {
            let halved = interval.saturating_mul(2).min(SLOWEST_LEARNED_INTERVAL);
            let learned = RateLimit::new(1, halved);
            tracing::debug!(target: "surefoot::pacing", pacer = %self.inner.id, limit = %learned, "learned a rate limit from a 429");
            st.learned = Some(learned);
            st.sends.clear();
        }
    }

    /// Feed a failed attempt's error: for a 429 of kind rate-limited other than
    /// `concurrency_limit_exceeded` (a session cap, not a request rate), calls
    /// [`on_rate_limited`](Pacer::on_rate_limited) with its `retry_after`; ignores every
    /// other error (payment codes on 429 included).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use std::sync::Arc;
    /// use surefoot::{pacing::{MemoryStore, Pacer}, Error};
    /// let p = Pacer::new("doc".into(), None, Arc::new(MemoryStore::new()));
    /// let quota = br#"{"error": {"code": "insufficient_quota", "message": "m"}}"#;
    /// p.on_error(&Error::from_response(429, &http::HeaderMap::new(), quota, false));
    /// assert_eq!(p.paused_for(), None);
    /// p.on_error(&Error::from_response(429, &http::HeaderMap::new(), b"", false));
    /// assert!(p.paused_for().is_some());
    /// # }
    /// ```
    pub fn on_error(&self, err: &Error) {
        if err.status() == Some(429)
            && err.is_rate_limited()
            && err.code() != "concurrency_limit_exceeded"
        {
            self.on_rate_limited(err.retry_after());
        }
    }

    /// Learn from rate-limit headers on any response: `x-ratelimit-limit` /
    /// `x-ratelimit-remaining` / `x-ratelimit-reset` (also the `-requests` suffixed
    /// OpenAI names and the IETF draft `ratelimit-*`, `RateLimit: r=..;t=..` and
    /// `RateLimit-Policy: q;w=..` forms). Remaining 0 pauses every waiter until the reset
    /// (delta seconds, Unix epoch seconds, or `6m0s`-style durations; at most 24 h). A
    /// policy with a window, when no limit was configured, becomes the learned limit.
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
    /// p.observe_headers(&h);
    /// assert_eq!(p.paused_for(), Some(Duration::from_secs(3)));
    /// # }
    /// ```
    pub fn observe_headers(&self, headers: &http::HeaderMap) {
        // Every header read below is named `x-ratelimit…` or `ratelimit…`: without one,
        // there is nothing to learn (one pass over the names instead of a dozen lookups).
        if !headers.keys().any(|name| {
            let name = name.as_str();
            name.starts_with("ratelimit") || name.starts_with("x-ratelimit")
        }) {
            return;
        }
        let info = RateLimitHeaders::parse(headers, SystemTime::now());
        if info.remaining == Some(0) {
            if let Some(reset) = info.reset.filter(|d| !d.is_zero()) {
                let store = &self.inner.store;
                let ms = u64::try_from(reset.min(MAX_RETRY_AFTER).as_millis()).unwrap_or(u64::MAX);
                tracing::debug!(target: "surefoot::pacing", pacer = %self.inner.id, reset_ms = ms, "rate-limit quota exhausted; pausing until reset");
                store.pause_until(&self.inner.id, store.now_ms().saturating_add(ms));
            }
        }
        if let (Some(q), Some(w)) = (info.limit, info.window) {
            let mut st = lock(&self.inner.state);
            if st.configured.is_none() && q > 0 && !w.is_zero() {
                let from_policy = RateLimit::new(q, w);
                let keep_learned = st
                    .learned
                    .is_some_and(|l| l.emission_interval() > from_policy.emission_interval());
                if !keep_learned && st.learned != Some(from_policy) {
                    tracing::debug!(target: "surefoot::pacing", pacer = %self.inner.id, limit = %from_policy, "learned a rate limit from headers");
                    st.learned = Some(from_policy);
                    st.last_429.get_or_insert(Instant::now());
                }
            }
        }
    }
}

/// The limit actually enforced: the window stretched by the safety margin, and one burst
/// slot held back (or, with no burst, a restart gap of one interval, at most 20 ms), so a server whose clock started a few milliseconds after ours — the first
/// request's connection set-up, a busy CPU — still finds every request on time.
fn with_margin(l: RateLimit, margin: f64) -> RateLimit {
    if margin <= 0.0 {
        return l;
    }
    RateLimit {
        per: l.per.mul_f64(1.0 + margin),
        burst: l.burst.saturating_sub(1).max(1),
        // Without a burst slot to hold back, the restart gap gives the same slack.
        restart_gap: if l.burst == 1 {
            l.emission_interval().min(MAX_RESTART_GAP)
        } else {
            Duration::ZERO
        },
        ..l
    }
}

/// What a response's rate-limit headers say.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct RateLimitHeaders {
    limit: Option<u32>,
    remaining: Option<u64>,
    reset: Option<Duration>,
    window: Option<Duration>,
}

impl RateLimitHeaders {
    fn parse(headers: &http::HeaderMap, now: SystemTime) -> Self {
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
fn parse_reset(v: &str, now: SystemTime) -> Option<Duration> {
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

// ===== registries ==========================================================================

/// A stable, non-reversible-in-practice digest of an API key for use in map and store
/// keys (two FNV-1a-64 passes with different offsets, hex). Stable across processes and
/// Rust versions so a shared store sees the same id everywhere.
fn key_digest(api_key: &str) -> String {
    fn fnv(seed: u64, data: &[u8]) -> u64 {
        let mut h = seed;
        for &b in data {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    }
    let a = fnv(0xcbf2_9ce4_8422_2325, api_key.as_bytes());
    let b = fnv(0x84222325_cbf29ce4 ^ a.rotate_left(17), api_key.as_bytes());
    format!("{a:016x}{b:016x}")
}

fn registry_id(api_key: &str, base_url: &str, surface: &str) -> String {
    format!(
        "surefoot:{}:{}:{}",
        key_digest(api_key),
        base_url.trim().trim_end_matches('/'),
        surface
    )
}

/// The process-wide pacer for (`api_key`, `base_url`, `surface`): the same triple always
/// yields the same [`Pacer`] (clones share state). The key is hashed; it is never stored
/// in clear. The `limit` given on first creation wins, except that a later `Some` replaces
/// an absent one.
///
/// ```
/// use surefoot::{pacing::shared_pacer, RateLimit};
/// let a = shared_pacer("sk-doc-key-1", "https://api.example.com", "data", Some(RateLimit::per_minute(500)));
/// let b = shared_pacer("sk-doc-key-1", "https://api.example.com/", "data", None);
/// assert_eq!(a.id(), b.id());
/// assert_eq!(b.limit(), Some(RateLimit::per_minute(500)));
/// assert!(!a.id().contains("sk-doc-key-1"));
/// let c = shared_pacer("sk-doc-key-2", "https://api.example.com", "data", None);
/// assert_ne!(a.id(), c.id());
/// ```
pub fn shared_pacer(
    api_key: &str,
    base_url: &str,
    surface: &str,
    limit: Option<RateLimit>,
) -> Pacer {
    static PACERS: OnceLock<Mutex<HashMap<String, Pacer>>> = OnceLock::new();
    let id = registry_id(api_key, base_url, surface);
    let mut map = lock(PACERS.get_or_init(|| Mutex::new(HashMap::new())));
    let pacer = map
        .entry(id.clone())
        .or_insert_with(|| Pacer::new(id, limit, default_store()))
        .clone();
    drop(map);
    if let Some(l) = limit {
        pacer.set_configured_if_none(l);
    }
    pacer
}

// ===== ConcurrencyLimiter =================================================================

/// A cap on concurrent things (realtime sessions) for one key + base URL; cheap to clone,
/// clones share the cap. A `max` of 0 is treated as 1.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let limiter = surefoot::pacing::ConcurrencyLimiter::new(2);
/// let a = limiter.acquire().await;
/// let _b = limiter.try_acquire().unwrap();
/// assert!(limiter.try_acquire().is_none());
/// drop(a);
/// assert_eq!(limiter.in_use(), 1);
/// # }
/// ```
#[derive(Clone)]
pub struct ConcurrencyLimiter {
    semaphore: Arc<Semaphore>,
    max: usize,
}

/// A slot in a [`ConcurrencyLimiter`], released when dropped.
///
/// ```
/// let limiter = surefoot::pacing::ConcurrencyLimiter::new(1);
/// let permit = limiter.try_acquire().unwrap();
/// drop(permit);
/// assert_eq!(limiter.in_use(), 0);
/// ```
pub struct ConcurrencyPermit {
    _permit: OwnedSemaphorePermit,
}

impl fmt::Debug for ConcurrencyPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConcurrencyPermit")
    }
}

impl fmt::Debug for ConcurrencyLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConcurrencyLimiter")
            .field("max", &self.max)
            .field("in_use", &self.in_use())
            .finish()
    }
}

impl ConcurrencyLimiter {
    /// A limiter allowing `max` concurrent permits.
    ///
    /// ```
    /// assert_eq!(surefoot::pacing::ConcurrencyLimiter::new(3).max(), 3);
    /// ```
    pub fn new(max: usize) -> Self {
        let max = max.clamp(1, Semaphore::MAX_PERMITS);
        ConcurrencyLimiter {
            semaphore: Arc::new(Semaphore::new(max)),
            max,
        }
    }

    /// Wait for a free slot (FIFO). Cancel-safe: a dropped wait takes no slot.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let l = surefoot::pacing::ConcurrencyLimiter::new(1);
    /// let p = l.acquire().await;
    /// assert_eq!(l.in_use(), 1);
    /// # drop(p);
    /// # }
    /// ```
    pub async fn acquire(&self) -> ConcurrencyPermit {
        loop {
            // The semaphore is never closed, so this only loops in theory.
            if let Ok(p) = self.semaphore.clone().acquire_owned().await {
                return ConcurrencyPermit { _permit: p };
            }
            tokio::task::yield_now().await;
        }
    }

    /// Take a free slot now, or `None` if all are in use.
    ///
    /// ```
    /// let l = surefoot::pacing::ConcurrencyLimiter::new(1);
    /// let _p = l.try_acquire().unwrap();
    /// assert!(l.try_acquire().is_none());
    /// ```
    pub fn try_acquire(&self) -> Option<ConcurrencyPermit> {
        self.semaphore
            .clone()
            .try_acquire_owned()
            .ok()
            .map(|p| ConcurrencyPermit { _permit: p })
    }

    /// Slots currently held.
    ///
    /// ```
    /// assert_eq!(surefoot::pacing::ConcurrencyLimiter::new(4).in_use(), 0);
    /// ```
    pub fn in_use(&self) -> usize {
        self.max.saturating_sub(self.semaphore.available_permits())
    }

    /// The cap.
    ///
    /// ```
    /// assert_eq!(surefoot::pacing::ConcurrencyLimiter::new(0).max(), 1);
    /// ```
    pub fn max(&self) -> usize {
        self.max
    }
}

/// The process-wide concurrency limiter for (`api_key`, `base_url`, `surface`): the same
/// triple yields limiters sharing one cap (the key is hashed). The `max` of the first
/// call wins.
///
/// ```
/// use surefoot::pacing::shared_concurrency_limiter;
/// let a = shared_concurrency_limiter("sk-doc-key", "https://api.example.com", "realtime", 2);
/// let b = shared_concurrency_limiter("sk-doc-key", "https://api.example.com", "realtime", 5);
/// let _p = a.try_acquire().unwrap();
/// assert_eq!((b.in_use(), b.max()), (1, 2));
/// ```
pub fn shared_concurrency_limiter(
    api_key: &str,
    base_url: &str,
    surface: &str,
    max: usize,
) -> ConcurrencyLimiter {
    static LIMITERS: OnceLock<Mutex<HashMap<String, ConcurrencyLimiter>>> = OnceLock::new();
    let id = registry_id(api_key, base_url, surface);
    lock(LIMITERS.get_or_init(|| Mutex::new(HashMap::new())))
        .entry(id)
        .or_insert_with(|| ConcurrencyLimiter::new(max))
        .clone()
}

#[cfg(test)]
mod tests;
