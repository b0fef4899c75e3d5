//! The Redis store on a Redis Cluster (`redis+cluster://h1,h2/`): three primaries this
//! test starts on loopback (`--cluster-enabled yes`) and joins with
//! `redis-cli --cluster create`. Every piece of one key's state is in one slot, the scripts
//! get loaded on every primary that holds keys, and a slot migrated while a client is
//! running (keys moved with `MIGRATE`, `ASK` then `MOVED` redirects) fails no call.

mod port_support;
mod redis_support;

use std::collections::{HashMap, HashSet};
use std::process::Command;
use std::time::{Duration, Instant};

use redis_support::run::Run;
use redis_support::{calls, keys, runtime, wait_until, Server};
use surefoot::pacing::{key_name, PacingStore, RateLimit, RedisStore, Reservation};

struct Cluster {
    nodes: Vec<Server>,
}

impl Cluster {
    fn start() -> Cluster {
        Cluster::start_with(3, 0)
    }

    /// `count` nodes, each primary with `replicas` replicas.
    fn start_with(count: usize, replicas: usize) -> Cluster {
        let nodes: Vec<Server> = (0..count)
            .map(|_| {
                Server::start(
                    "cluster-node",
                    &[
                        "cluster-enabled yes".into(),
                        "cluster-config-file nodes.conf".into(),
                        "cluster-node-timeout 3000".into(),
                        // The bus port (by default the port + 10,000: past 65,535 for a
                        // high free port).
                        format!("cluster-port {}", redis_support::free_port()),
                        "repl-diskless-sync-delay 0".into(),
                    ],
                    false,
                )
            })
            .collect();
        let addrs: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let out = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addrs)
            .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
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
                    .query(&mut n.conn())
                    .unwrap();
                info.contains("cluster_state:ok")
            });
        }
        // A replica that never synced would not take over from its primary.
        for n in &nodes {
            wait_until("every replica in sync", || {
                let info: String = redis::cmd("INFO")
                    .arg("replication")
                    .query(&mut n.conn())
                    .unwrap();
                info.contains("role:master") || info.contains("master_link_status:up")
            });
        }
        Cluster { nodes }
    }

    fn url(&self) -> String {
        format!(
            "redis+cluster://127.0.0.1:{},127.0.0.1:{}/",
            self.nodes[0].port, self.nodes[1].port
        )
    }

    fn slot(&self, key: &str) -> u16 {
        redis::cmd("CLUSTER")
            .arg("KEYSLOT")
            .arg(key)
            .query(&mut self.nodes[0].conn())
            .unwrap()
    }

    /// The node serving `slot` now (asking node `via`).
    fn owner(&self, slot: u16) -> usize {
        self.owner_via(0, slot)
    }

    fn owner_via(&self, via: usize, slot: u16) -> usize {
        let mut c = self.nodes[via].conn();
        let ranges: Vec<(u16, u16, (String, u16))> = redis::cmd("CLUSTER")
            .arg("SLOTS")
            .query::<Vec<redis::Value>>(&mut c)
            .unwrap()
            .into_iter()
            .map(|r| {
                // [start, end, primary, replica…]
                let r: Vec<redis::Value> = redis::from_redis_value(&r).unwrap();
                let a: u16 = redis::from_redis_value(&r[0]).unwrap();
                let b: u16 = redis::from_redis_value(&r[1]).unwrap();
                let node: Vec<redis::Value> = redis::from_redis_value(&r[2]).unwrap();
                let port: u16 = redis::from_redis_value(&node[1]).unwrap();
                (a, b, (String::new(), port))
            })
            .collect();
        let port = ranges
            .iter()
            .find(|(a, b, _)| (*a..=*b).contains(&slot))
            .map(|r| r.2 .1)
            .unwrap();
        self.nodes.iter().position(|n| n.port == port).unwrap()
    }

    fn id(&self, i: usize) -> String {
        redis::cmd("CLUSTER")
            .arg("MYID")
            .query(&mut self.nodes[i].conn())
            .unwrap()
    }

    /// Move `slot` from node `from` to node `to` as `redis-cli --cluster reshard` does,
    /// with pauses while it is half-way (traffic meets `ASK` redirects then).
    fn migrate(&self, slot: u16, from: usize, to: usize) {
        self.begin_migration(slot, from, to);
        std::thread::sleep(Duration::from_millis(300));
        self.move_keys(slot, from, to);
        std::thread::sleep(Duration::from_millis(300));
        self.end_migration(slot, from, to);
    }

    fn setslot(&self, node: usize, slot: u16, state: &str, id: &str) {
        let _: () = redis::cmd("CLUSTER")
            .arg("SETSLOT")
            .arg(slot)
            .arg(state)
            .arg(id)
            .query(&mut self.nodes[node].conn())
            .unwrap();
    }

    /// `slot` importing on `to`, migrating on `from`.
    fn begin_migration(&self, slot: u16, from: usize, to: usize) {
        self.setslot(to, slot, "IMPORTING", &self.id(from));
        self.setslot(from, slot, "MIGRATING", &self.id(to));
    }

    /// Every key of `slot` moved from `from` to `to` (`MIGRATE`, 100 at a time).
    fn move_keys(&self, slot: u16, from: usize, to: usize) {
        let mut src = self.nodes[from].conn();
        loop {
            let keys: Vec<String> = redis::cmd("CLUSTER")
                .arg("GETKEYSINSLOT")
                .arg(slot)
                .arg(100)
                .query(&mut src)
                .unwrap();
            if keys.is_empty() {
                break;
            }
            let _: redis::Value = redis::cmd("MIGRATE")
                .arg("127.0.0.1")
                .arg(self.nodes[to].port)
                .arg("")
                .arg(0)
                .arg(5000)
                .arg("REPLACE")
                .arg("KEYS")
                .arg(&keys)
                .query(&mut src)
                .unwrap();
        }
    }

    /// `slot` is `to`'s, on every node.
    fn end_migration(&self, slot: u16, from: usize, to: usize) {
        let to_id = self.id(to);
        self.setslot(to, slot, "NODE", &to_id);
        self.setslot(from, slot, "NODE", &to_id);
        for i in (0..self.nodes.len()).filter(|i| *i != from && *i != to) {
            self.setslot(i, slot, "NODE", &to_id);
        }
    }
}

#[test]
fn every_key_of_one_api_key_is_in_one_slot_and_every_primary_runs_the_scripts() {
    let cluster = Cluster::start();
    let rt = runtime();
    // A decision timeout a loaded test machine does not reach: every one on Redis.
    let store = RedisStore::connect(&format!("{}?timeout_ms=1000", cluster.url())).unwrap();
    let ids: Vec<String> = (0..24)
        .map(|i| {
            key_name(
                &format!("sk-cluster-{i:04}"),
                "https://api.example.com",
                "data",
            )
        })
        .collect();
    rt.block_on(async {
        assert!(store.wait_available(Duration::from_secs(5)).await);
        let limit = RateLimit::parse("10/s").unwrap();
        for id in &ids {
            for _ in 0..3 {
                let r = store.reserve(id, &limit, None).await;
                assert!(matches!(r, Reservation::Go(_)), "{r:?}");
            }
            // Slots and retry budget: more keys of the same id.
            let slot = store
                .acquire_slot(id, 2, Duration::from_secs(5))
                .await
                .unwrap();
            assert!(store.take_retry_tokens(id, 1, 10).await);
            store.release_slot(id, &slot).await;
        }
    });
    assert_eq!((store.fallback_decisions(), store.outages()), (0, 0));
    let mut slots_of: HashMap<String, HashSet<u16>> = HashMap::new();
    for (i, n) in cluster.nodes.iter().enumerate() {
        let mut c = n.conn();
        let here = keys(&mut c);
        assert!(!here.is_empty(), "node {i} holds no key");
        // Every primary holding keys ran the scripts (loaded there on NOSCRIPT).
        assert!(calls(&mut c, "evalsha") > 0, "node {i}");
        for k in here {
            let name = k.split(':').nth(1).unwrap().to_owned();
            slots_of.entry(name).or_default().insert(cluster.slot(&k));
        }
    }
    assert_eq!(slots_of.len(), ids.len());
    for (name, slots) in &slots_of {
        assert_eq!(slots.len(), 1, "{name} spans slots {slots:?}");
    }
}

#[test]
fn a_slot_migrated_mid_run_fails_no_call() {
    let cluster = Cluster::start();
    let total = 200usize;
    let mut run = Run::start(&cluster.url(), total);
    std::thread::sleep(Duration::from_millis(1000));
    // The slot of the key's schedule, wherever it is.
    let tat = cluster
        .nodes
        .iter()
        .flat_map(|n| keys(&mut n.conn()))
        .find(|k| k.ends_with(":tat"))
        .expect("a schedule key");
    let slot = cluster.slot(&tat);
    let from = cluster.owner(slot);
    let to = (from + 1) % 3;
    cluster.migrate(slot, from, to);
    let failed = run.failed();
    let s = run.stats();
    eprintln!(
        "cluster slot migration: {total} calls, failed {failed}, server 429s {}, local decisions {}",
        s["rate_limited"],
        run.store.fallback_decisions()
    );
    assert_eq!(failed, 0);
    assert_eq!(cluster.owner(slot), to);
    let moved = keys(&mut cluster.nodes[to].conn());
    assert!(moved.iter().any(|k| k.ends_with(":tat")), "{moved:?}");
    assert!(s["rate_limited"].as_u64().unwrap() <= 6, "{s}");
}

/// A decision whose slot is half-way through a migration meets `TRYAGAIN` (its schedule
/// is on one node, its pause key exists on neither) until the move ends; a short one is
/// retried within the decision's timeout, not after the cluster client's default 1.28 s
/// wait, so nothing is decided locally.
#[test]
fn a_short_tryagain_in_a_migration_is_retried_within_the_decision_timeout() {
    let cluster = Cluster::start();
    let rt = runtime();
    let url = format!("{}?timeout_ms=900", cluster.url());
    let store = std::sync::Arc::new(RedisStore::connect(&url).unwrap());
    let id = key_name("sk-cluster-tryagain", "https://api.example.com", "data");
    let limit = RateLimit::parse("1000/s").unwrap();
    rt.block_on(async {
        assert!(store.wait_available(Duration::from_secs(5)).await);
        let r = store.reserve(&id, &limit, None).await;
        assert!(matches!(r, Reservation::Go(_)), "{r:?}");
    });
    let tat = cluster
        .nodes
        .iter()
        .flat_map(|n| keys(&mut n.conn()))
        .find(|k| k.ends_with(":tat"))
        .expect("a schedule key");
    let slot = cluster.slot(&tat);
    let from = cluster.owner(slot);
    let to = (from + 1) % 3;
    cluster.begin_migration(slot, from, to);
    let decision = {
        let (store, id) = (store.clone(), id.clone());
        rt.spawn(async move {
            let t = Instant::now();
            let r = store.reserve(&id, &limit, None).await;
            (r, t.elapsed())
        })
    };
    std::thread::sleep(Duration::from_millis(150));
    cluster.move_keys(slot, from, to);
    cluster.end_migration(slot, from, to);
    let (r, took) = rt.block_on(decision).unwrap();
    let rejected = calls_rejected(&mut cluster.nodes[from].conn());
    eprintln!("decision across a migration: {r:?} in {took:?}, {rejected} evalsha redirected");
    assert!(matches!(r, Reservation::Go(_)), "{r:?}");
    assert!(rejected > 0, "the decision never met the migration");
    assert_eq!((store.fallback_decisions(), store.outages()), (0, 0));
    assert_eq!(cluster.owner(slot), to);
}

/// `evalsha` calls `node` refused with a redirect or `TRYAGAIN` (`rejected_calls`).
fn calls_rejected(conn: &mut redis::Connection) -> u64 {
    let info: String = redis::cmd("INFO").arg("commandstats").query(conn).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("cmdstat_evalsha:"))
        .and_then(|l| {
            l.split(',')
                .find_map(|kv| kv.strip_prefix("rejected_calls="))
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_primary_lost_mid_run_fails_no_call_and_its_replica_takes_over() {
    let mut cluster = Cluster::start_with(6, 1);
    let total = 280usize;
    let mut run = Run::start(&cluster.url(), total);
    std::thread::sleep(Duration::from_millis(1000));
    let tat = cluster
        .nodes
        .iter()
        .flat_map(|n| keys(&mut n.conn()))
        .find(|k| k.ends_with(":tat"))
        .expect("a schedule key");
    let slot = cluster.slot(&tat);
    let lost = cluster.owner(slot);
    cluster.nodes[lost].kill();
    let killed = Instant::now();
    let failed = run.failed();
    let s = run.stats();
    eprintln!(
        "cluster primary lost: {total} calls, failed {failed}, server 429s {}, local decisions {}",
        s["rate_limited"],
        run.store.fallback_decisions()
    );
    assert_eq!(failed, 0);
    let via = (lost + 1) % 6;
    wait_until("the replica promoted", || {
        let owner = cluster.owner_via(via, slot);
        owner != lost
    });
    let promoted = cluster.owner_via(via, slot);
    eprintln!("promoted after {:?}", killed.elapsed());
    // The store decides on the promoted replica again.
    let before = calls(&mut cluster.nodes[promoted].conn(), "evalsha");
    run.rt.block_on(async {
        let key = key_name("pyai_sk_full_0001", &run.emu.url(), "data");
        let deadline = Instant::now() + Duration::from_secs(10);
        while calls(&mut cluster.nodes[promoted].conn(), "evalsha") == before {
            assert!(
                Instant::now() < deadline,
                "no decision on the promoted replica"
            );
            let _ = run
                .store
                .reserve(
                    &tat_id(&tat, &key),
                    &RateLimit::parse("40/s").unwrap(),
                    None,
                )
                .await;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        eprintln!(
            "deciding on the promoted replica {:?} after the kill",
            killed.elapsed()
        );
    });
    assert!(s["rate_limited"].as_u64().unwrap() <= 12, "{s}");
}

/// The store id of a Redis key name (`surefoot:{…}:tat` → `{…}`); `fallback` if it has none.
fn tat_id(name: &str, fallback: &str) -> String {
    name.split(':')
        .nth(1)
        .map(str::to_owned)
        .unwrap_or_else(|| fallback.to_owned())
}
