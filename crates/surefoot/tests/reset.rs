//! `surefoot::pacing::reset_all` forgets every pause of the process. In its own test
//! binary: it clears process-wide state that other tests rely on while they run.

use std::time::Duration;

use surefoot_emulator::{Config, Emulator, Fault};

const JOBS: &str = "GET /v1/transcription/jobs";
const CAP: &str = r#"{"error": {"message": "Daily cap reached.", "type": "rate_limit_error", "code": "daily_cap_exceeded", "param": null}}"#;

#[tokio::test]
async fn reset_all_forgets_every_pause_of_the_process() {
    let emu = Emulator::start(Config::pyai().no_rate_limits())
        .await
        .unwrap();
    let client = surefoot::Client::builder()
        .base_url(emu.url())
        .api_key("pyai_sk_full_0001")
        .max_retry_wait(Duration::from_secs(1))
        .build()
        .unwrap();
    emu.inject(Fault::status_with_headers(
        JOBS,
        1,
        429,
        CAP,
        &[("retry-after", "600")],
    ));
    let err = client
        .get("/v1/transcription/jobs")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "daily_cap_exceeded");
    assert!(client.pacing().await[0].pause.is_some());
    surefoot::pacing::reset_all();
    assert!(client.pacing().await[0].pause.is_none());
    client.get("/v1/transcription/jobs").send().await.unwrap();
}
