//! Learning a rate limit nobody configured, so it converges instead of only falling:
//! [`Learner`] measures the rate the server accepted just before a 429 (under overload,
//! that is the server's limit), drops to [`SETTLE`] of it (β = 0.7 of the rate when too
//! few answers came back to measure), and climbs back along a CUBIC curve (the one AWS
//! adaptive retry and TCP use: concave up to the last limit, then probing beyond it) while
//! no 429 comes — so the learned rate settles just under the server's and rises again when
//! the server's limit does. Before the first 429 no rate is learned (a fleet sharing a store
//! lets its first requests out a window at a time: `start`); after the first one
//! the rate doubles every half second from the measured rate until the next 429 (slow start),
//! because a first burst says little about the sustained limit. A token-bucket server
//! (GCRA, nginx `limit_req`) grants its burst on top of its rate after every pause, so the
//! burst seen before the first 429 is taken off later measurements, and out of slow start
//! the rate is measured over the whole stretch since the last pause. Every 429 costs the
//! key a pause (its `Retry-After`), so once a 429 confirms the limit measured before it,
//! the climb holds at that limit for a plateau ([`PLATEAU`], doubling with each
//! confirmation up to [`PLATEAU_MAX`]) before probing beyond it: fewer 429s, fewer pauses.
//! Slow start's own measurement runs low, so it holds the climb only in proportion to what
//! a probe costs (the 429's pause against a second). The climb starts when the pause ends.
//! A limit quiet for [`LEARNED_LIMIT_TTL`](super::LEARNED_LIMIT_TTL) is forgotten.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use super::{RateLimit, DEFAULT_429_PAUSE};

/// The multiplicative decrease after a 429 (AWS adaptive retry's β).
pub const CUBIC_BETA: f64 = 0.7;
/// CUBIC's scale constant (requests/s per s³), as AWS adaptive retry uses.
pub const CUBIC_C: f64 = 0.4;
/// After a 429, the rate settles at this fraction of the rate the server was measured to
/// accept (just under its limit).
pub const SETTLE: f64 = 0.95;
/// In slow start (after the first 429), the rate doubles this often.
const SLOW_START_DOUBLING: Duration = Duration::from_millis(500);
/// How long the climb first holds at a limit a 429 confirmed before probing beyond it.
pub const PLATEAU: Duration = Duration::from_secs(4);
/// The longest plateau (it doubles with each 429 that confirms the same limit).
pub const PLATEAU_MAX: Duration = Duration::from_secs(30);
/// A measured limit at most this fraction above the previous one confirms it.
const CONFIRM: f64 = 0.1;
/// Answers needed in the window to trust the measured accepted rate.
const RELIABLE_ANSWERS: usize = 8;
/// The window over which accepted answers (and sends) are counted.
const WINDOW: Duration = Duration::from_secs(1);
/// The shortest span a rate is measured over (so a burst of 3 in 1 ms is not 3,000/s,
/// and one answer before a first 429 means 2/s).
const MIN_SPAN: Duration = Duration::from_millis(500);
/// The slowest rate learning settles on: one request a minute.
const MIN_RATE: f64 = 1.0 / 60.0;
/// The fastest rate learning reaches (a million requests a second: no limit in practice).
const MAX_RATE: f64 = 1e6;
/// How far back accepted answers are remembered (for the measurement at a 429).
const HISTORY: Duration = Duration::from_secs(10);
/// The shortest pause a 429 without `Retry-After` costs a key while learning.
pub const QUIET_PAUSE_MIN: Duration = Duration::from_millis(50);
/// Remembered timestamps at most (per list).
const MAX_REMEMBERED: usize = 8192;

/// The learning state of one pacer (no configured limit).
#[derive(Debug, Default)]
pub(crate) struct Learner {
    /// The rate in force (requests/s) at `since`; `None` until the first 429.
    rate: Option<f64>,
    /// The accepted rate measured at the last 429 (CUBIC's W_max).
    w_max: f64,
    /// The rate right after the last decrease.
    floor: f64,
    /// When the last decrease (or slow-start start) happened.
    since: Option<Instant>,
    slow_start: bool,
    /// How long the climb holds at `w_max` before probing beyond it.
    plateau: Duration,
    /// The burst the server accepted at once before the first 429 (taken off later
    /// measurements: a token bucket grants it on top of its rate after every pause).
    burst: f64,
    last_event: Option<Instant>,
    /// Until when the rate stands as rate-limit headers set it (a 429 that came with
    /// them decreases nothing more).
    seeded_until: Option<Instant>,
    first_send: Option<Instant>,
    /// The last time a send had to wait for its slot (callers wanted more than the rate).
    last_limited: Option<Instant>,
    sends: VecDeque<Instant>,
    accepted: VecDeque<Instant>,
}

fn trim(q: &mut VecDeque<Instant>, now: Instant, keep: Duration) {
    while q.len() > MAX_REMEMBERED
        || q.front()
            .is_some_and(|&t| now.saturating_duration_since(t) > keep)
    {
        q.pop_front();
    }
}

impl Learner {
    /// A request went out; `limited` when it had to wait for its slot first.
    pub(crate) fn on_send(&mut self, now: Instant, limited: bool) {
        self.first_send.get_or_insert(now);
        if limited {
            self.last_limited = Some(now);
        }
        self.sends.push_back(now);
        trim(&mut self.sends, now, WINDOW);
    }

    /// A caller waits for its slot now (the rate in force is short of the demand).
    pub(crate) fn on_waiting(&mut self, now: Instant) {
        self.last_limited = Some(now);
    }

    /// The server answered something other than a 429.
    pub(crate) fn on_accepted(&mut self, now: Instant) {
        self.accepted.push_back(now);
        trim(&mut self.accepted, now, HISTORY);
    }

    /// The rate the server accepted, and whether enough answers came back over a long
    /// enough span to trust it. A token bucket accepts at most `rate × span + burst` over
    /// any span, and exactly that over the span it was saturated, which ends with the
    /// 429: so the rate is the largest `(accepted since t − burst) ÷ (now − t)` over the
    /// answers `t` of the last few seconds (spans of at least half a second, a second
    /// when no burst was seen).
    fn accepted_rate(&self, now: Instant) -> (f64, bool) {
        let shortest = if self.burst > 0.0 { MIN_SPAN } else { WINDOW };
        let mut best: Option<f64> = None;
        let mut n = 0usize;
        for &t in self.accepted.iter().rev() {
            n += 1;
            let span = now.saturating_duration_since(t);
            if span < shortest {
                continue;
            }
            let r = (n as f64 - self.burst) / span.as_secs_f64();
            best = Some(best.map_or(r, |b: f64| b.max(r)));
        }
        // Too short a history for any span: the answers of the last second.
        let rate = best
            .unwrap_or_else(|| self.measured(&self.accepted, now))
            .max(MIN_RATE);
        let recent = self
            .accepted
            .iter()
            .filter(|&&t| now.saturating_duration_since(t) <= WINDOW)
            .count();
        let started = self
            .first_send
            .map_or(Duration::ZERO, |f| now.saturating_duration_since(f));
        (rate, recent >= RELIABLE_ANSWERS && started >= WINDOW / 2)
    }

    fn measured(&self, q: &VecDeque<Instant>, now: Instant) -> f64 {
        let n = q
            .iter()
            .filter(|&&t| now.saturating_duration_since(t) <= WINDOW)
            .count();
        let since_start = self
            .first_send
            .map_or(WINDOW, |f| now.saturating_duration_since(f));
        let span = since_start.clamp(MIN_SPAN, WINDOW);
        n as f64 / span.as_secs_f64()
    }

    /// The rate in force now (requests/s), if one was learned.
    pub(crate) fn rate(&self, now: Instant) -> Option<f64> {
        let rate = self.rate?;
        let t = now
            .saturating_duration_since(self.since.unwrap_or(now))
            .as_secs_f64();
        let grown = if self.slow_start {
            rate * 2f64.powf(t / SLOW_START_DOUBLING.as_secs_f64())
        } else {
            // CUBIC: W(t) = C (t - K)³ + W_max, K the time to climb back from the floor.
            // Held at W_max for the plateau once there.
            let drop = (self.w_max - self.floor).max(0.0);
            let k = (drop / CUBIC_C).cbrt();
            let t = if t <= k {
                t
            } else {
                (t - self.plateau.as_secs_f64()).max(k)
            };
            (CUBIC_C * (t - k).powi(3) + self.w_max).max(self.floor)
        };
        // Never run far ahead of the demand: a rate nobody used proves nothing (twice the
        // sends of the last second). Callers kept waiting for their slots are demand the
        // rate did not serve: then nothing caps the climb (a cap on sends that the rate
        // itself spaced would hold slow start back; with a shared store, this process's
        // sends are only its share of the key's, so a wait, not the sends, says so).
        let interval = Duration::from_secs_f64((2.0 / rate.max(MIN_RATE)).min(120.0));
        let limited = self
            .last_limited
            .is_some_and(|t| now.saturating_duration_since(t) <= WINDOW.max(interval));
        let cap = if limited {
            MAX_RATE
        } else {
            let demand = self.measured(&self.sends, now);
            (2.0 * demand).max(self.w_max).max(rate)
        };
        Some(grown.min(cap).clamp(MIN_RATE, MAX_RATE))
    }

    /// Whether the learned rate is in slow start (doubling), where slots reserved far
    /// ahead would keep a spacing the rate has already left behind.
    pub(crate) fn climbing_fast(&self) -> bool {
        self.rate.is_some() && self.slow_start
    }

    /// The rate in force now as a limit (evenly spaced).
    pub(crate) fn limit(&self, now: Instant) -> Option<RateLimit> {
        self.rate(now).map(as_limit)
    }

    /// A 429 came back, pausing the key for `pause`. Answers in flight when the first
    /// came back belong to the same event: at most one decrease per `episode` (at least
    /// the pause). The climb starts when the pause ends. Returns the new limit when it
    /// changed.
    pub(crate) fn on_throttled(
        &mut self,
        now: Instant,
        pause: Duration,
        episode: Duration,
    ) -> Option<RateLimit> {
        let repeated = self
            .last_event
            .is_some_and(|at| now.saturating_duration_since(at) < episode.max(pause));
        if repeated && self.rate.is_some() {
            return None;
        }
        self.decrease(now, pause)
    }

    /// A 429 opened a new overload episode for the whole fleet (a shared store said so):
    /// the one decrease, measured on `fleet` — the answers every process saw accepted
    /// (how long ago, how many) — instead of this process's own. `pause` is the 429's
    /// `Retry-After`; without one, the pause is judged on the fleet's answers
    /// ([`pause_without_retry_after`](Self::pause_without_retry_after), at most
    /// `longest`). Returns the pause.
    pub(crate) fn on_fleet_throttled(
        &mut self,
        now: Instant,
        pause: Option<Duration>,
        longest: Duration,
        fleet: &[(Duration, u32)],
    ) -> Duration {
        let mut times: Vec<Instant> = fleet
            .iter()
            .flat_map(|&(ago, n)| {
                let t = now.checked_sub(ago).unwrap_or(now);
                std::iter::repeat_n(t, n as usize)
            })
            .collect();
        times.sort();
        if let Some(&oldest) = times.first() {
            self.first_send = Some(self.first_send.map_or(oldest, |f| f.min(oldest)));
        }
        let skip = times.len().saturating_sub(MAX_REMEMBERED);
        self.accepted = times.into_iter().skip(skip).collect();
        // The fleet's first 429 often comes before the processes whose answers were
        // accepted have counted them (they do with their next decision): a measurement
        // from too few answers would pause the whole fleet up to a second on a guess.
        let thin = self.rate.is_none() && !self.accepted_rate(now).1;
        let pause = pause.unwrap_or_else(|| {
            if thin {
                QUIET_PAUSE_MIN.min(longest)
            } else {
                self.pause_without_retry_after(now, longest)
            }
        });
        self.decrease(now, pause);
        pause
    }

    /// The one decrease of an overload episode; the climb starts when `pause` (the key's
    /// pause for this 429) ends: time spent paused is not time spent probing, and a
    /// pause shorter than the episode (a 429 without `Retry-After`) does not hold the
    /// climb back for the episode's length.
    fn decrease(&mut self, now: Instant, pause: Duration) -> Option<RateLimit> {
        if self.seeded_until.is_some_and(|t| now < t) {
            return None;
        }
        self.last_event = Some(now);
        let first = self.rate.is_none();
        let (accepted, reliable) = self.accepted_rate(now);
        let (rate, w_max, slow_start, plateau) = match self.rate(now) {
            // The first 429: a burst's count says little; start from it (at least one a
            // second when too few answers came back to measure) and double.
            None => {
                let start = if reliable {
                    accepted
                } else {
                    accepted.max(1.0)
                };
                (start, start, true, Duration::ZERO)
            }
            // Under overload the server accepts its limit: settle just under what it
            // accepted. The first measurement (out of slow start), or one that confirms
            // the last (not above it), earns a plateau; one above the last probes again
            // at once. Without enough answers to measure, fall back to β of the rate.
            // Slow start's measurement runs low (the server was saturated only for the
            // last fraction of a second before its 429, less than the span measured), so
            // its plateau is as long as a probe is costly: PLATEAU when the 429 paused the
            // key a second or more, a fifth of it at 200 ms (`limit_req`'s 429s carry no
            // `Retry-After`: two intervals' pause).
            Some(current) if reliable => {
                let plateau = if self.slow_start {
                    let cost = pause.as_secs_f64() / DEFAULT_429_PAUSE.as_secs_f64();
                    PLATEAU.mul_f64(cost.min(1.0))
                } else if accepted > (1.0 + CONFIRM) * self.w_max {
                    Duration::ZERO
                } else {
                    (self.plateau * 2).clamp(PLATEAU, PLATEAU_MAX)
                };
                (
                    current.min(SETTLE * accepted),
                    accepted.max(MIN_RATE),
                    false,
                    plateau,
                )
            }
            Some(current) => (current * CUBIC_BETA, current, false, Duration::ZERO),
        };
        if first {
            // Answers accepted within moments of the first send are the server's burst.
            let started = self
                .first_send
                .map_or(Duration::ZERO, |f| now.saturating_duration_since(f));
            if started < MIN_SPAN {
                self.burst = self.accepted.len() as f64;
            }
        }
        self.plateau = plateau;
        self.rate = Some(rate.max(MIN_RATE));
        self.floor = rate.max(MIN_RATE);
        self.w_max = w_max.max(MIN_RATE);
        self.slow_start = slow_start;
        self.since = Some(now + pause);
        tracing::debug!(target: "surefoot::pacing", rate = rate, w_max = w_max, slow_start, plateau_ms = plateau.as_millis() as u64, "learned a rate from a 429");
        self.limit(now + pause)
    }

    /// Another process (through the store) learned `limit`: adopt it when it is slower
    /// than ours, as if this process had met the 429.
    pub(crate) fn adopt(&mut self, limit: RateLimit, now: Instant) {
        let theirs = rate_of(limit);
        if self.rate(now).is_none_or(|r| r > theirs * 1.0001) {
            self.rate = Some(theirs);
            self.floor = theirs;
            self.w_max = theirs / CUBIC_BETA;
            self.slow_start = false;
            self.plateau = Duration::ZERO;
            self.since = Some(now);
            self.last_event = Some(now);
        }
    }

    /// What the fleet shares of this learner (a shared store keeps it as a string):
    /// `v1 rate w_max floor slow_start plateau_ms burst since_ms`, `since_ms` the start
    /// of the climb relative to `now` (negative: in the past).
    pub(crate) fn export(&self, now: Instant) -> Option<String> {
        let rate = self.rate?;
        let since = self.since.unwrap_or(now);
        let rel_ms = if since >= now {
            since.duration_since(now).as_secs_f64() * 1000.0
        } else {
            -(now.duration_since(since).as_secs_f64() * 1000.0)
        };
        Some(format!(
            "v1 {rate:.6} {:.6} {:.6} {} {} {:.3} {rel_ms:.0}",
            self.w_max,
            self.floor,
            u8::from(self.slow_start),
            self.plateau.as_millis(),
            self.burst,
        ))
    }

    /// Take the fleet's state (written `age` ago) as this process's: rate, climb and
    /// plateau; what this process measured of its own sends and answers stays. Whether
    /// the state could be read.
    pub(crate) fn import(&mut self, state: &str, age: Duration, now: Instant) -> bool {
        let f: Vec<&str> = state.split_whitespace().collect();
        let [v, rate, w_max, floor, slow, plateau, burst, since] = f[..] else {
            return false;
        };
        let num = |s: &str| s.parse::<f64>().ok().filter(|x| x.is_finite());
        let (Some(rate), Some(w_max), Some(floor), Some(plateau), Some(burst), Some(since)) = (
            num(rate),
            num(w_max),
            num(floor),
            num(plateau),
            num(burst),
            num(since),
        ) else {
            return false;
        };
        if v != "v1" || rate <= 0.0 {
            return false;
        }
        let written = now.checked_sub(age).unwrap_or(now);
        let since_at = if since >= 0.0 {
            written + Duration::from_secs_f64(since / 1000.0)
        } else {
            written
                .checked_sub(Duration::from_secs_f64(-since / 1000.0))
                .unwrap_or(written)
        };
        self.rate = Some(rate.clamp(MIN_RATE, MAX_RATE));
        self.w_max = w_max.clamp(MIN_RATE, MAX_RATE);
        self.floor = floor.clamp(MIN_RATE, MAX_RATE);
        self.slow_start = slow == "1";
        self.plateau = Duration::from_secs_f64(plateau.clamp(0.0, 3.6e6) / 1000.0);
        self.burst = burst.max(0.0);
        self.since = Some(since_at);
        self.last_event = Some(written);
        true
    }

    /// Rate-limit headers stated the rate (`rate` requests/s) when the quota ran out,
    /// the quota back after `pause`: start there at once — no slow start — and hold it for
    /// a plateau before probing beyond it. Whether it changed the rate.
    pub(crate) fn seed(&mut self, rate: f64, now: Instant, pause: Duration) -> bool {
        let rate = rate.clamp(MIN_RATE, MAX_RATE);
        if self.seeded_until.is_some_and(|t| now < t)
            && self.rate.is_some_and(|r| (r - rate).abs() <= r * 1e-6)
        {
            return false;
        }
        self.rate = Some(rate);
        self.w_max = rate;
        self.floor = rate;
        self.slow_start = false;
        self.plateau = PLATEAU;
        self.since = Some(now + pause);
        self.last_event = Some(now);
        self.seeded_until = Some(now + pause);
        true
    }

    /// How long a 429 that carried no `Retry-After` pauses the key while learning: two
    /// intervals at the rate in force (before the first 429: the rate the server was
    /// measured to accept), at least [`QUIET_PAUSE_MIN`], at most `longest` (the pause
    /// for a configured limit). The learned rate, cut by the same 429, already spaces the
    /// sends that follow; a full second per 429 would cost a key at 40/s forty requests.
    /// The answer that was refused still backs off its own retry (1 s, 2 s, 4 s…).
    pub(crate) fn pause_without_retry_after(&self, now: Instant, longest: Duration) -> Duration {
        let rate = self
            .rate(now)
            .unwrap_or_else(|| self.accepted_rate(now).0)
            .max(MIN_RATE);
        Duration::from_secs_f64((2.0 / rate).min(longest.as_secs_f64()))
            .max(QUIET_PAUSE_MIN.min(longest))
    }

    /// Whether a rate was learned (or taken from the fleet). Before, a fleet member's own
    /// answers are only its share of the key's: its 429 cannot judge a pause on them
    /// (one answer seen means 2/s, a second's pause); the episode's opener judges it on
    /// the fleet's answers.
    pub(crate) fn has_rate(&self) -> bool {
        self.rate.is_some()
    }

    /// When the last 429 event was.
    pub(crate) fn last_event(&self) -> Option<Instant> {
        self.last_event
    }

    /// Forget everything learned.
    pub(crate) fn forget(&mut self) {
        *self = Learner::default();
    }
}

/// Requests per second as an evenly spaced limit.
pub(crate) fn as_limit(rate: f64) -> RateLimit {
    let interval = Duration::from_secs_f64((1.0 / rate.max(MIN_RATE)).min(60.0));
    RateLimit::new(1, interval.max(Duration::from_micros(10)))
}

/// A limit's sustained rate in requests per second.
pub(crate) fn rate_of(limit: RateLimit) -> f64 {
    limit.requests() as f64 / limit.per().as_secs_f64()
}
