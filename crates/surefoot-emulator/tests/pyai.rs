//! PyAI over real HTTP: every code of the seed's error table, both error shapes,
//! idempotency, cursor pagination, realtime concurrency, daily caps and the rate limit.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{client, send, Answer};
use serde_json::{json, Value};
use surefoot_emulator::{Config, Emulator, EmulatorHandle, KeyConfig, SURFACE_DATA};

const FULL: &str = "pyai_sk_full_0001";
const READONLY: &str = "pyai_sk_readonly_0002";
const WEB: &str = "pyai_pk_web_0003";
const SANDBOX: &str = "pyai_sk_sandbox_0004";
const BUDGET: &str = "pyai_sk_budget_0005";
const BROKE: &str = "pyai_sk_broke_0006";
const QUOTA: &str = "pyai_sk_quota_0007";
const JOBS: &str = "/v1/transcription/jobs";
const SESSIONS: &str = "/v1/realtime/sessions";

async fn start(config: Config) -> EmulatorHandle {
    Emulator::start(config).await.unwrap()
}

fn quiet() -> Config {
    Config::pyai().no_rate_limits()
}

async fn create_job(emu: &EmulatorHandle, key: &str, body: Value, idem: Option<&str>) -> Answer {
    let mut req = client()
        .post(format!("{}{JOBS}", emu.url()))
        .bearer_auth(key)
        .json(&body);
    if let Some(i) = idem {
        req = req.header("Idempotency-Key", i);
    }
    send(req).await
}

async fn get(emu: &EmulatorHandle, key: &str, path: &str) -> Answer {
    send(
        client()
            .get(format!("{}{path}", emu.url()))
            .bearer_auth(key),
    )
    .await
}

async fn open_session(emu: &EmulatorHandle, key: &str, agent: &str) -> Answer {
    send(
        client()
            .post(format!("{}{SESSIONS}", emu.url()))
            .bearer_auth(key)
            .json(&json!({ "agent_id": agent })),
    )
    .await
}

fn audio(n: u32) -> Value {
    json!({ "audio_url": format!("https://cdn.example.com/{n}.wav") })
}

#[tokio::test]
async fn job_lifecycle_and_shape() {
    let emu =
        start(quiet().job_timeline(Duration::from_millis(150), Duration::from_millis(150))).await;
    let body = json!({"audio_url": "https://cdn.example.com/a.wav", "language": "en", "metadata": {"k": "v"}});
    let job = create_job(&emu, FULL, body, None).await.expect(201);
    assert!(job.content_type().starts_with("application/json"));
    let job = job.json();
    assert_eq!(job["status"], "queued");
    assert_eq!(job["audio_url"], "https://cdn.example.com/a.wav");
    assert_eq!(job["language"], "en");
    assert_eq!(job["metadata"], json!({"k": "v"}));
    assert!(job["created_at"].is_string());
    let id = job["id"].as_str().unwrap();

    let path = format!("{JOBS}/{id}");
    assert_eq!(
        get(&emu, FULL, &path).await.expect(200).json()["status"],
        "queued"
    );
    tokio::time::sleep(Duration::from_millis(180)).await;
    assert_eq!(
        get(&emu, READONLY, &path).await.expect(200).json()["status"],
        "running"
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        get(&emu, FULL, &path).await.expect(200).json()["status"],
        "succeeded"
    );

    let failing = create_job(
        &emu,
        FULL,
        json!({"audio_url": "https://x.example/fail.wav"}),
        None,
    )
    .await
    .json();
    tokio::time::sleep(Duration::from_millis(320)).await;
    let path = format!("{JOBS}/{}", failing["id"].as_str().unwrap());
    assert_eq!(get(&emu, FULL, &path).await.json()["status"], "failed");
    let job = create_job(&emu, FULL, audio(1), None).await.json();
    assert!(job["language"].is_null() && job["metadata"].is_null());
    assert_eq!(emu.stats().jobs_created, 3);
}

#[tokio::test]
async fn job_validation_is_problem_json() {
    let emu = start(quiet()).await;
    for body in [
        json!({}),
        json!({"audio_url": null}),
        json!({"audio_url": 5}),
        json!({"audio_url": "ftp://x/y.wav"}),
        json!({"audio_url": "not a url"}),
        json!({"audio_url": "https://x/a.wav", "metadata": [1]}),
        json!([1, 2]),
    ] {
        let a = create_job(&emu, FULL, body.clone(), None).await.expect(422);
        assert_eq!(a.problem_code(), "validation_error", "{body}");
    }
    let a = send(
        client()
            .post(format!("{}{JOBS}", emu.url()))
            .bearer_auth(FULL)
            .header("content-type", "application/json")
            .body("{oops"),
    )
    .await
    .expect(400);
    assert_eq!(a.problem_code(), "invalid_json");
    assert_eq!(emu.stats().jobs_created, 0);
}

#[tokio::test]
async fn idempotent_replay_and_conflict() {
    let emu = start(quiet()).await;
    let body = json!({"audio_url": "https://cdn.example.com/i.wav", "metadata": {"a": 1, "b": 2}});
    let first = create_job(&emu, FULL, body.clone(), Some("idem-1"))
        .await
        .expect(201);
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = create_job(&emu, FULL, body.clone(), Some("idem-1"))
        .await
        .expect(201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json(), first.json(), "the original body is replayed");
    assert_ne!(again.header("x-request-id"), first.header("x-request-id"));

    // Same JSON with keys in another order and other spacing is the same body.
    let reordered =
        r#"{ "metadata": {"b": 2, "a": 1}, "audio_url": "https://cdn.example.com/i.wav" }"#;
    let a = send(
        client()
            .post(format!("{}{JOBS}", emu.url()))
            .bearer_auth(FULL)
            .header("Idempotency-Key", "idem-1")
            .header("content-type", "application/json")
            .body(reordered),
    )
    .await
    .expect(201);
    assert_eq!(a.header("idempotent-replayed"), Some("true"));

    let conflict = create_job(&emu, FULL, audio(2), Some("idem-1"))
        .await
        .expect(409);
    assert_eq!(conflict.problem_code(), "idempotency_conflict");
    let v = conflict.json();
    assert_eq!(v["title"], "Conflict");
    assert_eq!(
        v["detail"],
        "Idempotency-Key was reused with a different request body."
    );

    // Keys are per API key: another key may use the same idempotency key.
    create_job(&emu, BUDGET, audio(2), Some("idem-1"))
        .await
        .expect(201);

    let s = emu.stats();
    assert_eq!(s.jobs_created, 2);
    assert_eq!(s.idempotent_replays, 2);
    assert_eq!(s.idempotency_conflicts, 1);
    let list = get(&emu, FULL, JOBS).await.json();
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        2,
        "no duplicate job"
    );
}

#[tokio::test]
async fn get_unknown_or_foreign_job_is_404_problem() {
    let emu = start(quiet()).await;
    let a = get(&emu, FULL, &format!("{JOBS}/job_nope"))
        .await
        .expect(404);
    assert_eq!(a.problem_code(), "not_found");
    let job = create_job(&emu, SANDBOX, audio(1), None)
        .await
        .expect(201)
        .json();
    let path = format!("{JOBS}/{}", job["id"].as_str().unwrap());
    get(&emu, SANDBOX, &path).await.expect(200);
    let a = get(&emu, FULL, &path).await.expect(404); // another organisation
    assert_eq!(a.problem_code(), "not_found");
    let a = get(&emu, FULL, "/v1/unknown").await.expect(404);
    assert_eq!(a.problem_code(), "not_found");
}

#[tokio::test]
async fn list_paginates_newest_first() {
    let emu = start(quiet()).await;
    let empty = get(&emu, FULL, JOBS).await.expect(200).json();
    assert_eq!(empty, json!({"data": [], "next_cursor": null}));
    let mut created = Vec::new();
    for n in 0..25 {
        let j = create_job(&emu, FULL, audio(n), None)
            .await
            .expect(201)
            .json();
        created.push(j["id"].as_str().unwrap().to_string());
    }
    let first = get(&emu, FULL, JOBS).await.json();
    assert_eq!(first["data"].as_array().unwrap().len(), 20, "default 20");

    let mut seen = Vec::new();
    let mut path = format!("{JOBS}?limit=7");
    loop {
        let page = get(&emu, READONLY, &path).await.expect(200).json();
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|j| j["id"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("{JOBS}?limit=7&cursor={c}"),
            None => break,
        }
    }
    created.reverse();
    assert_eq!(seen, created);

    for bad in ["0", "101", "x"] {
        let a = get(&emu, FULL, &format!("{JOBS}?limit={bad}"))
            .await
            .expect(400);
        assert_eq!(a.problem_code(), "invalid_limit");
    }
    let a = get(&emu, FULL, &format!("{JOBS}?cursor=bogus"))
        .await
        .expect(400);
    assert_eq!(a.problem_code(), "invalid_cursor");
    // A cursor of another organisation is unknown here.
    create_job(&emu, SANDBOX, audio(1), None).await.expect(201);
    create_job(&emu, SANDBOX, audio(2), None).await.expect(201);
    let other = get(&emu, SANDBOX, &format!("{JOBS}?limit=1")).await.json();
    let c = other["next_cursor"].as_str().unwrap();
    let a = get(&emu, FULL, &format!("{JOBS}?cursor={c}"))
        .await
        .expect(400);
    assert_eq!(a.problem_code(), "invalid_cursor");
}

#[tokio::test]
async fn unauthorized_is_401_envelope() {
    let emu = start(quiet()).await;
    let url = format!("{}{JOBS}", emu.url());
    let cases = [
        client().get(&url),
        client().get(&url).bearer_auth("pyai_sk_unknown"),
        client().get(&url).header("authorization", FULL),
        client()
            .get(format!("{url}?api_key={FULL}"))
            .bearer_auth(FULL),
        client().get(format!("{url}?access_token={FULL}")),
    ];
    for req in cases {
        let a = send(req).await.expect(401);
        assert!(a.content_type().starts_with("application/json"));
        assert_eq!(a.envelope_code(), "unauthorized");
        assert_eq!(a.json()["error"]["type"], "authentication_error");
    }
}

#[tokio::test]
async fn scope_and_origin_are_403() {
    let emu = start(quiet()).await;
    get(&emu, READONLY, JOBS).await.expect(200);
    let a = create_job(&emu, READONLY, audio(1), None).await.expect(403);
    assert_eq!(a.envelope_code(), "forbidden");
    assert_eq!(a.json()["error"]["type"], "permission_error");
    let a = open_session(&emu, READONLY, "agent").await.expect(403);
    assert_eq!(a.envelope_code(), "forbidden");

    let url = format!("{}{JOBS}", emu.url());
    for origin in [None, Some("https://evil.example.com")] {
        let mut req = client().get(&url).bearer_auth(WEB);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        let a = send(req).await.expect(403);
        assert_eq!(a.envelope_code(), "origin_not_allowed");
    }
    let a = send(
        client()
            .post(&url)
            .bearer_auth(WEB)
            .header("origin", "https://app.example.com")
            .json(&audio(1)),
    )
    .await;
    a.expect(201);
    assert_eq!(emu.stats().jobs_created, 1);
}

#[tokio::test]
async fn billing_errors_are_402() {
    let emu = start(quiet()).await;
    let a = create_job(&emu, BROKE, audio(1), None).await.expect(402);
    assert_eq!(a.envelope_code(), "credit_exhausted");
    assert_eq!(a.json()["error"]["type"], "billing_error");
    let a = create_job(&emu, QUOTA, audio(1), None).await.expect(402);
    assert_eq!(a.envelope_code(), "insufficient_quota");
    assert_eq!(a.json()["error"]["type"], "insufficient_quota");
    open_session(&emu, BROKE, "a").await.expect(402);
    // Reads still work.
    get(&emu, BROKE, JOBS).await.expect(200);

    for n in 0..3 {
        create_job(&emu, BUDGET, audio(n), None).await.expect(201);
    }
    let a = create_job(&emu, BUDGET, audio(9), None).await.expect(402);
    assert_eq!(a.envelope_code(), "key_budget_exceeded");
    assert_eq!(a.json()["error"]["type"], "billing_error");
    assert_eq!(emu.stats().jobs_created, 3);
}

fn secs_to_midnight() -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    86_400 - now % 86_400
}

#[tokio::test]
async fn daily_caps_answer_retry_after_to_utc_midnight() {
    let emu = start(
        quiet()
            .key(KeyConfig::pyai_sandbox("key_sandbox", SANDBOX, "org_sandbox").daily_cap(Some(3)))
            .key(
                KeyConfig::pyai_publishable(
                    "key_web",
                    WEB,
                    "org_main",
                    &["https://app.example.com"],
                )
                .daily_cap(Some(2)),
            ),
    )
    .await;
    for _ in 0..3 {
        get(&emu, SANDBOX, JOBS).await.expect(200);
    }
    let a = get(&emu, SANDBOX, JOBS).await.expect(429);
    assert_eq!(a.envelope_code(), "daily_cap_exceeded");
    let wait: u64 = a.header("retry-after").unwrap().parse().unwrap();
    let expected = secs_to_midnight();
    assert!(wait.abs_diff(expected) <= 2, "{wait} vs {expected}");
    create_job(&emu, SANDBOX, audio(1), None).await.expect(429);

    let web = || {
        client()
            .get(format!("{}{JOBS}", emu.url()))
            .bearer_auth(WEB)
            .header("origin", "https://app.example.com")
    };
    send(web()).await.expect(200);
    send(web()).await.expect(200);
    let a = send(web()).await.expect(429);
    assert_eq!(a.envelope_code(), "daily_cap_exceeded");
    assert!(a.header("retry-after").is_some());

    let s = emu.stats();
    assert_eq!(s.daily_cap_rejected, 3);
    assert_eq!(s.jobs_created, 0);
    assert_eq!(s.accepted_on("key_sandbox", SURFACE_DATA).len(), 3);
}

#[tokio::test]
async fn default_daily_caps_are_20_and_100() {
    let keys = Config::pyai().keys;
    let cap = |id: &str| keys.iter().find(|k| k.id == id).unwrap().daily_cap;
    assert_eq!(cap("key_sandbox"), Some(20));
    assert_eq!(cap("key_web"), Some(100));
    assert_eq!(cap("key_full"), None);
}

#[tokio::test]
async fn rate_limit_is_429_with_retry_after_and_creates_nothing() {
    let emu = start(Config::pyai().rate_limit(1.0, 5)).await;
    for n in 0..5 {
        create_job(&emu, FULL, audio(n), None).await.expect(201);
    }
    let a = create_job(&emu, FULL, audio(99), None).await.expect(429);
    assert_eq!(
        a.json(),
        json!({"error": {"message": "Rate limit exceeded.", "type": "rate_limit_error", "code": "rate_limit_exceeded", "param": null}})
    );
    assert_eq!(a.header("retry-after"), Some("1"));
    get(&emu, FULL, JOBS).await.expect(429);
    // Another key has its own bucket.
    get(&emu, READONLY, JOBS).await.expect(200);

    let s = emu.stats();
    assert_eq!(s.jobs_created, 5);
    assert_eq!(s.rate_limited, 2);
    assert_eq!(s.accepted_on("key_full", SURFACE_DATA).len(), 5);
    assert_eq!(s.count("POST /v1/transcription/jobs", "429"), 1);
    assert_eq!(s.count("POST /v1/transcription/jobs", "201"), 5);

    tokio::time::sleep(Duration::from_millis(1050)).await;
    create_job(&emu, FULL, audio(100), None).await.expect(201);
}

#[tokio::test]
async fn realtime_sessions_cap_and_validation() {
    let emu = start(quiet()).await;
    let s1 = open_session(&emu, FULL, "agent-1").await.expect(201).json();
    assert_eq!(s1["agent_id"], "agent-1");
    assert!(s1["id"].is_string() && s1["created_at"].is_string());
    open_session(&emu, FULL, "agent-2").await.expect(201);
    let a = open_session(&emu, FULL, "agent-3").await.expect(429);
    assert_eq!(a.envelope_code(), "concurrency_limit_exceeded");
    assert_eq!(a.header("retry-after"), Some("1"));
    // Another key has its own slots.
    open_session(&emu, SANDBOX, "agent-x").await.expect(201);

    let path = format!("{}{SESSIONS}/{}", emu.url(), s1["id"].as_str().unwrap());
    // Only the owner may close it.
    let a = send(client().delete(&path).bearer_auth(SANDBOX))
        .await
        .expect(404);
    assert_eq!(a.problem_code(), "not_found");
    send(client().delete(&path).bearer_auth(FULL))
        .await
        .expect(204);
    send(client().delete(&path).bearer_auth(FULL))
        .await
        .expect(404);
    open_session(&emu, FULL, "agent-3").await.expect(201);

    for bad in ["bad\u{1}id", "line\nbreak", &"x".repeat(65), ""] {
        let a = open_session(&emu, FULL, bad).await.expect(400);
        assert_eq!(a.problem_code(), "invalid_agent_id", "{bad:?}");
    }
    open_session(&emu, SANDBOX, &"y".repeat(64))
        .await
        .expect(201);
    let a = send(
        client()
            .post(format!("{}{SESSIONS}", emu.url()))
            .bearer_auth(FULL)
            .json(&json!({})),
    )
    .await
    .expect(422);
    assert_eq!(a.problem_code(), "validation_error");

    let s = emu.stats();
    assert_eq!(s.open_realtime_sessions, 4);
    assert_eq!(s.max_realtime_concurrency.per_key["key_full"], 2);
    assert_eq!(s.max_realtime_concurrency.per_key["key_sandbox"], 2);
    assert_eq!(s.max_realtime_concurrency.overall, 4);
    assert_eq!(s.concurrency_rejected, 1);
}

#[tokio::test]
async fn realtime_concurrency_is_configurable() {
    let emu = start(quiet().realtime_concurrency(1)).await;
    open_session(&emu, FULL, "a").await.expect(201);
    open_session(&emu, FULL, "b").await.expect(429);
}
