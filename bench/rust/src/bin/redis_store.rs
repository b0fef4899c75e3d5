//! `redis_store`: one process of `bench/redis_deploy.py`, driving surefoot's Redis pacing
//! store directly (`PacingStore::reserve`, one decision = one script call), so what is
//! measured is the store and Redis, not HTTP.
//!
//! Usage: `redis_store MODE STORE_URL ARG...`; prints `ready`, waits for a line on stdin,
//! runs, prints one JSON line.
//!
//! * `tenants URL FIRST COUNT TASKS`: one decision on each of COUNT API keys
//!   (`tenant-FIRST` …), from TASKS tasks: decisions, seconds, latency percentiles.
//! * `hot URL SECONDS TASKS`: decisions on one API key (limit 1,000,000/s, so none waits)
//!   from TASKS tasks for SECONDS: decisions, latency percentiles.

use std::io::BufRead;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use surefoot::pacing::{key_name, PacingStore, RedisStore, Reservation};
use surefoot::RateLimit;

fn pct(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (mode, url) = (args[1].clone(), args[2].clone());
    let store = Arc::new(RedisStore::connect(&url).expect("store URL"));
    assert!(
        store.wait_available(Duration::from_secs(10)).await,
        "Redis not answering"
    );
    let limit = match mode.as_str() {
        "tenants" => RateLimit::parse("10/s").unwrap(),
        _ => RateLimit::parse("1000000/s").unwrap(),
    };
    let tasks: usize = args.last().unwrap().parse().unwrap();
    let (first, count, seconds) = match mode.as_str() {
        "tenants" => (args[3].parse().unwrap(), args[4].parse().unwrap(), 0.0),
        "hot" => (0usize, usize::MAX, args[3].parse::<f64>().unwrap()),
        other => panic!("unknown mode {other}"),
    };
    println!("ready");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let lat = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let (store, next, lat) = (store.clone(), next.clone(), lat.clone());
        handles.push(tokio::spawn(async move {
            let hot = key_name("bench-hot-key", "https://api.example.com", "data");
            let mut mine = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let key = if count == usize::MAX {
                    if Instant::now() >= deadline {
                        break;
                    }
                    hot.clone()
                } else if i < count {
                    key_name(
                        &format!("tenant-{}", first + i),
                        "https://api.example.com",
                        "data",
                    )
                } else {
                    break;
                };
                let t = Instant::now();
                let r = store.reserve(&key, &limit, None).await;
                mine.push(t.elapsed().as_secs_f64() * 1000.0);
                assert!(matches!(r, Reservation::Go(_)), "{r:?}");
            }
            lat.lock().unwrap().extend(mine);
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let wall = start.elapsed().as_secs_f64();
    let mut lat = lat.lock().unwrap().clone();
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "{}",
        json!({
            "decisions": lat.len(), "seconds": wall, "p50_ms": pct(&lat, 0.5),
            "p99_ms": pct(&lat, 0.99), "fallbacks": store.fallback_decisions(),
        })
    );
}
