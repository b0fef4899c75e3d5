//! The admin API and the control surfaces: stats JSON equal to `EmulatorHandle::stats`,
//! stats reset, keys listing, request ids on admin answers, the blocking emulator, and
//! shutdown.

mod common;

use std::time::Duration;

use common::{client, send};
use serde_json::json;
use surefoot_emulator::{start_blocking, Config, Emulator, Stats};

#[tokio::test]
async fn stats_json_matches_the_handle() {
    let emu = Emulator::start(Config::pyai().no_rate_limits())
        .await
        .unwrap();
    send(
        client()
            .post(format!("{}/v1/transcription/jobs", emu.url()))
            .bearer_auth("pyai_sk_full_0001")
            .json(&json!({"audio_url": "https://a.example/x.wav"})),
    )
    .await
    .expect(201);
    send(
        client()
            .get(format!("{}/v1/transcription/jobs/job_x", emu.url()))
            .bearer_auth("pyai_sk_full_0001"),
    )
    .await
    .expect(404);

    let a = send(client().get(format!("{}/__emulator/stats", emu.url())))
        .await
        .expect(200);
    let over_http: Stats = serde_json::from_str(&a.text).unwrap();
    let mut local = emu.stats();
    // Floats may come back one ULP off through JSON; compare them with a tolerance.
    let (mut http_cmp, local_accepted) = (over_http.clone(), std::mem::take(&mut local.accepted));
    let http_accepted = std::mem::take(&mut http_cmp.accepted);
    local.uptime_ms = http_cmp.uptime_ms;
    assert_eq!(http_cmp, local);
    assert_eq!(http_accepted.len(), local_accepted.len());
    for (key, surfaces) in &local_accepted {
        for (surface, ts) in surfaces {
            let other = &http_accepted[key][surface];
            assert_eq!(ts.len(), other.len());
            assert!(ts.iter().zip(other).all(|(a, b)| (a - b).abs() < 1e-6));
        }
    }
    assert_eq!(
        over_http.total_requests, 2,
        "admin requests are not counted"
    );
    assert_eq!(over_http.count("POST /v1/transcription/jobs", "201"), 1);
    assert_eq!(over_http.count("GET /v1/transcription/jobs/{id}", "404"), 1);
    assert_eq!(over_http.accepted_on("key_full", "data").len(), 2);
    let v = a.json();
    for field in [
        "requests",
        "rate_limited",
        "jobs_created",
        "idempotent_replays",
        "idempotency_conflicts",
        "max_realtime_concurrency",
        "open_realtime_sessions",
        "accepted",
        "keys_created",
        "keys_revoked",
        "faults_fired",
    ] {
        assert!(v.get(field).is_some(), "{field} in {v}");
    }
    assert!(
        !a.text.contains("pyai_sk_full_0001"),
        "stats never show key values"
    );

    send(client().post(format!("{}/__emulator/stats/reset", emu.url())))
        .await
        .expect(204);
    let s = emu.stats();
    assert_eq!(s.total_requests, 0);
    assert_eq!(s.jobs_created, 0);
    assert!(s.accepted.is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn keys_and_health_endpoints() {
    let emu = Emulator::start(Config::specala()).await.unwrap();
    let a = send(client().get(format!("{}/__emulator/keys", emu.url())))
        .await
        .expect(200);
    let v = a.json();
    assert_eq!(v["api"], "specala");
    let ids: Vec<&str> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["key_alpha_pro", "key_beta_pro", "key_alpha_free"]);
    assert_eq!(v["data"][0]["value"], "spk_alpha_pro_0001");
    assert_eq!(v["data"][0]["workspace"], "ws_alpha");
    assert_eq!(v["data"][2]["plan"], "free");
    assert_eq!(emu.keys().len(), 3);
    let a = send(client().get(format!("{}/__emulator/health", emu.url())))
        .await
        .expect(200);
    assert_eq!(a.json(), json!({"ok": true, "api": "specala"}));
}

#[tokio::test]
async fn stats_reset_keeps_open_sessions_as_the_new_maximum() {
    let emu = Emulator::start(Config::pyai().no_rate_limits())
        .await
        .unwrap();
    send(
        client()
            .post(format!("{}/v1/realtime/sessions", emu.url()))
            .bearer_auth("pyai_sk_full_0001")
            .json(&json!({"agent_id": "a"})),
    )
    .await
    .expect(201);
    emu.reset_stats();
    let s = emu.stats();
    assert_eq!(s.open_realtime_sessions, 1);
    assert_eq!(s.max_realtime_concurrency.overall, 1);
    assert_eq!(s.max_realtime_concurrency.per_key["key_full"], 1);
    assert_eq!(s.realtime_sessions_opened, 0);
}

#[tokio::test]
async fn shutdown_frees_the_port() {
    let emu = Emulator::start(Config::specala()).await.unwrap();
    let addr = emu.addr();
    assert_eq!(emu.url(), format!("http://{addr}"));
    assert!(!emu.url().ends_with('/'));
    emu.shutdown().await;
    let r = client()
        .get(format!("http://{addr}/__emulator/health"))
        .send()
        .await;
    assert!(r.is_err());
    // Dropping a handle stops it too.
    let emu = Emulator::start(Config::specala()).await.unwrap();
    let addr = emu.addr();
    drop(emu);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(client()
        .get(format!("http://{addr}/__emulator/health"))
        .send()
        .await
        .is_err());
}

#[test]
fn blocking_emulator_runs_without_a_runtime() {
    let emu = start_blocking(Config::pyai().rate_limit(2.0, 2)).unwrap();
    assert!(emu.url().starts_with("http://127.0.0.1:"));
    assert_eq!(emu.keys().len(), 7);
    emu.inject(surefoot_emulator::Fault::status(
        "GET /v1/transcription/jobs",
        1,
        500,
        "",
    ));
    let url = emu.url();
    let statuses = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            let mut out = Vec::new();
            for _ in 0..4 {
                let r = client()
                    .get(format!("{url}/v1/transcription/jobs"))
                    .bearer_auth("pyai_sk_full_0001")
                    .send()
                    .await
                    .unwrap();
                out.push(r.status().as_u16());
            }
            out
        });
    assert_eq!(statuses, [500, 200, 200, 429]);
    let s = emu.stats();
    assert_eq!(s.faults_fired, 1);
    assert_eq!(s.rate_limited, 1);
    emu.reset_stats();
    assert_eq!(emu.stats().total_requests, 0);
    emu.clear_faults();
    let addr = emu.addr();
    drop(emu);
    assert!(std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err());
}
