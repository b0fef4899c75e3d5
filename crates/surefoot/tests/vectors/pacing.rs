//! The `pacing` family through Rust's public pacing API: one [`Pacer`] on a
//! [`MemoryStore`], driven by the vector's schedule on tokio's paused (virtual) clock —
//! `send` is [`Pacer::acquire`] (the wait it asks for is recorded), `answer` feeds a server
//! answer exactly as the client's send loop does ([`Pacer::on_answer`],
//! [`Pacer::observe_headers`], then [`Pacer::on_error`] for an error status), `sleep_ms`
//! lets virtual time pass, `try_ms` is [`Pacer::acquire_within`] (a refusal is recorded as
//! `null`). The fleet rules run with `"pacers": N` pacers of one key on one
//! [`MemoryStore::learning_together`] (`"store": "together"`: as N processes on one
//! Redis) or one plain [`MemoryStore`] (`"store": "memory"`, the default: each pacer
//! learning on its own); a step's `"pacer": i` says whose send or answer it is, and
//! `learned_per_s` reports each pacer's learned rate at the end. C and Python expose no
//! pacer of their own (pacing happens inside their clients' calls, on the real clock), so
//! only Rust runs this family.
//!
//! ```ignore
//! let observed = pacing::observe(input)?; // {"waits_ms": [0, 530]}
//! ```

use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Map, Value};
use surefoot::pacing::{MemoryStore, Pacer, RateLimit};
use surefoot::Error;

use super::observe::{ms, only};

type Obj = Map<String, Value>;

pub async fn observe(input: &Obj) -> Result<Value, String> {
    only(
        input,
        &["limit", "steps", "store", "pacers"],
        "pacing input",
    )?;
    let together = match input.get("store").and_then(Value::as_str) {
        None | Some("memory") => false,
        Some("together") => true,
        Some(other) => {
            return Err(format!(
                "`store` must be \"memory\" or \"together\", not {other:?}"
            ))
        }
    };
    let pacers = input
        .get("pacers")
        .and_then(Value::as_u64)
        .unwrap_or(1)
        .clamp(1, 16) as usize;
    let limit = match input.get("limit") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(RateLimit::parse(s).map_err(|e| format!("`limit`: {e}"))?),
        Some(_) => return Err("`limit` must be a rate like \"20/s\" or null".into()),
    };
    let steps = input
        .get("steps")
        .and_then(Value::as_array)
        .cloned()
        .ok_or("`steps` must be an array")?;
    // A runtime of its own, with the clock paused: waits take no real time.
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(run(limit, steps, together, pacers))
    })
    .join()
    .map_err(|_| "the pacing schedule panicked".to_owned())?
}

async fn run(
    limit: Option<RateLimit>,
    steps: Vec<Value>,
    together: bool,
    n: usize,
) -> Result<Value, String> {
    let store = Arc::new(if together {
        MemoryStore::learning_together()
    } else {
        MemoryStore::new()
    });
    let pacers: Vec<Pacer> = (0..n)
        .map(|_| Pacer::new("vector".into(), limit, store.clone()))
        .collect();
    let mut waits = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let s = step
            .as_object()
            .ok_or(format!("steps[{i}] must be an object"))?;
        only(
            s,
            &["send", "answer", "sleep_ms", "pacer", "try_ms"],
            &format!("steps[{i}]"),
        )?;
        let which = s.get("pacer").and_then(Value::as_u64).unwrap_or(0) as usize;
        let pacer = pacers
            .get(which)
            .ok_or(format!("steps[{i}].pacer: there are {n} pacers"))?;
        if let Some(t) = s.get("try_ms") {
            let t = t
                .as_f64()
                .ok_or(format!("steps[{i}].try_ms must be a number"))?;
            match pacer
                .acquire_within(Duration::from_secs_f64(t / 1000.0))
                .await
            {
                Ok(w) => waits.push(ms(Some(w))),
                Err(_) => waits.push(Value::Null),
            }
        }
        if let Some(n) = s.get("send") {
            for _ in 0..n
                .as_u64()
                .ok_or(format!("steps[{i}].send must be a count"))?
            {
                waits.push(ms(Some(pacer.acquire().await)));
            }
        }
        if let Some(a) = s.get("answer") {
            let a = a
                .as_object()
                .ok_or(format!("steps[{i}].answer must be an object"))?;
            only(
                a,
                &["status", "headers", "body"],
                &format!("steps[{i}].answer"),
            )?;
            let status = a.get("status").and_then(Value::as_u64).unwrap_or(200) as u16;
            let mut headers = HeaderMap::new();
            for p in a
                .get("headers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let (Some(n), Some(v)) = (p[0].as_str(), p[1].as_str()) else {
                    return Err(format!("steps[{i}]: headers are [name, value] pairs"));
                };
                headers.append(
                    HeaderName::from_bytes(n.as_bytes())
                        .map_err(|_| format!("bad header {n:?}"))?,
                    HeaderValue::from_str(v).map_err(|_| format!("bad header value {v:?}"))?,
                );
            }
            let body = a.get("body").map(|b| b.to_string()).unwrap_or_default();
            pacer.on_answer(status);
            pacer.observe_headers(&headers).await;
            if status >= 400 {
                pacer
                    .on_error(&Error::from_response(
                        status,
                        &headers,
                        body.as_bytes(),
                        false,
                    ))
                    .await;
            }
        }
        if let Some(d) = s.get("sleep_ms") {
            let d = d
                .as_f64()
                .ok_or(format!("steps[{i}].sleep_ms must be a number"))?;
            tokio::time::sleep(Duration::from_secs_f64(d / 1000.0)).await;
        }
    }
    let mut learned = Vec::new();
    for p in &pacers {
        learned.push(p.state().await.learned.map(|l| {
            let per_s = f64::from(l.requests()) / l.per().as_secs_f64();
            (per_s * 1000.0).round() / 1000.0
        }));
    }
    Ok(json!({ "waits_ms": waits, "learned_per_s": learned }))
}
