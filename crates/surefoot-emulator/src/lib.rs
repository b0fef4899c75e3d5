//! # surefoot-emulator
//!
//! An offline emulator of the two APIs surefoot ships clients for — **Specala**
//! (`seeds/000_*.txt`) and **PyAI** (`seeds/003_*.txt`) — served over loopback HTTP/1.1
//! with the seeds' status codes, error shapes and per-key limits, plus fault injection
//! (statuses, delays, resets, truncated or malformed bodies, proxy HTML pages, and
//! "processed but never answered"). Every other part of surefoot is tested against it.
//!
//! ```
//! use surefoot_emulator::{Config, Emulator, Fault};
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let emu = Emulator::start(Config::pyai().rate_limit(5.0, 5)).await?;
//!     emu.inject(Fault::status("POST /v1/transcription/jobs", 1, 503, r#"{"error":"busy"}"#));
//!
//!     let client = reqwest::Client::new();
//!     let create = || {
//!         client
//!             .post(format!("{}/v1/transcription/jobs", emu.url()))
//!             .bearer_auth("pyai_sk_full_0001")
//!             .header("Idempotency-Key", "op-1")
//!             .json(&serde_json::json!({ "audio_url": "https://example.com/a.wav" }))
//!             .send()
//!     };
//!     assert_eq!(create().await.unwrap().status(), 503); // the injected fault
//!     assert_eq!(create().await.unwrap().status(), 201); // the job
//!     let replay = create().await.unwrap();
//!     assert_eq!(replay.headers()["idempotent-replayed"], "true");
//!
//!     let stats = emu.stats();
//!     assert_eq!(stats.jobs_created, 1);
//!     assert_eq!(stats.idempotent_replays, 1);
//!     emu.shutdown().await;
//!     Ok(())
//! }
//! ```
//!
//! Without an async runtime, [`start_blocking`] runs the same server on a private thread.
//! The `surefoot-emulator` binary (`--api specala|pyai`) prints its URL on the first line
//! of stdout, then one line per key (id, plan, restrictions; never the value), and serves
//! until Ctrl-C/SIGTERM.
//!
//! ## Default keys
//!
//! Keys are sent as `Authorization: Bearer <value>`. Stats report the id, never the value.
//!
//! | API | value | id | what it is |
//! |---|---|---|---|
//! | Specala | `spk_alpha_pro_0001` | `key_alpha_pro` | plan `pro`, workspace `ws_alpha` |
//! | Specala | `spk_beta_pro_0002` | `key_beta_pro` | plan `pro`, workspace `ws_beta` |
//! | Specala | `spk_alpha_free_0003` | `key_alpha_free` | plan `free` (no API access → 403 `api_access_denied`), `ws_alpha` |
//! | PyAI | `pyai_sk_full_0001` | `key_full` | secret; `jobs:read jobs:write realtime`; org `org_main` |
//! | PyAI | `pyai_sk_readonly_0002` | `key_readonly` | `jobs:read` only (writes → 403 `forbidden`); `org_main` |
//! | PyAI | `pyai_pk_web_0003` | `key_web` | publishable; origin `https://app.example.com` only (else 403 `origin_not_allowed`); `jobs:read jobs:write`; 100 requests/UTC day; `org_main` |
//! | PyAI | `pyai_sk_sandbox_0004` | `key_sandbox` | sandbox; every scope; 20 requests/UTC day; `org_sandbox` |
//! | PyAI | `pyai_sk_budget_0005` | `key_budget` | every scope; 3 jobs, then 402 `key_budget_exceeded`; `org_main` |
//! | PyAI | `pyai_sk_broke_0006` | `key_broke` | org without credit: creations → 402 `credit_exhausted`; `org_broke` |
//! | PyAI | `pyai_sk_quota_0007` | `key_quota` | plan quota used up: creations → 402 `insufficient_quota`; `org_quota` |
//!
//! Add or replace keys with [`Config::key`] and the [`KeyConfig`] constructors.
//!
//! ## Specala
//!
//! `GET /v1/transcriptions?limit&cursor` (newest first, `{"data", "next_cursor"}`),
//! `GET /v1/transcriptions/{id}`, `GET /v1/transcriptions/{id}/export?format=md|txt`
//! (the document, `text/markdown` or `text/plain`; `format` defaults to `md`),
//! `POST /v1/transcriptions/export` `{"ids": [1..=100], "format"}` (`format` defaults
//! to `md`), `GET /v1/keys`, `POST /v1/keys` `{"name"}` → 201, `DELETE /v1/keys/{id}` → 204.
//! Each workspace holds `transcriptions_per_workspace` (3000) deterministic items
//! `tr_<ws>_000000`…; index 0 is the oldest. Checks run in this order: key in the query
//! (`api_key`, `key`, `token`, `access_token`) or bad bearer → 401 `{"detail": "..."}`;
//! plan → 403; the surface's limit (data 500/min, management 180/min, sliding window by
//! default) → 429 `{"detail": "Rate limit exceeded"}` without `Retry-After` unless
//! [`Config::retry_after_on_429`]; then validation → 422 `{"detail": [{"loc", "msg",
//! "type"}]}` (bad `limit`, bad or foreign `cursor`, bad `format`, empty or >100 `ids`,
//! missing `name`); then 404 `{"detail": "Transcription not found"}` (also for another
//! workspace's ids; the bulk message names the id). Validation errors count against the
//! limit; rejected (401/403/429) requests do not.
//!
//! ## PyAI
//!
//! `POST /v1/transcription/jobs` (`Idempotency-Key` honoured per API key; bodies compared
//! as canonical JSON, raw bytes if not JSON; only 201s are stored), `GET
//! /v1/transcription/jobs?limit&cursor`, `GET /v1/transcription/jobs/{id}`, `POST
//! /v1/realtime/sessions` `{"agent_id"}` (also `?agent_id=`), `DELETE
//! /v1/realtime/sessions/{id}`. Jobs are visible to every key of the same organisation
//! and move `queued` → `running` → `succeeded` after 1 s + 2 s ([`Config::job_timeline`];
//! `failed` when the URL contains "fail"). Order of checks: key in query / missing /
//! unknown → 401 `unauthorized`; publishable origin → 403 `origin_not_allowed`; scope →
//! 403 `forbidden`; daily cap → 429 `daily_cap_exceeded` (`Retry-After` = seconds to the
//! next UTC midnight); rate limit (GCRA, 50/s burst 10) → 429 `rate_limit_exceeded`
//! (`Retry-After` ceil, ≥ 1); then idempotent replay / 409 `idempotency_conflict`;
//! billing → 402 (`credit_exhausted`, `insufficient_quota` on job and session creation;
//! `key_budget_exceeded` on job creation); validation. Envelope errors are
//! `application/json`; problem+json answers (`application/problem+json`, with
//! `request_id`): 400 `invalid_json`, 400 `invalid_limit` (limit not 1–100), 400
//! `invalid_cursor`, 400 `invalid_idempotency_key`, 400 `invalid_agent_id` (empty,
//! control characters, > 64 characters), 404 `not_found`, 405 `method_not_allowed`,
//! 409 `idempotency_conflict`, 422 `validation_error` (missing/invalid `audio_url`,
//! `language`, `metadata`, `agent_id`). Opening more than `realtime_concurrency` (2)
//! sessions per key → 429 `concurrency_limit_exceeded` with `Retry-After: 1`.
//!
//! Every answer, admin routes included, carries `x-request-id: req_<32 hex>`. A request
//! rejected with 429 creates nothing and is not recorded as accepted.
//!
//! ## Admin API (no key, never rate-limited or faulted)
//!
//! - `GET /__emulator/health` → `{"ok": true, "api": "pyai"}`
//! - `GET /__emulator/stats` → [`Stats`] as JSON; `POST /__emulator/stats/reset` → 204
//! - `POST /__emulator/faults` with a [`Fault`], e.g.
//!   `{"route": "POST /v1/transcription/jobs", "count": 1, "action": {"kind": "status",
//!   "status": 503, "body": "", "content_type": null, "headers": [["retry-after", "1"]]}}`;
//!   other kinds: `{"kind": "delay", "ms": 200}`, `reset`, `truncated`, `malformed`,
//!   `{"kind": "html", "status": 502}`, `drop_after_processing`. `count` defaults to 1;
//!   0 means until cleared. → 201 `{"faults": [...]}`; 400 `{"error"}` if invalid.
//! - `GET /__emulator/faults` → `{"faults": [...]}`; `DELETE /__emulator/faults` → 204
//! - `GET /__emulator/keys` → `{"api": "pyai", "data": [KeyConfig...]}` (active keys)
//! - `POST /__emulator/chaos` with a [`Chaos`] (`{"seed": 7}`, rates optional) turns on
//!   seeded random faults for every request no explicit fault caught: 503s, resets,
//!   drops after processing, truncated and stalled bodies, 429 storms → 201
//!   [`ChaosReport`]; `GET` → the counts per fault so far; `DELETE` → 200 the last
//!   report, chaos off. The binary's `--chaos-seed N` starts with the default rates on.
//!
//! Faults are checked in injection order, before authentication; the first matching one
//! fires. Stats count requests per route template and status; connections closed without
//! an answer are counted under `"reset"` or `"dropped"`.

#![warn(missing_docs)]

mod admin;
mod auth;
mod blocking;
mod breakage;
mod chaos;
mod clock;
mod config;
mod corpus;
mod faults;
mod keys;
mod limits;
mod minimal;
mod pyai;
pub mod replay;
mod responses;
mod server;
mod specala;
mod state;
mod stats;

use std::io;
use std::net::SocketAddr;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use blocking::{start_blocking, BlockingEmulator};
pub use chaos::{
    Chaos, ChaosReport, CHAOS_503, CHAOS_DROPPED, CHAOS_RESET, CHAOS_SLOW, CHAOS_STORMS,
    CHAOS_STORM_429, CHAOS_TRUNCATED,
};
pub use config::{parse_rate, Api, Config, RateLimit, WindowKind, WindowLimit};
pub use faults::{Fault, FaultAction};
pub use keys::{KeyConfig, KeyKind, SCOPE_JOBS_READ, SCOPE_JOBS_WRITE, SCOPE_REALTIME};
pub use stats::{
    Concurrency, Stats, STATUS_DROPPED, STATUS_RESET, SURFACE_DATA, SURFACE_MANAGEMENT,
};

use state::{Control, Shared};

/// Entry point: `Emulator::start(config)`.
pub struct Emulator;

impl Emulator {
    /// Binds `config.host:config.port` and serves in the current tokio runtime.
    pub async fn start(config: Config) -> io::Result<EmulatorHandle> {
        let shared = Shared::new(config);
        let running = server::spawn(shared.clone()).await?;
        tracing::info!(addr = %running.addr, api = shared.config.api.as_str(), "emulator listening");
        Ok(EmulatorHandle {
            addr: running.addr,
            control: Control(shared),
            shutdown: running.shutdown,
            task: Some(running.task),
        })
    }
}

/// A running emulator. Dropping it stops the server gracefully in the background;
/// [`EmulatorHandle::shutdown`] does the same and waits for it.
pub struct EmulatorHandle {
    addr: SocketAddr,
    control: Control,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl EmulatorHandle {
    /// Base URL, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API served.
    pub fn api(&self) -> Api {
        self.control.0.config.api
    }

    /// Adds a fault (same semantics as `POST /__emulator/faults`).
    pub fn inject(&self, fault: Fault) {
        self.control.inject(fault);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.control.clear_faults();
    }

    /// Turns seeded random faults on (`Some`) or off (same as `POST`/`DELETE
    /// /__emulator/chaos`); either way the counters start again from zero.
    ///
    /// ```
    /// # #[tokio::main] async fn main() -> std::io::Result<()> {
    /// use surefoot_emulator::{Chaos, Config, Emulator};
    /// let emu = Emulator::start(Config::pyai()).await?;
    /// emu.set_chaos(Some(Chaos { p_503: 1.0, p_storm: 0.0, ..Chaos::seeded(7) }));
    /// let r = reqwest::Client::new().get(format!("{}/v1/transcription/jobs", emu.url()))
    ///     .bearer_auth("pyai_sk_full_0001").send().await.unwrap();
    /// assert_eq!(r.status(), 503);
    /// assert_eq!(emu.chaos_report().injected["503"], 1);
    /// # Ok(()) }
    /// ```
    pub fn set_chaos(&self, chaos: Option<Chaos>) {
        chaos::set(&self.control.0, chaos);
    }

    /// What chaos injected so far (same JSON as `GET /__emulator/chaos`).
    pub fn chaos_report(&self) -> ChaosReport {
        chaos::report_of(&self.control.0)
    }

    /// The active faults, in check order.
    pub fn faults(&self) -> Vec<Fault> {
        self.control.faults()
    }

    /// A snapshot of the counters (same JSON as `GET /__emulator/stats`).
    pub fn stats(&self) -> Stats {
        self.control.stats()
    }

    /// Zeroes the counters.
    pub fn reset_stats(&self) {
        self.control.reset_stats();
    }

    /// The active keys (configured and created, not revoked).
    pub fn keys(&self) -> Vec<KeyConfig> {
        self.control.keys()
    }

    /// Stops accepting, lets in-flight requests finish (up to 5 s), and waits.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

#[cfg(test)]
mod tests {
    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn handles_are_send_and_sync() {
        send_sync::<super::EmulatorHandle>();
        send_sync::<super::BlockingEmulator>();
        send_sync::<super::Config>();
        send_sync::<super::Stats>();
    }
}
