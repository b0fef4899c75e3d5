//! The blocking clients, from plain threads, on the shared runtime.

use surefoot::pyai::CreateJob;
use surefoot_emulator::{start_blocking, Config};

use crate::common::PYAI_KEY;

#[test]
fn blocking_clients_work_from_many_threads() {
    let emu = start_blocking(Config::pyai().no_rate_limits()).unwrap();
    let client = surefoot::blocking::pyai::Client::from_builder(
        surefoot::pyai::Client::builder()
            .base_url(emu.url())
            .api_key(PYAI_KEY),
    )
    .unwrap();
    std::thread::scope(|s| {
        for t in 0..8 {
            let client = client.clone();
            s.spawn(move || {
                for i in 0..5 {
                    client
                        .create_job(CreateJob::new(format!("https://example.com/{t}-{i}.wav")))
                        .unwrap();
                }
            });
        }
    });
    let jobs: Vec<_> = client
        .jobs_list()
        .limit(7)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(jobs.len(), 40);
    let session = client.open_session("agent-1").unwrap();
    assert!(!session.id().is_empty());
    session.close().unwrap();

    let specala = start_blocking(Config::specala().transcriptions_per_workspace(120)).unwrap();
    let sc = surefoot::blocking::specala::Client::from_builder(
        surefoot::specala::Client::builder()
            .base_url(specala.url())
            .api_key("spk_alpha_pro_0001"),
    )
    .unwrap();
    let ids: Vec<String> = sc
        .transcriptions_list()
        .limit(100)
        .map(|t| t.unwrap().id().to_string())
        .collect();
    assert_eq!(ids.len(), 120);
    let docs = sc
        .bulk_export(&ids, surefoot::specala::Format::Txt)
        .unwrap();
    assert_eq!(docs.len(), 120);
}

#[tokio::test]
async fn blocking_inside_a_runtime_is_an_error_not_a_panic() {
    let client = surefoot::blocking::Client::new(
        surefoot::Client::builder()
            .base_url("http://127.0.0.1:9")
            .api_key(PYAI_KEY),
    )
    .unwrap();
    let err = client.get("/x").send().unwrap_err();
    assert_eq!(err.code(), "invalid_request");
    assert!(err.message().contains("async runtime"));
}
