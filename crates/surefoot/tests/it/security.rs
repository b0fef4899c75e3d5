//! Keys: checked before sending, only in the Authorization header, never in text or logs.

use surefoot_emulator::{Config, Fault, FaultAction};

use crate::common::*;

#[tokio::test]
async fn bad_keys_and_urls_fail_before_anything_is_sent() {
    let emu = pyai().await;
    let cases = [
        ("pyai_sk_full_0001 ", "API key has trailing whitespace"),
        (" pyai_sk_full_0001", "API key has leading whitespace"),
        (
            "pyai_sk_full_0001\r\n",
            "API key contains a line break (CR or LF)",
        ),
        ("pyai_sk\u{1}full", "API key contains a control character"),
        ("", "API key is empty"),
    ];
    for (key, message) in cases {
        let err = surefoot::Client::builder()
            .base_url(emu.url())
            .api_key(key)
            .build()
            .unwrap_err();
        assert_eq!(err.code(), "invalid_request");
        assert_eq!(err.message(), message);
        assert!(key.trim().is_empty() || !err.to_string().contains(key.trim()));
    }
    let err = surefoot::Client::builder()
        .base_url("http://api.example.com")
        .api_key(PYAI_KEY)
        .build()
        .unwrap_err();
    assert_eq!(err.code(), "invalid_request");
    assert!(err.message().contains("http"), "{}", err.message());
    surefoot::Client::builder()
        .base_url("http://api.example.com")
        .api_key(PYAI_KEY)
        .allow_insecure_http(true)
        .build()
        .expect("explicitly allowed");

    let client = builder(&emu, PYAI_KEY).build().unwrap();
    let err = client
        .get("/v1/transcription/jobs")
        .query(&[("api_key", PYAI_KEY)])
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_request");
    assert!(!err.to_string().contains(PYAI_KEY));
    let err = client
        .get(format!("/v1/transcription/jobs?token={PYAI_KEY}"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_request");
    assert_eq!(total_requests(&emu), 0, "nothing reached the server");
}

#[tokio::test]
async fn authorization_is_not_forwarded_on_a_redirect_to_another_host() {
    let origin = pyai().await;
    let other = pyai_with(Config::pyai()).await; // knows the same key
    origin.inject(Fault::new(
        "GET /v1/transcription/jobs",
        1,
        FaultAction::Status {
            status: 302,
            body: String::new(),
            content_type: None,
            headers: vec![(
                "Location".into(),
                format!("{}/v1/transcription/jobs", other.url()),
            )],
        },
    ));
    let client = builder(&origin, PYAI_KEY).max_retries(0).build().unwrap();
    let err = client
        .get("/v1/transcription/jobs")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401), "the other host saw no key");
    assert_eq!(requests_on(&other, "GET /v1/transcription/jobs"), 1);
}
