//! The conformance entry point: evaluates one shared test vector (`tests/vectors/*.json`)
//! through the core's real public API and compares the result with the vector's
//! expectation. This module owns the vector format's interpretation (families `errors`,
//! `retry_after`, `retry_decision`, `pagination`, `security`), the observed-result JSON
//! each family produces, the comparison rule ([`compare`]) and the tiny loopback HTTP
//! responder that serves a pagination vector's pages to a real [`crate::Client`].
//!
//! Rust, C and Python run the same vectors. A binding only has to pass a vector's JSON to
//! [`check_vector`] (or [`check`]) and report the answer, so every language checks the
//! very code it links against with the same comparison:
//!
//! - `errors` → [`Error::from_response`];
//! - `retry_after` → [`retry::parse_retry_after`] with the vector's fixed `now`;
//! - `retry_decision` → [`retry::is_idempotent`], [`RetryPolicy::decide`] (the built-in
//!   classifiers, which one spoke) and the retry budget ([`retry::RetryBudget`]);
//! - `pagination` → the [`crate::Paginate`] item stream of a real client, over HTTP, against
//!   a responder on `127.0.0.1:0` that answers the vector's pages in order;
//! - `security` → [`security::validate_api_key`], [`security::validate_base_url`] and
//!   [`security::check_url_has_no_key`].
//!
//! The format is documented in `tests/vectors/README.md`. Nothing here panics: a malformed
//! vector gives `{"error": "..."}` as its observed result.
//!
//! ```
//! let vector = r#"{
//!   "family": "retry_after",
//!   "name": "fractional seconds",
//!   "input": {"headers": [["Retry-After", "2.5"]]},
//!   "expected": {"wait_ms": 2500}
//! }"#;
//! assert_eq!(surefoot::conformance::run_vector(vector), r#"{"wait_ms":2500}"#);
//! let (ok, result) = surefoot::conformance::check(vector);
//! assert!(ok, "{result}");
//! ```

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures::StreamExt;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde_json::{json, Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::Error;
use crate::retry::{self, Decision, RetryPolicy};
use crate::security;

/// The vector families [`run_vector`] understands (the `family` member of a vector).
///
/// ```
/// assert!(surefoot::conformance::FAMILIES.contains(&"pagination"));
/// ```
pub const FAMILIES: [&str; 5] = [
    "errors",
    "retry_after",
    "retry_decision",
    "pagination",
    "security",
];

/// The `now` of a vector that gives none, in Unix seconds: `Wed, 21 Oct 2015 07:28:00 GMT`.
/// HTTP-dates in `Retry-After` are judged relative to it, so results never depend on the
/// clock.
///
/// ```
/// assert_eq!(surefoot::conformance::DEFAULT_NOW_UNIX, 1_445_412_480);
/// ```
pub const DEFAULT_NOW_UNIX: u64 = 1_445_412_480;

/// Largest absolute difference at which two numbers compare equal in [`compare`]: one
/// microsecond when the unit is milliseconds (`*_ms` fields).
///
/// ```
/// use serde_json::json;
/// use surefoot::conformance::compare;
/// assert!(compare(&json!({"wait_ms": 1500.5}), &json!({"wait_ms": 1500.5004})).is_ok());
/// ```
pub const NUMBER_TOLERANCE: f64 = 0.001;

/// Largest body a vector may describe (after `body_repeat` expansion).
const MAX_VECTOR_BODY_BYTES: usize = 64 * 1024 * 1024;
/// Bound on one pagination vector (the client's own per-attempt timeout is lower).
const PAGINATION_TIMEOUT: Duration = Duration::from_secs(30);
/// Most items a pagination vector may yield before the walk is cut (a runaway guard).
const MAX_PAGINATION_ITEMS: usize = 100_000;
/// The list path the pagination responder serves.
const PAGINATION_PATH: &str = "/v1/items";

/// Evaluate one vector and return the observed result as JSON, with the same member names
/// as the vector's `expected` object (see `tests/vectors/README.md`). A malformed vector
/// gives `{"error": "<what is wrong>"}`; this function never panics.
///
/// ```
/// let vector = r#"{"family": "security", "name": "trailing space",
///   "input": {"check": "api_key", "key": "sk-live-0123456789abcdef "},
///   "expected": {"accepted": false, "message": "API key has trailing whitespace"}}"#;
/// let observed: serde_json::Value =
///     serde_json::from_str(&surefoot::conformance::run_vector(vector)).unwrap();
/// assert_eq!(observed["message"], "API key has trailing whitespace");
/// assert_eq!(observed["key_in_message"], false);
///
/// let broken = surefoot::conformance::run_vector(r#"{"family": "nope", "input": {}}"#);
/// assert!(broken.starts_with(r#"{"error":"#));
/// ```
pub fn run_vector(vector_json: &str) -> String {
    observed_or_error(
        serde_json::from_str::<Value>(vector_json)
            .map_err(|e| format!("the vector is not valid JSON: {e}"))
            .and_then(|v| observe(&v)),
    )
    .to_string()
}

/// Evaluate a parsed vector (see [`run_vector`]); `Err` carries what is wrong with it.
///
/// ```
/// use serde_json::json;
/// let observed = surefoot::conformance::observe(&json!({
///     "family": "errors", "name": "404",
///     "input": {"status": 404, "body_json": {"detail": "Not Found"}},
///     "expected": {}
/// })).unwrap();
/// assert_eq!(observed["code"], "not_found");
/// assert_eq!(observed["retryable"], false);
/// ```
pub fn observe(vector: &Value) -> Result<Value, String> {
    match catch_unwind(AssertUnwindSafe(|| observe_inner(vector))) {
        Ok(r) => r,
        Err(panic) => Err(format!(
            "the core panicked on this vector: {}",
            panic_text(panic.as_ref())
        )),
    }
}

/// Compare an observed result with a vector's expectation.
///
/// The rule, the same for every family and language:
/// - every member of `expected` must be present in `observed` and equal to it; members of
///   `observed` that `expected` does not name are not compared;
/// - a member named `<field>_contains` (a string) passes when `observed.<field>` is a string
///   containing it;
/// - nested objects follow the same rule; arrays must have the same length and equal
///   elements (exactly: no subset rule, no `_contains` inside arrays);
/// - numbers are equal when they differ by at most [`NUMBER_TOLERANCE`]; everything else
///   (strings, booleans, `null`) must be identical.
///
/// `Err` lists every difference, `; `-separated.
///
/// ```
/// use serde_json::json;
/// use surefoot::conformance::compare;
/// let observed = json!({"code": "not_found", "message": "Not Found", "retry_after_ms": null});
/// assert!(compare(&json!({"code": "not_found", "message_contains": "Found"}), &observed).is_ok());
/// let diff = compare(&json!({"code": "gone", "retry_after_ms": 5}), &observed).unwrap_err();
/// assert_eq!(diff, r#"code: expected "gone", observed "not_found"; retry_after_ms: expected 5, observed null"#);
/// ```
pub fn compare(expected: &Value, observed: &Value) -> Result<(), String> {
    if let (Some(Value::String(msg)), false) = (
        observed.get("error"),
        expected.get("error").is_some() || expected.get("error_contains").is_some(),
    ) {
        return Err(format!("the vector could not be run: {msg}"));
    }
    if !expected.is_object() {
        return Err("`expected` must be a JSON object".to_owned());
    }
    let mut diffs = Vec::new();
    compare_at("", expected, observed, &mut diffs);
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(diffs.join("; "))
    }
}

/// Run and compare one vector, or every vector of a vector file, and return the verdict as
/// JSON (see [`check`]; this is its second half).
///
/// For one vector: `{"ok": bool, "name": "...", "observed": {...}, "diff": "..."}` (`diff`
/// is empty when `ok`). For a file (an object with a `vectors` array): `{"ok": bool,
/// "total": n, "passed": n, "failed": n, "results": [<one verdict per vector>], "report":
/// "<one line per differing vector>"}`.
///
/// ```
/// let verdict = surefoot::conformance::check_vector(r#"{"family": "retry_after", "name": "zero",
///   "input": {"headers": {"retry-after": "0"}}, "expected": {"wait_ms": "ignore"}}"#);
/// let v: serde_json::Value = serde_json::from_str(&verdict).unwrap();
/// assert_eq!(v["ok"], true);
/// assert_eq!(v["observed"]["wait_ms"], "ignore");
/// ```
pub fn check_vector(vector_json: &str) -> String {
    check(vector_json).1
}

/// Run and compare one vector or a whole vector file; returns whether everything matched
/// and the verdict JSON described in [`check_vector`]. This is the one function a binding
/// wraps (C: `sf_conformance_check(const char *json, bool *all_ok_out, char **verdict_out,
/// sf_error **err_out)`; Python: `surefoot._native.conformance_check(json: str) -> str`).
///
/// ```
/// let file = r#"{"description": "two vectors", "vectors": [
///   {"family": "retry_after", "name": "a", "input": {"headers": [["Retry-After", "1"]]}, "expected": {"wait_ms": 1000}},
///   {"family": "retry_after", "name": "b", "input": {"headers": [["Retry-After", "1"]]}, "expected": {"wait_ms": 2000}}
/// ]}"#;
/// let (ok, verdict) = surefoot::conformance::check(file);
/// assert!(!ok);
/// let v: serde_json::Value = serde_json::from_str(&verdict).unwrap();
/// assert_eq!((v["total"].as_u64(), v["failed"].as_u64()), (Some(2), Some(1)));
/// assert_eq!(v["report"], "b: wait_ms: expected 2000, observed 1000\n");
/// ```
pub fn check(json: &str) -> (bool, String) {
    let doc: Value = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(e) => {
            let msg = format!("the vector is not valid JSON: {e}");
            let verdict = json!({
                "ok": false, "name": Value::Null, "observed": {"error": msg}, "diff": format!("the vector could not be run: {msg}"),
            });
            return (false, verdict.to_string());
        }
    };
    match doc.get("vectors") {
        Some(Value::Array(vectors)) => {
            let mut results = Vec::with_capacity(vectors.len());
            let mut report = String::new();
            let mut failed = 0usize;
            for v in vectors {
                let (ok, verdict) = check_one(v);
                if !ok {
                    failed += 1;
                    report.push_str(&format!(
                        "{}: {}\n",
                        verdict["name"].as_str().unwrap_or("(unnamed)"),
                        verdict["diff"].as_str().unwrap_or("")
                    ));
                }
                results.push(verdict);
            }
            let ok = failed == 0;
            let verdict = json!({
                "ok": ok,
                "total": vectors.len(),
                "passed": vectors.len() - failed,
                "failed": failed,
                "results": results,
                "report": report,
            });
            (ok, verdict.to_string())
        }
        Some(_) => (
            false,
            json!({"ok": false, "total": 0, "passed": 0, "failed": 0, "results": [],
                   "report": "`vectors` must be an array\n"})
            .to_string(),
        ),
        None => {
            let (ok, verdict) = check_one(&doc);
            (ok, verdict.to_string())
        }
    }
}

fn check_one(vector: &Value) -> (bool, Value) {
    let name = vector
        .get("name")
        .and_then(Value::as_str)
        .map_or(Value::Null, |s| Value::String(s.to_owned()));
    let observed = observed_or_error(observe(vector));
    let result = match vector.get("expected") {
        Some(expected) => compare(expected, &observed),
        None => Err(match observed.get("error") {
            Some(Value::String(msg)) => format!("the vector could not be run: {msg}"),
            _ => "the vector has no `expected` object".to_owned(),
        }),
    };
    let (ok, diff) = match result {
        Ok(()) => (true, String::new()),
        Err(d) => (false, d),
    };
    (
        ok,
        json!({"ok": ok, "name": name, "observed": observed, "diff": diff}),
    )
}

fn observed_or_error(r: Result<Value, String>) -> Value {
    r.unwrap_or_else(|msg| json!({ "error": msg }))
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_owned()
    }
}

// ----- comparison ------------------------------------------------------------------------

fn compare_at(path: &str, expected: &Value, observed: &Value, diffs: &mut Vec<String>) {
    let Value::Object(em) = expected else {
        if !equal_exact(expected, observed) {
            diffs.push(format!(
                "{}: expected {}, observed {}",
                shown_path(path),
                show(expected),
                show(observed)
            ));
        }
        return;
    };
    let Value::Object(om) = observed else {
        diffs.push(format!(
            "{}: expected an object, observed {}",
            shown_path(path),
            show(observed)
        ));
        return;
    };
    for (key, ev) in em {
        if let Some(field) = key.strip_suffix("_contains") {
            let p = join(path, field);
            match (ev, om.get(field)) {
                (Value::String(needle), Some(Value::String(hay)))
                    if hay.contains(needle.as_str()) => {}
                (Value::String(needle), got) => diffs.push(format!(
                    "{p}: expected to contain {}, observed {}",
                    show(&Value::String(needle.clone())),
                    got.map_or_else(|| "nothing".to_owned(), show)
                )),
                (other, _) => diffs.push(format!(
                    "{}: must be a string, the vector gives {}",
                    join(path, key),
                    show(other)
                )),
            }
            continue;
        }
        let p = join(path, key);
        match om.get(key) {
            None => diffs.push(format!(
                "{p}: expected {}, but the observed result has no such member",
                show(ev)
            )),
            Some(ov) => compare_at(&p, ev, ov, diffs),
        }
    }
}

fn equal_exact(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y || (x - y).abs() <= NUMBER_TOLERANCE,
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| equal_exact(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| equal_exact(v, w)))
        }
        _ => a == b,
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn shown_path(path: &str) -> &str {
    if path.is_empty() {
        "(result)"
    } else {
        path
    }
}

/// A value as JSON, cut to 300 characters (huge bodies make huge messages).
fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 300 {
        let head: String = s.chars().take(300).collect();
        format!("{head}… ({} characters)", s.chars().count())
    } else {
        s
    }
}

// ----- evaluation ------------------------------------------------------------------------

type Obj = Map<String, Value>;

fn observe_inner(vector: &Value) -> Result<Value, String> {
    let obj = vector.as_object().ok_or("a vector must be a JSON object")?;
    only(
        obj,
        &["family", "name", "note", "readme", "input", "expected"],
        "a vector",
    )?;
    let family = obj
        .get("family")
        .and_then(Value::as_str)
        .ok_or("the vector has no `family` string")?;
    let input = match obj.get("input") {
        Some(Value::Object(i)) => i,
        _ => return Err("the vector has no `input` object".to_owned()),
    };
    match family {
        "errors" => observe_error(input),
        "retry_after" => observe_retry_after(input),
        "retry_decision" => observe_decision(input),
        "pagination" => observe_pagination(input),
        "security" => observe_security(input),
        other => Err(format!(
            "unknown family {other:?} (known: {})",
            FAMILIES.join(", ")
        )),
    }
}

/// Refuse members a family does not know (a typo must not silently test nothing).
fn only(obj: &Obj, allowed: &[&str], what: &str) -> Result<(), String> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!(
            "unknown member `{k}` in {what} (allowed: {})",
            allowed.join(", ")
        )),
        None => Ok(()),
    }
}

const RESPONSE_MEMBERS: [&str; 8] = [
    "status",
    "headers",
    "content_type",
    "body",
    "body_json",
    "body_base64",
    "body_repeat",
    "body_truncated",
];

/// An HTTP response described by a vector: status, headers, body.
struct ResponseSpec {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
    truncated: bool,
}

fn response_spec(obj: &Obj, default_status: Option<u16>) -> Result<ResponseSpec, String> {
    let status = match obj.get("status") {
        Some(v) => v
            .as_u64()
            .filter(|s| *s <= 999)
            .ok_or("`status` must be an integer from 0 to 999")? as u16,
        None => default_status.ok_or("the response has no `status`")?,
    };
    let mut headers = headers_of(obj.get("headers"))?;
    let body = body_of(obj)?;
    match obj.get("content_type") {
        Some(Value::String(ct)) => {
            headers.append(http::header::CONTENT_TYPE, header_value(ct)?);
        }
        Some(Value::Null) | None => {
            if obj.contains_key("body_json") && !headers.contains_key(http::header::CONTENT_TYPE) {
                headers.insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
            }
        }
        Some(_) => return Err("`content_type` must be a string".to_owned()),
    }
    let truncated = bool_of(obj, "body_truncated", false)?;
    Ok(ResponseSpec {
        status,
        headers,
        body,
        truncated,
    })
}

fn header_value(v: &str) -> Result<HeaderValue, String> {
    HeaderValue::from_bytes(v.as_bytes())
        .map_err(|_| format!("header value {v:?} is not a valid HTTP header value"))
}

/// `[["Name", "value"], ...]` (order and repeats kept) or `{"Name": "value"}`.
fn headers_of(v: Option<&Value>) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    let mut add = |name: &str, value: &Value| -> Result<(), String> {
        let value = value
            .as_str()
            .ok_or_else(|| format!("header {name:?} must have a string value"))?;
        let n = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("{name:?} is not a valid header name"))?;
        map.append(n, header_value(value)?);
        Ok(())
    };
    match v {
        None | Some(Value::Null) => {}
        Some(Value::Array(pairs)) => {
            for pair in pairs {
                match pair.as_array().map(Vec::as_slice) {
                    Some([Value::String(name), value]) => add(name, value)?,
                    _ => {
                        return Err(
                            "`headers` pairs must be [\"name\", \"value\"] arrays".to_owned()
                        )
                    }
                }
            }
        }
        Some(Value::Object(o)) => {
            for (name, value) in o {
                add(name, value)?;
            }
        }
        Some(_) => {
            return Err("`headers` must be an array of [name, value] pairs or an object".into())
        }
    }
    Ok(map)
}

/// One of `body` (text), `body_json` (any JSON, serialised compactly), `body_base64`
/// (bytes), `body_repeat` (`{"prefix", "unit", "times", "suffix"}`); none means empty.
fn body_of(obj: &Obj) -> Result<Vec<u8>, String> {
    let given: Vec<&str> = ["body", "body_json", "body_base64", "body_repeat"]
        .into_iter()
        .filter(|k| obj.contains_key(*k))
        .collect();
    if given.len() > 1 {
        return Err(format!(
            "give at most one of body, body_json, body_base64, body_repeat (got {})",
            given.join(", ")
        ));
    }
    let Some(kind) = given.first() else {
        return Ok(Vec::new());
    };
    let v = &obj[*kind];
    match *kind {
        "body" => v
            .as_str()
            .map(|s| s.as_bytes().to_vec())
            .ok_or_else(|| "`body` must be a string (use body_json for JSON values)".to_owned()),
        "body_json" => Ok(v.to_string().into_bytes()),
        "body_base64" => v
            .as_str()
            .ok_or_else(|| "`body_base64` must be a string".to_owned())
            .and_then(base64_decode),
        _ => {
            let r = v
                .as_object()
                .ok_or("`body_repeat` must be an object {prefix, unit, times, suffix}")?;
            only(r, &["prefix", "unit", "times", "suffix"], "`body_repeat`")?;
            let text = |k: &str| -> Result<&str, String> {
                match r.get(k) {
                    None => Ok(""),
                    Some(Value::String(s)) => Ok(s),
                    Some(_) => Err(format!("`body_repeat.{k}` must be a string")),
                }
            };
            let (prefix, unit, suffix) = (text("prefix")?, text("unit")?, text("suffix")?);
            let times = r
                .get("times")
                .and_then(Value::as_u64)
                .ok_or("`body_repeat.times` must be a non-negative integer")?;
            let total = (unit.len() as u64)
                .saturating_mul(times)
                .saturating_add((prefix.len() + suffix.len()) as u64);
            if total > MAX_VECTOR_BODY_BYTES as u64 {
                return Err(format!(
                    "`body_repeat` makes {total} bytes; at most {MAX_VECTOR_BODY_BYTES} are allowed"
                ));
            }
            let mut body = Vec::with_capacity(total as usize);
            body.extend_from_slice(prefix.as_bytes());
            for _ in 0..times {
                body.extend_from_slice(unit.as_bytes());
            }
            body.extend_from_slice(suffix.as_bytes());
            Ok(body)
        }
    }
}

fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut padding = false;
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => {
                padding = true;
                continue;
            }
            _ => {
                return Err(format!(
                    "`body_base64` has an invalid character {:?}",
                    c as char
                ))
            }
        };
        if padding {
            return Err("`body_base64` has data after its padding".to_owned());
        }
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

fn bool_of(obj: &Obj, key: &str, default: bool) -> Result<bool, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("`{key}` must be true or false")),
    }
}

fn str_of<'a>(obj: &'a Obj, key: &str) -> Result<Option<&'a str>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("`{key}` must be a string")),
    }
}

fn u32_of(obj: &Obj, key: &str) -> Result<Option<u32>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| format!("`{key}` must be an integer from 0 to {}", u32::MAX)),
    }
}

/// Milliseconds (fractions allowed, ≥ 0) as a `Duration`.
fn ms_of(obj: &Obj, key: &str) -> Result<Option<Duration>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .filter(|ms| ms.is_finite() && *ms >= 0.0 && *ms < 1e15)
            .map(|ms| Some(Duration::from_secs_f64(ms / 1000.0)))
            .ok_or_else(|| format!("`{key}` must be a number of milliseconds ≥ 0")),
    }
}

/// A duration as milliseconds: an integer when whole, else a fraction; `null` for none.
fn ms_json(d: Option<Duration>) -> Value {
    match d {
        None => Value::Null,
        Some(d) => {
            let nanos = d.as_nanos();
            if nanos % 1_000_000 == 0 {
                json!(u64::try_from(nanos / 1_000_000).unwrap_or(u64::MAX))
            } else {
                json!(nanos as f64 / 1e6)
            }
        }
    }
}

/// `now`: Unix seconds or an HTTP-date; [`DEFAULT_NOW_UNIX`] when absent.
fn now_of(obj: &Obj) -> Result<SystemTime, String> {
    match obj.get("now") {
        None | Some(Value::Null) => {
            Ok(SystemTime::UNIX_EPOCH + Duration::from_secs(DEFAULT_NOW_UNIX))
        }
        Some(Value::Number(n)) => n
            .as_u64()
            .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
            .ok_or_else(|| "`now` must be whole Unix seconds or an HTTP-date".to_owned()),
        Some(Value::String(s)) => {
            httpdate::parse_http_date(s).map_err(|_| format!("`now` {s:?} is not an HTTP-date"))
        }
        Some(_) => Err("`now` must be whole Unix seconds or an HTTP-date".to_owned()),
    }
}

/// What every failure-shaped observation shows of an [`Error`].
fn error_json(e: &Error) -> Value {
    json!({
        "status": e.status(),
        "code": e.code(),
        "kind": e.kind().as_str(),
        "retryable": e.is_retryable(),
        "retry_after_ms": ms_json(e.retry_after()),
        "message": e.message(),
        "message_chars": e.message().chars().count(),
        "request_id": e.request_id(),
    })
}

// errors ------------------------------------------------------------------------------------

fn observe_error(input: &Obj) -> Result<Value, String> {
    only(input, &RESPONSE_MEMBERS, "errors input")?;
    let r = response_spec(input, None)?;
    let e = Error::from_response(r.status, &r.headers, &r.body, r.truncated);
    Ok(error_json(&e))
}

// retry_after ------------------------------------------------------------------------------

fn observe_retry_after(input: &Obj) -> Result<Value, String> {
    only(input, &["headers", "now"], "retry_after input")?;
    let headers = headers_of(input.get("headers"))?;
    let now = now_of(input)?;
    let wait = match retry::parse_retry_after(&headers, now) {
        Some(d) => ms_json(Some(d)),
        None => json!("ignore"),
    };
    Ok(json!({ "wait_ms": wait }))
}

// retry_decision ---------------------------------------------------------------------------

fn observe_decision(input: &Obj) -> Result<Value, String> {
    only(
        input,
        &[
            "method",
            "idempotency_key",
            "outcome",
            "retries_done",
            "deadline_left_ms",
            "jitter",
            "policy",
            "retry_budget",
        ],
        "retry_decision input",
    )?;
    let method = str_of(input, "method")?.unwrap_or("GET");
    let method = Method::from_bytes(method.as_bytes())
        .map_err(|_| format!("{method:?} is not an HTTP method"))?;
    let idempotent = retry::is_idempotent(&method, bool_of(input, "idempotency_key", false)?);
    let error = outcome_error(input.get("outcome"))?;
    let retries_done = u32_of(input, "retries_done")?.unwrap_or(0);
    let remaining = ms_of(input, "deadline_left_ms")?;
    let jitter = match input.get("jitter") {
        None | Some(Value::Null) => 1.0,
        Some(v) => v.as_f64().ok_or("`jitter` must be a number")?,
    };
    let policy = policy_of(input.get("policy"))?;
    let mut decision = policy.decide(&error, retries_done, idempotent, remaining, jitter);
    let classified_by = retry::classify::default_classifiers()
        .first_opinion(&retry::RetryContext {
            error: &error,
            idempotent,
        })
        .map(|(name, _)| name);
    // The retry budget: a bucket of `capacity` holding `tokens`, from which a retry takes
    // its price (the send loop's rule, on the in-memory store).
    let budget_tokens = match input.get("retry_budget") {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => {
            only(o, &["capacity", "tokens"], "retry_budget")?;
            let budget = retry::RetryBudget {
                capacity: u32_of(o, "capacity")?.unwrap_or(500),
                ..retry::RetryBudget::default()
            };
            let tokens = u32_of(o, "tokens")?.unwrap_or(budget.capacity);
            if tokens > budget.capacity {
                return Err("`retry_budget.tokens` must not exceed its capacity".into());
            }
            let store = crate::pacing::MemoryStore::new();
            store.take_retry_tokens_now("vector", budget.capacity - tokens, budget.capacity);
            if decision.is_retry()
                && !store.take_retry_tokens_now("vector", budget.cost(&error), budget.capacity)
            {
                decision = Decision::Fail {
                    retry_after: error.retry_after(),
                    reason: retry::FailReason::RetryBudgetExhausted,
                };
            }
            Some(store.retry_tokens_now("vector", budget.capacity))
        }
        Some(_) => return Err("`retry_budget` must be an object".into()),
    };
    let (name, after, reason, retry_after) = match decision {
        Decision::Retry { after } => ("retry", Some(after), Value::Null, None),
        Decision::Fail {
            retry_after,
            reason,
        } => ("fail", None, json!(reason.as_str()), retry_after),
    };
    Ok(json!({
        "idempotent": idempotent,
        "error_code": error.code(),
        "decision": name,
        "after_ms": ms_json(after),
        "reason": reason,
        "retry_after_ms": ms_json(retry_after),
        "classified_by": classified_by,
        "budget_tokens_left": budget_tokens,
    }))
}

/// `{"response": {...}}`, `{"connection": {"reached_server": bool}}`, `{"timeout": {}}`,
/// `{"invalid_request": {}}` or `{"invalid_response": {}}`.
fn outcome_error(v: Option<&Value>) -> Result<Error, String> {
    const KINDS: &str = "response, connection, timeout, invalid_request, invalid_response";
    let o = match v {
        Some(Value::Object(o)) if o.len() == 1 => o,
        _ => return Err(format!("`outcome` must be an object with one of: {KINDS}")),
    };
    let (kind, spec) = o.iter().next().expect("one member");
    let spec = spec
        .as_object()
        .ok_or_else(|| format!("`outcome.{kind}` must be an object"))?;
    match kind.as_str() {
        "response" => {
            only(spec, &RESPONSE_MEMBERS, "outcome.response")?;
            let r = response_spec(spec, None)?;
            Ok(Error::from_response(
                r.status,
                &r.headers,
                &r.body,
                r.truncated,
            ))
        }
        "connection" => {
            only(spec, &["reached_server"], "outcome.connection")?;
            let reached = match spec.get("reached_server") {
                Some(Value::Bool(b)) => *b,
                _ => return Err("`outcome.connection.reached_server` must be true or false".into()),
            };
            let msg = if reached {
                "connection reset after the request was sent"
            } else {
                "could not connect: connection refused"
            };
            Ok(Error::connection(msg, reached))
        }
        "timeout" => {
            only(spec, &[], "outcome.timeout")?;
            Ok(Error::timeout("request timed out"))
        }
        "invalid_request" => {
            only(spec, &[], "outcome.invalid_request")?;
            Ok(Error::invalid_request("refused before sending"))
        }
        "invalid_response" => {
            only(spec, &[], "outcome.invalid_response")?;
            Ok(Error::decode(
                "response body is not the expected JSON",
                200,
                b"{",
            ))
        }
        other => Err(format!("unknown outcome {other:?} (known: {KINDS})")),
    }
}

fn policy_of(v: Option<&Value>) -> Result<RetryPolicy, String> {
    let mut p = RetryPolicy::default();
    let o = match v {
        None | Some(Value::Null) => return Ok(p),
        Some(Value::Object(o)) => o,
        Some(_) => return Err("`policy` must be an object".to_owned()),
    };
    only(
        o,
        &["max_retries", "base_ms", "cap_ms", "max_retry_wait_ms"],
        "policy",
    )?;
    if let Some(n) = u32_of(o, "max_retries")? {
        p.max_retries = n;
    }
    if let Some(d) = ms_of(o, "base_ms")? {
        p.base = d;
    }
    if let Some(d) = ms_of(o, "cap_ms")? {
        p.cap = d;
    }
    if let Some(d) = ms_of(o, "max_retry_wait_ms")? {
        p.max_retry_wait = d;
    }
    Ok(p)
}

// security ---------------------------------------------------------------------------------

fn observe_security(input: &Obj) -> Result<Value, String> {
    only(
        input,
        &["check", "key", "url", "allow_insecure_http"],
        "security input",
    )?;
    let check = str_of(input, "check")?
        .ok_or("`check` must be one of api_key, base_url, url_has_no_key")?;
    let key = str_of(input, "key")?;
    let mut url_out = Value::Null;
    let result = match check {
        "api_key" => {
            only(input, &["check", "key"], "an api_key check")?;
            security::validate_api_key(key.ok_or("an api_key check needs `key`")?)
        }
        "base_url" => {
            only(
                input,
                &["check", "url", "allow_insecure_http"],
                "a base_url check",
            )?;
            let url = str_of(input, "url")?.ok_or("a base_url check needs `url`")?;
            let allow = bool_of(input, "allow_insecure_http", false)?;
            security::validate_base_url(url, allow).map(|u| {
                url_out = json!(u.as_str());
            })
        }
        "url_has_no_key" => {
            let url = str_of(input, "url")?.ok_or("a url_has_no_key check needs `url`")?;
            let url =
                url::Url::parse(url).map_err(|e| format!("`url` {url:?} does not parse: {e}"))?;
            security::check_url_has_no_key(&url, key)
        }
        other => {
            return Err(format!(
                "unknown check {other:?} (known: api_key, base_url, url_has_no_key)"
            ))
        }
    };
    Ok(match result {
        Ok(()) => json!({
            "accepted": true, "code": null, "kind": null, "message": null,
            "key_in_message": null, "url": url_out,
        }),
        Err(e) => {
            // Only keys long enough to be told apart from ordinary words are searched for.
            let key_in_message = key
                .map(str::trim)
                .filter(|k| k.len() >= 8)
                .map_or(Value::Null, |k| json!(e.to_string().contains(k)));
            json!({
                "accepted": false,
                "code": e.code(),
                "kind": e.kind().as_str(),
                "message": e.message(),
                "key_in_message": key_in_message,
                "url": null,
            })
        }
    })
}

// pagination -------------------------------------------------------------------------------

struct Walk {
    limit: Option<u32>,
    prefetch: bool,
    start_cursor: Option<String>,
    max_retries: u32,
    pages: Vec<ResponseSpec>,
}

fn observe_pagination(input: &Obj) -> Result<Value, String> {
    only(
        input,
        &["limit", "prefetch", "start_cursor", "max_retries", "pages"],
        "pagination input",
    )?;
    let pages = match input.get("pages") {
        Some(Value::Array(pages)) => pages
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let o = p
                    .as_object()
                    .ok_or_else(|| format!("`pages[{i}]` must be an object"))?;
                only(o, &RESPONSE_MEMBERS, &format!("pages[{i}]"))?;
                if o.contains_key("body_truncated") {
                    return Err(format!(
                        "pages[{i}]: body_truncated is for errors vectors; the client cuts bodies itself"
                    ));
                }
                let r = response_spec(o, Some(200))?;
                if !(200..=599).contains(&r.status) {
                    return Err(format!("pages[{i}]: status must be 200 to 599"));
                }
                Ok(r)
            })
            .collect::<Result<Vec<_>, String>>()?,
        _ => return Err("`pages` must be an array of responses".to_owned()),
    };
    let walk = Walk {
        limit: u32_of(input, "limit")?,
        prefetch: bool_of(input, "prefetch", false)?,
        start_cursor: str_of(input, "start_cursor")?.map(str::to_owned),
        max_retries: u32_of(input, "max_retries")?.unwrap_or(0),
        pages,
    };
    // A thread of its own with a runtime of its own: works whether or not the caller is
    // inside an async runtime (the Python and C callers are not; a tokio test would be).
    let worker = std::thread::Builder::new()
        .name("surefoot-conformance".to_owned())
        .spawn(move || -> Result<Value, String> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start a runtime: {e}"))?;
            rt.block_on(async move {
                tokio::time::timeout(PAGINATION_TIMEOUT, run_walk(walk))
                    .await
                    .map_err(|_| {
                        format!(
                            "the walk did not finish within {}s",
                            PAGINATION_TIMEOUT.as_secs()
                        )
                    })?
            })
        })
        .map_err(|e| format!("cannot start a thread: {e}"))?;
    worker
        .join()
        .map_err(|p| format!("the pagination walk panicked: {}", panic_text(p.as_ref())))?
}

/// `(cursor, limit)` query values of each request the responder received, in order.
type RequestLog = Arc<Mutex<Vec<(Option<String>, Option<String>)>>>;

async fn run_walk(walk: Walk) -> Result<Value, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("no local address: {e}"))?;
    let log: RequestLog = Arc::default();
    let server = tokio::spawn(serve(listener, Arc::new(walk.pages), log.clone()));

    let client = crate::Client::builder()
        .base_url(format!("http://{addr}"))
        .max_retries(walk.max_retries)
        .backoff(Duration::from_millis(1), Duration::from_millis(1))
        .timeout(Duration::from_secs(10))
        .disable_pacing()
        .build()
        .map_err(|e| format!("cannot build the client: {e}"))?;
    let mut stream = client
        .paginate::<Value>(PAGINATION_PATH)
        .prefetch(walk.prefetch);
    if let Some(limit) = walk.limit {
        stream = stream.limit(limit);
    }
    if let Some(cursor) = walk.start_cursor {
        stream = stream.start_cursor(cursor);
    }
    let mut items = Vec::new();
    let mut failure = None;
    while let Some(next) = stream.next().await {
        match next {
            Ok(item) => {
                items.push(item);
                if items.len() > MAX_PAGINATION_ITEMS {
                    server.abort();
                    return Err(format!(
                        "the walk yielded more than {MAX_PAGINATION_ITEMS} items"
                    ));
                }
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    drop(stream);
    server.abort();
    let requests = log.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let (cursors, limits): (Vec<_>, Vec<_>) = requests.into_iter().unzip();
    let mut out = json!({
        "items": items,
        "cursors": cursors,
        "limits": limits,
        "stopped": if failure.is_some() { "error" } else { "end" },
        "error_code": null,
        "error_kind": null,
        "error_status": null,
        "error_message": null,
    });
    if let Some(e) = failure {
        out["error_code"] = json!(e.code());
        out["error_kind"] = json!(e.kind().as_str());
        out["error_status"] = json!(e.status());
        out["error_message"] = json!(e.message());
    }
    Ok(out)
}

/// The loopback responder: answers the n-th request with the n-th page (HTTP/1.1, one
/// request per connection), and with a 500 naming the vector's mistake past the last page.
async fn serve(listener: tokio::net::TcpListener, pages: Arc<Vec<ResponseSpec>>, log: RequestLog) {
    while let Ok((mut sock, _)) = listener.accept().await {
        let pages = pages.clone();
        let log = log.clone();
        tokio::spawn(async move {
            let Some(target) = read_request_target(&mut sock).await else {
                return;
            };
            let query = target.split_once('?').map_or("", |(_, q)| q);
            let mut cursor = None;
            let mut limit = None;
            for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
                match k.as_ref() {
                    "cursor" => cursor = Some(v.into_owned()),
                    "limit" => limit = Some(v.into_owned()),
                    _ => {}
                }
            }
            let index = {
                let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
                log.push((cursor, limit));
                log.len() - 1
            };
            let bytes = match pages.get(index) {
                Some(page) => render(page.status, &page.headers, &page.body),
                None => {
                    let mut h = HeaderMap::new();
                    h.insert(
                        http::header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    );
                    let body = json!({"detail": format!(
                        "conformance responder: the vector has no page {} (request {})",
                        index, index + 1
                    )});
                    render(500, &h, body.to_string().as_bytes())
                }
            };
            let _ = sock.write_all(&bytes).await;
            let _ = sock.shutdown().await;
        });
    }
}

/// Reads a request head and returns its target (`/v1/items?limit=2`); `None` on EOF,
/// an oversized head or a malformed request line.
async fn read_request_target(sock: &mut tokio::net::TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = sock.read(&mut buf).await.ok()?;
        if n == 0 || head.len() > 64 * 1024 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = head.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    line.split_whitespace().nth(1).map(str::to_owned)
}

fn render(status: u16, headers: &HeaderMap, body: &[u8]) -> Vec<u8> {
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Status");
    let no_body = status == 204 || status == 304;
    let mut out = format!("HTTP/1.1 {status} {reason}\r\nconnection: close\r\n").into_bytes();
    if !no_body {
        out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    for (name, value) in headers {
        if name == http::header::CONTENT_LENGTH || name == http::header::CONNECTION {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !no_body {
        out.extend_from_slice(body);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(v: Value) -> Value {
        serde_json::from_str(&run_vector(&v.to_string())).unwrap()
    }

    #[test]
    fn malformed_vectors_are_errors_not_panics() {
        for bad in [
            "",
            "[]",
            "{",
            r#"{"family": "errors"}"#,
            r#"{"family": "errors", "input": {}}"#,
            r#"{"family": "errors", "input": {"status": 1000}}"#,
            r#"{"family": "errors", "input": {"status": 400, "body": "a", "body_json": 1}}"#,
            r#"{"family": "errors", "input": {"status": 400, "bodyy": "a"}}"#,
            r#"{"family": "errors", "input": {"status": 400, "headers": [["bad name", "v"]]}}"#,
            r#"{"family": "errors", "input": {"status": 400, "headers": [["x", "a\nb"]]}}"#,
            r#"{"family": "errors", "input": {"status": 400, "body_base64": "!!"}}"#,
            r#"{"family": "errors", "input": {"status": 400, "body_repeat": {"unit": "x", "times": 100000000000}}}"#,
            r#"{"family": "retry_after", "input": {"now": "yesterday"}}"#,
            r#"{"family": "retry_decision", "input": {"outcome": {}}}"#,
            r#"{"family": "retry_decision", "input": {"outcome": {"timeout": {}}, "method": "BAD METHOD"}}"#,
            r#"{"family": "retry_decision", "input": {"outcome": {"timeout": {}}, "deadline_left_ms": -1}}"#,
            r#"{"family": "pagination", "input": {"pages": [{"status": 100}]}}"#,
            r#"{"family": "pagination", "input": {"pages": "x"}}"#,
            r#"{"family": "security", "input": {"check": "url_has_no_key", "url": "not a url"}}"#,
            r#"{"family": "security", "input": {"check": "api_key", "url": "https://x"}}"#,
            r#"{"family": "elsewhere", "input": {}}"#,
        ] {
            let out: Value = serde_json::from_str(&run_vector(bad)).unwrap();
            assert!(out["error"].is_string(), "{bad} -> {out}");
            let (ok, verdict) = check(bad);
            assert!(!ok, "{bad}");
            let verdict: Value = serde_json::from_str(&verdict).unwrap();
            assert!(
                verdict["diff"]
                    .as_str()
                    .unwrap()
                    .starts_with("the vector could not be run"),
                "{verdict}"
            );
        }
    }

    #[test]
    fn compare_rules() {
        let observed =
            json!({"a": 1, "b": "hello world", "c": [1, {"x": 2}], "d": {"e": null, "f": 3}});
        assert!(compare(&json!({}), &observed).is_ok());
        assert!(compare(&json!({"a": 1.0005}), &observed).is_ok());
        assert!(compare(&json!({"a": 1.01}), &observed).is_err());
        assert!(compare(&json!({"b_contains": "lo wo"}), &observed).is_ok());
        assert_eq!(
            compare(&json!({"b_contains": "bye"}), &observed).unwrap_err(),
            r#"b: expected to contain "bye", observed "hello world""#
        );
        assert!(compare(&json!({"c": [1, {"x": 2}]}), &observed).is_ok());
        assert!(compare(&json!({"c": [1]}), &observed).is_err());
        assert!(
            compare(&json!({"c": [1, {}]}), &observed).is_err(),
            "no subset rule in arrays"
        );
        assert!(
            compare(&json!({"d": {"f": 3}}), &observed).is_ok(),
            "subset rule in objects"
        );
        assert_eq!(
            compare(&json!({"d": {"e": 0}, "z": 1}), &observed).unwrap_err(),
            "d.e: expected 0, observed null; z: expected 1, but the observed result has no such member"
        );
        assert_eq!(
            compare(&json!({"a": 1}), &json!({"error": "bad vector"})).unwrap_err(),
            "the vector could not be run: bad vector"
        );
        assert!(compare(&json!([1]), &json!([1])).is_err());
    }

    #[test]
    fn ms_rendering() {
        assert_eq!(ms_json(None), Value::Null);
        assert_eq!(ms_json(Some(Duration::from_secs(2))), json!(2000));
        assert_eq!(ms_json(Some(Duration::from_micros(1500500))), json!(1500.5));
    }

    #[test]
    fn base64() {
        assert_eq!(
            base64_decode("//79AGdhcmJhZ2U=").unwrap(),
            b"\xff\xfe\xfd\x00garbage"
        );
        assert_eq!(base64_decode("aGk").unwrap(), b"hi");
        assert!(base64_decode("a=b").is_err());
    }

    #[test]
    fn pagination_walks_over_http_and_records_cursors() {
        let out = run(
            json!({"family": "pagination", "name": "two pages", "input": {
            "limit": 2,
            "pages": [
                {"body_json": {"data": [1, 2], "next_cursor": "c 1/+"}},
                {"body_json": {"data": [3], "next_cursor": null}}
            ]}}),
        );
        assert_eq!(out["items"], json!([1, 2, 3]), "{out}");
        assert_eq!(out["cursors"], json!([null, "c 1/+"]));
        assert_eq!(out["limits"], json!(["2", "2"]));
        assert_eq!(out["stopped"], "end");
    }

    #[test]
    fn pagination_works_inside_an_async_runtime() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let out = rt.block_on(async {
            run(json!({"family": "pagination", "input": {"pages": [{"body_json": {"data": [], "next_cursor": null}}]}}))
        });
        assert_eq!(out["stopped"], "end", "{out}");
    }

    #[test]
    fn file_mode_reports_every_difference() {
        let file = json!({"vectors": [
            {"family": "retry_after", "name": "ok", "input": {"headers": {"retry-after": "3"}}, "expected": {"wait_ms": 3000}},
            {"family": "retry_after", "name": "bad", "input": {"headers": {"retry-after": "3"}}, "expected": {"wait_ms": 1}},
            {"family": "retry_after", "name": "broken", "input": {"headers": 7}, "expected": {"wait_ms": 1}},
        ]});
        let (ok, verdict) = check(&file.to_string());
        assert!(!ok);
        let v: Value = serde_json::from_str(&verdict).unwrap();
        assert_eq!(v["failed"], 2);
        assert_eq!(v["passed"], 1);
        let report = v["report"].as_str().unwrap();
        assert!(
            report.contains("bad: wait_ms: expected 1, observed 3000"),
            "{report}"
        );
        assert!(
            report.contains("broken: the vector could not be run"),
            "{report}"
        );
    }
}
