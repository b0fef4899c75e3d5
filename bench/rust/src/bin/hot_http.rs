//! `hot_http`: one process of `bench/redis_deploy.py`'s hot key through HTTP — a surefoot
//! client sending GETs on one API key to a loopback server (nginx), its pacing on the
//! store under test, so what is measured is a request as a user makes it: the pacing
//! decision (a Redis script call, or the in-process schedule) plus the HTTP exchange.
//!
//! Usage: `hot_http BASE_URL STORE SECONDS RATE LIMIT BURST`; prints `ready`, waits for a
//! line on stdin, runs, prints one JSON line (requests, ok, failed, seconds, latency
//! percentiles in ms, the store's local fallback decisions).
//!
//! * STORE: `none` (pacing off), `memory` (the in-process store) or a store URL.
//! * RATE: requests per second this process offers, each at its own time (open loop:
//!   request i starts at i / RATE s, whatever the earlier ones take); 0 for a closed loop
//!   of 8 tasks sending as fast as the pacing lets them.
//! * LIMIT, BURST: the key's rate limit given to the client (per second).

use std::io::BufRead;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use surefoot::pacing::{PacingStore, RedisStore};
use surefoot::{Client, RateLimit};

fn pct(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

struct Tally {
    lat: Vec<f64>,
    failed: u64,
}

async fn one(client: &Client, tally: &Mutex<Tally>) {
    let t = Instant::now();
    let ok = match client.get("/v1/items").send().await {
        Ok(r) => r.status().is_success(),
        Err(e) => {
            eprintln!("failed: {}", e.code());
            false
        }
    };
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    let mut g = tally.lock().unwrap();
    if ok {
        g.lat.push(ms);
    } else {
        g.failed += 1;
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (base, store_arg) = (args[1].clone(), args[2].clone());
    let seconds: f64 = args[3].parse().unwrap();
    let rate: f64 = args[4].parse().unwrap();
    let limit = RateLimit::per_second(args[5].parse().unwrap()).burst(args[6].parse().unwrap());
    let mut b = Client::builder()
        .base_url(&base)
        .api_key("bench-hot-key")
        .max_retries(5);
    let mut redis = None;
    match store_arg.as_str() {
        "none" => b = b.disable_pacing(),
        "memory" => b = b.rate_limit(limit),
        url => {
            let store = Arc::new(RedisStore::connect(url).expect("store URL"));
            assert!(
                store.wait_available(Duration::from_secs(10)).await,
                "Redis not answering"
            );
            redis = Some(store.clone());
            b = b
                .rate_limit(limit)
                .pacing_store(store as Arc<dyn PacingStore>);
        }
    }
    let client = Arc::new(b.build().expect("client"));
    // One request first: the connection to the server is made before the clock starts.
    let warm = Mutex::new(Tally {
        lat: Vec::new(),
        failed: 0,
    });
    one(&client, &warm).await;
    println!("ready");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).unwrap();
    let tally = Arc::new(Mutex::new(Tally {
        lat: Vec::new(),
        failed: 0,
    }));
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(seconds);
    let mut handles = Vec::new();
    if rate > 0.0 {
        let mut i = 0u64;
        loop {
            let due = start + Duration::from_secs_f64(i as f64 / rate);
            if due >= end {
                break;
            }
            tokio::time::sleep_until(due.into()).await;
            let (client, tally) = (client.clone(), tally.clone());
            handles.push(tokio::spawn(async move { one(&client, &tally).await }));
            i += 1;
        }
    } else {
        for _ in 0..8 {
            let (client, tally) = (client.clone(), tally.clone());
            handles.push(tokio::spawn(async move {
                while Instant::now() < end {
                    one(&client, &tally).await;
                }
            }));
        }
    }
    for h in handles {
        h.await.unwrap();
    }
    let wall = start.elapsed().as_secs_f64();
    let g = tally.lock().unwrap();
    let mut lat = g.lat.clone();
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "{}",
        json!({
            "ok": lat.len(), "failed": g.failed, "seconds": wall,
            "p50_ms": pct(&lat, 0.5), "p99_ms": pct(&lat, 0.99),
            "fallbacks": redis.map_or(0, |s| s.fallback_decisions()),
        })
    );
}
