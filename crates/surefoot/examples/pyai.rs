//! The common PyAI calls. Uses `PYAI_BASE_URL` and `PYAI_API_KEY` when set; otherwise starts
//! the embedded emulator and uses one of its keys.
//!
//! ```sh
//! cargo run -p surefoot --example pyai
//! ```

use futures::TryStreamExt;
use surefoot::pyai::{Client, CreateJob};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (emulator, client) = match std::env::var("PYAI_BASE_URL") {
        Ok(_) => (None, Client::from_env()?),
        Err(_) => {
            let emu = surefoot_emulator::Emulator::start(surefoot_emulator::Config::pyai()).await?;
            let client = Client::builder()
                .base_url(emu.url())
                .api_key("pyai_sk_full_0001")
                .max_concurrent_sessions(2)
                .build_pyai()?;
            println!("started the emulator at {}", emu.url());
            (Some(emu), client)
        }
    };

    // Create a job. The idempotency key is generated and reused on every retry.
    if let Some(emu) = &emulator {
        // Show it: the server processes the request, then drops the connection.
        emu.inject(surefoot_emulator::Fault::drop_after_processing(
            "POST /v1/transcription/jobs",
            1,
        ));
    }
    let job = client
        .jobs()
        .create(CreateJob::new("https://example.com/interview.wav").language("en"))
        .await?;
    println!(
        "created {} ({:?}) despite a dropped connection",
        job.id(),
        job.status()
    );

    // Your own key makes a re-run safe: the same key and body replay the original job.
    let params = CreateJob::new("https://example.com/b.wav").idempotency_key("batch-1-line-2");
    let a = client.jobs().create(params.clone()).await?;
    let b = client.jobs().create(params).await?;
    println!("same key twice: {} == {}", a.id(), b.id());

    let jobs: Vec<_> = client.jobs().list().limit(10).try_collect().await?;
    println!(
        "{} jobs, newest first: {:?}",
        jobs.len(),
        jobs.iter().map(|j| j.id()).collect::<Vec<_>>()
    );
    println!("{:?}", client.jobs().get(job.id()).await?);

    // A realtime session holds a concurrency slot until closed (or dropped).
    let session = client.realtime().open("agent-42").await?;
    println!("realtime session {} open", session.id());
    session.close().await?;

    if let Some(emu) = &emulator {
        let stats = serde_json::to_value(emu.stats())?;
        println!("jobs created on the server: {}", stats["jobs_created"]);
    }
    Ok(())
}
