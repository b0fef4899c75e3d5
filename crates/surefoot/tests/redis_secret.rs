//! A secret for Redis key names, over a real `redis-server` this test starts: with one,
//! no key name in a dump is the name the API key has without it (so a guessed key cannot
//! be confirmed), processes with the same secret (from the URL or from
//! `SUREFOOT_PACING_SECRET`) share one budget and a process with another secret does not;
//! the secret never shows in `Debug`, errors or logs. The other processes are copies of
//! this binary (the `child` test, idle unless `SUREFOOT_SECRET_CHILD` is set).

mod port_support;
mod redis_support;

use std::process::{Command, Stdio};
use std::time::Duration;

use redis_support::{keys, runtime, Server};
use surefoot::pacing::{key_name, PacingStore, RateLimit, RedisStore, Reservation};

const SECRET: &str = "team-secret-9d2c41";
const API_KEY: &str = "sk-live-guessable-0001";
const BASE: &str = "https://api.example.com";

/// `n` reservations at 2/s on the API key; the waits in ms.
async fn reserve(store: &RedisStore, n: usize) -> Vec<u64> {
    let key = key_name(API_KEY, BASE, "data");
    let limit = RateLimit::parse("2/s").unwrap();
    let mut waits = Vec::new();
    for _ in 0..n {
        match store.reserve(&key, &limit, None).await {
            Reservation::Go(d) => waits.push(d.as_millis() as u64),
            other => panic!("{other:?}"),
        }
    }
    waits
}

/// Another process: reserves `N` on `STORE` and prints its waits and fallbacks.
#[test]
fn child() {
    let Ok(store_url) = std::env::var("SUREFOOT_SECRET_CHILD") else {
        return;
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter("surefoot=trace")
        .init();
    let n: usize = std::env::var("N").unwrap().parse().unwrap();
    runtime().block_on(async {
        let store = RedisStore::connect(&store_url).unwrap();
        let up = store.wait_available(Duration::from_secs(3)).await;
        let waits = reserve(&store, n).await;
        eprintln!("{store:?} {}", store.name());
        println!(
            "\nRESULT {}",
            serde_json::json!({"up": up, "waits": waits, "fallbacks": store.fallback_decisions()})
        );
    });
}

/// Run a child on `url` with `env`: (its result, its stderr).
fn run_child(url: &str, n: usize, env: &[(&str, &str)]) -> (serde_json::Value, String) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env("SUREFOOT_SECRET_CHILD", url)
        .env("N", n.to_string())
        .env_remove("SUREFOOT_PACING_SECRET")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("child printed no result: {stdout}\n{stderr}"));
    (serde_json::from_str(line).unwrap(), stderr)
}

#[test]
fn with_a_secret_a_dump_does_not_confirm_a_guessed_key_and_the_fleet_shares_one_budget() {
    let server = Server::start("redis-secret", &[], false);
    let plain = format!("redis://127.0.0.1:{}/0", server.port);
    let with_secret = format!("{plain}?secret={SECRET}");
    let constant_name = key_name(API_KEY, BASE, "data");
    let rt = runtime();
    // This process: 5 decisions at 2/s, so the budget is booked ~2.5 s ahead.
    let mine = rt.block_on(async {
        let store = RedisStore::connect(&with_secret).unwrap();
        assert!(store.wait_available(Duration::from_secs(3)).await);
        assert!(!format!("{store:?} {}", store.name()).contains(SECRET));
        reserve(&store, 5).await
    });
    assert!(mine[4] >= 1500, "{mine:?}");
    let mut conn = server.conn();
    let dump = keys(&mut conn);
    assert!(!dump.is_empty());
    let inner = constant_name.trim_matches(['{', '}']);
    assert!(
        dump.iter()
            .all(|k| !k.contains(inner) && k.starts_with("surefoot:{")),
        "{dump:?} vs {constant_name}"
    );
    // The same secret in the URL: one budget (its first decision waits behind mine).
    let (a, a_err) = run_child(&with_secret, 2, &[]);
    assert_eq!(
        (a["up"].as_bool(), a["fallbacks"].as_u64()),
        (Some(true), Some(0)),
        "{a}"
    );
    assert!(a["waits"][0].as_u64().unwrap() >= 1000, "{a}");
    // The same secret from the environment: the same budget again.
    let (b, b_err) = run_child(&plain, 1, &[("SUREFOOT_PACING_SECRET", SECRET)]);
    assert!(b["waits"][0].as_u64().unwrap() >= 1500, "{b}");
    // Another secret: another budget, not yet used.
    let (c, _) = run_child(&format!("{plain}?secret=another-secret"), 1, &[]);
    assert!(c["waits"][0].as_u64().unwrap() < 400, "{c}");
    // No secret: today's names, with the constant-key name in them.
    let (d, _) = run_child(&plain, 1, &[]);
    assert!(d["waits"][0].as_u64().unwrap() < 400, "{d}");
    let dump = keys(&mut conn);
    assert!(dump.iter().any(|k| k.contains(inner)), "{dump:?}");
    // The secret in nothing a process logged (trace level), nor in Redis.
    for log in [&a_err, &b_err] {
        assert!(!log.contains(SECRET), "{log}");
        assert!(log.contains("RedisStore"), "{log}");
    }
    for k in dump {
        let v: String = redis::cmd("DUMP")
            .arg(&k)
            .query::<Vec<u8>>(&mut conn)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        assert!(!k.contains(SECRET) && !v.contains(SECRET));
    }
}

#[test]
fn a_secret_never_shows_in_errors_or_when_redis_is_down() {
    let e = RedisStore::connect(&format!("redis://h:99999/0?secret={SECRET}")).unwrap_err();
    assert!(!format!("{e:?} {e}").contains(SECRET));
    let e = RedisStore::connect(&format!("redis://h/0?secret={SECRET}&fail=maybe")).unwrap_err();
    assert!(!format!("{e:?} {e}").contains(SECRET));
    let b = RedisStore::builder("redis://127.0.0.1:1/0").secret(SECRET);
    assert!(!format!("{b:?}").contains(SECRET));
    // Redis is not there: the process paces locally and warns, never naming the secret.
    let url = format!(
        "redis://127.0.0.1:{}/0?secret={SECRET}",
        redis_support::free_port()
    );
    let (r, log) = run_child(&url, 2, &[]);
    assert_eq!(r["up"].as_bool(), Some(false), "{r}");
    assert!(r["fallbacks"].as_u64().unwrap() >= 2, "{r}");
    assert!(log.contains("pacing store unavailable"), "{log}");
    assert!(!log.contains(SECRET), "{log}");
}
