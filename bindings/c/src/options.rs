//! `sf_client_options`: the settings of a client, gathered from C one setter at a time and
//! turned into the core's `surefoot::ClientBuilder` by `sf_client_new`, which checks them
//! (base URL, key, timeouts) exactly as the Rust API does. Durations are milliseconds with
//! `-1` meaning "none"; the API key is held only until the options are freed (then its
//! bytes are zeroed) and is never printed.

use std::ffi::c_char;
use std::time::Duration;

use surefoot::{Api, ClientBuilder, RateLimit};

use crate::error::{sf_result, Failure};
use crate::ffi::{arg_mut, arg_str, duration_ms, free_box, into_handle};
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
    api: Api,
    base_url: Option<String>,
    api_key: Option<String>,
    max_retries: Option<u32>,
    /// `Some(None)`: no per-attempt timeout.
    timeout: Option<Option<Duration>>,
    connect_timeout: Option<Duration>,
    deadline: Option<Duration>,
    max_retry_wait: Option<Duration>,
    backoff: Option<(Duration, Duration)>,
    rate_limit: Option<RateLimit>,
    disable_pacing: bool,
    pacing_store: Option<String>,
    max_concurrent_sessions: Option<usize>,
    allow_insecure_http: bool,
    headers: Vec<(String, String)>,
    paths: Vec<(String, String)>,
    fields: Vec<(String, String)>,
    surfaces: Vec<(String, Option<RateLimit>)>,
    /// `(part, where)` hints of `sf_client_options_add_error_hint`.
    error_hints: Vec<(String, String)>,
    user_agent: Option<String>,
    max_response_bytes: Option<usize>,
    prefetch: bool,
}

impl sf_client_options {
    /// The core builder for these settings (checked by its `build`).
    pub(crate) fn to_builder(&self) -> ClientBuilder {
        let mut b = surefoot::Client::builder().api(self.api);
        if let Some(url) = &self.base_url {
            b = b.base_url(url.clone());
        }
        if let Some(key) = &self.api_key {
            b = b.api_key(key.clone());
        }
        if let Some(n) = self.max_retries {
            b = b.max_retries(n);
        }
        match self.timeout {
            Some(Some(t)) => b = b.timeout(t),
            Some(None) => b = b.no_timeout(),
            None => {}
        }
        if let Some(t) = self.connect_timeout {
            b = b.connect_timeout(t);
        }
        if let Some(d) = self.deadline {
            b = b.deadline(d);
        }
        if let Some(w) = self.max_retry_wait {
            b = b.max_retry_wait(w);
        }
        if let Some((base, cap)) = self.backoff {
            b = b.backoff(base, cap);
        }
        if let Some(limit) = self.rate_limit {
            b = b.rate_limit(limit);
        }
        if self.disable_pacing {
            b = b.disable_pacing();
        }
        if let Some(url) = &self.pacing_store {
            b = b.pacing_store_url(url.clone());
        }
        if let Some(n) = self.max_concurrent_sessions {
            b = b.max_concurrent_sessions(n);
        }
        b = b.allow_insecure_http(self.allow_insecure_http);
        for (name, value) in &self.headers {
            b = b.header(name.clone(), value.clone());
        }
        for (endpoint, template) in &self.paths {
            b = b.path(endpoint.clone(), template.clone());
        }
        for (field, name) in &self.fields {
            b = b.field(field.clone(), name.clone());
        }
        for (prefix, limit) in &self.surfaces {
            b = b.surface(prefix.clone(), *limit);
        }
        if !self.error_hints.is_empty() {
            let shape = self
                .error_hints
                .iter()
                .fold(surefoot::error::ErrorShape::new(), |s, (part, at)| {
                    s.hint(part, at)
                });
            b = b.error_shape(shape);
        }
        if let Some(ua) = &self.user_agent {
            b = b.user_agent(ua.clone());
        }
        if let Some(n) = self.max_response_bytes {
            b = b.max_response_bytes(n);
        }
        b.prefetch(self.prefetch)
    }
}

impl Drop for sf_client_options {
    fn drop(&mut self) {
        if let Some(key) = self.api_key.as_mut() {
            // SAFETY: zero bytes are valid UTF-8.
            unsafe { key.as_bytes_mut() }.fill(0);
        }
    }
}

/// Applies `f` to the options behind `opts`.
fn set(
    opts: *mut sf_client_options,
    f: impl FnOnce(&mut sf_client_options) -> Result<(), Failure>,
) -> sf_result {
    call(std::ptr::null_mut(), || {
        let o = unsafe { arg_mut(opts, "opts") }?;
        f(o)?;
        Ok(sf_result::SF_OK)
    })
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

/// Selects the API profile: `SF_API_GENERIC` (default), `SF_API_SPECALA` or `SF_API_PYAI`.
/// Another number is `SF_INVALID_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or live options.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_api(
    opts: *mut sf_client_options,
    api: sf_api,
) -> sf_result {
    set(opts, |o| {
        o.api = match api {
            SF_API_GENERIC => Api::Generic,
            SF_API_SPECALA => Api::Specala,
            SF_API_PYAI => Api::Pyai,
            n => return Err(Failure::invalid(format!("unknown sf_api value {n}"))),
        };
        Ok(())
    })
}

/// Sets the base URL, e.g. `"https://api.example.com"` (required for `SF_API_GENERIC`;
/// plain `http://` only to loopback unless `sf_client_options_set_allow_insecure_http`).
/// The string is copied. Checked by `sf_client_new`.
///
/// # Safety
/// `opts` is NULL or live options; `base_url` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_base_url(
    opts: *mut sf_client_options,
    base_url: *const c_char,
) -> sf_result {
    set(opts, |o| {
        o.base_url = Some(unsafe { arg_str(base_url, "base_url") }?.to_string());
        Ok(())
    })
}

/// Sets the API key, sent only as `Authorization: Bearer <key>` and never printed. The
/// string is copied (the caller may wipe its own copy right away). A key with whitespace
/// or control characters is refused by `sf_client_new`.
///
/// # Safety
/// `opts` is NULL or live options; `api_key` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_api_key(
    opts: *mut sf_client_options,
    api_key: *const c_char,
) -> sf_result {
    set(opts, |o| {
        let key = unsafe { arg_str(api_key, "api_key") }?.to_string();
        if let Some(old) = o.api_key.as_mut() {
            // SAFETY: zero bytes are valid UTF-8.
            unsafe { old.as_bytes_mut() }.fill(0);
        }
        o.api_key = Some(key);
        Ok(())
    })
}

/// Retries after the first attempt (default 3; 0 disables retries).
///
/// # Safety
/// `opts` is NULL or live options.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_max_retries(
    opts: *mut sf_client_options,
    max_retries: u32,
) -> sf_result {
    set(opts, |o| {
        o.max_retries = Some(max_retries);
        Ok(())
    })
}

/// Timeout of one attempt in milliseconds (default 60000); -1 for none. 0 or another
/// negative number is `SF_INVALID_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or live options.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_timeout_ms(
    opts: *mut sf_client_options,
    timeout_ms: i64,
) -> sf_result {
    set(opts, |o| {
        o.timeout = Some(duration_ms(timeout_ms, "timeout_ms", false)?);
        Ok(())
    })
}

/// Timeout of establishing one connection in milliseconds (default 10000); must be > 0.
///
/// # Safety
/// `opts` is NULL or live options.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_connect_timeout_ms(
    opts: *mut sf_client_options,
    timeout_ms: i64,
) -> sf_result {
    set(opts, |o| {
        match duration_ms(timeout_ms, "timeout_ms", false)? {
            Some(t) => {
                o.connect_timeout = Some(t);
                Ok(())
            }
            None => Err(Failure::invalid("the connect timeout cannot be none (-1)")),
        }
    })
}

/// One total deadline for a call in milliseconds: every attempt, backoff and pacing wait
/// together. -1 (the default) for none; 0 or another negative number is
/// `SF_INVALID_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or live options.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_deadline_ms(
    opts: *mut sf_client_options,
    deadline_ms: i64,
) -> sf_result {
    set(opts, |o| {
        o.deadline = duration_ms(deadline_ms, "deadline_ms", false)?;
        Ok(())
    })
}

/// The longest single wait (backoff or `Retry-After`) a call accepts, in milliseconds
/// (default 60000; 0 allowed). A server asking for more makes the call fail at once with
/// `sf_error_retry_after_ms` set. Negative is `SF_INVALID_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or live options.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_max_retry_wait_ms(
    opts: *mut sf_client_options,
    max_wait_ms: i64,
) -> sf_result {
    set(opts, |o| {
        match duration_ms(max_wait_ms, "max_wait_ms", true)? {
            Some(w) => {
                o.max_retry_wait = Some(w);
                Ok(())
            }
            None => Err(Failure::invalid(
                "the longest retry wait cannot be none (-1)",
            )),
        }
    })
}

/// The backoff between retries when the server gives no `Retry-After`:
/// `min(cap, base * 2^n)` scaled by a random factor in [0.5, 1], in milliseconds (default
/// 1000 and 20000). Both must be > 0 with `base_ms <= cap_ms`.
///
/// # Safety
/// `opts` is NULL or live options.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_backoff_ms(
    opts: *mut sf_client_options,
    base_ms: i64,
    cap_ms: i64,
) -> sf_result {
    set(opts, |o| {
        let base = duration_ms(base_ms, "base_ms", false)?;
        let cap = duration_ms(cap_ms, "cap_ms", false)?;
        match (base, cap) {
            (Some(base), Some(cap)) if base <= cap => {
                o.backoff = Some((base, cap));
                Ok(())
            }
            _ => Err(Failure::invalid(
                "backoff needs 0 < base_ms <= cap_ms (milliseconds)",
            )),
        }
    })
}

/// The key's rate limit: `requests` per `per_ms` milliseconds with bursts of up to `burst`
/// (0 or 1 = evenly spaced), e.g. `(500, 60000, 1)` or `(20, 1000, 5)`. Requests are paced
/// client-side by a limiter shared by every client of the process with the same key and
/// base URL. `requests == 0` restores the default (the API's documented limits, or
/// learning from 429s). `per_ms <= 0` is `SF_INVALID_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or live options.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_rate_limit(
    opts: *mut sf_client_options,
    requests: u32,
    per_ms: i64,
    burst: u32,
) -> sf_result {
    set(opts, |o| {
        if requests == 0 {
            o.rate_limit = None;
            return Ok(());
        }
        if per_ms <= 0 {
            return Err(Failure::invalid(format!(
                "`per_ms` must be greater than zero (got {per_ms})"
            )));
        }
        let per = Duration::from_millis(per_ms as u64);
        o.rate_limit = Some(RateLimit::new(requests, per).burst(burst));
        Ok(())
    })
}

/// Paces the requests whose path starts with `prefix` (`"*"`: every path no other surface
/// claims) together, with one limiter per key, under `requests` per `per_ms` milliseconds
/// with bursts of `burst` — whatever `sf_client_options_set_rate_limit` says. `requests ==
/// 0` means no configured limit on that surface (learned from the server's 429s). Replaces
/// the API profile's surface of the same prefix (e.g. `"/v1/keys"`); call it once per
/// surface. A prefix not starting with `/` (other than `"*"`) is refused by `sf_client_new`;
/// `per_ms <= 0` with `requests > 0` is `SF_INVALID_ARGUMENT` here.
///
/// # Safety
/// `opts` is NULL or live options; `prefix` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_add_surface(
    opts: *mut sf_client_options,
    prefix: *const c_char,
    requests: u32,
    per_ms: i64,
    burst: u32,
) -> sf_result {
    set(opts, |o| {
        let prefix = unsafe { arg_str(prefix, "prefix") }?.to_string();
        let limit = if requests == 0 {
            None
        } else if per_ms <= 0 {
            return Err(Failure::invalid(format!(
                "`per_ms` must be greater than zero (got {per_ms})"
            )));
        } else {
            Some(RateLimit::new(requests, Duration::from_millis(per_ms as u64)).burst(burst))
        };
        o.surfaces.push((prefix, limit));
        Ok(())
    })
}

/// Adds one error-shape hint: where this API's error bodies carry a part — `part` is
/// `"code"`, `"message"` or `"request_id"` with a JSON Pointer into the body (e.g.
/// `"/errors/0/reason"`; several hints of a part are tried in order), or
/// `"request_id_header"` with a header name. The hints replace the profile's; the general
/// decoding still fills in what they do not find. A bad part or pointer is reported by
/// `sf_client_new`.
///
/// ```c
/// sf_client_options_add_error_hint(opts, "code", "/errors/0/reason");
/// sf_client_options_add_error_hint(opts, "message", "/errors/0/text");
/// ```
///
/// # Safety
/// `opts` is NULL or live options; `part` and `at` are NULL or NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_add_error_hint(
    opts: *mut sf_client_options,
    part: *const c_char,
    at: *const c_char,
) -> sf_result {
    set(opts, |o| {
        let part = unsafe { arg_str(part, "part") }?.to_string();
        let at = unsafe { arg_str(at, "at") }?.to_string();
        o.error_hints.push((part, at));
        Ok(())
    })
}

/// Turns client-side pacing on (default) or off entirely (429s are still retried).
///
/// # Safety
/// `opts` is NULL or live options.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_pacing(
    opts: *mut sf_client_options,
    enabled: bool,
) -> sf_result {
    set(opts, |o| {
        o.disable_pacing = !enabled;
        Ok(())
    })
}

/// Keeps the client's pacing state in the store `url` names, so many processes and hosts
/// on one key share one budget: `"redis://[:password@]host[:port][/db]"` (`rediss://` for
/// TLS; options in the query: `prefix`, `timeout_ms`, `fail=closed`, `lease_ms`) or
/// `"memory"` (in-process). NULL restores the default: the `SUREFOOT_PACING_STORE`
/// environment variable, else in-process. The string is copied. A malformed URL returns
/// `SF_INVALID_ARGUMENT` and is kept, so `sf_client_new` fails too, with an `sf_error`
/// whose message names the problem (never the password). Clients of one process given
/// the same URL share one connection.
///
/// # Safety
/// `opts` is NULL or live options; `url` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_pacing_store(
    opts: *mut sf_client_options,
    url: *const c_char,
) -> sf_result {
    set(opts, |o| {
        if url.is_null() {
            o.pacing_store = None;
            return Ok(());
        }
        let url = unsafe { arg_str(url, "url") }?.to_string();
        let checked = surefoot::pacing::store_from_url(&url);
        o.pacing_store = Some(url);
        checked.map(drop).map_err(Failure::from)
    })
}

/// Caps the concurrent realtime sessions this key may hold (PyAI): extra
/// `sf_pyai_realtime_open` calls wait for a slot instead of failing. 0 = no cap (default).
///
/// # Safety
/// `opts` is NULL or live options.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_max_concurrent_sessions(
    opts: *mut sf_client_options,
    max_sessions: u32,
) -> sf_result {
    set(opts, |o| {
        o.max_concurrent_sessions = (max_sessions > 0).then_some(max_sessions as usize);
        Ok(())
    })
}

/// Allows plain `http://` to hosts other than loopback (off by default).
///
/// # Safety
/// `opts` is NULL or live options.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_allow_insecure_http(
    opts: *mut sf_client_options,
    allow: bool,
) -> sf_result {
    set(opts, |o| {
        o.allow_insecure_http = allow;
        Ok(())
    })
}

/// Adds a header sent with every request (both strings are copied; checked by
/// `sf_client_new`; `Authorization` is refused there: use `sf_client_options_set_api_key`).
///
/// # Safety
/// `opts` is NULL or live options; `name` and `value` are NULL or NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_add_header(
    opts: *mut sf_client_options,
    name: *const c_char,
    value: *const c_char,
) -> sf_result {
    set(opts, |o| {
        let name = unsafe { arg_str(name, "name") }?.to_string();
        let value = unsafe { arg_str(value, "value") }?.to_string();
        o.headers.push((name, value));
        Ok(())
    })
}

/// Maps an endpoint of the typed calls to another path, for servers whose paths differ
/// from surefoot's guesses: e.g. `"pyai.jobs"` → `"/v2/audio/jobs"`, `"pyai.job"` →
/// `"/v2/audio/jobs/{id}"`. The names and defaults are those of the Rust
/// `surefoot::endpoints::ENDPOINTS` (`specala.transcriptions`, `specala.transcription`,
/// `specala.transcription_export`, `specala.bulk_export`, `specala.keys`, `specala.key`,
/// `pyai.jobs`, `pyai.job`, `pyai.realtime_sessions`, `pyai.realtime_session`). Both
/// strings are copied; an unknown name or a template that does not start with `/` or lacks
/// the default's `{id}` is refused by `sf_client_new` (`SF_INVALID_ARGUMENT`).
///
/// # Safety
/// `opts` is NULL or live options; `endpoint` and `path` are NULL or NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_path(
    opts: *mut sf_client_options,
    endpoint: *const c_char,
    path: *const c_char,
) -> sf_result {
    set(opts, |o| {
        let endpoint = unsafe { arg_str(endpoint, "endpoint") }?.to_string();
        let path = unsafe { arg_str(path, "path") }?.to_string();
        o.paths.push((endpoint, path));
        Ok(())
    })
}

/// Says the server calls the JSON member surefoot reads as `field` `server_name` instead
/// (e.g. `"created_at"` → `"created"`, the list envelope's `"data"` → `"items"`): the
/// member is then read under surefoot's name too, at the top level of every answer and in
/// the objects of its `data` array. The names are those of the Rust
/// `surefoot::fields::FIELDS` (`id`, `data`, `next_cursor`, `title`, `language`,
/// `duration_seconds`, `created_at`, `text`, `status`, `audio_url`, `metadata`, `name`,
/// `key`, `format`, `content`, `agent_id`). Both strings are copied; an unknown field or an
/// empty name is refused by `sf_client_new` (`SF_INVALID_ARGUMENT`).
///
/// # Safety
/// `opts` is NULL or live options; `field` and `server_name` are NULL or NUL-terminated
/// strings.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_field(
    opts: *mut sf_client_options,
    field: *const c_char,
    server_name: *const c_char,
) -> sf_result {
    set(opts, |o| {
        let field = unsafe { arg_str(field, "field") }?.to_string();
        let name = unsafe { arg_str(server_name, "server_name") }?.to_string();
        o.fields.push((field, name));
        Ok(())
    })
}

/// Sets the `User-Agent` (default `surefoot/<version>`). The string is copied.
///
/// # Safety
/// `opts` is NULL or live options; `user_agent` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_user_agent(
    opts: *mut sf_client_options,
    user_agent: *const c_char,
) -> sf_result {
    set(opts, |o| {
        o.user_agent = Some(unsafe { arg_str(user_agent, "user_agent") }?.to_string());
        Ok(())
    })
}

/// The largest response body kept in memory (default 64 MiB); larger answers fail with
/// code `response_too_large`. 0 is `SF_INVALID_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or live options.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_max_response_bytes(
    opts: *mut sf_client_options,
    max_bytes: usize,
) -> sf_result {
    set(opts, |o| {
        if max_bytes == 0 {
            return Err(Failure::invalid("`max_bytes` must be at least 1"));
        }
        o.max_response_bytes = Some(max_bytes);
        Ok(())
    })
}

/// Fetch the next page of a list in the background while the caller consumes the current
/// one (default off).
///
/// # Safety
/// `opts` is NULL or live options.
#[no_mangle]
pub unsafe extern "C" fn sf_client_options_set_prefetch(
    opts: *mut sf_client_options,
    prefetch: bool,
) -> sf_result {
    set(opts, |o| {
        o.prefetch = prefetch;
        Ok(())
    })
}
