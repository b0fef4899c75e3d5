//! Client-side pacing under per-key limits, shared by every client on the same key.

use std::time::{Duration, Instant};

use futures::TryStreamExt;
use surefoot::RateLimit;
use surefoot_emulator::Config;

use crate::common::*;

/// Largest number of accepted requests in any window of `window_ms` milliseconds.
fn max_in_window(mut times: Vec<f64>, window_ms: f64) -> usize {
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mut best = 0;
    let mut start = 0;
    for end in 0..times.len() {
        while times[end] - times[start] >= window_ms {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

fn accepted_times(emu: &surefoot_emulator::EmulatorHandle) -> Vec<f64> {
    let stats = serde_json::to_value(emu.stats()).unwrap();
    let mut out = Vec::new();
    for (_, surfaces) in stats["accepted"].as_object().unwrap() {
        for (_, times) in surfaces.as_object().unwrap() {
            out.extend(
                times
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_f64().unwrap()),
            );
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_tasks_at_20_per_second_meet_no_429() {
    let emu = pyai_with(Config::pyai().rate_limit(20.0, 5)).await;
    let client = builder(&emu, PYAI_KEY)
        .rate_limit(RateLimit::per_second(20).burst(5))
        .build()
        .unwrap();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..16 {
        let client = client.clone();
        let n = if t < 12 { 19 } else { 18 };
        tasks.push(tokio::spawn(async move {
            for _ in 0..n {
                let resp = client
                    .get("/v1/transcription/jobs")
                    .query(&[("limit", 1)])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.attempts(), 1);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let took = started.elapsed();
    assert_eq!(stat(&emu, "rate_limited"), 0, "no 429 in {took:?}");
    let times = accepted_times(&emu);
    assert_eq!(times.len(), 300);
    // 300 requests at 20/s with a burst of 5 cannot be done faster than (300 - 5) / 20 s.
    assert!(
        took >= Duration::from_secs_f64(295.0 / 20.0 * 0.95),
        "{took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn specala_paces_data_and_key_management_separately() {
    // The client paces data at 10 per 500 ms and key management at its documented 180/min
    // (3 per second); the server allows a fifth more of each (10 per 400 ms, 3 per 800 ms):
    // requests paced exactly at a limit can arrive closer together than they were sent on a
    // loaded machine.
    let emu = specala_with(
        Config::specala()
            .transcriptions_per_workspace(10)
            .data_limit(10, Duration::from_millis(400))
            .management_limit(3, Duration::from_millis(800)),
    )
    .await;
    let client = builder(&emu, SPECALA_KEY)
        .rate_limit(RateLimit::new(10, Duration::from_millis(500)))
        .build_specala()
        .unwrap();
    let keys = {
        let client = client.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            for _ in 0..4 {
                client.keys().list().await.unwrap();
            }
            started.elapsed()
        })
    };
    for _ in 0..30 {
        client
            .transcriptions()
            .get("tr_alpha_000001")
            .await
            .unwrap();
    }
    let keys_time = keys.await.unwrap();
    assert_eq!(stat(&emu, "rate_limited"), 0);
    let stats = serde_json::to_value(emu.stats()).unwrap();
    let data: Vec<f64> =
        serde_json::from_value(stats["accepted"]["key_alpha_pro"]["data"].clone()).unwrap();
    let mgmt: Vec<f64> =
        serde_json::from_value(stats["accepted"]["key_alpha_pro"]["management"].clone()).unwrap();
    assert_eq!((data.len(), mgmt.len()), (30, 4));
    let data_span = data.iter().cloned().fold(f64::MIN, f64::max)
        - data.iter().cloned().fold(f64::MAX, f64::min);
    assert!(max_in_window(data, 400.0) <= 10);
    assert!(max_in_window(mgmt, 800.0) <= 3);
    // 4 calls at 3/s need a second; 30 data calls at 20/s need about 1.5 s — not the 10 s
    // they would take at the management pace.
    assert!(keys_time >= Duration::from_millis(950), "{keys_time:?}");
    assert!(data_span < 5000.0, "data calls spread over {data_span} ms");
}

#[tokio::test]
async fn one_429_pauses_every_client_on_the_key() {
    let emu = pyai_with(Config::pyai().rate_limit(2.0, 1)).await;
    // Two clients on the same key and URL share one pacer; neither knows the limit.
    let a = builder(&emu, PYAI_KEY).build().unwrap();
    let b = builder(&emu, PYAI_KEY).build().unwrap();
    a.get("/v1/transcription/jobs").send().await.unwrap();
    let second = tokio::spawn(async move { a.get("/v1/transcription/jobs").send().await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        stat(&emu, "rate_limited"),
        1,
        "a met the 429 (Retry-After: 1)"
    );
    let started = Instant::now();
    b.get("/v1/transcription/jobs").send().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "b waited out the pause a's 429 set: {:?}",
        started.elapsed()
    );
    let resp = second.await.unwrap().unwrap();
    assert_eq!(resp.attempts(), 2);
    assert!(resp.waited() >= Duration::from_millis(900));
}

#[tokio::test]
async fn different_keys_do_not_share_a_pacer() {
    let emu = pyai_with(Config::pyai().no_rate_limits()).await;
    let limited = builder(&emu, PYAI_KEY)
        .rate_limit(RateLimit::per_second(2))
        .build()
        .unwrap();
    let other = builder(&emu, "pyai_sk_readonly_0002")
        .rate_limit(RateLimit::per_second(1000))
        .build()
        .unwrap();
    limited.get("/v1/transcription/jobs").send().await.unwrap();
    let started = Instant::now();
    for _ in 0..5 {
        other.get("/v1/transcription/jobs").send().await.unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "the other key is not held back"
    );
}

/// The surface is judged below the base URL's own path prefix: behind a `/proxy` prefix,
/// key management still paces at 180/min, not at the data surface's 500/min.
#[tokio::test]
async fn the_surface_is_judged_below_a_base_path_prefix() {
    let emu = specala().await;
    let client = surefoot::specala::Client::builder()
        .base_url(format!("{}/proxy", emu.url()))
        .api_key(SPECALA_KEY)
        .max_retries(0)
        .build_specala()
        .unwrap();
    // The emulator serves no /proxy prefix: both calls are 404s, but they are paced first.
    let first = client.keys().list().await.unwrap_err();
    assert_eq!(first.status(), Some(404));
    let second = client.keys().list().await.unwrap_err();
    assert_eq!(second.status(), Some(404));
    // 180/min is one call per 333 ms (500/min would be 120 ms).
    assert!(
        second.waited() >= Duration::from_millis(300),
        "waited {:?}",
        second.waited()
    );
}

#[tokio::test]
async fn a_generic_client_given_surfaces_paces_each_apart() {
    // The Specala emulator counts key management and data apart; a generic client that is
    // only told the surfaces (3/s and 10 per 500 ms) meets neither limit. The server allows a
    // fifth more of each (3 per 800 ms, 10 per 400 ms): requests paced exactly at a limit can
    // arrive closer together than they were sent on a loaded machine.
    let emu = specala_with(
        Config::specala()
            .transcriptions_per_workspace(10)
            .data_limit(10, Duration::from_millis(400))
            .management_limit(3, Duration::from_millis(800)),
    )
    .await;
    let client = builder(&emu, SPECALA_KEY)
        .surface("/v1/keys", Some(RateLimit::new(3, Duration::from_secs(1))))
        .surface("*", Some(RateLimit::new(10, Duration::from_millis(500))))
        .build()
        .unwrap();
    let names: Vec<_> = client
        .pacing()
        .await
        .into_iter()
        .map(|s| (s.surface, s.limit))
        .collect();
    assert_eq!(
        names,
        [
            (
                "default".to_string(),
                Some(RateLimit::new(10, Duration::from_millis(500)))
            ),
            (
                "/v1/keys".to_string(),
                Some(RateLimit::new(3, Duration::from_secs(1)))
            ),
        ]
    );
    let keys = {
        let client = client.clone();
        tokio::spawn(async move {
            for _ in 0..4 {
                client.get("/v1/keys").send().await.unwrap();
            }
        })
    };
    for _ in 0..30 {
        client
            .get("/v1/transcriptions/tr_alpha_000001")
            .send()
            .await
            .unwrap();
    }
    keys.await.unwrap();
    assert_eq!(
        stat(&emu, "rate_limited"),
        0,
        "each surface kept under its limit"
    );
    let stats = serde_json::to_value(emu.stats()).unwrap();
    let data: Vec<f64> =
        serde_json::from_value(stats["accepted"]["key_alpha_pro"]["data"].clone()).unwrap();
    let mgmt: Vec<f64> =
        serde_json::from_value(stats["accepted"]["key_alpha_pro"]["management"].clone()).unwrap();
    assert_eq!((data.len(), mgmt.len()), (30, 4));
    assert!(max_in_window(mgmt, 800.0) <= 3);
    assert!(max_in_window(data, 400.0) <= 10);
}

#[tokio::test]
async fn a_profile_sets_the_list_limit_range() {
    let emu = specala().await;
    let profile = surefoot::profile::Profile::builder("small-pages")
        .list_limit(1, 20)
        .build()
        .unwrap();
    let client = builder(&emu, SPECALA_KEY).profile(profile).build().unwrap();
    let err = client
        .paginate::<serde_json::Value>("/v1/transcriptions")
        .limit(50)
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(err.message(), "limit must be between 1 and 20 (got 50)");
    assert_eq!(total_requests(&emu), 0, "refused before anything was sent");
}
