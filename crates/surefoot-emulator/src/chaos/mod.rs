//! Seeded random faults ("chaos mode") for soaks: when on, every API request that no
//! explicit [`Fault`](crate::Fault) caught draws, from one seeded random stream, whether it
//! is answered 503, reset before processing, processed then dropped, processed then cut off
//! mid-body, processed then answered with a body that stalls for `slow_ms` halfway, or
//! caught in a 429 storm (every request rejected with `Retry-After` for `storm_ms`). The
//! same seed gives the same sequence of draws; which request gets which draw depends on
//! arrival order. `draw` owns the configuration, the random stream and the counters,
//! `apply` turns a draw into an answer, `routes` the admin routes `/__emulator/chaos`.

mod apply;
pub(crate) mod draw;
mod routes;

pub(crate) use apply::run;
pub use draw::{
    Chaos, ChaosReport, CHAOS_503, CHAOS_DROPPED, CHAOS_RESET, CHAOS_SLOW, CHAOS_STORMS,
    CHAOS_STORM_429, CHAOS_TRUNCATED,
};
pub(crate) use routes::{report_of, routes, set};
