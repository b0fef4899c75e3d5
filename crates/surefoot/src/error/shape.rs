//! Error-shape hints: where one API puts the stable code, the message and the request id of
//! its error answers. An [`ErrorShape`] lists JSON Pointers (RFC 6901) into the body and
//! header names, tried in order; it is part of an API's [`Profile`](crate::config::profile::Profile)
//! (Specala's `detail` string or `{code, message}`, PyAI's `error: {code, message, type}`
//! and problem+json), and a generic client given one decodes a third API's error bodies
//! into the right code and message. What a hint does not find is left to the general
//! decoding of [`Error::from_response`], so an empty shape (the generic profile's) changes
//! nothing.

use serde_json::Value;

use super::classify::{clean_message, kind_for, valid_code, valid_request_id};
use super::decode::{fastapi_list, problem_code};
use super::value::Error;

/// Where an API's error answers carry their parts; see the module documentation.
///
/// ```
/// use surefoot::error::ErrorShape;
/// let shape = ErrorShape::new()
///     .code("/errors/0/reason")
///     .message("/errors/0/text")
///     .request_id("/meta/trace")
///     .request_id_header("x-trace-id");
/// let body = br#"{"errors": [{"reason": "quota_exceeded", "text": "Monthly quota used up."}],
///                 "meta": {"trace": "tr-77"}}"#;
/// let e = shape.decode(402, &http::HeaderMap::new(), body, false);
/// assert_eq!(e.code(), "quota_exceeded");
/// assert_eq!(e.message(), "Monthly quota used up.");
/// assert_eq!(e.request_id(), Some("tr-77"));
/// assert_eq!(e.kind(), surefoot::ErrorKind::PaymentRequired);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorShape {
    code: Vec<String>,
    message: Vec<String>,
    request_id: Vec<String>,
    request_id_headers: Vec<http::HeaderName>,
    invalid: Option<String>,
}

impl ErrorShape {
    /// An empty shape: every part left to the general decoding.
    ///
    /// ```
    /// assert!(surefoot::error::ErrorShape::new().is_empty());
    /// ```
    pub fn new() -> ErrorShape {
        ErrorShape::default()
    }

    fn pointer(mut self, which: fn(&mut ErrorShape) -> &mut Vec<String>, p: &str) -> Self {
        if p.is_empty() || p.starts_with('/') {
            which(&mut self).push(p.to_owned());
        } else if self.invalid.is_none() {
            let shown: String = p.chars().take(64).collect();
            self.invalid = Some(format!(
                "error shape: {shown:?} is not a JSON Pointer (it starts with `/`, e.g. \"/error/code\")"
            ));
        }
        self
    }

    /// A JSON Pointer to the stable code: a string, a number, or a problem `type` URI (its
    /// last segment). Tried in the order given.
    ///
    /// ```
    /// let s = surefoot::error::ErrorShape::new().code("/fault/code");
    /// let e = s.decode(400, &http::HeaderMap::new(), br#"{"fault": {"code": 1007}}"#, false);
    /// assert_eq!(e.code(), "1007");
    /// ```
    pub fn code(self, pointer: &str) -> Self {
        self.pointer(|s| &mut s.code, pointer)
    }

    /// A JSON Pointer to the message: a string, a validation list (`[{loc, msg}]`, joined as
    /// `loc: msg; …`) or an object with `message`/`msg`. Tried in the order given.
    ///
    /// ```
    /// let s = surefoot::error::ErrorShape::new().message("/problems");
    /// let body = br#"{"problems": [{"loc": ["body", "n"], "msg": "too big"}]}"#;
    /// assert_eq!(s.decode(422, &http::HeaderMap::new(), body, false).message(), "body.n: too big");
    /// ```
    pub fn message(self, pointer: &str) -> Self {
        self.pointer(|s| &mut s.message, pointer)
    }

    /// A JSON Pointer to the request id in the body (used when no named header has one).
    ///
    /// ```
    /// let s = surefoot::error::ErrorShape::new().request_id("/trace");
    /// let e = s.decode(500, &http::HeaderMap::new(), br#"{"trace": "t-1"}"#, false);
    /// assert_eq!(e.request_id(), Some("t-1"));
    /// ```
    pub fn request_id(self, pointer: &str) -> Self {
        self.pointer(|s| &mut s.request_id, pointer)
    }

    /// A header carrying the request id, preferred over the usual ones (`x-request-id`, …).
    ///
    /// ```
    /// let s = surefoot::error::ErrorShape::new().request_id_header("x-trace-id");
    /// let mut h = http::HeaderMap::new();
    /// h.insert("x-trace-id", "t-9".parse().unwrap());
    /// assert_eq!(s.decode(500, &h, b"", false).request_id(), Some("t-9"));
    /// ```
    pub fn request_id_header(mut self, name: &str) -> Self {
        match http::HeaderName::from_bytes(name.trim().as_bytes()) {
            Ok(h) => self.request_id_headers.push(h),
            Err(_) => {
                let shown: String = name.chars().take(64).collect();
                self.invalid
                    .get_or_insert(format!("error shape: {shown:?} is not a valid header name"));
            }
        }
        self
    }

    /// One hint by the name of its part — `"code"`, `"message"`, `"request_id"` (JSON
    /// Pointers) or `"request_id_header"` (a header name) — what the Python `error_shape=`
    /// mapping and C `sf_client_options_add_error_hint` give. An unknown part is reported
    /// by `build`.
    ///
    /// ```
    /// use surefoot::error::ErrorShape;
    /// let s = ErrorShape::new().hint("code", "/errors/0/reason").hint("message", "/errors/0/text");
    /// assert_eq!(s, ErrorShape::new().code("/errors/0/reason").message("/errors/0/text"));
    /// ```
    pub fn hint(mut self, part: &str, value: &str) -> Self {
        match part {
            "code" => self.code(value),
            "message" => self.message(value),
            "request_id" => self.request_id(value),
            "request_id_header" => self.request_id_header(value),
            other => {
                let shown: String = other.chars().take(64).collect();
                self.invalid.get_or_insert(format!(
                    "error shape: unknown part {shown:?} (use \"code\", \"message\", \"request_id\" or \"request_id_header\")"
                ));
                self
            }
        }
    }

    /// Whether the shape has no hint at all.
    ///
    /// ```
    /// assert!(!surefoot::pyai::profile().error_shape().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
            && self.message.is_empty()
            && self.request_id.is_empty()
            && self.request_id_headers.is_empty()
    }

    /// The first invalid hint given (a pointer not starting with `/`, a bad header name),
    /// as an `invalid_request` error: what a profile's or client's `build` reports.
    pub(crate) fn check(&self) -> crate::Result<()> {
        match &self.invalid {
            Some(m) => Err(Error::invalid_request(m.clone())),
            None => Ok(()),
        }
    }

    /// Decodes an error answer: [`Error::from_response`], then every part this shape
    /// finds replaces the general guess (the kind follows a replaced code).
    ///
    /// ```
    /// let e = surefoot::specala::profile().error_shape().decode(403, &http::HeaderMap::new(),
    ///     br#"{"detail": {"code": "api_access_denied", "message": "Upgrade your plan."}}"#, false);
    /// assert_eq!((e.code(), e.message()), ("api_access_denied", "Upgrade your plan."));
    /// ```
    pub fn decode(
        &self,
        status: u16,
        headers: &http::HeaderMap,
        body: &[u8],
        body_truncated: bool,
    ) -> Error {
        self.apply(
            Error::from_response(status, headers, body, body_truncated),
            headers,
        )
    }

    /// Applies the shape to an error decoded by [`Error::from_response`] (its status and
    /// body are the answer's).
    pub(crate) fn apply(&self, mut e: Error, headers: &http::HeaderMap) -> Error {
        if self.is_empty() {
            return e;
        }
        let header_id = self
            .request_id_headers
            .iter()
            .find_map(|h| headers.get(h).and_then(|v| v.to_str().ok()))
            .map(str::trim)
            .filter(|s| valid_request_id(s))
            .map(str::to_owned);
        let json =
            e.0.body
                .as_ref()
                .and_then(|b| serde_json::from_slice::<Value>(b).ok());
        if let Some(v) = &json {
            if let Some(code) = self.code.iter().find_map(|p| code_at(v.pointer(p)?)) {
                let status = e.0.status.unwrap_or(0);
                e.0.kind = kind_for(&code, status);
                e.0.code = code;
            }
            if let Some(m) = self.message.iter().find_map(|p| message_at(v.pointer(p)?)) {
                e.0.message = clean_message(&m);
            }
        }
        let body_id = || {
            let v = json.as_ref()?;
            self.request_id.iter().find_map(|p| match v.pointer(p)? {
                Value::String(s) if valid_request_id(s.trim()) => Some(s.trim().to_owned()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        };
        if let Some(id) = header_id.or_else(body_id) {
            e.0.request_id = Some(id);
        }
        e
    }
}

/// A code at a pointer: a non-empty string (a problem `type` URI gives its last segment)
/// or a number.
fn code_at(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if s.contains("://") || s.starts_with("urn:") => problem_code(s),
        Value::String(s) if valid_code(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A message at a pointer: a string, a validation list, or an object's `message` / `msg`.
fn message_at(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Array(items) => fastapi_list(items),
        Value::Object(o) => ["message", "msg"].iter().find_map(|k| match o.get(*k) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
            _ => None,
        }),
        _ => None,
    }
}
