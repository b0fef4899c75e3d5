//! PyAI transcription jobs: `POST /v1/transcription/jobs` (with `Idempotency-Key`: the same
//! key and body replay the first 201 with `Idempotent-Replayed: true`, another body is 409
//! `idempotency_conflict`; then billing and the key's job budget, then validation),
//! `GET /v1/transcription/jobs/{id}`, and `GET /v1/transcription/jobs?limit&cursor`
//! (newest first; jobs are visible to every key of the same organisation).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::Response;
use axum::Extension;
use bytes::Bytes;
use serde_json::{json, Value};

use super::gate::{billing, gate};
use super::store::OrgJobs;
use super::validate::{idempotency_key, job_fields, object_body};
use crate::auth::{query_pairs, query_param};
use crate::keys::{SCOPE_JOBS_READ, SCOPE_JOBS_WRITE};
use crate::minimal;
use crate::responses::{
    decode_cursor, encode_cursor, envelope, json, problem, with_body, RequestId,
};
use crate::state::Shared;

/// `POST /v1/transcription/jobs` `{"audio_url", "language"?, "metadata"?}` → 201 job.
pub(super) async fn create_job(
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
    let mut w = s.world.lock();
    if let Some(stored) = idem.as_ref().and_then(|ik| w.pyai.stored(&key.id, ik)) {
        if stored.same_body(&body) {
            let mut r = with_body(stored.status, "application/json", stored.response.clone());
            r.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            drop(w);
            s.stats.lock().stats_mut().idempotent_replays += 1;
            return r;
        }
        drop(w);
        s.stats.lock().stats_mut().idempotency_conflicts += 1;
        return problem(
            StatusCode::CONFLICT,
            "idempotency_conflict",
            "Idempotency-Key was reused with a different request body.",
            &rid,
        );
    }
    if let Err(r) = billing(&key) {
        return r;
    }
    if let Some(budget) = key.job_budget {
        if w.pyai.jobs_of(&key.id) >= budget {
            return envelope(
                StatusCode::PAYMENT_REQUIRED,
                "billing_error",
                "key_budget_exceeded",
                &format!("This key has reached its monthly budget of {budget} jobs."),
            );
        }
    }
    let new = match object_body(&body, &rid).and_then(|obj| job_fields(&obj, &rid)) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let response = w.pyai.create_job(&s.config, &key, new);
    if let Some(ik) = idem {
        w.pyai.remember(&key.id, ik, &body, response.clone());
    }
    s.stats.lock().stats_mut().jobs_created += 1;
    drop(w);
    with_body(StatusCode::CREATED, "application/json", response)
}

/// `GET /v1/transcription/jobs/{id}`.
pub(super) async fn get_job(
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
    let w = s.world.lock();
    match w.pyai.org(&key.workspace).and_then(|o| o.get(&id)) {
        Some(job) => json(StatusCode::OK, &job.to_json(&s.config, Instant::now())),
        None => problem(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("Job {id} was not found."),
            &rid,
        ),
    }
}

/// `GET /v1/transcription/jobs?limit&cursor` — newest first.
pub(super) async fn list_jobs(
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
    let w = s.world.lock();
    let empty_org = OrgJobs::default();
    let org = w.pyai.org(&key.workspace).unwrap_or(&empty_org);
    // `start` is one past the newest job still to return.
    let start = match query_param(&pairs, "cursor") {
        None => org.len(),
        Some(c) => match decode_cursor(c)
            .and_then(|raw| raw.strip_prefix("after:").map(str::to_string))
            .and_then(|id| org.position(&id))
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
    let data: Vec<Value> = org
        .slice(end..start)
        .iter()
        .rev()
        .map(|j| j.to_json(&s.config, now))
        .map(|j| {
            if s.config.minimal {
                minimal::job_item(j)
            } else {
                j
            }
        })
        .collect();
    let next = (end > 0).then(|| encode_cursor(&format!("after:{}", org.at(end).id())));
    if s.config.minimal {
        return json(StatusCode::OK, &minimal::list(data, next));
    }
    json(
        StatusCode::OK,
        &json!({ "data": data, "next_cursor": next }),
    )
}
