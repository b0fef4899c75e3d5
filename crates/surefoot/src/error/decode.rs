//! Decoding an error body into a code, a message and a request id, whatever its shape:
//! the OpenAI envelope, RFC 7807 problem+json, FastAPI `detail` (string, object or
//! validation list), a generic `{code, message}`, an HTML page from a proxy, plain text,
//! an empty or unparseable body. Never panics on any input.

use serde_json::{Map, Value};

use super::classify::{clean_message, status_line, valid_code};
use super::MAX_DETAIL_ITEMS;

#[derive(Default)]
pub(super) struct Parsed {
    pub(super) code: Option<String>,
    pub(super) message: String,
    pub(super) request_id: Option<String>,
}

impl Parsed {
    /// Only a message: no code, no request id.
    fn message(message: String) -> Parsed {
        Parsed {
            message,
            ..Parsed::default()
        }
    }
}

/// Whether a body's first non-blank byte opens JSON: an object, an array or a string.
fn opens_json(first: u8) -> bool {
    // 0x7B is the opening curly bracket.
    first == 0x7B || first == b'[' || first == b'"'
}

/// `HTTP 400 Bad Request (unparseable body)`, noting a cut body.
fn unparseable(line: &str, truncated: bool) -> Parsed {
    let what = if truncated {
        "unparseable body, truncated"
    } else {
        "unparseable body"
    };
    Parsed::message(format!("{line} ({what})"))
}

/// Decodes any error body: see the module.
pub(super) fn parse_body(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    truncated: bool,
) -> Parsed {
    let line = status_line(status);
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let Some(first) = body.iter().copied().find(|b| !b.is_ascii_whitespace()) else {
        let what = if truncated {
            "empty body, truncated"
        } else {
            "empty body"
        };
        return Parsed::message(format!("{line} ({what})"));
    };
    let json_like = ct.contains("json") || opens_json(first);
    if ct.starts_with("text/html") || ct.contains("xhtml") || (!json_like && first == b'<') {
        return Parsed::message(match html_title(body) {
            Some(t) if !t.eq_ignore_ascii_case(line.trim_start_matches("HTTP ")) => {
                format!("{line} (HTML error page, likely from a proxy): {t}")
            }
            _ => format!("{line} (HTML error page, likely from a proxy)"),
        });
    }
    if json_like {
        return match serde_json::from_slice::<Value>(body) {
            Ok(v) => parse_json(status, &ct, &v).unwrap_or_else(|| Parsed::message(line)),
            Err(_) => unparseable(&line, truncated),
        };
    }
    // Bare JSON scalars (`null`, `42`, `true`) carry nothing useful.
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        return parse_json(status, &ct, &v).unwrap_or(Parsed::message(line));
    }
    plain_text(line, body, truncated)
}

/// Plain text (e.g. "Too Many Requests" from a proxy): its first line, cut at 200
/// characters.
fn plain_text(line: String, body: &[u8], truncated: bool) -> Parsed {
    let Ok(text) = std::str::from_utf8(body) else {
        return unparseable(&line, truncated);
    };
    let first_line = text.trim().lines().next().unwrap_or("").trim();
    let snippet: String = first_line.chars().take(200).collect();
    let cut = snippet.chars().count() < first_line.chars().count() || truncated;
    let snippet = clean_message(&snippet);
    if snippet.is_empty() {
        Parsed::message(line)
    } else {
        Parsed::message(format!("{line}: {snippet}{}", if cut { "…" } else { "" }))
    }
}

fn str_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// A code value: a non-empty string, or a number rendered as text.
fn code_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if valid_code(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn parse_json(status: u16, ct: &str, v: &Value) -> Option<Parsed> {
    let line = status_line(status);
    let obj = match v {
        Value::Object(o) => o,
        Value::String(s) if !s.trim().is_empty() => return Some(Parsed::message(s.clone())),
        _ => return None,
    };
    let top_request_id = str_of(obj.get("request_id"));
    if let Some(p) = openai_envelope(status, obj, &top_request_id) {
        return Some(p);
    }
    // 2. RFC 7807 problem+json.
    let is_problem = ct.starts_with("application/problem+json")
        || (obj.get("type").is_some_and(Value::is_string)
            && (obj.contains_key("title") || obj.contains_key("status")));
    if is_problem {
        let code = str_of(obj.get("type")).and_then(|t| problem_code(&t));
        let message = str_of(obj.get("detail"))
            .or_else(|| str_of(obj.get("title")))
            .unwrap_or_else(|| line.clone());
        return Some(Parsed {
            code,
            message,
            request_id: top_request_id,
        });
    }
    if let Some(p) = fastapi_detail(status, obj, &top_request_id, &line) {
        return Some(p);
    }
    // 4. Generic `{"code": "...", "message": "..."}`.
    let code = code_of(obj.get("code"));
    let message = str_of(obj.get("message"))
        .or_else(|| str_of(obj.get("title")))
        .unwrap_or(line);
    Some(Parsed {
        code,
        message,
        request_id: top_request_id,
    })
}

/// First, the OpenAI envelope: `error` as an object, or as a text.
fn openai_envelope(
    status: u16,
    obj: &Map<String, Value>,
    top_request_id: &Option<String>,
) -> Option<Parsed> {
    match obj.get("error")? {
        Value::Object(e) => {
            let mut p = envelope(status, e);
            p.request_id = top_request_id.clone().or(p.request_id);
            Some(p)
        }
        Value::String(s) if !s.trim().is_empty() => Some(Parsed {
            message: s.clone(),
            request_id: top_request_id.clone(),
            ..Parsed::default()
        }),
        _ => None,
    }
}

/// Third, FastAPI's `detail`: an object (maybe holding an OpenAI envelope), a text, or
/// a validation list.
fn fastapi_detail(
    status: u16,
    obj: &Map<String, Value>,
    top_request_id: &Option<String>,
    line: &str,
) -> Option<Parsed> {
    let request_id = top_request_id.clone();
    match obj.get("detail")? {
        Value::Object(d) => {
            if let Some(Value::Object(e)) = d.get("error") {
                let mut p = envelope(status, e);
                p.request_id = request_id.or(p.request_id);
                return Some(p);
            }
            Some(Parsed {
                code: code_of(d.get("code")),
                message: str_of(d.get("message"))
                    .or_else(|| str_of(d.get("msg")))
                    .or_else(|| str_of(d.get("detail")))
                    .unwrap_or_else(|| line.to_owned()),
                request_id: request_id.or_else(|| str_of(d.get("request_id"))),
            })
        }
        Value::String(s) if !s.trim().is_empty() => Some(Parsed {
            message: s.clone(),
            request_id,
            ..Parsed::default()
        }),
        Value::Array(items) => Some(Parsed {
            message: fastapi_list(items).unwrap_or_else(|| line.to_owned()),
            request_id,
            ..Parsed::default()
        }),
        _ => None,
    }
}

fn envelope(status: u16, e: &Map<String, Value>) -> Parsed {
    Parsed {
        code: code_of(e.get("code")).or_else(|| code_of(e.get("type"))),
        message: str_of(e.get("message")).unwrap_or_else(|| status_line(status)),
        request_id: str_of(e.get("request_id")),
    }
}

/// The last path segment of a problem `type` URI; `None` for `about:blank` or nothing.
pub(super) fn problem_code(t: &str) -> Option<String> {
    let t = t.trim();
    let t = t.split(['#', '?']).next().unwrap_or("");
    let t = t.trim_end_matches('/');
    if t.is_empty() || t.eq_ignore_ascii_case("about:blank") {
        return None;
    }
    let seg = match t.rsplit_once('/') {
        Some((_, s)) => s,
        None if t.starts_with("urn:") || t.starts_with("tag:") => {
            t.rsplit(':').next().unwrap_or("")
        }
        None => t,
    };
    let seg = seg.trim();
    (!seg.is_empty() && valid_code(seg) && !seg.contains(':')).then(|| seg.to_owned())
}

/// `query.limit: Input should be ...; body.ids: ...`
pub(super) fn fastapi_list(items: &[Value]) -> Option<String> {
    let mut parts = Vec::new();
    for item in items.iter().take(MAX_DETAIL_ITEMS) {
        let part = match item {
            Value::Object(o) => {
                let loc = match o.get("loc") {
                    Some(Value::Array(l)) => l
                        .iter()
                        .filter_map(|x| match x {
                            Value::String(s) => Some(s.clone()),
                            Value::Number(n) => Some(n.to_string()),
                            _ => None,
                        })
                        .collect::<Vec<_>>()
                        .join("."),
                    Some(Value::String(s)) => s.clone(),
                    _ => String::new(),
                };
                let msg = str_of(o.get("msg"))
                    .or_else(|| str_of(o.get("message")))
                    .or_else(|| str_of(o.get("type")))
                    .unwrap_or_else(|| "invalid".to_owned());
                if loc.is_empty() {
                    msg
                } else {
                    format!("{loc}: {msg}")
                }
            }
            Value::String(s) => s.clone(),
            _ => continue,
        };
        parts.push(part);
    }
    if parts.is_empty() {
        return None;
    }
    let mut msg = parts.join("; ");
    if items.len() > MAX_DETAIL_ITEMS {
        msg.push_str(&format!(" (and {} more)", items.len() - MAX_DETAIL_ITEMS));
    }
    Some(msg)
}

/// The text of an HTML page's `<title>`, whitespace collapsed, a few entities decoded.
pub(super) fn html_title(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]);
    let lower = text.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start
        + lower[start..]
            .find("</title")
            .unwrap_or(lower.len() - start);
    let raw = text.get(start..end)?;
    let decoded = raw
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    let t: String = clean_message(&decoded).chars().take(200).collect();
    (!t.is_empty()).then_some(t)
}
