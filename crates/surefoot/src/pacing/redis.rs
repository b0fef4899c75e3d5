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

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use redis::aio::ConnectionManager;
use tokio::sync::Notify;

use super::lock;
use super::memory::MemoryStore;
use super::rate_limit::fair_share;
use super::store::{
    OutageProbe, PacingStore, Pause, PauseCause, Reservation, SharedOutage, StoreFuture,
};
use super::RateLimit;
use crate::error::{Error, ErrorKind, Result};

/// The default prefix of every Redis key the store writes.
///
/// ```
/// let s = surefoot::pacing::RedisStore::connect("redis://127.0.0.1/0")?;
/// assert_eq!(s.prefix(), surefoot::pacing::DEFAULT_PREFIX);
/// # Ok::<(), surefoot::Error>(())
/// ```
pub const DEFAULT_PREFIX: &str = "surefoot:";
/// The default longest wait for Redis to answer one pacing decision before this process
/// decides locally.
///
/// ```
/// let s = surefoot::pacing::RedisStore::connect("redis://127.0.0.1/0")?;
/// assert_eq!(s.decision_timeout(), surefoot::pacing::DEFAULT_DECISION_TIMEOUT);
/// # Ok::<(), surefoot::Error>(())
/// ```
pub const DEFAULT_DECISION_TIMEOUT: Duration = Duration::from_millis(50);
/// The default lease of a concurrency slot (renewed while held).
///
/// ```
/// use surefoot::pacing::PacingStore;
/// let s = surefoot::pacing::RedisStore::connect("redis://127.0.0.1/0")?;
/// assert_eq!(s.slot_lease(), surefoot::pacing::DEFAULT_SLOT_LEASE);
/// # Ok::<(), surefoot::Error>(())
/// ```
pub const DEFAULT_SLOT_LEASE: Duration = Duration::from_secs(15);
/// How long a process counts as active on a key after its last decision there.
const ACTIVE_WINDOW: Duration = Duration::from_secs(10);
/// How long an untouched retry budget is kept in Redis (it then starts full again).
const BUDGET_TTL: Duration = Duration::from_secs(3600);
/// How long a host's outage untouched (no probe failed) is kept in Redis.
const OUTAGE_TTL: Duration = Duration::from_secs(600);
/// How often an unreachable Redis is tried again in the background.
const PROBE_INTERVAL: Duration = Duration::from_millis(250);
/// The timeout of one connection attempt or probe.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

const STATE_CONNECTING: u8 = 0;
const STATE_UP: u8 = 1;
const STATE_DOWN: u8 = 2;

fn scripts() -> &'static Scripts {
    static SCRIPTS: OnceLock<Scripts> = OnceLock::new();
    SCRIPTS.get_or_init(|| Scripts {
        reserve: redis::Script::new(include_str!("redis_scripts/reserve.lua")),
        pause: redis::Script::new(include_str!("redis_scripts/pause.lua")),
        paused: redis::Script::new(include_str!("redis_scripts/paused.lua")),
        acquire_slot: redis::Script::new(include_str!("redis_scripts/acquire_slot.lua")),
        renew_slot: redis::Script::new(include_str!("redis_scripts/renew_slot.lua")),
        slots_in_use: redis::Script::new(include_str!("redis_scripts/slots_in_use.lua")),
        retry_tokens: redis::Script::new(include_str!("redis_scripts/retry_tokens.lua")),
        outage: redis::Script::new(include_str!("redis_scripts/outage.lua")),
    })
}

struct Scripts {
    reserve: redis::Script,
    pause: redis::Script,
    paused: redis::Script,
    acquire_slot: redis::Script,
    renew_slot: redis::Script,
    slots_in_use: redis::Script,
    retry_tokens: redis::Script,
    outage: redis::Script,
}

/// The options of a [`RedisStore`], parsed from its URL and set with [`RedisStoreBuilder`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Options {
    prefix: String,
    decision_timeout: Duration,
    fail_closed: bool,
    slot_lease: Duration,
}

/// Builds a [`RedisStore`] with options beyond its URL; see [`RedisStore::builder`].
///
/// The URL may carry the same options as query parameters, so a binding or an
/// environment variable can pass one string: `prefix`, `timeout_ms` (decision timeout),
/// `fail` (`open` or `closed`) and `lease_ms` (slot lease), e.g.
/// `redis://127.0.0.1:6379/0?prefix=myapp:&timeout_ms=100&fail=closed`.
///
/// ```
/// use std::time::Duration;
/// let store = surefoot::pacing::RedisStore::builder("redis://127.0.0.1:6379/0")
///     .prefix("myapp:")
///     .decision_timeout(Duration::from_millis(20))
///     .fail_closed(true)
///     .build()?;
/// assert_eq!(store.prefix(), "myapp:");
/// # Ok::<(), surefoot::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct RedisStoreBuilder {
    url: String,
    prefix: Option<String>,
    decision_timeout: Option<Duration>,
    fail_closed: Option<bool>,
    slot_lease: Option<Duration>,
}

impl fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStoreBuilder")
            .field("url", &redact(&self.url))
            .field("prefix", &self.prefix)
            .field("decision_timeout", &self.decision_timeout)
            .field("fail_closed", &self.fail_closed)
            .finish()
    }
}

impl RedisStoreBuilder {
    /// The prefix of every Redis key the store writes (default `surefoot:`). It may be
    /// empty; it must not contain `{`, `}` or whitespace.
    ///
    /// ```
    /// let b = surefoot::pacing::RedisStore::builder("redis://127.0.0.1/0").prefix("app1:");
    /// assert_eq!(b.build()?.prefix(), "app1:");
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// How long one pacing decision waits for Redis before this process decides locally
    /// (default 50 ms; at least 1 ms).
    ///
    /// ```
    /// use std::time::Duration;
    /// let b = surefoot::pacing::RedisStore::builder("redis://127.0.0.1/0")
    ///     .decision_timeout(Duration::from_millis(10));
    /// assert_eq!(b.build()?.decision_timeout(), Duration::from_millis(10));
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn decision_timeout(mut self, timeout: Duration) -> Self {
        self.decision_timeout = Some(timeout);
        self
    }

    /// Fail closed: while Redis does not answer, wait for it (each call at most as long as
    /// its deadline and `max_retry_wait` allow, then refused with `retry_after`) instead
    /// of pacing locally at this process's fair share. Default: off (fail open).
    ///
    /// ```
    /// let b = surefoot::pacing::RedisStore::builder("redis://127.0.0.1/0").fail_closed(true);
    /// assert!(b.build()?.is_fail_closed());
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn fail_closed(mut self, fail_closed: bool) -> Self {
        self.fail_closed = Some(fail_closed);
        self
    }

    /// The lease of a concurrency slot (default 15 s; at least 100 ms): held slots are
    /// renewed about every third of it, and a process that dies holding slots frees them
    /// within it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use surefoot::pacing::PacingStore;
    /// let b = surefoot::pacing::RedisStore::builder("redis://127.0.0.1/0")
    ///     .slot_lease(Duration::from_secs(2));
    /// assert_eq!(b.build()?.slot_lease(), Duration::from_secs(2));
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn slot_lease(mut self, lease: Duration) -> Self {
        self.slot_lease = Some(lease);
        self
    }

    /// Checks the URL and options and makes the store. Nothing is sent: the connection is
    /// made in the background, and a Redis that is not there yet only means local
    /// pacing until it is. Errors are `invalid_request`, naming the problem (never the
    /// password).
    ///
    /// ```
    /// let e = surefoot::pacing::RedisStore::builder("redis://:hunter2@127.0.0.1:99999/0")
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(e.code(), "invalid_request");
    /// assert!(!e.message().contains("hunter2"));
    /// ```
    pub fn build(self) -> Result<RedisStore> {
        let (info, mut opts) = parse_url(&self.url)?;
        if let Some(p) = self.prefix {
            opts.prefix = p;
        }
        if let Some(t) = self.decision_timeout {
            opts.decision_timeout = t;
        }
        if let Some(f) = self.fail_closed {
            opts.fail_closed = f;
        }
        if let Some(l) = self.slot_lease {
            opts.slot_lease = l;
        }
        check_options(&opts)?;
        RedisStore::from_parts(info, opts)
    }
}

/// Checks a Redis store URL (its parts and query options) by parsing only: nothing
/// connects, nothing is registered. What a client option's rule calls.
pub(crate) fn check_url(url: &str) -> Result<()> {
    let (info, opts) = parse_url(url)?;
    check_options(&opts)?;
    redis::Client::open(info.connection).map_err(|e| {
        Error::invalid_request(format!(
            "pacing store URL `{}`: {}",
            info.shown,
            e.detail().unwrap_or("rejected by the Redis client")
        ))
    })?;
    Ok(())
}

/// What a Redis URL says, once checked: the connection info for the `redis` crate and
/// the name to show (no password).
struct UrlInfo {
    connection: redis::ConnectionInfo,
    shown: String,
    /// The URL without surefoot's own query options (the registry's key).
    canonical: String,
}

/// `url` with any password replaced by `***` and its query left out, for messages and
/// `Debug` output about a URL that may not parse well enough to show its parts.
pub(crate) fn redact(url: &str) -> String {
    match url::Url::parse(url.trim()) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.set_query(None);
            u.to_string()
        }
        Err(_) => "the pacing store URL".to_owned(),
    }
}

fn check_options(opts: &Options) -> Result<()> {
    if opts.prefix.contains(['{', '}']) || opts.prefix.chars().any(char::is_whitespace) {
        return Err(Error::invalid_request(
            "pacing store prefix must not contain `{`, `}` or whitespace",
        ));
    }
    if opts.prefix.len() > 64 {
        return Err(Error::invalid_request(
            "pacing store prefix must be at most 64 bytes",
        ));
    }
    if opts.decision_timeout < Duration::from_millis(1) {
        return Err(Error::invalid_request(
            "pacing store decision timeout must be at least 1 ms",
        ));
    }
    if opts.slot_lease < Duration::from_millis(100) {
        return Err(Error::invalid_request(
            "pacing store slot lease must be at least 100 ms",
        ));
    }
    Ok(())
}

fn parse_url(raw: &str) -> Result<(UrlInfo, Options)> {
    let bad = |why: &str| Error::invalid_request(format!("pacing store URL: {why}"));
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(bad("it is empty"));
    }
    let mut url = url::Url::parse(raw).map_err(|e| {
        bad(&format!(
            "not a valid URL ({e}); expected redis://[:password@]host[:port][/db]"
        ))
    })?;
    let tls = match url.scheme() {
        "redis" | "valkey" => false,
        "rediss" | "valkeys" => true,
        other => {
            let other: String = other.chars().take(16).collect();
            return Err(bad(&format!(
                "unsupported scheme `{other}`; use redis:// or rediss://"
            )));
        }
    };
    let host = match url.host() {
        Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
        Some(url::Host::Ipv4(a)) => a.to_string(),
        Some(url::Host::Ipv6(a)) => a.to_string(),
        _ => return Err(bad("it has no host")),
    };
    let port = url.port().unwrap_or(6379);
    let db: i64 =
        match url.path().trim_matches('/') {
            "" => 0,
            p => p.parse().ok().filter(|n| *n >= 0).ok_or_else(|| {
                bad("the path must be a database number, as in redis://host:6379/0")
            })?,
        };
    let mut opts = Options {
        prefix: DEFAULT_PREFIX.to_owned(),
        decision_timeout: DEFAULT_DECISION_TIMEOUT,
        fail_closed: false,
        slot_lease: DEFAULT_SLOT_LEASE,
    };
    let millis = |name: &str, v: &str| -> Result<Duration> {
        v.parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| bad(&format!("`{name}` must be a whole number of milliseconds")))
    };
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "prefix" => opts.prefix = v.into_owned(),
            "timeout_ms" => opts.decision_timeout = millis("timeout_ms", &v)?,
            "lease_ms" => opts.slot_lease = millis("lease_ms", &v)?,
            "fail" => {
                opts.fail_closed = match v.as_ref() {
                    "open" => false,
                    "closed" => true,
                    _ => return Err(bad("`fail` must be `open` or `closed`")),
                }
            }
            other => {
                let other: String = other.chars().take(32).collect();
                return Err(bad(&format!(
                    "unknown option `{other}`; known: prefix, timeout_ms, fail, lease_ms"
                )));
            }
        }
    }
    url.set_query(None);
    let username = (!url.username().is_empty()).then(|| percent_decode(url.username()));
    let password = url.password().map(percent_decode);
    let addr = if tls {
        redis::ConnectionAddr::TcpTls {
            host: host.clone(),
            port,
            insecure: false,
            tls_params: None,
        }
    } else {
        redis::ConnectionAddr::Tcp(host.clone(), port)
    };
    let connection = redis::ConnectionInfo {
        addr,
        redis: redis::RedisConnectionInfo {
            db,
            username: username.clone(),
            password,
            ..Default::default()
        },
    };
    let scheme = if tls { "rediss" } else { "redis" };
    let host_shown = if host.contains(':') {
        format!("[{host}]")
    } else {
        host
    };
    let user_shown = match (&username, url.password().is_some()) {
        (Some(u), true) => format!("{u}:***@"),
        (Some(u), false) => format!("{u}@"),
        (None, true) => ":***@".to_owned(),
        (None, false) => String::new(),
    };
    let shown = format!("{scheme}://{user_shown}{host_shown}:{port}/{db}");
    Ok((
        UrlInfo {
            connection,
            shown,
            canonical: url.to_string(),
        },
        opts,
    ))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

struct Shared {
    shown: String,
    client: redis::Client,
    opts: Options,
    conn: Mutex<Option<ConnectionManager>>,
    state: AtomicU8,
    changed: Notify,
    probing: AtomicBool,
    started: AtomicBool,
    local: MemoryStore,
    /// Processes the store last saw active on each key (from the reserve script).
    processes: Mutex<HashMap<String, u32>>,
    /// Where each key's last decision was made (true: Redis), so the first decision
    /// after a switch gives no burst credit.
    decided_on_redis: Mutex<HashMap<String, bool>>,
    /// Retry tokens this process took from each shared bucket and has not given back: a
    /// process refunds at most what it took, so calls that never retried cost no round
    /// trip (a full bucket stays full without being told).
    retry_debt: Mutex<HashMap<String, u32>>,
    /// This process's id on every key (with the pid appended, so a forked child is
    /// another process).
    process_id: String,
    /// The process the connection belongs to (a forked child connects anew).
    pid: std::sync::atomic::AtomicU32,
    next_slot: AtomicU64,
    fallbacks: AtomicU64,
    outages: AtomicU64,
}

/// A [`PacingStore`] on Redis (or Valkey): one API key's budget shared by every process
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
///   API key, and one hash slot per key (Redis Cluster).
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
    /// A store on the Redis at `url` (`redis://[user[:password]@]host[:port][/db]`, or
    /// `rediss://` for TLS), with the options its query gives (see
    /// [`RedisStoreBuilder`]) and the defaults otherwise. Nothing is sent yet: the
    /// connection is made in the background. A malformed URL is an `invalid_request`
    /// error naming the problem.
    ///
    /// ```
    /// let store = surefoot::pacing::RedisStore::connect("redis://:s3cret@127.0.0.1:6379/2")?;
    /// assert_eq!(surefoot::pacing::PacingStore::name(&store), "redis://:***@127.0.0.1:6379/2 prefix=surefoot:");
    /// assert!(!format!("{store:?}").contains("s3cret"));
    /// let e = surefoot::pacing::RedisStore::connect("http://127.0.0.1:6379").unwrap_err();
    /// assert_eq!(e.message(), "pacing store URL: unsupported scheme `http`; use redis:// or rediss://");
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
        RedisStoreBuilder {
            url: url.into(),
            prefix: None,
            decision_timeout: None,
            fail_closed: None,
            slot_lease: None,
        }
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
        let shown = info.shown.clone();
        let client = redis::Client::open(info.connection).map_err(|e| {
            // The redis crate's messages name neither the URL nor the password.
            Error::invalid_request(format!(
                "pacing store URL `{shown}`: {}",
                e.detail().unwrap_or("rejected by the Redis client")
            ))
        })?;
        Ok(RedisStore {
            shared: Arc::new(Shared {
                shown: info.shown,
                client,
                opts,
                conn: Mutex::new(None),
                state: AtomicU8::new(STATE_CONNECTING),
                changed: Notify::new(),
                probing: AtomicBool::new(false),
                started: AtomicBool::new(false),
                local: MemoryStore::new(),
                processes: Mutex::new(HashMap::new()),
                decided_on_redis: Mutex::new(HashMap::new()),
                retry_debt: Mutex::new(HashMap::new()),
                process_id: uuid::Uuid::new_v4().simple().to_string(),
                pid: std::sync::atomic::AtomicU32::new(std::process::id()),
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

    fn redis_key(&self, key: &str, field: &str) -> String {
        format!("{}{}:{}", self.shared.opts.prefix, key, field)
    }

    /// This process's member name in a key's set of active processes.
    fn process_id(&self) -> String {
        format!("{}-{}", self.shared.process_id, std::process::id())
    }

    /// Start connecting in the background, once per process (a child after `fork()`
    /// has none of its parent's connection and runtime threads: it starts over).
    fn start(&self) {
        let s = &self.shared;
        let pid = std::process::id();
        if s.pid.load(Ordering::Acquire) != pid && s.pid.swap(pid, Ordering::AcqRel) != pid {
            *lock(&s.conn) = None;
            s.state.store(STATE_CONNECTING, Ordering::Release);
            s.probing.store(false, Ordering::Release);
            s.started.store(false, Ordering::Release);
        }
        if self.shared.started.swap(true, Ordering::AcqRel) {
            return;
        }
        let shared = self.shared.clone();
        crate::runtime::handle().spawn(connect_loop(shared));
    }

    /// The connection to use now, or `None` to decide locally.
    async fn connection(&self) -> Option<ConnectionManager> {
        self.start();
        let s = &self.shared;
        match s.state.load(Ordering::Acquire) {
            STATE_UP => lock(&s.conn).clone(),
            STATE_DOWN => None,
            _ => {
                // The first decisions wait (at most the decision timeout) for the first
                // connection instead of warning about a Redis that is merely starting.
                let notified = s.changed.notified();
                if s.state.load(Ordering::Acquire) == STATE_CONNECTING {
                    let _ = tokio::time::timeout(s.opts.decision_timeout, notified).await;
                }
                match s.state.load(Ordering::Acquire) {
                    STATE_UP => lock(&s.conn).clone(),
                    _ => {
                        mark_down(s, "it did not answer in time");
                        None
                    }
                }
            }
        }
    }

    /// Run `op` on Redis within the decision timeout; `None` (and an outage) on failure.
    async fn run<T, F, Fut>(&self, op: F) -> Option<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let conn = self.connection().await?;
        match tokio::time::timeout(self.shared.opts.decision_timeout, op(conn)).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                mark_down(&self.shared, e.category());
                None
            }
            Err(_) => {
                mark_down(
                    &self.shared,
                    "it did not answer within the decision timeout",
                );
                None
            }
        }
    }

    /// Record that `key` is decided on Redis (`true`) or locally; whether that is a
    /// switch from the other.
    fn switched(&self, key: &str, on_redis: bool) -> bool {
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

    fn count_fallback(&self) {
        self.shared.fallbacks.fetch_add(1, Ordering::Relaxed);
    }

    /// One step on the retry budget of `key` in Redis (`None`: Redis did not answer).
    async fn retry_tokens_redis(&self, key: &str, op: &str, n: u32, capacity: u32) -> Option<i64> {
        let k = self.redis_key(key, "budget");
        let ttl = u64::try_from(BUDGET_TTL.as_millis()).unwrap_or(u64::MAX);
        let op = op.to_owned();
        self.run(|mut c| async move {
            scripts()
                .retry_tokens
                .key(k)
                .arg(op)
                .arg(n)
                .arg(capacity)
                .arg(ttl)
                .invoke_async(&mut c)
                .await
        })
        .await
    }

    /// One step on the shared outage of host `id` (`None`: Redis did not answer).
    async fn outage_redis(&self, id: &str, op: &str, arg: u64, cap: u64) -> Option<(i64, i64)> {
        let k = self.redis_key(id, "outage");
        let probe = self.redis_key(id, "probe");
        let keep = u64::try_from(OUTAGE_TTL.as_millis()).unwrap_or(u64::MAX);
        let (op, me) = (op.to_owned(), self.process_id());
        self.run(|mut c| async move {
            scripts()
                .outage
                .key(k)
                .key(probe)
                .arg(op)
                .arg(arg)
                .arg(me)
                .arg(keep)
                .arg(cap)
                .invoke_async(&mut c)
                .await
        })
        .await
    }

    async fn reserve_redis(
        &self,
        key: &str,
        limit: &RateLimit,
        max_wait: Option<Duration>,
    ) -> Option<Reservation> {
        let t = micros(limit.emission_interval());
        let tau = t.saturating_mul(u64::from(limit.burst_size().saturating_sub(1)));
        let gap = micros(limit.restart_gap());
        let max = max_wait.map_or(-1, |m| i64::try_from(micros(m)).unwrap_or(i64::MAX));
        let keys = [
            self.redis_key(key, "tat"),
            self.redis_key(key, "pause"),
            self.redis_key(key, "procs"),
        ];
        let pid = self.process_id();
        let back = lock(&self.shared.decided_on_redis).get(key) == Some(&false);
        let floor = if back {
            micros(self.shared.local.schedule_ahead(key)).max(tau)
        } else {
            0
        };
        let (verdict, us, cause, procs): (i64, i64, String, i64) = self
            .run(|mut c| async move {
                scripts()
                    .reserve
                    .key(&keys[0])
                    .key(&keys[1])
                    .key(&keys[2])
                    .arg(t)
                    .arg(tau)
                    .arg(gap)
                    .arg(max)
                    .arg(pid)
                    .arg(u64::try_from(ACTIVE_WINDOW.as_millis()).unwrap_or(10_000))
                    .arg(floor)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        self.switched(key, true);
        lock(&self.shared.processes).insert(
            key.to_owned(),
            u32::try_from(procs.max(1)).unwrap_or(u32::MAX),
        );
        let d = Duration::from_micros(u64::try_from(us.max(0)).unwrap_or(0));
        Some(match verdict {
            0 => {
                // Mirrored locally, so an outage that starts now continues this schedule.
                self.shared
                    .local
                    .follow(key, d + limit.emission_interval() + limit.restart_gap());
                Reservation::Go(d)
            }
            1 => Reservation::TooLong(d),
            _ => {
                let cause = cause_from_json(&cause);
                // Mirrored locally, so an outage that starts now still honours it.
                self.shared.local.pause_now(key, d, cause.clone());
                Reservation::Paused(Pause {
                    remaining: d.max(Duration::from_micros(1)),
                    cause,
                })
            }
        })
    }

    /// Wait (fail closed) for Redis to come back, at most `budget`; whether it did.
    async fn wait_for_redis(&self, budget: Option<Duration>) -> bool {
        let deadline = budget.map(|b| tokio::time::Instant::now() + b);
        loop {
            let notified = self.shared.changed.notified();
            if self.is_available() {
                return true;
            }
            match deadline {
                Some(d) => {
                    if tokio::time::timeout_at(d, notified).await.is_err() {
                        return self.is_available();
                    }
                }
                None => notified.await,
            }
        }
    }
}

fn shared_outage(ago_ms: i64, status: i64) -> SharedOutage {
    SharedOutage {
        ago: Duration::from_millis(u64::try_from(ago_ms).unwrap_or(0)),
        status: u16::try_from(status).ok().filter(|&s| s > 0),
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn cause_to_json(cause: &Option<PauseCause>) -> String {
    match cause {
        None => String::new(),
        Some(c) => serde_json::json!({
            "status": c.status,
            "code": c.code,
            "kind": c.kind.as_str(),
            "message": c.message,
            "request_id": c.request_id,
        })
        .to_string(),
    }
}

fn cause_from_json(s: &str) -> Option<PauseCause> {
    if s.is_empty() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(s).ok()?;
    let kind_name = v["kind"].as_str()?;
    let kind = ErrorKind::ALL
        .into_iter()
        .find(|k| k.as_str() == kind_name)
        .unwrap_or(ErrorKind::RateLimited);
    Some(PauseCause {
        status: v["status"].as_u64().and_then(|n| u16::try_from(n).ok()),
        code: v["code"].as_str()?.to_owned(),
        kind,
        message: v["message"].as_str().unwrap_or_default().to_owned(),
        request_id: v["request_id"].as_str().map(str::to_owned),
    })
}

/// The learned limit as stored: `requests per_ns burst`.
fn limit_to_string(l: &RateLimit) -> String {
    format!("{} {} {}", l.requests(), l.per().as_nanos(), l.burst_size())
}

fn limit_from_string(s: &str) -> Option<RateLimit> {
    let mut parts = s.split_whitespace();
    let requests: u32 = parts.next()?.parse().ok()?;
    let per: u64 = parts.next()?.parse().ok()?;
    let burst: u32 = parts.next()?.parse().ok()?;
    Some(RateLimit::new(requests, Duration::from_nanos(per)).burst(burst))
}

/// Redis stopped answering: decide locally, warn once for this outage, probe in the
/// background until it answers again.
fn mark_down(s: &Arc<Shared>, why: &str) {
    let previous = s.state.swap(STATE_DOWN, Ordering::AcqRel);
    if previous != STATE_DOWN {
        s.outages.fetch_add(1, Ordering::Relaxed);
        let mode = if s.opts.fail_closed {
            "waiting for it (fail closed)"
        } else {
            "pacing locally at this process's fair share of each limit"
        };
        tracing::warn!(
            target: "surefoot::pacing",
            store = %s.shown,
            "surefoot: pacing store unavailable ({why}); {mode} until it answers again"
        );
        s.changed.notify_waiters();
    }
    if !s.probing.swap(true, Ordering::AcqRel) {
        crate::runtime::handle().spawn(probe_loop(s.clone()));
    }
}

fn mark_up(s: &Shared) {
    let previous = s.state.swap(STATE_UP, Ordering::AcqRel);
    if previous == STATE_DOWN {
        tracing::info!(target: "surefoot::pacing", store = %s.shown, "surefoot: pacing store answers again; pacing with it");
    }
    s.changed.notify_waiters();
}

async fn connect_loop(s: Arc<Shared>) {
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(CONNECT_TIMEOUT)
        .set_response_timeout(CONNECT_TIMEOUT)
        .set_number_of_retries(1)
        .set_max_delay(200);
    loop {
        let attempt = tokio::time::timeout(
            CONNECT_TIMEOUT * 2,
            ConnectionManager::new_with_config(s.client.clone(), config.clone()),
        )
        .await;
        match attempt {
            Ok(Ok(conn)) => {
                *lock(&s.conn) = Some(conn);
                s.probing.store(false, Ordering::Release);
                mark_up(&s);
                return;
            }
            Ok(Err(e)) => {
                if s.state.load(Ordering::Acquire) == STATE_CONNECTING {
                    mark_down_no_probe(&s, e.category());
                }
            }
            Err(_) => {
                if s.state.load(Ordering::Acquire) == STATE_CONNECTING {
                    mark_down_no_probe(&s, "connecting timed out");
                }
            }
        }
        tokio::time::sleep(PROBE_INTERVAL).await;
    }
}

/// Like [`mark_down`] while the first connection is still being tried (the connect loop
/// is the probe).
fn mark_down_no_probe(s: &Arc<Shared>, why: &str) {
    s.probing.store(true, Ordering::Release);
    mark_down(s, why);
}

async fn probe_loop(s: Arc<Shared>) {
    loop {
        tokio::time::sleep(PROBE_INTERVAL).await;
        let conn = lock(&s.conn).clone();
        let answered = match conn {
            // The connect loop is still trying; it marks the store up when it succeeds.
            None => s.state.load(Ordering::Acquire) == STATE_UP,
            Some(mut conn) => matches!(
                tokio::time::timeout(
                    CONNECT_TIMEOUT,
                    redis::cmd("PING").query_async::<String>(&mut conn),
                )
                .await,
                Ok(Ok(_))
            ),
        };
        if !answered {
            continue;
        }
        mark_up(&s);
        s.probing.store(false, Ordering::Release);
        // An outage that began while this probe was finishing keeps this probe going.
        if s.state.load(Ordering::Acquire) != STATE_DOWN || s.probing.swap(true, Ordering::AcqRel) {
            return;
        }
    }
}

impl PacingStore for RedisStore {
    fn name(&self) -> String {
        format!("{} prefix={}", self.shared.shown, self.shared.opts.prefix)
    }

    fn is_shared(&self) -> bool {
        true
    }

    fn slot_lease(&self) -> Duration {
        self.shared.opts.slot_lease
    }

    fn fallback_decisions(&self) -> u64 {
        self.shared.fallbacks.load(Ordering::Relaxed)
    }

    fn reserve<'a>(
        &'a self,
        key: &'a str,
        limit: &'a RateLimit,
        max_wait: Option<Duration>,
    ) -> StoreFuture<'a, Reservation> {
        Box::pin(async move {
            let start = tokio::time::Instant::now();
            loop {
                if let Some(r) = self.reserve_redis(key, limit, max_wait).await {
                    return r;
                }
                if !self.shared.opts.fail_closed {
                    self.count_fallback();
                    let share = fair_share(*limit, self.processes_seen(key));
                    if self.switched(key, false) {
                        self.shared.local.spend_burst(key, &share);
                    }
                    return self.shared.local.reserve_now(key, &share, max_wait);
                }
                let budget = max_wait.map(|m| m.saturating_sub(start.elapsed()));
                if !self.wait_for_redis(budget).await {
                    // Failing closed, and Redis did not come back within what the call
                    // allows: refuse with the time waited (the call gets `retry_after`).
                    self.count_fallback();
                    return Reservation::TooLong(
                        start.elapsed().max(max_wait.unwrap_or_default())
                            + self.shared.opts.decision_timeout,
                    );
                }
            }
        })
    }

    fn pause<'a>(
        &'a self,
        key: &'a str,
        duration: Duration,
        cause: Option<PauseCause>,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let json = cause_to_json(&cause);
            self.shared.local.pause_now(key, duration, cause);
            let k = self.redis_key(key, "pause");
            let us = micros(duration).max(1);
            let _: Option<i64> = self
                .run(|mut c| async move {
                    scripts()
                        .pause
                        .key(k)
                        .arg(us)
                        .arg(json)
                        .invoke_async(&mut c)
                        .await
                })
                .await;
        })
    }

    fn known_pause<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Pause>> {
        Box::pin(std::future::ready(self.shared.local.paused_now(key)))
    }

    fn paused<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Pause>> {
        Box::pin(async move {
            let k = self.redis_key(key, "pause");
            let answer: Option<(i64, String)> = self
                .run(|mut c| async move { scripts().paused.key(k).invoke_async(&mut c).await })
                .await;
            match answer {
                Some((us, cause)) if us > 0 => {
                    let remaining = Duration::from_micros(u64::try_from(us).unwrap_or(0));
                    let cause = cause_from_json(&cause);
                    self.shared.local.pause_now(key, remaining, cause.clone());
                    Some(Pause { remaining, cause })
                }
                Some(_) => None,
                None => {
                    self.count_fallback();
                    self.shared.local.paused_now(key)
                }
            }
        })
    }

    fn learned<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<RateLimit>> {
        Box::pin(async move {
            let k = self.redis_key(key, "learned");
            let answer: Option<Option<String>> = self
                .run(|mut c| async move { redis::cmd("GET").arg(k).query_async(&mut c).await })
                .await;
            match answer {
                Some(v) => v.as_deref().and_then(limit_from_string),
                None => self.shared.local.learned(key).await,
            }
        })
    }

    fn set_learned<'a>(
        &'a self,
        key: &'a str,
        limit: Option<RateLimit>,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.shared.local.set_learned(key, limit, ttl).await;
            let k = self.redis_key(key, "learned");
            let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
            let _: Option<()> = self
                .run(|mut c| async move {
                    match limit {
                        Some(l) => {
                            redis::cmd("SET")
                                .arg(k)
                                .arg(limit_to_string(&l))
                                .arg("PX")
                                .arg(ms)
                                .query_async(&mut c)
                                .await
                        }
                        None => redis::cmd("DEL").arg(k).query_async(&mut c).await,
                    }
                })
                .await;
        })
    }

    fn acquire_slot<'a>(
        &'a self,
        key: &'a str,
        max: usize,
        lease: Duration,
    ) -> StoreFuture<'a, Option<String>> {
        Box::pin(async move {
            let n = self.shared.next_slot.fetch_add(1, Ordering::Relaxed);
            let id = format!("{}-{n}", self.process_id());
            let k = self.redis_key(key, "slots");
            let ms = u64::try_from(lease.as_millis()).unwrap_or(u64::MAX).max(1);
            let slot_id = id.clone();
            let answer: Option<i64> = self
                .run(|mut c| async move {
                    scripts()
                        .acquire_slot
                        .key(k)
                        .arg(max)
                        .arg(ms)
                        .arg(slot_id)
                        .invoke_async(&mut c)
                        .await
                })
                .await;
            match answer {
                Some(1) => Some(id),
                Some(_) => None,
                None if self.shared.opts.fail_closed => None,
                None => {
                    // Local slots are named `slot-N` by the memory store.
                    self.count_fallback();
                    let procs = usize::try_from(self.processes_seen(key)).unwrap_or(1);
                    let share = (max / procs.max(1)).max(1);
                    self.shared.local.acquire_slot(key, share, lease).await
                }
            }
        })
    }

    fn renew_slot<'a>(
        &'a self,
        key: &'a str,
        slot: &'a str,
        lease: Duration,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            if slot.starts_with("slot-") {
                return self.shared.local.renew_slot(key, slot, lease).await;
            }
            let k = self.redis_key(key, "slots");
            let ms = u64::try_from(lease.as_millis()).unwrap_or(u64::MAX).max(1);
            let slot = slot.to_owned();
            let answer: Option<i64> = self
                .run(|mut c| async move {
                    scripts()
                        .renew_slot
                        .key(k)
                        .arg(slot)
                        .arg(ms)
                        .invoke_async(&mut c)
                        .await
                })
                .await;
            // While Redis is away the slot is still ours as far as anyone can tell.
            answer.map_or(true, |n| n == 1)
        })
    }

    fn release_slot<'a>(&'a self, key: &'a str, slot: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            if slot.starts_with("slot-") {
                return self.shared.local.release_slot(key, slot).await;
            }
            let k = self.redis_key(key, "slots");
            let slot = slot.to_owned();
            // Unreachable: the lease frees the slot by itself.
            let _: Option<i64> = self
                .run(|mut c| async move {
                    redis::cmd("ZREM")
                        .arg(k)
                        .arg(slot)
                        .query_async(&mut c)
                        .await
                })
                .await;
        })
    }

    fn slots_in_use<'a>(&'a self, key: &'a str) -> StoreFuture<'a, usize> {
        Box::pin(async move {
            let k = self.redis_key(key, "slots");
            let answer: Option<i64> = self
                .run(
                    |mut c| async move { scripts().slots_in_use.key(k).invoke_async(&mut c).await },
                )
                .await;
            match answer {
                Some(n) => usize::try_from(n).unwrap_or(0),
                None => self.shared.local.slots_in_use(key).await,
            }
        })
    }

    fn reset<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.shared.local.reset(key).await;
            lock(&self.shared.retry_debt).remove(key);
            let keys: Vec<String> = [
                "tat", "pause", "learned", "slots", "procs", "budget", "outage", "probe",
            ]
            .iter()
            .map(|f| self.redis_key(key, f))
            .collect();
            let _: Option<i64> = self
                .run(|mut c| async move { redis::cmd("DEL").arg(keys).query_async(&mut c).await })
                .await;
        })
    }

    fn take_retry_tokens<'a>(
        &'a self,
        key: &'a str,
        cost: u32,
        capacity: u32,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            match self.retry_tokens_redis(key, "take", cost, capacity).await {
                Some(taken) => {
                    if taken == 1 && cost > 0 {
                        let mut debt = lock(&self.shared.retry_debt);
                        let d = debt.entry(key.to_owned()).or_insert(0);
                        *d = d.saturating_add(cost);
                    }
                    taken == 1
                }
                None => {
                    self.count_fallback();
                    self.shared
                        .local
                        .take_retry_tokens(key, cost, capacity)
                        .await
                }
            }
        })
    }

    fn refund_retry_tokens<'a>(
        &'a self,
        key: &'a str,
        n: u32,
        capacity: u32,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            // At most what this process took from the shared bucket (none: no round trip).
            let owed = {
                let mut debt = lock(&self.shared.retry_debt);
                match debt.get_mut(key) {
                    Some(d) => {
                        let m = n.min(*d);
                        *d -= m;
                        if *d == 0 {
                            debt.remove(key);
                        }
                        m
                    }
                    None => 0,
                }
            };
            if owed > 0
                && self
                    .retry_tokens_redis(key, "refund", owed, capacity)
                    .await
                    .is_some()
            {
                return;
            }
            self.shared
                .local
                .refund_retry_tokens(key, n, capacity)
                .await;
        })
    }

    fn outage_begin<'a>(
        &'a self,
        id: &'a str,
        status: Option<u16>,
    ) -> StoreFuture<'a, Option<SharedOutage>> {
        Box::pin(async move {
            let (ago, status) = self
                .outage_redis(id, "begin", u64::from(status.unwrap_or(0)), 0)
                .await?;
            Some(shared_outage(ago, status))
        })
    }

    fn outage_since<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<SharedOutage>> {
        Box::pin(async move {
            let (ago, status) = self.outage_redis(id, "since", 0, 0).await?;
            (ago >= 0).then(|| shared_outage(ago, status))
        })
    }

    fn outage_probe<'a>(&'a self, id: &'a str, lease: Duration) -> StoreFuture<'a, OutageProbe> {
        Box::pin(async move {
            let ms = u64::try_from(lease.as_millis()).unwrap_or(u64::MAX).max(1);
            match self.outage_redis(id, "probe", ms, 0).await {
                Some((0, _)) => OutageProbe::Granted,
                Some((1, ms)) => {
                    OutageProbe::Wait(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
                }
                Some(_) => OutageProbe::Ended,
                None => OutageProbe::Local,
            }
        })
    }

    fn outage_probe_failed<'a>(
        &'a self,
        id: &'a str,
        first: Duration,
        cap: Duration,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
            let _ = self.outage_redis(id, "failed", ms(first), ms(cap)).await;
        })
    }

    fn outage_end<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let _ = self.outage_redis(id, "end", 0, 0).await;
        })
    }

    fn retry_tokens<'a>(&'a self, key: &'a str, capacity: u32) -> StoreFuture<'a, u32> {
        Box::pin(async move {
            match self.retry_tokens_redis(key, "read", 0, capacity).await {
                Some(n) => u32::try_from(n).unwrap_or(0),
                None => self.shared.local.retry_tokens(key, capacity).await,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_never_show_the_password() {
        let s = RedisStore::connect("redis://user:pa%40ss@localhost:7000/3?prefix=a:").unwrap();
        assert_eq!(s.name(), "redis://user:***@localhost:7000/3 prefix=a:");
        assert!(!format!("{s:?}").contains("pa"));
        for (url, msg) in [
            ("", "pacing store URL: it is empty"),
            ("redis://", "pacing store URL: it has no host"),
            (
                "redis://:hunter2@h/x",
                "pacing store URL: the path must be a database number, as in redis://host:6379/0",
            ),
            (
                "redis://:hunter2@h/0?fail=maybe",
                "pacing store URL: `fail` must be `open` or `closed`",
            ),
            (
                "redis://:hunter2@h/0?timeout_ms=0",
                "pacing store decision timeout must be at least 1 ms",
            ),
            (
                "redis://:hunter2@h/0?pw=hunter2",
                "pacing store URL: unknown option `pw`; known: prefix, timeout_ms, fail, lease_ms",
            ),
            (
                "redis://:hunter2@h/0?prefix={x}",
                "pacing store prefix must not contain `{`, `}` or whitespace",
            ),
            (
                "memcached://:hunter2@h",
                "pacing store URL: unsupported scheme `memcached`; use redis:// or rediss://",
            ),
        ] {
            let e = RedisStore::connect(url).unwrap_err();
            assert_eq!(e.code(), "invalid_request");
            assert_eq!(e.message(), msg, "{url}");
            assert!(!format!("{e:?}").contains("hunter2"));
        }
        let e = RedisStore::connect("redis://:hunter2@h:99999/0").unwrap_err();
        assert!(
            e.message().starts_with("pacing store URL: not a valid URL"),
            "{}",
            e.message()
        );
        assert!(!e.message().contains("hunter2"));
        assert_eq!(redact("redis://u:hunter2@h/0?x=1"), "redis://u:***@h/0");
    }

    #[test]
    fn causes_and_limits_round_trip_through_their_stored_forms() {
        let c = PauseCause {
            status: Some(429),
            code: "daily_cap_exceeded".into(),
            kind: ErrorKind::RateLimited,
            message: "Daily cap reached.".into(),
            request_id: Some("req_1".into()),
        };
        assert_eq!(cause_from_json(&cause_to_json(&Some(c.clone()))), Some(c));
        assert_eq!(cause_from_json(&cause_to_json(&None)), None);
        let l = RateLimit::per_second(50).burst(10);
        assert_eq!(limit_from_string(&limit_to_string(&l)), Some(l));
        assert_eq!(percent_decode("a%40b%zz"), "a@b%zz");
    }
}
