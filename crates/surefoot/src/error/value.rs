//! [`Error`]: the one error type, and its main `impl Error` — constructors for every failure
//! (an HTTP error answer, a connection failure or a refused certificate, a timeout, an
//! unreadable success body; a request refused before sending is `refused`'s), the `with_*`
//! builders the client adds what it learnt with, and the accessors every surface reads.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use super::classify::valid_code;
use super::classify::{
    clean_message, code_from_status, header_str, kind_for, valid_request_id, REQUEST_ID_HEADERS,
};
use super::codes;
use super::decode::parse_body;
use super::kind::{ErrorKind, FailReason};
use super::reason::InvalidRequestReason;

#[derive(Clone)]
pub(super) struct Inner {
    pub(super) status: Option<u16>,
    pub(super) code: String,
    pub(super) kind: ErrorKind,
    pub(super) message: String,
    pub(super) request_id: Option<String>,
    pub(super) retry_after: Option<Duration>,
    pub(super) attempts: u32,
    pub(super) waited: Duration,
    pub(super) stop_reason: Option<FailReason>,
    pub(super) body: Option<Bytes>,
    pub(super) body_truncated: bool,
    pub(super) content_type: Option<String>,
    pub(super) reached_server: bool,
    /// A TLS handshake refused the server's certificate (see [`Error::certificate_refused`]).
    pub(super) certificate_refused: bool,
    pub(super) idempotency_key: Option<String>,
    pub(super) source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
    /// Why a request was refused before sending (`invalid_request` only).
    pub(super) invalid_reason: Option<InvalidRequestReason>,
    /// The option or argument an `invalid_request` is about.
    pub(super) invalid_subject: Option<String>,
}

/// Every surefoot failure: an HTTP error response, a connection failure, a timeout, an
/// unparseable success body, or a request refused on the client side.
///
/// Cheap to move (one pointer) and to clone (the body and source are shared).
///
/// ```
/// use surefoot::{Error, ErrorKind};
/// let mut headers = http::HeaderMap::new();
/// headers.insert("x-request-id", "req_1".parse().unwrap());
/// headers.insert("retry-after", "2.5".parse().unwrap());
/// let body = br#"{"error": {"message": "Rate limit exceeded.", "type": "rate_limit_error",
///                 "code": "rate_limit_exceeded", "param": null}}"#;
/// let err = Error::from_response(429, &headers, body, false).with_attempts(4);
/// assert_eq!(err.code(), "rate_limit_exceeded");
/// assert_eq!(err.kind(), ErrorKind::RateLimited);
/// assert!(err.is_retryable());
/// assert_eq!(
///     err.to_string(),
///     "rate_limit_exceeded (HTTP 429): Rate limit exceeded. [request_id=req_1, attempts=4, retry_after=2.5s]"
/// );
/// ```
#[derive(Clone)]
pub struct Error(pub(super) Box<Inner>);

impl Error {
    pub(super) fn base(code: &str, kind: ErrorKind, message: String) -> Error {
        Error(Box::new(Inner {
            status: None,
            code: code.to_owned(),
            kind,
            message: clean_message(&message),
            request_id: None,
            retry_after: None,
            attempts: 1,
            waited: Duration::ZERO,
            stop_reason: None,
            body: None,
            body_truncated: false,
            content_type: None,
            reached_server: true,
            certificate_refused: false,
            idempotency_key: None,
            source: None,
            invalid_reason: None,
            invalid_subject: None,
        }))
    }

    // ----- constructors -------------------------------------------------------------

    /// A connection failure (DNS, connect, TLS, reset). Pass `reached_server = false` only
    /// when the request provably never reached the server (e.g. connect refused); that is
    /// what allows a non-idempotent request to be retried. Code `connection_error`,
    /// retryable.
    ///
    /// ```
    /// let e = surefoot::Error::connection("connection refused", false);
    /// assert_eq!(e.code(), "connection_error");
    /// assert!(e.is_retryable() && !e.reached_server());
    /// ```
    #[cold]
    pub fn connection(message: impl Into<String>, reached_server: bool) -> Error {
        let mut e = Error::base(
            codes::CONNECTION_ERROR,
            ErrorKind::Connection,
            message.into(),
        );
        e.0.reached_server = reached_server;
        e
    }

    /// A TLS handshake that refused the server's certificate (an unknown issuer, another
    /// name, expired): code `connection_error`, never reached the server, and not retried
    /// nor counted toward an outage, since trying again cannot change the answer.
    ///
    /// ```
    /// let e = surefoot::Error::certificate_refused("invalid peer certificate: UnknownIssuer");
    /// assert_eq!(e.code(), "connection_error");
    /// assert!(e.is_certificate_refused() && !e.is_retryable() && !e.reached_server());
    /// ```
    #[cold]
    pub fn certificate_refused(message: impl Into<String>) -> Error {
        let mut e = Error::connection(message, false);
        e.0.certificate_refused = true;
        e
    }

    /// A timeout (per attempt or overall deadline). Code `timeout`, retryable; assumed to
    /// have reached the server (we cannot know it did not).
    ///
    /// ```
    /// let e = surefoot::Error::timeout("request timed out after 30s");
    /// assert_eq!(e.kind(), surefoot::ErrorKind::Timeout);
    /// assert!(e.is_retryable() && e.reached_server());
    /// ```
    #[cold]
    pub fn timeout(message: impl Into<String>) -> Error {
        Error::base(codes::TIMEOUT, ErrorKind::Timeout, message.into())
    }

    /// A success response whose body could not be read (not JSON, no `id`…). Code
    /// `invalid_response`, kind [`ErrorKind::Server`], not retryable; the body is kept.
    /// The server did answer 2xx: for a create, what it did may have happened, so the
    /// typed clients attach the idempotency key that was used
    /// ([`Error::idempotency_key`]) — retrying with that key is safe and returns the
    /// original result instead of acting twice.
    ///
    /// ```
    /// let e = surefoot::Error::decode("expected `data` array", 200, b"{}");
    /// assert_eq!((e.code(), e.status()), ("invalid_response", Some(200)));
    /// assert_eq!(e.body(), Some(&b"{}"[..]));
    /// ```
    #[cold]
    pub fn decode(message: impl Into<String>, status: u16, body: &[u8]) -> Error {
        let mut e = Error::base(codes::INVALID_RESPONSE, ErrorKind::Server, message.into());
        e.0.status = Some(status);
        e.0.body = Some(Bytes::copy_from_slice(body));
        e
    }

    /// A call refused on the client side without sending, because of an answer the server
    /// gave earlier (a pause it set on the key): the same `code`, `kind`, `status` and
    /// `request_id` as that answer, the given `message`, zero attempts, not sent, and
    /// retryable as that answer was (never, without a status).
    ///
    /// ```
    /// use surefoot::{Error, ErrorKind};
    /// let e = Error::not_sent(ErrorKind::RateLimited, "rate_limit_exceeded", Some(429), "not sent", None);
    /// assert_eq!((e.code(), e.status(), e.attempts()), ("rate_limit_exceeded", Some(429), 0));
    /// assert!(!e.reached_server() && e.is_retryable());
    /// ```
    #[cold]
    pub fn not_sent(
        kind: ErrorKind,
        code: &str,
        status: Option<u16>,
        message: impl Into<String>,
        request_id: Option<String>,
    ) -> Error {
        let mut e = Error::base(code, kind, message.into());
        e.0.status = status;
        e.0.request_id = request_id;
        e.0.attempts = 0;
        e.0.reached_server = false;
        e
    }

    /// An error with an explicit code and kind (for callers building their own errors,
    /// e.g. a repeated pagination cursor). Retryable only for connection and timeout kinds.
    ///
    /// ```
    /// use surefoot::{Error, ErrorKind};
    /// let e = Error::new(ErrorKind::Server, "repeated_cursor", "the server returned the same cursor twice");
    /// assert_eq!(e.code(), "repeated_cursor");
    /// assert!(!e.is_retryable());
    /// ```
    #[cold]
    pub fn new(kind: ErrorKind, code: impl Into<String>, message: impl Into<String>) -> Error {
        let code = code.into();
        let mut e = Error::base(&code, kind, message.into());
        if kind == ErrorKind::InvalidRequest {
            e.0.attempts = 0;
            e.0.reached_server = false;
        }
        e
    }

    /// Classify an HTTP error response into the error-code model.
    ///
    /// `body` is the raw (possibly capped) body and `body_truncated` says whether it was
    /// cut. Understands the OpenAI envelope, RFC 7807 problem+json, FastAPI `detail`
    /// (string, object, nested envelope, validation list), HTML error pages, empty and
    /// unparseable bodies. Never panics. `retry_after` is read from the headers
    /// (`retry-after-ms`, `Retry-After`), `request_id` from `x-request-id` / `request-id` /
    /// `x-amzn-requestid`, else from the body's `request_id`.
    ///
    /// ```
    /// use surefoot::{Error, ErrorKind};
    /// let mut h = http::HeaderMap::new();
    /// h.insert("content-type", "application/problem+json".parse().unwrap());
    /// let body = br#"{"type": "https://api.pyai.com/problems/idempotency_conflict", "title": "Conflict",
    ///   "status": 409, "detail": "Idempotency-Key was reused with a different request body.",
    ///   "request_id": "req_9"}"#;
    /// let e = Error::from_response(409, &h, body, false);
    /// assert_eq!(e.code(), "idempotency_conflict");
    /// assert_eq!(e.kind(), ErrorKind::Conflict);
    /// assert_eq!(e.request_id(), Some("req_9"));
    /// assert!(!e.is_retryable());
    ///
    /// let e = Error::from_response(422, &http::HeaderMap::new(),
    ///     br#"{"detail": [{"loc": ["query", "limit"], "msg": "Input should be less than or equal to 100", "type": "less_than_equal"}]}"#, false);
    /// assert_eq!(e.code(), "validation_error");
    /// assert_eq!(e.message(), "query.limit: Input should be less than or equal to 100");
    /// ```
    pub fn from_response(
        status: u16,
        headers: &http::HeaderMap,
        body: &[u8],
        body_truncated: bool,
    ) -> Error {
        let content_type = header_str(headers, &http::header::CONTENT_TYPE)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        let parsed = parse_body(status, content_type.as_deref(), body, body_truncated);

        let code = parsed
            .code
            .filter(|c| valid_code(c))
            .unwrap_or_else(|| code_from_status(status));
        let kind = kind_for(&code, status);

        let request_id = REQUEST_ID_HEADERS
            .iter()
            .find_map(|name| header_str(headers, name))
            .map(str::trim)
            .filter(|s| valid_request_id(s))
            .map(str::to_owned)
            .or_else(|| parsed.request_id.filter(|s| valid_request_id(s)));

        let mut e = Error::base(&code, kind, parsed.message);
        e.0.status = Some(status);
        e.0.request_id = request_id;
        e.0.retry_after = crate::leaves::headers::parse_retry_after(headers, SystemTime::now());
        e.0.body = Some(Bytes::copy_from_slice(body));
        e.0.body_truncated = body_truncated;
        e.0.content_type = content_type;
        e
    }

    // ----- builders -------------------------------------------------------------------

    /// Attach the underlying cause, exposed through [`std::error::Error::source`].
    ///
    /// ```
    /// use std::error::Error as _;
    /// let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
    /// let e = surefoot::Error::connection("could not connect", false).with_source(io);
    /// assert_eq!(e.source().unwrap().to_string(), "refused");
    /// ```
    pub fn with_source(mut self, e: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.0.source = Some(Arc::new(e));
        self
    }

    /// Set the number of attempts made (the first try counts as one).
    ///
    /// ```
    /// assert_eq!(surefoot::Error::timeout("t").with_attempts(4).attempts(), 4);
    /// ```
    pub fn with_attempts(mut self, n: u32) -> Self {
        self.0.attempts = n;
        self
    }

    /// Set (or clear) the server's requested wait.
    ///
    /// ```
    /// use std::time::Duration;
    /// let e = surefoot::Error::timeout("t").with_retry_after(Some(Duration::from_secs(3)));
    /// assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
    /// ```
    pub fn with_retry_after(mut self, d: Option<Duration>) -> Self {
        self.0.retry_after = d;
        self
    }

    /// Record why retrying stopped (what [`Error::stop_reason`] answers); the send loop
    /// sets it on every error it returns after a retry decision.
    ///
    /// ```
    /// use surefoot::retry::FailReason;
    /// let e = surefoot::Error::timeout("t").with_stop_reason(Some(FailReason::RetriesExhausted));
    /// assert_eq!(e.stop_reason(), Some(FailReason::RetriesExhausted));
    /// ```
    pub fn with_stop_reason(mut self, reason: Option<FailReason>) -> Self {
        self.0.stop_reason = reason;
        self
    }

    /// Set the total time slept (backoff) and paced over all attempts.
    ///
    /// ```
    /// use std::time::Duration;
    /// let e = surefoot::Error::timeout("t").with_waited(Duration::from_millis(1500));
    /// assert_eq!(e.waited(), Duration::from_millis(1500));
    /// ```
    pub fn with_waited(mut self, d: Duration) -> Self {
        self.0.waited = d;
        self
    }

    /// Set (or clear) the request id. `None` keeps nothing; ids with control characters
    /// or longer than 200 characters are dropped.
    ///
    /// ```
    /// let e = surefoot::Error::timeout("t").with_request_id(Some("req_1".into()));
    /// assert_eq!(e.request_id(), Some("req_1"));
    /// ```
    pub fn with_request_id(mut self, id: Option<String>) -> Self {
        self.0.request_id = id.filter(|s| valid_request_id(s));
        self
    }

    /// Record the idempotency key the failed request was sent with. On an
    /// `invalid_response` error (the server answered 2xx, so it may have acted), the
    /// message says that retrying with this key is safe: the server replays its first
    /// answer instead of acting twice.
    ///
    /// ```
    /// let e = surefoot::Error::decode("job has no `id`", 201, b"{}").with_idempotency_key("batch-7");
    /// assert_eq!(e.idempotency_key(), Some("batch-7"));
    /// assert_eq!(
    ///     e.message(),
    ///     "job has no `id`; the server answered 2xx and may have acted: retrying with idempotency key batch-7 is safe"
    /// );
    /// ```
    pub fn with_idempotency_key(mut self, key: impl Into<String>) -> Self {
        let key = key.into();
        if self.0.code == "invalid_response" && self.0.idempotency_key.is_none() {
            self.0.message = clean_message(&format!(
                "{}; the server answered 2xx and may have acted: retrying with idempotency key {key} is safe",
                self.0.message
            ));
        }
        self.0.idempotency_key = Some(key);
        self
    }

    /// Replace the message (e.g. to add context); control characters become spaces.
    ///
    /// ```
    /// let e = surefoot::Error::timeout("t").with_message("deadline of 5s exceeded");
    /// assert_eq!(e.message(), "deadline of 5s exceeded");
    /// ```
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.0.message = clean_message(&message.into());
        self
    }

    /// Mask every occurrence of `api_key` in the message and code (see
    /// [`crate::security::redact`]); for server text that echoes the key back. The raw
    /// [`body`](Error::body) is left as received (it is never shown by `Display`/`Debug`).
    ///
    /// ```
    /// let key = "sk-live-0123456789abf00d";
    /// let e = surefoot::Error::from_response(401, &http::HeaderMap::new(),
    ///     format!(r#"{{"detail": "Invalid API key {key}"}}"#).as_bytes(), false).redact_key(key);
    /// assert_eq!(e.message(), "Invalid API key sk-…f00d");
    /// ```
    pub fn redact_key(mut self, api_key: &str) -> Self {
        if !api_key.is_empty() {
            self.0.message = crate::leaves::secret::redact(&self.0.message, api_key);
            self.0.code = crate::leaves::secret::redact(&self.0.code, api_key);
            if let Some(id) = &self.0.request_id {
                self.0.request_id = Some(crate::leaves::secret::redact(id, api_key));
            }
        }
        self
    }

    // ----- accessors ------------------------------------------------------------------

    /// The HTTP status, if a response was received.
    ///
    /// ```
    /// assert_eq!(surefoot::Error::timeout("t").status(), None);
    /// ```
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// The stable, machine-readable code (`rate_limit_exceeded`, `not_found`,
    /// `connection_error`, `invalid_request`, or any code the server sent). Branch on this.
    ///
    /// ```
    /// let e = surefoot::Error::from_response(404, &http::HeaderMap::new(), b"", false);
    /// assert_eq!(e.code(), "not_found");
    /// ```
    pub fn code(&self) -> &str {
        &self.0.code
    }

    /// The broad category.
    ///
    /// ```
    /// let e = surefoot::Error::from_response(401, &http::HeaderMap::new(), br#"{"detail": "Invalid API key"}"#, false);
    /// assert_eq!(e.kind(), surefoot::ErrorKind::Authentication);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The human-readable message (one line; do not branch on it).
    ///
    /// ```
    /// let e = surefoot::Error::from_response(401, &http::HeaderMap::new(), br#"{"detail": "Invalid API key"}"#, false);
    /// assert_eq!(e.message(), "Invalid API key");
    /// ```
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The server's request id, for support tickets.
    ///
    /// ```
    /// assert_eq!(surefoot::Error::timeout("t").request_id(), None);
    /// ```
    pub fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// How long the server asked to wait (sanitised `Retry-After` / `retry-after-ms`), or,
    /// when retrying stopped because the wait was too long, the wait that was refused.
    ///
    /// ```
    /// let mut h = http::HeaderMap::new();
    /// h.insert("retry-after", "7".parse().unwrap());
    /// let e = surefoot::Error::from_response(429, &h, b"", false);
    /// assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(7)));
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// How many attempts were made (0 when refused before sending).
    ///
    /// ```
    /// assert_eq!(surefoot::Error::invalid_request("x").attempts(), 0);
    /// ```
    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }

    /// Total time slept between attempts and spent waiting for the client-side pacer.
    ///
    /// ```
    /// assert_eq!(surefoot::Error::invalid_request("x").waited(), std::time::Duration::ZERO);
    /// ```
    pub fn waited(&self) -> Duration {
        self.0.waited
    }

    /// Why the send loop stopped retrying and returned this error (`None` for errors
    /// that did not come out of a call's send loop, e.g. ones built by hand, or refused
    /// before sending).
    ///
    /// ```
    /// use surefoot::retry::FailReason;
    /// let e = surefoot::Error::timeout("t");
    /// assert_eq!(e.stop_reason(), None);
    /// let e = e.with_stop_reason(Some(FailReason::RetryBudgetExhausted));
    /// assert!(e.is_retry_budget_exhausted());
    /// ```
    pub fn stop_reason(&self) -> Option<FailReason> {
        self.0.stop_reason
    }

    /// Whether the call failed now because the retry budget of its key and host was spent
    /// (too many calls to that host failed lately), not because of its own retries.
    ///
    /// ```
    /// assert!(!surefoot::Error::timeout("t").is_retry_budget_exhausted());
    /// ```
    pub fn is_retry_budget_exhausted(&self) -> bool {
        self.0.stop_reason == Some(FailReason::RetryBudgetExhausted)
    }

    /// The raw response body (capped by the client; see [`Error::body_truncated`]).
    ///
    /// ```
    /// let e = surefoot::Error::from_response(500, &http::HeaderMap::new(), b"oops", false);
    /// assert_eq!(e.body(), Some(&b"oops"[..]));
    /// ```
    pub fn body(&self) -> Option<&[u8]> {
        self.0.body.as_deref()
    }

    /// Whether [`Error::body`] was cut at the client's size cap.
    ///
    /// ```
    /// let e = surefoot::Error::from_response(500, &http::HeaderMap::new(), b"{\"err", true);
    /// assert!(e.body_truncated());
    /// ```
    pub fn body_truncated(&self) -> bool {
        self.0.body_truncated
    }

    /// The response's `Content-Type`, if any.
    ///
    /// ```
    /// let mut h = http::HeaderMap::new();
    /// h.insert("content-type", "text/html".parse().unwrap());
    /// let e = surefoot::Error::from_response(502, &h, b"<html></html>", false);
    /// assert_eq!(e.content_type(), Some("text/html"));
    /// ```
    pub fn content_type(&self) -> Option<&str> {
        self.0.content_type.as_deref()
    }

    /// `false` only for failures that provably never reached the server (connect failure,
    /// refused on the client side); `true` when a response arrived or when unknown.
    ///
    /// ```
    /// assert!(!surefoot::Error::connection("refused", false).reached_server());
    /// assert!(surefoot::Error::connection("reset", true).reached_server());
    /// ```
    pub fn reached_server(&self) -> bool {
        self.0.reached_server
    }

    /// Whether a TLS handshake refused the server's certificate (see
    /// [`Error::certificate_refused`]).
    pub fn is_certificate_refused(&self) -> bool {
        self.0.certificate_refused
    }

    /// The idempotency key the failed request was sent with, when it had one (job creation
    /// always does). Sending the same request again with this key is safe: the server
    /// replays its first answer instead of acting twice.
    ///
    /// ```
    /// assert_eq!(surefoot::Error::timeout("t").idempotency_key(), None);
    /// let e = surefoot::Error::timeout("t").with_idempotency_key("k-1");
    /// assert_eq!(e.idempotency_key(), Some("k-1"));
    /// ```
    pub fn idempotency_key(&self) -> Option<&str> {
        self.0.idempotency_key.as_deref()
    }

    /// Whether the server said "slow down" (kind [`ErrorKind::RateLimited`]).
    ///
    /// ```
    /// let e = surefoot::Error::from_response(429, &http::HeaderMap::new(), b"", false);
    /// assert!(e.is_rate_limited());
    /// ```
    pub fn is_rate_limited(&self) -> bool {
        self.0.kind == ErrorKind::RateLimited
    }
}
