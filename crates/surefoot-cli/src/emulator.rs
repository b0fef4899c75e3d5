//! `surefoot emulator`: the Specala or PyAI emulator on loopback, in this process, until
//! Ctrl-C or SIGTERM. Prints the URL alone on the first line, then the emulator's own test
//! keys (fixtures of the emulator, not real credentials).

use std::io::Write;

use surefoot_emulator::{Api, Config, Emulator};

use crate::cli::{ApiArg, EmulatorArgs};
use crate::exit::{CliError, Exit};

/// Resolves on Ctrl-C or (on Unix) SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

pub async fn run(args: &EmulatorArgs) -> Result<Exit, CliError> {
    let (api, key_env, url_env) = match args.api {
        ApiArg::Specala => (Api::Specala, "SPECALA_API_KEY", "SPECALA_BASE_URL"),
        ApiArg::Pyai => (Api::Pyai, "PYAI_API_KEY", "PYAI_BASE_URL"),
    };
    let handle = Emulator::start(Config::for_api(api).port(args.port).minimal(args.minimal))
        .await
        .map_err(|e| CliError::io(format!("cannot listen on port {}", args.port), &e))?;
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", handle.url());
        for key in handle.keys() {
            let _ = writeln!(out, "{}", key.describe());
        }
        let _ = out.flush();
    }
    // The first key is the emulator's fully-privileged fixture key (not a real credential).
    let key = handle
        .keys()
        .first()
        .map(|k| k.value.clone())
        .unwrap_or_default();
    eprintln!(
        "serving the {} emulator until Ctrl-C; try: {url_env}={} {key_env}={key} surefoot {} {}",
        api.as_str(),
        handle.url(),
        api.as_str(),
        match api {
            Api::Specala => "transcriptions list",
            Api::Pyai => "jobs list",
        }
    );
    shutdown_signal().await;
    handle.shutdown().await;
    Ok(Exit::Ok)
}
