//! The Redis store over TLS with an ACL user: a `redis-server` this test starts with a
//! TLS port only, certificates it makes with `openssl` (a CA, a server certificate for
//! 127.0.0.1, one for another name, a client certificate for mutual TLS), and the ACL user
//! of docs/guide/redis-deployments.md (read from the guide, so the documented line is the
//! tested one): every store operation goes through with no command refused, the user can
//! do nothing else, and a server whose name or CA does not match is never used.

mod port_support;
mod redis_support;

use std::time::Duration;

use redis_support::{calls, runtime, temp_dir, Certs, Server};
use surefoot::pacing::{key_name, PacingStore, RateLimit, RedisStore, Reservation};
use surefoot_emulator::{Config, Emulator};

const PASSWORD: &str = "acl-pw-5e1f0c7b";

/// The ACL user line of the guide, with the test's password.
fn acl_line() -> String {
    let guide = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../docs/guide/redis-deployments.md"),
    )
    .unwrap();
    let line = guide
        .lines()
        .find(|l| l.starts_with("user surefoot on "))
        .expect("the guide's ACL line");
    assert!(line.contains(">CHANGE-ME "), "{line}");
    line.replace(">CHANGE-ME ", &format!(">{PASSWORD} "))
}

fn tls_server(certs: &Certs, cert: &str, client_auth: bool) -> Server {
    let port = redis_support::free_port();
    let lines = vec![
        format!("tls-port {port}"),
        format!("tls-cert-file {}", certs.path(&format!("{cert}.pem"))),
        format!("tls-key-file {}", certs.path(&format!("{cert}.key"))),
        format!("tls-ca-cert-file {}", certs.path("ca.pem")),
        format!(
            "tls-auth-clients {}",
            if client_auth { "yes" } else { "no" }
        ),
        acl_line(),
    ];
    Server::start_on("redis-tls", port, &lines, false)
}

/// An admin connection (the default user) over mutual TLS.
fn admin(server: &Server, certs: &Certs) -> redis::Connection {
    redis::Client::build_with_tls(
        format!("rediss://127.0.0.1:{}/0", server.port),
        certs.redis_tls(),
    )
    .unwrap()
    .get_connection()
    .unwrap()
}

fn store_url(server: &Server, certs: &Certs, query: &str) -> String {
    format!(
        "rediss://surefoot:{PASSWORD}@127.0.0.1:{}/0?tls_ca={}{query}",
        server.port,
        certs.path("ca.pem")
    )
}

fn mutual(certs: &Certs) -> String {
    format!(
        "&tls_cert={}&tls_key={}",
        certs.path("client.pem"),
        certs.path("client.key")
    )
}

/// Every operation of the store, once: none may fall back (a refused command would).
async fn every_operation(s: &RedisStore, key: &str) {
    let lease = Duration::from_secs(2);
    let slot = s.acquire_slot(key, 2, lease).await.expect("a slot");
    assert!(s.renew_slot(key, &slot, lease).await);
    assert_eq!(s.slots_in_use(key).await, 1);
    s.release_slot(key, &slot).await;
    let limit = RateLimit::parse("5/s").unwrap();
    s.set_learned(key, Some(limit), lease).await;
    assert!(s.learned(key).await.is_some());
    assert!(s.take_retry_tokens(key, 1, 10).await);
    s.refund_retry_tokens(key, 1, 10).await;
    assert_eq!(s.retry_tokens(key, 10).await, 10);
    s.set_fleet_learned(key, "probe".into(), lease).await;
    assert!(s.fleet_learned(key).await.is_some());
    s.throttled(
        key,
        Duration::from_millis(50),
        None,
        Duration::from_millis(50),
    )
    .await;
    let _ = s.paused(key).await;
    assert!(s.outage_begin(key, Some(503)).await.is_some());
    assert!(s.outage_since(key).await.is_some());
    let _ = s.outage_probe(key, lease).await;
    s.outage_probe_failed(key, lease, lease).await;
    s.outage_end(key).await;
    s.reset(key).await;
}

#[test]
fn an_acl_user_over_mutual_tls_shares_one_budget_and_can_do_nothing_else() {
    let dir = temp_dir("certs");
    let certs = Certs::make(&dir);
    let server = tls_server(&certs, "server", true);
    let url = store_url(&server, &certs, &mutual(&certs));
    let rt = runtime();
    rt.block_on(async {
        // Two stores: two processes' views of one budget.
        let a = RedisStore::connect(&url).unwrap();
        let b = RedisStore::connect(&url).unwrap();
        assert!(a.wait_available(Duration::from_secs(5)).await, "{a:?}");
        assert!(b.wait_available(Duration::from_secs(5)).await, "{b:?}");
        let key = key_name("sk-tls-0001", "https://api.example.com", "data");
        let limit = RateLimit::parse("10/s").unwrap();
        let mut waits = Vec::new();
        for i in 0..6 {
            let s = if i % 2 == 0 { &a } else { &b };
            match s.reserve(&key, &limit, None).await {
                Reservation::Go(d) => waits.push(d),
                other => panic!("{other:?}"),
            }
        }
        // One schedule across both: the sixth decision is about 500 ms out.
        assert!(waits[5] >= Duration::from_millis(380), "{waits:?}");
        every_operation(&a, &key).await;
        // A client's calls through the same store.
        let emu = Emulator::start(Config::pyai().rate_limit(50.0, 5))
            .await
            .unwrap();
        let client = surefoot::pyai::Client::builder()
            .base_url(emu.url())
            .api_key("pyai_sk_full_0001")
            .pacing_store_url(url.as_str())
            .build_pyai()
            .unwrap();
        for _ in 0..20 {
            client
                .client()
                .get("/v1/transcription/jobs")
                .send()
                .await
                .unwrap();
        }
        let m = client.client().metrics();
        assert_eq!(m.pacing_store_fallbacks, 0, "{m:?}");
        for s in [&a, &b] {
            assert_eq!((s.fallback_decisions(), s.outages()), (0, 0), "{s:?}");
        }
    });
    let mut admin = admin(&server, &certs);
    // Nothing surefoot sent was refused by the ACL.
    let log: Vec<redis::Value> = redis::cmd("ACL").arg("LOG").query(&mut admin).unwrap();
    assert!(log.is_empty(), "ACL LOG: {log:?}");
    assert!(calls(&mut admin, "evalsha") >= 26);
    // The user reaches nothing else: other keys, other commands.
    let user_url = format!("rediss://surefoot:{PASSWORD}@127.0.0.1:{}/0", server.port);
    let mut user = redis::Client::build_with_tls(user_url, certs.redis_tls())
        .unwrap()
        .get_connection()
        .unwrap();
    for cmd in [
        redis::cmd("GET").arg("other:key").clone(),
        redis::cmd("KEYS").arg("*").clone(),
        redis::cmd("FLUSHALL").clone(),
        redis::cmd("EVAL").arg("return 1").arg(0).clone(),
        redis::cmd("CONFIG").arg("GET").arg("*").clone(),
    ] {
        let e = cmd.query::<redis::Value>(&mut user).unwrap_err();
        assert!(e.to_string().contains("NOPERM"), "{e}");
    }
    drop(rt);
}

#[test]
fn a_server_name_ca_or_client_certificate_that_does_not_match_is_never_used() {
    let dir = temp_dir("certs");
    let certs = Certs::make(&dir);
    let wrong_name = tls_server(&certs, "wrongname", false);
    let mutual_only = tls_server(&certs, "server", true);
    let rt = runtime();
    rt.block_on(async {
        let cases = [
            // The certificate is for redis.invalid, not 127.0.0.1.
            store_url(&wrong_name, &certs, ""),
            // The public roots do not know the test's CA.
            format!(
                "rediss://surefoot:{PASSWORD}@127.0.0.1:{}/0",
                mutual_only.port
            ),
            // The server wants a client certificate.
            store_url(&mutual_only, &certs, ""),
        ];
        for url in cases {
            let s = RedisStore::connect(&url).unwrap();
            assert!(
                !s.wait_available(Duration::from_millis(1500)).await,
                "{s:?}"
            );
            // Calls never fail: the decision is local.
            let key = key_name("sk-tls-0003", "https://api.example.com", "data");
            let r = s
                .reserve(&key, &RateLimit::parse("10/s").unwrap(), None)
                .await;
            assert!(matches!(r, Reservation::Go(_)), "{r:?}");
            assert!(s.fallback_decisions() >= 1);
        }
        // And the right settings on the same servers connect (the cases fail for the
        // reason they name).
        let ok = RedisStore::connect(&store_url(&mutual_only, &certs, &mutual(&certs))).unwrap();
        assert!(ok.wait_available(Duration::from_secs(5)).await, "{ok:?}");
    });
    let mut admin = admin(&mutual_only, &certs);
    assert!(calls(&mut admin, "ping") + calls(&mut admin, "evalsha") <= 1);
}

#[test]
fn malformed_tls_settings_are_refused_at_construction_without_the_password() {
    let dir = temp_dir("certs");
    std::fs::write(dir.join("junk.pem"), "not a certificate").unwrap();
    std::fs::write(
        dir.join("bad.key"),
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("fake.pem"),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let d = dir.display();
    for (query, expected) in [
        (
            format!("tls_ca={d}/junk.pem"),
            format!("pacing store URL: `tls_ca` file `{d}/junk.pem` holds no PEM certificate"),
        ),
        (
            format!("tls_ca={d}/missing.pem"),
            format!("pacing store URL: `tls_ca` file `{d}/missing.pem` cannot be read"),
        ),
        (
            format!("tls_cert={d}/bad.key&tls_key={d}/bad.key"),
            format!("pacing store URL: `tls_cert` file `{d}/bad.key` holds no PEM certificate"),
        ),
        (
            format!("tls_cert={d}/fake.pem&tls_key={d}/junk.pem"),
            format!("pacing store URL: `tls_key` file `{d}/junk.pem` holds no PEM private key"),
        ),
    ] {
        let url = format!("rediss://u:{PASSWORD}@127.0.0.1:6380/0?{query}");
        let e = RedisStore::connect(&url).unwrap_err();
        assert_eq!(e.code(), "invalid_request");
        assert!(e.message().starts_with(&expected), "{}", e.message());
        assert!(!format!("{e:?} {e}").contains(PASSWORD));
        assert!(surefoot::pacing::check_store_url(&url).is_err());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
