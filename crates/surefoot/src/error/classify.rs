//! Classification by code and status: the code a status stands for when the body names
//! none, the kind of a code, which codes and request ids are accepted from a server, and
//! the one-line clean form of a server's message.

use super::codes;
use super::kind::ErrorKind;
use super::{MAX_CODE_CHARS, MAX_MESSAGE_CHARS, MAX_REQUEST_ID_CHARS};

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
pub(super) fn kind_for(code: &str, status: u16) -> ErrorKind {
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

pub(super) fn valid_code(code: &str) -> bool {
    !code.trim().is_empty()
        && code.chars().count() <= MAX_CODE_CHARS
        && !code.chars().any(char::is_control)
}

pub(super) fn valid_request_id(id: &str) -> bool {
    !id.is_empty()
        && id.chars().count() <= MAX_REQUEST_ID_CHARS
        && !id.chars().any(char::is_control)
}

/// The headers a server may name its request id in, in order of preference.
pub(super) const REQUEST_ID_HEADERS: [http::HeaderName; 3] = [
    http::HeaderName::from_static("x-request-id"),
    http::HeaderName::from_static("request-id"),
    http::HeaderName::from_static("x-amzn-requestid"),
];

/// One header as text. By `HeaderName`, never by `&str`: a `&str` lookup parses the name
/// into a scratch buffer first, which valgrind reports as a jump on uninitialised bytes in
/// optimised builds (the release library C users link), once per error answer.
pub(super) fn header_str<'a>(
    headers: &'a http::HeaderMap,
    name: &http::HeaderName,
) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `HTTP 502 Bad Gateway` (or `HTTP 599` for statuses without a reason phrase).
pub(super) fn status_line(status: u16) -> String {
    match http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("HTTP {status} {reason}"),
        None => format!("HTTP {status}"),
    }
}

/// One line, no control characters, at most [`MAX_MESSAGE_CHARS`] characters.
pub(super) fn clean_message(s: &str) -> String {
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
