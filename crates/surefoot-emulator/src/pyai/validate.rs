//! PyAI's request validation, answered as `application/problem+json`: a JSON-object body
//! (400 `invalid_json`, 422 otherwise), the job creation fields (`audio_url`, `language`,
//! `metadata`), the `Idempotency-Key` header (400 `invalid_idempotency_key`) and the
//! realtime `agent_id`. 422 answers list the field in an `errors` extension member.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::store::NewJob;
use crate::responses::{problem, problem_with, RequestId};

const MAX_AGENT_ID: usize = 64;
const MAX_IDEMPOTENCY_KEY: usize = 255;
const MAX_AUDIO_URL: usize = 2048;

/// 422 `validation_error` about `field`.
pub(super) fn invalid(rid: &RequestId, field: &str, message: &str) -> Response {
    problem_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        message,
        rid,
        json!({ "errors": [{ "field": field, "message": message }] }),
    )
}

/// Parses a JSON object body (empty = `{}`), or the error answer.
pub(super) fn object_body(body: &Bytes, rid: &RequestId) -> Result<Map<String, Value>, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
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

/// The validated creation fields of a job.
pub(super) fn job_fields(obj: &Map<String, Value>, rid: &RequestId) -> Result<NewJob, Response> {
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
    Ok(NewJob {
        audio_url,
        language,
        metadata,
    })
}

/// The `Idempotency-Key` header, validated; `Ok(None)` when absent.
pub(super) fn idempotency_key(
    headers: &HeaderMap,
    rid: &RequestId,
) -> Result<Option<String>, Response> {
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

/// The session's `agent_id`: from the body, else from the query; 1–64 characters without
/// control characters.
pub(super) fn agent_id(
    obj: &Map<String, Value>,
    from_query: Option<&str>,
    rid: &RequestId,
) -> Result<String, Response> {
    let agent_id = match obj.get("agent_id") {
        Some(Value::String(a)) => a.clone(),
        None | Some(Value::Null) => match from_query {
            Some(a) => a.to_string(),
            None => return Err(invalid(rid, "agent_id", "agent_id is required.")),
        },
        Some(_) => return Err(invalid(rid, "agent_id", "agent_id must be a string.")),
    };
    let n = agent_id.chars().count();
    if !(1..=MAX_AGENT_ID).contains(&n) || agent_id.chars().any(char::is_control) {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "invalid_agent_id",
            "agent_id is malformed: it must be 1-64 characters without control characters.",
            rid,
        ));
    }
    Ok(agent_id)
}
