//! `make demo`: both workflows surefoot exists for, on the embedded emulators, with trouble
//! injected — export every transcription (Specala) and submit a thousand jobs exactly once
//! (PyAI) — then a summary: failed items, duplicate jobs, time against the ideal the rate
//! limit allows.

use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use surefoot::pyai::CreateJob;
use surefoot::specala::Format;
use surefoot::RateLimit;
use surefoot_emulator::{Config, Emulator, Fault, FaultAction};

const TRANSCRIPTIONS: usize = 2_000;
const JOBS: usize = 1_000;
const JOB_RATE: u32 = 100; // PyAI emulator: 100 requests/s, burst 10
const WORKERS: usize = 16;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("surefoot demo — two emulators on loopback, scaled-down limits, injected trouble\n");

    // Specala, with its 500/min data limit scaled to 50 per second.
    let specala = Emulator::start(
        Config::specala()
            .transcriptions_per_workspace(TRANSCRIPTIONS)
            .data_limit(50, Duration::from_secs(1)),
    )
    .await?;
    specala.inject(Fault::status("POST /v1/transcriptions/export", 3, 503, ""));
    specala.inject(Fault::new(
        "GET /v1/transcriptions",
        1,
        FaultAction::Html { status: 502 },
    ));
    let client = surefoot::specala::Client::builder()
        .base_url(specala.url())
        .api_key("spk_alpha_pro_0001")
        .rate_limit(RateLimit::per_second(50))
        .build_specala()?;

    let started = Instant::now();
    let listed: Vec<_> = client
        .transcriptions()
        .list()
        .limit(100)
        .prefetch(true)
        .try_collect()
        .await?;
    let ids: Vec<String> = listed.iter().map(|t| t.id.clone()).collect();
    let docs = client
        .transcriptions()
        .bulk_export(&ids, Format::Md)
        .await?;
    let export_time = started.elapsed();
    let s = serde_json::to_value(specala.stats())?;
    println!(
        "Specala export: {} transcriptions listed, {} documents exported in {:.2}s",
        listed.len(),
        docs.len(),
        export_time.as_secs_f64()
    );
    println!("  requests: {} (20 list pages + 20 bulk exports, never one per transcription), 429s: {}, faults survived: {}",
        total(&s), s["rate_limited"], s["faults_fired"]);

    // PyAI at 100 requests/s, with 503s, dropped connections after processing, and a 429 storm.
    let pyai = Emulator::start(Config::pyai().rate_limit(JOB_RATE as f64, 10)).await?;
    let route = "POST /v1/transcription/jobs";
    pyai.inject(Fault::status(
        route,
        20,
        503,
        r#"{"error":{"message":"busy","type":"server_error","code":"overloaded","param":null}}"#,
    ));
    pyai.inject(Fault::drop_after_processing(route, 10));
    pyai.inject(Fault::new(route, 30, FaultAction::Status {
        status: 429,
        body: r#"{"error":{"message":"Rate limit exceeded.","type":"rate_limit_error","code":"rate_limit_exceeded","param":null}}"#.into(),
        content_type: Some("application/json".into()),
        headers: vec![("Retry-After".into(), "1".into())],
    }));
    let jobs = surefoot::pyai::Client::builder()
        .base_url(pyai.url())
        .api_key("pyai_sk_full_0001")
        .rate_limit(RateLimit::per_second(JOB_RATE).burst(10))
        .max_retries(5)
        .build_pyai()?;

    let started = Instant::now();
    let results: Vec<_> = futures::stream::iter(0..JOBS)
        .map(|i| {
            let jobs = jobs.clone();
            async move {
                jobs.jobs()
                    .create(
                        CreateJob::new(format!("https://example.com/audio/{i}.wav"))
                            .idempotency_key(format!("demo-line-{i}")),
                    )
                    .await
            }
        })
        .buffer_unordered(WORKERS)
        .collect()
        .await;
    let submit_time = started.elapsed();
    let failed = results.iter().filter(|r| r.is_err()).count();
    let p = serde_json::to_value(pyai.stats())?;
    let created = p["jobs_created"].as_u64().unwrap_or(0);
    let ideal = JOBS as f64 / JOB_RATE as f64;
    println!("\nPyAI submit: {JOBS} jobs from {WORKERS} workers in {:.2}s (ideal at {JOB_RATE}/s: {ideal:.2}s, ratio {:.2})",
        submit_time.as_secs_f64(), submit_time.as_secs_f64() / ideal);
    println!("  requests: {}, 429s: {} (limiter {} + injected storm), duplicates avoided by idempotent replay: {}",
        total(&p), count_status(&p, 429), p["rate_limited"], p["idempotent_replays"]);
    println!(
        "\nSummary: failed items: {}, duplicate jobs: {}",
        failed,
        created.saturating_sub(JOBS as u64)
    );
    for r in results.iter().filter_map(|r| r.as_ref().err()).take(5) {
        println!("  failed: {r}");
    }
    if failed != 0 || created != JOBS as u64 || docs.len() != TRANSCRIPTIONS {
        return Err("the demo did not finish clean".into());
    }
    Ok(())
}

fn total(stats: &serde_json::Value) -> u64 {
    stats["requests"]
        .as_object()
        .map(|routes| {
            routes
                .values()
                .flat_map(|m| m.as_object().into_iter().flat_map(|m| m.values()))
                .filter_map(|v| v.as_u64())
                .sum()
        })
        .unwrap_or(0)
}

fn count_status(stats: &serde_json::Value, status: u16) -> u64 {
    let key = status.to_string();
    stats["requests"]
        .as_object()
        .map(|routes| {
            routes
                .values()
                .filter_map(|m| m.get(&key))
                .filter_map(|v| v.as_u64())
                .sum()
        })
        .unwrap_or(0)
}
