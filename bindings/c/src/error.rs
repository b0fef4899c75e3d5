//! The error side of the C ABI: the numbered `sf_result` every fallible function returns,
//! the `sf_kind` enum mirroring the core's `ErrorKind`, and the owned `sf_error` object
//! (wasmtime-style) handed to the caller through an optional `sf_error **err_out`, with
//! accessors for the status, stable code, message, request id, `Retry-After`, attempts and
//! raw body of the core's `surefoot::Error`. Every string is converted to a NUL-terminated
//! copy once, when the error is created, so accessors only lend pointers into it.

use std::ffi::{c_char, c_int, CStr, CString};

use surefoot::{Error, ErrorKind};

use crate::ffi::{clamp_ms, to_cstring};
use crate::panic::guard;

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

impl sf_kind {
    fn from_core(kind: ErrorKind) -> sf_kind {
        match kind {
            ErrorKind::Authentication => sf_kind::SF_KIND_AUTHENTICATION,
            ErrorKind::Permission => sf_kind::SF_KIND_PERMISSION,
            ErrorKind::NotFound => sf_kind::SF_KIND_NOT_FOUND,
            ErrorKind::Validation => sf_kind::SF_KIND_VALIDATION,
            ErrorKind::Conflict => sf_kind::SF_KIND_CONFLICT,
            ErrorKind::PaymentRequired => sf_kind::SF_KIND_PAYMENT_REQUIRED,
            ErrorKind::RateLimited => sf_kind::SF_KIND_RATE_LIMITED,
            ErrorKind::Server => sf_kind::SF_KIND_SERVER,
            ErrorKind::Connection => sf_kind::SF_KIND_CONNECTION,
            ErrorKind::Timeout => sf_kind::SF_KIND_TIMEOUT,
            ErrorKind::InvalidRequest => sf_kind::SF_KIND_INVALID_REQUEST,
            ErrorKind::NotDone => sf_kind::SF_KIND_NOT_DONE,
            // `ErrorKind` is non-exhaustive: a kind added to the core later reads as server.
            _ => sf_kind::SF_KIND_SERVER,
        }
    }

    fn name(self) -> &'static CStr {
        match self {
            sf_kind::SF_KIND_NONE => c"none",
            sf_kind::SF_KIND_AUTHENTICATION => c"authentication",
            sf_kind::SF_KIND_PERMISSION => c"permission",
            sf_kind::SF_KIND_NOT_FOUND => c"not_found",
            sf_kind::SF_KIND_VALIDATION => c"validation",
            sf_kind::SF_KIND_CONFLICT => c"conflict",
            sf_kind::SF_KIND_PAYMENT_REQUIRED => c"payment_required",
            sf_kind::SF_KIND_RATE_LIMITED => c"rate_limited",
            sf_kind::SF_KIND_SERVER => c"server",
            sf_kind::SF_KIND_CONNECTION => c"connection",
            sf_kind::SF_KIND_TIMEOUT => c"timeout",
            sf_kind::SF_KIND_INVALID_REQUEST => c"invalid_request",
            sf_kind::SF_KIND_NOT_DONE => c"not_done",
        }
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
    result: sf_result,
    error: Error,
    kind: sf_kind,
    code: CString,
    message: CString,
    request_id: Option<CString>,
    idempotency_key: Option<CString>,
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
    let all = [
        sf_kind::SF_KIND_NONE,
        sf_kind::SF_KIND_AUTHENTICATION,
        sf_kind::SF_KIND_PERMISSION,
        sf_kind::SF_KIND_NOT_FOUND,
        sf_kind::SF_KIND_VALIDATION,
        sf_kind::SF_KIND_CONFLICT,
        sf_kind::SF_KIND_PAYMENT_REQUIRED,
        sf_kind::SF_KIND_RATE_LIMITED,
        sf_kind::SF_KIND_SERVER,
        sf_kind::SF_KIND_CONNECTION,
        sf_kind::SF_KIND_TIMEOUT,
        sf_kind::SF_KIND_INVALID_REQUEST,
    ];
    all.iter()
        .find(|k| **k as u32 == n)
        .map_or(c"unknown".as_ptr(), |k| k.name().as_ptr())
}

/// The result code the failed call returned (`SF_OK` for NULL).
///
/// # Safety
/// `err` is NULL or a live error from this library.
#[no_mangle]
pub unsafe extern "C" fn sf_error_result(err: *const sf_error) -> sf_result {
    guard(sf_result::SF_PANIC, || match unsafe { err.as_ref() } {
        Some(e) => e.result,
        None => sf_result::SF_OK,
    })
}

/// The kind of the error (`SF_KIND_NONE` for NULL).
///
/// # Safety
/// `err` is NULL or a live error from this library.
#[no_mangle]
pub unsafe extern "C" fn sf_error_kind(err: *const sf_error) -> sf_kind {
    guard(sf_kind::SF_KIND_NONE, || match unsafe { err.as_ref() } {
        Some(e) => e.kind,
        None => sf_kind::SF_KIND_NONE,
    })
}

/// The HTTP status of the answer that failed, or 0 when no answer was received (connection
/// failure, timeout, client-side refusal) or `err` is NULL.
///
/// # Safety
/// `err` is NULL or a live error from this library.
#[no_mangle]
pub unsafe extern "C" fn sf_error_status(err: *const sf_error) -> u16 {
    guard(0, || {
        unsafe { err.as_ref() }
            .and_then(|e| e.error.status())
            .unwrap_or(0)
    })
}

/// The stable error code, e.g. `"rate_limit_exceeded"`, `"api_access_denied"`,
/// `"not_found"`: the same string in Rust, C and Python. Borrowed from `err` (valid until
/// `sf_error_free`); never NULL unless `err` is NULL.
///
/// # Safety
/// `err` is NULL or a live error from this library.
#[no_mangle]
pub unsafe extern "C" fn sf_error_code(err: *const sf_error) -> *const c_char {
    guard(std::ptr::null(), || match unsafe { err.as_ref() } {
        Some(e) => e.code.as_ptr(),
        None => std::ptr::null(),
    })
}

/// A human-readable message (never contains the API key). Borrowed from `err` (valid until
/// `sf_error_free`); never NULL unless `err` is NULL.
///
/// # Safety
/// `err` is NULL or a live error from this library.
#[no_mangle]
pub unsafe extern "C" fn sf_error_message(err: *const sf_error) -> *const c_char {
    guard(std::ptr::null(), || match unsafe { err.as_ref() } {
        Some(e) => e.message.as_ptr(),
        None => std::ptr::null(),
    })
}

/// The server's request id (for support tickets), or NULL when there was none. Borrowed
/// from `err` (valid until `sf_error_free`).
///
/// # Safety
/// `err` is NULL or a live error from this library.
#[no_mangle]
pub unsafe extern "C" fn sf_error_request_id(err: *const sf_error) -> *const c_char {
    guard(std::ptr::null(), || {
        match unsafe { err.as_ref() }.and_then(|e| e.request_id.as_ref()) {
            Some(s) => s.as_ptr(),
            None => std::ptr::null(),
        }
    })
}

/// The idempotency key the failed request was sent with (job creation always has one:
/// the caller's or the generated UUID), or NULL when it had none. Sending the same request
/// again with this key is safe: the server replays its first answer instead of acting
/// twice — in particular after an `invalid_response` error, where the server answered 2xx
/// (and may have created the job) but the answer could not be read. Borrowed from `err`
/// (valid until `sf_error_free`).
///
/// # Safety
/// `err` is NULL or a live error from this library.
#[no_mangle]
pub unsafe extern "C" fn sf_error_idempotency_key(err: *const sf_error) -> *const c_char {
    guard(std::ptr::null(), || {
        match unsafe { err.as_ref() }.and_then(|e| e.idempotency_key.as_ref()) {
            Some(s) => s.as_ptr(),
            None => std::ptr::null(),
        }
    })
}

/// How long the server asked to wait before trying again (`Retry-After`, or the wait that
/// was longer than the client accepts), in milliseconds; -1 when none or `err` is NULL.
///
/// # Safety
/// `err` is NULL or a live error from this library.
#[no_mangle]
pub unsafe extern "C" fn sf_error_retry_after_ms(err: *const sf_error) -> i64 {
    guard(-1, || {
        unsafe { err.as_ref() }
            .and_then(|e| e.error.retry_after())
            .map_or(-1, clamp_ms)
    })
}

/// How many attempts were made (1 = no retry; 0 when nothing was sent or `err` is NULL).
///
/// # Safety
/// `err` is NULL or a live error from this library.
#[no_mangle]
pub unsafe extern "C" fn sf_error_attempts(err: *const sf_error) -> u32 {
    guard(0, || {
        unsafe { err.as_ref() }.map_or(0, |e| e.error.attempts())
    })
}

/// Time spent waiting (backoff and pacing) before giving up, in milliseconds (0 for NULL).
///
/// # Safety
/// `err` is NULL or a live error from this library.
#[no_mangle]
pub unsafe extern "C" fn sf_error_waited_ms(err: *const sf_error) -> i64 {
    guard(0, || {
        unsafe { err.as_ref() }.map_or(0, |e| clamp_ms(e.error.waited()))
    })
}

/// Whether the core would retry this error (it already did, up to `max_retries`).
///
/// # Safety
/// `err` is NULL or a live error from this library.
#[no_mangle]
pub unsafe extern "C" fn sf_error_is_retryable(err: *const sf_error) -> bool {
    guard(false, || {
        unsafe { err.as_ref() }.is_some_and(|e| e.error.is_retryable())
    })
}

/// Why the client stopped retrying, as a stable name: `"not_retryable"`,
/// `"retries_exhausted"`, `"not_idempotent"`, `"wait_exceeds_max_retry_wait"`,
/// `"wait_exceeds_deadline"`, `"retry_budget_exhausted"` (too many calls to the host failed
/// lately), `"held_too_long"` (the host stayed in an outage as long as the call could
/// wait); NULL when the error did not come out of the retry loop (refused before sending)
/// or `err` is NULL. A static string: never freed, valid for the life of the program.
///
/// # Safety
/// `err` is NULL or a live error from this library.
#[no_mangle]
pub unsafe extern "C" fn sf_error_stop_reason(err: *const sf_error) -> *const c_char {
    guard(std::ptr::null(), || {
        match unsafe { err.as_ref() }.and_then(|e| e.error.stop_reason()) {
            Some(reason) => stop_reason_name(reason).as_ptr(),
            None => std::ptr::null(),
        }
    })
}

fn stop_reason_name(reason: surefoot::retry::FailReason) -> &'static CStr {
    use surefoot::retry::FailReason as R;
    match reason {
        R::NotRetryable => c"not_retryable",
        R::RetriesExhausted => c"retries_exhausted",
        R::NotIdempotent => c"not_idempotent",
        R::WaitExceedsMaxRetryWait => c"wait_exceeds_max_retry_wait",
        R::WaitExceedsDeadline => c"wait_exceeds_deadline",
        R::RetryBudgetExhausted => c"retry_budget_exhausted",
        R::HeldTooLong => c"held_too_long",
        // A reason added to the core later still gets a name.
        _ => c"other",
    }
}

/// The raw body of the error answer (possibly capped at 64 KiB). On `SF_OK`, `*body_out`
/// points into `err` (valid until `sf_error_free`; not NUL-terminated) and `*len_out` is its
/// length. `SF_NO_VALUE` when no answer was received; `SF_NULL_PARAMETER` when any
/// argument is NULL.
///
/// # Safety
/// `err` is NULL or a live error; `body_out` and `len_out` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_error_body(
    err: *const sf_error,
    body_out: *mut *const u8,
    len_out: *mut usize,
) -> sf_result {
    guard(sf_result::SF_PANIC, || {
        let Some(e) = (unsafe { err.as_ref() }) else {
            return sf_result::SF_NULL_PARAMETER;
        };
        if body_out.is_null() || len_out.is_null() {
            return sf_result::SF_NULL_PARAMETER;
        }
        match e.error.body() {
            Some(body) => {
                unsafe {
                    *body_out = body.as_ptr();
                    *len_out = body.len();
                }
                sf_result::SF_OK
            }
            None => sf_result::SF_NO_VALUE,
        }
    })
}

/// Frees an error. NULL is accepted and ignored. The error and every string borrowed from it
/// must not be used afterwards.
///
/// # Safety
/// `err` is NULL or an error from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn sf_error_free(err: *mut sf_error) {
    guard((), || unsafe { crate::ffi::free_box(err) })
}
