//! The error side of the C ABI, on the ground floor: the numbered `sf_result` every
//! fallible function returns and its names, the `sf_kind` enum mirroring the core's
//! `ErrorKind` (named by the core's `as_str`), the `Failure` a call fails with, and the
//! owned `sf_error` object (wasmtime-style) it becomes for the caller. Every string is
//! converted to a NUL-terminated copy once, when the error is created, so the accessors
//! (`error_accessors`) only lend pointers into it.

use std::ffi::{c_char, c_int, CStr, CString};

use surefoot::{Error, ErrorKind};

use crate::convert::{static_name, to_cstring};

/// The result of every fallible `sf_` function. The numbers are stable: new codes are only
/// ever appended.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum sf_result {
    /// Success; the out-parameters were written.
    SF_OK = 0,
    /// A pager has no more items (`sf_pager_next`); nothing was written.
    SF_DONE = 1,
    /// A required pointer argument was NULL; nothing was done.
    SF_NULL_PARAMETER = 2,
    /// An argument was unusable (not valid UTF-8, out of range, malformed) or the request was
    /// refused on the client side before anything was sent (error kind `invalid_request`).
    SF_INVALID_ARGUMENT = 3,
    /// The server answered with an error status (see `sf_error_status` and
    /// `sf_error_code`), or a success answer whose body could not be understood.
    SF_API_ERROR = 4,
    /// The connection failed (DNS, connect, TLS, reset), after any retries.
    SF_CONNECTION_ERROR = 5,
    /// A per-attempt timeout or the total deadline expired (also HTTP 408).
    SF_TIMEOUT = 6,
    /// A bug inside surefoot panicked; the panic was caught at the boundary.
    SF_PANIC = 7,
    /// An optional value was not there (e.g. `sf_response_header` for a header the server
    /// did not send); nothing was written.
    SF_NO_VALUE = 8,
}

impl sf_result {
    /// The result code for an error of `kind`.
    pub(crate) fn for_kind(kind: ErrorKind) -> sf_result {
        match kind {
            ErrorKind::InvalidRequest => sf_result::SF_INVALID_ARGUMENT,
            ErrorKind::Connection => sf_result::SF_CONNECTION_ERROR,
            ErrorKind::Timeout => sf_result::SF_TIMEOUT,
            _ => sf_result::SF_API_ERROR,
        }
    }

    fn name(self) -> &'static CStr {
        match self {
            sf_result::SF_OK => c"SF_OK",
            sf_result::SF_DONE => c"SF_DONE",
            sf_result::SF_NULL_PARAMETER => c"SF_NULL_PARAMETER",
            sf_result::SF_INVALID_ARGUMENT => c"SF_INVALID_ARGUMENT",
            sf_result::SF_API_ERROR => c"SF_API_ERROR",
            sf_result::SF_CONNECTION_ERROR => c"SF_CONNECTION_ERROR",
            sf_result::SF_TIMEOUT => c"SF_TIMEOUT",
            sf_result::SF_PANIC => c"SF_PANIC",
            sf_result::SF_NO_VALUE => c"SF_NO_VALUE",
        }
    }
}

/// The broad category of a failure: the same twelve kinds as in Rust and Python, plus
/// `SF_KIND_NONE` for a NULL error. The numbers are stable.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum sf_kind {
    /// No error (`sf_error_kind(NULL)`).
    SF_KIND_NONE = 0,
    /// 401: missing, invalid, expired or revoked key.
    SF_KIND_AUTHENTICATION = 1,
    /// 403: the key may not do this (scope, plan, origin).
    SF_KIND_PERMISSION = 2,
    /// 404: no such resource for this key.
    SF_KIND_NOT_FOUND = 3,
    /// 400, 422 and other 4xx: the request needs fixing.
    SF_KIND_VALIDATION = 4,
    /// 409: e.g. an idempotency key reused with a different body.
    SF_KIND_CONFLICT = 5,
    /// 402, or a quota/credit/budget code: add credit or upgrade.
    SF_KIND_PAYMENT_REQUIRED = 6,
    /// 429 rate, concurrency or daily-cap limits.
    SF_KIND_RATE_LIMITED = 7,
    /// 5xx, or a success answer that could not be understood.
    SF_KIND_SERVER = 8,
    /// The connection failed.
    SF_KIND_CONNECTION = 9,
    /// A timeout or the deadline expired.
    SF_KIND_TIMEOUT = 10,
    /// Refused on the client side before anything was sent.
    SF_KIND_INVALID_REQUEST = 11,
    /// A bulk item the run did not finish (it stopped or was interrupted first): safe to
    /// resubmit with the same idempotency key.
    SF_KIND_NOT_DONE = 12,
}

/// Each kind and the core's kind it mirrors.
const KINDS: [(sf_kind, ErrorKind); 12] = [
    (sf_kind::SF_KIND_AUTHENTICATION, ErrorKind::Authentication),
    (sf_kind::SF_KIND_PERMISSION, ErrorKind::Permission),
    (sf_kind::SF_KIND_NOT_FOUND, ErrorKind::NotFound),
    (sf_kind::SF_KIND_VALIDATION, ErrorKind::Validation),
    (sf_kind::SF_KIND_CONFLICT, ErrorKind::Conflict),
    (
        sf_kind::SF_KIND_PAYMENT_REQUIRED,
        ErrorKind::PaymentRequired,
    ),
    (sf_kind::SF_KIND_RATE_LIMITED, ErrorKind::RateLimited),
    (sf_kind::SF_KIND_SERVER, ErrorKind::Server),
    (sf_kind::SF_KIND_CONNECTION, ErrorKind::Connection),
    (sf_kind::SF_KIND_TIMEOUT, ErrorKind::Timeout),
    (sf_kind::SF_KIND_INVALID_REQUEST, ErrorKind::InvalidRequest),
    (sf_kind::SF_KIND_NOT_DONE, ErrorKind::NotDone),
];

impl sf_kind {
    fn from_core(kind: ErrorKind) -> sf_kind {
        KINDS
            .iter()
            .find(|(_, k)| *k == kind)
            // `ErrorKind` is non-exhaustive: a kind added to the core later reads as server.
            .map_or(sf_kind::SF_KIND_SERVER, |(c, _)| *c)
    }
}

/// A failed call, on its way to the caller: the result code and the core's error.
pub(crate) struct Failure {
    pub(crate) result: sf_result,
    pub(crate) error: Error,
}

impl Failure {
    /// A NULL pointer where `name` was required.
    pub(crate) fn null(name: &str) -> Failure {
        Failure {
            result: sf_result::SF_NULL_PARAMETER,
            error: Error::new(
                ErrorKind::InvalidRequest,
                "null_parameter",
                format!("argument `{name}` must not be NULL"),
            ),
        }
    }

    /// An unusable argument (bad UTF-8, out of range...), refused before anything was sent.
    pub(crate) fn invalid(message: impl Into<String>) -> Failure {
        Failure {
            result: sf_result::SF_INVALID_ARGUMENT,
            error: Error::invalid_request(message),
        }
    }

    /// A caught panic.
    pub(crate) fn panic(message: &str) -> Failure {
        Failure {
            result: sf_result::SF_PANIC,
            error: Error::new(
                ErrorKind::Server,
                "panic",
                format!("surefoot panicked (a bug; please report it): {message}"),
            ),
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure {
            result: sf_result::for_kind(error.kind()),
            error,
        }
    }
}

/// An error returned through `err_out`. Owned by the caller, who frees it with
/// `sf_error_free`; every string an accessor returns is borrowed from it and valid until
/// then. Immutable: it may be read from any thread.
pub struct sf_error {
    pub(crate) result: sf_result,
    pub(crate) error: Error,
    pub(crate) kind: sf_kind,
    pub(crate) code: CString,
    pub(crate) message: CString,
    pub(crate) request_id: Option<CString>,
    pub(crate) idempotency_key: Option<CString>,
}

impl sf_error {
    pub(crate) fn new(failure: Failure) -> sf_error {
        let error = failure.error;
        sf_error {
            result: failure.result,
            kind: sf_kind::from_core(error.kind()),
            code: to_cstring(error.code()),
            message: to_cstring(error.message()),
            request_id: error.request_id().map(to_cstring),
            idempotency_key: error.idempotency_key().map(to_cstring),
            error,
        }
    }
}

/// The name of a result code (an `sf_result` value), e.g. `"SF_API_ERROR"`: a static
/// string, never freed. An unknown number gives `"SF_UNKNOWN"`.
#[no_mangle]
pub extern "C" fn sf_result_name(result: c_int) -> *const c_char {
    // Taken as an integer, not the enum: C may pass any number.
    let n = result as u32;
    let all = [
        sf_result::SF_OK,
        sf_result::SF_DONE,
        sf_result::SF_NULL_PARAMETER,
        sf_result::SF_INVALID_ARGUMENT,
        sf_result::SF_API_ERROR,
        sf_result::SF_CONNECTION_ERROR,
        sf_result::SF_TIMEOUT,
        sf_result::SF_PANIC,
        sf_result::SF_NO_VALUE,
    ];
    all.iter()
        .find(|r| **r as u32 == n)
        .map_or(c"SF_UNKNOWN".as_ptr(), |r| r.name().as_ptr())
}

/// The stable snake_case name of a kind (an `sf_kind` value), e.g. `"rate_limited"`, the
/// same string as in Rust and Python: a static string, never freed. An unknown number
/// gives `"unknown"`.
#[no_mangle]
pub extern "C" fn sf_kind_name(kind: c_int) -> *const c_char {
    let n = kind as u32;
    if n == sf_kind::SF_KIND_NONE as u32 {
        return c"none".as_ptr();
    }
    KINDS
        .iter()
        .find(|(c, _)| *c as u32 == n)
        .map_or(c"unknown".as_ptr(), |(_, k)| {
            static_name(k.as_str()).as_ptr()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(kind: c_int) -> &'static str {
        unsafe { CStr::from_ptr(sf_kind_name(kind)) }
            .to_str()
            .unwrap()
    }

    #[test]
    fn kinds_mirror_the_core_and_carry_its_names() {
        assert_eq!(name(sf_kind::SF_KIND_NONE as c_int), "none");
        assert_eq!(name(77), "unknown");
        for (c, k) in KINDS {
            assert_eq!(sf_kind::from_core(k), c);
            assert_eq!(name(c as c_int), k.as_str());
        }
        let numbers: Vec<u32> = KINDS.iter().map(|(c, _)| *c as u32).collect();
        assert_eq!(
            numbers,
            (1..=KINDS.len() as u32).collect::<Vec<_>>(),
            "every kind, once, in order"
        );
    }
}
