//! The Specala API (`seeds/000_*.txt` plus the brief's paths and shapes): cursor-paginated
//! transcriptions per workspace, single and bulk export, and key management. Every route
//! runs `gate` first — key in the query string or a missing/unknown/revoked bearer → 401
//! `{"detail": "Invalid API key"}`, a plan without API access → 403 `api_access_denied`,
//! then the per-key window limit of its surface (data or management) → 429
//! `{"detail": "Rate limit exceeded"}` — and then validates (422 in FastAPI's list form).

// Handlers answer errors as `Err(Response)`; that is the normal path here, not a cost to box.
#![allow(clippy::result_large_err)]

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::Router;
use bytes::Bytes;
use serde_json::{json, Value};

use crate::auth::{bearer, key_in_query, query_pairs, query_param};
use crate::clock::retry_after_secs;
use crate::corpus::{self, Format};
use crate::keys::KeyConfig;
use crate::limits::WindowLimiter;
use crate::minimal;
use crate::responses::{
    decode_cursor, detail, detail_code, empty, encode_cursor, json, retry_after, validation,
    validation_item, with_body,
};
use crate::state::Shared;
use crate::stats::{SURFACE_DATA, SURFACE_MANAGEMENT};

/// Route templates, as reported in stats.
pub(crate) const ROUTES: &[&str] = &[
    "GET /v1/transcriptions",
    "POST /v1/transcriptions/export",
    "GET /v1/transcriptions/{id}",
    "GET /v1/transcriptions/{id}/export",
    "GET /v1/keys",
    "POST /v1/keys",
    "DELETE /v1/keys/{id}",
];

const API_ACCESS_DENIED: &str =
    "Your current plan does not include API access. Please upgrade to a plan with API & MCP support.";
const NOT_FOUND: &str = "Transcription not found";
const MAX_BULK: usize = 100;
const MAX_KEY_NAME: usize = 100;

/// The Specala router.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v1/transcriptions", get(list))
        .route("/v1/transcriptions/export", post(bulk_export))
        .route("/v1/transcriptions/{id}", get(get_one))
        .route("/v1/transcriptions/{id}/export", get(export_one))
        .route("/v1/keys", get(list_keys).post(create_key))
        .route("/v1/keys/{id}", delete(revoke_key))
        .fallback(|| async { detail(StatusCode::NOT_FOUND, "Not Found") })
        .method_not_allowed_fallback(|| async {
            detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
        })
}

/// Authentication, plan and rate limit; the key on success, the error answer otherwise.
fn gate(
    s: &Shared,
    headers: &HeaderMap,
    uri: &Uri,
    surface: &'static str,
) -> Result<KeyConfig, Response> {
    if key_in_query(uri) {
        return Err(detail(
            StatusCode::UNAUTHORIZED,
            "Invalid API key: keys in the URL are rejected; send it in the Authorization header",
        ));
    }
    let mut w = s.world.lock();
    let key = bearer(headers)
        .and_then(|t| w.keys.by_value(t))
        .cloned()
        .ok_or_else(|| detail(StatusCode::UNAUTHORIZED, "Invalid API key"))?;
    if !key.api_access {
        return Err(detail_code(
            StatusCode::FORBIDDEN,
            "api_access_denied",
            API_ACCESS_DENIED,
        ));
    }
    let now = Instant::now();
    let limit = if surface == SURFACE_DATA {
        s.config.data_limit
    } else {
        s.config.management_limit
    };
    if let Some(limit) = limit {
        let limiter = w
            .windows
            .entry((key.id.clone(), surface))
            .or_insert_with(|| WindowLimiter::new(limit, s.config.window_kind, s.started));
        if let Err(wait) = limiter.try_acquire(now) {
            drop(w);
            s.stats.lock().stats_mut().rate_limited += 1;
            let r = detail(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded");
            return Err(if s.config.retry_after_on_429 {
                retry_after(r, retry_after_secs(wait))
            } else {
                r
            });
        }
    }
    // Recorded under the world lock so accept times stay in limiter order.
    s.stats.lock().accepted(&key.id, surface, now);
    Ok(key)
}

/// `limit` from the query: 1–100, default 20.
fn parse_limit(pairs: &[(String, String)]) -> Result<usize, Value> {
    let Some(raw) = query_param(pairs, "limit") else {
        return Ok(20);
    };
    let loc = json!(["query", "limit"]);
    let input = Some(json!(raw));
    match raw.trim().parse::<i64>() {
        Err(_) => Err(validation_item(
            loc,
            "Input should be a valid integer, unable to parse string as an integer",
            "int_parsing",
            input,
        )),
        Ok(n) if n < 1 => Err(validation_item(
            loc,
            "Input should be greater than or equal to 1",
            "greater_than_equal",
            input,
        )),
        Ok(n) if n > 100 => Err(validation_item(
            loc,
            "Input should be less than or equal to 100",
            "less_than_equal",
            input,
        )),
        Ok(n) => Ok(n as usize),
    }
}

fn bad_format(loc: Value, raw: &Value) -> Value {
    validation_item(
        loc,
        "Input should be 'md' or 'txt'",
        "literal_error",
        Some(raw.clone()),
    )
}

/// `GET /v1/transcriptions?limit&cursor` — newest first.
async fn list(State(s): State<Arc<Shared>>, headers: HeaderMap, uri: Uri) -> Response {
    let key = match gate(&s, &headers, &uri, SURFACE_DATA) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let pairs = query_pairs(&uri);
    let count = s.config.transcriptions_per_workspace;
    let ws = key.workspace.as_str();
    let mut errors = Vec::new();
    let limit = parse_limit(&pairs).unwrap_or_else(|e| {
        errors.push(e);
        0
    });
    // `start` is the index of the newest item still to return, plus one.
    let start = match query_param(&pairs, "cursor") {
        None => count,
        Some(c) => match decode_cursor(c).and_then(|raw| {
            let (cws, idx) = raw.rsplit_once(':')?;
            let idx: usize = idx.parse().ok()?;
            (cws == ws && idx < count).then_some(idx + 1)
        }) {
            Some(start) => start,
            None => {
                errors.push(validation_item(
                    json!(["query", "cursor"]),
                    "Invalid cursor",
                    "value_error",
                    Some(json!(c)),
                ));
                0
            }
        },
    };
    if !errors.is_empty() {
        return validation(errors);
    }
    let end = start.saturating_sub(limit);
    let minimal = s.config.minimal;
    let data: Vec<Value> = (end..start)
        .rev()
        .map(|i| corpus::transcription(ws, i))
        .map(|t| {
            if minimal {
                minimal::transcription_item(t)
            } else {
                t
            }
        })
        .collect();
    let next = (end > 0).then(|| encode_cursor(&format!("{ws}:{}", end - 1)));
    if minimal {
        return json(StatusCode::OK, &minimal::list(data, next));
    }
    json(
        StatusCode::OK,
        &json!({ "data": data, "next_cursor": next }),
    )
}

/// `GET /v1/transcriptions/{id}`.
async fn get_one(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let key = match gate(&s, &headers, &uri, SURFACE_DATA) {
        Ok(k) => k,
        Err(r) => return r,
    };
    match corpus::parse_id(&key.workspace, &id, s.config.transcriptions_per_workspace) {
        Some(i) => {
            let t = corpus::transcription(&key.workspace, i);
            let t = if s.config.minimal {
                minimal::transcription(t)
            } else {
                t
            };
            json(StatusCode::OK, &t)
        }
        None => detail(StatusCode::NOT_FOUND, NOT_FOUND),
    }
}

/// `GET /v1/transcriptions/{id}/export?format=md|txt` — the document itself.
async fn export_one(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let key = match gate(&s, &headers, &uri, SURFACE_DATA) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let pairs = query_pairs(&uri);
    let raw = query_param(&pairs, "format").unwrap_or("md");
    let Some(format) = Format::parse(raw) else {
        return validation(vec![bad_format(json!(["query", "format"]), &json!(raw))]);
    };
    match corpus::parse_id(&key.workspace, &id, s.config.transcriptions_per_workspace) {
        Some(i) => with_body(
            StatusCode::OK,
            format.content_type(),
            corpus::export(&key.workspace, i, format),
        ),
        None => detail(StatusCode::NOT_FOUND, NOT_FOUND),
    }
}

/// Parses a JSON object body, or the 422 answer.
fn object_body(body: &Bytes) -> Result<serde_json::Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Err(e) => Err(validation(vec![validation_item(
            json!(["body", e.column()]),
            "JSON decode error",
            "json_invalid",
            None,
        )])),
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(validation(vec![validation_item(
            json!(["body"]),
            "Input should be a valid dictionary or object to extract fields from",
            "model_attributes_type",
            Some(other),
        )])),
    }
}

/// The `ids` of a bulk export body (strings, 1–100 of them); problems go to `errors`.
fn bulk_ids(obj: &serde_json::Map<String, Value>, errors: &mut Vec<Value>) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    match obj.get("ids") {
        None => errors.push(validation_item(
            json!(["body", "ids"]),
            "Field required",
            "missing",
            None,
        )),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match item.as_str() {
                    Some(id) => ids.push(id.to_string()),
                    None => errors.push(validation_item(
                        json!(["body", "ids", i]),
                        "Input should be a valid string",
                        "string_type",
                        Some(item.clone()),
                    )),
                }
            }
            if items.is_empty() {
                errors.push(validation_item(
                    json!(["body", "ids"]),
                    "List should have at least 1 item after validation, not 0",
                    "too_short",
                    Some(json!([])),
                ));
            } else if items.len() > MAX_BULK {
                errors.push(validation_item(
                    json!(["body", "ids"]),
                    &format!(
                        "List should have at most {MAX_BULK} items after validation, not {}",
                        items.len()
                    ),
                    "too_long",
                    None,
                ));
            }
        }
        Some(other) => errors.push(validation_item(
            json!(["body", "ids"]),
            "Input should be a valid list",
            "list_type",
            Some(other.clone()),
        )),
    }
    ids
}

/// `POST /v1/transcriptions/export` `{"ids": [...1–100], "format": "md"|"txt"}`.
async fn bulk_export(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let key = match gate(&s, &headers, &uri, SURFACE_DATA) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let obj = match object_body(&body) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let mut errors = Vec::new();
    let ids = bulk_ids(&obj, &mut errors);
    let format = match obj.get("format") {
        None => Some(Format::Markdown),
        Some(v) => match v.as_str().and_then(Format::parse) {
            Some(f) => Some(f),
            None => {
                errors.push(bad_format(json!(["body", "format"]), v));
                None
            }
        },
    };
    if !errors.is_empty() {
        return validation(errors);
    }
    let format = format.unwrap_or(Format::Markdown);
    let count = s.config.transcriptions_per_workspace;
    let mut data = Vec::with_capacity(ids.len());
    for id in &ids {
        let Some(i) = corpus::parse_id(&key.workspace, id, count) else {
            return detail(StatusCode::NOT_FOUND, &format!("{NOT_FOUND}: {id}"));
        };
        let item = json!({
            "id": id,
            "format": format.as_str(),
            "content": corpus::export(&key.workspace, i, format),
        });
        data.push(if s.config.minimal {
            minimal::export_item(item)
        } else {
            item
        });
    }
    if s.config.minimal {
        return json(StatusCode::OK, &json!({ "object": "list", "data": data }));
    }
    json(StatusCode::OK, &json!({ "data": data }))
}

/// `GET /v1/keys` — the workspace's active keys, newest first (one page).
async fn list_keys(State(s): State<Arc<Shared>>, headers: HeaderMap, uri: Uri) -> Response {
    let key = match gate(&s, &headers, &uri, SURFACE_MANAGEMENT) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let data: Vec<Value> = s
        .world
        .lock()
        .keys
        .in_workspace(&key.workspace)
        .into_iter()
        .map(|k| json!({ "id": k.id, "name": k.name, "created_at": k.created_at }))
        .map(|k| if s.config.minimal { minimal::key(k) } else { k })
        .collect();
    if s.config.minimal {
        return json(StatusCode::OK, &minimal::list(data, None));
    }
    json(
        StatusCode::OK,
        &json!({ "data": data, "next_cursor": null }),
    )
}

/// `POST /v1/keys` `{"name"}` → 201 with the new key's value (shown only here).
async fn create_key(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let key = match gate(&s, &headers, &uri, SURFACE_MANAGEMENT) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let obj = match object_body(&body) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let loc = json!(["body", "name"]);
    let name = match obj.get("name") {
        None => {
            return validation(vec![validation_item(
                loc,
                "Field required",
                "missing",
                None,
            )])
        }
        Some(Value::String(n)) if n.trim().is_empty() => {
            return validation(vec![validation_item(
                loc,
                "String should have at least 1 character",
                "string_too_short",
                Some(json!(n)),
            )])
        }
        Some(Value::String(n)) if n.chars().count() > MAX_KEY_NAME => {
            return validation(vec![validation_item(
                loc,
                "String should have at most 100 characters",
                "string_too_long",
                None,
            )])
        }
        Some(Value::String(n)) => n.clone(),
        Some(other) => {
            return validation(vec![validation_item(
                loc,
                "Input should be a valid string",
                "string_type",
                Some(other.clone()),
            )])
        }
    };
    let created = s.world.lock().keys.create(&key, &name);
    s.stats.lock().stats_mut().keys_created += 1;
    let body = json!({
        "id": created.id,
        "name": created.name,
        "key": created.value,
        "created_at": created.created_at,
    });
    let body = if s.config.minimal {
        minimal::created_key(body)
    } else {
        body
    };
    json(StatusCode::CREATED, &body)
}

/// `DELETE /v1/keys/{id}` → 204; the key answers 401 from then on.
async fn revoke_key(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let key = match gate(&s, &headers, &uri, SURFACE_MANAGEMENT) {
        Ok(k) => k,
        Err(r) => return r,
    };
    if s.world.lock().keys.revoke(&key.workspace, &id) {
        s.stats.lock().stats_mut().keys_revoked += 1;
        empty(StatusCode::NO_CONTENT)
    } else {
        detail(StatusCode::NOT_FOUND, "API key not found")
    }
}
