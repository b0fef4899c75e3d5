//! The accessors of `sf_error`, the owned error object a failed call hands over through
//! `err_out`: its result code, kind, HTTP status, stable code, message, request id,
//! idempotency key, `Retry-After`, attempts, time waited, retryability, why retrying
//! stopped (the core's `FailReason` name) and raw body, and `sf_error_free`. Every accessor
//! accepts NULL and returns a neutral value for it.

use std::ffi::c_char;

use crate::convert::{clamp_ms, static_name};
use crate::error::{sf_error, sf_kind, sf_result};
use crate::ffi::free_box;
use crate::panic::guard;

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
            Some(reason) => static_name(reason.as_str()).as_ptr(),
            None => std::ptr::null(),
        }
    })
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
    guard((), || unsafe { free_box(err) })
}
