//! The TLS forms of Cluster and Sentinel (`rediss+cluster://`, `rediss+sentinel://`) and a
//! Sentinel deployment whose sentinels ask for a password of their own
//! (`sentinel_password=`): servers this test starts on loopback with TLS ports only
//! (`tls-cluster yes`, `tls-replication yes`, mutual TLS with certificates made with
//! `openssl`), the cluster joined with `redis-cli --tls --cluster create`. Decisions go
//! through on Redis, none locally; a wrong or missing sentinel password is never shown.

mod port_support;
mod redis_support;

use std::process::Command;
use std::time::Duration;

use redis_support::{runtime, temp_dir, wait_until, Certs, Server};
use surefoot::pacing::{key_name, PacingStore, RateLimit, RedisStore, Reservation};

const NODE_PASSWORD: &str = "node-pw-73c1a9";
const SENTINEL_PASSWORD: &str = "sentinel-pw-0b5e24";
const SERVICE: &str = "surefoot-tls";

/// TLS lines of a server (or sentinel) on `port`: its certificate, clients must show one
/// signed by the CA, and its own outgoing connections (replication, cluster bus, the
/// sentinel's) show the client certificate.
fn tls_lines(certs: &Certs, port: u16) -> Vec<String> {
    vec![
        format!("tls-port {port}"),
        format!("tls-cert-file {}", certs.path("server.pem")),
        format!("tls-key-file {}", certs.path("server.key")),
        format!("tls-client-cert-file {}", certs.path("client.pem")),
        format!("tls-client-key-file {}", certs.path("client.key")),
        format!("tls-ca-cert-file {}", certs.path("ca.pem")),
        "tls-auth-clients yes".into(),
        "tls-replication yes".into(),
    ]
}

/// An admin connection over mutual TLS (`password` for the default user, if any).
fn admin(port: u16, certs: &Certs, password: Option<&str>) -> redis::Connection {
    let auth = password.map_or(String::new(), |p| format!(":{p}@"));
    redis::Client::build_with_tls(
        format!("rediss://{auth}127.0.0.1:{port}/0"),
        certs.redis_tls(),
    )
    .unwrap()
    .get_connection()
    .unwrap()
}

fn evalsha_calls(conn: &mut redis::Connection) -> u64 {
    let info: String = redis::cmd("INFO").arg("commandstats").query(conn).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("cmdstat_evalsha:calls="))
        .and_then(|l| l.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The TLS files, and a decision timeout a loaded test machine does not reach (every
/// decision that can be made on Redis is).
fn tls_query(certs: &Certs) -> String {
    format!(
        "timeout_ms=1000&tls_ca={}&tls_cert={}&tls_key={}",
        certs.path("ca.pem"),
        certs.path("client.pem"),
        certs.path("client.key")
    )
}

/// `n` decisions, one on each of `n` API keys (so a cluster's three nodes all get some):
/// how many were Go.
async fn decide(store: &RedisStore, n: usize) -> usize {
    let limit = RateLimit::parse("10/s").unwrap();
    let mut go = 0;
    for i in 0..n {
        let key = key_name(
            &format!("sk-tls-topo-{i:03}"),
            "https://api.example.com",
            "d",
        );
        if matches!(store.reserve(&key, &limit, None).await, Reservation::Go(_)) {
            go += 1;
        }
    }
    go
}

#[test]
fn a_cluster_over_mutual_tls_decides_on_every_primary() {
    let dir = temp_dir("cluster-certs");
    let certs = Certs::make(&dir);
    let nodes: Vec<Server> = (0..3)
        .map(|_| {
            let port = redis_support::free_port();
            let mut lines = tls_lines(&certs, port);
            lines.extend([
                "cluster-enabled yes".into(),
                "cluster-config-file nodes.conf".into(),
                "cluster-node-timeout 3000".into(),
                format!("cluster-port {}", redis_support::free_port()),
                "tls-cluster yes".into(),
            ]);
            Server::start_on("cluster-tls", port, &lines, false)
        })
        .collect();
    let out = Command::new("redis-cli")
        .args(["--tls", "--cacert", &certs.path("ca.pem")])
        .args([
            "--cert",
            &certs.path("client.pem"),
            "--key",
            &certs.path("client.key"),
        ])
        .arg("--cluster")
        .arg("create")
        .args(nodes.iter().map(|n| format!("127.0.0.1:{}", n.port)))
        .arg("--cluster-yes")
        .output()
        .expect("redis-cli on the PATH");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    for n in &nodes {
        wait_until("cluster_state:ok on every node", || {
            let info: String = redis::cmd("CLUSTER")
                .arg("INFO")
                .query(&mut admin(n.port, &certs, None))
                .unwrap();
            info.contains("cluster_state:ok")
        });
    }
    let url = format!(
        "rediss+cluster://127.0.0.1:{},127.0.0.1:{}/?{}",
        nodes[0].port,
        nodes[1].port,
        tls_query(&certs)
    );
    let store = RedisStore::connect(&url).unwrap();
    let rt = runtime();
    let go = rt.block_on(async {
        assert!(
            store.wait_available(Duration::from_secs(10)).await,
            "{store:?}"
        );
        decide(&store, 24).await
    });
    assert_eq!(go, 24);
    assert_eq!((store.fallback_decisions(), store.outages()), (0, 0));
    for (i, n) in nodes.iter().enumerate() {
        assert!(
            evalsha_calls(&mut admin(n.port, &certs, None)) > 0,
            "node {i}"
        );
    }
    // Without the CA, no node is trusted: nothing is decided on Redis.
    let plain_ca = url.split("?").next().unwrap().to_owned();
    let untrusted = RedisStore::connect(&plain_ca).unwrap();
    rt.block_on(async {
        assert!(!untrusted.wait_available(Duration::from_secs(2)).await);
    });
    drop(nodes);
    let _ = std::fs::remove_dir_all(dir);
}

/// A primary and one sentinel, both TLS only and both asking for a password.
struct SentinelDeployment {
    primary: Server,
    sentinel: Server,
    certs: Certs,
}

impl SentinelDeployment {
    fn start(certs: Certs) -> SentinelDeployment {
        let port = redis_support::free_port();
        let mut lines = tls_lines(&certs, port);
        lines.push(format!("requirepass {NODE_PASSWORD}"));
        let primary = Server::start_on("sentinel-tls-primary", port, &lines, false);
        let port = redis_support::free_port();
        let mut lines = tls_lines(&certs, port);
        lines.extend([
            format!("requirepass {SENTINEL_PASSWORD}"),
            format!("sentinel monitor {SERVICE} 127.0.0.1 {} 1", primary.port),
            format!("sentinel auth-pass {SERVICE} {NODE_PASSWORD}"),
            format!("sentinel down-after-milliseconds {SERVICE} 1000"),
        ]);
        let sentinel = Server::start_on("sentinel-tls", port, &lines, true);
        SentinelDeployment {
            primary,
            sentinel,
            certs,
        }
    }

    fn url(&self, query: &str) -> String {
        format!(
            "rediss+sentinel://:{NODE_PASSWORD}@127.0.0.1:{}/{SERVICE}?{}{query}",
            self.sentinel.port,
            tls_query(&self.certs)
        )
    }
}

#[test]
fn sentinel_over_mutual_tls_with_the_sentinels_own_password() {
    let dir = temp_dir("sentinel-certs");
    let d = SentinelDeployment::start(Certs::make(&dir));
    wait_until("the sentinel answers with its password", || {
        let c = redis::Client::build_with_tls(
            format!(
                "rediss://:{SENTINEL_PASSWORD}@127.0.0.1:{}/0",
                d.sentinel.port
            ),
            d.certs.redis_tls(),
        )
        .unwrap();
        let addr: redis::RedisResult<Vec<String>> = c.get_connection().and_then(|mut c| {
            redis::cmd("SENTINEL")
                .arg("GET-MASTER-ADDR-BY-NAME")
                .arg(SERVICE)
                .query(&mut c)
        });
        addr.is_ok_and(|a| a.len() == 2)
    });
    let rt = runtime();
    let pw = format!("&sentinel_password={SENTINEL_PASSWORD}");
    let store = RedisStore::connect(&d.url(&pw)).unwrap();
    let go = rt.block_on(async {
        assert!(
            store.wait_available(Duration::from_secs(10)).await,
            "{store:?}"
        );
        decide(&store, 6).await
    });
    assert_eq!(go, 6);
    assert_eq!((store.fallback_decisions(), store.outages()), (0, 0));
    let mut primary = admin(d.primary.port, &d.certs, Some(NODE_PASSWORD));
    assert!(evalsha_calls(&mut primary) >= 6);
    // No sentinel password, or a wrong one: the sentinel refuses, the store decides
    // locally, and neither password shows in what the store says about itself.
    for query in ["", "&sentinel_password=not-the-sentinel-pw"] {
        let s = RedisStore::connect(&d.url(query)).unwrap();
        let go = rt.block_on(async {
            assert!(!s.wait_available(Duration::from_secs(2)).await);
            decide(&s, 2).await
        });
        assert_eq!((go, s.fallback_decisions()), (2, 2));
        let shown = format!("{s:?} {}", s.name());
        for secret in [NODE_PASSWORD, SENTINEL_PASSWORD, "not-the-sentinel-pw"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
    drop(d);
    let _ = std::fs::remove_dir_all(dir);
}
