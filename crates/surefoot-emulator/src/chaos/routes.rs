//! The admin routes `GET|POST|DELETE /__emulator/chaos` and the same operations for the
//! Rust handles: start chaos with a validated [`Chaos`], read or end the current report.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use serde_json::json;

use super::draw::{Chaos, ChaosReport};
use crate::responses::json;
use crate::state::Shared;

/// `GET|POST|DELETE /chaos`, to be nested under `/__emulator`.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/chaos", get(report).post(start).delete(stop))
}

async fn report(State(s): State<Arc<Shared>>) -> Response {
    json(StatusCode::OK, &json!(s.chaos.lock().report()))
}

async fn start(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    let config: Chaos = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => {
            return json(
                StatusCode::BAD_REQUEST,
                &json!({ "error": format!("invalid chaos configuration: {e}") }),
            )
        }
    };
    let p = [
        config.p_503,
        config.p_reset,
        config.p_dropped,
        config.p_truncated,
        config.p_slow,
        config.p_storm,
    ];
    if p.iter().any(|x| !(0.0..=1.0).contains(x)) || p.iter().sum::<f64>() > 1.0 {
        return json(
            StatusCode::BAD_REQUEST,
            &json!({ "error": "each probability is in [0, 1] and they sum to at most 1" }),
        );
    }
    let mut c = s.chaos.lock();
    c.set(Some(config));
    json(StatusCode::CREATED, &json!(c.report()))
}

async fn stop(State(s): State<Arc<Shared>>) -> Response {
    let mut c = s.chaos.lock();
    let report = c.report();
    c.set(None);
    // The counters of the run that ended stay readable in the answer.
    json(StatusCode::OK, &json!(report))
}

/// Sets or clears chaos on a running emulator (what `POST`/`DELETE /__emulator/chaos` do).
pub(crate) fn set(s: &Shared, config: Option<Chaos>) {
    s.chaos.lock().set(config);
}

/// The report of `GET /__emulator/chaos`.
pub(crate) fn report_of(s: &Shared) -> ChaosReport {
    s.chaos.lock().report()
}
