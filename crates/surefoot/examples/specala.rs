//! The common Specala calls. Uses `SPECALA_BASE_URL` and `SPECALA_API_KEY` when set; otherwise
//! starts the embedded emulator and uses one of its keys.
//!
//! ```sh
//! cargo run -p surefoot --example specala
//! ```

use futures::TryStreamExt;
use surefoot::specala::{Client, Format};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Keep the emulator alive for the whole run when we started one.
    let (_emulator, client) = match std::env::var("SPECALA_BASE_URL") {
        Ok(_) => (None, Client::from_env()?),
        Err(_) => {
            let emu = surefoot_emulator::Emulator::start(
                surefoot_emulator::Config::specala().transcriptions_per_workspace(300),
            )
            .await?;
            let client = Client::builder()
                .base_url(emu.url())
                .api_key("spk_alpha_pro_0001")
                .build_specala()?;
            println!("started the emulator at {}", emu.url());
            (Some(emu), client)
        }
    };

    // List every transcription, lazily, 100 per page.
    let all: Vec<_> = client
        .transcriptions()
        .list()
        .limit(100)
        .try_collect()
        .await?;
    println!(
        "{} transcriptions; newest: {:?}",
        all.len(),
        all.first().and_then(|t| t.title())
    );

    // One transcription, and one export.
    let first = client.transcriptions().get(all[0].id()).await?;
    let md = client
        .transcriptions()
        .export(first.id(), Format::Md)
        .await?;
    println!("{} exported as {} bytes of markdown", first.id(), md.len());

    // Bulk export: one request per 100 ids, never one per transcription.
    let ids: Vec<String> = all.iter().map(|t| t.id().to_string()).collect();
    let docs = client
        .transcriptions()
        .bulk_export(&ids, Format::Txt)
        .await?;
    println!("bulk-exported {} documents", docs.len());

    // Errors carry a stable code to branch on.
    match client.transcriptions().get("tr_does_not_exist").await {
        Err(e) if e.code() == "not_found" => println!("not found, as expected ({e})"),
        other => println!("unexpected: {other:?}"),
    }

    // Key management: create, list, revoke.
    let key = client.keys().create("example").await?;
    println!("created {key:?}");
    println!("{} keys", client.keys().list().await?.len());
    client.keys().revoke(key.id()).await?;
    println!("revoked {}", key.id());
    Ok(())
}
