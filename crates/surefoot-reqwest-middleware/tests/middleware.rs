//! The middleware over loopback against the emulator: a real `reqwest_middleware` client
//! with [`Surefoot`] in its chain, the emulator's PyAI API behind it.

use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use surefoot::options::OptionValue;
use surefoot_emulator::{Config, Emulator, EmulatorHandle, Fault};
use surefoot_reqwest_middleware::Surefoot;

const KEY: &str = "pyai_sk_full_0001";
const JOBS: &str = "GET /v1/transcription/jobs";
const CREATE: &str = "POST /v1/transcription/jobs";

fn client(options: &[(&str, OptionValue)]) -> ClientWithMiddleware {
    let mut all = vec![("backoff", OptionValue::List(vec![0.02.into(), 0.2.into()]))];
    all.extend(options.iter().cloned());
    ClientBuilder::new(reqwest::Client::new())
        .with(Surefoot::new(all).unwrap())
        .build()
}

fn stats(emu: &EmulatorHandle) -> serde_json::Value {
    serde_json::to_value(emu.stats()).unwrap()
}

/// Requests the emulator saw on `route` (all statuses).
fn seen_all(emu: &EmulatorHandle, route: &str) -> u64 {
    stats(emu)["requests"][route]
        .as_object()
        .map(|m| m.values().map(|v| v.as_u64().unwrap_or(0)).sum())
        .unwrap_or(0)
}

/// Requests the emulator saw on `route` with `status`.
fn seen(emu: &EmulatorHandle, route: &str, status: &str) -> u64 {
    stats(emu)["requests"][route][status].as_u64().unwrap_or(0)
}

fn surefoot_error(e: &reqwest_middleware::Error) -> &surefoot::Error {
    match e {
        reqwest_middleware::Error::Middleware(e) => e.downcast_ref().expect("a surefoot error"),
        other => panic!("not the middleware's error: {other}"),
    }
}

#[tokio::test]
async fn a_503_is_retried_and_the_answer_comes_back_as_reqwests() {
    let emu = Emulator::start(Config::pyai()).await.unwrap();
    emu.inject(Fault::status(
        JOBS,
        2,
        503,
        r#"{"error":{"code":"overloaded"}}"#,
    ));
    let url = format!("{}/v1/transcription/jobs", emu.url());
    let resp = client(&[]).get(&url).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.url().as_str(), url);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(body["data"].is_array(), "{body}");
    assert_eq!((seen(&emu, JOBS, "503"), seen(&emu, JOBS, "200")), (2, 1));
}

#[tokio::test]
async fn client_errors_come_back_untouched_and_unretried() {
    let emu = Emulator::start(Config::pyai()).await.unwrap();
    let url = format!("{}/v1/transcription/jobs", emu.url());
    let http = client(&[]);
    let resp = http
        .post(&url)
        .bearer_auth(KEY)
        .header("idempotency-key", "mw-422")
        .json(&serde_json::json!({"language": "en"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    assert!(resp.error_for_status_ref().is_err());
    assert!(resp.text().await.unwrap().contains("audio_url"));
    let resp = http
        .post(&url)
        .bearer_auth("pyai_sk_broke_0006")
        .json(&serde_json::json!({"audio_url": "https://x.test/a.wav"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 402);
    assert_eq!(
        (seen(&emu, CREATE, "422"), seen(&emu, CREATE, "402")),
        (1, 1)
    );
}

#[tokio::test]
async fn concurrent_calls_on_one_key_share_its_pace() {
    // 20 requests/s, burst 2: 40 calls at once would mostly be refused unpaced.
    let emu = Emulator::start(Config::pyai().rate_limit(20.0, 2))
        .await
        .unwrap();
    let http = client(&[("rate_limit", OptionValue::from("20/s"))]);
    let url = format!("{}/v1/transcription/jobs", emu.url());
    let calls = (0..40).map(|_| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            http.get(&url)
                .bearer_auth(KEY)
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures::future::join_all(calls).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    // Pacing keeps the server's refusals to a few (the burst's edge); each was retried.
    let refused = stats(&emu)["rate_limited"].as_u64().unwrap();
    assert!(refused <= 4, "{refused} 429s");
}

#[tokio::test]
async fn a_key_paused_longer_than_max_retry_wait_is_refused_without_sending() {
    let emu = Emulator::start(Config::pyai()).await.unwrap();
    emu.inject(Fault::status_with_headers(
        JOBS,
        1,
        429,
        r#"{"error":{"message":"slow down","type":"rate_limit_error","code":"rate_limit_exceeded"}}"#,
        &[("retry-after", "30")],
    ));
    let http = client(&[("max_retry_wait", OptionValue::Float(1.0))]);
    let url = format!("{}/v1/transcription/jobs", emu.url());
    let first = http.get(&url).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(first.status(), 429);
    assert_eq!(first.headers()["retry-after"], "30");
    let started = Instant::now();
    let err = http.get(&url).bearer_auth(KEY).send().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    let err = surefoot_error(&err);
    assert!(!err.reached_server());
    assert!(err.is_rate_limited(), "{err}");
    assert!(!err.to_string().contains(KEY));
    assert_eq!(seen_all(&emu, JOBS), 1);
}

#[tokio::test]
async fn a_streamed_body_is_read_once_and_resent_whole_with_its_key() {
    let emu = Emulator::start(Config::pyai()).await.unwrap();
    emu.inject(Fault::drop_after_processing(CREATE, 1));
    let url = format!("{}/v1/transcription/jobs", emu.url());
    // A request body reqwest holds as a stream: read once, the same bytes on the retry.
    let parts: Vec<Result<&'static [u8], std::io::Error>> =
        vec![Ok(b"{\"audio_url\":"), Ok(b"\"https://x.test/a.wav\"}")];
    let resp = client(&[])
        .post(&url)
        .bearer_auth(KEY)
        .header("idempotency-key", "mw-stream-1")
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(parts)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert!(resp.headers().get("idempotent-replayed").is_some());
    assert_eq!(stats(&emu)["jobs_created"], 1);
    assert_eq!(seen_all(&emu, CREATE), 2, "{}", stats(&emu)["requests"]);
}

#[tokio::test]
async fn a_post_without_a_key_is_not_retried_after_a_503() {
    let emu = Emulator::start(Config::pyai()).await.unwrap();
    emu.inject(Fault::status(CREATE, 1, 503, ""));
    let url = format!("{}/v1/transcription/jobs", emu.url());
    let resp = client(&[])
        .post(&url)
        .bearer_auth(KEY)
        .json(&serde_json::json!({"audio_url": "https://x.test/a.wav"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(seen_all(&emu, CREATE), 1);
    assert_eq!(stats(&emu)["jobs_created"], 0);
}

#[tokio::test]
async fn server_sent_events_arrive_chunk_by_chunk() {
    let emu = Emulator::start(Config::pyai()).await.unwrap();
    let url = format!("{}/v1/chat/completions", emu.url());
    let resp = client(&[])
        .post(&url)
        .bearer_auth(KEY)
        .json(&serde_json::json!({"model": "m", "messages": [], "stream": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut stream = resp.bytes_stream();
    let started = Instant::now();
    let first = stream.next().await.unwrap().unwrap();
    let first_at = started.elapsed();
    assert!(String::from_utf8_lossy(&first).starts_with("data: "));
    let mut rest = Vec::new();
    while let Some(chunk) = stream.next().await {
        rest.extend_from_slice(&chunk.unwrap());
    }
    assert!(String::from_utf8_lossy(&rest).ends_with("data: [DONE]\n\n"));
    // Six more events 150 ms apart followed the first: it was not held back for them.
    assert!(started.elapsed() > first_at + Duration::from_millis(500));
}

#[tokio::test]
async fn the_requests_own_timeout_applies() {
    let emu = Emulator::start(Config::pyai()).await.unwrap();
    emu.inject(Fault::delay(JOBS, 10, 3000));
    let url = format!("{}/v1/transcription/jobs", emu.url());
    let started = Instant::now();
    let err = client(&[("max_retries", OptionValue::Int(0))])
        .get(&url)
        .bearer_auth(KEY)
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(surefoot_error(&err).code(), "timeout", "{err}");
}

#[test]
fn options_are_checked_by_the_cores_rules() {
    let err = Surefoot::new([("max_retries", OptionValue::Int(-3))])
        .err()
        .unwrap();
    assert!(err.to_string().contains("max_retries"), "{err}");
    assert!(Surefoot::new([("api_key", OptionValue::from("sk-x"))]).is_err());
    assert!(Surefoot::new([("no_such_option", OptionValue::Int(1))]).is_err());
}
