//! The stable error codes surefoot itself branches on, as constants: the one place a code
//! string is spelled. The error model ([`kind`](crate::Error::kind)), the retry
//! classifiers ([`crate::retry`]), pacing and the CLI compare against these, never
//! against literals. Codes the server sends that are not listed here pass through
//! unchanged.
//!
//! ```
//! use surefoot::error::codes;
//! let body = br#"{"error": {"code": "insufficient_quota", "message": "m"}}"#;
//! let e = surefoot::Error::from_response(429, &http::HeaderMap::new(), body, false);
//! assert_eq!(e.code(), codes::INSUFFICIENT_QUOTA);
//! assert!(codes::is_payment(e.code()));
//! ```

/// 429: too many requests per unit of time; retried, honouring `Retry-After`.
///
/// ```
/// assert_eq!(surefoot::error::codes::RATE_LIMIT_EXCEEDED, "rate_limit_exceeded");
/// ```
pub const RATE_LIMIT_EXCEEDED: &str = "rate_limit_exceeded";
/// 429: too many concurrent realtime sessions; retried once a session slot frees.
///
/// ```
/// assert_eq!(surefoot::error::codes::CONCURRENCY_LIMIT_EXCEEDED, "concurrency_limit_exceeded");
/// ```
pub const CONCURRENCY_LIMIT_EXCEEDED: &str = "concurrency_limit_exceeded";
/// 429: the key's daily cap is used up; retried only after the reset, within the
/// caller's allowed wait.
///
/// ```
/// assert_eq!(surefoot::error::codes::DAILY_CAP_EXCEEDED, "daily_cap_exceeded");
/// ```
pub const DAILY_CAP_EXCEEDED: &str = "daily_cap_exceeded";
/// 402 (or any status): the organisation's prepaid credit is used up.
///
/// ```
/// assert_eq!(surefoot::error::codes::CREDIT_EXHAUSTED, "credit_exhausted");
/// ```
pub const CREDIT_EXHAUSTED: &str = "credit_exhausted";
/// 402 (or any status): the key reached its budget.
///
/// ```
/// assert_eq!(surefoot::error::codes::KEY_BUDGET_EXCEEDED, "key_budget_exceeded");
/// ```
pub const KEY_BUDGET_EXCEEDED: &str = "key_budget_exceeded";
/// 402 or 429: the plan's quota is used up (never retried, even on 429).
///
/// ```
/// assert_eq!(surefoot::error::codes::INSUFFICIENT_QUOTA, "insufficient_quota");
/// ```
pub const INSUFFICIENT_QUOTA: &str = "insufficient_quota";
/// 409: an idempotency key reused with a different body.
///
/// ```
/// assert_eq!(surefoot::error::codes::IDEMPOTENCY_CONFLICT, "idempotency_conflict");
/// ```
pub const IDEMPOTENCY_CONFLICT: &str = "idempotency_conflict";
/// 403 (Specala): the plan has no API access.
///
/// ```
/// assert_eq!(surefoot::error::codes::API_ACCESS_DENIED, "api_access_denied");
/// ```
pub const API_ACCESS_DENIED: &str = "api_access_denied";
/// 403: the key may not do this.
///
/// ```
/// assert_eq!(surefoot::error::codes::FORBIDDEN, "forbidden");
/// ```
pub const FORBIDDEN: &str = "forbidden";
/// 403 (PyAI): the request's origin is not allowed for this key.
///
/// ```
/// assert_eq!(surefoot::error::codes::ORIGIN_NOT_ALLOWED, "origin_not_allowed");
/// ```
pub const ORIGIN_NOT_ALLOWED: &str = "origin_not_allowed";
/// 401: missing, invalid, expired or revoked key.
///
/// ```
/// assert_eq!(surefoot::error::codes::UNAUTHORIZED, "unauthorized");
/// ```
pub const UNAUTHORIZED: &str = "unauthorized";
/// A success answer whose body could not be decoded.
///
/// ```
/// assert_eq!(surefoot::error::codes::INVALID_RESPONSE, "invalid_response");
/// ```
pub const INVALID_RESPONSE: &str = "invalid_response";
/// Refused on the client side before anything was sent.
///
/// ```
/// assert_eq!(surefoot::error::codes::INVALID_REQUEST, "invalid_request");
/// ```
pub const INVALID_REQUEST: &str = "invalid_request";
/// The client's own limiter refused to wait that long (no server pause behind it).
///
/// ```
/// assert_eq!(surefoot::error::codes::CLIENT_RATE_LIMITED, "client_rate_limited");
/// ```
pub const CLIENT_RATE_LIMITED: &str = "client_rate_limited";
/// The connection failed (DNS, connect, TLS, reset).
///
/// ```
/// assert_eq!(surefoot::error::codes::CONNECTION_ERROR, "connection_error");
/// ```
pub const CONNECTION_ERROR: &str = "connection_error";
/// A per-attempt timeout or the overall deadline expired.
///
/// ```
/// assert_eq!(surefoot::error::codes::TIMEOUT, "timeout");
/// ```
pub const TIMEOUT: &str = "timeout";

/// A bulk item the run did not finish (kind `not_done`): the run stopped or was
/// interrupted first; resubmitting it with its idempotency key is safe.
pub const NOT_DONE: &str = "not_done";

/// Codes that mean "you are out of money or quota": never retried, whatever the status.
///
/// ```
/// assert!(surefoot::error::codes::PAYMENT.contains(&"credit_exhausted"));
/// ```
pub const PAYMENT: &[&str] = &[INSUFFICIENT_QUOTA, CREDIT_EXHAUSTED, KEY_BUDGET_EXCEEDED];
/// Codes that mean "slow down".
///
/// ```
/// assert_eq!(surefoot::error::codes::RATE_LIMIT.len(), 3);
/// ```
pub const RATE_LIMIT: &[&str] = &[
    RATE_LIMIT_EXCEEDED,
    CONCURRENCY_LIMIT_EXCEEDED,
    DAILY_CAP_EXCEEDED,
];
/// Codes that mean "this key may not do that".
///
/// ```
/// assert!(surefoot::error::codes::PERMISSION.contains(&"origin_not_allowed"));
/// ```
pub const PERMISSION: &[&str] = &[API_ACCESS_DENIED, FORBIDDEN, ORIGIN_NOT_ALLOWED];

/// Whether `code` is one of the [`PAYMENT`] codes.
///
/// ```
/// assert!(surefoot::error::codes::is_payment("key_budget_exceeded"));
/// assert!(!surefoot::error::codes::is_payment("rate_limit_exceeded"));
/// ```
pub fn is_payment(code: &str) -> bool {
    PAYMENT.contains(&code)
}
