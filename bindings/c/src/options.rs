//! `sf_client_options`: the settings of a client, gathered from C one setter at a time into
//! the core's `surefoot::ClientBuilder`. Each setter only converts its C arguments into a
//! `surefoot::options::OptionValue` (milliseconds as they are, `-1` as none, strings copied)
//! and hands it to `ClientBuilder::set`, which checks it by the same rule as the Rust
//! builder and the Python constructor: a refused value returns `SF_INVALID_ARGUMENT` with an
//! `sf_error` carrying the core's message, and leaves the options unchanged. The API key is
//! held by the core's `ApiKey`, zeroed when the options are freed, and never printed.

use std::ffi::c_char;

use surefoot::options::OptionValue;
use surefoot::{Api, ClientBuilder};

use crate::error::{sf_error, sf_result, Failure};
use crate::ffi::{arg_mut, arg_str, free_box, into_handle};
use crate::panic::{call, guard};

/// Which API a client talks to (selects documented limits, default base URL and the
/// rate-limit surface of each path): one of `SF_API_GENERIC`, `SF_API_SPECALA`,
/// `SF_API_PYAI`.
#[allow(non_camel_case_types)]
pub type sf_api = u32;
/// Any REST API with surefoot's conventions; limits are learnt from the server's 429s.
pub const SF_API_GENERIC: sf_api = 0;
/// Specala: 500 requests/min on data endpoints, 180/min on key management, per key.
pub const SF_API_SPECALA: sf_api = 1;
/// PyAI: a per-second limit with burst (learnt from 429s unless given).
pub const SF_API_PYAI: sf_api = 2;

/// Settings for `sf_client_new`. Created by `sf_client_options_new`, owned by the caller,
/// freed with `sf_client_options_free`; not thread-safe (set it up on one thread). A client
/// copies what it needs, so the options may be freed or reused right after `sf_client_new`.
#[derive(Default)]
pub struct sf_client_options {
    pub(crate) builder: ClientBuilder,
}

/// C's milliseconds, `-1` meaning none.
fn millis(ms: i64) -> OptionValue {
    if ms == -1 {
        OptionValue::None
    } else {
        OptionValue::Millis(ms)
    }
}

/// C's counts, `-1` meaning none.
fn count(n: i64) -> OptionValue {
    if n == -1 {
        OptionValue::None
    } else {
        OptionValue::Int(i128::from(n))
    }
}

/// A rate limit from C's `(requests, per_ms, burst)`, `requests == -1` meaning none.
fn limit(requests: i64, per_ms: i64, burst: i64) -> OptionValue {
    if requests == -1 {
        return OptionValue::None;
    }
    OptionValue::Map(vec![
        (
            "requests".to_owned(),
            OptionValue::Int(i128::from(requests)),
        ),
        ("per".to_owned(), millis(per_ms)),
        ("burst".to_owned(), OptionValue::Int(i128::from(burst))),
    ])
}

/// Sets option `name` of the options behind `opts` to what `value` makes of the arguments
/// (run inside the panic guard, so a NULL string is `SF_NULL_PARAMETER`).
fn set(
    opts: *mut sf_client_options,
    err_out: *mut *mut sf_error,
    name: &str,
    value: impl FnOnce() -> Result<OptionValue, Failure>,
) -> sf_result {
    call(err_out, || {
        let o = unsafe { arg_mut(opts, "opts") }?;
        let value = value()?;
        o.builder.set(name, value)?;
        Ok(sf_result::SF_OK)
    })
}

/// A one-member mapping `{key: value}` from two C strings.
///
/// # Safety
/// `key` and `value` are NULL or NUL-terminated.
unsafe fn pair(
    key: *const c_char,
    key_name: &str,
    value: *const c_char,
    value_name: &str,
) -> Result<OptionValue, Failure> {
    let key = unsafe { arg_str(key, key_name) }?.to_owned();
    let value = unsafe { arg_str(value, value_name) }?.to_owned();
    Ok(OptionValue::Map(vec![(key, OptionValue::Text(value))]))
}

/// New options with the defaults: generic API, 3 retries, 60 s per-attempt timeout, no
/// deadline, 60 s longest wait, pacing on. The caller owns the result and frees it with
/// `sf_client_options_free`. Returns NULL only if the library panicked.
#[no_mangle]
pub extern "C" fn sf_client_options_new() -> *mut sf_client_options {
    guard(std::ptr::null_mut(), || {
        into_handle(sf_client_options::default())
    })
}

/// Frees options (zeroing the API key held in them). NULL is accepted and ignored.
///
/// # Safety
/// `opts` is NULL or options from `sf_client_options_new` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_free(opts: *mut sf_client_options) {
    guard((), || unsafe { free_box(opts) })
}

/// Every setter below: returns `SF_OK`, or on a refused value `SF_INVALID_ARGUMENT` (a NULL
/// `opts` or string: `SF_NULL_PARAMETER`) with, when `err_out` is not NULL, `*err_out`
/// receiving an error owned by the caller (free it with `sf_error_free`) whose message is
/// the same as the Rust builder's and the Python constructor's for the same value. A
/// refused value leaves the options unchanged. Durations are milliseconds, at most 365
/// days; `-1` means none where a setter says so.
///
/// Selects the API profile: `SF_API_GENERIC` (default), `SF_API_SPECALA` or `SF_API_PYAI`.
/// Another number is refused.
///
/// # Safety
/// `opts` is NULL or live options; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_api(
    opts: *mut sf_client_options,
    api: sf_api,
    err_out: *mut *mut sf_error,
) -> sf_result {
    call(err_out, || {
        let o = unsafe { arg_mut(opts, "opts") }?;
        let api = match api {
            SF_API_GENERIC => Api::Generic,
            SF_API_SPECALA => Api::Specala,
            SF_API_PYAI => Api::Pyai,
            n => return Err(Failure::invalid(format!("unknown sf_api value {n}"))),
        };
        o.builder = std::mem::take(&mut o.builder).api(api);
        Ok(sf_result::SF_OK)
    })
}

/// Sets the base URL, e.g. `"https://api.example.com"` (required for `SF_API_GENERIC`;
/// plain `http://` only to loopback unless `sf_client_options_set_allow_insecure_http`).
/// The string is copied. The URL itself is checked by `sf_client_new`. Without one, a
/// typed API reads `SPECALA_BASE_URL` / `PYAI_BASE_URL` there, as Rust and Python do.
///
/// # Safety
/// `opts` is NULL or live options; `base_url` is NULL or a NUL-terminated string;
/// `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_base_url(
    opts: *mut sf_client_options,
    base_url: *const c_char,
    err_out: *mut *mut sf_error,
) -> sf_result {
    set(opts, err_out, "base_url", || {
        Ok(OptionValue::Text(
            unsafe { arg_str(base_url, "base_url") }?.to_owned(),
        ))
    })
}

/// Sets the API key, sent only as `Authorization: Bearer <key>` and never printed. The
/// string is copied (the caller may wipe its own copy right away; the copy is zeroed when
/// the options are freed). An empty key, or one with whitespace or control characters, is
/// refused (the message never shows it). Without one, a typed API reads `SPECALA_API_KEY`
/// / `PYAI_API_KEY` in `sf_client_new`, as Rust and Python do.
///
/// # Safety
/// `opts` is NULL or live options; `api_key` is NULL or a NUL-terminated string;
/// `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_api_key(
    opts: *mut sf_client_options,
    api_key: *const c_char,
    err_out: *mut *mut sf_error,
) -> sf_result {
    set(opts, err_out, "api_key", || {
        Ok(OptionValue::Text(
            unsafe { arg_str(api_key, "api_key") }?.to_owned(),
        ))
    })
}

/// Retries after the first attempt (default 3; 0 disables retries; 0 to 4294967295).
///
/// # Safety
/// `opts` is NULL or live options; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_max_retries(
    opts: *mut sf_client_options,
    max_retries: i64,
    err_out: *mut *mut sf_error,
) -> sf_result {
    set(opts, err_out, "max_retries", || {
        Ok(OptionValue::Int(i128::from(max_retries)))
    })
}

/// Timeout of one attempt in milliseconds (default 60000); -1 for none. 0 or another
/// negative number is refused.
///
/// # Safety
/// `opts` is NULL or live options; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_timeout_ms(
    opts: *mut sf_client_options,
    timeout_ms: i64,
    err_out: *mut *mut sf_error,
) -> sf_result {
    set(opts, err_out, "timeout", || Ok(millis(timeout_ms)))
}

/// Timeout of establishing one connection in milliseconds (default 10000); must be > 0
/// (-1, none, is refused).
///
/// # Safety
/// `opts` is NULL or live options; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_connect_timeout_ms(
    opts: *mut sf_client_options,
    timeout_ms: i64,
    err_out: *mut *mut sf_error,
) -> sf_result {
    set(opts, err_out, "connect_timeout", || Ok(millis(timeout_ms)))
}

/// One total deadline for a call in milliseconds: every attempt, backoff and pacing wait
/// together. -1 (the default) for none; 0 or another negative number is refused.
///
/// # Safety
/// `opts` is NULL or live options; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_deadline_ms(
    opts: *mut sf_client_options,
    deadline_ms: i64,
    err_out: *mut *mut sf_error,
) -> sf_result {
    set(opts, err_out, "deadline", || Ok(millis(deadline_ms)))
}

/// The longest single wait (backoff or `Retry-After`) a call accepts, in milliseconds
/// (default 60000; 0 allowed: every wait fails at once). A server asking for more makes the
/// call fail at once with `sf_error_retry_after_ms` set. Negative (-1, none, included) is
/// refused.
///
/// # Safety
/// `opts` is NULL or live options; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_max_retry_wait_ms(
    opts: *mut sf_client_options,
    max_wait_ms: i64,
    err_out: *mut *mut sf_error,
) -> sf_result {
    set(opts, err_out, "max_retry_wait", || Ok(millis(max_wait_ms)))
}

/// The backoff between retries when the server gives no `Retry-After`:
/// `min(cap, base * 2^n)` scaled by a random factor in [0.5, 1], in milliseconds (default
/// 1000 and 20000). Both must be > 0 with `base_ms <= cap_ms`.
///
/// # Safety
/// `opts` is NULL or live options; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_backoff_ms(
    opts: *mut sf_client_options,
    base_ms: i64,
    cap_ms: i64,
    err_out: *mut *mut sf_error,
) -> sf_result {
    set(opts, err_out, "backoff", || {
        Ok(OptionValue::List(vec![millis(base_ms), millis(cap_ms)]))
    })
}

/// The key's rate limit: `requests` per `per_ms` milliseconds with bursts of up to `burst`
/// (1 = evenly spaced), e.g. `(500, 60000, 1)` or `(20, 1000, 5)`. Requests are paced
/// client-side by a limiter shared by every client of the process with the same key and
/// base URL. `requests == -1` restores the default (the API's documented limits, or
/// learning from 429s). `requests` and `burst` must be at least 1, `per_ms` greater than
/// zero.
///
/// # Safety
/// `opts` is NULL or live options; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_rate_limit(
    opts: *mut sf_client_options,
    requests: i64,
    per_ms: i64,
    burst: i64,
    err_out: *mut *mut sf_error,
) -> sf_result {
    set(opts, err_out, "rate_limit", || {
        Ok(limit(requests, per_ms, burst))
    })
}

/// Paces the requests whose path starts with `prefix` (`"*"`: every path no other surface
/// claims) together, with one limiter per key, under `requests` per `per_ms` milliseconds
/// with bursts of `burst` — whatever `sf_client_options_set_rate_limit` says. `requests ==
/// -1` means no configured limit on that surface (learned from the server's 429s). Replaces
/// the API profile's surface of the same prefix (e.g. `"/v1/keys"`); call it once per
/// surface. A prefix not starting with `/` (other than `"*"`) is refused, and the limit by
/// the rules of `sf_client_options_set_rate_limit`.
///
/// # Safety
/// `opts` is NULL or live options; `prefix` is NULL or a NUL-terminated string; `err_out`
/// is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_add_surface(
    opts: *mut sf_client_options,
    prefix: *const c_char,
    requests: i64,
    per_ms: i64,
    burst: i64,
    err_out: *mut *mut sf_error,
) -> sf_result {
    set(opts, err_out, "surfaces", || {
        let prefix = unsafe { arg_str(prefix, "prefix") }?.to_owned();
        Ok(OptionValue::Map(vec![(
            prefix,
            limit(requests, per_ms, burst),
        )]))
    })
}

/// Adds one error-shape hint: where this API's error bodies carry a part — `part` is
/// `"code"`, `"message"` or `"request_id"` with a JSON Pointer into the body (e.g.
/// `"/errors/0/reason"`; several hints of a part are tried in order), or
/// `"request_id_header"` with a header name. The hints replace the profile's; the general
/// decoding still fills in what they do not find. A bad part or pointer is refused with
/// the core's message.
///
/// ```c
/// sf_client_options_add_error_hint(opts, "code", "/errors/0/reason", NULL);
/// sf_client_options_add_error_hint(opts, "message", "/errors/0/text", NULL);
/// ```
///
/// # Safety
/// `opts` is NULL or live options; `part` and `at` are NULL or NUL-terminated strings;
/// `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_add_error_hint(
    opts: *mut sf_client_options,
    part: *const c_char,
    at: *const c_char,
    err_out: *mut *mut sf_error,
) -> sf_result {
    set(opts, err_out, "error_shape", || {
        let part = unsafe { arg_str(part, "part") }?.to_owned();
        let at = unsafe { arg_str(at, "at") }?.to_owned();
        Ok(OptionValue::Map(vec![(part, OptionValue::Text(at))]))
    })
}

/// Turns client-side pacing on (default) or off entirely (429s are still retried).
///
/// # Safety
/// `opts` is NULL or live options; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_pacing(
    opts: *mut sf_client_options,
    enabled: bool,
    err_out: *mut *mut sf_error,
) -> sf_result {
    set(opts, err_out, "pacing", || Ok(OptionValue::Bool(enabled)))
}

/// Keeps the client's pacing state in the store `url` names, so many processes and hosts
/// on one key share one budget: `"redis://[user:password@]host[:port][/db]"` (`rediss://`
/// for TLS, with `tls_ca`, `tls_cert`, `tls_key` in the query;
/// `redis+sentinel://s1:port,s2:port/service` behind Sentinel;
/// `redis+cluster://h1:port,h2:port/` for a Cluster; other query options: `prefix`,
/// `timeout_ms`, `fail=closed`, `lease_ms`, `secret`) or `"memory"` or `""` (in-process). NULL restores the default: the
/// `SUREFOOT_PACING_STORE` environment variable, else in-process. The string is copied. A
/// malformed URL is refused with a message that names the problem (never the password).
/// Clients of one process given the same URL share one connection.
///
/// # Safety
/// `opts` is NULL or live options; `url` is NULL or a NUL-terminated string; `err_out` is
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_pacing_store(
    opts: *mut sf_client_options,
    url: *const c_char,
    err_out: *mut *mut sf_error,
) -> sf_result {
    set(opts, err_out, "pacing_store", || {
        if url.is_null() {
            return Ok(OptionValue::None);
        }
        Ok(OptionValue::Text(
            unsafe { arg_str(url, "url") }?.to_owned(),
        ))
    })
}

/// Caps the concurrent realtime sessions this key may hold (PyAI): extra
/// `sf_pyai_realtime_open` calls wait for a slot instead of failing. -1 = no cap (default);
/// 0 is refused (no session could ever open).
///
/// # Safety
/// `opts` is NULL or live options; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_max_concurrent_sessions(
    opts: *mut sf_client_options,
    max_sessions: i64,
    err_out: *mut *mut sf_error,
) -> sf_result {
    set(opts, err_out, "max_concurrent_sessions", || {
        Ok(count(max_sessions))
    })
}

/// Allows plain `http://` to hosts other than loopback (off by default).
///
/// # Safety
/// `opts` is NULL or live options; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_allow_insecure_http(
    opts: *mut sf_client_options,
    allow: bool,
    err_out: *mut *mut sf_error,
) -> sf_result {
    set(opts, err_out, "allow_insecure_http", || {
        Ok(OptionValue::Bool(allow))
    })
}

/// Adds a header sent with every request (both strings are copied). A malformed name or
/// value is refused, and so is `Authorization` (use `sf_client_options_set_api_key`).
///
/// # Safety
/// `opts` is NULL or live options; `name` and `value` are NULL or NUL-terminated strings;
/// `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_add_header(
    opts: *mut sf_client_options,
    name: *const c_char,
    value: *const c_char,
    err_out: *mut *mut sf_error,
) -> sf_result {
    set(opts, err_out, "headers", || unsafe {
        pair(name, "name", value, "value")
    })
}

/// Maps an endpoint of the typed calls to another path, for servers whose paths differ
/// from surefoot's guesses: e.g. `"pyai.jobs"` → `"/v2/audio/jobs"`, `"pyai.job"` →
/// `"/v2/audio/jobs/{id}"`. The names and defaults are those of the Rust
/// `surefoot::endpoints::ENDPOINTS` (`specala.transcriptions`, `specala.transcription`,
/// `specala.transcription_export`, `specala.bulk_export`, `specala.keys`, `specala.key`,
/// `pyai.jobs`, `pyai.job`, `pyai.realtime_sessions`, `pyai.realtime_session`). Both
/// strings are copied; an unknown name or a template that does not start with `/` or lacks
/// the default's `{id}` is refused.
///
/// # Safety
/// `opts` is NULL or live options; `endpoint` and `path` are NULL or NUL-terminated strings;
/// `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_path(
    opts: *mut sf_client_options,
    endpoint: *const c_char,
    path: *const c_char,
    err_out: *mut *mut sf_error,
) -> sf_result {
    set(opts, err_out, "paths", || unsafe {
        pair(endpoint, "endpoint", path, "path")
    })
}

/// Says the server calls the JSON member surefoot reads as `field` `server_name` instead
/// (e.g. `"created_at"` → `"created"`, the list envelope's `"data"` → `"items"`): the
/// member is then read under surefoot's name too, at the top level of every answer and in
/// the objects of its `data` array. The names are those of the Rust
/// `surefoot::fields::FIELDS` (`id`, `data`, `next_cursor`, `title`, `language`,
/// `duration_seconds`, `created_at`, `text`, `status`, `audio_url`, `metadata`, `name`,
/// `key`, `format`, `content`, `agent_id`). Both strings are copied; an unknown field or an
/// empty name is refused.
///
/// # Safety
/// `opts` is NULL or live options; `field` and `server_name` are NULL or NUL-terminated
/// strings; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_field(
    opts: *mut sf_client_options,
    field: *const c_char,
    server_name: *const c_char,
    err_out: *mut *mut sf_error,
) -> sf_result {
    set(opts, err_out, "fields", || unsafe {
        pair(field, "field", server_name, "server_name")
    })
}

/// Sets the `User-Agent` (default `surefoot/<version>`; NULL restores it). The string is
/// copied; an empty or blank one, or one with control characters, is refused.
///
/// # Safety
/// `opts` is NULL or live options; `user_agent` is NULL or a NUL-terminated string;
/// `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_user_agent(
    opts: *mut sf_client_options,
    user_agent: *const c_char,
    err_out: *mut *mut sf_error,
) -> sf_result {
    set(opts, err_out, "user_agent", || {
        if user_agent.is_null() {
            return Ok(OptionValue::None);
        }
        Ok(OptionValue::Text(
            unsafe { arg_str(user_agent, "user_agent") }?.to_owned(),
        ))
    })
}

/// Trusts the certificate authorities in the PEM file `path` for HTTPS, instead of the
/// Mozilla roots surefoot carries (a private CA, or a TLS-inspecting proxy's); NULL
/// restores those. The file is read now: a missing or unreadable file, one without a
/// certificate, or a certificate that does not parse is refused, naming `ca_file` and the
/// file. A server certificate TLS then refuses fails the call at once (not retried).
///
/// # Safety
/// `opts` is NULL or live options; `path` is NULL or a NUL-terminated string;
/// `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_ca_file(
    opts: *mut sf_client_options,
    path: *const c_char,
    err_out: *mut *mut sf_error,
) -> sf_result {
    set(opts, err_out, "ca_file", || {
        if path.is_null() {
            return Ok(OptionValue::None);
        }
        Ok(OptionValue::Text(
            unsafe { arg_str(path, "ca_file") }?.to_owned(),
        ))
    })
}

/// The largest response body kept in memory (default 64 MiB); larger answers fail with
/// code `response_too_large`. Must be at least 1.
///
/// # Safety
/// `opts` is NULL or live options; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_max_response_bytes(
    opts: *mut sf_client_options,
    max_bytes: i64,
    err_out: *mut *mut sf_error,
) -> sf_result {
    set(opts, err_out, "max_response_bytes", || {
        Ok(OptionValue::Int(i128::from(max_bytes)))
    })
}

/// Fetch the next page of a list in the background while the caller consumes the current
/// one (default off).
///
/// # Safety
/// `opts` is NULL or live options; `err_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_prefetch(
    opts: *mut sf_client_options,
    prefetch: bool,
    err_out: *mut *mut sf_error,
) -> sf_result {
    set(opts, err_out, "prefetch", || {
        Ok(OptionValue::Bool(prefetch))
    })
}
