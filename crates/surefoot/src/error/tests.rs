//! Unit tests of `error`.

use super::*;
use http::HeaderMap;
use std::time::Duration;

fn h(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut m = HeaderMap::new();
    for (k, v) in pairs {
        m.append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    m
}

fn resp(status: u16, body: &str) -> Error {
    Error::from_response(status, &HeaderMap::new(), body.as_bytes(), false)
}

#[test]
fn kind_names() {
    let names: Vec<_> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "authentication",
            "permission",
            "not_found",
            "validation",
            "conflict",
            "payment_required",
            "rate_limited",
            "server",
            "connection",
            "timeout",
            "invalid_request",
            "not_done"
        ]
    );
}

#[test]
fn openai_envelope() {
    let e = resp(
        429,
        r#"{"error": {"message": "Rate limit exceeded.", "type": "rate_limit_error", "code": "rate_limit_exceeded", "param": null}}"#,
    );
    assert_eq!(e.code(), "rate_limit_exceeded");
    assert_eq!(e.message(), "Rate limit exceeded.");
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert!(e.is_retryable());
    assert_eq!(e.status(), Some(429));
    assert_eq!(e.attempts(), 1);
    assert!(e.reached_server());
}

#[test]
fn envelope_falls_back_to_type_then_status() {
    let e = resp(
        400,
        r#"{"error": {"message": "bad", "type": "invalid_request_error", "code": null}}"#,
    );
    assert_eq!(e.code(), "invalid_request_error");
    assert_eq!(e.kind(), ErrorKind::Validation);
    let e = resp(
        400,
        r#"{"error": {"message": "bad", "type": "", "code": ""}}"#,
    );
    assert_eq!(e.code(), "bad_request");
    let e = resp(401, r#"{"error": {"code": "invalid_api_key"}}"#);
    assert_eq!(e.code(), "invalid_api_key");
    assert_eq!(e.kind(), ErrorKind::Authentication);
    assert_eq!(e.message(), "HTTP 401 Unauthorized");
    let e = resp(500, r#"{"error": {"code": 1234, "message": "numeric"}}"#);
    assert_eq!(e.code(), "1234");
}

#[test]
fn envelope_error_string() {
    let e = resp(403, r#"{"error": "Key lacks scope"}"#);
    assert_eq!((e.code(), e.message()), ("forbidden", "Key lacks scope"));
    assert_eq!(e.kind(), ErrorKind::Permission);
}

#[test]
fn pyai_codes_table() {
    let cases: &[(u16, &str, ErrorKind, bool)] = &[
        (401, "unauthorized", ErrorKind::Authentication, false),
        (403, "forbidden", ErrorKind::Permission, false),
        (403, "origin_not_allowed", ErrorKind::Permission, false),
        (400, "invalid_agent_id", ErrorKind::Validation, false),
        (402, "credit_exhausted", ErrorKind::PaymentRequired, false),
        (
            402,
            "key_budget_exceeded",
            ErrorKind::PaymentRequired,
            false,
        ),
        (402, "insufficient_quota", ErrorKind::PaymentRequired, false),
        (429, "insufficient_quota", ErrorKind::PaymentRequired, false),
        (429, "credit_exhausted", ErrorKind::PaymentRequired, false),
        (409, "idempotency_conflict", ErrorKind::Conflict, false),
        (429, "rate_limit_exceeded", ErrorKind::RateLimited, true),
        (
            429,
            "concurrency_limit_exceeded",
            ErrorKind::RateLimited,
            true,
        ),
        // Without the time to its reset a daily cap is not worth retrying (the retry
        // classifiers say so; with `Retry-After` it is, see `retry::classify`).
        (429, "daily_cap_exceeded", ErrorKind::RateLimited, false),
        (429, "some_new_code", ErrorKind::RateLimited, true),
        (403, "api_access_denied", ErrorKind::Permission, false),
        (503, "overloaded", ErrorKind::Server, true),
        (501, "not_implemented", ErrorKind::Server, false),
    ];
    for &(status, code, kind, retry) in cases {
        let body = format!(r#"{{"error": {{"message": "m", "type": "t", "code": "{code}"}}}}"#);
        let e = resp(status, &body);
        assert_eq!(e.code(), code, "{status} {code}");
        assert_eq!(e.kind(), kind, "{status} {code}");
        assert_eq!(e.is_retryable(), retry, "{status} {code}");
        // The same code in problem+json form classifies the same way.
        let body = format!(
            r#"{{"type": "https://api.pyai.com/problems/{code}", "title": "T", "status": {status}, "detail": "d"}}"#
        );
        let e = resp(status, &body);
        assert_eq!(e.code(), code, "problem {status} {code}");
        assert_eq!(e.kind(), kind, "problem {status} {code}");
        assert_eq!(e.is_retryable(), retry, "problem {status} {code}");
    }
}

#[test]
fn problem_json() {
    let headers = h(&[("content-type", "application/problem+json; charset=utf-8")]);
    let body = br#"{"type": "https://api.pyai.com/problems/idempotency_conflict", "title": "Conflict", "status": 409, "detail": "Idempotency-Key was reused with a different request body.", "request_id": "req_abc"}"#;
    let e = Error::from_response(409, &headers, body, false);
    assert_eq!(e.code(), "idempotency_conflict");
    assert_eq!(
        e.message(),
        "Idempotency-Key was reused with a different request body."
    );
    assert_eq!(e.request_id(), Some("req_abc"));
    assert_eq!(
        e.content_type(),
        Some("application/problem+json; charset=utf-8")
    );
    assert!(!e.is_retryable());

    // header request id wins over the body's
    let headers = h(&[
        ("content-type", "application/problem+json"),
        ("x-request-id", "req_hdr"),
    ]);
    let e = Error::from_response(409, &headers, body, false);
    assert_eq!(e.request_id(), Some("req_hdr"));
}

#[test]
fn problem_type_variants() {
    let ct = h(&[("content-type", "application/problem+json")]);
    let cases = [
        (
            r#"{"type": "https://x/problems/not_found/", "title": "Nope"}"#,
            "not_found",
            "Nope",
        ),
        (
            r#"{"type": "https://x/problems/foo?x=1#frag", "title": "T"}"#,
            "foo",
            "T",
        ),
        (
            r#"{"type": "about:blank", "title": "Not Found", "status": 404}"#,
            "not_found",
            "Not Found",
        ),
        (
            r#"{"title": "Not Found", "status": 404}"#,
            "not_found",
            "Not Found",
        ),
        (
            r#"{"type": "", "title": "T", "detail": "D"}"#,
            "not_found",
            "D",
        ),
        (
            r#"{"type": "urn:pyai:problem:gone", "title": "T"}"#,
            "gone",
            "T",
        ),
        (
            r#"{"type": "/problems/bar", "status": 404}"#,
            "bar",
            "HTTP 404 Not Found",
        ),
    ];
    for (body, code, msg) in cases {
        let e = Error::from_response(404, &ct, body.as_bytes(), false);
        assert_eq!((e.code(), e.message()), (code, msg), "{body}");
    }
    // Detected by shape without the content type.
    let e = resp(
        400,
        r#"{"type": "https://api.pyai.com/problems/invalid_agent_id", "title": "Bad Request", "status": 400}"#,
    );
    assert_eq!(e.code(), "invalid_agent_id");
    assert_eq!(e.message(), "Bad Request");
    // A `type` without title/status and without the content type is not problem+json.
    let e = resp(400, r#"{"type": "whatever", "message": "m"}"#);
    assert_eq!((e.code(), e.message()), ("bad_request", "m"));
}

#[test]
fn specala_detail_forms() {
    let e = resp(401, r#"{"detail": "Invalid API key"}"#);
    assert_eq!((e.code(), e.message()), ("unauthorized", "Invalid API key"));
    assert_eq!(e.kind(), ErrorKind::Authentication);
    assert!(!e.is_retryable());

    let e = resp(
        403,
        r#"{"detail": {"code": "api_access_denied", "message": "Your current plan does not include API access."}}"#,
    );
    assert_eq!(e.code(), "api_access_denied");
    assert_eq!(e.kind(), ErrorKind::Permission);
    assert_eq!(
        e.message(),
        "Your current plan does not include API access."
    );

    let e = resp(
        429,
        r#"{"detail": {"error": {"message": "No quota", "type": "billing", "code": "insufficient_quota"}}}"#,
    );
    assert_eq!(e.code(), "insufficient_quota");
    assert_eq!(e.kind(), ErrorKind::PaymentRequired);
    assert!(!e.is_retryable());

    let e = resp(404, r#"{"detail": "Not Found"}"#);
    assert_eq!((e.code(), e.kind()), ("not_found", ErrorKind::NotFound));
    let e = resp(429, r#"{"detail": "Too many requests"}"#);
    assert_eq!(
        (e.code(), e.kind()),
        ("rate_limit_exceeded", ErrorKind::RateLimited)
    );
    assert!(e.is_retryable());
}

#[test]
fn fastapi_validation_list() {
    let e = resp(
        422,
        r#"{"detail": [{"loc": ["query", "limit"], "msg": "Input should be less than or equal to 100", "type": "less_than_equal"}]}"#,
    );
    assert_eq!(e.code(), "validation_error");
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert_eq!(
        e.message(),
        "query.limit: Input should be less than or equal to 100"
    );

    let e = resp(
        422,
        r#"{"detail": [{"loc": ["body", "ids", 3], "msg": "bad id", "type": "x"}, {"loc": [], "msg": "second"}]}"#,
    );
    assert_eq!(e.message(), "body.ids.3: bad id; second");

    let many: Vec<String> = (0..15)
        .map(|i| format!(r#"{{"loc": ["body", {i}], "msg": "m"}}"#))
        .collect();
    let e = resp(422, &format!(r#"{{"detail": [{}]}}"#, many.join(",")));
    assert!(e.message().ends_with("(and 5 more)"), "{}", e.message());

    let e = resp(422, r#"{"detail": []}"#);
    assert_eq!(e.message(), "HTTP 422 Unprocessable Entity");
}

#[test]
fn html_pages() {
    let headers = h(&[("content-type", "text/html; charset=utf-8")]);
    let body = b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
    let e = Error::from_response(502, &headers, body, false);
    assert_eq!(e.code(), "server_error");
    assert_eq!(
        e.message(),
        "HTTP 502 Bad Gateway (HTML error page, likely from a proxy)"
    );
    assert!(e.is_retryable());

    let body = b"<!DOCTYPE html><html><head><TITLE>\n  example.com | 524: A timeout occurred &amp; more\n</TITLE>";
    let e = Error::from_response(524, &HeaderMap::new(), body, true);
    assert_eq!(
        e.message(),
        "HTTP 524 (HTML error page, likely from a proxy): example.com | 524: A timeout occurred & more"
    );
    assert_eq!(e.kind(), ErrorKind::Server);
    assert!(!e.is_retryable());

    let e = Error::from_response(429, &HeaderMap::new(), b"  <html>no title", false);
    assert_eq!(e.code(), "rate_limit_exceeded");
    assert_eq!(
        e.message(),
        "HTTP 429 Too Many Requests (HTML error page, likely from a proxy)"
    );
}

#[test]
fn empty_and_unparseable() {
    let e = resp(503, "");
    assert_eq!(e.message(), "HTTP 503 Service Unavailable (empty body)");
    assert_eq!(e.code(), "server_error");
    let e = resp(500, "  \n ");
    assert_eq!(e.message(), "HTTP 500 Internal Server Error (empty body)");

    let e = Error::from_response(
        500,
        &HeaderMap::new(),
        br#"{"error": {"message": "cut"#,
        true,
    );
    assert_eq!(
        e.message(),
        "HTTP 500 Internal Server Error (unparseable body, truncated)"
    );
    assert!(e.body_truncated());
    let e = resp(400, r#"{"error": nope}"#);
    assert_eq!(e.message(), "HTTP 400 Bad Request (unparseable body)");
    let json = h(&[("content-type", "application/json")]);
    let e = Error::from_response(400, &json, b"\xff\xfe\x00garbage", false);
    assert_eq!(e.message(), "HTTP 400 Bad Request (unparseable body)");
    let e = Error::from_response(400, &HeaderMap::new(), b"\xff\xfe\x00garbage", false);
    assert_eq!(e.message(), "HTTP 400 Bad Request (unparseable body)");
    assert_eq!(e.body(), Some(&b"\xff\xfe\x00garbage"[..]));
}

#[test]
fn plain_text_and_odd_json() {
    let e = resp(429, "Too Many Requests\nmore lines");
    assert_eq!(e.message(), "HTTP 429 Too Many Requests: Too Many Requests");
    let e = resp(500, "null");
    assert_eq!(e.message(), "HTTP 500 Internal Server Error");
    let e = resp(500, "[1, 2]");
    assert_eq!(e.message(), "HTTP 500 Internal Server Error");
    let e = resp(500, r#""just a string""#);
    assert_eq!(e.message(), "just a string");
    let e = resp(
        418,
        r#"{"code": "teapot_full", "message": "short and stout"}"#,
    );
    assert_eq!((e.code(), e.message()), ("teapot_full", "short and stout"));
    assert_eq!(e.kind(), ErrorKind::Validation);
    let e = resp(500, r#"{"unrelated": true}"#);
    assert_eq!(
        (e.code(), e.message()),
        ("server_error", "HTTP 500 Internal Server Error")
    );
}

#[test]
fn status_codes() {
    let table = [
        (400, "bad_request", ErrorKind::Validation, false),
        (401, "unauthorized", ErrorKind::Authentication, false),
        (402, "payment_required", ErrorKind::PaymentRequired, false),
        (403, "forbidden", ErrorKind::Permission, false),
        (404, "not_found", ErrorKind::NotFound, false),
        (405, "method_not_allowed", ErrorKind::Validation, false),
        (408, "request_timeout", ErrorKind::Timeout, true),
        (409, "conflict", ErrorKind::Conflict, false),
        (410, "http_410", ErrorKind::Validation, false),
        (413, "payload_too_large", ErrorKind::Validation, false),
        (422, "validation_error", ErrorKind::Validation, false),
        (429, "rate_limit_exceeded", ErrorKind::RateLimited, true),
        (500, "server_error", ErrorKind::Server, true),
        (501, "server_error", ErrorKind::Server, false),
        (502, "server_error", ErrorKind::Server, true),
        (503, "server_error", ErrorKind::Server, true),
        (504, "server_error", ErrorKind::Server, true),
        (599, "server_error", ErrorKind::Server, false),
        (302, "http_302", ErrorKind::Server, false),
        (0, "http_0", ErrorKind::Server, false),
        (999, "http_999", ErrorKind::Server, false),
    ];
    for (status, code, kind, retry) in table {
        let e = resp(status, "");
        assert_eq!(
            (e.code(), e.kind(), e.is_retryable()),
            (code, kind, retry),
            "{status}"
        );
    }
}

#[test]
fn request_id_sources() {
    for name in [
        "x-request-id",
        "request-id",
        "x-amzn-requestid",
        "X-Request-ID",
    ] {
        let e = Error::from_response(500, &h(&[(name, " req_1 ")]), b"", false);
        assert_eq!(e.request_id(), Some("req_1"), "{name}");
    }
    let e = resp(
        500,
        r#"{"error": {"message": "m"}, "request_id": "req_body"}"#,
    );
    assert_eq!(e.request_id(), Some("req_body"));
    let e = resp(500, r#"{"detail": "x", "request_id": "req_d"}"#);
    assert_eq!(e.request_id(), Some("req_d"));
    let long = "r".repeat(500);
    let e = resp(
        500,
        &format!(r#"{{"detail": "x", "request_id": "{long}"}}"#),
    );
    assert_eq!(e.request_id(), None);
}

#[test]
fn retry_after_from_headers() {
    let e = Error::from_response(429, &h(&[("retry-after", "2")]), b"", false);
    assert_eq!(e.retry_after(), Some(Duration::from_secs(2)));
    let e = Error::from_response(
        429,
        &h(&[("retry-after-ms", "150"), ("retry-after", "2")]),
        b"",
        false,
    );
    assert_eq!(e.retry_after(), Some(Duration::from_millis(150)));
    let e = Error::from_response(429, &h(&[("retry-after", "-1")]), b"", false);
    assert_eq!(e.retry_after(), None);
}

#[test]
fn display_formats() {
    let e = Error::from_response(
        429,
        &h(&[("x-request-id", "req_1"), ("retry-after", "2.5")]),
        br#"{"error": {"message": "Rate limit exceeded.", "code": "rate_limit_exceeded"}}"#,
        false,
    )
    .with_attempts(4);
    assert_eq!(
        e.to_string(),
        "rate_limit_exceeded (HTTP 429): Rate limit exceeded. [request_id=req_1, attempts=4, retry_after=2.5s]"
    );
    assert_eq!(
        resp(404, r#"{"detail": "Not Found"}"#).to_string(),
        "not_found (HTTP 404): Not Found"
    );
    assert_eq!(
        Error::connection("connection refused", false)
            .with_attempts(3)
            .to_string(),
        "connection_error: connection refused [attempts=3]"
    );
    let e = Error::timeout("t").with_retry_after(Some(Duration::from_millis(3_600_000)));
    assert_eq!(e.to_string(), "timeout: t [retry_after=3600s]");
    let e = Error::timeout("t").with_retry_after(Some(Duration::from_millis(1)));
    assert_eq!(e.to_string(), "timeout: t [retry_after=0.001s]");
    // One line even with hostile messages.
    let e = resp(500, "{\"detail\": \"line1\\nline2\\r\\n\\tline3\"}");
    assert_eq!(e.message(), "line1 line2 line3");
    assert!(!e.to_string().contains('\n'));
}

#[test]
fn debug_has_no_headers_or_body() {
    let e = Error::from_response(
        401,
        &h(&[
            ("authorization", "Bearer sk-secret-value"),
            ("set-cookie", "s=1"),
        ]),
        b"{\"detail\": \"Invalid API key\"}",
        false,
    );
    let d = format!("{e:?}");
    assert!(!d.contains("sk-secret"), "{d}");
    assert!(!d.contains("set-cookie"), "{d}");
    assert!(d.contains("unauthorized"));
    assert!(d.contains("body_len"));
}

#[test]
fn constructors_and_builders() {
    let e = Error::invalid_request("limit must be between 1 and 100");
    assert_eq!(
        (e.code(), e.kind()),
        ("invalid_request", ErrorKind::InvalidRequest)
    );
    assert!(!e.is_retryable() && !e.reached_server());
    assert_eq!((e.status(), e.attempts()), (None, 0));

    let e = Error::connection("reset", true);
    assert_eq!(
        (e.code(), e.kind()),
        ("connection_error", ErrorKind::Connection)
    );
    assert!(e.is_retryable() && e.reached_server());

    let e = Error::timeout("slow");
    assert_eq!((e.code(), e.kind()), ("timeout", ErrorKind::Timeout));
    assert!(e.is_retryable() && e.reached_server());

    let e = Error::decode("bad json", 200, b"{");
    assert_eq!(
        (e.code(), e.kind(), e.status()),
        ("invalid_response", ErrorKind::Server, Some(200))
    );
    assert!(!e.is_retryable());

    let src = std::io::Error::other("inner");
    let e = Error::connection("outer", false)
        .with_source(src)
        .with_attempts(2)
        .with_waited(Duration::from_secs(3))
        .with_request_id(Some("r".into()))
        .with_retry_after(Some(Duration::from_secs(1)));
    let c = e.clone();
    assert_eq!(std::error::Error::source(&c).unwrap().to_string(), "inner");
    assert_eq!(c.attempts(), 2);
    assert_eq!(c.waited(), Duration::from_secs(3));
    assert_eq!(c.request_id(), Some("r"));
    assert_eq!(c.retry_after(), Some(Duration::from_secs(1)));
    assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());

    fn assert_traits<T: Send + Sync + Clone + std::error::Error + 'static>() {}
    assert_traits::<Error>();
}

#[test]
fn hostile_codes_fall_back() {
    let long = "c".repeat(500);
    let e = resp(400, &format!(r#"{{"error": {{"code": "{long}"}}}}"#));
    assert_eq!(e.code(), "bad_request");
    let e = resp(400, r#"{"error": {"code": "a\nb"}}"#);
    assert_eq!(e.code(), "bad_request");
    let e = resp(400, r#"{"error": {"code": "   "}}"#);
    assert_eq!(e.code(), "bad_request");
    let long_msg = "m".repeat(10_000);
    let e = resp(400, &format!(r#"{{"detail": "{long_msg}"}}"#));
    assert!(e.message().chars().count() <= MAX_MESSAGE_CHARS + 1);
}

#[test]
fn never_panics_on_junk() {
    let mut rng = fastrand::Rng::with_seed(7);
    let pieces: &[&[u8]] = &[
        b"{",
        b"}",
        b"[",
        b"]",
        b"\"error\"",
        b"\"detail\"",
        b"\"type\"",
        b":",
        b",",
        b"\"",
        b"<title>",
        b"</title>",
        b"<",
        b"\xff",
        b"\xe2\x82",
        b"null",
        b"1",
        b"\"loc\"",
        b"\"msg\"",
        b"about:blank",
        b"/",
        b"#",
        b"?",
        b" ",
        b"\n",
    ];
    let cts = [
        "",
        "application/json",
        "application/problem+json",
        "text/html",
        "text/plain",
    ];
    for _ in 0..5000 {
        let mut body = Vec::new();
        for _ in 0..rng.usize(0..20) {
            body.extend_from_slice(pieces[rng.usize(0..pieces.len())]);
        }
        let ct = cts[rng.usize(0..cts.len())];
        let headers = if ct.is_empty() {
            HeaderMap::new()
        } else {
            h(&[("content-type", ct)])
        };
        let status = [0u16, 200, 400, 404, 422, 429, 500, 503, 999][rng.usize(0..9)];
        let e = Error::from_response(status, &headers, &body, rng.bool());
        assert!(!e.code().is_empty());
        let _ = e.to_string();
    }
    // Deep nesting must not overflow (serde_json caps recursion at 128).
    let deep = "[".repeat(100_000);
    let e = resp(500, &deep);
    assert_eq!(
        e.message(),
        "HTTP 500 Internal Server Error (unparseable body)"
    );
}
