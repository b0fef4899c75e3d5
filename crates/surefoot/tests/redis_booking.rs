//! What a process that paced locally books when it is back on Redis, over a real
//! `redis-server` this test starts: two stores (two processes' worth: each has its own id
//! in a key's set of processes) share two keys; one store is cut off from Redis (its ACL
//! user turned off and its connection killed; the other stays on Redis), decides locally
//! at its fair share, then comes back. Its first decision back puts the requests it decided
//! locally and has not sent yet on the shared schedule at their times: those among slots
//! the fleet was handed meanwhile are booked on top of them, and the schedule resumes only
//! after the last of them — so no slot of the other process lands beside them.

mod port_support;
mod redis_support;

use std::time::{Duration, Instant};

use redis_support::{runtime, Server};
use surefoot::pacing::{PacingStore, RedisStore, Reservation};
use surefoot::RateLimit;

/// The fleet idles while the store is cut off; the fleet keeps deciding meanwhile; the
/// cut store last decided on Redis a while before the cut.
const IDLE: &str = "{booking-idle}";
const BUSY: &str = "{booking-busy}";
const LEAD: &str = "{booking-lead}";
const SECOND: Duration = Duration::from_secs(1);
/// Slack for the time between one call and the next (ms on loopback; generous for load).
const SLACK: Duration = Duration::from_millis(300);

fn admin(server: &Server, cmd: &str, args: &[&str]) {
    let _: redis::Value = redis::cmd(cmd).arg(args).query(&mut server.conn()).unwrap();
}

/// When the slot a decision gives is (the call's time plus the wait).
async fn slot(store: &RedisStore, key: &str) -> Instant {
    let at = Instant::now();
    match store.reserve(key, &RateLimit::per_second(1), None).await {
        Reservation::Go(wait) => at + wait,
        other => panic!("expected a slot, got {other:?}"),
    }
}

#[test]
fn a_process_back_from_pacing_locally_books_its_unsent_requests_at_their_times() {
    let server = Server::start("booking", &[], false);
    admin(
        &server,
        "ACL",
        &["SETUSER", "cut", "on", ">cut-pw", "~*", "+@all"],
    );
    // 1/s, no burst: the shared interval is 1 s; two processes: a fair share of one
    // request every 2 s. A long decision timeout, so only the cut decides locally.
    let url = |auth: &str| format!("redis://{auth}127.0.0.1:{}/0?timeout_ms=1000", server.port);
    let stays = RedisStore::connect(&url("")).unwrap();
    let cut = RedisStore::connect(&url("cut:cut-pw@")).unwrap();
    runtime().block_on(async {
        assert!(stays.wait_available(Duration::from_secs(5)).await);
        assert!(cut.wait_available(Duration::from_secs(5)).await);
        slot(&stays, IDLE).await;
        slot(&cut, IDLE).await;
        for _ in 0..6 {
            slot(&stays, BUSY).await;
        }
        slot(&cut, BUSY).await;
        for _ in 0..3 {
            slot(&stays, LEAD).await;
        }
        // The shared schedule stands 4 s ahead after this slot (3 s away).
        let lead_seen = Instant::now();
        slot(&cut, LEAD).await;
        assert_eq!(cut.processes_seen(IDLE), 2);
        tokio::time::sleep(SECOND).await;

        admin(&server, "ACL", &["SETUSER", "cut", "off"]);
        admin(&server, "CLIENT", &["KILL", "USER", "cut"]);
        let mut local = Vec::new();
        for key in [IDLE, BUSY] {
            let mut slots = Vec::new();
            for _ in 0..3 {
                slots.push(slot(&cut, key).await);
            }
            for pair in slots.windows(2) {
                assert!(
                    pair[1] - pair[0] >= 2 * SECOND - SLACK,
                    "fair share: {slots:?}"
                );
            }
            local.push(slots);
        }
        // Local pacing starts as far ahead of the clock as the fleet's schedule stood at
        // the last decision on Redis, not where it stood then (the others kept taking
        // slots meanwhile, as a busy fleet's callers do).
        let first = slot(&cut, LEAD).await;
        assert!(
            first + SLACK >= Instant::now() + 4 * SECOND,
            "local after the lead"
        );
        assert!(
            first >= lead_seen + 4 * SECOND + SECOND - SLACK,
            "not where it stood then"
        );
        assert_eq!(cut.fallback_decisions(), 7, "the cut store decided locally");
        // Meanwhile the other process is handed the slots past the cut one's local ones.
        let mut handed = Instant::now();
        for _ in 0..8 {
            handed = slot(&stays, BUSY).await;
        }
        assert!(
            local[1][2] < handed,
            "the local requests lie among handed slots"
        );

        admin(&server, "ACL", &["SETUSER", "cut", "on"]);
        assert!(cut.wait_available(Duration::from_secs(10)).await);
        assert!(
            Instant::now() + SECOND < local[0][2],
            "back before the local requests went"
        );
        // The fleet idled: the schedule resumes an interval after the last local request
        // (booking them at the head instead would put slots beside the later ones).
        let back = slot(&cut, IDLE).await;
        let next = slot(&stays, IDLE).await;
        assert!(
            back + SLACK >= local[0][2] + SECOND,
            "resumes after the last local request"
        );
        assert!(
            next + SLACK >= back + SECOND,
            "the other process's slot after it"
        );
        // The fleet went on: the three local requests are booked after the handed slots.
        let back = slot(&cut, BUSY).await;
        let next = slot(&stays, BUSY).await;
        assert!(
            back + SLACK >= handed + 4 * SECOND,
            "three booked after the handed slots"
        );
        assert!(
            next + SLACK >= back + SECOND,
            "the other process's slot after them"
        );
        assert_eq!(
            stays.fallback_decisions(),
            0,
            "the other process stayed on Redis"
        );
    });
}
