//! `sf_response`: a successful (2xx) answer, fully read, with what the client did to get it
//! (attempts, time waited, request id). The body is lent to C as pointer + length; header
//! values and the request id are converted to NUL-terminated strings once, on first use
//! (most callers read only the body), so every accessor only lends pointers into the
//! response, which never changes them afterwards.

use std::ffi::{c_char, CString};
use std::sync::OnceLock;

use crate::error::sf_result;
use crate::ffi::{arg_ref, arg_str, clamp_ms, free_box, to_cstring, Out};
use crate::panic::{call, guard};

/// A successful answer. Created by `sf_client_request`, owned by the caller, freed with
/// `sf_response_free`; everything an accessor returns is borrowed from it and valid until
/// then. Immutable: it may be read from any thread.
pub struct sf_response {
    inner: surefoot::Response,
    /// Lower-case header name and its first value (only values that are valid text).
    headers: OnceLock<Vec<(String, CString)>>,
    request_id: OnceLock<Option<CString>>,
}

impl sf_response {
    pub(crate) fn new(inner: surefoot::Response) -> sf_response {
        sf_response {
            inner,
            headers: OnceLock::new(),
            request_id: OnceLock::new(),
        }
    }

    fn headers(&self) -> &[(String, CString)] {
        self.headers.get_or_init(|| {
            let mut headers: Vec<(String, CString)> = Vec::new();
            for name in self.inner.headers().keys() {
                // By `HeaderName` (no parse of the name; see the core's `error::header_str`).
                let value = self.inner.headers().get(name).and_then(|v| v.to_str().ok());
                if let Some(value) = value {
                    headers.push((name.as_str().to_string(), to_cstring(value)));
                }
            }
            headers
        })
    }

    fn request_id(&self) -> Option<&CString> {
        self.request_id
            .get_or_init(|| self.inner.request_id().map(to_cstring))
            .as_ref()
    }
}

/// The HTTP status (200, 201, 204...), or 0 when `resp` is NULL.
///
/// # Safety
/// `resp` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn sf_response_status(resp: *const sf_response) -> u16 {
    guard(0, || {
        unsafe { resp.as_ref() }.map_or(0, |r| r.inner.status().as_u16())
    })
}

/// The body. On `SF_OK`, `*body_out` points to `*len_out` bytes borrowed from `resp`
/// (valid until `sf_response_free`; not NUL-terminated; never NULL, even when empty).
/// `SF_NULL_PARAMETER` when any argument is NULL.
///
/// # Safety
/// `resp` is NULL or a live response; `body_out` and `len_out` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_response_body(
    resp: *const sf_response,
    body_out: *mut *const u8,
    len_out: *mut usize,
) -> sf_result {
    call(std::ptr::null_mut(), || {
        let r = unsafe { arg_ref(resp, "resp") }?;
        let body_out = Out::new(body_out, "body_out")?;
        let len_out = Out::new(len_out, "len_out")?;
        let body = r.inner.bytes();
        let ptr = if body.is_empty() {
            b"".as_ptr()
        } else {
            body.as_ptr()
        };
        unsafe {
            body_out.write(ptr);
            len_out.write(body.len());
        }
        Ok(sf_result::SF_OK)
    })
}

/// One response header by name (case-insensitive; the first value if repeated). On
/// `SF_OK`, `*value_out` is a NUL-terminated string borrowed from `resp` (valid until
/// `sf_response_free`). `SF_NO_VALUE` when the server did not send it (or sent bytes that
/// are not text); `SF_NULL_PARAMETER` / `SF_INVALID_ARGUMENT` for a NULL or non-UTF-8
/// argument.
///
/// # Safety
/// `resp` is NULL or a live response; `name` is NULL or NUL-terminated; `value_out` is
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_response_header(
    resp: *const sf_response,
    name: *const c_char,
    value_out: *mut *const c_char,
) -> sf_result {
    call(std::ptr::null_mut(), || {
        let r = unsafe { arg_ref(resp, "resp") }?;
        let name = unsafe { arg_str(name, "name") }?.to_ascii_lowercase();
        let out = Out::new(value_out, "value_out")?;
        match r.headers().iter().find(|(n, _)| *n == name) {
            Some((_, value)) => {
                unsafe { out.write(value.as_ptr()) };
                Ok(sf_result::SF_OK)
            }
            None => Ok(sf_result::SF_NO_VALUE),
        }
    })
}

/// The server's request id (`x-request-id`), or NULL when none was sent or `resp` is NULL.
/// Borrowed from `resp` (valid until `sf_response_free`).
///
/// # Safety
/// `resp` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn sf_response_request_id(resp: *const sf_response) -> *const c_char {
    guard(std::ptr::null(), || {
        match unsafe { resp.as_ref() }.and_then(|r| r.request_id()) {
            Some(s) => s.as_ptr(),
            None => std::ptr::null(),
        }
    })
}

/// How many attempts the call took (1 = no retry; 0 when `resp` is NULL).
///
/// # Safety
/// `resp` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn sf_response_attempts(resp: *const sf_response) -> u32 {
    guard(0, || {
        unsafe { resp.as_ref() }.map_or(0, |r| r.inner.attempts())
    })
}

/// Time spent waiting (backoff, `Retry-After` and pacing) before the answer, in
/// milliseconds (0 when `resp` is NULL).
///
/// # Safety
/// `resp` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn sf_response_waited_ms(resp: *const sf_response) -> i64 {
    guard(0, || {
        unsafe { resp.as_ref() }.map_or(0, |r| clamp_ms(r.inner.waited()))
    })
}

/// Whether the server replayed an earlier answer for the same idempotency key
/// (`Idempotent-Replayed: true`).
///
/// # Safety
/// `resp` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn sf_response_is_replay(resp: *const sf_response) -> bool {
    guard(false, || {
        unsafe { resp.as_ref() }.is_some_and(|r| r.inner.is_replay())
    })
}

/// Frees a response. NULL is accepted and ignored. Pointers borrowed from it become invalid.
///
/// # Safety
/// `resp` is NULL or a response from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn sf_response_free(resp: *mut sf_response) {
    guard((), || unsafe { free_box(resp) })
}
