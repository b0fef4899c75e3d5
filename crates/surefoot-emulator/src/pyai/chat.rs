//! PyAI's OpenAI-compatible chat completions, `POST /v1/chat/completions`: behind the same
//! gateway (auth, scope, daily cap, rate limit) and billing check as jobs; the answer is a
//! fixed reply, word by word. With `"stream": true` it is server-sent events, one
//! `chat.completion.chunk` every [`CHUNK_GAP`] then `data: [DONE]`, each chunk stamped with
//! the server's wall clock in ms when it was sent (`system_fingerprint: "sent_at_ms:<ms>"`)
//! so a client can tell that chunks reached it before the server sent the last.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{json, Value};

use super::gate::{billing, gate};
use crate::keys::SCOPE_JOBS_READ;
use crate::responses::{envelope, json};
use crate::state::Shared;

/// The reply, one word per chunk.
const WORDS: [&str; 6] = ["Hello", " from", " the", " PyAI", " emulator", "."];

/// Time between two streamed chunks.
const CHUNK_GAP: Duration = Duration::from_millis(150);

/// `POST /v1/chat/completions` `{"model", "messages", "stream"?}`.
pub(super) async fn chat_completions(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let key = match gate(&s, &headers, &uri, SCOPE_JOBS_READ) {
        Ok(k) => k,
        Err(r) => return r,
    };
    if let Err(r) = billing(&key) {
        return r;
    }
    let Ok(Value::Object(req)) = serde_json::from_slice::<Value>(&body) else {
        return envelope(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "invalid_json",
            "The body must be a JSON object.",
        );
    };
    let model = req.get("model").and_then(Value::as_str).unwrap_or("");
    if model.is_empty() || !req.get("messages").is_some_and(Value::is_array) {
        return envelope(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "missing_required_parameter",
            "'model' and 'messages' are required.",
        );
    }
    let id = format!("chatcmpl-{}", uuid::Uuid::new_v4().simple());
    if req.get("stream").and_then(Value::as_bool) == Some(true) {
        return stream(id, model.to_string());
    }
    json(
        StatusCode::OK,
        &json!({
            "id": id, "object": "chat.completion", "created": now_ms() / 1000, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": WORDS.concat()}}],
            "usage": {"prompt_tokens": 5, "completion_tokens": WORDS.len(), "total_tokens": 5 + WORDS.len()},
        }),
    )
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
}

/// The reply as server-sent events, one chunk per word, [`CHUNK_GAP`] apart.
fn stream(id: String, model: String) -> Response {
    let events = futures_util::stream::unfold(0usize, move |i| {
        let (id, model) = (id.clone(), model.clone());
        async move {
            if i > WORDS.len() + 1 {
                return None;
            }
            if i > 0 {
                tokio::time::sleep(CHUNK_GAP).await;
            }
            let line = match i {
                i if i < WORDS.len() => chunk(&id, &model, json!({"content": WORDS[i]}), None),
                i if i == WORDS.len() => chunk(&id, &model, json!({}), Some("stop")),
                _ => "data: [DONE]\n\n".to_string(),
            };
            Some((Ok::<_, std::io::Error>(Bytes::from(line)), i + 1))
        }
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(events))
        .expect("valid response")
}

fn chunk(id: &str, model: &str, delta: Value, finish: Option<&str>) -> String {
    let value = json!({
        "id": id, "object": "chat.completion.chunk", "created": now_ms() / 1000, "model": model,
        "system_fingerprint": format!("sent_at_ms:{}", now_ms()),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    });
    format!("data: {value}\n\n")
}
