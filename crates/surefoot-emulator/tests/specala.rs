//! Specala over real HTTP: every row of the seed's status and "common cases" tables,
//! pagination, exports, key management and the per-surface rate limits.

mod common;

use std::time::Duration;

use common::{client, send, Answer};
use serde_json::{json, Value};
use surefoot_emulator::{
    Config, Emulator, EmulatorHandle, Fault, SURFACE_DATA, SURFACE_MANAGEMENT,
};

const ALPHA: &str = "spk_alpha_pro_0001";
const BETA: &str = "spk_beta_pro_0002";
const FREE: &str = "spk_alpha_free_0003";

async fn start(config: Config) -> EmulatorHandle {
    Emulator::start(config).await.unwrap()
}

async fn get(emu: &EmulatorHandle, key: &str, path: &str) -> Answer {
    send(
        client()
            .get(format!("{}{path}", emu.url()))
            .bearer_auth(key),
    )
    .await
}

async fn post(emu: &EmulatorHandle, key: &str, path: &str, body: Value) -> Answer {
    send(
        client()
            .post(format!("{}{path}", emu.url()))
            .bearer_auth(key)
            .json(&body),
    )
    .await
}

fn assert_validation(a: &Answer, loc: &[&str]) {
    assert_eq!(a.status, 422, "{}", a.text);
    let v = a.json();
    let items = v["detail"].as_array().expect("422 list form");
    assert!(!items.is_empty());
    let hit = items.iter().any(|i| {
        i["msg"].is_string()
            && i["type"].is_string()
            && i["loc"]
                .as_array()
                .is_some_and(|l| l.iter().zip(loc).all(|(a, b)| a == b) && l.len() >= loc.len())
    });
    assert!(hit, "no item at {loc:?}: {v}");
}

#[tokio::test]
async fn list_paginates_newest_first_until_null_cursor() {
    let emu = start(Config::specala().transcriptions_per_workspace(45)).await;
    let first = get(&emu, ALPHA, "/v1/transcriptions")
        .await
        .expect(200)
        .json();
    assert_eq!(
        first["data"].as_array().unwrap().len(),
        20,
        "default limit 20"
    );
    assert_eq!(first["data"][0]["id"], "tr_alpha_000044", "newest first");

    let mut ids = Vec::new();
    let mut created = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/transcriptions?limit=20&cursor={c}"),
            None => "/v1/transcriptions?limit=20".to_string(),
        };
        let page = get(&emu, ALPHA, &path).await.expect(200).json();
        pages += 1;
        for t in page["data"].as_array().unwrap() {
            for field in [
                "id",
                "title",
                "language",
                "duration_seconds",
                "created_at",
                "text",
            ] {
                assert!(!t[field].is_null(), "{field} in {t}");
            }
            ids.push(t["id"].as_str().unwrap().to_string());
            created.push(t["created_at"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => {
                assert!(page["next_cursor"].is_null());
                break;
            }
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..45).rev().map(|i| format!("tr_alpha_{i:06}")).collect();
    assert_eq!(ids, expected);
    let mut sorted = created.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(created, sorted, "created_at descending");

    // Deterministic: the same item twice, and a different workspace has its own items.
    let a = get(&emu, ALPHA, "/v1/transcriptions/tr_alpha_000007")
        .await
        .expect(200)
        .json();
    let b = get(&emu, ALPHA, "/v1/transcriptions/tr_alpha_000007")
        .await
        .expect(200)
        .json();
    assert_eq!(a, b);
    let beta = get(&emu, BETA, "/v1/transcriptions?limit=1")
        .await
        .expect(200)
        .json();
    assert_eq!(beta["data"][0]["id"], "tr_beta_000044");
}

#[tokio::test]
async fn limit_and_cursor_validation_is_422_list_form() {
    let emu = start(Config::specala()).await;
    for bad in ["0", "101", "abc", "-1"] {
        let a = get(&emu, ALPHA, &format!("/v1/transcriptions?limit={bad}")).await;
        assert_validation(&a, &["query", "limit"]);
    }
    get(&emu, ALPHA, "/v1/transcriptions?limit=100")
        .await
        .expect(200);
    get(&emu, ALPHA, "/v1/transcriptions?limit=1")
        .await
        .expect(200);
    let a = get(&emu, ALPHA, "/v1/transcriptions?cursor=nonsense").await;
    assert_validation(&a, &["query", "cursor"]);
    // A cursor from another workspace is not a cursor of this one.
    let beta = get(&emu, BETA, "/v1/transcriptions?limit=1").await.json();
    let c = beta["next_cursor"].as_str().unwrap();
    let a = get(&emu, ALPHA, &format!("/v1/transcriptions?cursor={c}")).await;
    assert_validation(&a, &["query", "cursor"]);
}

#[tokio::test]
async fn get_is_404_for_unknown_and_other_workspace() {
    let emu = start(Config::specala()).await;
    let t = get(&emu, ALPHA, "/v1/transcriptions/tr_alpha_000123")
        .await
        .expect(200)
        .json();
    assert_eq!(t["id"], "tr_alpha_000123");
    assert!(t["duration_seconds"].is_number());
    for path in [
        "/v1/transcriptions/tr_beta_000123", // exists, in ws_beta
        "/v1/transcriptions/tr_alpha_999999",
        "/v1/transcriptions/nope",
    ] {
        let a = get(&emu, ALPHA, path).await.expect(404);
        assert_eq!(a.json(), json!({"detail": "Transcription not found"}));
    }
    get(&emu, BETA, "/v1/transcriptions/tr_beta_000123")
        .await
        .expect(200);
}

#[tokio::test]
async fn single_export_answers_the_document() {
    let emu = start(Config::specala()).await;
    let t = get(&emu, ALPHA, "/v1/transcriptions/tr_alpha_000005")
        .await
        .json();
    let md = get(
        &emu,
        ALPHA,
        "/v1/transcriptions/tr_alpha_000005/export?format=md",
    )
    .await
    .expect(200);
    assert!(
        md.content_type().starts_with("text/markdown"),
        "{}",
        md.content_type()
    );
    assert_eq!(
        md.text,
        format!(
            "# {}\n\n{}\n",
            t["title"].as_str().unwrap(),
            t["text"].as_str().unwrap()
        )
    );
    let txt = get(
        &emu,
        ALPHA,
        "/v1/transcriptions/tr_alpha_000005/export?format=txt",
    )
    .await
    .expect(200);
    assert!(txt.content_type().starts_with("text/plain"));
    assert!(!txt.text.starts_with('#'));
    assert!(txt.text.contains(t["text"].as_str().unwrap()));

    let bad = get(
        &emu,
        ALPHA,
        "/v1/transcriptions/tr_alpha_000005/export?format=pdf",
    )
    .await;
    assert_validation(&bad, &["query", "format"]);
    get(
        &emu,
        ALPHA,
        "/v1/transcriptions/tr_beta_000005/export?format=md",
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn bulk_export_keeps_request_order_and_validates() {
    let emu = start(Config::specala()).await;
    let ids = ["tr_alpha_000010", "tr_alpha_000002", "tr_alpha_000999"];
    let a = post(
        &emu,
        ALPHA,
        "/v1/transcriptions/export",
        json!({"ids": ids, "format": "txt"}),
    )
    .await
    .expect(200)
    .json();
    let data = a["data"].as_array().unwrap();
    assert_eq!(data.len(), 3);
    for (item, id) in data.iter().zip(ids) {
        assert_eq!(item["id"], id);
        assert_eq!(item["format"], "txt");
        let single = get(
            &emu,
            ALPHA,
            &format!("/v1/transcriptions/{id}/export?format=txt"),
        )
        .await;
        assert_eq!(item["content"], single.text.as_str());
    }

    let hundred: Vec<String> = (0..100).map(|i| format!("tr_alpha_{i:06}")).collect();
    post(
        &emu,
        ALPHA,
        "/v1/transcriptions/export",
        json!({"ids": hundred, "format": "md"}),
    )
    .await
    .expect(200);
    let many: Vec<String> = (0..101).map(|i| format!("tr_alpha_{i:06}")).collect();
    let a = post(
        &emu,
        ALPHA,
        "/v1/transcriptions/export",
        json!({"ids": many, "format": "md"}),
    )
    .await;
    assert_validation(&a, &["body", "ids"]);
    let a = post(
        &emu,
        ALPHA,
        "/v1/transcriptions/export",
        json!({"ids": [], "format": "md"}),
    )
    .await;
    assert_validation(&a, &["body", "ids"]);
    let a = post(
        &emu,
        ALPHA,
        "/v1/transcriptions/export",
        json!({"ids": ["tr_alpha_000001"], "format": "docx"}),
    )
    .await;
    assert_validation(&a, &["body", "format"]);
    let a = post(
        &emu,
        ALPHA,
        "/v1/transcriptions/export",
        json!({"format": "md"}),
    )
    .await;
    assert_validation(&a, &["body", "ids"]);
    let a = send(
        client()
            .post(format!("{}/v1/transcriptions/export", emu.url()))
            .bearer_auth(ALPHA)
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_validation(&a, &["body"]);
    // An id of another workspace → 404.
    post(
        &emu,
        ALPHA,
        "/v1/transcriptions/export",
        json!({"ids": ["tr_alpha_000001", "tr_beta_000001"], "format": "md"}),
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn unauthorized_cases_are_401() {
    let emu = start(Config::specala()).await;
    let url = format!("{}/v1/transcriptions", emu.url());
    let invalid = json!({"detail": "Invalid API key"});

    let a = send(client().get(&url)).await.expect(401);
    assert_eq!(a.json(), invalid);
    let a = send(client().get(&url).bearer_auth("spk_nope"))
        .await
        .expect(401);
    assert_eq!(a.json(), invalid);
    // A trailing space makes a different key.
    let a = send(
        client()
            .get(&url)
            .header("authorization", format!("Bearer {ALPHA} x")),
    )
    .await;
    a.expect(401);
    // A key in the URL is rejected even when it is valid, and even with a good header.
    for param in ["api_key", "key", "token", "access_token"] {
        let a = send(
            client()
                .get(format!("{url}?{param}={ALPHA}"))
                .bearer_auth(ALPHA),
        )
        .await
        .expect(401);
        assert!(a.json()["detail"].is_string());
        send(client().get(format!("{url}?{param}={ALPHA}")))
            .await
            .expect(401);
    }
    assert_eq!(
        emu.stats().accepted_on("key_alpha_pro", SURFACE_DATA).len(),
        0
    );
}

#[tokio::test]
async fn free_plan_is_403_api_access_denied() {
    let emu = start(Config::specala()).await;
    let expected = json!({"detail": {
        "code": "api_access_denied",
        "message": "Your current plan does not include API access. Please upgrade to a plan with API & MCP support."
    }});
    let a = get(&emu, FREE, "/v1/transcriptions").await.expect(403);
    assert_eq!(a.json(), expected);
    let a = get(&emu, FREE, "/v1/keys").await.expect(403);
    assert_eq!(a.json(), expected);
    post(&emu, FREE, "/v1/keys", json!({"name": "x"}))
        .await
        .expect(403);
}

#[tokio::test]
async fn key_management_create_list_revoke() {
    let emu = start(Config::specala()).await;
    let created = post(&emu, ALPHA, "/v1/keys", json!({"name": "ci"}))
        .await
        .expect(201)
        .json();
    let (id, value) = (
        created["id"].as_str().unwrap().to_string(),
        created["key"].as_str().unwrap().to_string(),
    );
    assert_eq!(created["name"], "ci");
    assert!(created["created_at"].is_string());

    // The new key works at once, in the creator's workspace.
    get(&emu, &value, "/v1/transcriptions/tr_alpha_000001")
        .await
        .expect(200);
    get(&emu, &value, "/v1/transcriptions/tr_beta_000001")
        .await
        .expect(404);

    let list = get(&emu, ALPHA, "/v1/keys").await.expect(200).json();
    let listed: Vec<&Value> = list["data"].as_array().unwrap().iter().collect();
    assert_eq!(listed[0]["id"], id.as_str(), "newest first");
    assert!(
        listed.iter().all(|k| k.get("key").is_none()),
        "values never listed"
    );
    assert!(listed.iter().any(|k| k["id"] == "key_alpha_free"));
    assert!(
        !listed.iter().any(|k| k["id"] == "key_beta_pro"),
        "other workspace hidden"
    );
    assert!(emu.keys().iter().any(|k| k.id == id));

    // Another workspace cannot revoke it.
    let a = send(
        client()
            .delete(format!("{}/v1/keys/{id}", emu.url()))
            .bearer_auth(BETA),
    )
    .await
    .expect(404);
    assert!(a.json()["detail"].is_string());

    let a = send(
        client()
            .delete(format!("{}/v1/keys/{id}", emu.url()))
            .bearer_auth(ALPHA),
    )
    .await
    .expect(204);
    assert!(a.text.is_empty());
    let a = get(&emu, &value, "/v1/transcriptions").await.expect(401);
    assert_eq!(a.json(), json!({"detail": "Invalid API key"}));
    send(
        client()
            .delete(format!("{}/v1/keys/{id}", emu.url()))
            .bearer_auth(ALPHA),
    )
    .await
    .expect(404);

    // Name validation.
    let a = post(&emu, ALPHA, "/v1/keys", json!({})).await;
    assert_validation(&a, &["body", "name"]);
    let a = post(&emu, ALPHA, "/v1/keys", json!({"name": 5})).await;
    assert_validation(&a, &["body", "name"]);

    let s = emu.stats();
    assert_eq!(s.keys_created, 1);
    assert_eq!(s.keys_revoked, 1);
    assert!(!emu.keys().iter().any(|k| k.id == id));
    assert_eq!(s.count("POST /v1/keys", "201"), 1);
    assert_eq!(s.count("DELETE /v1/keys/{id}", "204"), 1);
}

#[tokio::test]
async fn revoking_a_default_key_makes_it_401() {
    let emu = start(Config::specala()).await;
    send(
        client()
            .delete(format!("{}/v1/keys/key_alpha_pro", emu.url()))
            .bearer_auth(ALPHA),
    )
    .await
    .expect(204);
    get(&emu, ALPHA, "/v1/transcriptions").await.expect(401);
}

#[tokio::test]
async fn data_limit_is_429_without_retry_after_by_default() {
    let emu = start(Config::specala().data_limit(5, Duration::from_secs(60))).await;
    for _ in 0..5 {
        get(&emu, ALPHA, "/v1/transcriptions?limit=1")
            .await
            .expect(200);
    }
    let a = get(&emu, ALPHA, "/v1/transcriptions/tr_alpha_000001")
        .await
        .expect(429);
    assert_eq!(a.json(), json!({"detail": "Rate limit exceeded"}));
    assert_eq!(a.header("retry-after"), None);
    // Bulk and export share the data surface.
    post(
        &emu,
        ALPHA,
        "/v1/transcriptions/export",
        json!({"ids": ["tr_alpha_000001"]}),
    )
    .await
    .expect(429);
    // Key management is a separate surface, and other keys have their own budget.
    get(&emu, ALPHA, "/v1/keys").await.expect(200);
    get(&emu, BETA, "/v1/transcriptions").await.expect(200);

    let s = emu.stats();
    assert_eq!(s.rate_limited, 2);
    assert_eq!(s.accepted_on("key_alpha_pro", SURFACE_DATA).len(), 5);
    assert_eq!(s.accepted_on("key_alpha_pro", SURFACE_MANAGEMENT).len(), 1);
    assert_eq!(
        s.max_in_window("key_alpha_pro", SURFACE_DATA, Duration::from_secs(60)),
        5
    );
    assert_eq!(s.count("GET /v1/transcriptions/{id}", "429"), 1);
}

#[tokio::test]
async fn limits_send_retry_after_when_configured() {
    let emu = start(
        Config::specala()
            .management_limit(2, Duration::from_secs(30))
            .retry_after_on_429(true),
    )
    .await;
    get(&emu, ALPHA, "/v1/keys").await.expect(200);
    post(&emu, ALPHA, "/v1/keys", json!({"name": "a"}))
        .await
        .expect(201);
    let a = post(&emu, ALPHA, "/v1/keys", json!({"name": "b"}))
        .await
        .expect(429);
    let secs: u64 = a.header("retry-after").unwrap().parse().unwrap();
    assert!((29..=30).contains(&secs), "{secs}");
    // Nothing was created by the rejected request.
    assert_eq!(emu.stats().keys_created, 1);
    // The data surface is untouched.
    get(&emu, ALPHA, "/v1/transcriptions").await.expect(200);
}

#[tokio::test]
async fn sliding_window_frees_up_after_the_window() {
    let emu = start(Config::specala().data_limit(3, Duration::from_millis(300))).await;
    for _ in 0..3 {
        get(&emu, ALPHA, "/v1/transcriptions?limit=1")
            .await
            .expect(200);
    }
    get(&emu, ALPHA, "/v1/transcriptions?limit=1")
        .await
        .expect(429);
    tokio::time::sleep(Duration::from_millis(320)).await;
    get(&emu, ALPHA, "/v1/transcriptions?limit=1")
        .await
        .expect(200);
    let s = emu.stats();
    assert!(s.max_in_window("key_alpha_pro", SURFACE_DATA, Duration::from_millis(300)) <= 3);
}

#[tokio::test]
async fn server_errors_and_unknown_routes() {
    let emu = start(Config::specala()).await;
    emu.inject(Fault::status(
        "GET /v1/transcriptions",
        1,
        503,
        r#"{"detail":"Service Unavailable"}"#,
    ));
    let a = get(&emu, ALPHA, "/v1/transcriptions").await.expect(503);
    assert_eq!(a.content_type(), "application/json");
    get(&emu, ALPHA, "/v1/transcriptions").await.expect(200);
    let a = get(&emu, ALPHA, "/v1/nothing").await.expect(404);
    assert_eq!(a.json(), json!({"detail": "Not Found"}));
    let a = send(
        client()
            .put(format!("{}/v1/keys", emu.url()))
            .bearer_auth(ALPHA),
    )
    .await;
    a.expect(405);
}
