//! Raw calls (`RawClient`): requests another library built, through the send loop, answered
//! with the final HTTP answer whatever its status; a 2xx body streamed.

use std::time::{Duration, Instant};

use surefoot::options::OptionValue;
use surefoot::{RawClient, RawRequest};
use surefoot_emulator::Fault;

use crate::common::*;

const JOBS: &str = "GET /v1/transcription/jobs";
const CREATE: &str = "POST /v1/transcription/jobs";

fn raw(options: &[(&str, OptionValue)]) -> RawClient {
    let mut b = RawClient::builder();
    b.set("backoff", OptionValue::List(vec![0.02.into(), 0.2.into()]))
        .unwrap();
    for (name, value) in options {
        b.set(name, value.clone()).unwrap();
    }
    b.build().unwrap()
}

fn request(method: &str, url: String, key: &str) -> RawRequest {
    RawRequest::new(method, &url)
        .unwrap()
        .header("authorization", format!("Bearer {key}"))
        .unwrap()
        .header("content-type", "application/json")
        .unwrap()
}

async fn read_all(resp: &mut surefoot::RawResponse) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(c) = resp.chunk().await.unwrap() {
        out.extend_from_slice(&c);
    }
    out
}

#[tokio::test]
async fn a_503_is_retried_and_the_success_streams() {
    let emu = pyai().await;
    emu.inject(Fault::status(
        JOBS,
        2,
        503,
        r#"{"error":{"code":"overloaded"}}"#,
    ));
    let client = raw(&[]);
    let url = format!("{}/v1/transcription/jobs", emu.url());
    let mut resp = client.send(request("GET", url, PYAI_KEY)).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.attempts(), 3);
    let body: serde_json::Value = serde_json::from_slice(&read_all(&mut resp).await).unwrap();
    assert!(body["data"].is_array(), "{body}");
}

#[tokio::test]
async fn client_errors_come_back_untouched_and_unretried() {
    let emu = pyai().await;
    let client = raw(&[]);
    let url = format!("{}/v1/transcription/jobs", emu.url());
    // 422: a body the server refuses.
    let req = request("POST", url.clone(), PYAI_KEY)
        .header("idempotency-key", "raw-422")
        .unwrap()
        .body(&b"{\"language\":\"en\"}"[..]);
    let mut resp = client.send(req).await.unwrap();
    assert_eq!(resp.status(), 422);
    assert_eq!(resp.attempts(), 1);
    assert_eq!(resp.error().unwrap().status(), Some(422));
    let body = read_all(&mut resp).await;
    assert!(String::from_utf8_lossy(&body).contains("audio_url"));
    // 402: no credit.
    let req = request("POST", url, "pyai_sk_broke_0006")
        .body(&b"{\"audio_url\":\"https://x.test/a.wav\"}"[..]);
    let resp = client.send(req).await.unwrap();
    assert_eq!((resp.status().as_u16(), resp.attempts()), (402, 1));
    assert_eq!(requests_on(&emu, CREATE), 2);
}

#[tokio::test]
async fn a_post_without_a_key_is_not_retried_after_a_503_but_one_with_a_key_is() {
    let emu = pyai().await;
    let client = raw(&[]);
    let url = format!("{}/v1/transcription/jobs", emu.url());
    let body = &b"{\"audio_url\":\"https://x.test/a.wav\"}"[..];
    emu.inject(Fault::status(CREATE, 1, 503, ""));
    let resp = client
        .send(request("POST", url.clone(), PYAI_KEY).body(body))
        .await
        .unwrap();
    assert_eq!((resp.status().as_u16(), resp.attempts()), (503, 1));
    emu.inject(Fault::drop_after_processing(CREATE, 1));
    let auto = raw(&[("idempotency", OptionValue::Text("auto".into()))]);
    let resp = auto
        .send(request("POST", url, PYAI_KEY).body(body))
        .await
        .unwrap();
    assert_eq!((resp.status().as_u16(), resp.attempts()), (201, 2));
    assert!(resp.headers().get("idempotent-replayed").is_some());
}

#[tokio::test]
async fn a_key_paused_longer_than_max_retry_wait_is_refused_without_sending() {
    let emu = pyai().await;
    emu.inject(Fault::status_with_headers(
        JOBS,
        1,
        429,
        r#"{"error":{"message":"slow down","type":"rate_limit_error","code":"rate_limit_exceeded"}}"#,
        &[("retry-after", "30")],
    ));
    let client = raw(&[("max_retry_wait", OptionValue::Float(1.0))]);
    let url = format!("{}/v1/transcription/jobs", emu.url());
    let resp = client
        .send(request("GET", url.clone(), PYAI_KEY))
        .await
        .unwrap();
    assert_eq!((resp.status().as_u16(), resp.attempts()), (429, 1));
    let started = Instant::now();
    let err = client
        .send(request("GET", url, PYAI_KEY))
        .await
        .err()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(!err.reached_server());
    assert!(err.message().contains("not sent"), "{}", err.message());
    assert!(!err.message().contains(PYAI_KEY));
    assert_eq!(requests_on(&emu, JOBS), 1);
}

#[tokio::test]
async fn streamed_chunks_arrive_before_the_server_sends_the_last() {
    let emu = pyai().await;
    let client = raw(&[]);
    let url = format!("{}/v1/chat/completions", emu.url());
    let req =
        request("POST", url, PYAI_KEY).body(&br#"{"model":"m","messages":[],"stream":true}"#[..]);
    let mut resp = client.send(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    let started = Instant::now();
    let first = resp.chunk().await.unwrap().unwrap();
    let first_at = started.elapsed();
    assert!(String::from_utf8_lossy(&first).starts_with("data: "));
    let rest = read_all(&mut resp).await;
    assert!(String::from_utf8_lossy(&rest).ends_with("data: [DONE]\n\n"));
    // Six more events 150 ms apart followed the first: it was not held back for them.
    assert!(started.elapsed() > first_at + Duration::from_millis(500));
}

#[tokio::test]
async fn a_transport_failure_after_an_error_answer_is_the_calls_error() {
    let emu = pyai().await;
    emu.inject(Fault::status(JOBS, 1, 503, ""));
    let client = raw(&[("max_retries", OptionValue::Int(1))]);
    let url = format!("{}/v1/transcription/jobs", emu.url());
    // The 503 is retried; the retry's connection is reset: no answer to hand back.
    emu.inject(Fault::reset(JOBS, 1));
    let err = client
        .send(request("GET", url, PYAI_KEY))
        .await
        .err()
        .unwrap();
    assert_eq!(err.code(), "connection_error");
    assert_eq!(err.attempts(), 2);
}
