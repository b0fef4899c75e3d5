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

/// The id under which the pacing state of (`api_key`, `base_url`, `surface`) is stored:
/// the same in every process and host, and never containing the API key.
///
/// ```
/// let a = surefoot::pacing::key_name("sk-doc", "https://api.example.com/", "data");
/// assert_eq!(a, surefoot::pacing::key_name("sk-doc", "https://api.example.com", "data"));
/// assert!(!a.contains("sk-doc"));
/// ```
pub fn key_name(api_key: &str, base_url: &str, surface: &str) -> String {
    format!(
        "surefoot:{}:{}:{}",
        key_digest(api_key),
        base_url.trim().trim_end_matches('/'),
        surface
    )
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
    static LIMITERS: OnceLock<Mutex<HashMap<String, ConcurrencyLimiter>>> = OnceLock::new();
    let id = key_name(api_key, base_url, surface);
    lock(LIMITERS.get_or_init(|| Mutex::new(HashMap::new())))
        .entry(id)
        .or_insert_with(|| ConcurrencyLimiter::new(max))
        .clone()
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
