//! Client-side pacing, so a bulk job stays under the server's per-key limits instead of
//! bouncing off them. [`RateLimit`] (with its `"500/min"` syntax) lives in the
//! configuration layer and is re-exported here. One file per part: the async
//! [`PacingStore`] interface for every piece of shared state (`store`, which retry's
//! budget and hold use too), the in-process [`MemoryStore`] (`memory`, with the fleet rules of
//! learning together in `fleet_book` and the fleet's start window in `start`), the GCRA limiter [`Pacer`] that pauses every waiter
//! after a 429 (`pacer`), what answers teach it (`feedback`: 429s, rate-limit headers
//! [`crate::headers`] reads) and how it learns a limit (`learner`), the
//! [`ConcurrencyLimiter`] for realtime sessions (`concurrency`), the process-wide
//! registries keyed by API key + base URL + surface (`registry`), and [`RedisStore`],
//! which shares all of it between processes and hosts (`redis/`: URL, options,
//! connection, codecs, learning together, the store).
//! Time comes from `tokio::time`, so tests can run on a paused (virtual) clock. API keys
//! are hashed before they become map keys or store keys.

use std::time::Duration;

mod concurrency;
mod feedback;
mod fleet_book;
mod learner;
mod memory;
mod pacer;
mod redis;
mod registry;
mod start;
mod store;

pub(crate) use self::feedback::announces_limits;
pub(crate) use self::redis::redact as redacted_url;
pub use self::redis::{
    RedisStore, RedisStoreBuilder, DEFAULT_DECISION_TIMEOUT, DEFAULT_PREFIX, DEFAULT_SLOT_LEASE,
};
pub use crate::config::rate_limit::RateLimit;
pub use concurrency::{ConcurrencyLimiter, ConcurrencyPermit};
pub use learner::{CUBIC_BETA, CUBIC_C, PLATEAU, PLATEAU_MAX, QUIET_PAUSE_MIN, SETTLE};
pub use memory::{default_store, MemoryStore};
pub use pacer::{Pacer, PacingState, Refusal};
// The limits live in the configuration layer; `super::rate_limit::…` keeps naming them.
pub use crate::config::rate_display::{human_duration, HumanRate};
use crate::config::rate_limit;
pub use registry::{
    check_store_url, key_name, reset_all, shared_concurrency_limiter,
    shared_concurrency_limiter_in, shared_pacer, shared_pacer_in, store_from_url,
};
pub use start::{START_DOUBLING, START_IDLE, START_OPEN, START_POLL, START_WINDOW};
pub use store::{
    Episode, OutageProbe, PacingStore, Pause, PauseCause, Reservation, SharedOutage, StoreFuture,
};

/// How long every waiter pauses after a 429 that carried no `Retry-After` (at most that
/// while the limit is learned: two intervals at the learned rate, at least
/// [`QUIET_PAUSE_MIN`]).
pub const DEFAULT_429_PAUSE: Duration = Duration::from_secs(1);
/// The pacer spaces requests this fraction further apart than the limit strictly allows
/// (2 %: 20/s is paced at one request per 51 ms) and keeps one slot of a burst in reserve,
/// so jitter between the client's send and the server's count does not turn a request sent
/// exactly on time into a 429. It applies to every limit: configured, announced by
/// headers, or learned from 429s (requests paced exactly at a server's limit meet a 429
/// whenever the network bunches two of them).
/// Change it per pacer with [`Pacer::set_safety_margin`].
pub const SAFETY_MARGIN: f64 = 0.02;
/// A limit learned from 429s is forgotten after this long without another 429.
pub const LEARNED_LIMIT_TTL: Duration = Duration::from_secs(600);

use crate::leaves::sync::lock;

#[cfg(test)]
mod fleet_sim;
#[cfg(test)]
mod tests;
