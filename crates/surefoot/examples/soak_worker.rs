//! The Rust worker of the chaos soak (`bench/soak.py` drives it; see bench/README.md):
//! one PyAI and one Specala client shared by N tokio tasks that take items from one
//! counter until `--seconds` have passed or `--items` are taken. Each item is an
//! idempotent job creation (its own idempotency key and `metadata.item`, tried again up to
//! 3 rounds with the same key while `Error::verdict()` says try later), a get of a job
//! created earlier (a list walk while none is), a list walk of up to 3 pages, or a bulk
//! export of 20-150 transcriptions. Prints `{"ready":true}`, then one JSON line: items
//! started, done, failed per error code (and stop reason), wrong answers and the created
//! (item, job id) pairs. The same mix and output as `tests/c/chaos_threads.c` and
//! `bench/soak_worker.py`.
//!
//! ```sh
//! cargo run -p surefoot --example soak_worker -- --pyai URL --specala URL --seconds 10
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use serde_json::json;
use surefoot::pyai::CreateJob;
use surefoot::retry::Verdict;
use surefoot::specala::Format;
use surefoot::{pyai, specala, RateLimit};

const OPS: [&str; 4] = ["create", "get", "list", "bulk_export"];
const ROUNDS: usize = 3;

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[derive(Default)]
struct Books {
    done: u64,
    wrong: u64,
    rounds_again: u64,
    ops: BTreeMap<&'static str, (u64, u64)>,
    failed: BTreeMap<String, u64>,
    created: Vec<(String, String)>,
}

struct Run {
    label: String,
    seed: u64,
    max_items: Option<u64>,
    stop_at: Option<Instant>,
    next: AtomicU64,
    started: AtomicU64,
    books: Mutex<Books>,
    pyai: pyai::Client,
    specala: specala::Client,
}

impl Run {
    fn claim(&self) -> Option<u64> {
        if self.stop_at.is_some_and(|t| Instant::now() >= t) {
            return None;
        }
        let i = self.next.fetch_add(1, Ordering::SeqCst);
        if self.max_items.is_some_and(|m| i >= m) {
            return None;
        }
        self.started.fetch_add(1, Ordering::SeqCst);
        Some(i)
    }

    fn books(&self) -> std::sync::MutexGuard<'_, Books> {
        self.books.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn ok(&self, op: &'static str) {
        let mut b = self.books();
        b.done += 1;
        b.ops.entry(op).or_default().0 += 1;
    }

    fn fail(&self, op: &'static str, e: &surefoot::Error) {
        let mut b = self.books();
        // By code and, when the client stopped retrying for a reason, that reason.
        let key = match e.stop_reason() {
            Some(r) => format!("{}/{}", e.code(), r.as_str()),
            None => e.code().to_string(),
        };
        *b.failed.entry(key).or_default() += 1;
        b.ops.entry(op).or_default().1 += 1;
    }

    fn bad(&self, op: &'static str, what: &str) {
        eprintln!("soak_worker: wrong answer ({op}): {what}");
        let mut b = self.books();
        b.wrong += 1;
        *b.failed.entry("wrong_answer".into()).or_default() += 1;
        b.ops.entry(op).or_default().1 += 1;
    }

    async fn one(&self, item: u64) {
        let r = mix(self.seed ^ item.wrapping_mul(0x1_0000_01B3));
        let pick = r % 100;
        let r = r >> 8;
        match pick {
            0..=39 => self.create(item).await,
            40..=64 => self.get(r).await,
            65..=79 => self.list().await,
            _ => self.bulk(r).await,
        }
    }

    async fn create(&self, item: u64) {
        let key = format!("{}-{}-{}", self.label, self.seed, item);
        let params = CreateJob::new(format!("https://example.com/{key}.wav"))
            .metadata(json!({ "item": key }))
            .idempotency_key(key.clone());
        let mut round = 0;
        loop {
            match self.pyai.jobs().create(params.clone()).await {
                Ok(job) => {
                    self.books().created.push((key, job.id().to_string()));
                    return self.ok(OPS[0]);
                }
                Err(e) if round + 1 < ROUNDS && e.verdict() == Verdict::TryLater => {
                    round += 1;
                    self.books().rounds_again += 1;
                }
                Err(e) => return self.fail(OPS[0], &e),
            }
        }
    }

    async fn get(&self, r: u64) {
        let want = {
            let b = self.books();
            match b.created.len() {
                0 => None,
                n => Some(b.created[(r % n as u64) as usize].1.clone()),
            }
        };
        // Nothing created yet: a list walk instead.
        let Some(want) = want else {
            return self.list().await;
        };
        match self.pyai.jobs().get(&want).await {
            Ok(job) if job.id() == want => self.ok(OPS[1]),
            Ok(job) => self.bad(OPS[1], &format!("{} for {want}", job.id())),
            Err(e) => self.fail(OPS[1], &e),
        }
    }

    async fn list(&self) {
        // Empty is the right answer only while no creation is done yet.
        let known = self.books().created.len();
        let walk: surefoot::Result<Vec<pyai::Job>> = self
            .pyai
            .jobs()
            .list()
            .limit(50)
            .take(150)
            .try_collect()
            .await;
        match walk {
            Ok(jobs) if !jobs.is_empty() || known == 0 => self.ok(OPS[2]),
            Ok(_) => self.bad(OPS[2], "an empty list after a creation"),
            Err(e) => self.fail(OPS[2], &e),
        }
    }

    async fn bulk(&self, r: u64) {
        let n = 20 + r % 131;
        let first = (r >> 16) % (3000 - 150);
        let ids: Vec<String> = (0..n)
            .map(|i| format!("tr_alpha_{:06}", first + i))
            .collect();
        match self
            .specala
            .transcriptions()
            .bulk_export(&ids, Format::Md)
            .await
        {
            Ok(docs)
                if docs.len() == ids.len()
                    && docs
                        .iter()
                        .zip(&ids)
                        .all(|(d, id)| d.id() == id && !d.content().is_empty()) =>
            {
                self.ok(OPS[3])
            }
            Ok(_) => self.bad(OPS[3], "missing or foreign documents"),
            Err(e) => self.fail(OPS[3], &e),
        }
    }
}

fn arg<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(pyai_url), Some(specala_url)) = (arg(&args, "--pyai"), arg(&args, "--specala"))
    else {
        eprintln!("usage: soak_worker --pyai URL --specala URL (--items N | --seconds S) [--workers N] [--seed N] [--label L] [--timeout-ms N]");
        std::process::exit(2);
    };
    let workers: usize = arg(&args, "--workers").unwrap_or("8").parse()?;
    let seed: u64 = arg(&args, "--seed").unwrap_or("1").parse()?;
    let timeout = Duration::from_millis(arg(&args, "--timeout-ms").unwrap_or("1000").parse()?);
    let max_items = arg(&args, "--items").map(str::parse).transpose()?;
    let seconds: Option<f64> = arg(&args, "--seconds").map(str::parse).transpose()?;
    let tune = |b: surefoot::ClientBuilder| {
        b.timeout(timeout)
            .deadline(Duration::from_secs(30))
            .backoff(Duration::from_millis(20), Duration::from_millis(400))
    };
    let pyai = tune(pyai::Client::builder())
        .base_url(pyai_url)
        .api_key("pyai_sk_full_0001")
        .build_pyai()?;
    let specala = tune(specala::Client::builder())
        .base_url(specala_url)
        .api_key("spk_alpha_pro_0001")
        .rate_limit(RateLimit::per_second(600).burst(60))
        .build_specala()?;
    let t0 = Instant::now();
    let run = Arc::new(Run {
        label: arg(&args, "--label").unwrap_or("rust").to_string(),
        seed,
        max_items,
        stop_at: seconds.map(|s| t0 + Duration::from_secs_f64(s)),
        next: AtomicU64::new(0),
        started: AtomicU64::new(0),
        books: Mutex::new(Books::default()),
        pyai,
        specala,
    });
    println!("{}", json!({ "ready": true }));
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let run = run.clone();
            tokio::spawn(async move {
                while let Some(item) = run.claim() {
                    run.one(item).await;
                }
            })
        })
        .collect();
    let mut panicked = 0;
    for t in tasks {
        if t.await.is_err() {
            panicked += 1;
        }
    }
    let b = run.books();
    let ops: serde_json::Map<String, serde_json::Value> = OPS
        .iter()
        .map(|op| {
            let (d, f) = b.ops.get(op).copied().unwrap_or_default();
            (op.to_string(), json!({ "done": d, "failed": f }))
        })
        .collect();
    println!(
        "{}",
        json!({
            "lang": run.label, "threads": workers, "seconds": t0.elapsed().as_secs_f64(),
            "started": run.started.load(Ordering::SeqCst), "done": b.done, "wrong": b.wrong,
            "rounds_again": b.rounds_again, "panicked_tasks": panicked, "ops": ops,
            "failed": b.failed, "created": b.created,
        })
    );
    Ok(())
}
