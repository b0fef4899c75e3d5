//! The key never shows in traces, even at TRACE level with every span enabled; and each
//! attempt is a span in OpenTelemetry's HTTP client conventions under the call's span.
//!
//! This lives in its own test binary, with a process-wide subscriber installed before any
//! request: `tracing` caches each callsite's interest globally, so a thread-local
//! `set_default` in a binary whose other tests run requests on other threads can race and
//! see the `surefoot.request` span disabled.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use surefoot_emulator::{Config, Emulator, Fault};

const PYAI_KEY: &str = "pyai_sk_full_0001";

/// Everything every subscriber of this process wrote.
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let writer = {
            let logs = logs.clone();
            move || SharedWriter(logs.clone())
        };
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(writer)
            .with_ansi(false)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        logs
    })
}

#[tokio::test]
async fn the_key_never_shows_in_debug_errors_or_traces() {
    let logs = logs();
    let emu = Emulator::start(Config::pyai()).await.unwrap();
    emu.inject(Fault::status("GET /v1/transcription/jobs", 1, 503, ""));
    let builder = |key: &str| {
        surefoot::Client::builder()
            .base_url(emu.url())
            .api_key(key)
            .backoff(
                std::time::Duration::from_millis(20),
                std::time::Duration::from_millis(20),
            )
    };
    let client = builder(PYAI_KEY).build().unwrap();
    client
        .get("/v1/transcription/jobs")
        .query(&[("limit", "5"), ("sig", "s3cr3t-signature")])
        .send()
        .await
        .unwrap();
    let wrong = "pyai_sk_wrong_key_123456";
    let bad = builder(wrong).build().unwrap();
    let err = bad.get("/v1/transcription/jobs").send().await.unwrap_err();
    assert_eq!(err.code(), "unauthorized");

    let traced = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    for text in [
        format!("{client:?}"),
        format!("{bad:?}"),
        err.to_string(),
        format!("{err:?}"),
        traced.clone(),
    ] {
        assert!(
            !text.contains(PYAI_KEY) && !text.contains(wrong),
            "key leaked in: {text}"
        );
    }
    assert!(traced.contains("surefoot.request"), "{traced}");
    assert!(
        !traced.contains("s3cr3t"),
        "secret query value leaked: {traced}"
    );
    // One span per attempt, under the call's span, in OpenTelemetry's HTTP conventions.
    let attempts: Vec<&str> = traced
        .lines()
        .filter(|l| l.contains("surefoot.attempt{") && l.contains("close"))
        .collect();
    let first = attempts
        .iter()
        .find(|l| l.contains("attempt=1"))
        .expect("first attempt span");
    let resend = attempts
        .iter()
        .find(|l| l.contains("attempt=2"))
        .expect("resend span");
    let port = emu
        .url()
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    for line in [first, resend] {
        assert!(
            line.contains("surefoot.request{"),
            "attempt under the call: {line}"
        );
        assert!(line.contains("http.request.method=GET"), "{line}");
        assert!(line.contains("server.address=\"127.0.0.1\""), "{line}");
        assert!(line.contains(&format!("server.port={port}")), "{line}");
        assert!(
            line.contains(&format!(
                "url.full=http://127.0.0.1:{port}/v1/transcription/jobs?limit=5&sig=REDACTED"
            )),
            "{line}"
        );
    }
    assert!(first.contains("http.response.status_code=503"), "{first}");
    assert!(first.contains("error.type=\"503\""), "{first}");
    assert!(
        !first.contains("resend_count"),
        "no resend count on the first try: {first}"
    );
    assert!(resend.contains("http.request.resend_count=1"), "{resend}");
    assert!(resend.contains("http.response.status_code=200"), "{resend}");
    assert!(!resend.contains("error.type"), "{resend}");
    assert!(traced.contains("retrying"), "{traced}");
    assert!(format!("{client:?}").contains('…'), "the key is masked");
}

struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
