//! Bulk work in the core: `create_many` exactly once through dropped connections, resets,
//! requeues and interruptions (the emulator's job count is the judge), and `export_all`
//! resumed after an interruption (every document exactly once, files complete).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use surefoot::bulk::{self, CancelToken, DirSink, ExportError, ExportSink, JobOutcome};
use surefoot::pyai::CreateJob;
use surefoot::specala::Format;
use surefoot_emulator::{Config, Fault};

use crate::common::*;

const JOBS: &str = "POST /v1/transcription/jobs";

fn items(n: usize) -> Vec<CreateJob> {
    (0..n)
        .map(|i| CreateJob::new(format!("https://example.com/bulk/{i}.wav")).language("en"))
        .collect()
}

#[tokio::test]
async fn create_many_through_dropped_connections_makes_one_job_per_item_and_a_rerun_none() {
    let emu = pyai_with(Config::pyai().no_rate_limits()).await;
    emu.inject(Fault::drop_after_processing(JOBS, 5));
    emu.inject(Fault::reset(JOBS, 3));
    let client = pyai_client(&emu);
    let results = client
        .jobs()
        .create_many(items(40))
        .concurrency(8)
        .run()
        .await;
    assert_eq!(results.len(), 40);
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.index, i);
        assert!(r.is_done(), "item {i}: {:?}", r.error());
        assert_eq!(r.idempotency_key, bulk::key_for(&items(40)[i]));
    }
    assert_eq!(stat(&emu, "jobs_created"), 40, "one job per item");
    let ids: HashSet<String> = results
        .iter()
        .map(|r| r.job().unwrap().id().to_string())
        .collect();
    assert_eq!(ids.len(), 40);

    // The same items again: every job is replayed, none is created.
    let again = client.jobs().create_many(items(40)).run().await;
    assert_eq!(stat(&emu, "jobs_created"), 40, "a re-run creates nothing");
    for (a, b) in results.iter().zip(&again) {
        assert_eq!(a.job().unwrap().id(), b.job().unwrap().id());
        assert_eq!(a.idempotency_key, b.idempotency_key);
    }
}

#[tokio::test]
async fn an_interrupted_run_leaves_items_done_or_safe_to_resubmit() {
    let emu = pyai_with(Config::pyai().no_rate_limits()).await;
    // Slow answers so that the cancel lands while creations are in flight.
    emu.inject(Fault::delay(JOBS, 0, 30));
    let client = pyai_client(&emu);
    let token = CancelToken::new();
    let trigger = token.clone();
    let summary_results = Arc::new(Mutex::new(Vec::new()));
    let sink = summary_results.clone();
    let summary = client
        .jobs()
        .create_many(items(60))
        .concurrency(4)
        .cancel_token(token)
        .progress(move |p| {
            if p.done >= 10 {
                trigger.cancel();
            }
        })
        .for_each(|r| sink.lock().unwrap().push(r))
        .await;
    let first = summary_results.lock().unwrap().clone();
    assert!(summary.interrupted);
    assert_eq!(first.len(), 60, "every item has a result");
    let done = first.iter().filter(|r| r.is_done()).count();
    let not_done = first.iter().filter(|r| r.is_not_done()).count();
    assert!((10..60).contains(&done), "{done} done");
    assert_eq!(done + not_done, 60, "done or not done, never failed");
    assert!(first
        .iter()
        .any(|r| matches!(r.outcome, JobOutcome::NotDone { sent: false, .. })));
    for r in first.iter().filter(|r| r.is_not_done()) {
        let e = r.error().unwrap();
        assert_eq!(e.code(), "not_done");
        assert_eq!(e.idempotency_key(), Some(r.idempotency_key.as_str()));
    }
    let created_before = stat(&emu, "jobs_created") as usize;
    assert!(created_before >= done);

    // Resubmitting everything with the same keys: exactly one job per item in the end.
    emu.clear_faults();
    let second = client
        .jobs()
        .create_many(items(60))
        .ordered(false)
        .run()
        .await;
    assert!(second.iter().all(|r| r.is_done()));
    assert_eq!(stat(&emu, "jobs_created"), 60, "exactly one job per item");
    for r in first.iter().filter(|r| r.is_done()) {
        assert_eq!(
            r.job().unwrap().id(),
            second[r.index].job().unwrap().id(),
            "item {} replayed",
            r.index
        );
    }
}

#[tokio::test]
async fn transient_trouble_beyond_the_retries_is_requeued_and_final_errors_are_not() {
    let emu = pyai_with(Config::pyai().no_rate_limits()).await;
    let client = builder(&emu, PYAI_KEY).max_retries(1).build_pyai().unwrap();
    // Two 503s: the first item's two attempts fail, so it needs a second round.
    emu.inject(Fault::status(JOBS, 2, 503, ""));
    let mut list = items(3);
    list.push(CreateJob::new("  "));
    list.push(
        items(1)[0]
            .clone()
            .metadata(serde_json::json!({"other": true}))
            .idempotency_key(bulk::key_for(&items(1)[0])),
    );
    list.push(items(1)[0].clone());
    let requeued = Arc::new(AtomicUsize::new(0));
    let seen = requeued.clone();
    let results = client
        .jobs()
        .create_many(list)
        .concurrency(1)
        .progress(move |p| seen.store(p.requeued, Ordering::SeqCst))
        .run()
        .await;
    assert!(results[0].is_done(), "{:?}", results[0].error());
    assert_eq!(results[0].rounds, 2, "requeued once");
    assert_eq!(requeued.load(Ordering::SeqCst), 1);
    assert!(results[1].is_done() && results[2].is_done());
    assert_eq!(results[3].error().unwrap().code(), "invalid_request");
    assert_eq!(results[3].rounds, 1, "a final error is not requeued");
    assert_eq!(results[4].error().unwrap().code(), "idempotency_conflict");
    assert_eq!(results[4].rounds, 0, "a conflicting repeat is not sent");
    assert_eq!(results[5].same_as, Some(0));
    assert_eq!(
        results[5].job().unwrap().id(),
        results[0].job().unwrap().id()
    );
    assert_eq!(stat(&emu, "jobs_created"), 3);
}

#[tokio::test]
async fn an_error_about_the_key_stops_the_run() {
    let emu = pyai_with(Config::pyai().no_rate_limits()).await;
    let client = builder(&emu, "pyai_sk_revoked_9999").build_pyai().unwrap();
    let mut results = Vec::new();
    let summary = client
        .jobs()
        .create_many(items(20))
        .concurrency(2)
        .for_each(|r| results.push(r))
        .await;
    let stopped = summary.stopped.expect("stopped");
    assert_eq!(stopped.code(), "unauthorized");
    assert_eq!(results.len(), 20);
    assert!(results.iter().all(|r| !r.is_done()));
    assert!(results.iter().any(|r| r.is_not_done()));
    assert_eq!(stat(&emu, "jobs_created"), 0);
}

/// A key allowed 3 jobs and 5 items: the run stops on the 402, and the results say what the
/// server holds (the creations already sent are awaited, never reported as not done).
#[tokio::test]
async fn a_stopped_run_reports_what_the_server_holds_and_a_resubmission_replays_it() {
    for concurrency in [16, 2, 1] {
        let emu = pyai_with(Config::pyai().no_rate_limits()).await;
        let client = builder(&emu, "pyai_sk_budget_0005").build_pyai().unwrap();
        let mut results = Vec::new();
        let summary = client
            .jobs()
            .create_many(items(5))
            .concurrency(concurrency)
            .for_each(|r| results.push(r))
            .await;
        let stopped = summary.stopped.expect("stopped");
        assert_eq!(
            (stopped.code(), stopped.status()),
            ("key_budget_exceeded", Some(402))
        );
        let done = results.iter().filter(|r| r.is_done()).count();
        assert_eq!(
            done, 3,
            "concurrency {concurrency}: every job the server created is reported done"
        );
        assert_eq!(stat(&emu, "jobs_created"), 3);
        for r in results.iter().filter(|r| r.is_not_done()) {
            assert!(
                !r.outcome_unknown(),
                "only unsent items are left not done here"
            );
            let JobOutcome::NotDone { reason, .. } = &r.outcome else {
                unreachable!()
            };
            assert_eq!(reason.kind(), surefoot::ErrorKind::NotDone);
            assert_eq!(reason.kind().as_str(), "not_done");
            assert!(
                reason
                    .message()
                    .contains("stopped on key_budget_exceeded (HTTP 402)"),
                "{}",
                reason.message()
            );
            assert_eq!(
                r.stopped_by().map(|e| e.code()),
                Some("key_budget_exceeded")
            );
        }
        let again = client.jobs().create_many(items(5)).run().await;
        assert_eq!(
            stat(&emu, "jobs_created"),
            3,
            "a resubmission creates nothing"
        );
        for r in results.iter().filter(|r| r.is_done()) {
            assert_eq!(
                again[r.index].job().map(|j| j.id()),
                r.job().map(|j| j.id()),
                "replayed"
            );
        }
    }
}

/// Creations in flight when a run is cancelled are reported as not done with an unknown
/// outcome (never as a timeout); resubmitting them reports them done.
#[tokio::test]
async fn items_cut_off_in_flight_say_their_outcome_is_unknown() {
    let emu = pyai_with(Config::pyai().no_rate_limits()).await;
    emu.inject(Fault::delay(JOBS, 0, 300));
    let client = pyai_client(&emu);
    let results = client
        .jobs()
        .create_many(items(4))
        .concurrency(4)
        .deadline(std::time::Duration::from_millis(100))
        .run()
        .await;
    assert!(results.iter().all(|r| r.outcome_unknown()));
    for r in &results {
        let e = r.error().unwrap();
        assert_eq!(e.kind(), surefoot::ErrorKind::NotDone);
        assert!(
            e.message().contains("reached its deadline"),
            "{}",
            e.message()
        );
        assert!(
            e.message().contains("outcome is unknown"),
            "{}",
            e.message()
        );
    }
    emu.clear_faults();
    let again = client.jobs().create_many(items(4)).run().await;
    assert!(again.iter().all(|r| r.is_done()));
    assert_eq!(stat(&emu, "jobs_created"), 4, "one job per item");
}

/// The bulk options follow the core's rules: 0 is the default, too many is refused before
/// anything is sent (every item then not done, nothing sent).
#[tokio::test]
async fn bulk_options_follow_the_core_rules() {
    let emu = pyai_with(Config::pyai().no_rate_limits()).await;
    let client = pyai_client(&emu);
    let ok = client
        .jobs()
        .create_many(items(3))
        .concurrency(0)
        .run()
        .await;
    assert!(ok.iter().all(|r| r.is_done()));
    let mut results = Vec::new();
    let summary = client
        .jobs()
        .create_many(items(3))
        .concurrency(1000)
        .for_each(|r| results.push(r))
        .await;
    let e = summary.stopped.expect("refused");
    assert_eq!(e.code(), "invalid_request");
    assert!(
        e.message().contains("`concurrency` must be 0"),
        "{}",
        e.message()
    );
    assert!(results
        .iter()
        .all(|r| r.is_not_done() && !r.outcome_unknown()));
    let keyed = [
        bulk::Item::new(CreateJob::new("https://example.com/k.wav")).stable_id("order-7"),
        bulk::Item::new(CreateJob::new("https://example.com/k.wav").idempotency_key("mine"))
            .stable_id("order-8"),
    ];
    let r = client.jobs().create_many_items(keyed).run().await;
    assert_eq!(r[0].idempotency_key, bulk::key_from_id("order-7"));
    assert_eq!(
        r[1].idempotency_key, "mine",
        "an explicit key beats the stable id"
    );
}

/// A directory sink that fails after `left` documents (a crash mid-export).
struct Failing {
    inner: DirSink,
    left: usize,
}

impl ExportSink for Failing {
    fn has(&self, id: &str) -> bool {
        self.inner.has(id)
    }
    fn write(&mut self, id: &str, document: &str) -> std::io::Result<()> {
        if self.left == 0 {
            return Err(std::io::Error::other("disk full"));
        }
        self.left -= 1;
        self.inner.write(id, document)
    }
}

#[tokio::test]
async fn export_interrupted_then_resumed_writes_every_document_once() {
    let emu = specala().await; // 250 transcriptions
    let client = specala_client(&emu, SPECALA_KEY);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");

    // 1. A crash after 50 documents.
    let mut failing = Failing {
        inner: DirSink::open(&out, Format::Md).unwrap(),
        left: 50,
    };
    let err = client
        .transcriptions()
        .export_all(Format::Md)
        .concurrency(1)
        .run(&mut failing)
        .await
        .unwrap_err();
    assert!(matches!(err, ExportError::Sink { .. }), "{err}");

    // 2. An interruption: the future dropped once the first chunk of the re-run is written.
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let tx = Mutex::new(Some(tx));
    let mut sink = DirSink::open(&out, Format::Md).unwrap();
    let run = client
        .transcriptions()
        .export_all(Format::Md)
        .concurrency(1)
        .progress(move |p| {
            if p.written > 0
                && let Some(tx) = tx.lock().unwrap().take()
            {
                let _ = tx.send(());
            }
        })
        .run(&mut sink);
    futures::select! {
        r = run.fuse() => panic!("the run should have been interrupted: {r:?}"),
        _ = rx.fuse() => {}
    }
    drop(sink);

    // 3. The resumed run fetches only what is missing.
    emu.reset_stats();
    let mut sink = DirSink::open(&out, Format::Md).unwrap();
    let report = client
        .transcriptions()
        .export_all(Format::Md)
        .run(&mut sink)
        .await
        .unwrap();
    assert_eq!(report.listed, 250);
    assert_eq!(report.written + report.skipped, 250);
    // 50 before the crash, a chunk of 100 before the interruption: one chunk is left.
    assert_eq!((report.skipped, report.written), (150, 100), "{report:?}");
    assert_eq!(
        requests_on(&emu, "POST /v1/transcriptions/export"),
        report.chunks as u64
    );

    // Every document exactly once, byte-exact, no temporaries; the journal names each file once.
    let ids: Vec<String> = (0..250).map(|i| format!("tr_alpha_{i:06}")).collect();
    let docs = client
        .transcriptions()
        .bulk_export(&ids, Format::Md)
        .await
        .unwrap();
    let names: HashSet<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names.len(),
        250,
        "one file per transcription, no temporaries"
    );
    for doc in &docs {
        assert_eq!(
            std::fs::read(out.join(format!("{}.md", doc.id()))).unwrap(),
            doc.content().as_bytes()
        );
    }
    let journal = std::fs::read_to_string(sink.journal_path()).unwrap();
    let mut per_file: HashMap<String, usize> = HashMap::new();
    for line in journal.lines().filter(|l| !l.is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        *per_file
            .entry(v["file"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(per_file.len(), 250);
    assert!(
        per_file.values().all(|n| *n == 1),
        "no document fetched twice"
    );

    // A closure sink gets every document.
    let mut got = Vec::new();
    let mut closure = |id: &str, doc: &str| {
        got.push((id.to_string(), doc.len()));
        Ok(())
    };
    client
        .transcriptions()
        .export_all(Format::Txt)
        .run(&mut closure)
        .await
        .unwrap();
    assert_eq!(got.len(), 250);
}

/// `ordered(false)` hands results on as items complete: a creation held by the server is
/// overtaken by later items; `ordered(true)` (the default) keeps input order regardless.
#[tokio::test]
async fn results_come_as_completed_when_asked_and_in_order_otherwise() {
    let emu = pyai_with(Config::pyai().no_rate_limits()).await;
    let client = pyai_client(&emu);
    for ordered in [false, true] {
        emu.inject(Fault::delay(JOBS, 1, 500));
        let order = Arc::new(Mutex::new(Vec::new()));
        let progress = Arc::new(Mutex::new(Vec::new()));
        let (o, p) = (order.clone(), progress.clone());
        let summary = client
            .jobs()
            .create_many(items(20))
            .concurrency(4)
            .ordered(ordered)
            .progress(move |pr| p.lock().unwrap().push(pr.done))
            .for_each(|r| {
                assert!(r.is_done(), "item {}: {:?}", r.index, r.error());
                o.lock().unwrap().push(r.index)
            })
            .await;
        let order = order.lock().unwrap().clone();
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..20).collect::<Vec<_>>(), "every item once");
        assert_eq!(order == sorted, ordered, "ordered={ordered}: {order:?}");
        assert_eq!(summary.progress.done, 20);
        assert_eq!(summary.progress.total, Some(20));
        assert_eq!(*progress.lock().unwrap(), (1..=20).collect::<Vec<_>>());
    }
    assert_eq!(stat(&emu, "jobs_created"), 20, "the second run replays");
}
