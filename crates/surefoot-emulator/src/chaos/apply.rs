//! Turns a chaos draw into the answer a request gets: processed normally, a 503, a 429 of
//! a storm, or one of the wire breakages (reset, dropped after processing, truncated, slow).

use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;

use super::draw::Draw;
use crate::breakage::{kill, slow, truncate};
use crate::config::Api;
use crate::responses::json;
use crate::state::Shared;
use crate::stats::{STATUS_DROPPED, STATUS_RESET};

/// Serves an API request no explicit fault caught: processes it, or applies the draw.
pub(crate) async fn run(s: &Shared, req: Request, next: Next) -> Response {
    let draw = s.chaos.lock().draw(Instant::now());
    match draw {
        Draw::Pass => next.run(req).await,
        Draw::Unavailable => unavailable(s.config.api),
        Draw::Storm(left) => storm_429(s.config.api, left),
        Draw::Reset => kill(STATUS_RESET),
        Draw::Dropped => {
            let processed = next.run(req).await;
            let _ = axum::body::to_bytes(processed.into_body(), usize::MAX).await;
            kill(STATUS_DROPPED)
        }
        Draw::Truncated => truncate(next.run(req).await).await,
        Draw::Slow(ms) => slow(next.run(req).await, Duration::from_millis(ms)).await,
    }
}

fn unavailable(api: Api) -> Response {
    let body = match api {
        Api::Specala => json!({ "detail": "Service temporarily unavailable" }),
        Api::Pyai => json!({ "error": {
            "message": "The server is temporarily unavailable.",
            "type": "server_error", "param": null, "code": "service_unavailable" } }),
    };
    json(StatusCode::SERVICE_UNAVAILABLE, &body)
}

fn storm_429(api: Api, left: Duration) -> Response {
    let body = match api {
        Api::Specala => json!({ "detail": "Rate limit exceeded" }),
        Api::Pyai => json!({ "error": {
            "message": "Rate limit exceeded.", "type": "rate_limit_error",
            "param": null, "code": "rate_limit_exceeded" } }),
    };
    let mut r = json(StatusCode::TOO_MANY_REQUESTS, &body);
    let secs = left.as_secs_f64().ceil().max(1.0) as u64;
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    r
}
