//! The server-side limiters. `WindowLimiter` is Specala's "N requests per window"
//! (a sliding log or fixed windows aligned to the emulator's start); `Gcra` is PyAI's
//! per-key token bucket (rate + burst); `DailyCap` counts requests per UTC day. Each
//! `try_acquire` either accepts (and counts) the request or returns how long to wait.
//! Callers hold the world lock, so the limiters themselves are plain data.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::config::{RateLimit, WindowKind, WindowLimit};

/// "N requests per window" for one key on one surface.
#[derive(Debug)]
pub(crate) struct WindowLimiter {
    limit: WindowLimit,
    kind: WindowKind,
    origin: Instant,
    /// Sliding: the accept times inside the current window, oldest first.
    log: VecDeque<Instant>,
    /// Fixed: (window index, accepted in it).
    fixed: (u64, u32),
}

impl WindowLimiter {
    pub(crate) fn new(limit: WindowLimit, kind: WindowKind, origin: Instant) -> Self {
        WindowLimiter {
            limit,
            kind,
            origin,
            log: VecDeque::new(),
            fixed: (0, 0),
        }
    }

    /// Accepts and counts a request at `now`, or returns the wait until one would be accepted.
    pub(crate) fn try_acquire(&mut self, now: Instant) -> Result<(), Duration> {
        let window = self.limit.window.max(Duration::from_nanos(1));
        match self.kind {
            WindowKind::Sliding => {
                while let Some(&t) = self.log.front() {
                    if now.duration_since(t) >= window {
                        self.log.pop_front();
                    } else {
                        break;
                    }
                }
                if (self.log.len() as u64) < u64::from(self.limit.requests) {
                    self.log.push_back(now);
                    Ok(())
                } else {
                    let oldest = *self.log.front().expect("limit > 0 when full");
                    Err(window.saturating_sub(now.duration_since(oldest)))
                }
            }
            WindowKind::Fixed => {
                let elapsed = now.duration_since(self.origin);
                let index = (elapsed.as_nanos() / window.as_nanos()) as u64;
                if self.fixed.0 != index {
                    self.fixed = (index, 0);
                }
                if self.fixed.1 < self.limit.requests {
                    self.fixed.1 += 1;
                    Ok(())
                } else {
                    let next = window.as_nanos() * (u128::from(index) + 1);
                    let wait = next.saturating_sub(elapsed.as_nanos());
                    Err(Duration::from_nanos(wait as u64))
                }
            }
        }
    }
}

/// GCRA ("virtual scheduling") token bucket for one key.
#[derive(Debug)]
pub(crate) struct Gcra {
    /// Seconds between requests at the sustained rate.
    interval: f64,
    /// How far ahead of `now` the theoretical arrival time may run.
    tolerance: f64,
    /// Theoretical arrival time, seconds since the emulator started.
    tat: f64,
}

impl Gcra {
    pub(crate) fn new(limit: RateLimit) -> Self {
        let per_second = if limit.per_second.is_finite() && limit.per_second > 0.0 {
            limit.per_second
        } else {
            f64::MIN_POSITIVE
        };
        let interval = 1.0 / per_second;
        Gcra {
            interval,
            tolerance: interval * f64::from(limit.burst.max(1) - 1),
            tat: 0.0,
        }
    }

    /// Accepts a request at `now` (seconds since start), or returns the wait.
    pub(crate) fn try_acquire(&mut self, now: f64) -> Result<(), Duration> {
        let tat = self.tat.max(now);
        // A small epsilon keeps float rounding from rejecting a request that arrives
        // exactly on schedule.
        if tat - now <= self.tolerance + 1e-9 {
            self.tat = tat + self.interval;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (tat - self.tolerance - now).clamp(0.0, 1e9),
            ))
        }
    }
}

/// Requests per UTC day for one key.
#[derive(Debug, Default)]
pub(crate) struct DailyCap {
    day: u64,
    used: u32,
}

impl DailyCap {
    /// Whether another request fits under `cap` on UTC day `day`.
    pub(crate) fn has_room(&mut self, day: u64, cap: u32) -> bool {
        if self.day != day {
            self.day = day;
            self.used = 0;
        }
        self.used < cap
    }

    /// Counts one request (after `has_room`).
    pub(crate) fn consume(&mut self) {
        self.used += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window_counts_any_interval() {
        let t0 = Instant::now();
        let limit = WindowLimit {
            requests: 2,
            window: Duration::from_secs(10),
        };
        let mut w = WindowLimiter::new(limit, WindowKind::Sliding, t0);
        assert!(w.try_acquire(t0).is_ok());
        assert!(w.try_acquire(t0 + Duration::from_secs(5)).is_ok());
        let wait = w.try_acquire(t0 + Duration::from_secs(6)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(4));
        assert!(w.try_acquire(t0 + Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn fixed_window_resets_on_boundary() {
        let t0 = Instant::now();
        let limit = WindowLimit {
            requests: 1,
            window: Duration::from_secs(10),
        };
        let mut w = WindowLimiter::new(limit, WindowKind::Fixed, t0);
        assert!(w.try_acquire(t0 + Duration::from_secs(9)).is_ok());
        assert_eq!(
            w.try_acquire(t0 + Duration::from_secs(9)).unwrap_err(),
            Duration::from_secs(1)
        );
        assert!(w.try_acquire(t0 + Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn gcra_allows_burst_then_rate() {
        let mut g = Gcra::new(RateLimit {
            per_second: 10.0,
            burst: 3,
        });
        for _ in 0..3 {
            assert!(g.try_acquire(1.0).is_ok());
        }
        let wait = g.try_acquire(1.0).unwrap_err();
        assert!((wait.as_secs_f64() - 0.1).abs() < 1e-6, "{wait:?}");
        assert!(g.try_acquire(1.1).is_ok());
        assert!(g.try_acquire(1.1).is_err());
    }
}
