//! [`RedisStore`], the [`PacingStore`] that lets many processes and hosts pace one API key
//! together: each pacing decision is one round trip (a Lua script run by `EVALSHA` that
//! reads Redis `TIME`, checks the pause, moves the GCRA schedule, records this process as
//! active on the key and sets TTLs so idle keys vanish), pauses carry their cause as JSON,
//! session slots are leases in a sorted set scored by expiry, and every key of one API
//! key's state shares one `{…}` hash tag. Redis trouble never fails a call: after the
//! decision timeout the store decides from an in-process [`MemoryStore`] at this process's
//! fair share of the limit, warns once per outage, counts the fallbacks, and goes back to
//! Redis when a background probe sees it answer (or, failing closed, waits for it).
//! A host's outage is shared too (`outage.lua`: when it began, the one probe's turn as a
//! lease, when the next probe is due), so processes send one probe at a time between them;
//! while Redis is away each process holds and probes on its own.

mod builder;
mod calls;
mod codec;
mod connection;
mod fleet;
mod options;
mod secret;
mod store;
mod target;
mod tls;
mod url;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::Notify;

pub(crate) use self::builder::check_url;
pub use self::builder::RedisStoreBuilder;
use self::connection::STATE_CONNECTING;
use self::connection::STATE_UP;
use self::options::{check_options, Options};
pub use self::options::{DEFAULT_DECISION_TIMEOUT, DEFAULT_PREFIX, DEFAULT_SLOT_LEASE};
use self::target::{Backend, Conn};
pub(crate) use self::url::redact;
use self::url::{parse_url, UrlInfo};
use super::lock;
use super::memory::MemoryStore;
use crate::error::Result;

struct Shared {
    shown: String,
    /// Asserted unwind-safe: the Sentinel and Cluster clients of the `redis` crate hold
    /// state that is not `RefUnwindSafe`, and a panic never leaves it half-updated for
    /// us (it is only read to connect); so `RedisStore` stays `UnwindSafe`, as in 0.1.0.
    backend: std::panic::AssertUnwindSafe<Backend>,
    opts: Options,
    conn: Mutex<Option<Conn>>,
    state: AtomicU8,
    /// Whether a connect loop is running (the first connection, or a new one after the
    /// primary a Sentinel named stopped answering).
    connecting: AtomicBool,
    changed: Notify,
    probing: AtomicBool,
    started: AtomicBool,
    local: MemoryStore,
    /// Processes the store last saw active on each key (from the reserve script).
    processes: Mutex<HashMap<String, u32>>,
    /// Where each key's last decision was made (true: Redis), so the first decision
    /// after a switch gives no burst credit.
    decided_on_redis: Mutex<HashMap<String, bool>>,
    /// How far each key's shared schedule stood ahead of the clock at this process's last
    /// decision there on Redis: local pacing starts that far from the switch (see
    /// `RedisStore::start_local`).
    leads: Mutex<HashMap<String, Duration>>,
    /// When each key's requests decided locally (Redis not answering) are due, those not
    /// yet due: the first decision back on Redis books them on the shared schedule.
    local_sends: Mutex<HashMap<String, VecDeque<std::time::Instant>>>,
    /// Retry tokens this process took from each shared bucket and has not given back: a
    /// process refunds at most what it took, so calls that never retried cost no round
    /// trip (a full bucket stays full without being told).
    retry_debt: Mutex<HashMap<String, u32>>,
    /// This process's id on every key (with the pid appended, so a forked child is
    /// another process).
    process_id: String,
    /// The process the connection belongs to (a forked child connects anew).
    pid: std::sync::atomic::AtomicU32,
    /// Answers this process saw accepted on each key since its last decision there
    /// (sent with the next one).
    pending_accepted: Mutex<HashMap<String, u32>>,
    /// The fleet's learning state of each key as the last decision brought it back:
    /// the state, its age then, and when that was.
    fleet: Mutex<HashMap<String, (String, Duration, tokio::time::Instant)>>,
    next_slot: AtomicU64,
    fallbacks: AtomicU64,
    outages: AtomicU64,
}

/// A [`PacingStore`](crate::pacing::PacingStore) on Redis (or Valkey): one API key's budget shared by every process
/// and host that uses the same Redis, key and base URL.
///
/// * One pacing decision is one round trip: a Lua script (`EVALSHA`, loaded again on
///   `NOSCRIPT`) reads Redis `TIME` (hosts need not agree on the clock), checks the
///   pause, moves the GCRA schedule atomically, records this process as active on the key
///   and sets TTLs so idle keys vanish.
/// * A 429's pause (with its cause as JSON: status, code, kind, message, request id) and
///   learned limits are written to Redis, so one 429 pauses every process.
/// * Concurrency slots are leases in a sorted set scored by expiry, renewed while held.
/// * Key names are `<prefix>{<HMAC-SHA256 of key, base URL, surface>}:<field>`: never the
///   API key, and one hash slot per key (Redis Cluster). With a secret
///   ([`RedisStoreBuilder::secret`]) the part in braces is keyed by it, so a dump does not
///   confirm a guessed API key.
/// * Faults never fail a call: see [`RedisStoreBuilder::decision_timeout`] and
///   [`RedisStoreBuilder::fail_closed`].
///
/// ```no_run
/// # fn main() -> surefoot::Result<()> {
/// let store = surefoot::pacing::RedisStore::connect("redis://127.0.0.1:6379/0")?;
/// let client = surefoot::Client::builder()
///     .base_url("https://api.example.com")
///     .api_key("sk-live-0123456789abcdef")
///     .pacing_store(std::sync::Arc::new(store))
///     .build()?;
/// # let _ = client; Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    shared: Arc<Shared>,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.shared.shown)
            .field("prefix", &self.shared.opts.prefix)
            .field("decision_timeout", &self.shared.opts.decision_timeout)
            .field("fail_closed", &self.shared.opts.fail_closed)
            .field("available", &self.is_available())
            .finish()
    }
}

impl RedisStore {
    /// A store on the Redis at `url` — `redis://[user[:password]@]host[:port][/db]`,
    /// `redis+sentinel://[user[:password]@]host:port[,host:port…]/service_name` (the
    /// primary the sentinels name), `redis+cluster://[user[:password]@]host:port[,…]/`
    /// (a Redis Cluster), each with `rediss` for TLS — with the options its query gives
    /// (see [`RedisStoreBuilder`]) and the defaults otherwise. Nothing is sent yet: the
    /// connection is made in the background. A malformed URL is an `invalid_request`
    /// error naming the problem.
    ///
    /// ```
    /// let store = surefoot::pacing::RedisStore::connect("redis://:s3cret@127.0.0.1:6379/2")?;
    /// assert_eq!(surefoot::pacing::PacingStore::name(&store), "redis://:***@127.0.0.1:6379/2 prefix=surefoot:");
    /// assert!(!format!("{store:?}").contains("s3cret"));
    /// let e = surefoot::pacing::RedisStore::connect("http://127.0.0.1:6379").unwrap_err();
    /// assert_eq!(e.message(), "pacing store URL: unsupported scheme `http`; use redis://, rediss://, redis+sentinel:// or redis+cluster://");
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn connect(url: &str) -> Result<RedisStore> {
        RedisStore::builder(url).build()
    }

    /// A builder for a store with options (prefix, decision timeout, fail closed, slot
    /// lease).
    ///
    /// ```
    /// let store = surefoot::pacing::RedisStore::builder("redis://127.0.0.1/0").prefix("x:").build()?;
    /// assert_eq!(store.prefix(), "x:");
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn builder(url: impl Into<String>) -> RedisStoreBuilder {
        RedisStoreBuilder::new(url.into())
    }

    /// The process-wide store for `url`: every caller with the same URL (options
    /// included) gets the same store, so the clients of one process share one
    /// connection. What `ClientBuilder::pacing_store_url` and `SUREFOOT_PACING_STORE` use.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let a = surefoot::pacing::RedisStore::shared("redis://127.0.0.1:6379/0")?;
    /// let b = surefoot::pacing::RedisStore::shared(" redis://127.0.0.1:6379/0 ")?;
    /// assert!(Arc::ptr_eq(&a, &b));
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn shared(url: &str) -> Result<Arc<RedisStore>> {
        type Registry = Mutex<HashMap<(String, Options), Arc<RedisStore>>>;
        static STORES: OnceLock<Registry> = OnceLock::new();
        let (info, opts) = parse_url(url)?;
        check_options(&opts)?;
        let mut map = lock(STORES.get_or_init(|| Mutex::new(HashMap::new())));
        let key = (info.canonical.clone(), opts.clone());
        if let Some(s) = map.get(&key) {
            return Ok(s.clone());
        }
        let store = Arc::new(RedisStore::from_parts(info, opts)?);
        map.insert(key, store.clone());
        Ok(store)
    }

    fn from_parts(info: UrlInfo, opts: Options) -> Result<RedisStore> {
        let backend = Backend::new(&info)?;
        Ok(RedisStore {
            shared: Arc::new(Shared {
                shown: info.shown,
                backend: std::panic::AssertUnwindSafe(backend),
                opts,
                conn: Mutex::new(None),
                state: AtomicU8::new(STATE_CONNECTING),
                connecting: AtomicBool::new(false),
                changed: Notify::new(),
                probing: AtomicBool::new(false),
                started: AtomicBool::new(false),
                local: MemoryStore::new(),
                processes: Mutex::new(HashMap::new()),
                decided_on_redis: Mutex::new(HashMap::new()),
                leads: Mutex::new(HashMap::new()),
                local_sends: Mutex::new(HashMap::new()),
                retry_debt: Mutex::new(HashMap::new()),
                process_id: uuid::Uuid::new_v4().simple().to_string(),
                pid: std::sync::atomic::AtomicU32::new(std::process::id()),
                pending_accepted: Mutex::new(HashMap::new()),
                fleet: Mutex::new(HashMap::new()),
                next_slot: AtomicU64::new(1),
                fallbacks: AtomicU64::new(0),
                outages: AtomicU64::new(0),
            }),
        })
    }

    /// The prefix of every Redis key this store writes.
    ///
    /// ```
    /// assert_eq!(surefoot::pacing::RedisStore::connect("redis://127.0.0.1/0")?.prefix(), "surefoot:");
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn prefix(&self) -> &str {
        &self.shared.opts.prefix
    }

    /// How long one decision waits for Redis before deciding locally.
    ///
    /// ```
    /// let s = surefoot::pacing::RedisStore::connect("redis://127.0.0.1/0?timeout_ms=80")?;
    /// assert_eq!(s.decision_timeout().as_millis(), 80);
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn decision_timeout(&self) -> Duration {
        self.shared.opts.decision_timeout
    }

    /// Whether the store waits for Redis instead of pacing locally when it is away.
    ///
    /// ```
    /// let s = surefoot::pacing::RedisStore::connect("redis://127.0.0.1/0?fail=closed")?;
    /// assert!(s.is_fail_closed());
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn is_fail_closed(&self) -> bool {
        self.shared.opts.fail_closed
    }

    /// Whether Redis answered the last time it was asked (false before the first
    /// connection and during an outage).
    ///
    /// ```
    /// let s = surefoot::pacing::RedisStore::connect("redis://127.0.0.1/0")?;
    /// assert!(!s.is_available());
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn is_available(&self) -> bool {
        self.shared.state.load(Ordering::Acquire) == STATE_UP
    }

    /// Outages seen so far: times Redis stopped answering (each warned about once).
    ///
    /// ```
    /// assert_eq!(surefoot::pacing::RedisStore::connect("redis://127.0.0.1/0")?.outages(), 0);
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn outages(&self) -> u64 {
        self.shared.outages.load(Ordering::Relaxed)
    }

    /// Processes the store last saw pacing on `key` (a [`key_name`](crate::pacing::key_name)),
    /// this one included; 1 before it has seen any. The fallback paces at the limit
    /// divided by this.
    ///
    /// ```
    /// let s = surefoot::pacing::RedisStore::connect("redis://127.0.0.1/0")?;
    /// assert_eq!(s.processes_seen("{00}"), 1);
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn processes_seen(&self, key: &str) -> u32 {
        lock(&self.shared.processes)
            .get(key)
            .copied()
            .unwrap_or(1)
            .max(1)
    }

    /// Waits until Redis answers (or `timeout` passes); whether it does. For start-up
    /// checks and tests: calls never need it.
    ///
    /// ```no_run
    /// # #[tokio::main] async fn main() -> surefoot::Result<()> {
    /// let s = surefoot::pacing::RedisStore::connect("redis://127.0.0.1:6379/0")?;
    /// assert!(s.wait_available(std::time::Duration::from_secs(2)).await);
    /// # Ok(()) }
    /// ```
    pub async fn wait_available(&self, timeout: Duration) -> bool {
        self.start();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.changed.notified();
            if self.is_available() {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.is_available();
            }
        }
    }

    /// The Redis key of `field` of store id `key`: `<prefix><name>:<field>`, the name
    /// being the id itself or, with a secret, the id keyed by it.
    fn redis_key(&self, key: &str, field: &str) -> String {
        match &self.shared.opts.secret {
            Some(secret) => format!(
                "{}{}:{}",
                self.shared.opts.prefix,
                secret.rename(key),
                field
            ),
            None => format!("{}{}:{}", self.shared.opts.prefix, key, field),
        }
    }

    /// This process's member name in a key's set of active processes.
    fn process_id(&self) -> String {
        format!("{}-{}", self.shared.process_id, std::process::id())
    }

    /// Record that `key` is decided on Redis (`true`) or locally; whether that is a
    /// switch from the other.
    pub(super) fn switched(&self, key: &str, on_redis: bool) -> bool {
        let mut map = lock(&self.shared.decided_on_redis);
        match map.get_mut(key) {
            Some(v) if *v == on_redis => false,
            Some(v) => {
                *v = on_redis;
                true
            }
            None => {
                map.insert(key.to_owned(), on_redis);
                false
            }
        }
    }

    /// A request on `key` decided locally, due after `wait`.
    pub(super) fn sent_locally(&self, key: &str, wait: Duration) {
        let now = std::time::Instant::now();
        let mut map = lock(&self.shared.local_sends);
        let due = map.entry(key.to_owned()).or_default();
        while due.front().is_some_and(|t| *t <= now) {
            due.pop_front();
        }
        due.push_back(now + wait);
    }

    /// The requests on `key` decided locally and not yet due, taken (the decision back on
    /// Redis books them; [`RedisStore::keep_local_sends`] puts them back if it fails).
    pub(super) fn take_local_sends(&self, key: &str) -> VecDeque<std::time::Instant> {
        let now = std::time::Instant::now();
        let mut due = lock(&self.shared.local_sends)
            .remove(key)
            .unwrap_or_default();
        due.retain(|t| *t > now);
        due
    }

    pub(super) fn keep_local_sends(&self, key: &str, due: VecDeque<std::time::Instant>) {
        if !due.is_empty() {
            let mut map = lock(&self.shared.local_sends);
            let mine = map.entry(key.to_owned()).or_default();
            mine.extend(due);
            mine.make_contiguous().sort();
        }
    }

    pub(super) fn count_fallback(&self) {
        self.shared.fallbacks.fetch_add(1, Ordering::Relaxed);
    }
}

// `RedisStore` is `UnwindSafe` and `RefUnwindSafe`, as in 0.1.0 (a compile-time check).
const _: fn() = || {
    fn unwind_safe<T: std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    unwind_safe::<RedisStore>();
};
