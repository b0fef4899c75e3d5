//! The `idempotency` family through Rust's public API: a PyAI emulator whose job creation
//! route drops the connection after committing (`Fault::drop_after_processing`) the
//! vector's number of times, and a [`surefoot::pyai::Client`] creating one job. The
//! emulator counts the jobs it created and the idempotent replays it answered: a replay is
//! only answered to the same key with the same body bytes (else a second job, or a 409
//! `idempotency_conflict`), so "one job, `drops` replays, no conflict" proves the retry
//! carried the same key and the same bytes.
//!
//! ```ignore
//! let observed = idempotency::observe(input).await?;
//! ```

use std::time::Duration;

use serde_json::{json, Map, Value};
use surefoot::pyai::CreateJob;
use surefoot_emulator::{Config, Emulator, Fault};

use super::observe::only;

type Obj = Map<String, Value>;

/// The PyAI emulator's default full-scope key (its README lists it; not a secret).
pub const PYAI_KEY: &str = "pyai_sk_full_0001";
pub const ROUTE: &str = "POST /v1/transcription/jobs";

pub async fn observe(input: &Obj) -> Result<Value, String> {
    only(
        input,
        &["drops", "audio_url", "idempotency_key", "max_retries"],
        "idempotency input",
    )?;
    let drops = input
        .get("drops")
        .and_then(Value::as_u64)
        .ok_or("`drops` must be a count")? as u32;
    let audio_url = input
        .get("audio_url")
        .and_then(Value::as_str)
        .ok_or("`audio_url` must be a string")?;
    let emu = Emulator::start(Config::pyai())
        .await
        .map_err(|e| e.to_string())?;
    emu.inject(Fault::drop_after_processing(ROUTE, drops));
    let mut b = surefoot::Client::builder()
        .base_url(emu.url())
        .api_key(PYAI_KEY)
        .backoff(Duration::from_millis(1), Duration::from_millis(5));
    if let Some(n) = input.get("max_retries").and_then(Value::as_u64) {
        b = b.max_retries(n as u32);
    }
    let client = b.build_pyai().map_err(|e| e.to_string())?;
    let mut params = CreateJob::new(audio_url);
    if let Some(k) = input.get("idempotency_key").and_then(Value::as_str) {
        params = params.idempotency_key(k);
    }
    let result = client.jobs().create(params).await;
    let stats = serde_json::to_value(emu.stats()).map_err(|e| e.to_string())?;
    let requests: u64 = stats["requests"][ROUTE]
        .as_object()
        .map_or(0, |m| m.values().filter_map(Value::as_u64).sum());
    let mut out = json!({
        "jobs_created": stats["jobs_created"],
        "idempotent_replays": stats["idempotent_replays"],
        "idempotency_conflicts": stats["idempotency_conflicts"],
        "requests": requests,
    });
    match result {
        Ok(job) => {
            out["outcome"] = json!("created");
            out["audio_url"] = json!(job.audio_url());
        }
        Err(e) => {
            out["outcome"] = json!("error");
            out["error_code"] = json!(e.code());
            out["error_kind"] = json!(e.kind().as_str());
            out["idempotency_key"] = json!(e.idempotency_key());
        }
    }
    emu.shutdown().await;
    Ok(out)
}
