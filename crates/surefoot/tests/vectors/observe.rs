//! What the Rust surface shows of each conformance vector: every family is run through
//! surefoot's public API — `errors`, `retry_after`, `pagination` and `security` through a
//! real [`surefoot::Client`] call over loopback against the replay server
//! (`surefoot_emulator::replay`), `idempotency` against the PyAI emulator with a
//! dropped-after-commit fault, `retry_decision` through [`RetryPolicy::decide`] and the
//! retry budget, `pacing` through [`surefoot::pacing::Pacer`] on tokio's paused clock.
//! Each function returns the observed result with the member names of the vector's
//! `expected` (tests/vectors/README.md), or `{"error": …}` when the vector cannot be run.
//!
//! ```ignore
//! let observed = observe(&ctx, &vector).await;
//! ```

use std::time::Duration;

use futures::StreamExt;
use serde_json::{json, Map, Value};
use surefoot::retry::{Decision, RetryPolicy};
use surefoot::{Client, Error};

type Obj = Map<String, Value>;

/// Where a vector's script is served: `{replay}/v/{file}/{index}/{session}`.
pub struct Ctx {
    pub replay: String,
    pub file: String,
    pub index: usize,
    pub session: String,
}

impl Ctx {
    fn base(&self) -> String {
        format!(
            "{}/v/{}/{}/{}",
            self.replay, self.file, self.index, self.session
        )
    }

    /// The requests the replay server received for this vector.
    async fn log(&self) -> Result<Vec<Value>, String> {
        let client = Client::builder()
            .base_url(self.replay.clone())
            .disable_pacing()
            .max_retries(0)
            .build()
            .map_err(|e| e.to_string())?;
        let r = client
            .get(format!(
                "/log/{}/{}/{}",
                self.file, self.index, self.session
            ))
            .send()
            .await
            .map_err(|e| format!("cannot read the replay log: {e}"))?;
        let v: Value = r.json().map_err(|e| e.to_string())?;
        Ok(v["requests"].as_array().cloned().unwrap_or_default())
    }
}

pub const FAMILIES: [&str; 9] = [
    "errors",
    "retry_after",
    "retry_decision",
    "retries",
    "pagination",
    "security",
    "idempotency",
    "pacing",
    "bulk",
];

/// Runs one vector; `options` vectors have runners of their own and are never passed here.
pub async fn observe(ctx: &Ctx, v: &Value) -> Value {
    match observe_inner(ctx, v).await {
        Ok(o) => o,
        Err(e) => json!({ "error": e }),
    }
}

async fn observe_inner(ctx: &Ctx, v: &Value) -> Result<Value, String> {
    let obj = v.as_object().ok_or("a vector must be an object")?;
    only(
        obj,
        &["family", "name", "note", "readme", "input", "expected"],
        "a vector",
    )?;
    let input = obj
        .get("input")
        .and_then(Value::as_object)
        .ok_or("the vector has no `input` object")?;
    match obj.get("family").and_then(Value::as_str) {
        Some("errors") => errors(ctx, input).await,
        Some("retry_after") => retry_after(ctx, input).await,
        Some("retry_decision") => super::decision::observe(input),
        Some("retries") => retries(ctx, input).await,
        Some("pagination") => pagination(ctx, input).await,
        Some("security") => security(ctx, input).await,
        Some("idempotency") => super::idempotency::observe(input).await,
        Some("pacing") => super::pacing::observe(input).await,
        Some("bulk") => super::bulk::observe(input).await,
        other => Err(format!("unknown family {other:?}")),
    }
}

pub fn only(obj: &Obj, allowed: &[&str], what: &str) -> Result<(), String> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!(
            "unknown member `{k}` in {what} (allowed: {})",
            allowed.join(", ")
        )),
        None => Ok(()),
    }
}

/// A duration as milliseconds: an integer when whole, else a fraction; `null` for none.
pub fn ms(d: Option<Duration>) -> Value {
    match d {
        None => Value::Null,
        Some(d) if d.as_nanos() % 1_000_000 == 0 => json!(d.as_millis() as u64),
        Some(d) => json!(d.as_nanos() as f64 / 1e6),
    }
}

/// What the failure-shaped observations show of an error, through its accessors.
pub fn error_json(e: &Error) -> Value {
    json!({
        "status": e.status(),
        "code": e.code(),
        "kind": e.kind().as_str(),
        "retryable": e.is_retryable(),
        "retry_after_ms": ms(e.retry_after()),
        "message": e.message(),
        "message_chars": e.message().chars().count(),
        "request_id": e.request_id(),
    })
}

const RESPONSE: [&str; 7] = [
    "status",
    "headers",
    "content_type",
    "body",
    "body_json",
    "body_base64",
    "body_repeat",
];

/// A client of the replay server for one vector: no retries, no pacing.
fn plain_client(ctx: &Ctx) -> Result<Client, String> {
    Client::builder()
        .base_url(ctx.base())
        .max_retries(0)
        .disable_pacing()
        .build()
        .map_err(|e| format!("cannot build the client: {e}"))
}

async fn call(ctx: &Ctx) -> Result<Result<surefoot::Response, Error>, String> {
    Ok(plain_client(ctx)?.get("/call").send().await)
}

async fn errors(ctx: &Ctx, input: &Obj) -> Result<Value, String> {
    only(input, &RESPONSE, "errors input")?;
    Ok(match call(ctx).await? {
        Err(e) => error_json(&e),
        Ok(r) => json!({ "status": r.status().as_u16(), "succeeded": true }),
    })
}

async fn retry_after(ctx: &Ctx, input: &Obj) -> Result<Value, String> {
    only(input, &["headers", "now"], "retry_after input")?;
    Ok(match call(ctx).await? {
        Err(e) if e.status() == Some(429) => json!({
            "wait_ms": e.retry_after().map_or(json!("ignore"), |d| ms(Some(d))),
        }),
        Err(e) => json!({ "error": format!("the 429 came back as {e}") }),
        Ok(r) => json!({ "error": format!("the 429 came back as {}", r.status()) }),
    })
}

/// The idempotency key the runner sends when a `retries` vector asks for one.
pub const VECTOR_KEY: &str = "vector-key-0001";

async fn retries(ctx: &Ctx, input: &Obj) -> Result<Value, String> {
    only(
        input,
        &[
            "method",
            "idempotency_key",
            "max_retries",
            "max_retry_wait_ms",
            "responses",
        ],
        "retries input",
    )?;
    let mut b = Client::builder()
        .base_url(ctx.base())
        .backoff(Duration::from_millis(1), Duration::from_millis(1))
        .disable_pacing();
    if let Some(n) = input.get("max_retries").and_then(Value::as_u64) {
        b = b.max_retries(n as u32);
    }
    if let Some(ms) = input.get("max_retry_wait_ms").and_then(Value::as_u64) {
        b = b.max_retry_wait(Duration::from_millis(ms));
    }
    let client = b
        .build()
        .map_err(|e| format!("cannot build the client: {e}"))?;
    let method = input.get("method").and_then(Value::as_str).unwrap_or("GET");
    let method = http::Method::from_bytes(method.as_bytes())
        .map_err(|_| format!("bad method {method:?}"))?;
    let mut request = client.request(method, "/call");
    if input
        .get("idempotency_key")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        request = request.idempotency_key(VECTOR_KEY);
    }
    let result = request.send().await;
    let log = ctx.log().await?;
    let keys: Vec<Option<String>> = log
        .iter()
        .map(|r| {
            r["headers"].as_array().and_then(|h| {
                h.iter()
                    .find(|p| {
                        p[0].as_str()
                            .is_some_and(|n| n.eq_ignore_ascii_case("idempotency-key"))
                    })
                    .and_then(|p| p[1].as_str().map(str::to_owned))
            })
        })
        .collect();
    let same_key = if keys.iter().all(Option::is_none) {
        Value::Null
    } else {
        json!(keys.iter().all(|k| k.is_some() && *k == keys[0]))
    };
    let mut out = json!({ "attempts": log.len(), "same_idempotency_key": same_key });
    match result {
        Ok(r) => {
            out["outcome"] = json!("ok");
            out["status"] = json!(r.status().as_u16());
            out["client_attempts"] = json!(r.attempts());
        }
        Err(e) => {
            out["outcome"] = json!("error");
            out["status"] = json!(e.status());
            out["client_attempts"] = json!(e.attempts());
            out["error_code"] = json!(e.code());
            out["stop_reason"] = json!(e.stop_reason().map(|r| r.as_str()));
            out["retry_after_ms"] = ms(e.retry_after());
        }
    }
    Ok(out)
}

async fn pagination(ctx: &Ctx, input: &Obj) -> Result<Value, String> {
    only(
        input,
        &["limit", "prefetch", "start_cursor", "max_retries", "pages"],
        "pagination input",
    )?;
    let client = Client::builder()
        .base_url(ctx.base())
        .max_retries(
            input
                .get("max_retries")
                .and_then(Value::as_u64)
                .unwrap_or(0) as u32,
        )
        .backoff(Duration::from_millis(1), Duration::from_millis(1))
        .disable_pacing()
        .build()
        .map_err(|e| format!("cannot build the client: {e}"))?;
    let mut walk = client.paginate::<Value>("/items").prefetch(
        input
            .get("prefetch")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    );
    if let Some(limit) = input.get("limit").and_then(Value::as_u64) {
        walk = walk.limit(limit as u32);
    }
    if let Some(c) = input.get("start_cursor").and_then(Value::as_str) {
        walk = walk.start_cursor(c);
    }
    let mut items = Vec::new();
    let mut failure = None;
    while let Some(next) = walk.next().await {
        match next {
            Ok(item) => items.push(item),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
        if items.len() > 100_000 {
            return Err("the walk yielded more than 100000 items".into());
        }
    }
    drop(walk);
    let log = ctx.log().await?;
    let mut out = json!({
        "items": items,
        "cursors": log.iter().map(|r| r["cursor"].clone()).collect::<Vec<_>>(),
        "limits": log.iter().map(|r| r["limit"].clone()).collect::<Vec<_>>(),
        "stopped": if failure.is_some() { "error" } else { "end" },
        "error_code": null, "error_kind": null, "error_status": null, "error_message": null,
    });
    if let Some(e) = failure {
        out["error_code"] = json!(e.code());
        out["error_kind"] = json!(e.kind().as_str());
        out["error_status"] = json!(e.status());
        out["error_message"] = json!(e.message());
    }
    Ok(out)
}

async fn security(ctx: &Ctx, input: &Obj) -> Result<Value, String> {
    only(
        input,
        &["check", "key", "url", "allow_insecure_http"],
        "security input",
    )?;
    let key = input.get("key").and_then(Value::as_str);
    let mut url_out = Value::Null;
    let result: Result<(), Error> = match input.get("check").and_then(Value::as_str) {
        Some("api_key") => {
            let key = key.ok_or("an api_key check needs `key`")?;
            Client::builder()
                .base_url(ctx.base())
                .api_key(key)
                .build()
                .map(drop)
        }
        Some("base_url") => {
            let url = input
                .get("url")
                .and_then(Value::as_str)
                .ok_or("a base_url check needs `url`")?;
            let allow = input
                .get("allow_insecure_http")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            Client::builder()
                .base_url(url)
                .allow_insecure_http(allow)
                .build()
                .map(|c| {
                    url_out = json!(c.base_url().as_str());
                })
        }
        Some("url_has_no_key") => {
            // The request the vector's URL describes, sent to the replay server: its path,
            // query and fragment below the vector's base path.
            let url = input
                .get("url")
                .and_then(Value::as_str)
                .ok_or("a url_has_no_key check needs `url`")?;
            let rest = url
                .split_once("://")
                .and_then(|(_, r)| r.find('/').map(|i| &r[i..]))
                .ok_or("`url` has no path")?;
            let mut b = Client::builder()
                .base_url(ctx.base())
                .max_retries(0)
                .disable_pacing();
            if let Some(k) = key {
                b = b.api_key(k);
            }
            let client = b
                .build()
                .map_err(|e| format!("cannot build the client: {e}"))?;
            client.get(rest).send().await.map(drop)
        }
        other => return Err(format!("unknown check {other:?}")),
    };
    Ok(match result {
        Ok(()) => {
            json!({"accepted": true, "code": null, "kind": null, "message": null, "key_in_message": null, "url": url_out})
        }
        Err(e) => {
            let key_in_message = key
                .map(str::trim)
                .filter(|k| k.len() >= 8)
                .map_or(Value::Null, |k| {
                    json!(e.to_string().contains(k) || e.message().contains(k))
                });
            json!({
                "accepted": false, "code": e.code(), "kind": e.kind().as_str(),
                "message": e.message(), "key_in_message": key_in_message, "url": null,
            })
        }
    })
}

pub fn policy_of(v: Option<&Value>) -> Result<RetryPolicy, String> {
    let mut p = RetryPolicy::default();
    let Some(o) = v.and_then(Value::as_object) else {
        return Ok(p);
    };
    only(
        o,
        &["max_retries", "base_ms", "cap_ms", "max_retry_wait_ms"],
        "policy",
    )?;
    let ms_of = |k: &str| {
        o.get(k)
            .and_then(Value::as_f64)
            .map(|m| Duration::from_secs_f64(m / 1000.0))
    };
    if let Some(n) = o.get("max_retries").and_then(Value::as_u64) {
        p.max_retries = n as u32;
    }
    if let Some(d) = ms_of("base_ms") {
        p.base = d;
    }
    if let Some(d) = ms_of("cap_ms") {
        p.cap = d;
    }
    if let Some(d) = ms_of("max_retry_wait_ms") {
        p.max_retry_wait = d;
    }
    Ok(p)
}

pub fn decision_json(decision: &Decision) -> (Value, Value, Value, Value) {
    match decision {
        Decision::Retry { after } => (json!("retry"), ms(Some(*after)), Value::Null, Value::Null),
        Decision::Fail {
            retry_after,
            reason,
        } => (
            json!("fail"),
            Value::Null,
            json!(reason.as_str()),
            ms(*retry_after),
        ),
    }
}
