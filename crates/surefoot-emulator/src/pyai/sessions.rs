//! PyAI realtime sessions: `POST /v1/realtime/sessions` `{"agent_id"}` (or `?agent_id=`)
//! → 201, billing checked first and at most `realtime_concurrency` open per key (more is
//! 429 `concurrency_limit_exceeded` with `Retry-After`), and `DELETE
//! /v1/realtime/sessions/{id}` → 204, freeing the slot (another key's session is 404).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::Extension;
use bytes::Bytes;
use serde_json::json;

use super::gate::{billing, gate};
use super::validate::{agent_id, object_body};
use crate::auth::{query_pairs, query_param};
use crate::clock::{now_rfc3339, retry_after_secs};
use crate::keys::SCOPE_REALTIME;
use crate::minimal;
use crate::responses::{empty, envelope, json, problem, retry_after, RequestId};
use crate::state::Shared;

/// `POST /v1/realtime/sessions` `{"agent_id"}` → 201 session.
pub(super) async fn create_session(
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
    let pairs = query_pairs(&uri);
    let agent_id = match object_body(&body, &rid)
        .and_then(|obj| agent_id(&obj, query_param(&pairs, "agent_id"), &rid))
    {
        Ok(a) => a,
        Err(r) => return r,
    };
    let cap = key
        .realtime_concurrency
        .unwrap_or(s.config.realtime_concurrency);
    let mut w = s.world.lock();
    if w.pyai.open_sessions(&key.id) >= cap {
        drop(w);
        s.stats.lock().stats_mut().concurrency_rejected += 1;
        let r = envelope(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_error",
            "concurrency_limit_exceeded",
            &format!("Too many concurrent realtime sessions for this key (limit {cap})."),
        );
        return retry_after(r, retry_after_secs(s.config.concurrency_retry_after));
    }
    let id = w.pyai.open_session(&key.id);
    s.stats.lock().session_opened(&key.id);
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
pub(super) async fn delete_session(
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
    let mut w = s.world.lock();
    if !w.pyai.close_session(&key.id, &id) {
        return problem(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("Realtime session {id} was not found."),
            &rid,
        );
    }
    s.stats.lock().session_closed(&key.id);
    empty(StatusCode::NO_CONTENT)
}
