//! Realtime sessions: a guard per session, a shared concurrency cap, cleanup on drop.

use std::time::Duration;

use surefoot_emulator::Config;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_cap_queues_sessions_instead_of_failing() {
    let emu = pyai_with(Config::pyai().realtime_concurrency(2)).await;
    let client = builder(&emu, PYAI_KEY)
        .max_concurrent_sessions(2)
        .build_pyai()
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..6 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let session = client.realtime().open(&format!("agent-{i}")).await.unwrap();
            tokio::time::sleep(Duration::from_millis(100)).await;
            session.close().await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let stats = serde_json::to_value(emu.stats()).unwrap();
    assert_eq!(stat(&emu, "rate_limited"), 0);
    assert!(
        stats["max_realtime_concurrency"]["overall"]
            .as_u64()
            .unwrap()
            <= 2,
        "{stats}"
    );
    assert_eq!(stats["open_realtime_sessions"].as_u64().unwrap(), 0);
}

#[tokio::test]
async fn server_concurrency_429_is_waited_out() {
    let emu = pyai_with(
        Config::pyai()
            .realtime_concurrency(1)
            .concurrency_retry_after(Duration::from_millis(300)),
    )
    .await;
    let client = pyai_client(&emu);
    let first = client.realtime().open("agent-a").await.unwrap();
    let c2 = client.clone();
    let second = tokio::spawn(async move { c2.realtime().open("agent-b").await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    first.close().await.unwrap();
    let second = second.await.unwrap().unwrap();
    assert_eq!(second.agent_id(), "agent-b");
    second.close().await.unwrap();
}

#[tokio::test]
async fn dropping_a_session_ends_it() {
    let emu = pyai().await;
    let client = pyai_client(&emu);
    let session = client.realtime().open("agent-drop").await.unwrap();
    assert!(!session.id().is_empty());
    drop(session);
    for _ in 0..50 {
        if stat(&emu, "open_realtime_sessions") == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the dropped session was never ended");
}
