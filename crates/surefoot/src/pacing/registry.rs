//! The process-wide registries: one [`Pacer`] and one [`ConcurrencyLimiter`] per API key +
//! base URL + surface (and store), so every client of the process that uses the same key
//! paces together; [`key_name`], the store id those are known by (the API key never in
//! clear); and [`reset_all`], which forgets every pacing state of the process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::concurrency::ConcurrencyLimiter;
use super::memory::default_store;
use super::pacer::Pacer;
use super::store::PacingStore;
use super::{lock, RateLimit};

/// The key of the HMAC that names pacing state. Not a secret: it separates surefoot's
/// names from every other use of SHA-256 of the same inputs, and is the same in every
/// process and host so they agree on a key's name. What makes the name impossible to
/// reverse is the API key's own entropy behind a cryptographic hash (HMAC-SHA256), unlike
/// a fast non-cryptographic digest whose inputs can be searched or solved for.
const KEY_NAME_HMAC_KEY: &[u8] = b"surefoot pacing key name v1";

/// `{<32 hex digits>}`: HMAC-SHA256 of API key, base URL (trimmed, without trailing `/`)
/// and surface, each length-prefixed so no two triples give one input; 128 bits of it.
fn digest(api_key: &str, base_url: &str, surface: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(KEY_NAME_HMAC_KEY)
        .expect("HMAC takes a key of any length");
    for part in [api_key, base_url.trim().trim_end_matches('/'), surface] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part.as_bytes());
    }
    let out = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(34);
    hex.push('{');
    for b in &out[..16] {
        hex.push_str(&format!("{b:02x}"));
    }
    hex.push('}');
    hex
}

/// The id under which the pacing state of (`api_key`, `base_url`, `surface`) is stored:
/// `{` + 32 hex digits of HMAC-SHA256 over the three + `}`, the same in every process
/// and host. Neither the key nor the base URL appears in it, and it cannot be reversed
/// short of guessing the key. The braces are a Redis Cluster hash tag: a shared store
/// adds its prefix in front and a field name behind (`surefoot:{…}:tat`), so every piece
/// of one key's state lands in one hash slot.
///
/// ```
/// let a = surefoot::pacing::key_name("sk-doc", "https://api.example.com/", "data");
/// assert_eq!(a, surefoot::pacing::key_name("sk-doc", "https://api.example.com", "data"));
/// assert!(a.starts_with('{') && a.ends_with('}') && a.len() == 34);
/// assert!(!a.contains("sk-doc") && !a.contains("example"));
/// ```
pub fn key_name(api_key: &str, base_url: &str, surface: &str) -> String {
    digest(api_key, base_url, surface)
}

type PacerMap = Mutex<HashMap<(String, String), Pacer>>;

fn pacers() -> &'static PacerMap {
    static PACERS: OnceLock<PacerMap> = OnceLock::new();
    PACERS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The process-wide pacer for (`api_key`, `base_url`, `surface`) in the default
/// in-process store: the same triple always yields the same [`Pacer`] (clones share
/// state). The key is hashed; it is never stored in clear. The `limit` given on first
/// creation wins, except that a later `Some` replaces an absent one.
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
    let store: Arc<dyn PacingStore> = default_store();
    shared_pacer_in(&store, api_key, base_url, surface, limit)
}

/// Like [`shared_pacer`], with the state in `store`: clients using the same store (by
/// [`name`](PacingStore::name)), key, base URL and surface share one pacer.
///
/// ```
/// use std::sync::Arc;
/// use surefoot::pacing::{shared_pacer_in, MemoryStore, PacingStore};
/// let store: Arc<dyn PacingStore> = Arc::new(MemoryStore::new());
/// let p = shared_pacer_in(&store, "sk-doc-key-3", "https://api.example.com", "data", None);
/// assert_eq!(p.store().name(), "memory");
/// ```
pub fn shared_pacer_in(
    store: &Arc<dyn PacingStore>,
    api_key: &str,
    base_url: &str,
    surface: &str,
    limit: Option<RateLimit>,
) -> Pacer {
    let id = key_name(api_key, base_url, surface);
    let mut map = lock(pacers());
    let pacer = map
        .entry((store.name(), id.clone()))
        .or_insert_with(|| Pacer::new(id, limit, store.clone()))
        .clone();
    drop(map);
    if let Some(l) = limit {
        pacer.set_configured_if_none(l);
    }
    pacer
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
    let store: Arc<dyn PacingStore> = default_store();
    shared_concurrency_limiter_in(&store, api_key, base_url, surface, max)
}

/// Like [`shared_concurrency_limiter`], with the slots in `store`: with a shared store
/// (Redis) the cap holds across every process using it, each slot a lease renewed while
/// held (see [`ConcurrencyLimiter::in_store`]).
///
/// ```
/// use std::sync::Arc;
/// use surefoot::pacing::{shared_concurrency_limiter_in, MemoryStore, PacingStore};
/// let store: Arc<dyn PacingStore> = Arc::new(MemoryStore::new());
/// let l = shared_concurrency_limiter_in(&store, "sk-doc-key-4", "https://api.example.com", "realtime", 3);
/// assert_eq!(l.max(), 3);
/// ```
pub fn shared_concurrency_limiter_in(
    store: &Arc<dyn PacingStore>,
    api_key: &str,
    base_url: &str,
    surface: &str,
    max: usize,
) -> ConcurrencyLimiter {
    type LimiterMap = Mutex<HashMap<(String, String), ConcurrencyLimiter>>;
    static LIMITERS: OnceLock<LimiterMap> = OnceLock::new();
    let id = key_name(api_key, base_url, surface);
    lock(LIMITERS.get_or_init(|| Mutex::new(HashMap::new())))
        .entry((store.name(), id.clone()))
        .or_insert_with(|| ConcurrencyLimiter::in_store(max, store.clone(), id))
        .clone()
}

/// The store a pacing-store URL names: `memory` (or an empty string) is the default
/// in-process store; `redis://…` / `rediss://…` is the process-wide
/// [`RedisStore::shared`](crate::pacing::RedisStore::shared) for that URL, so clients of
/// one process given the same URL share one connection. Anything else is an
/// `invalid_request` error naming the problem (never a password).
///
/// ```
/// let s = surefoot::pacing::store_from_url("memory")?;
/// assert_eq!(s.name(), "memory");
/// let r = surefoot::pacing::store_from_url("redis://:pw@127.0.0.1:6379/0")?;
/// assert!(r.is_shared() && !r.name().contains("pw"));
/// let e = surefoot::pacing::store_from_url("redis//oops").err().unwrap();
/// assert_eq!(e.code(), "invalid_request");
/// # Ok::<(), surefoot::Error>(())
/// ```
pub fn store_from_url(url: &str) -> crate::Result<Arc<dyn PacingStore>> {
    let trimmed = url.trim();
    if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("memory") {
        return Ok(default_store());
    }
    Ok(super::redis::RedisStore::shared(trimmed)?)
}

/// Checks a pacing-store URL the way [`store_from_url`] reads it, by parsing only:
/// nothing connects and nothing is registered (a client option's rule; the store itself
/// is made when the client is built).
///
/// ```
/// surefoot::pacing::check_store_url("redis://:pw@127.0.0.1:6379/0")?;
/// assert!(surefoot::pacing::check_store_url("redis//oops").is_err());
/// # Ok::<(), surefoot::Error>(())
/// ```
pub fn check_store_url(url: &str) -> crate::Result<()> {
    let trimmed = url.trim();
    if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("memory") {
        return Ok(());
    }
    super::redis::check_url(trimmed)
}

/// Forget every pacing state of this process: every pause, schedule and learned limit in
/// the default in-process store and in every pacer of the registry (configured limits
/// stay). For test suites — one test hitting a daily cap must not fail the next — and
/// after a plan upgrade. State in a shared store (Redis) is left alone: reset it per
/// client with [`Client::reset_pacing`](crate::Client::reset_pacing).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::time::Duration;
/// let p = surefoot::pacing::shared_pacer("sk-doc-reset", "https://api.example.com", "data", None);
/// p.on_rate_limited(Some(Duration::from_secs(3600)), None).await;
/// surefoot::pacing::reset_all();
/// assert_eq!(p.paused_for().await, None);
/// # }
/// ```
pub fn reset_all() {
    default_store().clear();
    for pacer in lock(pacers()).values() {
        pacer.forget_local();
    }
}
