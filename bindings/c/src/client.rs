//! `sf_client`: one configured client (the core's `surefoot::Client`: connection pool,
//! retry policy, shared pacer) and the generic request call. A client is immutable once
//! built, so any number of threads may use one at once; each call blocks only its own
//! thread while the request runs on the library's one shared runtime.

use std::ffi::c_char;

use http::Method;

use crate::error::{sf_error, sf_result, Failure};
use crate::ffi::{arg_bytes, arg_ref, arg_str, free_box, into_handle, opt_str, to_cstring, Out};
use crate::options::sf_client_options;
use crate::panic::{call, guard};
use crate::response::sf_response;

/// A client. Created by `sf_client_new`, owned by the caller, freed with `sf_client_free`
/// once no thread uses it any more. Thread-safe: every function taking a
/// `const sf_client *` may be called from many threads at once.
pub struct sf_client {
    pub(crate) inner: surefoot::Client,
}

/// Builds a client from `opts`, checking what needs every setting at once before anything
/// is sent (a missing or malformed base URL, plain HTTP to a remote host, a key inside the
/// URL...: `SF_INVALID_ARGUMENT` with an `sf_error` naming the problem, never showing the
/// key). What `opts` does not give is read from the environment as in Rust and Python
/// (`surefoot::ClientBuilder::from_env`): a typed API's key (`SPECALA_API_KEY`,
/// `PYAI_API_KEY`) and base URL (`SPECALA_BASE_URL`, `PYAI_BASE_URL`), and the pacing store
/// (`SUREFOOT_PACING_STORE`); unset, empty or blank variables count as not set.
///
/// On `SF_OK`, `*client_out` receives a new client owned by the caller (free it with
/// `sf_client_free`). `opts` stays owned by the caller and may be freed right away. On
/// failure `*client_out` is untouched and, when `err_out` is not NULL, `*err_out` receives
/// an error owned by the caller (free it with `sf_error_free`).
///
/// # Safety
/// `opts` is NULL or live options; `client_out` is NULL or writable; `err_out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_new(
    opts: *const sf_client_options,
    client_out: *mut *mut sf_client,
    err_out: *mut *mut sf_error,
) -> sf_result {
    call(err_out, || {
        let opts = unsafe { arg_ref(opts, "opts") }?;
        let out = Out::new(client_out, "client_out")?;
        let inner = opts.builder.clone().from_env().build()?;
        unsafe { out.write(into_handle(sf_client { inner })) };
        Ok(sf_result::SF_OK)
    })
}

/// Frees a client. NULL is accepted and ignored. No other thread may be using it; pagers
/// and realtime sessions made from it stay valid (they hold their own reference).
///
/// # Safety
/// `client` is NULL or a client from `sf_client_new` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn sf_client_free(client: *mut sf_client) {
    guard((), || unsafe { free_box(client) })
}

/// Sends one request and waits for the answer, with the client's retries, `Retry-After`,
/// pacing and deadline.
///
/// - `method`: an HTTP method such as `"GET"`, `"POST"`, `"DELETE"` (ASCII letters are
///   upper-cased).
/// - `path`: relative to the base URL, may carry a query string (`"/v1/jobs?limit=5"`).
/// - `body`, `body_len`: the JSON body sent with `Content-Type: application/json`; `body`
///   may be NULL when `body_len` is 0 (no body). Copied before the call returns.
/// - `idempotency_key`: NULL, or a key (1-255 visible ASCII characters) sent as
///   `Idempotency-Key` on every attempt; it makes a POST safe to retry.
///
/// On `SF_OK` (any 2xx answer), `*response_out` receives a response owned by the caller
/// (free it with `sf_response_free`). An error answer, a connection failure or a timeout
/// (after the retries) is `SF_API_ERROR`, `SF_CONNECTION_ERROR` or `SF_TIMEOUT`, with
/// details in `*err_out` (owned by the caller) when `err_out` is not NULL;
/// `*response_out` is then untouched.
///
/// # Safety
/// `client` is NULL or a live client; the strings are NULL or NUL-terminated; `body`
/// points to `body_len` readable bytes (or is NULL with 0); `response_out` and `err_out`
/// are NULL or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn sf_client_request(
    client: *const sf_client,
    method: *const c_char,
    path: *const c_char,
    body: *const u8,
    body_len: usize,
    idempotency_key: *const c_char,
    response_out: *mut *mut sf_response,
    err_out: *mut *mut sf_error,
) -> sf_result {
    call(err_out, || {
        let client = unsafe { arg_ref(client, "client") }?;
        let method = unsafe { arg_str(method, "method") }?;
        let path = unsafe { arg_str(path, "path") }?;
        let body = unsafe { arg_bytes(body, body_len, "body") }?;
        let key = unsafe { opt_str(idempotency_key, "idempotency_key") }?;
        let out = Out::new(response_out, "response_out")?;
        let upper;
        let name = if method.bytes().any(|b| b.is_ascii_lowercase()) {
            upper = method.to_ascii_uppercase();
            &upper
        } else {
            method
        };
        let method = Method::from_bytes(name.as_bytes())
            .map_err(|_| Failure::invalid(format!("`{method}` is not an HTTP method")))?;

        let mut request = client.inner.request(method, path);
        if !body.is_empty() {
            request = request.json_bytes(body.to_vec());
        }
        if let Some(key) = key {
            request = request.idempotency_key(key);
        }
        let response = surefoot::runtime::block_on_here(request.send())?;
        unsafe { out.write(into_handle(sf_response::new(response))) };
        Ok(sf_result::SF_OK)
    })
}

/// The value in force for the option `name` of `client`, as text (the same text as the
/// Rust `Client::describe_option` and Python `client.describe_option`): option names are
/// the Python keywords (`"timeout"`, `"max_concurrent_sessions"`, `"rate_limit"`, ...);
/// durations read `"2.5 s"` or `"none"`, the key is masked. An unknown name is
/// `SF_INVALID_ARGUMENT`.
///
/// On `SF_OK`, `*text_out` receives a NUL-terminated string owned by the caller (free it
/// with `sf_string_free`); on failure it is untouched and `*err_out` (when not NULL)
/// receives an error owned by the caller.
///
/// # Safety
/// `client` is NULL or a live client; `name` is NULL or NUL-terminated; `text_out` and
/// `err_out` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_describe_option(
    client: *const sf_client,
    name: *const c_char,
    text_out: *mut *mut c_char,
    err_out: *mut *mut sf_error,
) -> sf_result {
    call(err_out, || {
        let client = unsafe { arg_ref(client, "client") }?;
        let name = unsafe { arg_str(name, "name") }?;
        let out = Out::new(text_out, "text_out")?;
        let text = client.inner.describe_option(name).ok_or_else(|| {
            let shown: String = name.chars().take(64).collect();
            Failure::invalid(format!(
                "unknown option {shown:?}; the options are: {}",
                surefoot::options::OPTIONS.join(", ")
            ))
        })?;
        unsafe { out.write(to_cstring(&text).into_raw()) };
        Ok(sf_result::SF_OK)
    })
}

/// What pacing knows for each surface of the client's key, as JSON: an array of
/// `{"surface", "limit", "learned"` (`"20/s burst 5"` or null), `"paused_for_ms"` (null
/// when not paused), `"pause"`: null or `{"code", "kind", "status", "message",
/// "request_id"}` — the answer that set the pause}`.
///
/// On `SF_OK`, `*json_out` receives a NUL-terminated string owned by the caller (free it
/// with `sf_string_free`). `SF_NULL_PARAMETER` when `client` or `json_out` is NULL (then
/// `*err_out`, when `err_out` is not NULL, receives an error owned by the caller).
///
/// # Safety
/// `client` is NULL or a live client; `json_out` and `err_out` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_pacing_state_json(
    client: *const sf_client,
    json_out: *mut *mut c_char,
    err_out: *mut *mut sf_error,
) -> sf_result {
    call(err_out, || {
        let client = unsafe { arg_ref(client, "client") }?;
        let out = Out::new(json_out, "json_out")?;
        let states = surefoot::runtime::block_on_here(async { Ok(client.inner.pacing().await) })?;
        let json = serde_json::Value::Array(states.iter().map(|s| s.to_json()).collect());
        unsafe { out.write(to_cstring(&json.to_string()).into_raw()) };
        Ok(sf_result::SF_OK)
    })
}

/// Lifts every pause and forgets the learned limits of the client's key (all its
/// surfaces, in whatever store holds them) — after a plan upgrade, or between tests.
/// Configured limits stay. `SF_NULL_PARAMETER` when `client` is NULL.
///
/// # Safety
/// `client` is NULL or a live client; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_reset_pacing(
    client: *const sf_client,
    err_out: *mut *mut sf_error,
) -> sf_result {
    call(err_out, || {
        let client = unsafe { arg_ref(client, "client") }?;
        surefoot::runtime::block_on_here(async {
            client.inner.reset_pacing().await;
            Ok(())
        })?;
        Ok(sf_result::SF_OK)
    })
}

/// Forgets every pause, schedule and learned limit of the process's in-memory pacing
/// (configured limits stay; a shared store is left alone): for test suites, where one test
/// hitting a daily cap must not fail the next.
#[no_mangle]
pub extern "C" fn sf_pacing_reset_all() {
    guard((), surefoot::pacing::reset_all)
}
