//! Idempotency: a job created through a connection dropped after the server processed it
//! exists exactly once, and the caller gets it.

use surefoot::pyai::CreateJob;
use surefoot_emulator::Fault;

use crate::common::*;

#[tokio::test]
async fn job_created_through_a_dropped_connection_exists_once() {
    let emu = pyai().await;
    emu.inject(Fault::drop_after_processing(
        "POST /v1/transcription/jobs",
        1,
    ));
    let client = pyai_client(&emu);
    let job = client
        .jobs()
        .create(CreateJob::new("https://example.com/once.wav").language("en"))
        .await
        .unwrap();
    assert_eq!(job.audio_url(), Some("https://example.com/once.wav"));
    assert_eq!(stat(&emu, "jobs_created"), 1);
    assert_eq!(stat(&emu, "idempotent_replays"), 1);
    let listed: Vec<_> = futures::TryStreamExt::try_collect::<Vec<_>>(client.jobs().list())
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id(), job.id());
}

#[tokio::test]
async fn same_key_same_body_replays_and_different_body_conflicts() {
    let emu = pyai().await;
    let client = pyai_client(&emu);
    let params = CreateJob::new("https://example.com/a.wav").idempotency_key("line-1");
    let first = client.jobs().create(params.clone()).await.unwrap();
    let again = client.jobs().create(params).await.unwrap();
    assert_eq!(first.id(), again.id());
    assert_eq!(stat(&emu, "jobs_created"), 1);

    let err = client
        .jobs()
        .create(CreateJob::new("https://example.com/b.wav").idempotency_key("line-1"))
        .await
        .unwrap_err();
    assert_eq!(
        (err.status(), err.code()),
        (Some(409), "idempotency_conflict")
    );
    assert_eq!(err.kind(), surefoot::ErrorKind::Conflict);
    assert_eq!(err.attempts(), 1);
}

#[tokio::test]
async fn each_create_without_a_key_gets_a_fresh_one() {
    let emu = pyai().await;
    let client = pyai_client(&emu);
    let a = client
        .jobs()
        .create(CreateJob::new("https://example.com/a.wav"))
        .await
        .unwrap();
    let b = client
        .jobs()
        .create(CreateJob::new("https://example.com/a.wav"))
        .await
        .unwrap();
    assert_ne!(a.id(), b.id(), "two logical operations, two jobs");
    assert_eq!(stat(&emu, "jobs_created"), 2);
}

#[tokio::test]
async fn a_bad_idempotency_key_is_refused_before_sending() {
    let emu = pyai().await;
    let client = pyai_client(&emu);
    let err = client
        .jobs()
        .create(CreateJob::new("https://example.com/a.wav").idempotency_key("has space\n"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_request");
    assert_eq!(total_requests(&emu), 0);
}
