//! The fleet rules of learning together, kept in the process: [`FleetBook`] is what a
//! [`MemoryStore::learning_together`](super::MemoryStore::learning_together) keeps per key
//! — the answers accepted over the last seconds, the overload episode in force, and the
//! one learning state every pacer on the key takes, and the start window before anything
//! paces it (`start`) — the same rules the Redis scripts apply for many processes
//! (`redis/scripts/throttled.lua`, `reserve.lua`, `paused.lua`), so they can
//! be checked on a virtual clock (the `pacing` vectors) and used by separate pacers of
//! one key in one process.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use super::start::{admit, Admit, START_IDLE};
use super::store::Episode;

/// How far back accepted answers are counted (as the Redis store does).
const HISTORY_NS: u64 = 10_000_000_000;

#[derive(Debug, Default)]
struct Book {
    /// When answers were accepted (ns on the store's clock).
    accepted: VecDeque<u64>,
    episode_until_ns: u64,
    /// The learning state, when it was written (ns) and until when it is kept.
    state: Option<(String, u64, u64)>,
    start: Option<Start>,
}

/// The start window of a key nothing paces yet (see `start`).
#[derive(Debug)]
struct Start {
    /// The first decision and the last one (ns).
    at_ns: u64,
    last_ns: u64,
    sent: u64,
    accepted: u64,
    open: bool,
}

/// Per key: accepted answers, the episode, the shared learning state.
#[derive(Debug, Default)]
pub(super) struct FleetBook {
    keys: HashMap<String, Book>,
}

impl FleetBook {
    pub(super) fn accepted(&mut self, key: &str, now_ns: u64) {
        let b = self.keys.entry(key.to_owned()).or_default();
        if let Some(s) = &mut b.start {
            s.accepted += 1;
        }
        b.accepted.push_back(now_ns);
        while b
            .accepted
            .front()
            .is_some_and(|&t| now_ns.saturating_sub(t) > HISTORY_NS)
            || b.accepted.len() > 65_536
        {
            b.accepted.pop_front();
        }
    }

    /// A 429: a new episode (with the accepted answers, how long ago) unless one runs.
    pub(super) fn throttled(&mut self, key: &str, now_ns: u64, episode: Duration) -> Episode {
        let b = self.keys.entry(key.to_owned()).or_default();
        if now_ns < b.episode_until_ns {
            return Episode::Joined;
        }
        b.episode_until_ns =
            now_ns.saturating_add(u64::try_from(episode.as_nanos()).unwrap_or(u64::MAX));
        let history = b
            .accepted
            .iter()
            .filter(|&&t| now_ns.saturating_sub(t) <= HISTORY_NS)
            .map(|&t| (Duration::from_nanos(now_ns.saturating_sub(t)), 1))
            .collect();
        Episode::New(history)
    }

    /// A request on a key nothing paces yet: `None` to send it (counted in the start
    /// window while it is not open), or how long to wait before asking again. A key with
    /// a learning state has no window.
    pub(super) fn start(&mut self, key: &str, now_ns: u64) -> Option<Duration> {
        if self.state(key, now_ns).is_some() {
            return None;
        }
        let b = self.keys.entry(key.to_owned()).or_default();
        let idle = u64::try_from(START_IDLE.as_nanos()).unwrap_or(u64::MAX);
        let s = match &mut b.start {
            Some(s) if now_ns.saturating_sub(s.last_ns) <= idle => s,
            slot => slot.insert(Start {
                at_ns: now_ns,
                last_ns: now_ns,
                sent: 0,
                accepted: 0,
                open: false,
            }),
        };
        s.last_ns = now_ns;
        if s.open {
            return None;
        }
        let elapsed = Duration::from_nanos(now_ns.saturating_sub(s.at_ns));
        match admit(elapsed, s.sent, s.accepted) {
            Admit::Open => s.open = true,
            Admit::Go => s.sent += 1,
            Admit::Wait(d) => return Some(d),
        }
        None
    }

    pub(super) fn state(&self, key: &str, now_ns: u64) -> Option<(String, Duration)> {
        let (s, at, until) = self.keys.get(key)?.state.as_ref()?;
        (now_ns < *until).then(|| (s.clone(), Duration::from_nanos(now_ns.saturating_sub(*at))))
    }

    pub(super) fn set_state(&mut self, key: &str, state: String, now_ns: u64, ttl: Duration) {
        let until = now_ns.saturating_add(u64::try_from(ttl.as_nanos()).unwrap_or(u64::MAX));
        self.keys.entry(key.to_owned()).or_default().state = Some((state, now_ns, until));
    }

    pub(super) fn forget(&mut self, key: &str) {
        self.keys.remove(key);
    }

    pub(super) fn clear(&mut self) {
        self.keys.clear();
    }
}
