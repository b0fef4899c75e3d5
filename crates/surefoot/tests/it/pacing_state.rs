//! A call refused because of a pause a server set keeps that answer's code, kind, status
//! and request id; the client's own limiter has its own code; pacing state can be read
//! and reset per client (over loopback, against the emulator).

use std::time::Duration;

use futures::TryStreamExt;
use surefoot::{ErrorKind, RateLimit};
use surefoot_emulator::{Config, Fault};

use crate::common::*;

const JOBS: &str = "GET /v1/transcription/jobs";
const CAP: &str = r#"{"error": {"message": "Daily cap reached.", "type": "rate_limit_error", "code": "daily_cap_exceeded", "param": null}}"#;

#[tokio::test]
async fn a_refusal_keeps_the_cause_of_the_server_pause() {
    let emu = pyai_with(Config::pyai().no_rate_limits()).await;
    let client = builder(&emu, PYAI_KEY)
        .max_retry_wait(Duration::from_secs(5))
        .build_pyai()
        .unwrap();
    emu.inject(Fault::status_with_headers(
        JOBS,
        1,
        429,
        CAP,
        &[("retry-after", "3600")],
    ));
    let first = client
        .jobs()
        .list()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(
        (first.code(), first.status(), first.attempts()),
        ("daily_cap_exceeded", Some(429), 1)
    );
    let sent = total_requests(&emu);

    // The key is paused for an hour: the next call is not sent and says why.
    let second = client.jobs().get("job_1").await.unwrap_err();
    assert_eq!(second.code(), "daily_cap_exceeded");
    assert_eq!(second.kind(), ErrorKind::RateLimited);
    assert_eq!(second.status(), Some(429));
    assert!(first.request_id().is_some());
    assert_eq!(second.request_id(), first.request_id());
    assert_eq!(second.attempts(), 0);
    assert!(!second.reached_server());
    assert!(
        second.message().starts_with("not sent:")
            && second.message().contains("Daily cap reached."),
        "{}",
        second.message()
    );
    let left = second.retry_after().unwrap();
    assert!(
        left <= Duration::from_secs(3600) && left > Duration::from_secs(3590),
        "{left:?}"
    );
    assert_eq!(total_requests(&emu), sent, "nothing was sent");

    // retry_after counts down to the end of the pause.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let third = client.jobs().get("job_1").await.unwrap_err();
    assert_eq!(third.code(), "daily_cap_exceeded");
    assert!(
        third.retry_after().unwrap() < left,
        "{:?} then {:?}",
        left,
        third.retry_after()
    );

    // The state says so, and a reset lifts it.
    let states = client.client().pacing().await;
    let default = states.iter().find(|s| s.surface == "default").unwrap();
    let pause = default.pause.as_ref().expect("paused");
    assert_eq!(pause.cause.as_ref().unwrap().code, "daily_cap_exceeded");
    assert_eq!(pause.cause.as_ref().unwrap().status, Some(429));
    client.client().reset_pacing().await;
    assert!(client
        .client()
        .pacing()
        .await
        .iter()
        .all(|s| s.pause.is_none()));
    let err = client.jobs().get("job_none").await.unwrap_err();
    assert_eq!(
        (err.code(), err.attempts()),
        ("not_found", 1),
        "sent again after the reset"
    );
}

#[tokio::test]
async fn the_clients_own_limiter_has_its_own_code() {
    let emu = pyai_with(Config::pyai().no_rate_limits()).await;
    let client = builder(&emu, PYAI_KEY)
        .rate_limit(RateLimit::per_minute(1))
        .max_retry_wait(Duration::from_secs(1))
        .build()
        .unwrap();
    client.get("/v1/transcription/jobs").send().await.unwrap();
    let err = client
        .get("/v1/transcription/jobs")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "client_rate_limited");
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!((err.status(), err.attempts()), (None, 0));
    assert!(!err.reached_server() && !err.is_retryable());
    assert!(err.message().contains("1/min"), "{}", err.message());
    let wait = err.retry_after().unwrap();
    assert!(
        wait > Duration::from_secs(50) && wait <= Duration::from_secs(62),
        "{wait:?}"
    );
    assert_eq!(total_requests(&emu), 1);
    let state = &client.pacing().await[0];
    assert_eq!(state.limit, Some(RateLimit::per_minute(1)));
    assert!(state.pause.is_none());
}
