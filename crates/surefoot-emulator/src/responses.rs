//! Response builders for both APIs' wire formats: Specala's FastAPI-style `detail` bodies
//! (a string, a `{code, message}` object, or the 422 list form), PyAI's OpenAI-style
//! error envelope for gateway errors and RFC 7807 `application/problem+json` for control
//! plane errors, plus the per-request id every answer carries as `x-request-id`.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

/// Media type of RFC 7807 bodies.
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";
/// Base of PyAI problem `type` URIs; the stable code is the last path segment.
pub(crate) const PROBLEM_BASE: &str = "https://api.pyai.com/problems/";

/// The id of the request being served (`req_<32 hex>`), also sent as `x-request-id`.
#[derive(Clone, Debug)]
pub(crate) struct RequestId(pub(crate) String);

impl RequestId {
    pub(crate) fn generate() -> RequestId {
        RequestId(format!("req_{}", uuid::Uuid::new_v4().simple()))
    }
}

/// A response with `body` and `content_type`.
pub(crate) fn with_body(status: StatusCode, content_type: &str, body: impl Into<Body>) -> Response {
    let mut r = Response::new(body.into());
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

/// A JSON response.
pub(crate) fn json(status: StatusCode, value: &Value) -> Response {
    with_body(status, "application/json", value.to_string())
}

/// An empty response.
pub(crate) fn empty(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}

/// Adds `Retry-After: secs`.
pub(crate) fn retry_after(mut r: Response, secs: u64) -> Response {
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    r
}

/// Specala `{"detail": "<message>"}`.
pub(crate) fn detail(status: StatusCode, message: &str) -> Response {
    json(status, &json!({ "detail": message }))
}

/// Specala `{"detail": {"code", "message"}}`.
pub(crate) fn detail_code(status: StatusCode, code: &str, message: &str) -> Response {
    json(
        status,
        &json!({ "detail": { "code": code, "message": message } }),
    )
}

/// One item of FastAPI's 422 list form.
pub(crate) fn validation_item(loc: Value, msg: &str, kind: &str, input: Option<Value>) -> Value {
    let mut item = json!({ "loc": loc, "msg": msg, "type": kind });
    if let Some(input) = input {
        item["input"] = input;
    }
    item
}

/// Specala 422 `{"detail": [{"loc", "msg", "type"}...]}`.
pub(crate) fn validation(items: Vec<Value>) -> Response {
    json(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({ "detail": items }),
    )
}

/// PyAI gateway error `{"error": {"message", "type", "code", "param"}}`.
pub(crate) fn envelope(status: StatusCode, kind: &str, code: &str, message: &str) -> Response {
    json(
        status,
        &json!({ "error": { "message": message, "type": kind, "code": code, "param": null } }),
    )
}

/// PyAI control-plane error (RFC 7807) with `code` as the last segment of `type`.
pub(crate) fn problem(status: StatusCode, code: &str, detail: &str, rid: &RequestId) -> Response {
    problem_with(status, code, detail, rid, json!({}))
}

/// [`problem`] with extension members merged in.
pub(crate) fn problem_with(
    status: StatusCode,
    code: &str,
    detail: &str,
    rid: &RequestId,
    extra: Value,
) -> Response {
    let mut body = json!({
        "type": format!("{PROBLEM_BASE}{code}"),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
        "request_id": rid.0,
    });
    if let (Some(b), Value::Object(extra)) = (body.as_object_mut(), extra) {
        b.extend(extra);
    }
    with_body(status, PROBLEM_JSON, body.to_string())
}

/// Hex-encodes an opaque cursor.
pub(crate) fn encode_cursor(raw: &str) -> String {
    raw.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Decodes a cursor made by [`encode_cursor`].
pub(crate) fn decode_cursor(cursor: &str) -> Option<String> {
    if !cursor.len().is_multiple_of(2) || cursor.len() > 512 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..cursor.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(cursor.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip() {
        let c = encode_cursor("ws_alpha:42");
        assert_eq!(decode_cursor(&c).as_deref(), Some("ws_alpha:42"));
        assert_eq!(decode_cursor("zz"), None);
        assert_eq!(decode_cursor("abc"), None);
    }
}
