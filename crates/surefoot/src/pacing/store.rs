//! The storage interface behind pacing: [`PacingStore`], every piece of pacing state that
//! several clients — in one process, or in many processes and hosts — must share for one
//! API key: GCRA slots, pauses with the server answer that set them, learned limits,
//! concurrency leases, retry budgets and a host's outage (one probe at a time between
//! processes). Methods are async (a shared store answers over the network) and
//! infallible: a store that loses its backend decides locally instead of failing a call.
//! Times cross the interface as durations from "now" on the store's own clock, so hosts
//! need not agree on the time.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::error::{Error, ErrorKind};
use crate::pacing::RateLimit;

/// The future a [`PacingStore`] method returns (boxed, so the trait is object-safe).
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a key is paused: the parts of the server answer that set the pause, so a call
/// refused without sending reports the same code, kind, status and message.
///
/// ```
/// use surefoot::pacing::PauseCause;
/// let body = br#"{"error": {"code": "daily_cap_exceeded", "message": "Daily cap reached."}}"#;
/// let e = surefoot::Error::from_response(429, &http::HeaderMap::new(), body, false);
/// let cause = PauseCause::from_error(&e);
/// assert_eq!((cause.code.as_str(), cause.status), ("daily_cap_exceeded", Some(429)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PauseCause {
    /// The HTTP status of the answer (none for a pause read from rate-limit headers of a
    /// successful answer).
    pub status: Option<u16>,
    /// Its stable code (`rate_limit_exceeded`, `daily_cap_exceeded`, …).
    pub code: String,
    /// Its kind.
    pub kind: ErrorKind,
    /// Its message (already free of the API key).
    pub message: String,
    /// Its request id, if the server gave one.
    pub request_id: Option<String>,
}

impl PauseCause {
    /// The cause a failed attempt's error gives a pause.
    ///
    /// ```
    /// let e = surefoot::Error::from_response(429, &http::HeaderMap::new(), b"", false);
    /// assert_eq!(surefoot::pacing::PauseCause::from_error(&e).code, "rate_limit_exceeded");
    /// ```
    pub fn from_error(err: &Error) -> PauseCause {
        PauseCause {
            status: err.status(),
            code: err.code().to_owned(),
            kind: err.kind(),
            message: err.message().to_owned(),
            request_id: err.request_id().map(str::to_owned),
        }
    }

    /// The cause of a pause read from rate-limit headers that said no request remains
    /// until the reset.
    ///
    /// ```
    /// let c = surefoot::pacing::PauseCause::quota_used_up(Some("req_1".into()));
    /// assert_eq!((c.code.as_str(), c.status), ("rate_limit_exceeded", None));
    /// ```
    pub fn quota_used_up(request_id: Option<String>) -> PauseCause {
        PauseCause {
            status: None,
            code: crate::error::codes::RATE_LIMIT_EXCEEDED.to_owned(),
            kind: ErrorKind::RateLimited,
            message: "the server's rate-limit headers said no request remains until the reset"
                .to_owned(),
            request_id,
        }
    }
}

/// A pause in force on a key.
///
/// ```
/// use std::time::Duration;
/// let p = surefoot::pacing::Pause { remaining: Duration::from_secs(3), cause: None };
/// assert_eq!(p.remaining.as_secs(), 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pause {
    /// How long it still lasts (more than zero).
    pub remaining: Duration,
    /// The answer that set it, when the store knows it.
    pub cause: Option<PauseCause>,
}

/// The answer to [`PacingStore::reserve`].
///
/// ```
/// use std::time::Duration;
/// use surefoot::pacing::Reservation;
/// assert_ne!(Reservation::Go(Duration::ZERO), Reservation::TooLong(Duration::from_secs(1)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// A slot is reserved: send after this wait (zero = now).
    Go(Duration),
    /// The slot would need this wait, longer than the maximum given: nothing reserved.
    /// From [`PacingStore::reserve_unpaced`]: the fleet's start window is full; ask again
    /// after this wait.
    TooLong(Duration),
    /// The key is paused: nothing reserved; ask again when the pause ends.
    Paused(Pause),
}

/// A host's outage as a shared store knows it (see [`PacingStore::outage_since`]).
///
/// ```
/// use std::time::Duration;
/// let o = surefoot::pacing::SharedOutage { ago: Duration::from_secs(2), status: Some(503) };
/// assert_eq!(o.status, Some(503));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedOutage {
    /// How long ago it began.
    pub ago: Duration,
    /// The HTTP status of the failure that began it (none for a connection failure).
    pub status: Option<u16>,
}

/// The answer to [`PacingStore::outage_probe`]: whose turn it is to probe a host in an
/// outage.
///
/// ```
/// use surefoot::pacing::OutageProbe;
/// assert_ne!(OutageProbe::Granted, OutageProbe::Local);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutageProbe {
    /// This process sends the probe (it holds the turn for the lease given).
    Granted,
    /// Another process probes, or the next probe is not due: ask again after this.
    Wait(Duration),
    /// The outage is over (another process's call succeeded): send.
    Ended,
    /// Nothing shared (an in-process store, or its backend is away): the process decides.
    Local,
}

/// What a shared store answers about a 429 (see [`PacingStore::throttled`]): whether this
/// 429 opened a new overload episode of the key, for the whole fleet.
///
/// ```
/// use surefoot::pacing::Episode;
/// assert_ne!(Episode::Local, Episode::Joined);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Episode {
    /// Nothing shared (an in-process store, or its backend is away): the process learns
    /// on its own.
    Local,
    /// This 429 opened the episode: the caller decides the one decrease, from the answers
    /// the whole fleet saw accepted (how long ago, how many), and publishes it.
    New(Vec<(Duration, u32)>),
    /// Another 429 of the same episode already decided the decrease.
    Joined,
}

/// Where pacing state lives. [`MemoryStore`](crate::pacing::MemoryStore) (the default)
/// keeps it in the process; a shared store (Redis) lets many processes and hosts pace one
/// key together. `key` is an opaque id that never contains an API key in clear (see
/// [`key_name`](crate::pacing::key_name)).
///
/// Every method is infallible: a shared store that cannot reach its backend answers from
/// a local fallback (and says so in its logs), because pacing trouble must never fail a
/// call.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// use std::time::Duration;
/// use surefoot::pacing::{MemoryStore, PacingStore, Reservation};
/// use surefoot::RateLimit;
/// let store = MemoryStore::new();
/// let l = RateLimit::per_second(10);
/// assert_eq!(store.reserve("k", &l, None).await, Reservation::Go(Duration::ZERO));
/// assert_eq!(store.reserve("k", &l, None).await, Reservation::Go(Duration::from_millis(100)));
/// store.pause("k", Duration::from_secs(5), None).await;
/// assert!(matches!(store.reserve("k", &l, None).await, Reservation::Paused(_)));
/// # }
/// ```
pub trait PacingStore: Send + Sync + 'static {
    /// A name for logs and registries (`memory`, `redis://host:6379/0`), never a password.
    fn name(&self) -> String;

    /// Whether other processes may share this store's state (concurrency slots are then
    /// taken as leases in the store, not only in the process).
    fn is_shared(&self) -> bool {
        false
    }

    /// How long a concurrency slot is leased for: a holder renews it (about every third
    /// of this) while it holds it, so a process that dies without releasing its slots
    /// frees them within this time.
    ///
    /// ```
    /// use surefoot::pacing::{MemoryStore, PacingStore};
    /// assert_eq!(MemoryStore::new().slot_lease().as_secs(), 30);
    /// ```
    fn slot_lease(&self) -> Duration {
        Duration::from_secs(30)
    }

    /// Pacing decisions this store made locally because its backend did not answer in
    /// time (always 0 for a store without a backend); see
    /// [`Metrics::pacing_store_fallbacks`](crate::Metrics::pacing_store_fallbacks).
    ///
    /// ```
    /// use surefoot::pacing::{MemoryStore, PacingStore};
    /// assert_eq!(MemoryStore::new().fallback_decisions(), 0);
    /// ```
    fn fallback_decisions(&self) -> u64 {
        0
    }

    /// One pacing decision, atomically: if `key` is paused, [`Reservation::Paused`];
    /// else reserve the next GCRA slot under `limit` and answer the wait, unless the wait
    /// exceeds `max_wait` ([`Reservation::TooLong`], nothing reserved).
    fn reserve<'a>(
        &'a self,
        key: &'a str,
        limit: &'a RateLimit,
        max_wait: Option<Duration>,
    ) -> StoreFuture<'a, Reservation>;

    /// Pause `key` for `duration` from now because of `cause`. Keeps the later of the
    /// existing and the new pause (and the cause of the one kept).
    fn pause<'a>(
        &'a self,
        key: &'a str,
        duration: Duration,
        cause: Option<PauseCause>,
    ) -> StoreFuture<'a, ()>;

    /// The pause in force on `key`, if any.
    fn paused<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Pause>>;

    /// One pacing decision on a key no limit paces yet (none configured, none learned or
    /// announced): [`Reservation::Paused`] while `key` is paused, else
    /// [`Reservation::Go`] with no wait — unless the store learns together and the
    /// fleet's start window is full (see [`START_WINDOW`](crate::pacing::START_WINDOW)):
    /// then [`Reservation::TooLong`] with how long to wait before asking again (nothing
    /// counted). The default answers from [`paused`](PacingStore::paused).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use std::time::Duration;
    /// use surefoot::pacing::{MemoryStore, PacingStore, Reservation};
    /// let fleet = MemoryStore::learning_together();
    /// assert_eq!(fleet.reserve_unpaced("k").await, Reservation::Go(Duration::ZERO));
    /// assert_eq!(fleet.reserve_unpaced("k").await, Reservation::Go(Duration::ZERO));
    /// // Two requests out, no answer yet: the third waits for one (or for the window to grow).
    /// assert!(matches!(fleet.reserve_unpaced("k").await, Reservation::TooLong(_)));
    /// fleet.note_accepted("k");
    /// assert_eq!(fleet.reserve_unpaced("k").await, Reservation::Go(Duration::ZERO));
    /// # }
    /// ```
    fn reserve_unpaced<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Reservation> {
        Box::pin(async move {
            match self.paused(key).await {
                Some(p) => Reservation::Paused(p),
                None => Reservation::Go(Duration::ZERO),
            }
        })
    }

    /// The pause this process knows of on `key` without asking a backend: what the
    /// pacer checks after sleeping until its reserved slot, so one pacing decision stays
    /// one round trip. A shared store answers what it last saw (pauses set by this
    /// process, and those its reserve and paused answers brought back from others);
    /// the default asks [`paused`](PacingStore::paused).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use surefoot::pacing::{MemoryStore, PacingStore};
    /// let s = MemoryStore::new();
    /// s.pause("k", std::time::Duration::from_secs(1), None).await;
    /// assert!(s.known_pause("k").await.is_some());
    /// # }
    /// ```
    fn known_pause<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Pause>> {
        self.paused(key)
    }

    /// Whether learning a limit is shared through this store: answers and 429s are
    /// counted for every process on the key, one decrease per overload episode, one
    /// learned state ([`fleet_learned`](PacingStore::fleet_learned)). An in-process
    /// store answers `false`: each process learns on its own.
    ///
    /// ```
    /// use surefoot::pacing::{MemoryStore, PacingStore};
    /// assert!(!MemoryStore::new().learns_together());
    /// ```
    fn learns_together(&self) -> bool {
        false
    }

    /// An answer other than a 429 came back on `key`. A store that learns together
    /// counts it for the fleet with this process's next decision on the key (no round
    /// trip of its own); the default ignores it.
    fn note_accepted(&self, key: &str) {
        let _ = key;
    }

    /// A 429 on `key`: pause it as [`pause`](PacingStore::pause) does and, for a store
    /// that learns together, say whether this 429 opened a new overload episode (one
    /// decrease per episode: an episode lasts `episode` from its first 429, however many
    /// processes see its 429s). The default pauses and answers [`Episode::Local`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use std::time::Duration;
    /// use surefoot::pacing::{Episode, MemoryStore, PacingStore};
    /// let s = MemoryStore::new();
    /// assert_eq!(s.throttled("k", Duration::from_secs(1), None, Duration::from_secs(1)).await, Episode::Local);
    /// assert!(s.paused("k").await.is_some());
    /// # }
    /// ```
    fn throttled<'a>(
        &'a self,
        key: &'a str,
        duration: Duration,
        cause: Option<PauseCause>,
        episode: Duration,
    ) -> StoreFuture<'a, Episode> {
        let _ = episode;
        Box::pin(async move {
            self.pause(key, duration, cause).await;
            Episode::Local
        })
    }

    /// The learning state the fleet shares on `key` (an opaque string the pacer writes
    /// with [`set_fleet_learned`](PacingStore::set_fleet_learned)) and how long ago it
    /// was written, for a store that learns together; `None` otherwise. A store may
    /// answer from what its last decision on the key brought back.
    fn fleet_learned<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<(String, Duration)>> {
        let _ = key;
        Box::pin(std::future::ready(None))
    }

    /// Record the fleet's learning state of `key`, forgotten after `ttl` unless written
    /// again. The default does nothing.
    fn set_fleet_learned<'a>(
        &'a self,
        key: &'a str,
        state: String,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        let _ = (key, state, ttl);
        Box::pin(std::future::ready(()))
    }

    /// The limit learned for `key` (from 429s or headers), if one is in force.
    fn learned<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<RateLimit>>;

    /// Record (`Some`) or forget (`None`) the learned limit of `key`; a recorded one is
    /// forgotten after `ttl` unless recorded again.
    fn set_learned<'a>(
        &'a self,
        key: &'a str,
        limit: Option<RateLimit>,
        ttl: Duration,
    ) -> StoreFuture<'a, ()>;

    /// Take one of `max` concurrency slots of `key` as a lease for `lease`: the slot's id,
    /// or `None` when all are held. A lease not renewed in time frees its slot.
    fn acquire_slot<'a>(
        &'a self,
        key: &'a str,
        max: usize,
        lease: Duration,
    ) -> StoreFuture<'a, Option<String>>;

    /// Extend a held slot's lease; `false` if it had already expired (or was released).
    fn renew_slot<'a>(
        &'a self,
        key: &'a str,
        slot: &'a str,
        lease: Duration,
    ) -> StoreFuture<'a, bool>;

    /// Give a slot back.
    fn release_slot<'a>(&'a self, key: &'a str, slot: &'a str) -> StoreFuture<'a, ()>;

    /// Slots of `key` currently held (expired leases not counted).
    fn slots_in_use<'a>(&'a self, key: &'a str) -> StoreFuture<'a, usize>;

    /// Forget everything about `key`: schedule, pause, learned limit, slots, retry tokens.
    fn reset<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()>;

    /// The retry budget of `key` (a token bucket; see [`crate::retry::budget`]), in one
    /// atomic step: a bucket never seen before (or forgotten) holds `capacity` tokens; if
    /// it holds at least `cost`, take `cost` and answer `true`; else take nothing and
    /// answer `false`. `cost` 0 always answers `true`. A bucket holding more than
    /// `capacity` (the capacity was lowered) is first cut to `capacity`. Buckets do not
    /// refill with time, only through [`refund_retry_tokens`](PacingStore::refund_retry_tokens);
    /// a shared store may forget a bucket untouched for a long while (it then starts full
    /// again). A store that cannot reach its backend answers from a local bucket.
    fn take_retry_tokens<'a>(
        &'a self,
        key: &'a str,
        cost: u32,
        capacity: u32,
    ) -> StoreFuture<'a, bool>;

    /// Give `n` tokens back to the retry budget of `key`, in one atomic step: the bucket
    /// (`capacity` when never seen) grows by `n`, never beyond `capacity`. A shared store
    /// may give back at most what this process took from the bucket and has not returned
    /// (so a call that never retried costs no round trip; [`RedisStore`](crate::pacing::RedisStore) does).
    fn refund_retry_tokens<'a>(
        &'a self,
        key: &'a str,
        n: u32,
        capacity: u32,
    ) -> StoreFuture<'a, ()>;

    /// The tokens in the retry budget of `key` (`capacity` when never seen; never more
    /// than `capacity`), for reports and tests.
    fn retry_tokens<'a>(&'a self, key: &'a str, capacity: u32) -> StoreFuture<'a, u32>;

    /// A host's outage, shared between processes (`id` is the host's opaque id for this
    /// API key): record that it began now, unless it already had (the earlier start is
    /// kept), with the `status` of the failure that began it (none: a connection failure).
    /// Returns the outage as stored; `None` from a store that shares nothing (the
    /// default: the outage stays in the process) or whose backend is away.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use surefoot::pacing::{MemoryStore, PacingStore};
    /// assert_eq!(MemoryStore::new().outage_begin("{h}", Some(503)).await, None);
    /// # }
    /// ```
    fn outage_begin<'a>(
        &'a self,
        id: &'a str,
        status: Option<u16>,
    ) -> StoreFuture<'a, Option<SharedOutage>> {
        let _ = (id, status);
        Box::pin(std::future::ready(None))
    }

    /// The shared outage of host `id`, if another process (or this one) recorded one.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use surefoot::pacing::{MemoryStore, PacingStore};
    /// assert_eq!(MemoryStore::new().outage_since("{h}").await, None);
    /// # }
    /// ```
    fn outage_since<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<SharedOutage>> {
        let _ = id;
        Box::pin(std::future::ready(None))
    }

    /// Ask for the turn to probe host `id` in an outage, for at most `lease` (a process
    /// that dies while probing frees its turn then): one probe at a time between all the
    /// processes sharing the store.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use std::time::Duration;
    /// use surefoot::pacing::{MemoryStore, OutageProbe, PacingStore};
    /// let s = MemoryStore::new();
    /// assert_eq!(s.outage_probe("{h}", Duration::from_secs(10)).await, OutageProbe::Local);
    /// # }
    /// ```
    fn outage_probe<'a>(&'a self, id: &'a str, lease: Duration) -> StoreFuture<'a, OutageProbe> {
        let _ = (id, lease);
        Box::pin(std::future::ready(OutageProbe::Local))
    }

    /// This process's probe of host `id` failed: give the turn back; the next probe (of
    /// any process) is due after `first` × 2^(probes failed so far, between all the
    /// processes), at most `cap`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use std::time::Duration;
    /// use surefoot::pacing::{MemoryStore, PacingStore};
    /// let (first, cap) = (Duration::from_millis(50), Duration::from_millis(250));
    /// MemoryStore::new().outage_probe_failed("{h}", first, cap).await;
    /// # }
    /// ```
    fn outage_probe_failed<'a>(
        &'a self,
        id: &'a str,
        first: Duration,
        cap: Duration,
    ) -> StoreFuture<'a, ()> {
        let _ = (id, first, cap);
        Box::pin(std::future::ready(()))
    }

    /// Host `id` answered: its outage is over for every process.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use surefoot::pacing::{MemoryStore, PacingStore};
    /// MemoryStore::new().outage_end("{h}").await;
    /// # }
    /// ```
    fn outage_end<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()> {
        let _ = id;
        Box::pin(std::future::ready(()))
    }
}
