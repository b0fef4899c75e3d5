//! Credential and query helpers shared by both APIs: the bearer token from the
//! `Authorization` header (the only place a key is accepted), detection of a key smuggled
//! into the query string (`api_key`, `key`, `token`, `access_token` → 401 even if valid),
//! and lenient query-string parsing.

use axum::extract::Query;
use axum::http::{header, HeaderMap, Uri};

/// Query parameters that would carry a key; their presence is a 401.
const KEY_PARAMS: [&str; 4] = ["api_key", "key", "token", "access_token"];

/// The query string as (name, value) pairs; a malformed query yields none.
pub(crate) fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|q| q.0)
        .unwrap_or_default()
}

/// The first value of query parameter `name`.
pub(crate) fn query_param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Whether the query string carries something that looks like a key.
pub(crate) fn key_in_query(uri: &Uri) -> bool {
    query_pairs(uri)
        .iter()
        .any(|(k, _)| KEY_PARAMS.iter().any(|p| k.eq_ignore_ascii_case(p)))
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive, token verbatim);
/// without an `Authorization` header, the `x-api-key` header (how the anthropic SDK sends it).
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let Some(v) = headers.get(header::AUTHORIZATION) else {
        let key = headers.get("x-api-key")?.to_str().ok()?;
        return (!key.is_empty()).then_some(key);
    };
    let v = v.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
