//! Per-client metrics: what the send loop did (attempts, retries, 429s, 5xx, dropped
//! connections, replays, limiter and backoff waits), shared by clones, diffable.

use std::time::Duration;

use surefoot::pyai::CreateJob;
use surefoot::RateLimit;
use surefoot_emulator::{Config, Fault};

use crate::common::*;

const JOBS: &str = "POST /v1/transcription/jobs";

#[tokio::test]
async fn counts_attempts_retries_429s_failures_and_replays() {
    let emu = pyai().await;
    emu.inject(Fault::status(JOBS, 1, 503, ""));
    emu.inject(Fault::status_with_headers(
        JOBS,
        1,
        429,
        r#"{"error":{"message":"slow down","type":"rate_limit_error","code":"rate_limit_exceeded","param":null}}"#,
        &[("retry-after", "0.1")],
    ));
    emu.inject(Fault::drop_after_processing(JOBS, 1));
    let client = pyai_client(&emu);
    assert_eq!(client.client().metrics(), surefoot::Metrics::default());

    let job = client
        .jobs()
        .create(CreateJob::new("https://example.com/m.wav"))
        .await
        .unwrap();
    let m = client.client().metrics();
    assert_eq!(m.requests_sent, 4, "{m:?}");
    assert_eq!(m.retries, 3, "{m:?}");
    assert_eq!(m.server_errors, 1);
    assert_eq!(m.rate_limited, 1);
    assert_eq!(m.connection_errors, 1);
    assert_eq!(
        m.replays, 1,
        "the job created before the drop came back as a replay"
    );
    assert_eq!((m.calls_succeeded, m.calls_failed), (1, 0));
    assert!(m.backoff_wait >= Duration::from_millis(100), "{m:?}");
    assert_eq!(stat(&emu, "jobs_created"), 1);

    // Clones share the counters; a failure counts once, after its attempts.
    let clone = client.clone();
    let err = clone.jobs().get("job_missing").await.unwrap_err();
    assert_eq!(err.code(), "not_found");
    let delta = client.client().metrics().since(&m);
    assert_eq!(delta.requests_sent, 1);
    assert_eq!((delta.calls_succeeded, delta.calls_failed), (0, 1));
    assert_eq!(delta.retries, 0);
    let _ = job;
}

#[tokio::test]
async fn counts_time_waited_on_the_limiter() {
    let emu = pyai_with(Config::pyai().no_rate_limits()).await;
    let client = builder(&emu, PYAI_KEY)
        .rate_limit(RateLimit::per_second(20))
        .build_pyai()
        .unwrap();
    assert_eq!(
        client.client().rate_limit_for("/v1/transcription/jobs"),
        Some(RateLimit::per_second(20))
    );
    for _ in 0..6 {
        client.jobs().get("job_x").await.unwrap_err();
    }
    let m = client.client().metrics();
    assert_eq!(m.requests_sent, 6);
    assert_eq!(m.calls_failed, 6);
    // Five gaps of 50 ms (+2 % margin) after the first request.
    assert!(m.pacing_wait >= Duration::from_millis(240), "{m:?}");
    assert!(m.pacing_wait < Duration::from_secs(2), "{m:?}");
    assert_eq!(m.total_wait(), m.pacing_wait + m.backoff_wait);
}

#[tokio::test]
async fn documented_specala_limit_is_reported() {
    let emu = specala().await;
    let client = specala_client(&emu, SPECALA_KEY);
    assert_eq!(
        client.client().rate_limit_for("/v1/transcriptions"),
        Some(RateLimit::per_minute(500))
    );
    assert_eq!(
        client.client().rate_limit_for("/v1/keys"),
        Some(RateLimit::per_minute(180))
    );
}
