//! The retry parts over loopback: each built-in classifier, a caller's classifier and
//! backoff, the retry budget per key and host, and the outage hold.

use std::time::Duration;

use surefoot::retry::{
    BackoffStrategy, FailReason, RetryAction, RetryBudget, RetryClassifier, RetryContext, Verdict,
};
use surefoot::Error;
use surefoot_emulator::Fault;

use crate::common::*;

const JOBS: &str = "GET /v1/transcription/jobs";
const CREATE: &str = "POST /v1/transcription/jobs";

fn envelope(code: &str) -> String {
    format!(r#"{{"error": {{"message": "m", "type": "t", "code": "{code}", "param": null}}}}"#)
}

#[tokio::test]
async fn each_classifier_over_loopback() {
    let emu = pyai().await;
    let client = builder(&emu, PYAI_KEY).build().unwrap();
    let create = || {
        client
            .post("/v1/transcription/jobs")
            .json(&serde_json::json!({"audio_url": "https://example.com/a.wav"}))
    };

    // Payment codes: never retried, even on 429 with Retry-After.
    emu.inject(Fault::status_with_headers(
        JOBS,
        1,
        429,
        &envelope("insufficient_quota"),
        &[("retry-after", "1")],
    ));
    let e = client
        .get("/v1/transcription/jobs")
        .send()
        .await
        .unwrap_err();
    assert_eq!((e.code(), e.attempts()), ("insufficient_quota", 1));
    assert_eq!(e.stop_reason(), Some(FailReason::NotRetryable));
    assert_eq!(e.verdict(), Verdict::StopRun);

    // Idempotency: a conflict is final; a POST without a key is not resent after a 502.
    emu.inject(Fault::status(
        CREATE,
        1,
        409,
        &envelope("idempotency_conflict"),
    ));
    let e = create().idempotency_key("k-1").send().await.unwrap_err();
    assert_eq!((e.code(), e.attempts()), ("idempotency_conflict", 1));
    assert_eq!(e.verdict(), Verdict::ItemFailed);
    emu.inject(Fault::status(CREATE, 1, 502, ""));
    let e = create().send().await.unwrap_err();
    assert_eq!((e.status(), e.attempts()), (Some(502), 1));
    assert_eq!(e.stop_reason(), Some(FailReason::NotIdempotent));

    // Daily cap: without the reset time, final; with a short one, retried after it.
    emu.inject(Fault::status(JOBS, 1, 429, &envelope("daily_cap_exceeded")));
    let e = client
        .get("/v1/transcription/jobs")
        .send()
        .await
        .unwrap_err();
    assert_eq!((e.code(), e.attempts()), ("daily_cap_exceeded", 1));
    emu.inject(Fault::status_with_headers(
        JOBS,
        1,
        429,
        &envelope("daily_cap_exceeded"),
        &[("retry-after", "0.05")],
    ));
    let r = client.get("/v1/transcription/jobs").send().await.unwrap();
    assert_eq!(r.attempts(), 2);

    // Concurrency limit: a POST without a key still waits for a slot.
    emu.inject(Fault::status_with_headers(
        CREATE,
        1,
        429,
        &envelope("concurrency_limit_exceeded"),
        &[("retry-after", "0.05")],
    ));
    let r = create().send().await.unwrap();
    assert_eq!(r.attempts(), 2);

    // Status: 504 retried, 501 not.
    emu.inject(Fault::status(JOBS, 1, 504, ""));
    assert_eq!(
        client
            .get("/v1/transcription/jobs")
            .send()
            .await
            .unwrap()
            .attempts(),
        2
    );
    emu.inject(Fault::status(JOBS, 1, 501, ""));
    let e = client
        .get("/v1/transcription/jobs")
        .send()
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.attempts()), (Some(501), 1));

    // Transport: a reset GET is resent.
    emu.inject(Fault::reset(JOBS, 1));
    assert_eq!(
        client
            .get("/v1/transcription/jobs")
            .send()
            .await
            .unwrap()
            .attempts(),
        2
    );
}

#[derive(Debug)]
struct RetryTeapots;

impl RetryClassifier for RetryTeapots {
    fn name(&self) -> &'static str {
        "teapots"
    }
    fn classify(&self, ctx: &RetryContext<'_>) -> RetryAction {
        match ctx.error.status() {
            Some(418) => RetryAction::Retry,
            _ => RetryAction::NoOpinion,
        }
    }
}

#[derive(Debug)]
struct Constant(Duration);

impl BackoffStrategy for Constant {
    fn delay(&self, _: u32, _: &Error, _: f64) -> Duration {
        self.0
    }
}

#[tokio::test]
async fn a_callers_classifier_and_backoff_are_used() {
    let emu = pyai().await;
    emu.inject(Fault::status(JOBS, 1, 418, ""));
    let plain = builder(&emu, PYAI_KEY).build().unwrap();
    let e = plain
        .get("/v1/transcription/jobs")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (e.status(), e.attempts()),
        (Some(418), 1),
        "not retried by default"
    );

    emu.inject(Fault::status(JOBS, 2, 418, ""));
    let client = builder(&emu, PYAI_KEY)
        .retry_classifier(RetryTeapots)
        .backoff_strategy(Constant(Duration::from_millis(7)))
        .build()
        .unwrap();
    let before = client.metrics();
    let r = client.get("/v1/transcription/jobs").send().await.unwrap();
    assert_eq!(r.attempts(), 3);
    // Two sleeps of exactly the strategy's wait.
    assert_eq!(
        client.metrics().since(&before).backoff_wait,
        Duration::from_millis(14)
    );
}

#[tokio::test]
async fn the_retry_budget_is_per_key_and_host_and_fails_with_its_own_reason() {
    let emu = pyai().await;
    let budget = RetryBudget {
        capacity: 10,
        ..RetryBudget::default()
    };
    let client = builder(&emu, PYAI_KEY)
        .retry_budget(budget)
        .build()
        .unwrap();
    emu.inject(Fault::status(JOBS, 0, 503, ""));

    // 10 tokens pay for two retries of 5; the third is refused.
    let e = client
        .get("/v1/transcription/jobs")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.attempts(), 3);
    assert_eq!(e.stop_reason(), Some(FailReason::RetryBudgetExhausted));
    assert!(e.is_retry_budget_exhausted());
    assert!(
        e.message().starts_with("retry budget exhausted"),
        "{}",
        e.message()
    );
    assert_eq!(e.status(), Some(503));
    assert_eq!(client.retry_tokens().await, 0);
    assert_eq!(client.metrics().retry_budget_exhausted, 1);

    // Another client with the same key and host spends from the same bucket: not retried.
    let other = builder(&emu, PYAI_KEY)
        .retry_budget(budget)
        .build()
        .unwrap();
    let e = other
        .get("/v1/transcription/jobs")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.attempts(), 1);
    assert!(e.is_retry_budget_exhausted());
    assert_eq!(requests_on(&emu, JOBS), 4);

    // A success gives a token back.
    emu.clear_faults();
    client.get("/v1/transcription/jobs").send().await.unwrap();
    assert_eq!(client.retry_tokens().await, 1);
    // Resetting the key's pacing refills its budget.
    client.reset_pacing().await;
    assert_eq!(client.retry_tokens().await, 10);

    // A retry after a timeout costs 10.
    let emu2 = pyai().await;
    let budget = RetryBudget {
        capacity: 15,
        ..RetryBudget::default()
    };
    let slow = builder(&emu2, PYAI_KEY)
        .retry_budget(budget)
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    emu2.inject(Fault::delay(JOBS, 0, 2_000));
    let e = slow.get("/v1/transcription/jobs").send().await.unwrap_err();
    assert_eq!((e.code(), e.attempts()), ("timeout", 2));
    assert!(e.is_retry_budget_exhausted());
    assert_eq!(slow.retry_tokens().await, 5);
}

#[tokio::test]
async fn an_outage_is_ridden_out_with_one_probe_at_a_time() {
    let emu = pyai().await;
    let id = {
        let c = pyai_client(&emu);
        c.jobs()
            .create(surefoot::pyai::CreateJob::new("https://example.com/a.wav"))
            .await
            .unwrap()
            .id()
            .to_string()
    };
    let path = format!("/v1/transcription/jobs/{id}");
    let route = "GET /v1/transcription/jobs/{id}";
    let fault_route = "GET /v1/transcription/jobs/*";
    let clients: Vec<_> = (0..8)
        .map(|_| builder(&emu, PYAI_KEY).build().unwrap())
        .collect();
    emu.inject(Fault::status(fault_route, 0, 503, ""));
    emu.reset_stats();
    let calls: Vec<_> = clients
        .iter()
        .map(|c| {
            let (c, path) = (c.clone(), path.clone());
            tokio::spawn(async move { c.get(&path).send().await })
        })
        .collect();
    // Wait (bounded) until the host is held.
    let mut held = 0;
    for _ in 0..500 {
        if let Some(o) = clients[0].outage() {
            held = held.max(o.held);
            if held >= 4 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(held >= 4, "calls are held during the outage (held {held})");
    // Longer than the test builder's retries would last without the hold (4 attempts,
    // backoffs of at most 20 + 40 + 80 ms).
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let during = requests_on(&emu, route);
    emu.clear_faults();
    for call in calls {
        let r = call
            .await
            .unwrap()
            .expect("every call rides out the outage");
        assert!(r.status().is_success());
    }
    // Without the hold, 8 calls would have sent 8 × 4 attempts into the outage.
    assert!(during < 8 * 4, "{during} requests went into the outage");
    assert!(
        clients[0].outage().is_none(),
        "the first success ends the outage"
    );
    let held_calls: u64 = clients.iter().map(|c| c.metrics().calls_held).sum();
    assert!(held_calls >= 4, "{held_calls}");
}

#[tokio::test]
async fn a_host_down_from_the_start_gets_a_few_attempts_not_one_per_task() {
    // 64 tasks start against a host that has not answered yet and is down: without an
    // answer to go on, only a few attempts go out until one comes back (the rest wait for
    // it), then the outage hold sends one probe at a time.
    let emu = pyai().await;
    emu.inject(Fault::status("*", 0, 503, ""));
    emu.reset_stats();
    let clients: Vec<_> = (0..64)
        .map(|_| builder(&emu, PYAI_KEY).build().unwrap())
        .collect();
    let calls: Vec<_> = clients
        .iter()
        .map(|c| {
            let c = c.clone();
            tokio::spawn(async move { c.get("/v1/transcription/jobs").send().await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let during = total_requests(&emu);
    assert!(clients[0].outage().is_some(), "the host is held");
    emu.clear_faults();
    for call in calls {
        let r = call
            .await
            .unwrap()
            .expect("every call rides out the outage");
        assert!(r.status().is_success());
    }
    // 3 first attempts, then probes 50, 100, 200, 250, 250… ms apart: about 9 in 1.5 s
    // (64 first attempts, and more, without the admission of a host not proven up).
    assert!(during <= 20, "{during} requests went into the outage");
    let held: u64 = clients.iter().map(|c| c.metrics().calls_held).sum();
    assert!(held >= 60, "{held} calls held");
}

#[tokio::test]
async fn a_held_call_waits_at_most_max_retry_wait_and_non_retryable_errors_fail_at_once() {
    let emu = pyai().await;
    let client = builder(&emu, PYAI_KEY)
        .max_retries(1)
        .max_retry_wait(Duration::from_millis(300))
        .build()
        .unwrap();
    emu.inject(Fault::status(JOBS, 0, 503, ""));
    // Two calls fail on their own (two failing calls: no outage yet).
    for _ in 0..2 {
        let e = client
            .get("/v1/transcription/jobs")
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.stop_reason(), Some(FailReason::RetriesExhausted));
    }
    assert!(client.outage().is_none());
    // The third failing call puts the host in an outage; it is held, probes, and gives up
    // after its allowance, without spending retries it does not have.
    let t0 = std::time::Instant::now();
    let e = client
        .get("/v1/transcription/jobs")
        .send()
        .await
        .unwrap_err();
    let took = t0.elapsed();
    assert_eq!(e.stop_reason(), Some(FailReason::HeldTooLong));
    assert_eq!(e.status(), Some(503));
    assert!(e.message().contains("in outage since"), "{}", e.message());
    assert!(took >= Duration::from_millis(300), "held {took:?}");
    assert!(e.waited() > Duration::ZERO);
    assert!(e.attempts() >= 2, "it probed: {}", e.attempts());
    assert_eq!(e.verdict(), Verdict::StopRun);
    assert!(client.outage().is_some());

    // A non-retryable answer to the probe fails that call at once and ends the outage.
    let e = client
        .get("/v1/transcription/jobs/job_missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.attempts()), (Some(404), 1));
    assert!(client.outage().is_none());
}

/// A loopback HTTP/1.1 server no one here wrote the client for: 503 at once while `down`,
/// then 200 after `delay`; counts requests in flight (and the most at once since `reset`).
struct Recovering {
    url: String,
    down: std::sync::Arc<std::sync::atomic::AtomicBool>,
    in_flight: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    most: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

async fn recovering(delay: Duration) -> Recovering {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let down = Arc::new(AtomicBool::new(true));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (d, f, m) = (down.clone(), in_flight.clone(), most.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let (d, f, m) = (d.clone(), f.clone(), m.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                    buf.drain(..end);
                    let answer: &[u8] = if d.load(Ordering::SeqCst) {
                        b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n"
                    } else {
                        let now = f.fetch_add(1, Ordering::SeqCst) + 1;
                        m.fetch_max(now, Ordering::SeqCst);
                        tokio::time::sleep(delay).await;
                        f.fetch_sub(1, Ordering::SeqCst);
                        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
                    };
                    if sock.write_all(answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Recovering {
        url,
        down,
        in_flight,
        most,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_outage_the_held_calls_go_out_at_a_ramp_and_still_drain_fast() {
    use std::sync::atomic::Ordering;
    let delay = Duration::from_millis(40);
    let server = recovering(delay).await;
    let client = surefoot::Client::builder()
        .base_url(&server.url)
        .api_key("sk-test-ramp-0001")
        .backoff(Duration::from_millis(20), Duration::from_millis(200))
        .build()
        .unwrap();
    let calls: Vec<_> = (0..32)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.get("/v1/items").send().await })
        })
        .collect();
    let mut held = 0;
    for _ in 0..500 {
        held = client.outage().map_or(held, |o| o.held.max(held));
        if held >= 24 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(held >= 24, "the calls are held (held {held})");
    server.down.store(false, Ordering::SeqCst);
    let recovered = std::time::Instant::now();
    // The probe, then 2 in flight, one more per success: within the first round trips the
    // server sees a few requests at once, not the 32 held calls.
    tokio::time::sleep(delay * 3 / 2).await;
    let early = server.most.load(Ordering::SeqCst);
    for call in calls {
        let r = call
            .await
            .unwrap()
            .expect("every call rides out the outage");
        assert!(r.status().is_success());
    }
    let drain = recovered.elapsed();
    let most = server.most.load(Ordering::SeqCst);
    assert!(
        early <= 4,
        "{early} requests at once in the first round trips after recovery"
    );
    assert!(most < 32, "the ramp never let all {most} go at once");
    assert_eq!(server.in_flight.load(Ordering::SeqCst), 0);
    // All at once would take one round trip; the ramp takes a few more (about log2 of
    // the held calls): a bounded multiple of the server's answer time, not a second hold.
    assert!(
        drain < delay * 25,
        "drained in {drain:?} ({delay:?} per answer)"
    );
    assert!(client.outage().is_none());
}
