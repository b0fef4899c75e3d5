//! The vectors as scripts: reads every `*.json` vector file of a directory and turns each
//! vector whose family the replay server serves into the responses a client meets, checking
//! the response descriptions (`status`, `headers`, `content_type` and one of `body`,
//! `body_json`, `body_base64`, `body_repeat`) and naming the file and vector of a mistake.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine;
use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use serde_json::{json, Map, Value};

use super::dates::unix;

/// The `now` of a `retry_after` vector that gives none: `Wed, 21 Oct 2015 07:28:00 GMT`.
///
/// ```
/// assert_eq!(surefoot_emulator::replay::DEFAULT_NOW_UNIX, 1_445_412_480);
/// ```
pub const DEFAULT_NOW_UNIX: u64 = 1_445_412_480;

/// Largest body a vector may describe (after `body_repeat` expansion).
const MAX_BODY: u64 = 64 * 1024 * 1024;

const RESPONSE_MEMBERS: [&str; 7] = [
    "status",
    "headers",
    "content_type",
    "body",
    "body_json",
    "body_base64",
    "body_repeat",
];

/// One scripted response.
#[derive(Clone, Debug)]
pub(super) struct Scripted {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Bytes,
    /// Move HTTP-dates in `Retry-After` by (real now − this) seconds when served.
    pub(super) shift_dates_from: Option<u64>,
}

/// The scripts of every vector file in `dir`, by `<file stem>/<index>`.
pub(super) fn load_dir(dir: &Path) -> Result<HashMap<String, Vec<Scripted>>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut scripts = HashMap::new();
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let doc: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not valid JSON: {e}", path.display()))?;
        let vectors = doc["vectors"]
            .as_array()
            .ok_or_else(|| format!("{}: no `vectors` array", path.display()))?;
        for (i, v) in vectors.iter().enumerate() {
            let name = v["name"].as_str().unwrap_or("(unnamed)");
            if let Some(script) = script_of(v).map_err(|e| format!("{stem}.json: {name}: {e}"))? {
                scripts.insert(format!("{stem}/{i}"), script);
            }
        }
    }
    Ok(scripts)
}

type Obj = Map<String, Value>;

/// The responses a vector scripts, or `None` for families served elsewhere.
fn script_of(v: &Value) -> Result<Option<Vec<Scripted>>, String> {
    let family = v["family"].as_str().ok_or("no `family` string")?;
    let input = v["input"].as_object().ok_or("no `input` object");
    let ok = || Scripted {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: Bytes::from_static(b"{}"),
        shift_dates_from: None,
    };
    Ok(Some(match family {
        "errors" => vec![response(input?, None)?],
        "retry_after" => {
            let input = input?;
            let now = now_of(input.get("now"))?;
            let mut headers = Obj::new();
            if let Some(h) = input.get("headers") {
                headers.insert("headers".into(), h.clone());
            }
            headers.insert("status".into(), json!(429));
            let mut r = response(&headers, None)?;
            r.shift_dates_from = Some(now);
            vec![r]
        }
        "retry_decision" => {
            let outcome = input?.get("outcome").and_then(Value::as_object);
            match outcome
                .and_then(|o| o.get("response"))
                .and_then(Value::as_object)
            {
                Some(r) => vec![response(r, None)?, ok()],
                None => vec![ok()],
            }
        }
        "pagination" => input?
            .get("pages")
            .and_then(Value::as_array)
            .ok_or("`pages` must be an array")?
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let o = p
                    .as_object()
                    .ok_or(format!("pages[{i}] must be an object"))?;
                response(o, Some(200)).map_err(|e| format!("pages[{i}]: {e}"))
            })
            .collect::<Result<Vec<_>, String>>()?,
        "retries" => input?
            .get("responses")
            .and_then(Value::as_array)
            .ok_or("`responses` must be an array")?
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let o = p
                    .as_object()
                    .ok_or(format!("responses[{i}] must be an object"))?;
                response(o, None).map_err(|e| format!("responses[{i}]: {e}"))
            })
            .collect::<Result<Vec<_>, String>>()?,
        "security" => vec![ok()],
        _ => return Ok(None),
    }))
}

fn response(o: &Obj, default_status: Option<u16>) -> Result<Scripted, String> {
    if let Some(k) = o.keys().find(|k| !RESPONSE_MEMBERS.contains(&k.as_str())) {
        return Err(format!(
            "unknown response member `{k}` (allowed: {})",
            RESPONSE_MEMBERS.join(", ")
        ));
    }
    let status = match o.get("status") {
        Some(v) => v
            .as_u64()
            .filter(|s| (200..=599).contains(s))
            .ok_or("`status` must be an integer from 200 to 599")? as u16,
        None => default_status.ok_or("the response has no `status`")?,
    };
    let mut headers = Vec::new();
    match o.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Array(pairs)) => {
            for p in pairs {
                match p.as_array().map(Vec::as_slice) {
                    Some([Value::String(n), Value::String(v)]) => {
                        headers.push((n.clone(), v.clone()))
                    }
                    _ => return Err("`headers` pairs must be [\"name\", \"value\"]".into()),
                }
            }
        }
        Some(Value::Object(m)) => {
            for (n, v) in m {
                let v = v.as_str().ok_or("header values must be strings")?;
                headers.push((n.clone(), v.to_owned()));
            }
        }
        Some(_) => return Err("`headers` must be pairs or an object".into()),
    }
    for (n, v) in &headers {
        HeaderName::from_bytes(n.as_bytes()).map_err(|_| format!("{n:?} is not a header name"))?;
        HeaderValue::from_bytes(v.as_bytes())
            .map_err(|_| format!("{v:?} is not a header value"))?;
    }
    match o.get("content_type") {
        Some(Value::String(ct)) => headers.push(("content-type".into(), ct.clone())),
        None | Some(Value::Null) => {
            if o.contains_key("body_json")
                && !headers
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            {
                headers.push(("content-type".into(), "application/json".into()));
            }
        }
        Some(_) => return Err("`content_type` must be a string".into()),
    }
    Ok(Scripted {
        status,
        headers,
        body: Bytes::from(body_of(o)?),
        shift_dates_from: None,
    })
}

fn body_of(o: &Obj) -> Result<Vec<u8>, String> {
    let given: Vec<&str> = ["body", "body_json", "body_base64", "body_repeat"]
        .into_iter()
        .filter(|k| o.contains_key(*k))
        .collect();
    if given.len() > 1 {
        return Err(format!("give at most one of {}", given.join(", ")));
    }
    let Some(kind) = given.first() else {
        return Ok(Vec::new());
    };
    let v = &o[*kind];
    match *kind {
        "body" => v
            .as_str()
            .map(|s| s.as_bytes().to_vec())
            .ok_or("`body` must be a string".into()),
        "body_json" => Ok(v.to_string().into_bytes()),
        "body_base64" => base64_decode(v.as_str().ok_or("`body_base64` must be a string")?),
        _ => {
            let r = v.as_object().ok_or("`body_repeat` must be an object")?;
            let text = |k: &str| {
                r.get(k).map_or(Ok(""), |v| {
                    v.as_str()
                        .ok_or(format!("`body_repeat.{k}` must be a string"))
                })
            };
            let (prefix, unit, suffix) = (text("prefix")?, text("unit")?, text("suffix")?);
            if let Some(k) = r
                .keys()
                .find(|k| !["prefix", "unit", "times", "suffix"].contains(&k.as_str()))
            {
                return Err(format!("unknown member `{k}` in `body_repeat`"));
            }
            let times = r
                .get("times")
                .and_then(Value::as_u64)
                .ok_or("`body_repeat.times` must be an integer ≥ 0")?;
            let total = (unit.len() as u64)
                .saturating_mul(times)
                .saturating_add((prefix.len() + suffix.len()) as u64);
            if total > MAX_BODY {
                return Err(format!(
                    "`body_repeat` makes {total} bytes; at most {MAX_BODY}"
                ));
            }
            let mut b = Vec::with_capacity(total as usize);
            b.extend_from_slice(prefix.as_bytes());
            for _ in 0..times {
                b.extend_from_slice(unit.as_bytes());
            }
            b.extend_from_slice(suffix.as_bytes());
            Ok(b)
        }
    }
}

fn now_of(v: Option<&Value>) -> Result<u64, String> {
    match v {
        None | Some(Value::Null) => Ok(DEFAULT_NOW_UNIX),
        Some(Value::Number(n)) => n.as_u64().ok_or("`now` must be whole Unix seconds".into()),
        Some(Value::String(s)) => httpdate::parse_http_date(s)
            .map(unix)
            .map_err(|_| format!("`now` {s:?} is not an HTTP-date")),
        Some(_) => Err("`now` must be Unix seconds or an HTTP-date".into()),
    }
}

/// Standard base64, padding optional, whitespace ignored.
fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    use base64::engine::{general_purpose, DecodePaddingMode, GeneralPurpose};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        general_purpose::GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let compact: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    LENIENT
        .decode(compact)
        .map_err(|e| format!("`body_base64` is not base64: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_bodies() {
        assert_eq!(
            base64_decode("//4AZ2Fy YmFnZQ==").unwrap(),
            b"\xff\xfe\x00garbage"
        );
        assert_eq!(base64_decode("YQ").unwrap(), b"a");
        assert!(base64_decode("a$").unwrap_err().contains("body_base64"));
    }

    #[test]
    fn unknown_members_are_refused() {
        let v = json!({"family": "errors", "input": {"status": 400, "bodyy": "a"}});
        assert!(script_of(&v).unwrap_err().contains("bodyy"));
    }
}
