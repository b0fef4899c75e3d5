//! The `surefoot-replay` command: serves the conformance vectors' scripts
//! (`surefoot_emulator::replay`) on loopback, prints its URL alone on the first stdout
//! line, and runs until Ctrl-C or SIGTERM.
//!
//! ```sh
//! surefoot-replay tests/vectors --port 0
//! ```

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use surefoot_emulator::replay::Replay;

/// Scripted responses for the conformance vectors in DIR (see tests/vectors/README.md).
#[derive(Parser, Debug)]
#[command(name = "surefoot-replay", version)]
struct Args {
    /// The directory of vector files (`*.json`).
    dir: std::path::PathBuf,
    /// Port to listen on (0 = pick a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Interface to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::IpAddr,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let replay = match Replay::start(&args.dir, args.host, args.port).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("surefoot-replay: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", replay.url());
    let _ = std::io::stdout().flush();
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("surefoot-replay: {e}");
            return ExitCode::FAILURE;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    replay.shutdown().await;
    ExitCode::SUCCESS
}
