//! `surefoot`: the command line of surefoot — bulk export (Specala) and exactly-once job
//! submission (PyAI) under rate limits, lists, a local emulator, and the demo. A thin
//! shell over the `surefoot` core: pacing, retries, idempotency and pagination all live
//! there; this crate adds files, progress, summaries and exit codes.

mod cli;
mod connect;
mod demo;
mod emulator;
mod exit;
mod export;
mod list;
mod notice;
mod progress;
mod submit;
mod summary;
mod units;

use std::process::ExitCode;

use clap::Parser;

use cli::{
    Cli, Command, JobsCommand, PyaiCommand, PyaiConnection, SpecalaCommand, SpecalaConnection,
    TranscriptionsCommand,
};
use connect::Conn;
use exit::{CliError, Exit};
use progress::Ui;

/// `-v`/`-vv` (or RUST_LOG): the core's log on stderr; otherwise, unless `-q`, one line per
/// retry (so waiting on a refused connection never looks like a hang).
fn init_tracing(verbose: u8, quiet: bool) {
    use tracing_subscriber::prelude::*;
    let from_env = std::env::var_os("RUST_LOG").is_some();
    if verbose == 0 && !from_env {
        if !quiet {
            let filter = tracing_subscriber::filter::Targets::new()
                .with_target("surefoot", tracing::Level::WARN);
            let _ = tracing_subscriber::registry()
                .with(notice::RetryNotices.with_filter(filter))
                .try_init();
        }
        return;
    }
    let default = match verbose {
        0 | 1 => "surefoot=warn",
        _ => "surefoot=debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .try_init();
}

/// Whether `--api-key` was given on the command line (for naming the key's source).
fn key_from_flag() -> bool {
    std::env::args_os().any(|a| {
        let a = a.to_string_lossy();
        a == "--api-key" || a.starts_with("--api-key=")
    })
}

/// The value of the variable a profile names for a setting, when set.
fn env_of(var: Option<&str>) -> Option<String> {
    var.and_then(|v| std::env::var(v).ok())
}

fn specala_conn(c: &SpecalaConnection) -> Conn {
    let profile = surefoot::specala::profile();
    Conn {
        api_key: c.api_key.clone().or_else(|| env_of(profile.key_env())),
        base_url: c
            .base_url
            .clone()
            .or_else(|| env_of(profile.base_url_env())),
        rate_limit: c.rate_limit.clone(),
        max_retries: c.max_retries,
        pacing_store: c.pacing_store.clone(),
        ca_file: c.ca_file.clone(),
        key_from_flag: key_from_flag(),
    }
}

fn pyai_conn(c: &PyaiConnection) -> Conn {
    let profile = surefoot::pyai::profile();
    Conn {
        api_key: c.api_key.clone().or_else(|| env_of(profile.key_env())),
        base_url: c
            .base_url
            .clone()
            .or_else(|| env_of(profile.base_url_env())),
        rate_limit: c.rate_limit.clone(),
        max_retries: c.max_retries,
        pacing_store: c.pacing_store.clone(),
        ca_file: c.ca_file.clone(),
        key_from_flag: key_from_flag(),
    }
}

async fn dispatch(cli: Cli) -> Result<Exit, CliError> {
    let ui = Ui { quiet: cli.quiet };
    match cli.command {
        Command::Specala(args) => {
            let (client, ctx) = connect::specala(&specala_conn(&args.conn))?;
            match args.command {
                SpecalaCommand::Export(e) => {
                    let n = e.concurrency.unwrap_or(0);
                    let options = export::Options {
                        out: e.out,
                        format: e.format.to_core(),
                        concurrency: surefoot::bulk::rules::export_concurrency(i128::from(n))
                            .map_err(|err| CliError::from_api(&err, &ctx))?,
                    };
                    let report = export::run(&client, &ctx, &options, ui).await?;
                    if !ui.quiet {
                        print!("{}", summary::export(&report));
                    }
                    Ok(Exit::Ok)
                }
                SpecalaCommand::Transcriptions(TranscriptionsCommand::List(l)) => {
                    list::transcriptions(&client, &ctx, &l).await?;
                    Ok(Exit::Ok)
                }
            }
        }
        Command::Pyai(args) => {
            let (client, ctx) = connect::pyai(&pyai_conn(&args.conn))?;
            match args.command {
                PyaiCommand::Submit(s) => {
                    let n = s.concurrency.unwrap_or(0);
                    let options = submit::Options {
                        output: s.out.unwrap_or_else(|| submit::default_output(&s.jobs)),
                        input: s.jobs,
                        concurrency: surefoot::bulk::rules::concurrency(i128::from(n))
                            .map_err(|err| CliError::from_api(&err, &ctx))?,
                    };
                    let interrupt = Box::pin(emulator::shutdown_signal());
                    let report = submit::run(&client, &ctx, &options, ui, interrupt).await?;
                    if !ui.quiet {
                        print!("{}", summary::submit(&report));
                    }
                    submit_outcome(&report)
                }
                PyaiCommand::Jobs(JobsCommand::List(l)) => {
                    list::jobs(&client, &ctx, &l).await?;
                    Ok(Exit::Ok)
                }
            }
        }
        Command::Emulator(args) => emulator::run(&args).await,
        Command::Demo(args) => demo::run(&args, ui).await,
    }
}

/// The exit of a submit that ran to its end (or was interrupted).
fn submit_outcome(r: &submit::Report) -> Result<Exit, CliError> {
    if r.interrupted {
        return Err(CliError::new(
            Exit::Interrupted,
            format!(
                "interrupted with {} of {} lines done",
                r.done + r.already_done,
                r.lines
            ),
            "run the same command again: finished lines are skipped and no job is created twice",
        ));
    }
    if r.clean() {
        return Ok(Exit::Ok);
    }
    let mut codes: Vec<String> = r.failed.iter().map(|(_, c)| c.clone()).collect();
    if !r.malformed.is_empty() {
        codes.push("malformed_line".into());
    }
    codes.sort();
    codes.dedup();
    Err(CliError::new(
        Exit::ItemsFailed,
        format!(
            "{} of {} lines failed ({}); every other line is done",
            r.failed.len() + r.malformed.len(),
            r.lines,
            codes.join(", ")
        ),
        format!(
            "fix the lines named above (also in {}) and run the same command again: finished lines are skipped",
            r.output.display()
        ),
    ))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose, cli.quiet);
    let verbose = cli.verbose > 0;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let err = CliError::io("cannot start the async runtime", &e);
            err.print(verbose);
            return err.exit.code();
        }
    };
    let result = runtime.block_on(dispatch(cli));
    // Do not wait for background work (a prefetched page, a closing session) at exit.
    runtime.shutdown_background();
    match result {
        Ok(exit) => exit.code(),
        Err(e) => {
            e.print(verbose);
            e.exit.code()
        }
    }
}
