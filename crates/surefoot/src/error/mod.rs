//! The one error type of surefoot and the stable error-code model. This module owns
//! [`Error`] (status, stable `code`, [`ErrorKind`], message, request id, `Retry-After`,
//! attempts, time waited, raw body), the classification of any HTTP error response into
//! that model ([`Error::from_response`]: OpenAI envelope, RFC 7807 problem+json, FastAPI
//! `detail` in all its forms, HTML pages from proxies, empty and unparseable bodies), the
//! stable code strings ([`codes`]), why retrying stopped ([`FailReason`]), and the hints
//! an API profile gives about its own error bodies ([`shape`]). Whether a
//! failure is worth retrying is not decided here but by the retry classifiers
//! ([`crate::retry::classify`], which also answer [`Error::is_retryable`]), so this module
//! depends on no retry code. It never panics on any input and never sees an API key (the
//! client masks keys before building messages; `Debug` shows no headers).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde_json::{Map, Value};

pub mod codes;
pub mod shape;

pub use shape::ErrorShape;

/// `Result` with surefoot's [`Error`] as the default error type.
///
/// ```
/// fn check(limit: u32) -> surefoot::Result<u32> {
///     if limit == 0 {
///         return Err(surefoot::Error::invalid_request("limit must be between 1 and 100"));
///     }
///     Ok(limit)
/// }
/// assert!(check(0).is_err());
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Longest message kept from a server body (characters); longer ones are cut with `…`.
const MAX_MESSAGE_CHARS: usize = 2000;
/// Longest code accepted from a server body; longer (or odd) values fall back to the status.
const MAX_CODE_CHARS: usize = 200;
/// Longest request id accepted from a header or body.
const MAX_REQUEST_ID_CHARS: usize = 200;
/// Most FastAPI validation items spelled out in a message.
const MAX_DETAIL_ITEMS: usize = 10;

/// Why the retry decision returned an error instead of trying again (see
/// [`crate::retry::Decision::Fail`] and [`Error::stop_reason`]).
///
/// ```
/// assert_eq!(surefoot::retry::FailReason::NotIdempotent.as_str(), "not_idempotent");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailReason {
    /// The error is not worth retrying (4xx, payment, conflict, decode…, or a daily cap
    /// whose reset time is unknown).
    NotRetryable,
    /// `max_retries` retries were already made.
    RetriesExhausted,
    /// A non-idempotent request that may have reached the server (and was not a 429).
    NotIdempotent,
    /// The wait exceeds `max_retry_wait`.
    WaitExceedsMaxRetryWait,
    /// The wait would reach or pass the overall deadline.
    WaitExceedsDeadline,
    /// The retry budget of this key and host is spent: too many calls to it failed
    /// lately, so this one fails now instead of adding load (see
    /// [`crate::retry::budget`]).
    RetryBudgetExhausted,
    /// The host is in an outage and the call was held as long as it may wait
    /// (the smaller of its deadline and `max_retry_wait`) without the host recovering.
    HeldTooLong,
}

impl FailReason {
    /// A stable snake_case name (for logs and bindings).
    ///
    /// ```
    /// use surefoot::retry::FailReason;
    /// assert_eq!(FailReason::WaitExceedsDeadline.as_str(), "wait_exceeds_deadline");
    /// assert_eq!(FailReason::RetryBudgetExhausted.as_str(), "retry_budget_exhausted");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            FailReason::NotRetryable => "not_retryable",
            FailReason::RetriesExhausted => "retries_exhausted",
            FailReason::NotIdempotent => "not_idempotent",
            FailReason::WaitExceedsMaxRetryWait => "wait_exceeds_max_retry_wait",
            FailReason::WaitExceedsDeadline => "wait_exceeds_deadline",
            FailReason::RetryBudgetExhausted => "retry_budget_exhausted",
            FailReason::HeldTooLong => "held_too_long",
        }
    }
}

impl fmt::Display for FailReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The broad category of a failure; the same twelve values in every language.
///
/// Branch on [`Error::code`] for precise handling and on the kind for coarse handling.
///
/// ```
/// use surefoot::ErrorKind;
/// assert_eq!(ErrorKind::RateLimited.as_str(), "rate_limited");
/// assert_eq!(ErrorKind::PaymentRequired.to_string(), "payment_required");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// 401: missing, invalid, expired or revoked key.
    Authentication,
    /// 403: the key may not do this (scope, plan, origin).
    Permission,
    /// 404: no such resource (for this key/workspace).
    NotFound,
    /// 400, 422 and other 4xx: the request needs fixing.
    Validation,
    /// 409: e.g. an idempotency key reused with a different body.
    Conflict,
    /// 402, or a quota/credit/budget code on any status: add credit or upgrade.
    PaymentRequired,
    /// 429 rate, concurrency or daily-cap limits.
    RateLimited,
    /// 5xx, or a success response whose body could not be understood.
    Server,
    /// The connection failed (DNS, connect, TLS, reset).
    Connection,
    /// A per-attempt timeout or the overall deadline expired (also HTTP 408).
    Timeout,
    /// Refused on the client side before anything was sent.
    InvalidRequest,
    /// A bulk item the run did not finish because the run stopped or was interrupted first
    /// (the error says why, and whether its outcome is unknown because it was sent).
    NotDone,
}

impl ErrorKind {
    /// Every kind, in declaration order (handy for bindings and exhaustive tests).
    ///
    /// ```
    /// assert_eq!(surefoot::error::ErrorKind::ALL.len(), 12);
    /// ```
    pub const ALL: [ErrorKind; 12] = [
        ErrorKind::Authentication,
        ErrorKind::Permission,
        ErrorKind::NotFound,
        ErrorKind::Validation,
        ErrorKind::Conflict,
        ErrorKind::PaymentRequired,
        ErrorKind::RateLimited,
        ErrorKind::Server,
        ErrorKind::Connection,
        ErrorKind::Timeout,
        ErrorKind::InvalidRequest,
        ErrorKind::NotDone,
    ];

    /// The stable snake_case name of the kind.
    ///
    /// ```
    /// assert_eq!(surefoot::ErrorKind::NotFound.as_str(), "not_found");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Authentication => "authentication",
            ErrorKind::Permission => "permission",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Validation => "validation",
            ErrorKind::Conflict => "conflict",
            ErrorKind::PaymentRequired => "payment_required",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Server => "server",
            ErrorKind::Connection => "connection",
            ErrorKind::Timeout => "timeout",
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::NotDone => "not_done",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone)]
struct Inner {
    status: Option<u16>,
    code: String,
    kind: ErrorKind,
    message: String,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    attempts: u32,
    waited: Duration,
    stop_reason: Option<FailReason>,
    body: Option<Bytes>,
    body_truncated: bool,
    content_type: Option<String>,
    reached_server: bool,
    idempotency_key: Option<String>,
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
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
pub struct Error(Box<Inner>);

impl Error {
    fn base(code: &str, kind: ErrorKind, message: String) -> Error {
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
            idempotency_key: None,
            source: None,
        }))
    }

    // ----- constructors -------------------------------------------------------------

    /// A request refused on the client side before anything was sent (a `limit` of 0, a
    /// key with trailing whitespace, plain HTTP to a remote host…). Code `invalid_request`,
    /// kind [`ErrorKind::InvalidRequest`], not retryable, never reached the server,
    /// zero attempts.
    ///
    /// ```
    /// let e = surefoot::Error::invalid_request("API key has trailing whitespace");
    /// assert_eq!(e.code(), "invalid_request");
    /// assert!(!e.reached_server() && !e.is_retryable());
    /// assert_eq!(e.to_string(), "invalid_request: API key has trailing whitespace");
    /// ```
    pub fn invalid_request(message: impl Into<String>) -> Error {
        let mut e = Error::base(
            codes::INVALID_REQUEST,
            ErrorKind::InvalidRequest,
            message.into(),
        );
        e.0.attempts = 0;
        e.0.reached_server = false;
        e
    }

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
    pub fn connection(message: impl Into<String>, reached_server: bool) -> Error {
        let mut e = Error::base(
            codes::CONNECTION_ERROR,
            ErrorKind::Connection,
            message.into(),
        );
        e.0.reached_server = reached_server;
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

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.0;
        f.write_str(&i.code)?;
        if let Some(s) = i.status {
            write!(f, " (HTTP {s})")?;
        }
        if !i.message.is_empty() {
            write!(f, ": {}", i.message)?;
        }
        let mut extras: Vec<String> = Vec::new();
        if let Some(id) = &i.request_id {
            extras.push(format!("request_id={id}"));
        }
        if i.attempts > 1 {
            extras.push(format!("attempts={}", i.attempts));
        }
        if let Some(d) = i.retry_after {
            extras.push(format!("retry_after={}", fmt_secs(d)));
        }
        if !extras.is_empty() {
            write!(f, " [{}]", extras.join(", "))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.0;
        let mut d = f.debug_struct("Error");
        d.field("status", &i.status)
            .field("code", &i.code)
            .field("kind", &i.kind)
            .field("message", &i.message)
            .field("request_id", &i.request_id)
            .field("retry_after", &i.retry_after)
            .field("attempts", &i.attempts)
            .field("waited", &i.waited)
            .field("retryable", &self.is_retryable())
            .field("stop_reason", &i.stop_reason)
            .field("reached_server", &i.reached_server)
            .field("idempotency_key", &i.idempotency_key)
            .field("content_type", &i.content_type)
            .field("body_len", &i.body.as_ref().map(|b| b.len()))
            .field("body_truncated", &i.body_truncated);
        if let Some(s) = &i.source {
            d.field("source", &s.to_string());
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

// ----- classification ------------------------------------------------------------------

/// The code derived from an HTTP status when the body gives none.
///
/// ```
/// use surefoot::error::code_from_status;
/// assert_eq!(code_from_status(422), "validation_error");
/// assert_eq!(code_from_status(503), "server_error");
/// assert_eq!(code_from_status(418), "http_418");
/// ```
pub fn code_from_status(status: u16) -> String {
    let s = match status {
        400 => "bad_request",
        401 => codes::UNAUTHORIZED,
        402 => "payment_required",
        403 => codes::FORBIDDEN,
        404 => "not_found",
        405 => "method_not_allowed",
        408 => "request_timeout",
        409 => "conflict",
        413 => "payload_too_large",
        422 => "validation_error",
        429 => codes::RATE_LIMIT_EXCEEDED,
        500..=599 => "server_error",
        _ => return format!("http_{status}"),
    };
    s.to_owned()
}

/// The kind for a code and status: known codes first, then the status.
fn kind_for(code: &str, status: u16) -> ErrorKind {
    if codes::is_payment(code) {
        return ErrorKind::PaymentRequired;
    }
    if code == codes::IDEMPOTENCY_CONFLICT {
        return ErrorKind::Conflict;
    }
    if codes::RATE_LIMIT.contains(&code) {
        return ErrorKind::RateLimited;
    }
    if codes::PERMISSION.contains(&code) {
        return ErrorKind::Permission;
    }
    if code == codes::UNAUTHORIZED {
        return ErrorKind::Authentication;
    }
    match status {
        401 => ErrorKind::Authentication,
        402 => ErrorKind::PaymentRequired,
        403 => ErrorKind::Permission,
        404 => ErrorKind::NotFound,
        408 => ErrorKind::Timeout,
        409 => ErrorKind::Conflict,
        429 => ErrorKind::RateLimited,
        400..=499 => ErrorKind::Validation,
        _ => ErrorKind::Server,
    }
}

fn valid_code(code: &str) -> bool {
    !code.trim().is_empty()
        && code.chars().count() <= MAX_CODE_CHARS
        && !code.chars().any(char::is_control)
}

fn valid_request_id(id: &str) -> bool {
    !id.is_empty()
        && id.chars().count() <= MAX_REQUEST_ID_CHARS
        && !id.chars().any(char::is_control)
}

/// The headers a server may name its request id in, in order of preference.
const REQUEST_ID_HEADERS: [http::HeaderName; 3] = [
    http::HeaderName::from_static("x-request-id"),
    http::HeaderName::from_static("request-id"),
    http::HeaderName::from_static("x-amzn-requestid"),
];

/// One header as text. By `HeaderName`, never by `&str`: a `&str` lookup parses the name
/// into a scratch buffer first, which valgrind reports as a jump on uninitialised bytes in
/// optimised builds (the release library C users link), once per error answer.
fn header_str<'a>(headers: &'a http::HeaderMap, name: &http::HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `HTTP 502 Bad Gateway` (or `HTTP 599` for statuses without a reason phrase).
fn status_line(status: u16) -> String {
    match http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("HTTP {status} {reason}"),
        None => format!("HTTP {status}"),
    }
}

/// One line, no control characters, at most [`MAX_MESSAGE_CHARS`] characters.
fn clean_message(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_MESSAGE_CHARS + 4));
    let mut count = 0usize;
    let mut last_space = false;
    for c in s.trim().chars() {
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if c == ' ' {
            if last_space {
                continue;
            }
            last_space = true;
        } else {
            last_space = false;
        }
        if count == MAX_MESSAGE_CHARS {
            out.push('…');
            break;
        }
        out.push(c);
        count += 1;
    }
    out
}

fn fmt_secs(d: Duration) -> String {
    let ms = d.as_millis();
    if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        let s = format!("{:.3}", d.as_secs_f64());
        format!("{}s", s.trim_end_matches('0').trim_end_matches('.'))
    }
}

#[derive(Default)]
struct Parsed {
    code: Option<String>,
    message: String,
    request_id: Option<String>,
}

fn parse_body(status: u16, content_type: Option<&str>, body: &[u8], truncated: bool) -> Parsed {
    let line = status_line(status);
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let first = body.iter().copied().find(|b| !b.is_ascii_whitespace());

    let Some(first) = first else {
        let what = if truncated {
            "empty body, truncated"
        } else {
            "empty body"
        };
        return Parsed {
            message: format!("{line} ({what})"),
            ..Parsed::default()
        };
    };

    let json_like = ct.contains("json") || first == b'{' || first == b'[' || first == b'"';
    if ct.starts_with("text/html") || ct.contains("xhtml") || (!json_like && first == b'<') {
        let msg = match html_title(body) {
            Some(t) if !t.eq_ignore_ascii_case(line.trim_start_matches("HTTP ")) => {
                format!("{line} (HTML error page, likely from a proxy): {t}")
            }
            _ => format!("{line} (HTML error page, likely from a proxy)"),
        };
        return Parsed {
            message: msg,
            ..Parsed::default()
        };
    }

    if json_like {
        return match serde_json::from_slice::<Value>(body) {
            Ok(v) => parse_json(status, &ct, &v).unwrap_or_else(|| Parsed {
                message: line.clone(),
                ..Parsed::default()
            }),
            Err(_) => {
                let what = if truncated {
                    "unparseable body, truncated"
                } else {
                    "unparseable body"
                };
                Parsed {
                    message: format!("{line} ({what})"),
                    ..Parsed::default()
                }
            }
        };
    }

    // Bare JSON scalars (`null`, `42`, `true`) carry nothing useful.
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        return parse_json(status, &ct, &v).unwrap_or(Parsed {
            message: line,
            ..Parsed::default()
        });
    }

    // Plain text (e.g. "Too Many Requests" from a proxy).
    match std::str::from_utf8(body) {
        Ok(text) => {
            let first_line = text.trim().lines().next().unwrap_or("").trim();
            let snippet: String = first_line.chars().take(200).collect();
            let cut = snippet.chars().count() < first_line.chars().count() || truncated;
            let snippet = clean_message(&snippet);
            if snippet.is_empty() {
                Parsed {
                    message: line,
                    ..Parsed::default()
                }
            } else {
                Parsed {
                    message: format!("{line}: {snippet}{}", if cut { "…" } else { "" }),
                    ..Parsed::default()
                }
            }
        }
        Err(_) => {
            let what = if truncated {
                "unparseable body, truncated"
            } else {
                "unparseable body"
            };
            Parsed {
                message: format!("{line} ({what})"),
                ..Parsed::default()
            }
        }
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
        Value::String(s) if !s.trim().is_empty() => {
            return Some(Parsed {
                message: s.clone(),
                ..Parsed::default()
            })
        }
        _ => return None,
    };
    let top_request_id = str_of(obj.get("request_id"));

    // 1. OpenAI envelope: {"error": {...}} or {"error": "text"}.
    if let Some(err) = obj.get("error") {
        match err {
            Value::Object(e) => {
                let mut p = envelope(status, e);
                p.request_id = top_request_id.or(p.request_id);
                return Some(p);
            }
            Value::String(s) if !s.trim().is_empty() => {
                return Some(Parsed {
                    message: s.clone(),
                    request_id: top_request_id,
                    ..Parsed::default()
                });
            }
            _ => {}
        }
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

    // 3. FastAPI `detail` in its forms.
    if let Some(detail) = obj.get("detail") {
        match detail {
            Value::Object(d) => {
                if let Some(Value::Object(e)) = d.get("error") {
                    let mut p = envelope(status, e);
                    p.request_id = top_request_id.or(p.request_id);
                    return Some(p);
                }
                return Some(Parsed {
                    code: code_of(d.get("code")),
                    message: str_of(d.get("message"))
                        .or_else(|| str_of(d.get("msg")))
                        .or_else(|| str_of(d.get("detail")))
                        .unwrap_or_else(|| line.clone()),
                    request_id: top_request_id.or_else(|| str_of(d.get("request_id"))),
                });
            }
            Value::String(s) if !s.trim().is_empty() => {
                return Some(Parsed {
                    message: s.clone(),
                    request_id: top_request_id,
                    ..Parsed::default()
                });
            }
            Value::Array(items) => {
                let message = fastapi_list(items).unwrap_or_else(|| line.clone());
                return Some(Parsed {
                    message,
                    request_id: top_request_id,
                    ..Parsed::default()
                });
            }
            _ => {}
        }
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

fn envelope(status: u16, e: &Map<String, Value>) -> Parsed {
    Parsed {
        code: code_of(e.get("code")).or_else(|| code_of(e.get("type"))),
        message: str_of(e.get("message")).unwrap_or_else(|| status_line(status)),
        request_id: str_of(e.get("request_id")),
    }
}

/// The last path segment of a problem `type` URI; `None` for `about:blank` or nothing.
fn problem_code(t: &str) -> Option<String> {
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
fn fastapi_list(items: &[Value]) -> Option<String> {
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
fn html_title(body: &[u8]) -> Option<String> {
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

#[cfg(test)]
mod tests;
