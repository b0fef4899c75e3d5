//! The chaos configuration ([`Chaos`]), its counters ([`ChaosReport`]) and the seeded
//! random stream that decides each request's fate ([`ChaosState::draw`]): pure state, no
//! I/O, kept behind its own lock in the emulator's shared state.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Counter name of 503 answers.
pub const CHAOS_503: &str = "503";
/// Counter name of connections reset before processing.
pub const CHAOS_RESET: &str = "reset";
/// Counter name of requests processed, then dropped without an answer.
pub const CHAOS_DROPPED: &str = "dropped_after_commit";
/// Counter name of answers cut off mid-body.
pub const CHAOS_TRUNCATED: &str = "truncated";
/// Counter name of answers whose body stalls for `slow_ms`.
pub const CHAOS_SLOW: &str = "slow_body";
/// Counter name of 429s sent during storms.
pub const CHAOS_STORM_429: &str = "storm_429";
/// Counter name of storms started.
pub const CHAOS_STORMS: &str = "storms";

/// The chaos configuration (JSON body of `POST /__emulator/chaos`; missing members take
/// the defaults below).
///
/// ```
/// let c: surefoot_emulator::Chaos = serde_json::from_str(r#"{"seed": 7}"#).unwrap();
/// assert_eq!(c.seed, 7);
/// assert_eq!(c.p_503, 0.05);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Chaos {
    /// Seed of the random stream.
    pub seed: u64,
    /// Probability of a 503 (default 0.05).
    pub p_503: f64,
    /// Probability of a reset before processing (default 0.02).
    pub p_reset: f64,
    /// Probability of "processed, then dropped" (default 0.01).
    pub p_dropped: f64,
    /// Probability of a truncated body (default 0.01).
    pub p_truncated: f64,
    /// Probability of a body that stalls `slow_ms` halfway (default 0.01).
    pub p_slow: f64,
    /// How long a slow body stalls, ms (default 5000: longer than a soak client's timeout).
    pub slow_ms: u64,
    /// Probability that a request starts a 429 storm (default 0.002).
    pub p_storm: f64,
    /// How long a storm lasts, ms (default 1500).
    pub storm_ms: u64,
}

impl Default for Chaos {
    fn default() -> Chaos {
        Chaos {
            seed: 1,
            p_503: 0.05,
            p_reset: 0.02,
            p_dropped: 0.01,
            p_truncated: 0.01,
            p_slow: 0.01,
            slow_ms: 5000,
            p_storm: 0.002,
            storm_ms: 1500,
        }
    }
}

impl Chaos {
    /// The default rates with `seed`.
    ///
    /// ```
    /// assert_eq!(surefoot_emulator::Chaos::seeded(3).p_reset, 0.02);
    /// ```
    pub fn seeded(seed: u64) -> Chaos {
        Chaos {
            seed,
            ..Chaos::default()
        }
    }
}

/// What chaos did so far (JSON of `GET /__emulator/chaos`).
///
/// ```
/// let r = surefoot_emulator::ChaosReport::default();
/// assert_eq!(r.requests, 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChaosReport {
    /// The configuration in force (`None`: chaos is off).
    pub config: Option<Chaos>,
    /// API requests that drew (chaos on, no explicit fault fired).
    pub requests: u64,
    /// Fault name (`"503"`, `"reset"`, `"dropped_after_commit"`, `"truncated"`,
    /// `"slow_body"`, `"storm_429"`, `"storms"`) → count.
    pub injected: BTreeMap<String, u64>,
}

/// One draw's outcome.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Draw {
    Pass,
    Unavailable,
    Reset,
    Dropped,
    Truncated,
    Slow(u64),
    Storm(Duration),
}

/// Chaos state of one emulator, behind its own lock in `Shared`.
#[derive(Debug, Default)]
pub(crate) struct ChaosState {
    config: Option<Chaos>,
    rng: u64,
    storm_until: Option<Instant>,
    report: ChaosReport,
}

impl ChaosState {
    pub(crate) fn set(&mut self, config: Option<Chaos>) {
        self.rng = config.as_ref().map_or(0, |c| c.seed);
        self.storm_until = None;
        self.report = ChaosReport {
            config: config.clone(),
            ..ChaosReport::default()
        };
        self.config = config;
    }

    pub(crate) fn report(&self) -> ChaosReport {
        self.report.clone()
    }

    /// splitmix64: a uniform float in [0, 1).
    fn next(&mut self) -> f64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    fn count(&mut self, name: &str) {
        *self.report.injected.entry(name.to_string()).or_default() += 1;
    }

    /// The fate of the next API request arriving at `now`.
    pub(crate) fn draw(&mut self, now: Instant) -> Draw {
        let Some(c) = self.config.clone() else {
            return Draw::Pass;
        };
        self.report.requests += 1;
        if let Some(until) = self.storm_until {
            if now < until {
                self.count(CHAOS_STORM_429);
                return Draw::Storm(until - now);
            }
            self.storm_until = None;
        }
        let x = self.next();
        let mut edge = 0.0;
        let mut hit = |p: f64| {
            edge += p;
            x < edge
        };
        let d = if hit(c.p_storm) {
            let len = Duration::from_millis(c.storm_ms);
            self.storm_until = Some(now + len);
            self.count(CHAOS_STORMS);
            Draw::Storm(len)
        } else if hit(c.p_503) {
            Draw::Unavailable
        } else if hit(c.p_reset) {
            Draw::Reset
        } else if hit(c.p_dropped) {
            Draw::Dropped
        } else if hit(c.p_truncated) {
            Draw::Truncated
        } else if hit(c.p_slow) {
            Draw::Slow(c.slow_ms)
        } else {
            Draw::Pass
        };
        match d {
            Draw::Pass => {}
            Draw::Unavailable => self.count(CHAOS_503),
            Draw::Reset => self.count(CHAOS_RESET),
            Draw::Dropped => self.count(CHAOS_DROPPED),
            Draw::Truncated => self.count(CHAOS_TRUNCATED),
            Draw::Slow(_) => self.count(CHAOS_SLOW),
            Draw::Storm(_) => self.count(CHAOS_STORM_429),
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(seed: u64, n: usize) -> Vec<Draw> {
        let mut s = ChaosState::default();
        s.set(Some(Chaos {
            p_storm: 0.0,
            ..Chaos::seeded(seed)
        }));
        let now = Instant::now();
        (0..n).map(|_| s.draw(now)).collect()
    }

    #[test]
    fn same_seed_same_draws_and_rates_close_to_the_configuration() {
        assert_eq!(draws(42, 2000), draws(42, 2000));
        assert_ne!(draws(42, 2000), draws(43, 2000));
        let d = draws(9, 100_000);
        let n = |f: fn(&Draw) -> bool| d.iter().filter(|x| f(x)).count();
        // 5 % ± 0.5 %, 2 % ± 0.3 %, 1 % ± 0.2 %: far outside a seeded stream's spread.
        assert!((4500..5500).contains(&n(|x| *x == Draw::Unavailable)));
        assert!((1700..2300).contains(&n(|x| *x == Draw::Reset)));
        assert!((800..1200).contains(&n(|x| *x == Draw::Dropped)));
        assert!((800..1200).contains(&n(|x| *x == Draw::Truncated)));
        assert!((800..1200).contains(&n(|x| matches!(x, Draw::Slow(_)))));
    }

    #[test]
    fn a_storm_rejects_everything_until_it_ends() {
        let mut s = ChaosState::default();
        s.set(Some(Chaos {
            p_storm: 1.0,
            p_503: 0.0,
            p_reset: 0.0,
            p_dropped: 0.0,
            p_truncated: 0.0,
            p_slow: 0.0,
            storm_ms: 1000,
            ..Chaos::seeded(1)
        }));
        let t0 = Instant::now();
        assert_eq!(s.draw(t0), Draw::Storm(Duration::from_millis(1000)));
        assert_eq!(
            s.draw(t0 + Duration::from_millis(400)),
            Draw::Storm(Duration::from_millis(600))
        );
        let r = s.report();
        assert_eq!(r.injected[CHAOS_STORMS], 1);
        assert_eq!(r.injected[CHAOS_STORM_429], 2);
        assert_eq!(r.requests, 2);
    }

    #[test]
    fn off_draws_nothing_and_counts_nothing() {
        let mut s = ChaosState::default();
        assert_eq!(s.draw(Instant::now()), Draw::Pass);
        assert_eq!(s.report(), ChaosReport::default());
    }
}
