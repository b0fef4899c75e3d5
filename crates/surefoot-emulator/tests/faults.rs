//! Fault injection over real HTTP: each `FaultAction`, route patterns, counts, ordering,
//! "before auth", and that the admin routes are never faulted. Connection-level faults
//! must surface as transport errors in reqwest, never as a response.

mod common;

use std::time::{Duration, Instant};

use common::{client, send};
use serde_json::json;
use surefoot_emulator::{
    Config, Emulator, EmulatorHandle, Fault, FaultAction, STATUS_DROPPED, STATUS_RESET,
};

const FULL: &str = "pyai_sk_full_0001";
const ALPHA: &str = "spk_alpha_pro_0001";
const JOBS: &str = "/v1/transcription/jobs";

async fn pyai() -> EmulatorHandle {
    Emulator::start(Config::pyai().no_rate_limits())
        .await
        .unwrap()
}

async fn specala() -> EmulatorHandle {
    Emulator::start(Config::specala()).await.unwrap()
}

fn job_request(emu: &EmulatorHandle) -> reqwest::RequestBuilder {
    client()
        .post(format!("{}{JOBS}", emu.url()))
        .bearer_auth(FULL)
        .json(&json!({"audio_url": "https://cdn.example.com/a.wav"}))
}

#[tokio::test]
async fn status_fault_answers_instead_and_counts_down() {
    let emu = pyai().await;
    emu.inject(Fault::status_with_headers(
        JOBS_POST,
        2,
        503,
        r#"{"error":{"message":"overloaded","type":"server_error","code":"overloaded","param":null}}"#,
        &[("retry-after", "2"), ("x-extra", "yes")],
    ));
    for _ in 0..2 {
        let a = send(job_request(&emu)).await.expect(503);
        assert_eq!(a.header("retry-after"), Some("2"));
        assert_eq!(a.header("x-extra"), Some("yes"));
        assert_eq!(a.content_type(), "application/json");
        assert_eq!(a.envelope_code(), "overloaded");
    }
    send(job_request(&emu)).await.expect(201);
    let s = emu.stats();
    assert_eq!(s.jobs_created, 1, "faulted requests are not processed");
    assert_eq!(s.faults_fired, 2);
    assert_eq!(s.count("POST /v1/transcription/jobs", "503"), 2);
    assert!(emu.faults().is_empty(), "used up");
}

const JOBS_POST: &str = "POST /v1/transcription/jobs";

#[tokio::test]
async fn faults_fire_before_auth_and_in_order() {
    let emu = specala().await;
    emu.inject(Fault::html("GET /v1/transcriptions/*", 1, 502));
    emu.inject(Fault::status("*", 1, 500, ""));
    // No key at all: the fault still answers.
    let a = send(client().get(format!("{}/v1/transcriptions/tr_alpha_000001", emu.url()))).await;
    let a = a.expect(502);
    assert!(a.content_type().starts_with("text/html"));
    assert!(
        a.text.contains("<title>502 Bad Gateway</title>"),
        "{}",
        a.text
    );
    // The first fault is used up; the catch-all is next.
    let a = send(client().get(format!("{}/v1/keys", emu.url())))
        .await
        .expect(500);
    assert!(a.text.is_empty());
    send(
        client()
            .get(format!("{}/v1/keys", emu.url()))
            .bearer_auth(ALPHA),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn count_zero_lasts_until_cleared() {
    let emu = specala().await;
    emu.inject(Fault::status("GET /v1/transcriptions", 0, 504, ""));
    for _ in 0..3 {
        send(
            client()
                .get(format!("{}/v1/transcriptions", emu.url()))
                .bearer_auth(ALPHA),
        )
        .await
        .expect(504);
    }
    // Other routes are unaffected.
    send(
        client()
            .get(format!("{}/v1/keys", emu.url()))
            .bearer_auth(ALPHA),
    )
    .await
    .expect(200);
    emu.clear_faults();
    send(
        client()
            .get(format!("{}/v1/transcriptions", emu.url()))
            .bearer_auth(ALPHA),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn delay_fault_delays_then_processes() {
    let emu = pyai().await;
    emu.inject(Fault::delay(JOBS_POST, 1, 300));
    let t = Instant::now();
    send(job_request(&emu)).await.expect(201);
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert_eq!(emu.stats().jobs_created, 1);
}

#[tokio::test]
async fn reset_closes_the_connection_before_processing() {
    let emu = pyai().await;
    emu.inject(Fault::reset(JOBS_POST, 1));
    let err = job_request(&emu)
        .send()
        .await
        .expect_err("a reset is not a response");
    assert!(err.status().is_none(), "{err:?}");
    let s = emu.stats();
    assert_eq!(s.jobs_created, 0);
    assert_eq!(s.count("POST /v1/transcription/jobs", STATUS_RESET), 1);
    send(job_request(&emu)).await.expect(201);
}

#[tokio::test]
async fn drop_after_processing_creates_the_job_but_never_answers() {
    let emu = pyai().await;
    emu.inject(Fault::drop_after_processing(JOBS_POST, 1));
    let err = job_request(&emu)
        .header("Idempotency-Key", "retry-me")
        .send()
        .await
        .expect_err("dropped");
    assert!(err.status().is_none(), "{err:?}");
    let s = emu.stats();
    assert_eq!(
        s.jobs_created, 1,
        "the job exists although the client saw an error"
    );
    assert_eq!(s.count("POST /v1/transcription/jobs", STATUS_DROPPED), 1);

    // The retry with the same key replays the job that was created.
    let a = send(job_request(&emu).header("Idempotency-Key", "retry-me"))
        .await
        .expect(201);
    assert_eq!(a.header("idempotent-replayed"), Some("true"));
    let list = send(
        client()
            .get(format!("{}{JOBS}", emu.url()))
            .bearer_auth(FULL),
    )
    .await;
    assert_eq!(list.json()["data"].as_array().unwrap().len(), 1);
    assert_eq!(emu.stats().jobs_created, 1);
}

#[tokio::test]
async fn drop_after_processing_revokes_the_key() {
    let emu = specala().await;
    let created = send(
        client()
            .post(format!("{}/v1/keys", emu.url()))
            .bearer_auth(ALPHA)
            .json(&json!({"name": "temp"})),
    )
    .await
    .expect(201)
    .json();
    let (id, value) = (
        created["id"].as_str().unwrap(),
        created["key"].as_str().unwrap(),
    );
    emu.inject(Fault::drop_after_processing("DELETE /v1/keys/*", 1));
    let r = client()
        .delete(format!("{}/v1/keys/{id}", emu.url()))
        .bearer_auth(ALPHA)
        .send()
        .await;
    assert!(r.is_err(), "{r:?}");
    assert_eq!(emu.stats().keys_revoked, 1);
    send(
        client()
            .get(format!("{}/v1/transcriptions", emu.url()))
            .bearer_auth(value),
    )
    .await
    .expect(401);
}

#[tokio::test]
async fn truncated_body_fails_mid_way() {
    let emu = specala().await;
    emu.inject(Fault::truncated("GET /v1/transcriptions", 1));
    let resp = client()
        .get(format!("{}/v1/transcriptions", emu.url()))
        .bearer_auth(ALPHA)
        .send()
        .await
        .expect("headers arrive");
    assert_eq!(resp.status(), 200);
    let announced: usize = resp.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(announced > 0);
    let body = resp.bytes().await;
    assert!(body.is_err(), "the body must not complete: {body:?}");
    // Processing happened: the request was accepted by the limiter.
    assert_eq!(emu.stats().accepted_on("key_alpha_pro", "data").len(), 1);
    // A later request on a fresh connection is fine.
    send(
        client()
            .get(format!("{}/v1/transcriptions", emu.url()))
            .bearer_auth(ALPHA),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn malformed_json_is_200_and_unparseable() {
    let emu = pyai().await;
    emu.inject(Fault::malformed("GET /v1/transcription/jobs/*", 1));
    let a = send(
        client()
            .get(format!("{}{JOBS}/job_1", emu.url()))
            .bearer_auth(FULL),
    )
    .await
    .expect(200);
    assert_eq!(a.content_type(), "application/json");
    assert!(serde_json::from_str::<serde_json::Value>(&a.text).is_err());
}

#[tokio::test]
async fn admin_routes_are_never_faulted() {
    let emu = pyai().await;
    emu.inject(Fault::reset("*", 0));
    let a = send(client().get(format!("{}/__emulator/stats", emu.url())))
        .await
        .expect(200);
    assert_eq!(a.json()["api"], "pyai");
    assert!(client()
        .get(format!("{}{JOBS}", emu.url()))
        .send()
        .await
        .is_err());
    // The admin API can still clear it.
    send(client().delete(format!("{}/__emulator/faults", emu.url())))
        .await
        .expect(204);
    send(
        client()
            .get(format!("{}{JOBS}", emu.url()))
            .bearer_auth(FULL),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn faults_via_admin_api_use_kind_tagging() {
    let emu = pyai().await;
    let url = format!("{}/__emulator/faults", emu.url());
    let fault = json!({
        "route": "POST /v1/transcription/jobs",
        "count": 1,
        "action": {"kind": "status", "status": 429, "body": "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit_error\",\"code\":\"rate_limit_exceeded\",\"param\":null}}",
                   "content_type": "application/json", "headers": [["retry-after", "0.5"]]}
    });
    let a = send(client().post(&url).json(&fault)).await.expect(201);
    assert_eq!(a.json()["faults"].as_array().unwrap().len(), 1);
    for action in [
        json!({"kind": "delay", "ms": 1}),
        json!({"kind": "reset"}),
        json!({"kind": "truncated"}),
        json!({"kind": "malformed"}),
        json!({"kind": "html", "status": 503}),
        json!({"kind": "drop_after_processing"}),
    ] {
        send(
            client()
                .post(&url)
                .json(&json!({"route": "GET /never", "action": action})),
        )
        .await
        .expect(201);
    }
    let listed = send(client().get(&url)).await.expect(200).json();
    assert_eq!(listed["faults"].as_array().unwrap().len(), 7);
    assert_eq!(listed["faults"][1]["count"], 1, "count defaults to 1");
    assert_eq!(emu.faults()[6].action, FaultAction::DropAfterProcessing);

    let a = send(job_request(&emu)).await.expect(429);
    assert_eq!(a.header("retry-after"), Some("0.5"));
    assert_eq!(
        emu.stats().rate_limited,
        0,
        "injected 429s are not the limiter's"
    );

    send(
        client()
            .post(&url)
            .json(&json!({"route": "nonsense", "action": {"kind": "reset"}})),
    )
    .await
    .expect(400);
    send(
        client()
            .post(&url)
            .json(&json!({"route": "*", "action": {"kind": "explode"}})),
    )
    .await
    .expect(400);
    send(client().delete(&url)).await.expect(204);
    assert!(emu.faults().is_empty());
}
