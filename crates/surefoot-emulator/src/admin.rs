//! The admin API under `/__emulator/` — never rate-limited, never faulted, no key needed:
//! `GET health`, `GET stats`, `POST stats/reset`, `GET|POST|DELETE faults`, `GET keys`.
//! Bodies are JSON; errors are `{"error": "<message>"}` with status 400.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{extract::State, Router};
use bytes::Bytes;
use serde_json::json;

use crate::faults::Fault;
use crate::responses::{empty, json};
use crate::state::{Control, Shared};

/// Admin routes, to be nested under `/__emulator`.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/health", get(health))
        .route("/stats", get(stats))
        .route("/stats/reset", post(reset_stats))
        .route(
            "/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/keys", get(keys))
        .merge(crate::chaos::routes())
}

async fn health(State(s): State<Arc<Shared>>) -> Response {
    json(
        StatusCode::OK,
        &json!({ "ok": true, "api": s.config.api.as_str() }),
    )
}

async fn stats(State(s): State<Arc<Shared>>) -> Response {
    json(StatusCode::OK, &json!(Control(s).stats()))
}

async fn reset_stats(State(s): State<Arc<Shared>>) -> Response {
    Control(s).reset_stats();
    empty(StatusCode::NO_CONTENT)
}

async fn list_faults(State(s): State<Arc<Shared>>) -> Response {
    json(StatusCode::OK, &json!({ "faults": Control(s).faults() }))
}

async fn add_fault(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    let fault: Fault = match serde_json::from_slice(&body) {
        Ok(f) => f,
        Err(e) => {
            return json(
                StatusCode::BAD_REQUEST,
                &json!({ "error": format!("invalid fault: {e}") }),
            )
        }
    };
    if !fault.route_is_valid() {
        return json(
            StatusCode::BAD_REQUEST,
            &json!({ "error": format!("invalid route {:?}: use \"*\" or \"METHOD /path\"", fault.route) }),
        );
    }
    let c = Control(s);
    c.inject(fault);
    json(StatusCode::CREATED, &json!({ "faults": c.faults() }))
}

async fn clear_faults(State(s): State<Arc<Shared>>) -> Response {
    Control(s).clear_faults();
    empty(StatusCode::NO_CONTENT)
}

async fn keys(State(s): State<Arc<Shared>>) -> Response {
    let c = Control(s.clone());
    json(
        StatusCode::OK,
        &json!({ "api": s.config.api.as_str(), "data": c.keys() }),
    )
}
