//! The PyAI API (`seeds/003_*.txt` plus the brief's paths and shapes): transcription jobs
//! (create with `Idempotency-Key`, get, list newest first) and realtime sessions (open,
//! close, a per-key concurrency cap). Gateway errors — auth, origin, scope, daily cap,
//! rate limit, billing — use the OpenAI envelope; control-plane errors — validation, not
//! found, bad cursor, idempotency conflict — use `application/problem+json`. Jobs move
//! `queued` → `running` → `succeeded` (or `failed` if the URL contains "fail") on the
//! configured timeline, so reads are deterministic for a given elapsed time. This module
//! owns the router; `gate` the gateway checks, `validate` the request checks, `jobs` and
//! `sessions` the handlers, `store` the data they keep.

// Handlers answer errors as `Err(Response)`; that is the normal path here, not a cost to box.
#![allow(clippy::result_large_err)]

mod chat;
mod gate;
mod jobs;
mod sessions;
pub(crate) mod store;
mod validate;

use std::sync::Arc;

use axum::http::{Method, StatusCode, Uri};
use axum::routing::{delete, get, post};
use axum::{Extension, Router};

use crate::responses::{problem, RequestId};
use crate::state::Shared;

/// Route templates, as reported in stats.
pub(crate) const ROUTES: &[&str] = &[
    "POST /v1/transcription/jobs",
    "GET /v1/transcription/jobs",
    "GET /v1/transcription/jobs/{id}",
    "POST /v1/realtime/sessions",
    "DELETE /v1/realtime/sessions/{id}",
    "POST /v1/chat/completions",
];

/// The PyAI router.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/v1/transcription/jobs",
            post(jobs::create_job).get(jobs::list_jobs),
        )
        .route("/v1/transcription/jobs/{id}", get(jobs::get_job))
        .route("/v1/realtime/sessions", post(sessions::create_session))
        .route("/v1/chat/completions", post(chat::chat_completions))
        .route(
            "/v1/realtime/sessions/{id}",
            delete(sessions::delete_session),
        )
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
