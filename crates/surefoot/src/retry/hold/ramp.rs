//! The ramp a host's outage ends with: once a probe succeeds, held calls go out a few at
//! a time, the window of calls in flight growing by one with each success — so it
//! doubles per round trip (TCP's slow start) — until [`RAMP_OPEN`] are in flight or no
//! call is held, instead of all at once onto a server that is still recovering (a small
//! accept backlog resets the connections of a stampede). A failure during the ramp halves
//! the window and waits before the next release (from [`PROBE_BASE`] doubling up to
//! [`PROBE_CAP`]), instead of starting a second full hold.

use tokio::time::Instant;

use super::{PROBE_BASE, PROBE_CAP};

/// Calls in flight the ramp starts with (the probe was the first round trip).
///
/// ```
/// assert_eq!(surefoot::retry::hold::RAMP_START, 2);
/// ```
pub const RAMP_START: usize = 2;
/// Calls in flight at which the ramp is over and the host open again.
///
/// ```
/// assert_eq!(surefoot::retry::hold::RAMP_OPEN, 64);
/// ```
pub const RAMP_OPEN: usize = 64;

/// The window of a ramp in progress.
#[derive(Debug)]
pub(super) struct Ramp {
    window: usize,
    in_flight: usize,
    failures: u32,
    next_at: Instant,
}

impl Ramp {
    pub(super) fn new(now: Instant) -> Ramp {
        Ramp {
            window: RAMP_START,
            in_flight: 0,
            failures: 0,
            next_at: now,
        }
    }

    /// Let one call go, if the window has room and no wait after a failure is running.
    pub(super) fn admit(&mut self, now: Instant) -> bool {
        if self.in_flight < self.window && now >= self.next_at {
            self.in_flight += 1;
            return true;
        }
        false
    }

    /// When a held call may next go (none: when a call in flight ends).
    pub(super) fn wake_at(&self) -> Option<Instant> {
        (self.in_flight < self.window).then_some(self.next_at)
    }

    /// Calls out now.
    pub(super) fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// A released call succeeded: the window grows by one. Whether the ramp is over.
    pub(super) fn succeeded(&mut self) -> bool {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.failures = 0;
        self.window = self.window.saturating_add(1);
        self.window >= RAMP_OPEN
    }

    /// A released call failed as in an outage: halve the window, wait before the next.
    pub(super) fn failed(&mut self, now: Instant) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.failures = self.failures.saturating_add(1);
        self.window = (self.window / 2).max(1);
        let factor = 1u32 << (self.failures - 1).min(16);
        self.next_at = now + PROBE_BASE.saturating_mul(factor).min(PROBE_CAP);
    }

    /// A released call ended without an outcome (cancelled, or an answer that says
    /// nothing about the host).
    pub(super) fn abandoned(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_window_doubles_per_round_trip_and_halves_on_a_failure() {
        let now = Instant::now();
        let mut r = Ramp::new(now);
        // Round trip 1: 2 out, 2 successes -> window 4.
        assert!(r.admit(now) && r.admit(now) && !r.admit(now));
        assert!(!r.succeeded() && !r.succeeded());
        assert_eq!(r.window, 4);
        for _ in 0..4 {
            assert!(r.admit(now));
        }
        assert!(!r.admit(now));
        r.failed(now);
        assert_eq!(r.window, 2);
        // 3 still out, window 2: nothing goes, and the next waits PROBE_BASE anyway.
        assert!(!r.admit(now + Duration::from_secs(1)));
        for _ in 0..3 {
            r.abandoned();
        }
        assert!(!r.admit(now));
        assert!(r.admit(now + PROBE_BASE));
        let mut done = false;
        for _ in 0..RAMP_OPEN {
            done = r.succeeded();
            if done {
                break;
            }
        }
        assert!(done);
    }
}
