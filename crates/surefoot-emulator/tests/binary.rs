//! The `surefoot-emulator` binary: URL alone on the first stdout line, keys (never their
//! values) after it, serving until killed.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{client, send};
use serde_json::json;

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(args: &[&str]) -> (Child, String, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_surefoot-emulator"))
        .args(args)
        .env_remove("SUREFOOT_EMULATOR_MINIMAL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let child = Child(child);
    let mut lines = BufReader::new(stdout).lines();
    let url = lines.next().unwrap().unwrap();
    let mut keys = Vec::new();
    // Key lines follow at once; read as many as the API has.
    let expected = if args.contains(&"pyai") { 7 } else { 3 };
    for _ in 0..expected {
        keys.push(lines.next().unwrap().unwrap());
    }
    (child, url, keys)
}

#[tokio::test]
async fn pyai_binary_prints_url_then_keys_and_serves() {
    let (_child, url, keys) = spawn(&[
        "--api",
        "pyai",
        "--port",
        "0",
        "--rate-limit",
        "2/s",
        "--burst",
        "1",
    ]);
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.ends_with('/'),
        "{url}"
    );
    assert!(keys[0].starts_with("key id=key_full "), "{keys:?}");
    for value in [
        "pyai_sk_full_0001",
        "pyai_sk_readonly_0002",
        "pyai_pk_web_0003",
        "pyai_sk_sandbox_0004",
        "pyai_sk_budget_0005",
        "pyai_sk_broke_0006",
        "pyai_sk_quota_0007",
    ] {
        assert!(
            keys.iter().all(|k| !k.contains(value)),
            "a key value was printed: {keys:?}"
        );
    }
    assert!(keys
        .iter()
        .any(|k| k.contains("origins=https://app.example.com")));

    let create = || {
        client()
            .post(format!("{url}/v1/transcription/jobs"))
            .bearer_auth("pyai_sk_full_0001")
            .json(&json!({"audio_url": "https://a.example/x.wav"}))
    };
    send(create()).await.expect(201);
    let a = send(create()).await.expect(429); // burst 1
    assert_eq!(a.header("retry-after"), Some("1"));
    let stats = send(client().get(format!("{url}/__emulator/stats")))
        .await
        .expect(200);
    assert_eq!(stats.json()["jobs_created"], 1);
}

#[tokio::test]
async fn specala_binary_honours_limit_flags() {
    let (_child, url, keys) = spawn(&[
        "--api",
        "specala",
        "--data-limit",
        "2/min",
        "--retry-after",
        "--transcriptions",
        "5",
    ]);
    assert!(keys
        .iter()
        .any(|k| k.contains("id=key_alpha_free") && k.contains("plan=free")));
    assert!(
        keys.iter().all(|k| !k.contains("spk_")),
        "a key value was printed: {keys:?}"
    );
    let list = || {
        client()
            .get(format!("{url}/v1/transcriptions"))
            .bearer_auth("spk_alpha_pro_0001")
    };
    let page = send(list()).await.expect(200).json();
    assert_eq!(page["data"].as_array().unwrap().len(), 5);
    send(list()).await.expect(200);
    let a = send(list()).await.expect(429);
    assert!(a.header("retry-after").is_some());
}

#[test]
fn bad_flags_exit_with_an_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_surefoot-emulator"))
        .args(["--api", "pyai", "--rate-limit", "fast"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let out = Command::new(env!("CARGO_BIN_EXE_surefoot-emulator"))
        .output()
        .unwrap();
    assert!(!out.status.success(), "--api is required");
}

#[tokio::test]
async fn minimal_flag_and_variable_switch_the_answer_form() {
    let (_child, url, _) = spawn(&["--api", "pyai", "--port", "0", "--minimal"]);
    let list = send(
        client()
            .get(format!("{url}/v1/transcription/jobs"))
            .bearer_auth("pyai_sk_full_0001"),
    )
    .await
    .expect(200)
    .json();
    assert_eq!(
        list,
        json!({"object": "list", "has_more": false, "data": []})
    );

    let mut child = Command::new(env!("CARGO_BIN_EXE_surefoot-emulator"))
        .args(["--api", "specala", "--port", "0", "--transcriptions", "1"])
        .env("SUREFOOT_EMULATOR_MINIMAL", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _child = Child(child);
    // Kept open (and read to the end of the key lines) while the emulator serves.
    let mut lines = BufReader::new(stdout).lines();
    let url = lines.next().unwrap().unwrap();
    for _ in 0..3 {
        lines.next().unwrap().unwrap();
    }
    let list = send(
        client()
            .get(format!("{url}/v1/transcriptions"))
            .bearer_auth("spk_alpha_pro_0001"),
    )
    .await
    .expect(200)
    .json();
    assert_eq!(list["data"][0].as_object().unwrap().len(), 2, "{list}");
    assert!(list.get("next_cursor").is_none(), "{list}");
}
