//! The PyAI API (`seeds/003_*.txt` plus the brief's paths and shapes): transcription jobs
//! (create with `Idempotency-Key`, get, list newest first) and realtime sessions (open,
//! close, a per-key concurrency cap). Gateway errors — auth, origin, scope, daily cap,
//! rate limit, billing — use the OpenAI envelope; control-plane errors — validation, not
//! found, bad cursor, idempotency conflict — use `application/problem+json`. Jobs move
//! `queued` → `running` → `succeeded` (or `failed` if the URL contains "fail") on the
//! configured timeline, so reads are deterministic for a given elapsed time.

// Handlers answer errors as `Err(Response)`; that is the normal path here, not a cost to box.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Extension, Router};
use bytes::Bytes;
use serde_json::{json, Value};

use crate::auth::{bearer, key_in_query, query_pairs, query_param};
use crate::clock::{now_rfc3339, retry_after_secs, secs_to_utc_midnight, utc_day};
use crate::config::Config;
use crate::keys::{KeyConfig, KeyKind, SCOPE_JOBS_READ, SCOPE_JOBS_WRITE, SCOPE_REALTIME};
use crate::limits::Gcra;
use crate::minimal;
use crate::responses::{
    decode_cursor, empty, encode_cursor, envelope, json, problem, problem_with, retry_after,
    with_body, RequestId,
};
use crate::state::{lock, Shared, World};
use crate::stats::SURFACE_DATA;

/// Route templates, as reported in stats.
pub(crate) const ROUTES: &[&str] = &[
    "POST /v1/transcription/jobs",
    "GET /v1/transcription/jobs",
    "GET /v1/transcription/jobs/{id}",
    "POST /v1/realtime/sessions",
    "DELETE /v1/realtime/sessions/{id}",
];

const MAX_AGENT_ID: usize = 64;
const MAX_IDEMPOTENCY_KEY: usize = 255;
const MAX_AUDIO_URL: usize = 2048;

/// A job as stored.
struct Job {
    id: String,
    audio_url: String,
    language: Value,
    metadata: Value,
    created_at: String,
    created: Instant,
}

/// An organisation's jobs in creation order.
#[derive(Default)]
struct OrgJobs {
    jobs: Vec<Job>,
    index: HashMap<String, usize>,
}

struct Session {
    key_id: String,
}

/// What an idempotency key was first used with.
struct Stored {
    body: Fingerprint,
    status: StatusCode,
    response: Bytes,
}

/// A request body for comparison: canonical JSON if it parses, raw bytes otherwise.
#[derive(PartialEq)]
enum Fingerprint {
    Json(Value),
    Raw(Bytes),
}

impl Fingerprint {
    fn of(body: &Bytes) -> Fingerprint {
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => Fingerprint::Json(v),
            Err(_) => Fingerprint::Raw(body.clone()),
        }
    }
}

/// PyAI's mutable data.
#[derive(Default)]
pub(crate) struct PyaiData {
    next_job: u64,
    next_session: u64,
    orgs: HashMap<String, OrgJobs>,
    sessions: HashMap<String, Session>,
    open_per_key: HashMap<String, u32>,
    jobs_per_key: HashMap<String, u32>,
    idempotency: HashMap<(String, String), Stored>,
}

/// The PyAI router.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v1/transcription/jobs", post(create_job).get(list_jobs))
        .route("/v1/transcription/jobs/{id}", get(get_job))
        .route("/v1/realtime/sessions", post(create_session))
        .route("/v1/realtime/sessions/{id}", delete(delete_session))
        .fallback(
            |Extension(rid): Extension<RequestId>, method: Method, uri: Uri| async move {
                problem(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    &format!("No route for {method} {}.", uri.path()),
                    &rid,
                )
            },
        )
        .method_not_allowed_fallback(
            |Extension(rid): Extension<RequestId>, method: Method, uri: Uri| async move {
                problem(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method_not_allowed",
                    &format!("{method} is not allowed on {}.", uri.path()),
                    &rid,
                )
            },
        )
}

fn unauthorized(message: &str) -> Response {
    envelope(
        StatusCode::UNAUTHORIZED,
        "authentication_error",
        "unauthorized",
        message,
    )
}

/// Authentication, origin, scope, daily cap and rate limit.
fn gate(s: &Shared, headers: &HeaderMap, uri: &Uri, scope: &str) -> Result<KeyConfig, Response> {
    if key_in_query(uri) {
        return Err(unauthorized(
            "API keys are not accepted in the URL. Send the key in the Authorization header.",
        ));
    }
    let Some(token) = bearer(headers) else {
        return Err(unauthorized(
            "Missing API key. Send it as 'Authorization: Bearer <key>'.",
        ));
    };
    let mut w = lock(&s.world);
    let Some(key) = w.keys.by_value(token).cloned() else {
        return Err(unauthorized("Incorrect API key provided."));
    };
    if key.kind == KeyKind::Publishable {
        let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
        if !origin.is_some_and(|o| key.allowed_origins.iter().any(|a| a == o)) {
            return Err(envelope(
                StatusCode::FORBIDDEN,
                "permission_error",
                "origin_not_allowed",
                &format!(
                    "Origin {} is not allowed for this publishable key.",
                    origin.map_or("(none)".to_string(), |o| format!("'{o}'"))
                ),
            ));
        }
    }
    if !key.has_scope(scope) {
        return Err(envelope(
            StatusCode::FORBIDDEN,
            "permission_error",
            "forbidden",
            &format!("This key lacks the required scope: {scope}."),
        ));
    }
    let now = Instant::now();
    let wall = SystemTime::now();
    if let Some(cap) = key.daily_cap {
        if !w
            .daily
            .entry(key.id.clone())
            .or_default()
            .has_room(utc_day(wall), cap)
        {
            drop(w);
            lock(&s.stats).stats_mut().daily_cap_rejected += 1;
            let r = envelope(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                "daily_cap_exceeded",
                &format!(
                    "Daily cap of {cap} requests reached for this key. It resets at 00:00 UTC."
                ),
            );
            return Err(retry_after(r, secs_to_utc_midnight(wall)));
        }
    }
    if let Some(rl) = s.config.rate_limit {
        let at = s.secs(now);
        let bucket = w
            .gcra
            .entry(key.id.clone())
            .or_insert_with(|| Gcra::new(rl));
        if let Err(wait) = bucket.try_acquire(at) {
            drop(w);
            lock(&s.stats).stats_mut().rate_limited += 1;
            let r = envelope(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                "rate_limit_exceeded",
                "Rate limit exceeded.",
            );
            return Err(retry_after(r, retry_after_secs(wait)));
        }
    }
    if key.daily_cap.is_some() {
        w.daily.entry(key.id.clone()).or_default().consume();
    }
    lock(&s.stats).accepted(&key.id, SURFACE_DATA, now);
    Ok(key)
}

/// 402s for creating billable things (jobs, sessions).
fn billing(key: &KeyConfig) -> Result<(), Response> {
    if key.credit_exhausted {
        return Err(envelope(
            StatusCode::PAYMENT_REQUIRED,
            "billing_error",
            "credit_exhausted",
            "Your organization has run out of prepaid credit. Add credit to continue.",
        ));
    }
    if key.quota_exhausted {
        return Err(envelope(
            StatusCode::PAYMENT_REQUIRED,
            "insufficient_quota",
            "insufficient_quota",
            "You exceeded your current quota, please check your plan and billing details.",
        ));
    }
    Ok(())
}

fn invalid(rid: &RequestId, field: &str, message: &str) -> Response {
    problem_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        message,
        rid,
        json!({ "errors": [{ "field": field, "message": message }] }),
    )
}

/// Parses a JSON object body (empty = `{}`), or the error answer.
fn object_body(body: &Bytes, rid: &RequestId) -> Result<serde_json::Map<String, Value>, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(invalid(
            rid,
            "body",
            "The request body must be a JSON object.",
        )),
        Err(e) => Err(problem(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            &format!("The request body is not valid JSON: {e}."),
            rid,
        )),
    }
}

fn valid_audio_url(u: &str) -> bool {
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"));
    u.len() <= MAX_AUDIO_URL
        && rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
        && !u.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Validated creation fields: (audio_url, language, metadata).
fn job_fields(
    obj: &serde_json::Map<String, Value>,
    rid: &RequestId,
) -> Result<(String, Value, Value), Response> {
    let audio_url = match obj.get("audio_url") {
        None | Some(Value::Null) => {
            return Err(invalid(rid, "audio_url", "audio_url is required."))
        }
        Some(Value::String(u)) if valid_audio_url(u) => u.clone(),
        Some(_) => {
            return Err(invalid(
                rid,
                "audio_url",
                "audio_url must be an absolute http(s) URL.",
            ))
        }
    };
    let language = match obj.get("language") {
        None | Some(Value::Null) => Value::Null,
        Some(Value::String(l)) if !l.is_empty() && l.len() <= 35 => json!(l),
        Some(_) => {
            return Err(invalid(
                rid,
                "language",
                "language must be a language tag such as \"en\".",
            ))
        }
    };
    let metadata = match obj.get("metadata") {
        None | Some(Value::Null) => Value::Null,
        Some(m @ Value::Object(_)) => m.clone(),
        Some(_) => return Err(invalid(rid, "metadata", "metadata must be a JSON object.")),
    };
    Ok((audio_url, language, metadata))
}

fn job_json(job: &Job, config: &Config, now: Instant) -> Value {
    let elapsed = now.saturating_duration_since(job.created);
    let (queued, running) = config.job_timeline;
    let status = if elapsed < queued {
        "queued"
    } else if elapsed < queued + running {
        "running"
    } else if job.audio_url.contains("fail") {
        "failed"
    } else {
        "succeeded"
    };
    let full = json!({
        "id": job.id,
        "status": status,
        "audio_url": job.audio_url,
        "language": job.language,
        "metadata": job.metadata,
        "created_at": job.created_at,
    });
    if config.minimal {
        minimal::job(full)
    } else {
        full
    }
}

/// The `Idempotency-Key` header, validated; `Ok(None)` when absent.
fn idempotency_key(headers: &HeaderMap, rid: &RequestId) -> Result<Option<String>, Response> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    match v.to_str() {
        Ok(k) if !k.is_empty() && k.len() <= MAX_IDEMPOTENCY_KEY => Ok(Some(k.to_string())),
        _ => Err(problem(
            StatusCode::BAD_REQUEST,
            "invalid_idempotency_key",
            "Idempotency-Key must be 1-255 visible ASCII characters.",
            rid,
        )),
    }
}

/// `POST /v1/transcription/jobs` `{"audio_url", "language"?, "metadata"?}` → 201 job.
async fn create_job(
    State(s): State<Arc<Shared>>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let key = match gate(&s, &headers, &uri, SCOPE_JOBS_WRITE) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let idem = match idempotency_key(&headers, &rid) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let mut w = lock(&s.world);
    if let Some(ik) = &idem {
        if let Some(stored) = w.pyai.idempotency.get(&(key.id.clone(), ik.clone())) {
            if stored.body == Fingerprint::of(&body) {
                let mut r = with_body(stored.status, "application/json", stored.response.clone());
                r.headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
                drop(w);
                lock(&s.stats).stats_mut().idempotent_replays += 1;
                return r;
            }
            drop(w);
            lock(&s.stats).stats_mut().idempotency_conflicts += 1;
            return problem(
                StatusCode::CONFLICT,
                "idempotency_conflict",
                "Idempotency-Key was reused with a different request body.",
                &rid,
            );
        }
    }
    if let Err(r) = billing(&key) {
        return r;
    }
    if let Some(budget) = key.job_budget {
        if w.pyai.jobs_per_key.get(&key.id).copied().unwrap_or(0) >= budget {
            return envelope(
                StatusCode::PAYMENT_REQUIRED,
                "billing_error",
                "key_budget_exceeded",
                &format!("This key has reached its monthly budget of {budget} jobs."),
            );
        }
    }
    let (audio_url, language, metadata) =
        match object_body(&body, &rid).and_then(|obj| job_fields(&obj, &rid)) {
            Ok(f) => f,
            Err(r) => return r,
        };
    let response = create_job_locked(&mut w, &s.config, &key, audio_url, language, metadata);
    if let Some(ik) = idem {
        w.pyai.idempotency.insert(
            (key.id.clone(), ik),
            Stored {
                body: Fingerprint::of(&body),
                status: StatusCode::CREATED,
                response: response.clone(),
            },
        );
    }
    lock(&s.stats).stats_mut().jobs_created += 1;
    drop(w);
    with_body(StatusCode::CREATED, "application/json", response)
}

fn create_job_locked(
    w: &mut World,
    config: &Config,
    key: &KeyConfig,
    audio_url: String,
    language: Value,
    metadata: Value,
) -> Bytes {
    let p = &mut w.pyai;
    p.next_job += 1;
    let job = Job {
        id: format!("job_{:08}", p.next_job),
        audio_url,
        language,
        metadata,
        created_at: now_rfc3339(),
        created: Instant::now(),
    };
    let body = Bytes::from(job_json(&job, config, job.created).to_string());
    *p.jobs_per_key.entry(key.id.clone()).or_default() += 1;
    let org = p.orgs.entry(key.workspace.clone()).or_default();
    org.index.insert(job.id.clone(), org.jobs.len());
    org.jobs.push(job);
    body
}

/// `GET /v1/transcription/jobs/{id}`.
async fn get_job(
    State(s): State<Arc<Shared>>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let key = match gate(&s, &headers, &uri, SCOPE_JOBS_READ) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let w = lock(&s.world);
    let job = w
        .pyai
        .orgs
        .get(&key.workspace)
        .and_then(|o| o.index.get(&id).map(|&i| &o.jobs[i]));
    match job {
        Some(job) => json(StatusCode::OK, &job_json(job, &s.config, Instant::now())),
        None => problem(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("Job {id} was not found."),
            &rid,
        ),
    }
}

/// `GET /v1/transcription/jobs?limit&cursor` — newest first.
async fn list_jobs(
    State(s): State<Arc<Shared>>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let key = match gate(&s, &headers, &uri, SCOPE_JOBS_READ) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let pairs = query_pairs(&uri);
    let limit = match query_param(&pairs, "limit").map(|l| l.trim().parse::<i64>()) {
        None => 20,
        Some(Ok(n)) if (1..=100).contains(&n) => n as usize,
        Some(_) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "invalid_limit",
                "limit must be an integer from 1 to 100.",
                &rid,
            )
        }
    };
    let w = lock(&s.world);
    let empty_org = OrgJobs::default();
    let org = w.pyai.orgs.get(&key.workspace).unwrap_or(&empty_org);
    // `start` is one past the newest job still to return.
    let start = match query_param(&pairs, "cursor") {
        None => org.jobs.len(),
        Some(c) => match decode_cursor(c)
            .and_then(|raw| raw.strip_prefix("after:").map(str::to_string))
            .and_then(|id| org.index.get(&id).copied())
        {
            Some(i) => i,
            None => {
                return problem(
                    StatusCode::BAD_REQUEST,
                    "invalid_cursor",
                    "cursor is not a value this API returned as next_cursor.",
                    &rid,
                )
            }
        },
    };
    let end = start.saturating_sub(limit);
    let now = Instant::now();
    let data: Vec<Value> = org.jobs[end..start]
        .iter()
        .rev()
        .map(|j| job_json(j, &s.config, now))
        .map(|j| {
            if s.config.minimal {
                minimal::job_item(j)
            } else {
                j
            }
        })
        .collect();
    let next = (end > 0).then(|| encode_cursor(&format!("after:{}", org.jobs[end].id)));
    if s.config.minimal {
        return json(StatusCode::OK, &minimal::list(data, next));
    }
    json(
        StatusCode::OK,
        &json!({ "data": data, "next_cursor": next }),
    )
}

/// Whether an agent id is acceptable: 1–64 characters, no control characters.
fn valid_agent_id(id: &str) -> bool {
    let n = id.chars().count();
    (1..=MAX_AGENT_ID).contains(&n) && !id.chars().any(char::is_control)
}

/// `POST /v1/realtime/sessions` `{"agent_id"}` → 201 session.
async fn create_session(
    State(s): State<Arc<Shared>>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let key = match gate(&s, &headers, &uri, SCOPE_REALTIME) {
        Ok(k) => k,
        Err(r) => return r,
    };
    if let Err(r) = billing(&key) {
        return r;
    }
    let obj = match object_body(&body, &rid) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let pairs = query_pairs(&uri);
    let agent_id = match obj.get("agent_id") {
        Some(Value::String(a)) => a.clone(),
        None | Some(Value::Null) => match query_param(&pairs, "agent_id") {
            Some(a) => a.to_string(),
            None => return invalid(&rid, "agent_id", "agent_id is required."),
        },
        Some(_) => return invalid(&rid, "agent_id", "agent_id must be a string."),
    };
    if !valid_agent_id(&agent_id) {
        return problem(
            StatusCode::BAD_REQUEST,
            "invalid_agent_id",
            "agent_id is malformed: it must be 1-64 characters without control characters.",
            &rid,
        );
    }
    let cap = key
        .realtime_concurrency
        .unwrap_or(s.config.realtime_concurrency);
    let mut w = lock(&s.world);
    let open = w.pyai.open_per_key.get(&key.id).copied().unwrap_or(0);
    if open >= cap {
        drop(w);
        lock(&s.stats).stats_mut().concurrency_rejected += 1;
        let r = envelope(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_error",
            "concurrency_limit_exceeded",
            &format!("Too many concurrent realtime sessions for this key (limit {cap})."),
        );
        return retry_after(r, retry_after_secs(s.config.concurrency_retry_after));
    }
    w.pyai.next_session += 1;
    let id = format!("rts_{:08}", w.pyai.next_session);
    w.pyai.sessions.insert(
        id.clone(),
        Session {
            key_id: key.id.clone(),
        },
    );
    *w.pyai.open_per_key.entry(key.id.clone()).or_default() += 1;
    lock(&s.stats).session_opened(&key.id);
    drop(w);
    let body = json!({ "id": id, "agent_id": agent_id, "created_at": now_rfc3339() });
    let body = if s.config.minimal {
        minimal::session(body)
    } else {
        body
    };
    json(StatusCode::CREATED, &body)
}

/// `DELETE /v1/realtime/sessions/{id}` → 204, freeing a concurrency slot.
async fn delete_session(
    State(s): State<Arc<Shared>>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let key = match gate(&s, &headers, &uri, SCOPE_REALTIME) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let mut w = lock(&s.world);
    let owned = w.pyai.sessions.get(&id).is_some_and(|x| x.key_id == key.id);
    if !owned {
        return problem(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("Realtime session {id} was not found."),
            &rid,
        );
    }
    w.pyai.sessions.remove(&id);
    if let Some(n) = w.pyai.open_per_key.get_mut(&key.id) {
        *n = n.saturating_sub(1);
    }
    lock(&s.stats).session_closed(&key.id);
    empty(StatusCode::NO_CONTENT)
}
