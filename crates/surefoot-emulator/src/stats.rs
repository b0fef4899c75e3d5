//! Counters a test reads to see what the emulator saw: requests per route template and
//! status, limiter rejections, jobs, idempotent replays and conflicts, realtime
//! concurrency, keys created and revoked, faults fired, and the timestamp of every
//! request each key had accepted on each rate-limit surface (so a test can prove a
//! client never exceeded a limit). [`Stats`] is the snapshot, also served as JSON at
//! `GET /__emulator/stats`.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Rate-limit surface of Specala's list/get/export/bulk endpoints, and PyAI's only surface.
pub const SURFACE_DATA: &str = "data";
/// Rate-limit surface of Specala's key management endpoints.
pub const SURFACE_MANAGEMENT: &str = "management";

/// Status label of a request whose connection was reset before processing.
pub const STATUS_RESET: &str = "reset";
/// Status label of a request processed and then dropped without an answer.
pub const STATUS_DROPPED: &str = "dropped";

/// Highest realtime concurrency seen.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Concurrency {
    /// Across every key.
    pub overall: u32,
    /// Per key id.
    pub per_key: BTreeMap<String, u32>,
}

/// A snapshot of the emulator's counters (JSON of `GET /__emulator/stats`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Stats {
    /// `"specala"` or `"pyai"`.
    pub api: String,
    /// Milliseconds since the emulator started.
    pub uptime_ms: f64,
    /// API requests seen (admin routes excluded).
    pub total_requests: u64,
    /// Route template (`GET /v1/transcriptions/{id}`) → status (`"200"`, or `"reset"` /
    /// `"dropped"` for connections closed without an answer) → count.
    pub requests: BTreeMap<String, BTreeMap<String, u64>>,
    /// 429 `rate_limit_exceeded` / Specala 429s sent by the rate limiters.
    pub rate_limited: u64,
    /// 429 `concurrency_limit_exceeded` sent.
    pub concurrency_rejected: u64,
    /// 429 `daily_cap_exceeded` sent.
    pub daily_cap_rejected: u64,
    /// PyAI jobs created.
    pub jobs_created: u64,
    /// Idempotent replays answered.
    pub idempotent_replays: u64,
    /// 409 `idempotency_conflict` answered.
    pub idempotency_conflicts: u64,
    /// Realtime sessions opened.
    pub realtime_sessions_opened: u64,
    /// Realtime sessions open now.
    pub open_realtime_sessions: u32,
    /// Highest number of simultaneously open realtime sessions.
    pub max_realtime_concurrency: Concurrency,
    /// Key id → surface (`"data"`, `"management"`) → ms since start of each request the
    /// limiter accepted.
    pub accepted: BTreeMap<String, BTreeMap<String, Vec<f64>>>,
    /// Keys created over the key API.
    pub keys_created: u64,
    /// Keys revoked over the key API.
    pub keys_revoked: u64,
    /// Requests affected by an injected fault.
    pub faults_fired: u64,
}

impl Stats {
    /// Requests on `route` answered with `status` (e.g. `"201"`, `"dropped"`).
    pub fn count(&self, route: &str, status: &str) -> u64 {
        self.requests
            .get(route)
            .and_then(|m| m.get(status))
            .copied()
            .unwrap_or(0)
    }

    /// Requests on `route`, whatever the answer.
    pub fn route_total(&self, route: &str) -> u64 {
        self.requests.get(route).map_or(0, |m| m.values().sum())
    }

    /// Accept times (ms since start) of `key_id` on `surface`.
    pub fn accepted_on(&self, key_id: &str, surface: &str) -> &[f64] {
        self.accepted
            .get(key_id)
            .and_then(|m| m.get(surface))
            .map_or(&[], |v| v.as_slice())
    }

    /// The most requests of `key_id` on `surface` accepted within any interval of length
    /// `window` (half-open), to check a client against a "N per window" limit.
    pub fn max_in_window(&self, key_id: &str, surface: &str, window: Duration) -> usize {
        let ts = self.accepted_on(key_id, surface);
        let w = window.as_secs_f64() * 1000.0;
        let (mut best, mut start) = (0, 0);
        for end in 0..ts.len() {
            while ts[end] - ts[start] >= w {
                start += 1;
            }
            best = best.max(end - start + 1);
        }
        best
    }
}

/// Mutable counters behind the stats lock.
#[derive(Debug)]
pub(crate) struct Recorder {
    stats: Stats,
    started: Instant,
    open_per_key: HashMap<String, u32>,
    record_accepted: bool,
}

impl Recorder {
    pub(crate) fn new(api: &str, started: Instant, record_accepted: bool) -> Recorder {
        Recorder {
            stats: Stats {
                api: api.to_string(),
                ..Stats::default()
            },
            started,
            open_per_key: HashMap::new(),
            record_accepted,
        }
    }

    pub(crate) fn snapshot(&self) -> Stats {
        let mut s = self.stats.clone();
        s.uptime_ms = self.started.elapsed().as_secs_f64() * 1000.0;
        s
    }

    /// Zeroes the counters; open sessions stay open and become the new maxima.
    pub(crate) fn reset(&mut self) {
        let api = std::mem::take(&mut self.stats.api);
        let open = self.stats.open_realtime_sessions;
        self.stats = Stats {
            api,
            open_realtime_sessions: open,
            ..Stats::default()
        };
        self.stats.max_realtime_concurrency.overall = open;
        for (k, n) in &self.open_per_key {
            if *n > 0 {
                self.stats
                    .max_realtime_concurrency
                    .per_key
                    .insert(k.clone(), *n);
            }
        }
    }

    pub(crate) fn request(&mut self, route: String, status: &str) {
        self.stats.total_requests += 1;
        *self
            .stats
            .requests
            .entry(route)
            .or_default()
            .entry(status.to_string())
            .or_default() += 1;
    }

    pub(crate) fn accepted(&mut self, key_id: &str, surface: &str, at: Instant) {
        if !self.record_accepted {
            return;
        }
        // Microsecond resolution keeps the JSON short.
        let us = at.duration_since(self.started).as_micros();
        let ms = us as f64 / 1000.0;
        self.stats
            .accepted
            .entry(key_id.to_string())
            .or_default()
            .entry(surface.to_string())
            .or_default()
            .push(ms);
    }

    pub(crate) fn stats_mut(&mut self) -> &mut Stats {
        &mut self.stats
    }

    pub(crate) fn session_opened(&mut self, key_id: &str) {
        let n = self.open_per_key.entry(key_id.to_string()).or_default();
        *n += 1;
        let n = *n;
        let s = &mut self.stats;
        s.realtime_sessions_opened += 1;
        s.open_realtime_sessions += 1;
        let c = &mut s.max_realtime_concurrency;
        c.overall = c.overall.max(s.open_realtime_sessions);
        let m = c.per_key.entry(key_id.to_string()).or_default();
        *m = (*m).max(n);
    }

    pub(crate) fn session_closed(&mut self, key_id: &str) {
        if let Some(n) = self.open_per_key.get_mut(key_id) {
            *n = n.saturating_sub(1);
        }
        self.stats.open_realtime_sessions = self.stats.open_realtime_sessions.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_in_window_slides() {
        let mut s = Stats::default();
        s.accepted.entry("k".into()).or_default().insert(
            SURFACE_DATA.into(),
            vec![0.0, 100.0, 900.0, 1000.0, 1050.0, 1999.0],
        );
        assert_eq!(
            s.max_in_window("k", SURFACE_DATA, Duration::from_secs(1)),
            4
        );
        assert_eq!(s.max_in_window("k", "none", Duration::from_secs(1)), 0);
    }
}
