//! Client-side pacing (being written): GCRA rate limiting per key and a concurrency limiter.

use std::time::Duration;

/// A rate limit: `requests` per `per`, with a burst.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    requests: u32,
    per: Duration,
    burst: u32,
}

impl RateLimit {
    /// `n` requests per second.
    pub fn per_second(n: u32) -> Self {
        Self::new(n, Duration::from_secs(1))
    }
    /// `n` requests per minute.
    pub fn per_minute(n: u32) -> Self {
        Self::new(n, Duration::from_secs(60))
    }
    /// `requests` per `per`.
    pub fn new(requests: u32, per: Duration) -> Self {
        RateLimit { requests, per, burst: 1 }
    }
    /// Set the burst.
    pub fn burst(self, burst: u32) -> Self {
        RateLimit { burst, ..self }
    }
}
