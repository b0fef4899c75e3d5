//! The body of the `c_strings` fuzz target: the exported `sf_*` functions of the C ABI
//! (bindings/c) called with arbitrary bytes as their NUL-terminated string arguments — key,
//! base URL, surface prefixes, endpoint names and path templates, field names, headers, user
//! agent, pacing store URL, method, request paths, idempotency keys, job and export
//! arguments, agent ids. Whatever the bytes, a call returns a result that is not `SF_PANIC`,
//! an error comes with a code and a message, and a message never shows the key.
//!
//! Included (with `#[path]`) by the cargo-fuzz binary `fuzz_targets/c_strings.rs` and by
//! the stable corpus replay `bindings/c/tests/fuzz_corpus.rs`; each includer names the C
//! library `c` and the core `sf_core` at its crate root (`extern crate ... as c`). Requests go to a real loopback
//! server started here once (it answers every request with one JSON document that suits
//! every typed call), never to a host named by the input: the client built from the
//! fuzzed base URL and pacing store is only constructed, and the one that sends uses the
//! loopback URL. `sf_specala_export_all` is left out: its argument is a directory it
//! writes to.

use std::ffi::{c_char, CStr, CString};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::ptr::{null, null_mut};
use std::sync::OnceLock;

use super::{c, sf_core};
use c::sf_result;

/// A fixed, well-formed key: the second client falls back to it when the input's key is
/// refused, so that the requests are reached anyway.
const FALLBACK_KEY: &str = "sf-fuzz-0123456789abcdef";

/// The answer to every request: a job, a list page and a bulk export at once.
const ANSWER: &str = r#"{"id":"job_1","status":"queued","agent_id":"a","data":[{"id":"t1","content":"x","format":"txt"}],"next_cursor":null}"#;

/// The loopback server's base URL (started on first use; one thread per connection,
/// keep-alive, every request answered with [`ANSWER`]).
fn server() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("bound"));
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                std::thread::spawn(move || serve(conn));
            }
        });
        url
    })
}

fn serve(conn: std::net::TcpStream) {
    let mut out = conn.try_clone().expect("a clone of the socket");
    let mut reader = BufReader::new(conn);
    loop {
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            ANSWER.len()
        );
        if out.write_all(head.as_bytes()).is_err() || out.write_all(ANSWER.as_bytes()).is_err() {
            return;
        }
    }
}

/// The input cut at its NUL bytes into strings (none of which holds a NUL); missing ones
/// are empty.
struct Args(Vec<CString>);

impl Args {
    fn get(&self, i: usize) -> &CString {
        static EMPTY: OnceLock<CString> = OnceLock::new();
        self.0
            .get(i)
            .unwrap_or_else(|| EMPTY.get_or_init(CString::default))
    }
    fn ptr(&self, i: usize) -> *const c_char {
        self.get(i).as_ptr()
    }
    /// NULL when the string is missing, for the arguments that may be NULL.
    fn opt(&self, i: usize) -> *const c_char {
        self.0.get(i).map_or(null(), |s| s.as_ptr())
    }
}

fn text(p: *const c_char) -> String {
    assert!(!p.is_null(), "a NULL string where one is promised");
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// The key a call was given, and what its error messages may show that could hold the
/// same text for another reason: the call's other string arguments (an unknown field or
/// endpoint name is echoed) and the library's public vocabulary (the lists of endpoint and
/// field names an error names).
struct Key {
    text: String,
    others: Vec<String>,
}

impl Key {
    fn new(text: &str, a: &Args) -> Key {
        // Every argument but the key's own (index 1), even one equal to the key: a field
        // name that happens to be the key is echoed as a field name.
        let mut others: Vec<String> =
            a.0.iter()
                .enumerate()
                .filter(|(i, _)| *i != 1)
                .map(|(_, s)| s.to_string_lossy().into_owned())
                .filter(|s| !s.is_empty())
                .chain(
                    sf_core::endpoints::ENDPOINTS
                        .iter()
                        .map(|(n, _)| n.to_string()),
                )
                .chain(sf_core::fields::FIELDS.iter().map(|n| n.to_string()))
                .collect();
        others.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Key {
            text: text.to_string(),
            others,
        }
    }

    /// Whether `message` shows the key (a key shorter than 8 characters is not checked).
    fn shown_in(&self, message: &str) -> bool {
        if self.text.trim().len() < 8 {
            return false;
        }
        let mut rest = message.to_string();
        for other in &self.others {
            rest = rest.replace(other.as_str(), "");
        }
        rest.contains(&self.text)
    }
}

/// Checks one result: never a panic; an error has a code and a message without the key;
/// frees the error.
fn checked(r: sf_result, err: *mut c::sf_error, key: &Key) -> sf_result {
    assert_ne!(r, sf_result::SF_PANIC, "a panic at the C boundary");
    if r == sf_result::SF_OK || r == sf_result::SF_DONE {
        return r;
    }
    if !err.is_null() {
        unsafe {
            assert!(!text(c::sf_error_code(err)).is_empty(), "an empty code");
            let message = text(c::sf_error_message(err));
            assert!(
                !key.shown_in(&message),
                "the key in an error message: {message}"
            );
            c::sf_error_free(err);
        }
    }
    r
}

/// Runs one setter with an error out-parameter; its result is [`checked`] against `key`.
fn set(key: &Key, f: impl FnOnce(*mut *mut c::sf_error) -> sf_result) -> sf_result {
    let mut err = null_mut();
    let r = f(&mut err);
    checked(r, err, key)
}

/// Sets every string option from `a`; every setter's result is checked (a refusal must
/// carry a code and must not show `shown`, the key). Whether the key was taken.
unsafe fn configure(opts: *mut c::sf_client_options, a: &Args, key: &CString, shown: &Key) -> bool {
    unsafe {
        let key_ok = set(shown, |e| {
            c::sf_client_options_set_api_key(opts, key.as_ptr(), e)
        }) == sf_result::SF_OK;
        set(shown, |e| {
            c::sf_client_options_add_surface(opts, a.ptr(2), 1000, 1000, 10, e)
        });
        set(shown, |e| {
            c::sf_client_options_set_path(opts, a.ptr(3), a.ptr(4), e)
        });
        set(shown, |e| {
            c::sf_client_options_set_field(opts, a.ptr(5), a.ptr(6), e)
        });
        set(shown, |e| {
            c::sf_client_options_add_header(opts, a.ptr(7), a.ptr(8), e)
        });
        set(shown, |e| {
            c::sf_client_options_set_user_agent(opts, a.ptr(9), e)
        });
        key_ok
    }
}

/// Builds a client from `opts`; `None` when refused (the refusal checked).
unsafe fn build(opts: *mut c::sf_client_options, key: &Key) -> Option<*mut c::sf_client> {
    let mut client = null_mut();
    let mut err = null_mut();
    let r = unsafe { c::sf_client_new(opts, &mut client, &mut err) };
    (checked(r, err, key) == sf_result::SF_OK).then_some(client)
}

/// The target: the first byte picks the API profile, the rest is cut at NUL bytes into
/// the string arguments (see the module documentation for which is which).
pub fn c_strings(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let a = Args(
        rest.split(|&b| b == 0)
            .map(|s| CString::new(s).expect("no NUL"))
            .collect(),
    );
    let key = Key::new(&a.get(1).to_string_lossy(), &a);
    let none = Key::new("", &a);
    unsafe {
        // 1. Everything the input names, the base URL and pacing store included: built only.
        let opts = c::sf_client_options_new();
        assert!(!opts.is_null());
        let api = u32::from(flags % 4); // 3 is not an API: refused
        set(&none, |e| c::sf_client_options_set_api(opts, api, e));
        set(&none, |e| {
            c::sf_client_options_set_base_url(opts, a.ptr(0), e)
        });
        configure(opts, &a, a.get(1), &key);
        set(&none, |e| {
            c::sf_client_options_set_pacing_store(opts, a.opt(10), e)
        });
        set(&none, |e| {
            c::sf_client_options_set_allow_insecure_http(opts, flags & 0x10 != 0, e)
        });
        if let Some(client) = build(opts, &key) {
            c::sf_client_free(client);
        }
        c::sf_client_options_free(opts);

        // 2. The same strings on a client that sends, to the loopback server.
        let base = CString::new(server()).expect("no NUL");
        let fallback = CString::new(FALLBACK_KEY).expect("no NUL");
        let mut client = None;
        for given in [a.get(1), &fallback] {
            let opts = c::sf_client_options_new();
            let used = Key::new(&given.to_string_lossy(), &a);
            set(&none, |e| {
                c::sf_client_options_set_api(opts, u32::from(flags % 3), e)
            });
            set(&none, |e| {
                c::sf_client_options_set_base_url(opts, base.as_ptr(), e)
            });
            set(&none, |e| {
                c::sf_client_options_set_allow_insecure_http(opts, true, e)
            });
            set(&none, |e| c::sf_client_options_set_max_retries(opts, 0, e));
            set(&none, |e| {
                c::sf_client_options_set_deadline_ms(opts, 5_000, e)
            });
            set(&none, |e| c::sf_client_options_set_pacing(opts, false, e));
            if !configure(opts, &a, given, &used) {
                // A refused key: the fallback key next, so that requests go out.
                c::sf_client_options_free(opts);
                continue;
            }
            client = build(opts, &used).map(|c| (c, used));
            c::sf_client_options_free(opts);
            if client.is_some() {
                break;
            }
        }
        // Checked against the key the client holds.
        let Some((client, key)) = client else { return };
        let key = &key;

        let body = a.get(13).as_bytes();
        let mut resp = null_mut();
        let mut err = null_mut();
        let r = c::sf_client_request(
            client,
            a.ptr(11),
            a.ptr(12),
            body.as_ptr(),
            body.len(),
            a.opt(14),
            &mut resp,
            &mut err,
        );
        if checked(r, err, key) == sf_result::SF_OK {
            let mut value = null();
            let _ = c::sf_response_header(resp, a.ptr(7), &mut value);
            c::sf_response_free(resp);
        }

        let mut pager = null_mut();
        let mut err = null_mut();
        let limit = i32::from(flags >> 5) * 20 - 1; // -1, 19, 39, ... 139 (out of range)
        let r = c::sf_client_paginate(client, a.ptr(12), limit, &mut pager, &mut err);
        if checked(r, err, key) == sf_result::SF_OK {
            for _ in 0..3 {
                let (mut item, mut len, mut err) = (null(), 0usize, null_mut());
                let r = c::sf_pager_next(pager, &mut item, &mut len, &mut err);
                if checked(r, err, key) != sf_result::SF_OK {
                    break;
                }
                assert_eq!(text(item).len(), len);
            }
            c::sf_pager_free(pager);
        }

        let mut job = null_mut();
        let mut err = null_mut();
        let r = c::sf_pyai_create_job(
            client,
            a.ptr(15),
            a.opt(16),
            a.opt(17),
            a.opt(14),
            &mut job,
            &mut err,
        );
        if checked(r, err, key) == sf_result::SF_OK {
            assert!(!text(c::sf_job_id(job)).is_empty());
            let _ = text(c::sf_job_json(job));
            c::sf_job_free(job);
        }

        let ids = [a.ptr(18), a.ptr(19)];
        let mut exports = null_mut();
        let mut err = null_mut();
        let r = c::sf_specala_bulk_export(
            client,
            ids.as_ptr(),
            ids.len(),
            a.opt(20),
            &mut exports,
            &mut err,
        );
        if checked(r, err, key) == sf_result::SF_OK {
            for i in 0..c::sf_exports_count(exports) {
                let _ = text(c::sf_exports_id(exports, i));
            }
            c::sf_exports_free(exports);
        }

        let mut session = null_mut();
        let mut err = null_mut();
        let r = c::sf_pyai_realtime_open(client, a.ptr(21), &mut session, &mut err);
        if checked(r, err, key) == sf_result::SF_OK {
            let mut err = null_mut();
            if flags & 1 == 0 {
                // Close frees the session whatever the result.
                let r = c::sf_realtime_session_close(session, &mut err);
                let _ = checked(r, err, key);
            } else {
                assert!(!text(c::sf_realtime_session_id(session)).is_empty());
                c::sf_realtime_session_free(session);
            }
        }
        c::sf_client_free(client);
    }
}
