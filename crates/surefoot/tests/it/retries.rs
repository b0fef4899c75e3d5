//! Retries: which failures are retried, how long the client waits, and when it fails at once.

use std::time::{Duration, Instant, SystemTime};

use surefoot_emulator::{Config, Fault, FaultAction};

use crate::common::*;

const JOBS: &str = "GET /v1/transcription/jobs";

fn status_with(status: u16, headers: &[(&str, &str)]) -> FaultAction {
    FaultAction::Status {
        status,
        body: r#"{"error":{"message":"Rate limit exceeded.","type":"rate_limit_error","code":"rate_limit_exceeded","param":null}}"#.into(),
        content_type: Some("application/json".into()),
        headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    }
}

#[tokio::test]
async fn a_503_is_retried_until_success() {
    let emu = pyai().await;
    emu.inject(Fault::status(
        JOBS,
        2,
        503,
        r#"{"error":{"message":"busy","code":"overloaded"}}"#,
    ));
    let client = builder(&emu, PYAI_KEY).build().unwrap();
    let resp = client.get("/v1/transcription/jobs").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.attempts(), 3);
    assert_eq!(requests_on(&emu, JOBS), 3);
}

#[tokio::test]
async fn retries_stop_after_max_retries() {
    let emu = pyai().await;
    emu.inject(Fault::status(JOBS, 10, 500, ""));
    let client = builder(&emu, PYAI_KEY).max_retries(2).build().unwrap();
    let err = client
        .get("/v1/transcription/jobs")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 3);
    assert_eq!(requests_on(&emu, JOBS), 3);
}

#[tokio::test]
async fn a_429_without_retry_after_is_never_retried_instantly() {
    let emu = pyai().await;
    emu.inject(Fault::new(JOBS, 1, status_with(429, &[])));
    let client = builder(&emu, PYAI_KEY)
        .backoff(Duration::from_millis(400), Duration::from_secs(2))
        .build()
        .unwrap();
    let started = Instant::now();
    let resp = client.get("/v1/transcription/jobs").send().await.unwrap();
    assert_eq!(resp.attempts(), 2);
    // Backoff is base · jitter with jitter in [0.5, 1].
    assert!(
        resp.waited() >= Duration::from_millis(200),
        "{:?}",
        resp.waited()
    );
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn retry_after_seconds_fractions_dates_and_ms_are_honoured() {
    let emu = pyai().await;
    let client = builder(&emu, PYAI_KEY).disable_pacing().build().unwrap();
    type Case<'a> = (Vec<(&'a str, &'a str)>, Duration, Duration);
    let cases: Vec<Case> = vec![
        (
            vec![("Retry-After", "1")],
            Duration::from_millis(1000),
            Duration::from_millis(1900),
        ),
        (
            vec![("Retry-After", "0.3")],
            Duration::from_millis(300),
            Duration::from_millis(1200),
        ),
        (
            // An HTTP-date two seconds ahead, made just before use (whole seconds: 1 to 2 s).
            vec![("Retry-After", "DATE+2")],
            Duration::from_millis(900),
            Duration::from_millis(2900),
        ),
        (
            vec![("retry-after-ms", "150"), ("Retry-After", "10")],
            Duration::from_millis(150),
            Duration::from_millis(1000),
        ),
    ];
    for (headers, min, max) in cases {
        let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
        let headers: Vec<(&str, &str)> = headers
            .into_iter()
            .map(|(k, v)| (k, if v == "DATE+2" { date.as_str() } else { v }))
            .collect();
        emu.inject(Fault::new(JOBS, 1, status_with(429, &headers)));
        let started = Instant::now();
        let resp = client.get("/v1/transcription/jobs").send().await.unwrap();
        let took = started.elapsed();
        assert_eq!(resp.attempts(), 2, "{headers:?}");
        assert!(took >= min, "{headers:?}: took {took:?}");
        // The wait the client chose (load on the machine cannot change it).
        assert!(
            resp.waited() >= min && resp.waited() <= max,
            "{headers:?}: waited {:?}",
            resp.waited()
        );
    }
}

#[tokio::test]
async fn absurd_retry_after_values_are_sanitised() {
    let emu = pyai().await;
    let client = builder(&emu, PYAI_KEY).disable_pacing().build().unwrap();
    // Negative: ignored, the (fast) backoff is used.
    emu.inject(Fault::new(
        JOBS,
        1,
        status_with(503, &[("Retry-After", "-5")]),
    ));
    let resp = client.get("/v1/transcription/jobs").send().await.unwrap();
    assert_eq!(resp.attempts(), 2);
    assert!(resp.waited() < Duration::from_millis(500));
    // 35 digits: clamped to a day, which exceeds max_retry_wait: fail at once.
    emu.inject(Fault::new(
        JOBS,
        1,
        status_with(
            429,
            &[("Retry-After", "99999999999999999999999999999999999")],
        ),
    ));
    let started = Instant::now();
    let err = client
        .get("/v1/transcription/jobs")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.waited(),
        Duration::ZERO,
        "failed at once, without sleeping"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(24 * 3600)));
}

#[tokio::test]
async fn a_wait_over_max_retry_wait_or_the_deadline_fails_at_once() {
    let emu = pyai().await;
    let client = builder(&emu, PYAI_KEY)
        .disable_pacing()
        .max_retry_wait(Duration::from_secs(60))
        .build()
        .unwrap();
    emu.inject(Fault::new(
        JOBS,
        1,
        status_with(429, &[("Retry-After", "120")]),
    ));
    let started = Instant::now();
    let err = client
        .get("/v1/transcription/jobs")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.waited(),
        Duration::ZERO,
        "failed at once, without sleeping"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(err.code(), "rate_limit_exceeded");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));

    emu.inject(Fault::new(
        JOBS,
        1,
        status_with(429, &[("Retry-After", "5")]),
    ));
    let started = Instant::now();
    let err = client
        .get("/v1/transcription/jobs")
        .deadline(Duration::from_secs(2))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.waited(),
        Duration::ZERO,
        "failed at once, without sleeping"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(5)));
}

#[tokio::test]
async fn one_deadline_bounds_every_attempt_and_sleep() {
    let emu = pyai().await;
    emu.inject(Fault::new(JOBS, 20, FaultAction::Delay { ms: 700 }));
    let client = builder(&emu, PYAI_KEY)
        .timeout(Duration::from_millis(500))
        .deadline(Duration::from_millis(1200))
        .max_retries(10)
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client
        .get("/v1/transcription/jobs")
        .send()
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.code(), "timeout");
    assert!(err.attempts() >= 2, "attempts {}", err.attempts());
    // Without the deadline, 11 attempts of 500 ms would take over 5.5 s.
    assert!(took < Duration::from_millis(3000), "took {took:?}");
}

#[tokio::test]
async fn daily_cap_fails_at_once_with_the_time_to_wait() {
    let emu = pyai_with(Config::pyai()).await;
    let client = builder(&emu, "pyai_sk_sandbox_0004")
        .max_retry_wait(Duration::from_secs(1))
        .build_pyai()
        .unwrap();
    let mut last = None;
    for _ in 0..25 {
        if let Err(e) = client.jobs().get("job_none").await
            && e.code() == "daily_cap_exceeded"
        {
            last = Some(e);
            break;
        }
    }
    let err = last.expect("the sandbox cap is reached");
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.attempts(), 1);
    let wait = err.retry_after().expect("time to the reset");
    // The reset is the next UTC midnight: more than the 1 s we accept, at most a day.
    assert!(
        wait >= Duration::from_secs(1) && wait <= Duration::from_secs(24 * 3600),
        "{wait:?}"
    );
}

#[tokio::test]
async fn get_is_retried_after_a_reset_or_truncated_body() {
    let emu = pyai().await;
    let client = builder(&emu, PYAI_KEY).build().unwrap();
    emu.inject(Fault::new(JOBS, 1, FaultAction::Reset));
    let resp = client.get("/v1/transcription/jobs").send().await.unwrap();
    assert_eq!(resp.attempts(), 2);
    emu.inject(Fault::new(JOBS, 1, FaultAction::Truncated));
    let resp = client.get("/v1/transcription/jobs").send().await.unwrap();
    assert_eq!(resp.attempts(), 2);
}

#[tokio::test]
async fn post_without_idempotency_key_is_not_retried_once_it_may_have_arrived() {
    let emu = pyai().await;
    let client = builder(&emu, PYAI_KEY).build().unwrap();
    let body = serde_json::json!({"audio_url": "https://example.com/a.wav"});
    emu.inject(Fault::drop_after_processing(
        "POST /v1/transcription/jobs",
        1,
    ));
    let err = client
        .post("/v1/transcription/jobs")
        .json(&body)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "connection_error");
    assert_eq!(err.attempts(), 1);
    assert_eq!(
        stat(&emu, "jobs_created"),
        1,
        "processed once, never resent"
    );

    emu.inject(Fault::status("POST /v1/transcription/jobs", 1, 503, ""));
    let err = client
        .post("/v1/transcription/jobs")
        .json(&body)
        .send()
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.attempts()), (Some(503), 1));

    // A 429 is a refusal: retried even without a key.
    emu.inject(Fault::new(
        "POST /v1/transcription/jobs",
        1,
        status_with(429, &[("Retry-After", "0.1")]),
    ));
    let resp = client
        .post("/v1/transcription/jobs")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!((resp.status().as_u16(), resp.attempts()), (201, 2));
}

#[tokio::test]
async fn connect_failures_are_retried_even_for_post() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = surefoot::Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .api_key(PYAI_KEY)
        .backoff(Duration::from_millis(10), Duration::from_millis(20))
        .max_retries(2)
        .build()
        .unwrap();
    let err = client
        .post("/v1/transcription/jobs")
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "connection_error");
    assert!(!err.reached_server());
    assert_eq!(err.attempts(), 3);
}

/// The default policy's real waits (a 30 s `Retry-After`, 1 s · 2^n backoff) on virtual time.
#[tokio::test(start_paused = true)]
async fn default_waits_run_on_virtual_time() {
    let emu = pyai().await;
    let client = surefoot::Client::builder()
        .base_url(emu.url())
        .api_key(PYAI_KEY)
        .no_timeout()
        .disable_pacing()
        .build()
        .unwrap();
    let real = Instant::now();
    emu.inject(Fault::new(
        JOBS,
        1,
        status_with(429, &[("Retry-After", "30")]),
    ));
    let resp = client.get("/v1/transcription/jobs").send().await.unwrap();
    assert_eq!(resp.attempts(), 2);
    assert_eq!(resp.waited(), Duration::from_secs(30));

    emu.inject(Fault::status(JOBS, 3, 503, ""));
    let resp = client.get("/v1/transcription/jobs").send().await.unwrap();
    assert_eq!(resp.attempts(), 4);
    // 1 s, 2 s, 4 s, each scaled by a factor in [0.5, 1].
    assert!(
        resp.waited() >= Duration::from_millis(3500) && resp.waited() <= Duration::from_secs(7)
    );
    assert!(real.elapsed() < Duration::from_secs(5), "no real sleeping");
}
