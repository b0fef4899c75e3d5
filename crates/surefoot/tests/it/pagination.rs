//! Pagination over both APIs' lists: complete, ordered, validated, loop-safe.

use futures::{StreamExt, TryStreamExt};
use surefoot_emulator::Fault;

use crate::common::*;

#[tokio::test]
async fn walks_every_transcription_newest_first() {
    let emu = specala().await;
    let client = specala_client(&emu, SPECALA_KEY);
    for prefetch in [false, true] {
        let all: Vec<_> = client
            .transcriptions()
            .list()
            .limit(100)
            .prefetch(prefetch)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all.len(), 250);
        let mut ids: Vec<_> = all.iter().map(|t| t.id().to_string()).collect();
        assert!(all
            .windows(2)
            .all(|w| w[0].created_at() >= w[1].created_at()));
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 250, "no duplicates");
    }
    let pages: Vec<_> = client
        .transcriptions()
        .list()
        .limit(100)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        pages.iter().map(|p| p.items.len()).collect::<Vec<_>>(),
        vec![100, 100, 50]
    );
    assert!(pages.last().unwrap().next_cursor.is_none());
}

#[tokio::test]
async fn limit_out_of_range_fails_before_sending() {
    let emu = specala().await;
    let client = specala_client(&emu, SPECALA_KEY);
    for bad in [0, 101] {
        let err = client
            .transcriptions()
            .list()
            .limit(bad)
            .next()
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(err.code(), "invalid_request");
        assert!(
            err.message().contains("between 1 and 100"),
            "{}",
            err.message()
        );
    }
    assert_eq!(total_requests(&emu), 0);
}

#[tokio::test]
async fn a_repeated_cursor_is_an_error_not_a_loop() {
    let emu = pyai().await;
    emu.inject(Fault::status(
        "GET /v1/transcription/jobs",
        5,
        200,
        r#"{"data":[{"id":"job_1","status":"queued","audio_url":"u","created_at":"2026-01-01T00:00:00Z"}],"next_cursor":"same"}"#,
    ));
    let client = pyai_client(&emu);
    let results: Vec<_> = client.jobs().list().collect().await;
    assert_eq!(results.len(), 3, "two items then the error: {results:?}");
    let err = results[2].as_ref().unwrap_err();
    assert!(err.message().contains("twice"), "{}", err.message());
    assert_eq!(requests_on(&emu, "GET /v1/transcription/jobs"), 2);
}

#[tokio::test]
async fn a_list_without_data_is_an_error() {
    let emu = pyai().await;
    emu.inject(Fault::status(
        "GET /v1/transcription/jobs",
        1,
        200,
        r#"{"items":[]}"#,
    ));
    let err = pyai_client(&emu)
        .jobs()
        .list()
        .next()
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err.code(), "invalid_response");
    assert!(err.message().contains("data"));
    emu.inject(Fault::status(
        "GET /v1/transcription/jobs",
        1,
        200,
        r#"{"data":[],"next_cursor":5}"#,
    ));
    let err = pyai_client(&emu)
        .jobs()
        .list()
        .next()
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.message().contains("next_cursor"));
}

#[tokio::test]
async fn jobs_list_pages_lazily() {
    let emu = pyai_with(surefoot_emulator::Config::pyai().no_rate_limits()).await;
    let client = pyai_client(&emu);
    for i in 0..45 {
        client
            .jobs()
            .create(surefoot::pyai::CreateJob::new(format!(
                "https://example.com/{i}.wav"
            )))
            .await
            .unwrap();
    }
    let before = requests_on(&emu, "GET /v1/transcription/jobs");
    let first_two: Vec<_> = client
        .jobs()
        .list()
        .limit(20)
        .take(2)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(first_two.len(), 2);
    assert_eq!(
        requests_on(&emu, "GET /v1/transcription/jobs") - before,
        1,
        "only one page fetched"
    );
    assert_eq!(
        first_two[0].audio_url(),
        Some("https://example.com/44.wav"),
        "newest first"
    );
    let all: Vec<_> = client.jobs().list().try_collect().await.unwrap();
    assert_eq!(all.len(), 45);
}
