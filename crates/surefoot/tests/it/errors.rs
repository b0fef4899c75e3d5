//! Every error shape of both APIs reaches the caller as the stable code, kind and status.

use surefoot::ErrorKind;
use surefoot_emulator::{Config, Fault, FaultAction};

use crate::common::*;

#[tokio::test]
async fn specala_invalid_key_is_401_unauthorized() {
    let emu = specala().await;
    let client = specala_client(&emu, "spk_not_a_real_key_9999");
    let err = client
        .transcriptions()
        .get("tr_alpha_000001")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), "unauthorized");
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert_eq!(err.message(), "Invalid API key");
    assert!(err.request_id().unwrap().starts_with("req_"));
    assert_eq!(err.attempts(), 1);
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn specala_plan_without_api_access_is_403_api_access_denied() {
    let emu = specala().await;
    let client = specala_client(&emu, "spk_alpha_free_0003");
    let err = futures::StreamExt::next(&mut client.transcriptions().list().pages())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.code(), "api_access_denied");
    assert_eq!(err.kind(), ErrorKind::Permission);
    assert!(err.message().contains("plan"), "{}", err.message());
}

#[tokio::test]
async fn specala_other_workspace_is_404_not_found() {
    let emu = specala().await;
    let client = specala_client(&emu, "spk_beta_pro_0002");
    let err = client
        .transcriptions()
        .get("tr_alpha_000001")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.code(), "not_found");
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn specala_422_fastapi_list_form_is_validation_error() {
    let emu = specala().await;
    let client = builder(&emu, SPECALA_KEY)
        .api(surefoot::Api::Specala)
        .build()
        .unwrap();
    let ids: Vec<String> = (1..=101).map(|i| format!("tr_alpha_{i:06}")).collect();
    let err = client
        .post("/v1/transcriptions/export")
        .json(&serde_json::json!({"ids": ids, "format": "md"}))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), "validation_error");
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(err.message().contains("ids"), "{}", err.message());

    let err = client
        .get("/v1/transcriptions/tr_alpha_000001/export")
        .query(&[("format", "pdf")])
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "validation_error");
    assert!(err.message().contains("format"), "{}", err.message());
}

#[tokio::test]
async fn pyai_scope_origin_and_agent_errors() {
    let emu = pyai().await;
    let readonly = builder(&emu, "pyai_sk_readonly_0002").build_pyai().unwrap();
    let err = readonly
        .jobs()
        .create(surefoot::pyai::CreateJob::new("https://example.com/a.wav"))
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(403), "forbidden"));
    assert_eq!(err.kind(), ErrorKind::Permission);

    let publishable = builder(&emu, "pyai_pk_web_0003")
        .header("origin", "https://evil.example.net")
        .build_pyai()
        .unwrap();
    let err = publishable.jobs().get("job_x").await.unwrap_err();
    assert_eq!(
        (err.status(), err.code()),
        (Some(403), "origin_not_allowed")
    );

    let client = pyai_client(&emu);
    let err = client.realtime().open("agent\u{7}bell").await.unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(400), "invalid_agent_id"));
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.attempts(), 1);
}

#[tokio::test]
async fn pyai_payment_errors_are_never_retried() {
    let emu = pyai().await;
    for (key, code) in [
        ("pyai_sk_broke_0006", "credit_exhausted"),
        ("pyai_sk_quota_0007", "insufficient_quota"),
    ] {
        let client = builder(&emu, key).build_pyai().unwrap();
        let err = client
            .jobs()
            .create(surefoot::pyai::CreateJob::new("https://example.com/a.wav"))
            .await
            .unwrap_err();
        assert_eq!((err.status(), err.code()), (Some(402), code));
        assert_eq!(err.kind(), ErrorKind::PaymentRequired);
        assert_eq!(err.attempts(), 1, "{code} must not be retried");
    }
    let budget = builder(&emu, "pyai_sk_budget_0005").build_pyai().unwrap();
    for i in 0..3 {
        budget
            .jobs()
            .create(surefoot::pyai::CreateJob::new(format!(
                "https://example.com/{i}.wav"
            )))
            .await
            .unwrap();
    }
    let err = budget
        .jobs()
        .create(surefoot::pyai::CreateJob::new("https://example.com/4.wav"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "key_budget_exceeded");
    assert_eq!(err.attempts(), 1);
}

#[tokio::test]
async fn insufficient_quota_under_429_is_still_not_retried() {
    let emu = pyai().await;
    emu.inject(Fault::status(
        "GET /v1/transcription/jobs/*",
        5,
        429,
        r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota","param":null}}"#,
    ));
    let err = pyai_client(&emu).jobs().get("job_1").await.unwrap_err();
    assert_eq!(err.code(), "insufficient_quota");
    assert_eq!(err.kind(), ErrorKind::PaymentRequired);
    assert_eq!(err.attempts(), 1);
}

#[tokio::test]
async fn proxy_html_empty_and_unknown_shapes() {
    let emu = pyai().await;
    let client = builder(&emu, PYAI_KEY).max_retries(0).build().unwrap();

    emu.inject(Fault::new(
        "GET /v1/transcription/jobs",
        1,
        FaultAction::Html { status: 502 },
    ));
    let err = client
        .get("/v1/transcription/jobs")
        .send()
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(502), "server_error"));
    assert_eq!(err.kind(), ErrorKind::Server);
    assert!(err.message().contains("HTML"), "{}", err.message());
    assert!(err.is_retryable());

    emu.inject(Fault::status("GET /v1/transcription/jobs", 1, 503, ""));
    let err = client
        .get("/v1/transcription/jobs")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "server_error");
    assert!(err.message().contains("empty"), "{}", err.message());

    emu.inject(Fault::status(
        "GET /v1/transcription/jobs",
        1,
        418,
        r#"{"error":{"message":"short and stout","type":"teapot_error","code":"teapot_mode","param":null}}"#,
    ));
    let err = client
        .get("/v1/transcription/jobs")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "teapot_mode", "unknown codes pass through");

    emu.inject(Fault::new(
        "GET /v1/transcription/jobs",
        1,
        FaultAction::Status {
            status: 404,
            body:
                r#"{"type":"about:blank","title":"Not Found","status":404,"detail":"nothing here"}"#
                    .into(),
            content_type: Some("application/problem+json".into()),
            headers: vec![],
        },
    ));
    let err = client
        .get("/v1/transcription/jobs")
        .send()
        .await
        .unwrap_err();
    assert_eq!((err.code(), err.message()), ("not_found", "nothing here"));
}

#[tokio::test]
async fn problem_json_type_uri_gives_the_code() {
    let emu = pyai().await;
    let err = pyai_client(&emu)
        .jobs()
        .get("job_missing")
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(404), "not_found"));
    assert!(err.request_id().is_some());
    assert_eq!(err.content_type(), Some("application/problem+json"));
}

#[tokio::test]
async fn error_body_over_the_cap_is_truncated_not_lost() {
    let emu = pyai().await;
    let client = builder(&emu, PYAI_KEY).max_retries(0).build().unwrap();
    let big = format!(
        r#"{{"error":{{"message":"{}","code":"huge"}}}}"#,
        "x".repeat(300_000)
    );
    emu.inject(Fault::status("GET /v1/transcription/jobs", 1, 500, &big));
    let err = client
        .get("/v1/transcription/jobs")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.code(), "server_error");
    assert!(err.body_truncated());
    assert_eq!(err.body().unwrap().len(), 64 * 1024);
}

#[tokio::test]
async fn success_body_over_max_response_bytes_is_an_error() {
    let emu = specala().await;
    let client = builder(&emu, SPECALA_KEY)
        .max_response_bytes(100)
        .build_specala()
        .unwrap();
    let err = client.transcriptions().get("tr_alpha_000001").await;
    // A transcription is larger than 100 bytes in the emulator's generated data.
    let err = err.unwrap_err();
    assert_eq!(err.code(), "invalid_response");
    assert!(err.message().contains("cap"), "{}", err.message());
}

#[tokio::test]
async fn malformed_success_body_is_invalid_response() {
    let emu = pyai().await;
    emu.inject(Fault::new(
        "GET /v1/transcription/jobs/*",
        1,
        FaultAction::Malformed,
    ));
    let err = pyai_client(&emu).jobs().get("job_1").await.unwrap_err();
    assert_eq!(err.code(), "invalid_response");
    assert!(err.body().is_some());
}

#[tokio::test]
async fn specala_429_has_no_retry_after_and_is_retried_with_backoff() {
    let emu = specala_with(
        Config::specala()
            .transcriptions_per_workspace(10)
            .data_limit(2, std::time::Duration::from_millis(400)),
    )
    .await;
    let client = builder(&emu, SPECALA_KEY)
        .disable_pacing()
        .backoff(
            std::time::Duration::from_millis(300),
            std::time::Duration::from_secs(1),
        )
        .build_specala()
        .unwrap();
    for _ in 0..3 {
        client
            .transcriptions()
            .get("tr_alpha_000001")
            .await
            .unwrap();
    }
    assert!(stat(&emu, "rate_limited") >= 1, "the third call met a 429");
}

/// A third API's error bodies (neither Specala's `detail` nor PyAI's envelope or
/// problem+json), served over loopback: with the shape given to the generic client they
/// decode into that API's code, message and request id; without it, only the status's.
#[tokio::test]
async fn a_third_apis_error_shape_given_to_the_generic_client_decodes_its_bodies() {
    use surefoot::error::ErrorShape;
    let emu = pyai_with(Config::pyai().no_rate_limits()).await;
    let quota = r#"{"errors": [{"reason": "quota_exceeded", "text": "Monthly quota used up."}],
                    "meta": {"trace": "tr-77"}}"#;
    let conflict = r#"{"fault": {"num": 1007, "faultstring": "Name already taken."}}"#;
    let shape = ErrorShape::new()
        .code("/errors/0/reason")
        .code("/fault/num")
        .message("/errors/0/text")
        .message("/fault/faultstring")
        .request_id("/meta/trace");
    let shaped = builder(&emu, PYAI_KEY)
        .max_retries(0)
        .error_shape(shape)
        .build()
        .unwrap();
    let plain = builder(&emu, PYAI_KEY).max_retries(0).build().unwrap();

    emu.inject(Fault::status("*", 2, 402, quota));
    let e = shaped.get("/v1/things/1").send().await.unwrap_err();
    assert_eq!(e.status(), Some(402));
    assert_eq!(e.code(), "quota_exceeded");
    assert_eq!(e.kind(), ErrorKind::PaymentRequired);
    assert_eq!(e.message(), "Monthly quota used up.");
    assert_eq!(e.request_id(), Some("tr-77"));
    let e = plain.get("/v1/things/1").send().await.unwrap_err();
    assert_eq!(
        e.code(),
        "payment_required",
        "without the shape: the status's code"
    );
    assert_ne!(e.message(), "Monthly quota used up.");
    assert!(e.request_id().unwrap().starts_with("req_"));

    emu.inject(Fault::status("*", 1, 409, conflict));
    let e = shaped.get("/v1/things/2").send().await.unwrap_err();
    assert_eq!((e.code(), e.kind()), ("1007", ErrorKind::Conflict));
    assert_eq!(e.message(), "Name already taken.");
    assert!(
        e.request_id().unwrap().starts_with("req_"),
        "no trace: the header's id"
    );

    // A hint that is not a JSON Pointer is refused when the client is built.
    let bad = builder(&emu, PYAI_KEY)
        .error_shape(ErrorShape::new().code("errors.0.reason"))
        .build()
        .unwrap_err();
    assert_eq!(bad.code(), "invalid_request");
    assert!(bad.message().contains("JSON Pointer"), "{}", bad.message());
}
