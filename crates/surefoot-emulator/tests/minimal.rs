//! The minimal answer form (`Config::minimal`, `--minimal`): the same ids and behaviour,
//! bodies that promise only ids — Specala items of id and title, PyAI list items of id and
//! status, Unix-second timestamps, unknown members, no `next_cursor` on the last page.

mod common;

use common::{client, send, Answer};
use serde_json::{json, Value};
use surefoot_emulator::{Config, Emulator, EmulatorHandle};

async fn call(
    emu: &EmulatorHandle,
    key: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let url = format!("{}{path}", emu.url());
    let mut req = match method {
        "POST" => client().post(url),
        "DELETE" => client().delete(url),
        _ => client().get(url),
    }
    .bearer_auth(key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    send(req).await
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

#[tokio::test]
async fn specala_answers_ids_and_titles_with_numeric_times_and_unknown_members() {
    let emu = Emulator::start(
        Config::specala()
            .no_rate_limits()
            .transcriptions_per_workspace(3)
            .minimal(true),
    )
    .await
    .unwrap();
    let key = "spk_alpha_pro_0001";
    let first = call(&emu, key, "GET", "/v1/transcriptions?limit=2", None)
        .await
        .expect(200)
        .json();
    assert_eq!(keys(&first), ["data", "has_more", "next_cursor", "object"]);
    assert_eq!(first["has_more"], json!(true));
    assert_eq!(keys(&first["data"][0]), ["id", "title"]);
    assert_eq!(first["data"][0]["id"], json!("tr_alpha_000002"));
    let cursor = first["next_cursor"].as_str().unwrap();
    let last = call(
        &emu,
        key,
        "GET",
        &format!("/v1/transcriptions?limit=2&cursor={cursor}"),
        None,
    )
    .await
    .expect(200)
    .json();
    assert_eq!(
        keys(&last),
        ["data", "has_more", "object"],
        "no next_cursor on the last page"
    );
    assert_eq!(last["data"].as_array().unwrap().len(), 1);

    let one = call(&emu, key, "GET", "/v1/transcriptions/tr_alpha_000001", None)
        .await
        .expect(200)
        .json();
    assert_eq!(keys(&one), ["created_at", "id", "object", "text", "title"]);
    assert!(one["created_at"].is_i64(), "{one}");

    let bulk = call(
        &emu,
        key,
        "POST",
        "/v1/transcriptions/export",
        Some(json!({"ids": ["tr_alpha_000002", "tr_alpha_000001"], "format": "txt"})),
    )
    .await
    .expect(200)
    .json();
    assert_eq!(keys(&bulk), ["data", "object"]);
    assert_eq!(keys(&bulk["data"][0]), ["content", "id", "object"]);
    assert_eq!(bulk["data"][1]["id"], json!("tr_alpha_000001"));

    let created = call(&emu, key, "POST", "/v1/keys", Some(json!({"name": "ci"})))
        .await
        .expect(201)
        .json();
    assert_eq!(keys(&created), ["created_at", "id", "key", "object"]);
    assert!(created["created_at"].is_i64());
    let listed = call(&emu, key, "GET", "/v1/keys", None)
        .await
        .expect(200)
        .json();
    assert_eq!(keys(&listed), ["data", "has_more", "object"]);
    assert!(listed["data"][0]["created_at"].is_i64());
}

#[tokio::test]
async fn pyai_answers_ids_and_statuses_with_fractional_unix_times() {
    let emu = Emulator::start(Config::pyai().no_rate_limits().minimal(true))
        .await
        .unwrap();
    let key = "pyai_sk_full_0001";
    let job = call(
        &emu,
        key,
        "POST",
        "/v1/transcription/jobs",
        Some(json!({"audio_url": "https://example.com/a.wav"})),
    )
    .await
    .expect(201)
    .json();
    assert_eq!(keys(&job), ["created_at", "id", "object", "status"]);
    assert_eq!(job["status"], json!("queued"));
    assert!(job["created_at"].as_f64().unwrap() > 1.7e9, "{job}");
    let got = call(
        &emu,
        key,
        "GET",
        "/v1/transcription/jobs/job_00000001",
        None,
    )
    .await
    .expect(200)
    .json();
    assert_eq!(keys(&got), ["created_at", "id", "object", "status"]);
    let list = call(&emu, key, "GET", "/v1/transcription/jobs", None)
        .await
        .expect(200)
        .json();
    assert_eq!(keys(&list), ["data", "has_more", "object"]);
    assert_eq!(
        list["data"],
        json!([{"id": "job_00000001", "status": "queued"}])
    );
    let session = call(
        &emu,
        key,
        "POST",
        "/v1/realtime/sessions",
        Some(json!({"agent_id": "a1"})),
    )
    .await
    .expect(201)
    .json();
    assert_eq!(keys(&session), ["id", "object"]);
}
