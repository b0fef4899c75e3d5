//! Pacing on a real Redis shared by several processes: this test binary starts its own
//! `redis-server` on 127.0.0.1 at a free port, an emulator, and copies of itself as the
//! other processes (the `child` test, which does nothing unless `SUREFOOT_REDIS_CHILD`
//! names a role). Needs `redis-server` on the PATH, and nginx for the fleet-learning test
//! (`make test` installs both).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod nginx_support;
mod port_support;

use nginx_support::{free_port, Nginx};
use surefoot::pacing::{PacingStore, RedisStore};
use surefoot::RateLimit;
use surefoot_emulator::{Config, Emulator, EmulatorHandle, Fault};

const KEY: &str = "pyai_sk_full_0001";
const JOBS: &str = "/v1/transcription/jobs";

/// A `redis-server` of this test, stopped when dropped.
struct RedisServer {
    port: u16,
    child: Option<Child>,
    dir: std::path::PathBuf,
}

/// Held by the tests whose bounds are ratios of time (many processes each): they run one
/// at a time, so that one's processes do not slow the other's down.
fn timed() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

impl RedisServer {
    fn start() -> RedisServer {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("surefoot-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut s = RedisServer {
            port,
            child: None,
            dir,
        };
        s.restart();
        s
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server on the PATH (make test installs it)");
        self.child = Some(child);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if self.command(&["PING"]).map(|r| r.starts_with("+PONG")) == Some(true) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server did not start on port {}", self.port);
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// One command over RESP; the raw first reply line (`None` if unreachable).
    fn command(&self, args: &[&str]) -> Option<String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        s.write_all(req.as_bytes()).ok()?;
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line).ok()?;
        Some(line)
    }

    fn conn(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .unwrap()
            .get_connection()
            .unwrap()
    }

    /// Every key and every value in the database, as text.
    fn dump(&self) -> Vec<(String, String)> {
        use redis::Commands;
        let mut c = self.conn();
        let keys: Vec<String> = c.scan::<String>().unwrap().collect();
        let mut out = Vec::new();
        for k in keys {
            let kind: String = redis::cmd("TYPE").arg(&k).query(&mut c).unwrap();
            let value = match kind.as_str() {
                "string" => c.get::<_, String>(&k).unwrap(),
                "hash" => format!("{:?}", c.hgetall::<_, Vec<(String, String)>>(&k).unwrap()),
                "zset" => format!(
                    "{:?}",
                    c.zrange_withscores::<_, Vec<(String, f64)>>(&k, 0, -1)
                        .unwrap()
                ),
                other => format!("<{other}>"),
            };
            out.push((k, value));
        }
        out
    }

    /// `INFO commandstats` calls of `cmd` (e.g. `evalsha`) that did not fail. A failed
    /// EVALSHA is a NOSCRIPT answer (the script is then loaded and run again): processes
    /// starting together may each meet one per script.
    fn calls(&self, cmd: &str) -> u64 {
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query(&mut self.conn())
            .unwrap();
        let stat = |line: &str, name: &str| -> u64 {
            line.split(',')
                .find_map(|kv| kv.strip_prefix(name))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("cmdstat_{cmd}:")))
            .map(|rest| stat(rest, "calls=").saturating_sub(stat(rest, "failed_calls=")))
            .unwrap_or(0)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn emulator(config: Config) -> EmulatorHandle {
    Emulator::start(config).await.expect("emulator starts")
}

fn stats(emu: &EmulatorHandle) -> serde_json::Value {
    serde_json::to_value(emu.stats()).unwrap()
}

/// Start this binary again as the process `role`, with `env`.
fn spawn_child(role: &str, env: &[(&str, String)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env("SUREFOOT_REDIS_CHILD", role)
        .env_remove("SUREFOOT_PACING_STORE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// The `RESULT {...}` line a child printed, and its stderr.
fn finish(child: Child) -> (serde_json::Value, String) {
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("child printed no result: {stdout}\n{stderr}"));
    (serde_json::from_str(line).unwrap(), stderr)
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}

fn pyai(emu_url: &str, store: &str, limit: &str) -> surefoot::pyai::Client {
    let mut b = surefoot::pyai::Client::builder()
        .base_url(emu_url)
        .api_key(KEY)
        .backoff(Duration::from_millis(20), Duration::from_millis(200))
        .pacing_store_url(store);
    if !limit.is_empty() {
        b = b.rate_limit(RateLimit::parse(limit).unwrap());
    }
    b.build_pyai().unwrap()
}

/// `n` GETs from `tasks` tasks; (ok, failed).
async fn work(client: &surefoot::pyai::Client, n: usize, tasks: usize) -> (u64, u64) {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let (c, next) = (client.clone(), next.clone());
        handles.push(tokio::spawn(async move {
            let (mut ok, mut failed) = (0, 0);
            while next.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < n {
                match c.client().get(JOBS).send().await {
                    Ok(_) => ok += 1,
                    Err(e) => {
                        eprintln!("call failed: {} {}", e.code(), e.message());
                        failed += 1
                    }
                }
            }
            (ok, failed)
        }));
    }
    let mut total = (0, 0);
    for h in handles {
        let (o, f) = h.await.unwrap();
        total.0 += o;
        total.1 += f;
    }
    total
}

/// The other processes. Roles: `work` (N requests, print counts), `refused` (one call
/// allowed to wait 200 ms, print how it ended), `sessions` (hold sessions until killed),
/// `down` (work on a Redis that is not there, with logs on stderr).
#[test]
fn child() {
    let role = env("SUREFOOT_REDIS_CHILD");
    if role.is_empty() {
        return;
    }
    if role == "down" {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter("surefoot=warn")
            .init();
    }
    let rt = runtime();
    rt.block_on(async {
        let client = pyai(&env("EMU_URL"), &env("STORE"), &env("LIMIT"));
        let result = match role.as_str() {
            "outage" => {
                // TASKS tasks, one GET each, against a host in an outage.
                let tasks: usize = env("TASKS").parse().unwrap();
                let (ok, failed) = work(&client, tasks, tasks).await;
                let m = client.client().metrics();
                serde_json::json!({"ok": ok, "failed": failed, "held": m.calls_held,
                    "fallbacks": m.pacing_store_fallbacks})
            }
            "work" | "down" => {
                let n: usize = env("N").parse().unwrap();
                let tasks = env("TASKS").parse().unwrap_or(4);
                let (ok, failed) = work(&client, n, tasks).await;
                let m = client.client().metrics();
                serde_json::json!({"ok": ok, "failed": failed, "429": m.rate_limited,
                    "fallbacks": m.pacing_store_fallbacks})
            }
            "refused" => {
                let r = client
                    .client()
                    .get(JOBS)
                    .deadline(Duration::from_millis(200))
                    .send()
                    .await;
                match r {
                    Ok(_) => serde_json::json!({"ok": true}),
                    Err(e) => serde_json::json!({"ok": false, "code": e.code(),
                        "attempts": e.attempts(), "retry_after": e.retry_after().map(|d| d.as_secs_f64())}),
                }
            }
            "sessions" => {
                let client = surefoot::pyai::Client::builder()
                    .base_url(env("EMU_URL"))
                    .api_key(KEY)
                    .pacing_store_url(env("STORE"))
                    .max_concurrent_sessions(2)
                    .build_pyai()
                    .unwrap();
                let a = client.realtime().open("agent-a").await.unwrap();
                let b = client.realtime().open("agent-b").await.unwrap();
                println!("\nHELD");
                std::io::stdout().flush().unwrap();
                tokio::time::sleep(Duration::from_secs(600)).await;
                drop((a, b));
                serde_json::json!({})
            }
            other => panic!("unknown role {other}"),
        };
        println!("\nRESULT {result}");
    });
}

#[test]
fn processes_on_one_key_share_one_budget() {
    let redis = RedisServer::start();
    let rt = runtime();
    let emu = rt.block_on(emulator(Config::pyai().rate_limit(40.0, 5)));
    let run = |store: &str, n: usize| {
        let children: Vec<Child> = (0..3)
            .map(|_| {
                spawn_child(
                    "work",
                    &[
                        ("EMU_URL", emu.url()),
                        ("STORE", store.to_owned()),
                        ("LIMIT", "40/s burst 5".into()),
                        ("N", n.to_string()),
                    ],
                )
            })
            .collect();
        children
            .into_iter()
            .map(|c| finish(c).0)
            .collect::<Vec<_>>()
    };
    let before = redis.calls("evalsha");
    let results = run(&redis.url(), 40);
    let s = stats(&emu);
    for r in &results {
        assert_eq!(
            (r["ok"].as_u64(), r["failed"].as_u64()),
            (Some(40), Some(0)),
            "{r}"
        );
        assert_eq!(r["fallbacks"], 0, "{r}");
    }
    assert_eq!(s["rate_limited"], 0, "{s}");
    // One script call per pacing decision: one per request.
    let calls = redis.calls("evalsha") - before;

    assert!(
        (120..=125).contains(&calls),
        "{calls} EVALSHA for 120 requests"
    );

    // The same fleet, each process on its own: the server has to refuse some (the test
    // can fail).
    let results = run("memory", 20);
    let s2 = stats(&emu);
    assert!(s2["rate_limited"].as_u64().unwrap() > 0, "{s2}");
    drop(results);

    assert_nothing_recoverable(&redis, &emu);
}

/// nginx with `limit_req` keyed by the Authorization header (a token bucket with a burst
/// that no one here wrote, and no rate-limit headers), under a prefix of its own; stopped
/// when dropped. `make test` installs nginx.
struct LimitedNginx {
    nginx: Nginx,
    url: String,
}

impl LimitedNginx {
    fn start(rate: u32, burst: u32) -> LimitedNginx {
        let ok = br#"{"data": [], "next_cursor": null}"#;
        let nginx = Nginx::start(1, &[("html/ok.json", ok)], |d, ports| {
            format!(
                "  log_format st '$status';
  access_log {d}/access.log st;
  limit_req_zone $http_authorization zone=key:1m rate={rate}r/s;
  server {{
    listen 127.0.0.1:{};
    location / {{
      limit_req zone=key burst={burst} nodelay;
      limit_req_status 429;
      default_type application/json;
      root {d}/html;
      try_files /ok.json =404;
    }}
  }}",
                ports[0]
            )
        });
        let url = format!("http://127.0.0.1:{}", nginx.ports[0]);
        LimitedNginx { nginx, url }
    }

    /// (requests, 429s) from the access log.
    fn counts(&self) -> (u64, u64) {
        let log = self.nginx.access_log();
        let statuses: Vec<&str> = log.split_whitespace().collect();
        let limited = statuses.iter().filter(|s| **s == "429").count();
        (statuses.len() as u64, limited as u64)
    }
}

/// `procs` processes x 8 tasks share `total` GETs on one key with no limit given and one
/// Redis store: (wall ÷ ideal, failed calls).
fn fleet_run(redis: &RedisServer, url: &str, procs: usize, total: usize, ideal: f64) -> (f64, u64) {
    redis.command(&["FLUSHALL"]);
    let started = std::time::Instant::now();
    let children: Vec<Child> = (0..procs)
        .map(|_| {
            spawn_child(
                "work",
                &[
                    ("EMU_URL", url.to_owned()),
                    ("STORE", redis.url()),
                    ("LIMIT", String::new()),
                    ("N", (total / procs).to_string()),
                    ("TASKS", "8".into()),
                ],
            )
        })
        .collect();
    let results: Vec<_> = children.into_iter().map(|c| finish(c).0).collect();
    let wall = started.elapsed().as_secs_f64();
    let (ok, failed) = results.iter().fold((0, 0), |a, r| {
        (
            a.0 + r["ok"].as_u64().unwrap(),
            a.1 + r["failed"].as_u64().unwrap(),
        )
    });
    assert_eq!(ok + failed, total as u64, "{results:?}");
    (wall / ideal, failed)
}

/// No limit given, one key, 2 then 4 processes on one Redis, against the emulator at 40/s
/// burst 5 and against nginx `limit_req` at 40 r/s burst 5: the fleet learns the key's
/// limit, not each process's share of it — every call succeeds, few 429s, and the run
/// takes a bounded multiple of the ideal. Learning a limit N times too low took 13-32x the
/// ideal (and failed calls with `client_rate_limited`); the bound here (8x, process start-up
/// included, on a machine shared with builds) is a generous ratio; the issue's targets are
/// measured in `make bench` (bench/fleet.py).
#[test]
fn a_fleet_of_two_without_a_limit_learns_the_keys_limit_together() {
    fleet_learns(2);
}

/// The same with 4 processes. One run on 2026-12-03 took 37.9x the ideal (no failed
/// call): the fleet's first guess (1/s: the first answer a process saw was a 429) was
/// never climbed from, as each process's own sends — a quarter of the key's — capped the
/// climb; a caller waiting for its slot now counts as demand
/// (`pacing::fleet_sim::a_fleet_whose_first_answer_is_a_429_climbs_from_its_first_guess`).
#[test]
fn a_fleet_of_four_without_a_limit_learns_the_keys_limit_together() {
    fleet_learns(4);
}

fn fleet_learns(procs: usize) {
    let _timed = timed();
    let redis = RedisServer::start();
    let rt = runtime();
    let (rate, burst, total) = (40u32, 5u32, 240usize);
    let ideal = (total as f64 - f64::from(burst)) / f64::from(rate);
    {
        let emu = rt.block_on(emulator(Config::pyai().rate_limit(f64::from(rate), burst)));
        let (ratio, failed) = fleet_run(&redis, &emu.url(), procs, total, ideal);
        let limited = stats(&emu)["rate_limited"].as_u64().unwrap();
        eprintln!(
            "emulator, {procs} processes: wall/ideal {ratio:.2}, 429s {limited}, failed {failed}"
        );
        assert_eq!(failed, 0);
        assert!(
            ratio < 8.0,
            "emulator, {procs} processes: {ratio:.2}x the ideal"
        );
        assert!(
            limited <= total as u64 / 8,
            "emulator, {procs} processes: {limited} 429s"
        );

        let nginx = LimitedNginx::start(rate, burst);
        let (ratio, failed) = fleet_run(&redis, &nginx.url, procs, total, ideal);
        let (requests, limited) = nginx.counts();
        eprintln!("nginx, {procs} processes: wall/ideal {ratio:.2}, 429s {limited} of {requests}, failed {failed}");
        assert_eq!(failed, 0);
        assert!(
            ratio < 8.0,
            "nginx, {procs} processes: {ratio:.2}x the ideal"
        );
        assert!(
            limited <= total as u64 / 8,
            "nginx, {procs} processes: {limited} 429s"
        );
    }
}

/// The answers a 429 brings back for the fleet's one decrease are dated no later than they
/// were counted (at their 100-ms bucket's start): a rate measured on them over a span is
/// never above what was accepted over it. Dated at the bucket's middle, answers counted
/// just before the span's start fell inside it.
#[test]
fn the_fleets_accepted_answers_are_dated_no_later_than_counted() {
    use surefoot::pacing::Episode;
    let redis = RedisServer::start();
    let rt = runtime();
    rt.block_on(async {
        let store = RedisStore::connect(&redis.url()).unwrap();
        for _ in 0..5 {
            store.note_accepted("dated");
        }
        // The count rides along with the next decision on the key.
        assert!(store.paused("dated").await.is_none());
        let counted = Instant::now();
        tokio::time::sleep(Duration::from_millis(150)).await;
        let episode = store
            .throttled(
                "dated",
                Duration::from_secs(1),
                None,
                Duration::from_secs(1),
            )
            .await;
        let Episode::New(fleet) = episode else {
            panic!("no new episode: {episode:?}");
        };
        assert_eq!(fleet.iter().map(|&(_, n)| n).sum::<u32>(), 5, "{fleet:?}");
        // Counted at least 150 ms before the 429 (dated at the bucket's middle, this failed
        // whenever the count fell in its bucket's first half).
        let since = counted.elapsed();
        for &(ago, _) in &fleet {
            assert!(
                ago >= Duration::from_millis(150),
                "dated {ago:?} ago, counted {since:?} ago"
            );
        }
    });
}

/// `n` stores on one Redis, connected (standing for `n` processes).
async fn stores(redis: &RedisServer, n: usize) -> Vec<RedisStore> {
    let mut out = Vec::new();
    for _ in 0..n {
        let s = RedisStore::connect(&redis.url()).unwrap();
        assert!(s.wait_available(Duration::from_secs(5)).await);
        out.push(s);
    }
    out
}

/// The start window over real HTTP: 4 stores on one Redis (4 processes' pacers of one
/// key, nothing known) x 8 tasks each send one GET at once to nginx `limit_req` (40 r/s
/// burst 5), a 429 fed back as the client's send loop does. Without the window all 32
/// went at once (27 429s: every request beyond the burst); with it the first 429 comes
/// while a few are out, and its pause and the rate it teaches hold the rest.
#[test]
fn a_fleets_first_requests_on_a_fresh_key_meet_a_burst_with_a_few() {
    let _timed = timed();
    let redis = RedisServer::start();
    let nginx = LimitedNginx::start(40, 5);
    let rt = runtime();
    let limited = rt.block_on(async {
        let http = reqwest::Client::new();
        let mut tasks = Vec::new();
        for store in stores(&redis, 4).await {
            let store: Arc<dyn PacingStore> = Arc::new(store);
            let pacer = surefoot::pacing::Pacer::new("first-wave".into(), None, store);
            for _ in 0..8 {
                let (pacer, http, url) = (pacer.clone(), http.clone(), nginx.url.clone());
                tasks.push(tokio::spawn(async move {
                    pacer.acquire().await;
                    let get = http.get(&url).bearer_auth("sk-first-wave");
                    let status = get.send().await.unwrap().status().as_u16();
                    if status == 429 {
                        pacer.on_rate_limited(None, None).await;
                    } else {
                        pacer.on_answer(status);
                    }
                    status == 429
                }));
            }
        }
        let mut limited = 0;
        for t in tasks {
            limited += usize::from(t.await.unwrap());
        }
        limited
    });
    let (requests, by_nginx) = nginx.counts();
    assert_eq!((requests, by_nginx), (32, limited as u64));
    assert!(limited <= 8, "{limited} of 32 first requests met a 429");
}

/// The fleet's start window on Redis: two stores (two processes) on a fresh key let two
/// requests out between them, then wait for an answer (counted with the next decision) or
/// for the window to double; a learning state, a pause, and an open window each end it.
#[test]
fn a_fresh_keys_first_requests_go_out_a_window_at_a_time_between_processes() {
    use surefoot::pacing::{Reservation, START_DOUBLING, START_OPEN, START_POLL};
    let redis = RedisServer::start();
    let rt = runtime();
    rt.block_on(async {
        let [a, b]: [RedisStore; 2] = stores(&redis, 2).await.try_into().ok().unwrap();
        let go = Reservation::Go(Duration::ZERO);
        let full = |r: Reservation| matches!(r, Reservation::TooLong(w) if w <= START_POLL && !w.is_zero());
        assert_eq!(a.reserve_unpaced("win").await, go);
        assert_eq!(b.reserve_unpaced("win").await, go);
        let r = a.reserve_unpaced("win").await;
        assert!(full(r.clone()), "{r:?}");
        assert!(full(b.reserve_unpaced("win").await));
        // One answer accepted in process b widens the window by one, for both.
        b.note_accepted("win");
        assert_eq!(b.reserve_unpaced("win").await, go);
        assert!(full(a.reserve_unpaced("win").await));
        // Time alone doubles it.
        tokio::time::sleep(START_DOUBLING).await;
        assert_eq!(a.reserve_unpaced("win").await, go);
        // A plain pause check counts nothing.
        assert!(a.paused("win").await.is_none());
        // Answers enough to reach the open window end the start for good.
        for _ in 0..START_OPEN {
            a.note_accepted("win");
        }
        for _ in 0..3 * START_OPEN {
            assert_eq!(a.reserve_unpaced("win").await, go);
        }
        // A pause holds every decision; a key with a learning state has no window.
        a.pause("win", Duration::from_secs(5), None).await;
        assert!(matches!(b.reserve_unpaced("win").await, Reservation::Paused(_)));
        assert_eq!(a.reserve_unpaced("learned").await, go);
        assert_eq!(a.reserve_unpaced("learned").await, go);
        a.set_fleet_learned("learned", "v1 10 10 10 0 0 0 0".into(), Duration::from_secs(60))
            .await;
        for _ in 0..10 {
            assert_eq!(b.reserve_unpaced("learned").await, go);
        }
    });
}

/// Nothing that leads back to the key or the base URL is stored (every key and value).
fn assert_nothing_recoverable(redis: &RedisServer, emu: &EmulatorHandle) {
    let dump = redis.dump();
    assert!(!dump.is_empty());
    let host = emu.url().trim_start_matches("http://").to_owned();
    for (k, v) in &dump {
        assert!(k.starts_with("surefoot:{") && k.contains("}:"), "{k}");
        for secret in [
            KEY,
            &KEY[KEY.len() - 8..],
            &KEY[..12],
            &host,
            "127.0.0.1",
            "pyai_sk",
        ] {
            assert!(
                !k.contains(secret) && !v.contains(secret),
                "{k} = {v} holds {secret}"
            );
        }
    }
}

/// A 429 holds this process's other callers at once, before Redis has the pause (its
/// round trip took ~7 ms under an 8-process fleet's first wave, in which every caller that
/// asked Redis first was sent into another 429): here Redis is emptied after the 429, so
/// only the process's own copy of the pause can hold the next caller.
#[test]
fn a_429_holds_this_processs_callers_before_redis_has_the_pause() {
    let redis = RedisServer::start();
    let rt = runtime();
    rt.block_on(async {
        let store: Arc<dyn PacingStore> = Arc::new(RedisStore::connect(&redis.url()).unwrap());
        let pacer = surefoot::pacing::Pacer::new("own-pause".into(), None, store);
        pacer
            .on_rate_limited(Some(Duration::from_millis(800)), None)
            .await;
        let _: () = redis::cmd("FLUSHALL").query(&mut redis.conn()).unwrap();
        let waited = pacer.acquire().await;
        assert!(
            waited >= Duration::from_millis(600),
            "sent after {waited:?}: the pause this process knew of was not kept"
        );
    });
}

#[test]
fn one_429_in_one_process_pauses_the_others() {
    let redis = RedisServer::start();
    let rt = runtime();
    let emu = rt.block_on(emulator(Config::pyai().no_rate_limits()));
    emu.inject(Fault::status_with_headers(
        &format!("GET {JOBS}"),
        1,
        429,
        r#"{"error": {"message": "Slow down.", "type": "rate_limit_error", "code": "rate_limit_exceeded", "param": null}}"#,
        &[("retry-after", "30")],
    ));
    let client = pyai(&emu.url(), &redis.url(), "");
    let first = rt.block_on(
        client
            .client()
            .get(JOBS)
            .deadline(Duration::from_millis(100))
            .send(),
    );
    assert_eq!(first.unwrap_err().status(), Some(429));
    let sent = stats(&emu)["total_requests"].as_u64().unwrap();
    let (r, err) = finish(spawn_child(
        "refused",
        &[("EMU_URL", emu.url()), ("STORE", redis.url())],
    ));
    assert_eq!(r["ok"], false, "{r} {err}");
    assert_eq!(r["code"], "rate_limit_exceeded", "{r}");
    assert_eq!(r["attempts"], 0, "{r}");
    let left = r["retry_after"].as_f64().unwrap();
    assert!(left > 25.0 && left <= 30.0, "{r}");
    assert_eq!(
        stats(&emu)["total_requests"].as_u64().unwrap(),
        sent,
        "nothing sent"
    );

    // The control: another store (another prefix) knows of no pause.
    let (r, _) = finish(spawn_child(
        "refused",
        &[
            ("EMU_URL", emu.url()),
            ("STORE", format!("{}?prefix=other:", redis.url())),
        ],
    ));
    assert_eq!(r["ok"], true, "{r}");
}

#[test]
fn a_killed_process_gives_its_sessions_back_after_the_lease() {
    let redis = RedisServer::start();
    let rt = runtime();
    let emu = rt.block_on(emulator(Config::pyai().realtime_concurrency(10)));
    let store_url = format!("{}?lease_ms=1000", redis.url());
    let mut child = spawn_child(
        "sessions",
        &[("EMU_URL", emu.url()), ("STORE", store_url.clone())],
    );
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while line.trim() != "HELD" {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "the child ended first"
        );
    }

    let store: Arc<dyn PacingStore> = RedisStore::shared(&store_url).unwrap();
    let limiter = surefoot::pacing::shared_concurrency_limiter_in(
        &store,
        KEY,
        &format!("{}/", emu.url()),
        "realtime",
        2,
    );
    rt.block_on(async {
        assert_eq!(limiter.in_use_everywhere().await, 2);
        // Held past two lease times: renewed in the background.
        tokio::time::sleep(Duration::from_millis(2200)).await;
        assert_eq!(limiter.in_use_everywhere().await, 2);
        assert!(
            tokio::time::timeout(Duration::from_millis(300), limiter.acquire())
                .await
                .is_err()
        );
    });
    // SIGKILL: no chance to release anything.
    child.kill().unwrap();
    child.wait().unwrap();
    let killed = Instant::now();
    rt.block_on(async {
        let p = tokio::time::timeout(Duration::from_secs(3), limiter.acquire())
            .await
            .expect("a slot came back after the lease");
        assert!(
            killed.elapsed() <= Duration::from_millis(1500),
            "{:?}",
            killed.elapsed()
        );
        let q = tokio::time::timeout(Duration::from_secs(1), limiter.acquire())
            .await
            .expect("both slots came back");
        assert_eq!(limiter.in_use_everywhere().await, 2);
        drop((p, q));
        // Released in the background when the permits drop.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(limiter.in_use_everywhere().await, 0);
    });
    let _ = child.stderr.take().map(|mut e| {
        let mut s = String::new();
        e.read_to_string(&mut s).ok();
    });
}

#[test]
fn redis_killed_and_restarted_mid_run_fails_no_call() {
    let _timed = timed();
    let mut redis = RedisServer::start();
    let rt = runtime();
    let emu = rt.block_on(emulator(Config::pyai().rate_limit(40.0, 5)));
    let store = Arc::new(RedisStore::connect(&redis.url()).unwrap());
    let client = surefoot::pyai::Client::builder()
        .base_url(emu.url())
        .api_key(KEY)
        .rate_limit(RateLimit::per_second(40).burst(5))
        .pacing_store(store.clone())
        .build_pyai()
        .unwrap();
    let handle = rt.spawn({
        let client = client.clone();
        async move { work(&client, 120, 4).await }
    });
    std::thread::sleep(Duration::from_millis(800));
    assert!(store.is_available());
    redis.kill();
    std::thread::sleep(Duration::from_millis(1000));
    assert!(!store.is_available());
    redis.restart();
    let (ok, failed) = rt.block_on(handle).unwrap();
    assert_eq!((ok, failed), (120, 0));
    let m = client.client().metrics();
    assert!(m.pacing_store_fallbacks > 0, "{m:?}");
    assert_eq!(store.outages(), 1);
    assert!(store.is_available(), "back on Redis");
    // The switches each way continue the schedule without burst credit; the target is at
    // most 5 % 429s among the requests sent while Redis was away (about 40 here).
    let r429 = stats(&emu)["rate_limited"].as_u64().unwrap();
    assert!(r429 <= 2, "{r429} 429s");
    // Decisions after the restart went to Redis again: its schedule key is back.
    assert!(
        redis.dump().iter().any(|(k, _)| k.ends_with(":tat")),
        "{:?}",
        redis.dump()
    );
    let before = m.pacing_store_fallbacks;
    rt.block_on(work(&client, 10, 2));
    assert_eq!(client.client().metrics().pacing_store_fallbacks, before);
}

#[test]
fn redis_down_from_the_start_paces_locally_with_one_warning() {
    let rt = runtime();
    let emu = rt.block_on(emulator(Config::pyai().rate_limit(40.0, 5)));
    let url = format!("redis://:hunter2-secret@127.0.0.1:{}/0", free_port());
    let (r, stderr) = finish(spawn_child(
        "down",
        &[
            ("EMU_URL", emu.url()),
            ("STORE", url),
            ("LIMIT", "40/s burst 5".into()),
            ("N", "60".into()),
        ],
    ));
    assert_eq!(
        (r["ok"].as_u64(), r["failed"].as_u64()),
        (Some(60), Some(0)),
        "{r} {stderr}"
    );
    assert!(r["fallbacks"].as_u64().unwrap() >= 60, "{r}");
    assert_eq!(stats(&emu)["rate_limited"], 0);
    let warnings = stderr
        .lines()
        .filter(|l| l.contains("pacing store unavailable"))
        .count();
    assert_eq!(warnings, 1, "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn a_password_in_the_store_url_never_shows() {
    let url = "redis://user:hunter2-secret@127.0.0.1:6390/1";
    let builder = surefoot::Client::builder()
        .base_url("http://127.0.0.1:9")
        .pacing_store_url(url);
    assert!(!format!("{builder:?}").contains("hunter2"), "{builder:?}");
    let client = builder.build().unwrap();
    let store = client.pacing_store();
    assert_eq!(
        store.name(),
        "redis://user:***@127.0.0.1:6390/1 prefix=surefoot:"
    );
    assert!(!format!("{client:?}").contains("hunter2"));
    let direct = RedisStore::connect(url).unwrap();
    assert!(!format!("{direct:?}").contains("hunter2"));
    for bad in [
        "redis://user:hunter2-secret@127.0.0.1:6390/x",
        "redis://user:hunter2-secret@127.0.0.1:99999/0",
        "redis://user:hunter2-secret@127.0.0.1:6390/0?oops=hunter2-secret",
        "rediz://user:hunter2-secret@127.0.0.1:6390/0",
    ] {
        let e = surefoot::Client::builder()
            .base_url("http://127.0.0.1:9")
            .pacing_store_url(bad)
            .build()
            .unwrap_err();
        assert_eq!(e.code(), "invalid_request");
        assert!(e.message().starts_with("pacing store"), "{}", e.message());
        assert!(!format!("{e:?} {e}").contains("hunter2"), "{e:?}");
    }
}

#[test]
fn the_retry_budget_is_shared_through_redis() {
    use surefoot::pacing::{PacingStore, RedisStore};
    let redis = RedisServer::start();
    let rt = runtime();
    rt.block_on(async {
        // Two stores on one Redis stand for two processes.
        let a = RedisStore::builder(redis.url())
            .prefix("budget-a:")
            .build()
            .unwrap();
        let b = RedisStore::builder(redis.url())
            .prefix("budget-a:")
            .build()
            .unwrap();
        assert!(a.wait_available(Duration::from_secs(5)).await);
        assert!(b.wait_available(Duration::from_secs(5)).await);
        let key = surefoot::pacing::key_name(
            "sk-budget-0123456789",
            "http://127.0.0.1:1",
            "retry_budget",
        );
        assert_eq!(a.retry_tokens(&key, 20).await, 20, "a new bucket is full");
        assert!(a.take_retry_tokens(&key, 5, 20).await);
        assert!(b.take_retry_tokens(&key, 10, 20).await);
        assert_eq!(b.retry_tokens(&key, 20).await, 5, "one bucket for both");
        assert!(
            !a.take_retry_tokens(&key, 10, 20).await,
            "not enough: nothing taken"
        );
        assert_eq!(a.retry_tokens(&key, 20).await, 5);
        // A process gives back at most what it took (b took 10, a 5).
        b.refund_retry_tokens(&key, 100, 20).await;
        assert_eq!(a.retry_tokens(&key, 20).await, 15);
        a.refund_retry_tokens(&key, 100, 20).await;
        assert_eq!(
            a.retry_tokens(&key, 20).await,
            20,
            "never beyond the capacity"
        );
        let calls = redis.calls("evalsha");
        a.refund_retry_tokens(&key, 1, 20).await;
        assert_eq!(redis.calls("evalsha"), calls, "nothing owed: no round trip");
        assert_eq!(
            a.retry_tokens(&key, 8).await,
            8,
            "a lowered capacity cuts it"
        );
        assert!(a.take_retry_tokens(&key, 0, 20).await);
        a.reset(&key).await;
        b.take_retry_tokens(&key, 5, 20).await;
        assert_eq!(
            a.retry_tokens(&key, 20).await,
            15,
            "reset started it full again"
        );
        assert_eq!(a.fallback_decisions(), 0, "every step answered by Redis");
    });
}

/// Requests the emulator saw, every route and status.
fn requests_seen(emu: &EmulatorHandle) -> u64 {
    stats(emu)["requests"]
        .as_object()
        .map(|routes| {
            routes
                .values()
                .flat_map(|m| m.as_object().unwrap().values())
                .map(|v| v.as_u64().unwrap_or(0))
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn the_outage_state_is_kept_in_redis_one_probe_between_processes() {
    use surefoot::pacing::OutageProbe;
    let redis = RedisServer::start();
    let rt = runtime();
    rt.block_on(async {
        // Two stores on one Redis stand for two processes.
        let a = RedisStore::builder(redis.url())
            .prefix("o:")
            .build()
            .unwrap();
        let b = RedisStore::builder(redis.url())
            .prefix("o:")
            .build()
            .unwrap();
        assert!(a.wait_available(Duration::from_secs(5)).await);
        assert!(b.wait_available(Duration::from_secs(5)).await);
        let id = surefoot::pacing::key_name(KEY, "http://127.0.0.1:1", "outage");
        let lease = Duration::from_secs(10);
        assert_eq!(b.outage_since(&id).await, None, "no outage yet");
        assert_eq!(a.outage_probe(&id, lease).await, OutageProbe::Ended);
        let began = a.outage_begin(&id, Some(503)).await.unwrap();
        assert_eq!(began.status, Some(503));
        tokio::time::sleep(Duration::from_millis(30)).await;
        // b joins a's outage: its start is kept (not reset by b's begin).
        let seen = b.outage_begin(&id, None).await.unwrap();
        assert!(seen.ago >= Duration::from_millis(25), "{seen:?}");
        assert_eq!(seen.status, Some(503));
        assert_eq!(b.outage_since(&id).await.unwrap().status, Some(503));
        // One probe between the two.
        assert_eq!(a.outage_probe(&id, lease).await, OutageProbe::Granted);
        match b.outage_probe(&id, lease).await {
            OutageProbe::Wait(d) => assert!(d > Duration::from_secs(9), "{d:?}"),
            other => panic!("b probes too: {other:?}"),
        }
        // a's probe failed: nobody probes for 100 ms (50 ms × 2^1), then b may.
        a.outage_probe_failed(&id, Duration::from_millis(50), Duration::from_millis(250))
            .await;
        match b.outage_probe(&id, lease).await {
            OutageProbe::Wait(d) => assert!(d <= Duration::from_millis(100), "{d:?}"),
            other => panic!("not due yet: {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(110)).await;
        assert_eq!(b.outage_probe(&id, lease).await, OutageProbe::Granted);
        // b's probe succeeded: the outage is over for a too.
        b.outage_end(&id).await;
        assert_eq!(a.outage_probe(&id, lease).await, OutageProbe::Ended);
        assert_eq!(a.outage_since(&id).await, None);
        assert_eq!(a.fallback_decisions() + b.fallback_decisions(), 0);
    });
    // Redis gone: nothing shared, each process decides (the local hold).
    drop(redis);
    rt.block_on(async {
        let c = RedisStore::builder(format!("redis://127.0.0.1:{}/0", free_port()))
            .build()
            .unwrap();
        let id = surefoot::pacing::key_name(KEY, "http://127.0.0.1:1", "outage");
        assert_eq!(
            c.outage_probe(&id, Duration::from_secs(1)).await,
            OutageProbe::Local
        );
        assert_eq!(c.outage_since(&id).await, None);
    });
}

#[test]
fn processes_in_an_outage_send_one_probe_at_a_time_between_them() {
    let redis = RedisServer::start();
    let rt = runtime();
    let emu = rt.block_on(emulator(Config::pyai().no_rate_limits()));
    // Every request answered 503 (no Retry-After) until the faults are cleared.
    emu.inject(Fault::status("*", 0, 503, ""));
    emu.reset_stats();
    let run = |store: String| {
        let children: Vec<Child> = (0..3)
            .map(|_| {
                spawn_child(
                    "outage",
                    &[
                        ("EMU_URL", emu.url()),
                        ("STORE", store.clone()),
                        ("TASKS", "8".into()),
                    ],
                )
            })
            .collect();
        std::thread::sleep(Duration::from_millis(2_500));
        let during = requests_seen(&emu);
        (children, during)
    };
    let (children, during) = run(redis.url());
    // While it lasts, the outage is in Redis, and nothing there leads back to key or host.
    assert!(
        redis.dump().iter().any(|(k, _)| k.ends_with(":outage")),
        "{:?}",
        redis.dump()
    );
    assert_nothing_recoverable(&redis, &emu);
    emu.clear_faults();
    let released = Instant::now();
    let results: Vec<_> = children.into_iter().map(|c| finish(c).0).collect();
    let drained = released.elapsed();
    for r in &results {
        // The first success (one process's probe) released every process.
        assert_eq!(
            (r["ok"].as_u64(), r["failed"].as_u64()),
            (Some(8), Some(0)),
            "{r}"
        );
    }
    let held: u64 = results.iter().map(|r| r["held"].as_u64().unwrap()).sum();
    assert!(held >= 15, "{held} calls held");
    assert!(drained < Duration::from_secs(10), "drained in {drained:?}");
    assert!(
        !redis.dump().iter().any(|(k, _)| k.ends_with(":outage")),
        "the first success ended the outage in Redis"
    );

    // The same processes on their own (memory stores): each holds and probes for itself
    // (the test can fail).
    emu.inject(Fault::status("*", 0, 503, ""));
    emu.reset_stats();
    let (children, alone) = run("memory".into());
    emu.clear_faults();
    for c in children {
        assert_eq!(finish(c).0["failed"], 0);
    }
    println!("requests into the outage: {during} sharing through Redis, {alone} each alone");
    // At most 3 first attempts per process (they start together, before any failure is
    // shared), then one probe at a time between them: 50, 100, 200, 250… ms apart.
    assert!(
        during <= 30,
        "{during} requests into the outage through Redis"
    );
    assert!(during < alone, "{during} through Redis, {alone} alone");
}
