//! The Redis store behind Sentinel (`redis+sentinel://s1,s2,s3/service`), on a primary, a
//! replica and three sentinels this test starts on loopback (`redis-server --sentinel`,
//! the binary the `redis-sentinel` package links to). The primary is killed mid-run: the
//! sentinels promote the replica, the store finds it through them, and no call fails.

mod port_support;
mod redis_support;

use std::time::{Duration, Instant};

use redis_support::run::Run;
use redis_support::{calls, free_port, wait_until, Server};
use surefoot::pacing::PacingStore;

const SERVICE: &str = "surefoot-primary";

struct Deployment {
    primary: Server,
    replica: Server,
    sentinels: Vec<Server>,
}

fn info(server: &Server, section: &str) -> String {
    redis::cmd("INFO")
        .arg(section)
        .query(&mut server.conn())
        .unwrap()
}

impl Deployment {
    fn start() -> Deployment {
        let primary = Server::start("sentinel-primary", &[], false);
        let replica = Server::start(
            "sentinel-replica",
            &[format!("replicaof 127.0.0.1 {}", primary.port)],
            false,
        );
        wait_until("the replica in sync", || {
            info(&replica, "replication").contains("master_link_status:up")
        });
        let sentinels: Vec<Server> = (0..3)
            .map(|_| {
                let port = free_port();
                Server::start_on(
                    "sentinel",
                    port,
                    &[
                        format!("sentinel monitor {SERVICE} 127.0.0.1 {} 2", primary.port),
                        format!("sentinel down-after-milliseconds {SERVICE} 800"),
                        format!("sentinel failover-timeout {SERVICE} 4000"),
                        format!("sentinel parallel-syncs {SERVICE} 1"),
                    ],
                    true,
                )
            })
            .collect();
        for s in &sentinels {
            wait_until("each sentinel knows the replica and the others", || {
                let mut c = s.conn();
                let replicas: Vec<redis::Value> = redis::cmd("SENTINEL")
                    .arg("REPLICAS")
                    .arg(SERVICE)
                    .query(&mut c)
                    .unwrap_or_default();
                let others: Vec<redis::Value> = redis::cmd("SENTINEL")
                    .arg("SENTINELS")
                    .arg(SERVICE)
                    .query(&mut c)
                    .unwrap_or_default();
                replicas.len() == 1 && others.len() == 2
            });
        }
        Deployment {
            primary,
            replica,
            sentinels,
        }
    }

    fn url(&self) -> String {
        let hosts: Vec<String> = self
            .sentinels
            .iter()
            .map(|s| format!("127.0.0.1:{}", s.port))
            .collect();
        format!("redis+sentinel://{}/{SERVICE}", hosts.join(","))
    }
}

#[test]
fn the_primary_killed_mid_run_fails_no_call_and_the_store_follows_the_failover() {
    let mut d = Deployment::start();
    let total = 240usize;
    let start = Instant::now();
    let mut run = Run::start(&d.url(), total);
    std::thread::sleep(Duration::from_millis(1500));
    let before_kill = calls(&mut d.primary.conn(), "evalsha");
    d.primary.kill();
    let failed = run.failed();
    let wall = start.elapsed();
    let m = run.client.client().metrics();
    let s = run.stats();
    eprintln!(
        "sentinel failover: {total} calls in {wall:?}, failed {failed}, server 429s {}, \
         local decisions {}, outages {}",
        s["rate_limited"],
        m.pacing_store_fallbacks,
        run.store.outages()
    );
    assert_eq!(failed, 0);
    assert!(
        before_kill > 20,
        "{before_kill} decisions on the first primary"
    );
    // The replica is the primary now, and the store decides on it.
    wait_until("the replica promoted", || {
        info(&d.replica, "replication").contains("role:master")
    });
    assert!(
        run.rt
            .block_on(run.store.wait_available(Duration::from_secs(10))),
        "{:?}",
        run.store
    );
    let on_new = calls(&mut d.replica.conn(), "evalsha");
    assert!(on_new > 0, "no decision on the promoted replica");
    assert!(run.store.outages() >= 1);
    assert!(run.store.fallback_decisions() > 0);
    // One process at the key's limit: whatever it decided locally was at the full limit.
    assert!(s["rate_limited"].as_u64().unwrap() <= 12, "{s}");
    drop(d.sentinels);
    drop(run);
}
