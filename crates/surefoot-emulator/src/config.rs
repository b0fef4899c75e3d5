//! Emulator configuration: which API to serve, where to listen, the keys it knows, and
//! the limits it enforces. `Config::specala()` and `Config::pyai()` give the documented
//! defaults (Specala: 500 data / 180 management requests per minute per key, sliding
//! window; PyAI: 50 requests/s with a burst of 10 and 2 concurrent realtime sessions per
//! key); builder-style setters change them. `parse_rate` reads `"500/min"`-style specs.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::keys::KeyConfig;

/// Which API the emulator serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// Specala: transcriptions in workspaces, API key management (`seeds/000_*.txt`).
    Specala,
    /// PyAI: transcription jobs and realtime sessions (`seeds/003_*.txt`).
    Pyai,
}

impl Api {
    /// `"specala"` or `"pyai"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Api::Specala => "specala",
            Api::Pyai => "pyai",
        }
    }
}

impl std::str::FromStr for Api {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "specala" => Ok(Api::Specala),
            "pyai" => Ok(Api::Pyai),
            other => Err(format!("unknown API {other:?} (expected specala or pyai)")),
        }
    }
}

/// How a Specala window limit counts requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WindowKind {
    /// At most `requests` accepted in ANY interval of length `window` (a sliding log).
    #[default]
    Sliding,
    /// At most `requests` per consecutive window aligned to the emulator's start.
    Fixed,
}

/// A "N requests per window" limit (Specala).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowLimit {
    /// Requests allowed per window.
    pub requests: u32,
    /// Window length.
    pub window: Duration,
}

/// A token-bucket (GCRA) limit: a sustained rate and a burst (PyAI).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub per_second: f64,
    /// Requests that may be sent back-to-back from an idle state (at least 1).
    pub burst: u32,
}

/// Emulator configuration. Start from [`Config::specala`] or [`Config::pyai`] and use the
/// builder methods; the fields are public for inspection.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// The API served.
    pub api: Api,
    /// Interface to bind (default 127.0.0.1).
    pub host: IpAddr,
    /// Port to bind; 0 picks a free one (default).
    pub port: u16,
    /// Known keys (defaults: see the crate docs).
    pub keys: Vec<KeyConfig>,
    /// Specala: transcriptions generated per workspace (default 3000).
    pub transcriptions_per_workspace: usize,
    /// Specala: per-key limit on the data surface (list/get/export/bulk); `None` = unlimited.
    pub data_limit: Option<WindowLimit>,
    /// Specala: per-key limit on key management; `None` = unlimited.
    pub management_limit: Option<WindowLimit>,
    /// Specala: sliding (default) or fixed windows.
    pub window_kind: WindowKind,
    /// PyAI: per-key rate limit; `None` = unlimited.
    pub rate_limit: Option<RateLimit>,
    /// PyAI: open realtime sessions allowed per key (a key's own setting wins).
    pub realtime_concurrency: u32,
    /// `Retry-After` sent with `concurrency_limit_exceeded` (default 1 s).
    pub concurrency_retry_after: Duration,
    /// Specala: send `Retry-After` with 429 (default false: the seed promises only the status).
    /// PyAI always sends it.
    pub retry_after_on_429: bool,
    /// PyAI: how long a job stays `queued`, then `running`, before `succeeded`
    /// (or `failed` when its `audio_url` contains "fail"). Default 1 s and 2 s.
    pub job_timeline: (Duration, Duration),
    /// Added latency before every API request is processed (default 0).
    pub latency: Duration,
    /// Record the timestamp of every accepted request in the stats (default true).
    pub record_accepted: bool,
    /// Answer in the minimal form (default false: the brief's format): only ids required,
    /// Specala items `id` + `title`, PyAI list items `id` + `status`, numeric `created_at`,
    /// unknown members, list envelopes with extra members and no `next_cursor` on the last
    /// page. Same ids, limits and behaviour.
    pub minimal: bool,
}

impl Config {
    /// Specala defaults: keys `spk_alpha_pro_0001`, `spk_beta_pro_0002`, `spk_alpha_free_0003`;
    /// 3000 transcriptions per workspace; 500/min data, 180/min management, sliding windows.
    pub fn specala() -> Config {
        Config {
            api: Api::Specala,
            keys: KeyConfig::specala_defaults(),
            data_limit: Some(WindowLimit {
                requests: 500,
                window: Duration::from_secs(60),
            }),
            management_limit: Some(WindowLimit {
                requests: 180,
                window: Duration::from_secs(60),
            }),
            ..Config::base(Api::Specala)
        }
    }

    /// PyAI defaults: the seven keys of the crate docs; 50 requests/s burst 10 per key;
    /// 2 concurrent realtime sessions per key.
    pub fn pyai() -> Config {
        Config {
            api: Api::Pyai,
            keys: KeyConfig::pyai_defaults(),
            rate_limit: Some(RateLimit {
                per_second: 50.0,
                burst: 10,
            }),
            ..Config::base(Api::Pyai)
        }
    }

    /// The defaults of `api`.
    pub fn for_api(api: Api) -> Config {
        match api {
            Api::Specala => Config::specala(),
            Api::Pyai => Config::pyai(),
        }
    }

    fn base(api: Api) -> Config {
        Config {
            api,
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            keys: Vec::new(),
            transcriptions_per_workspace: 3000,
            data_limit: None,
            management_limit: None,
            window_kind: WindowKind::Sliding,
            rate_limit: None,
            realtime_concurrency: 2,
            concurrency_retry_after: Duration::from_secs(1),
            retry_after_on_429: false,
            job_timeline: (Duration::from_secs(1), Duration::from_secs(2)),
            latency: Duration::ZERO,
            record_accepted: true,
            minimal: false,
        }
    }

    /// Port to bind (0 = pick a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Interface to bind.
    pub fn host(mut self, host: IpAddr) -> Self {
        self.host = host;
        self
    }

    /// Specala: transcriptions generated per workspace.
    pub fn transcriptions_per_workspace(mut self, n: usize) -> Self {
        self.transcriptions_per_workspace = n;
        self
    }

    /// Specala: per-key limit on the data surface.
    pub fn data_limit(mut self, requests: u32, window: Duration) -> Self {
        self.data_limit = Some(WindowLimit { requests, window });
        self
    }

    /// Specala: per-key limit on key management.
    pub fn management_limit(mut self, requests: u32, window: Duration) -> Self {
        self.management_limit = Some(WindowLimit { requests, window });
        self
    }

    /// Specala: sliding or fixed windows.
    pub fn window_kind(mut self, kind: WindowKind) -> Self {
        self.window_kind = kind;
        self
    }

    /// PyAI: per-key rate limit (GCRA) of `per_second` with `burst`.
    pub fn rate_limit(mut self, per_second: f64, burst: u32) -> Self {
        self.rate_limit = Some(RateLimit {
            per_second,
            burst: burst.max(1),
        });
        self
    }

    /// PyAI: concurrent realtime sessions per key.
    pub fn realtime_concurrency(mut self, n: u32) -> Self {
        self.realtime_concurrency = n;
        self
    }

    /// Specala: whether 429s carry `Retry-After` (PyAI always sends it).
    pub fn retry_after_on_429(mut self, on: bool) -> Self {
        self.retry_after_on_429 = on;
        self
    }

    /// Disables every rate limiter (Specala windows, PyAI GCRA). Daily caps, budgets and the
    /// realtime concurrency cap still apply.
    pub fn no_rate_limits(mut self) -> Self {
        self.data_limit = None;
        self.management_limit = None;
        self.rate_limit = None;
        self
    }

    /// Adds a key, replacing a configured key with the same id or value.
    pub fn key(mut self, key: KeyConfig) -> Self {
        self.keys.retain(|k| k.id != key.id && k.value != key.value);
        self.keys.push(key);
        self
    }

    /// Removes every configured key (add your own with [`Config::key`]).
    pub fn clear_keys(mut self) -> Self {
        self.keys.clear();
        self
    }

    /// PyAI: job status timeline (`queued` for `queued`, then `running` for `running`).
    pub fn job_timeline(mut self, queued: Duration, running: Duration) -> Self {
        self.job_timeline = (queued, running);
        self
    }

    /// Latency added before every API request is processed.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// `Retry-After` sent with `concurrency_limit_exceeded`.
    pub fn concurrency_retry_after(mut self, wait: Duration) -> Self {
        self.concurrency_retry_after = wait;
        self
    }

    /// Whether stats record each accepted request's timestamp (turn off for very long runs).
    pub fn record_accepted(mut self, on: bool) -> Self {
        self.record_accepted = on;
        self
    }

    /// Answer in the minimal form (see the field of that name) instead of the brief's format.
    ///
    /// ```
    /// let c = surefoot_emulator::Config::pyai().minimal(true);
    /// assert!(c.minimal);
    /// ```
    pub fn minimal(mut self, on: bool) -> Self {
        self.minimal = on;
        self
    }
}

impl Default for Config {
    /// The Specala defaults.
    fn default() -> Self {
        Config::specala()
    }
}

/// Parses a rate such as `"500/min"`, `"50/s"`, `"180/60s"`, `"10/250ms"`, `"1000/h"` into
/// (requests, window).
pub fn parse_rate(spec: &str) -> Result<(u32, Duration), String> {
    let (n, per) = spec
        .trim()
        .split_once('/')
        .ok_or_else(|| format!("rate {spec:?} must look like 500/min or 50/s"))?;
    let requests: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("rate {spec:?}: {n:?} is not a whole number"))?;
    let per = per.trim();
    let split = per
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(per.len());
    let (num, unit) = per.split_at(split);
    let count: f64 = if num.is_empty() {
        1.0
    } else {
        num.parse()
            .map_err(|_| format!("rate {spec:?}: bad window {per:?}"))?
    };
    let unit_secs = match unit {
        "ms" => 0.001,
        "s" | "sec" | "second" | "seconds" => 1.0,
        "m" | "min" | "minute" | "minutes" => 60.0,
        "h" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86_400.0,
        _ => return Err(format!("rate {spec:?}: unknown unit {unit:?}")),
    };
    let window = count * unit_secs;
    if requests == 0 || !(window.is_finite() && window > 0.0) {
        return Err(format!("rate {spec:?} must be positive"));
    }
    Ok((requests, Duration::from_secs_f64(window)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rates() {
        assert_eq!(
            parse_rate("500/min").unwrap(),
            (500, Duration::from_secs(60))
        );
        assert_eq!(parse_rate("50/s").unwrap(), (50, Duration::from_secs(1)));
        assert_eq!(
            parse_rate("180/60s").unwrap(),
            (180, Duration::from_secs(60))
        );
        assert_eq!(
            parse_rate("10/250ms").unwrap(),
            (10, Duration::from_millis(250))
        );
        assert!(parse_rate("0/s").is_err());
        assert!(parse_rate("5/fortnight").is_err());
        assert!(parse_rate("5").is_err());
    }
}
