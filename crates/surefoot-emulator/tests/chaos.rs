//! Chaos mode over real loopback connections: each kind of seeded random fault does what
//! it says (one kind at a time, probability 1), the admin routes configure and report it,
//! explicit faults still come first, and jobs processed before a drop or a truncation exist.

mod common;

use std::time::{Duration, Instant};

use common::{client, send};
use serde_json::{json, Value};
use surefoot_emulator::{Chaos, Config, Emulator, CHAOS_503, CHAOS_DROPPED, CHAOS_SLOW};

fn only(kind: &str) -> Value {
    let mut c = json!({"seed": 5, "p_503": 0.0, "p_reset": 0.0, "p_dropped": 0.0,
                       "p_truncated": 0.0, "p_slow": 0.0, "p_storm": 0.0,
                       "slow_ms": 600, "storm_ms": 1500});
    c[kind] = json!(1.0);
    c
}

fn create(url: &str, key: &str) -> reqwest::RequestBuilder {
    client()
        .post(format!("{url}/v1/transcription/jobs"))
        .bearer_auth("pyai_sk_full_0001")
        .header("Idempotency-Key", key)
        .json(&json!({"audio_url": "https://a.example/x.wav"}))
}

#[tokio::test]
async fn each_kind_of_fault_over_loopback() {
    let emu = Emulator::start(Config::pyai().no_rate_limits())
        .await
        .unwrap();
    let admin = format!("{}/__emulator/chaos", emu.url());

    send(client().post(&admin).json(&only("p_503")))
        .await
        .expect(201);
    let a = send(create(&emu.url(), "k1")).await.expect(503);
    assert_eq!(a.envelope_code(), "service_unavailable");

    send(client().post(&admin).json(&only("p_reset")))
        .await
        .expect(201);
    assert!(create(&emu.url(), "k2").send().await.is_err(), "reset");
    assert_eq!(emu.stats().jobs_created, 0, "nothing processed yet");

    // Processed, then dropped: the job exists, and the same key replays it.
    send(client().post(&admin).json(&only("p_dropped")))
        .await
        .expect(201);
    assert!(create(&emu.url(), "k3").send().await.is_err(), "dropped");
    assert_eq!(emu.stats().jobs_created, 1);

    // Processed, then cut off mid-body.
    send(client().post(&admin).json(&only("p_truncated")))
        .await
        .expect(201);
    let r = create(&emu.url(), "k4").send().await.unwrap();
    assert!(r.text().await.is_err(), "truncated body");
    assert_eq!(emu.stats().jobs_created, 2);

    // Half the body, a 600 ms stall, the rest.
    send(client().post(&admin).json(&only("p_slow")))
        .await
        .expect(201);
    let t0 = Instant::now();
    let a = send(create(&emu.url(), "k3")).await.expect(201);
    assert!(t0.elapsed() >= Duration::from_millis(600));
    assert_eq!(a.header("idempotent-replayed"), Some("true"));
    assert_eq!(emu.stats().jobs_created, 2);

    // A storm: every request is a 429 with Retry-After until it ends.
    send(client().post(&admin).json(&only("p_storm")))
        .await
        .expect(201);
    for _ in 0..3 {
        let a = send(create(&emu.url(), "k5")).await.expect(429);
        assert_eq!(a.envelope_code(), "rate_limit_exceeded");
        // 1.5 s storm: the seconds left, rounded up.
        assert!(
            matches!(a.header("retry-after"), Some("1" | "2")),
            "{:?}",
            a.headers
        );
    }
    let report = send(client().get(&admin)).await.expect(200).json();
    assert_eq!(report["requests"], 3);
    assert_eq!(report["injected"]["storms"], 1);
    assert_eq!(report["injected"]["storm_429"], 3);

    // Off: the last report comes back, requests pass again, admin routes were never faulted.
    let last = send(client().delete(&admin)).await.expect(200).json();
    assert_eq!(last["injected"]["storm_429"], 3);
    send(create(&emu.url(), "k6")).await.expect(201);
    assert_eq!(emu.chaos_report().config, None);
}

#[tokio::test]
async fn explicit_faults_fire_first_and_the_handle_reports() {
    let emu = Emulator::start(Config::pyai().no_rate_limits())
        .await
        .unwrap();
    emu.set_chaos(Some(Chaos {
        p_503: 1.0,
        p_storm: 0.0,
        ..Chaos::seeded(1)
    }));
    emu.inject(surefoot_emulator::Fault::drop_after_processing("*", 1));
    assert!(create(&emu.url(), "a").send().await.is_err());
    send(create(&emu.url(), "a")).await.expect(503);
    let r = emu.chaos_report();
    assert_eq!(r.requests, 1, "the explicit fault's request drew nothing");
    assert_eq!(r.injected[CHAOS_503], 1);
    assert!(!r.injected.contains_key(CHAOS_DROPPED));
    assert!(!r.injected.contains_key(CHAOS_SLOW));
}

#[tokio::test]
async fn invalid_configurations_are_refused() {
    let emu = Emulator::start(Config::specala()).await.unwrap();
    let admin = format!("{}/__emulator/chaos", emu.url());
    send(
        client()
            .post(&admin)
            .json(&json!({"p_503": 0.7, "p_reset": 0.7})),
    )
    .await
    .expect(400);
    send(client().post(&admin).body("nope")).await.expect(400);
    assert_eq!(emu.chaos_report().config, None);
    // Specala's own body shapes.
    send(client().post(&admin).json(&only("p_503")))
        .await
        .expect(201);
    let a = send(
        client()
            .get(format!("{}/v1/transcriptions", emu.url()))
            .bearer_auth("spk_alpha_pro_0001"),
    )
    .await
    .expect(503);
    assert!(a.json()["detail"].is_string());
}
