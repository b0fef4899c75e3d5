//! The `bulk` family through Rust's public API: `jobs().create_many(items)` against the PyAI
//! emulator, each item a [`surefoot::bulk::Item`] (its job with the vector's explicit key,
//! and its stable id); the keys the results name, the jobs the emulator created, or — when
//! the core's rule refuses an option or a key before anything is sent — that error.

use std::time::Duration;

use serde_json::{json, Map, Value};
use surefoot::bulk::Item;
use surefoot::pyai::CreateJob;
use surefoot_emulator::{Config, Emulator};

use super::idempotency::PYAI_KEY;
use super::observe::only;

type Obj = Map<String, Value>;

fn item(v: &Value) -> Result<Item, String> {
    let obj = v.as_object().ok_or("an item must be an object")?;
    only(
        obj,
        &["audio_url", "idempotency_key", "stable_id"],
        "a bulk item",
    )?;
    let url = obj["audio_url"]
        .as_str()
        .ok_or("`audio_url` must be a string")?;
    let mut job = CreateJob::new(url);
    if let Some(k) = obj.get("idempotency_key").and_then(Value::as_str) {
        job = job.idempotency_key(k);
    }
    let mut item = Item::new(job);
    if let Some(id) = obj.get("stable_id").and_then(Value::as_str) {
        item = item.stable_id(id);
    }
    Ok(item)
}

pub async fn observe(input: &Obj) -> Result<Value, String> {
    only(input, &["items", "concurrency"], "bulk input")?;
    let items = input
        .get("items")
        .and_then(Value::as_array)
        .ok_or("`items` must be an array")?
        .iter()
        .map(item)
        .collect::<Result<Vec<_>, _>>()?;
    let emu = Emulator::start(Config::pyai().no_rate_limits())
        .await
        .map_err(|e| e.to_string())?;
    let client = surefoot::Client::builder()
        .base_url(emu.url())
        .api_key(PYAI_KEY)
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
        .build_pyai()
        .map_err(|e| e.to_string())?;
    let mut run = client.jobs().create_many_items(items);
    if let Some(n) = input.get("concurrency").and_then(Value::as_u64) {
        run = run.concurrency(n as usize);
    }
    let mut results = Vec::new();
    let summary = run.for_each(|r| results.push(r)).await;
    results.sort_by_key(|r| r.index);
    let created =
        serde_json::to_value(emu.stats()).map_err(|e| e.to_string())?["jobs_created"].clone();
    emu.shutdown().await;
    // Refused before sending: the run's error, or an item's key refused by the rule.
    let refused = summary
        .stopped
        .filter(|e| e.kind() == surefoot::ErrorKind::InvalidRequest)
        .or_else(|| {
            results
                .iter()
                .filter_map(|r| r.error())
                .find(|e| e.kind() == surefoot::ErrorKind::InvalidRequest)
                .cloned()
        });
    Ok(match refused {
        Some(e) => {
            json!({"outcome": "refused", "code": e.code(), "message": e.message(), "jobs_created": created})
        }
        None => json!({
            "outcome": "ran",
            "keys": results.iter().map(|r| r.idempotency_key.clone()).collect::<Vec<_>>(),
            "jobs_created": created,
        }),
    })
}
