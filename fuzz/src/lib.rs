//! The bodies of the fuzz targets, one function per parser that reads server or user
//! input. Each takes arbitrary bytes, must never panic, and checks what must hold for any
//! input (a stable code, no key in an error, bounded waits). The cargo-fuzz binaries in
//! `fuzz_targets/` call them under libFuzzer (`make fuzz`); the stable test
//! `crates/surefoot/tests/fuzz_corpus.rs` includes this file and replays the committed
//! corpus (`fuzz/corpus/<target>/`) through the same functions on every `make test`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A fixed "now", so a reproduced input behaves the same on every run.
fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_790_000_000)
}

/// Splits `data` at the first blank line (`\n\n`): before it, `name: value` header lines
/// (lines that are not a valid header are skipped); after it, the body.
fn headers_and_body(data: &[u8]) -> (http::HeaderMap, &[u8]) {
    let split = data.windows(2).position(|w| w == b"\n\n");
    let (head, body) = match split {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (&data[..0], data),
    };
    let mut headers = http::HeaderMap::new();
    for line in head.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let value = value.strip_prefix(b" ").unwrap_or(value);
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name),
            http::HeaderValue::from_bytes(value),
        ) {
            headers.append(n, v);
        }
    }
    (headers, body)
}

/// An error answer of any shape: the first two bytes choose the status (100–599), then
/// headers and body as in [`headers_and_body`].
pub fn error_body(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    let status = 100 + u16::from_le_bytes([data[0], data[1]]) % 500;
    let (headers, body) = headers_and_body(&data[2..]);
    for truncated in [false, true] {
        let e = surefoot::Error::from_response(status, &headers, body, truncated);
        assert!(!e.code().is_empty(), "an empty code for {status}");
        assert!(e.code().chars().count() <= 200, "an unbounded code");
        assert!(
            !e.code().chars().any(char::is_control),
            "a control character in the code"
        );
        assert_eq!(e.status(), Some(status));
        if let Some(d) = e.retry_after() {
            assert!(d <= surefoot::retry::MAX_RETRY_AFTER, "retry_after {d:?}");
        }
        // A key the server echoed back never survives redaction.
        let key = "sk-fuzz-0123456789abcdef";
        let redacted = e.clone().redact_key(key);
        assert!(!redacted.message().contains(key));
        assert!(!redacted.to_string().contains(key));
        let _ = format!("{e:?}{e}");
    }
}

/// `Retry-After` / `retry-after-ms` in every form (header lines, or one bare value).
pub fn retry_after(data: &[u8]) {
    let (headers, body) = headers_and_body(data);
    for d in [
        surefoot::retry::parse_retry_after(&headers, now()),
        std::str::from_utf8(body)
            .ok()
            .and_then(|v| surefoot::retry::parse_retry_after_value(v, now())),
    ]
    .into_iter()
    .flatten()
    {
        assert!(d <= surefoot::retry::MAX_RETRY_AFTER, "a wait of {d:?}");
    }
}

/// Rate-limit headers (`x-ratelimit-*`, IETF `RateLimit` / `RateLimit-Policy` structured
/// fields) read as they are and fed to a pacer: nothing panics, a reset or window read is
/// at most a day, and a pause the pacer takes from them is at most a day.
pub fn rate_limit_headers(data: &[u8]) {
    use std::sync::{Arc, OnceLock};
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    let rt = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime")
    });
    let (headers, _) = headers_and_body(data);
    let read = surefoot::headers::RateLimitHeaders::parse(&headers, now());
    for d in [read.reset, read.window].into_iter().flatten() {
        assert!(
            d <= surefoot::retry::MAX_RETRY_AFTER,
            "a window or reset of {d:?}"
        );
    }
    let pacer = surefoot::pacing::Pacer::new(
        "fuzz".into(),
        None,
        Arc::new(surefoot::pacing::MemoryStore::new()),
    );
    rt.block_on(async {
        pacer.observe_headers(&headers).await;
        if let Some(d) = pacer.paused_for().await {
            assert!(d <= surefoot::retry::MAX_RETRY_AFTER, "paused for {d:?}");
        }
        if let Some(l) = pacer.limit() {
            assert!(l.requests() >= 1 && !l.per().is_zero() && l.burst_size() >= 1);
        }
    });
}

/// Rate-limit strings (`"20/s burst 5"`): parsed or refused as `invalid_request`, and a
/// parsed one prints back to itself.
pub fn rate_limit_str(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match surefoot::RateLimit::parse(text) {
        Ok(l) => {
            assert!(l.requests() >= 1 && l.burst_size() >= 1 && !l.per().is_zero());
            let again = surefoot::RateLimit::parse(&l.to_string()).expect("its own form parses");
            assert_eq!(again.requests(), l.requests());
            assert_eq!(again.burst_size(), l.burst_size());
        }
        Err(e) => {
            assert_eq!(e.code(), "invalid_request");
            assert!(e.message().chars().count() < 200, "an unbounded message");
        }
    }
}

/// API keys and base URLs as a user gives them: the first byte is the key's length in
/// characters, the rest the key then the URL. A refusal never shows the key; an accepted
/// URL never carries it.
pub fn key_and_url(data: &[u8]) {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let cut = text
        .char_indices()
        .nth(usize::from(n))
        .map_or(text.len(), |(i, _)| i);
    let (key, url) = text.split_at(cut);
    let shown = |e: &surefoot::Error| format!("{e} {e:?}");
    if let Err(e) = surefoot::security::validate_api_key(key) {
        assert_eq!(e.code(), "invalid_request");
        if key.trim().len() >= 8 {
            assert!(!shown(&e).contains(key), "the key in a refusal");
        }
    }
    let _ = surefoot::security::mask_key(key);
    for insecure in [false, true] {
        if let Ok(parsed) = surefoot::security::validate_base_url(url, insecure) {
            let checked = surefoot::security::check_url_has_no_key(&parsed, Some(key));
            if let Err(e) = checked {
                if key.trim().len() >= 8 {
                    assert!(!shown(&e).contains(key), "the key in a refusal");
                }
            }
        }
    }
}

/// One list page as any server may send it (`data`, `next_cursor`, `has_more`, `object`,
/// extra members, wrong types, not an object, not JSON), read as the generic client's
/// `serde_json::Value` items and as each typed model (PyAI jobs, Specala transcriptions and
/// keys). A page is either items plus a cursor that is never empty, one item per `data`
/// element, or an `invalid_response` error keeping the status; the typed models' accessors
/// never panic on what was accepted.
pub fn list_page(data: &[u8]) {
    use serde_json::Value;
    use surefoot::pagination::parse_page;
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let expected = value.get("data").and_then(Value::as_array).map(Vec::len);
    fn check<T>(r: &surefoot::Result<(Vec<T>, Option<String>)>, expected: Option<usize>) {
        match r {
            Ok((items, next)) => {
                assert_eq!(Some(items.len()), expected, "items lost or invented");
                assert!(next.as_deref() != Some(""), "an empty cursor kept");
            }
            Err(e) => {
                assert_eq!(e.code(), "invalid_response", "{e}");
                assert_eq!(e.status(), Some(200));
                assert!(e.message().chars().count() < 2_000, "an unbounded message");
            }
        }
    }
    let raw = parse_page::<Value>(&value, 200, data);
    check(&raw, expected);
    let jobs = parse_page::<surefoot::pyai::Job>(&value, 200, data);
    check(&jobs, expected);
    for job in jobs.iter().flat_map(|(items, _)| items) {
        assert!(!job.id().is_empty());
        let _ = (
            job.status(),
            job.audio_url(),
            job.language(),
            job.metadata(),
        );
        let _ = (job.created_at(), job.created_at_raw(), format!("{job:?}"));
    }
    let transcriptions = parse_page::<surefoot::specala::Transcription>(&value, 200, data);
    check(&transcriptions, expected);
    for t in transcriptions.iter().flat_map(|(items, _)| items) {
        assert!(!t.id().is_empty());
        let _ = (t.title(), t.language(), t.duration_seconds(), t.text());
        let _ = (t.created_at(), t.created_at_raw(), format!("{t:?}"));
    }
    let keys = parse_page::<surefoot::specala::KeyInfo>(&value, 200, data);
    check(&keys, expected);
    for k in keys.iter().flat_map(|(items, _)| items) {
        let _ = (k.id(), k.name(), k.created_at(), format!("{k:?}"));
    }
    // An accepted page's items are the same ones whichever way they are read.
    if let (Ok((raw, c1)), Ok((jobs, c2))) = (&raw, &jobs) {
        assert_eq!(c1, c2);
        for (r, j) in raw.iter().zip(jobs) {
            assert_eq!(r, j.raw());
        }
    }
}
