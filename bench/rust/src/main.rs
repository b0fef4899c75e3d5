//! `surefoot-bench`: one benchmark client run per process, driven by `bench/run.py`.
//!
//! Usage: `surefoot-bench '<spec as JSON>'`. The process sets up (clients built, ids
//! generated), prints `ready`, waits for one line on stdin (the driver injects faults
//! or resets stats meanwhile), runs the measured part, and prints one JSON line: wall
//! and CPU time of the measured part, calls that succeeded and failed, peak and starting
//! RSS, and CLOCK_MONOTONIC timestamps the driver can compare with its own.
//!
//! Clients: `surefoot` (the typed PyAI/Specala clients) and `reqwest` (raw reqwest, the
//! HTTP client surefoot is built on, no retries: the floor for overhead).

use std::future::Future;
use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use serde_json::{json, Value};
use surefoot::specala::Format;
use surefoot::{pyai, specala, RateLimit};

/// CLOCK_MONOTONIC in seconds: the same clock as Python's `time.monotonic()`, so the
/// driver can compare timestamps across processes.
fn mono() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid out-pointer to a timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

fn rusage() -> libc::rusage {
    // SAFETY: rusage is plain data; getrusage fills it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    ru
}

/// User + system CPU time of the whole process (every thread), in seconds.
fn cpu() -> f64 {
    let ru = rusage();
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Peak resident set size of this process image so far (VmHWM), KiB. Not `ru_maxrss`:
/// Linux carries that over `execve` from the forking parent (the Python driver).
fn maxrss_kb() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Current resident set size, KiB.
fn rss_kb() -> i64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: i64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as i64;
    pages * page / 1024
}

fn rate_limit(spec: &Value) -> Option<RateLimit> {
    let r = spec.get("rate")?;
    if r.is_null() {
        return None;
    }
    let requests = r["requests"].as_u64().unwrap_or(1) as u32;
    let per = r["per"].as_f64().unwrap_or(1.0);
    let burst = r["burst"].as_u64().unwrap_or(1) as u32;
    Some(RateLimit::new(requests, Duration::from_secs_f64(per)).burst(burst))
}

fn pyai_client(spec: &Value) -> pyai::Client {
    let mut b = pyai::Client::builder()
        .base_url(spec["url"].as_str().unwrap())
        .api_key(spec["key"].as_str().unwrap());
    if let Some(r) = rate_limit(spec) {
        b = b.rate_limit(r);
    }
    b.build_pyai().expect("surefoot PyAI client")
}

fn specala_client(spec: &Value, pacing: bool) -> specala::Client {
    let mut b = specala::Client::builder()
        .base_url(spec["url"].as_str().unwrap())
        .api_key(spec["key"].as_str().unwrap());
    if let Some(r) = rate_limit(spec) {
        b = b.rate_limit(r);
    }
    if !pacing {
        b = b.disable_pacing();
    }
    b.build_specala().expect("surefoot Specala client")
}

/// Runs `n` calls of `call(i)` on `workers` tasks pulling from one counter; returns
/// (succeeded, failed, the time the last worker finished).
async fn pool<F, Fut>(n: usize, workers: usize, call: F) -> (u64, u64, f64)
where
    F: Fn(usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..workers.max(1) {
        let next = next.clone();
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut failed) = (0u64, 0u64);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                if call(i).await {
                    ok += 1;
                } else {
                    failed += 1;
                }
            }
            (ok, failed, mono())
        }));
    }
    let (mut ok, mut failed, mut last) = (0, 0, 0.0f64);
    for t in tasks {
        let (o, f, l) = t.await.expect("worker task");
        ok += o;
        failed += f;
        last = last.max(l);
    }
    (ok, failed, last)
}

fn wait_for_go() {
    println!("ready");
    std::io::stdout().flush().ok();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok();
}

fn ids(n: usize, workspace_size: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("tr_alpha_{:06}", i % workspace_size.max(1)))
        .collect()
}

#[tokio::main]
async fn main() {
    let arg = std::env::args()
        .nth(1)
        .expect("usage: surefoot-bench '<spec JSON>'");
    let spec: Value = serde_json::from_str(&arg).expect("spec is JSON");
    let bench = spec["bench"].as_str().unwrap_or_default().to_string();
    let client = spec["client"].as_str().unwrap_or("surefoot").to_string();
    let n = spec["n"].as_u64().unwrap_or(0) as usize;
    let workers = spec["concurrency"].as_u64().unwrap_or(1) as usize;
    let url = spec["url"].as_str().unwrap_or_default().to_string();
    let key = spec["key"].as_str().unwrap_or_default().to_string();
    let mut extra = json!({});

    let rss_before;
    let (t0, c0, ok, failed, last_done);
    match (bench.as_str(), client.as_str()) {
        ("overhead", "surefoot") => {
            let c = Arc::new(pyai_client(&spec));
            let id = spec["job_id"].as_str().unwrap().to_string();
            let call = {
                let (c, id) = (c.clone(), id.clone());
                move |_i: usize| {
                    let (c, id) = (c.clone(), id.clone());
                    async move { c.jobs().get(&id).await.is_ok() }
                }
            };
            pool(
                spec["warmup"].as_u64().unwrap_or(0) as usize,
                workers,
                call.clone(),
            )
            .await;
            wait_for_go();
            rss_before = rss_kb();
            (t0, c0) = (mono(), cpu());
            (ok, failed, last_done) = pool(n, workers, call).await;
        }
        ("overhead", "reqwest") => {
            let http = reqwest::Client::new();
            let target = format!(
                "{url}/v1/transcription/jobs/{}",
                spec["job_id"].as_str().unwrap()
            );
            let call = move |_i: usize| {
                let (http, target, key) = (http.clone(), target.clone(), key.clone());
                async move {
                    match http.get(&target).bearer_auth(&key).send().await {
                        Ok(r) if r.status().is_success() => r.json::<Value>().await.is_ok(),
                        _ => false,
                    }
                }
            };
            pool(
                spec["warmup"].as_u64().unwrap_or(0) as usize,
                workers,
                call.clone(),
            )
            .await;
            wait_for_go();
            rss_before = rss_kb();
            (t0, c0) = (mono(), cpu());
            (ok, failed, last_done) = pool(n, workers, call).await;
        }
        ("goodput", "surefoot") => {
            let api = spec["api"].as_str().unwrap_or("pyai").to_string();
            let call: Box<
                dyn Fn(usize) -> futures::future::BoxFuture<'static, bool> + Send + Sync,
            > = if api == "pyai" {
                let c = Arc::new(pyai_client(&spec));
                Box::new(move |i| {
                    let c = c.clone();
                    Box::pin(async move {
                        let job =
                            pyai::CreateJob::new(format!("https://example.com/bench/{i}.wav"));
                        c.jobs().create(job).await.is_ok()
                    })
                })
            } else {
                let c = Arc::new(specala_client(&spec, true));
                let all = Arc::new(ids(
                    n,
                    spec["workspace_size"].as_u64().unwrap_or(3000) as usize,
                ));
                Box::new(move |i| {
                    let (c, all) = (c.clone(), all.clone());
                    Box::pin(async move { c.transcriptions().get(&all[i]).await.is_ok() })
                })
            };
            let call = Arc::new(call);
            wait_for_go();
            rss_before = rss_kb();
            (t0, c0) = (mono(), cpu());
            (ok, failed, last_done) = pool(n, workers, move |i| {
                let call = call.clone();
                async move { call(i).await }
            })
            .await;
        }
        ("paginate", "surefoot") => {
            let prefetch = spec["prefetch"].as_bool().unwrap_or(false);
            let c = specala_client(&spec, false);
            wait_for_go();
            rss_before = rss_kb();
            (t0, c0) = (mono(), cpu());
            let mut items = c.transcriptions().list().limit(100).prefetch(prefetch);
            let (mut count, mut chars, mut failures) = (0u64, 0usize, 0u64);
            loop {
                match items.try_next().await {
                    Ok(Some(t)) => {
                        count += 1;
                        chars += t.title().map_or(0, str::len);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        eprintln!("pagination failed: {e}");
                        failures += 1;
                        break;
                    }
                }
            }
            extra = json!({ "items": count, "chars": chars });
            (ok, failed, last_done) = (count, failures, mono());
        }
        ("bulk", "surefoot") => {
            let c = specala_client(&spec, true);
            let all = ids(n, spec["workspace_size"].as_u64().unwrap_or(3000) as usize);
            let mode = spec["mode"].as_str().unwrap_or("bulk").to_string();
            wait_for_go();
            rss_before = rss_kb();
            (t0, c0) = (mono(), cpu());
            let mut bytes = 0usize;
            if mode == "bulk" {
                match c.transcriptions().bulk_export(&all, Format::Md).await {
                    Ok(docs) => {
                        bytes = docs.iter().map(|d| d.content().len()).sum();
                        (ok, failed) = (docs.len() as u64, 0);
                    }
                    Err(e) => {
                        eprintln!("bulk export failed: {e}");
                        (ok, failed) = (0, all.len() as u64);
                    }
                }
            } else {
                let (mut o, mut f) = (0, 0);
                for id in &all {
                    match c.transcriptions().export(id, Format::Md).await {
                        Ok(doc) => {
                            bytes += doc.len();
                            o += 1;
                        }
                        Err(_) => f += 1,
                    }
                }
                (ok, failed) = (o, f);
            }
            extra = json!({ "bytes": bytes });
            last_done = mono();
        }
        ("outage", "surefoot") => {
            let clients: Vec<pyai::Client> = (0..spec["clients"].as_u64().unwrap_or(64))
                .map(|_| pyai_client(&spec))
                .collect();
            let items = spec["items"].as_u64().unwrap_or(1) as usize;
            let id = spec["job_id"].as_str().unwrap().to_string();
            wait_for_go();
            rss_before = rss_kb();
            (t0, c0) = (mono(), cpu());
            let mut tasks = Vec::new();
            for c in clients {
                let id = id.clone();
                tasks.push(tokio::spawn(async move {
                    let (mut o, mut f) = (0u64, 0u64);
                    for _ in 0..items {
                        if c.jobs().get(&id).await.is_ok() {
                            o += 1;
                        } else {
                            f += 1;
                        }
                    }
                    (o, f, mono())
                }));
            }
            let (mut o, mut f, mut l) = (0, 0, 0.0f64);
            for t in tasks {
                let (a, b, c) = t.await.expect("client task");
                o += a;
                f += b;
                l = l.max(c);
            }
            (ok, failed, last_done) = (o, f, l);
        }
        (b, c) => panic!("unknown benchmark/client {b}/{c}"),
    }
    let (t1, c1) = (mono(), cpu());
    let mut out = json!({
        "wall_s": t1 - t0,
        "cpu_s": c1 - c0,
        "ok": ok,
        "failed": failed,
        "t_start": t0,
        "t_end": t1,
        "last_done": last_done,
        "rss_before_kb": rss_before,
        "maxrss_kb": maxrss_kb(),
    });
    if let (Some(o), Some(e)) = (out.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    println!("{out}");
}
