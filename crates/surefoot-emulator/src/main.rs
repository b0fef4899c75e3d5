//! The `surefoot-emulator` command: serves the Specala or PyAI emulator on loopback,
//! prints its URL alone on the first stdout line and then one line per key (never its
//! value: the README lists the default keys), and runs
//! until Ctrl-C or SIGTERM. Limits and the bind address are flags; see `--help`.

use std::io::Write;
use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use surefoot_emulator::{parse_rate, Api, Chaos, Config, Emulator, WindowKind};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ApiArg {
    Specala,
    Pyai,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum WindowArg {
    Sliding,
    Fixed,
}

/// Offline emulator of the Specala and PyAI APIs, with fault injection
/// (admin API under /__emulator/).
#[derive(Parser, Debug)]
#[command(name = "surefoot-emulator", version)]
struct Args {
    /// Which API to emulate.
    #[arg(long, value_enum)]
    api: ApiArg,
    /// Port to listen on (0 = pick a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Interface to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Specala: transcriptions per workspace.
    #[arg(long, value_name = "N")]
    transcriptions: Option<usize>,
    /// Specala: per-key data-surface limit, e.g. 500/min.
    #[arg(long, value_name = "RATE")]
    data_limit: Option<String>,
    /// Specala: per-key key-management limit, e.g. 180/min.
    #[arg(long, value_name = "RATE")]
    management_limit: Option<String>,
    /// Specala: window kind of the limits.
    #[arg(long, value_enum)]
    window: Option<WindowArg>,
    /// PyAI: per-key rate limit, e.g. 50/s.
    #[arg(long, value_name = "RATE")]
    rate_limit: Option<String>,
    /// PyAI: burst of the rate limit.
    #[arg(long, value_name = "N")]
    burst: Option<u32>,
    /// PyAI: concurrent realtime sessions per key.
    #[arg(long, value_name = "N")]
    concurrency: Option<u32>,
    /// Disable every rate limiter (daily caps and concurrency caps stay).
    #[arg(long)]
    no_rate_limits: bool,
    /// Specala: send Retry-After with 429 (PyAI always does).
    #[arg(long)]
    retry_after: bool,
    /// Latency added to every API request, in milliseconds.
    #[arg(long, value_name = "MS")]
    latency_ms: Option<u64>,
    /// Answer in the minimal form instead of the brief's format: only ids are sure, Specala
    /// items are id + title, PyAI list items id + status, `created_at` is Unix seconds,
    /// unknown members appear and the last list page has no `next_cursor`.
    #[arg(long, env = "SUREFOOT_EMULATOR_MINIMAL", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true", default_value = "false")]
    minimal: bool,
    /// Seeded random faults from the start (5 % 503, 2 % resets, 1 % dropped after
    /// processing, 1 % truncated, 1 % stalled bodies, 429 storms); tune them with
    /// POST /__emulator/chaos.
    #[arg(long, value_name = "SEED")]
    chaos_seed: Option<u64>,
}

fn config(args: &Args) -> Result<Config, String> {
    let api = match args.api {
        ApiArg::Specala => Api::Specala,
        ApiArg::Pyai => Api::Pyai,
    };
    let mut c = Config::for_api(api).port(args.port).host(args.host);
    if let Some(n) = args.transcriptions {
        c = c.transcriptions_per_workspace(n);
    }
    if let Some(spec) = &args.data_limit {
        let (n, w) = parse_rate(spec)?;
        c = c.data_limit(n, w);
    }
    if let Some(spec) = &args.management_limit {
        let (n, w) = parse_rate(spec)?;
        c = c.management_limit(n, w);
    }
    if let Some(w) = args.window {
        c = c.window_kind(match w {
            WindowArg::Sliding => WindowKind::Sliding,
            WindowArg::Fixed => WindowKind::Fixed,
        });
    }
    let current = c.rate_limit.unwrap_or(surefoot_emulator::RateLimit {
        per_second: 50.0,
        burst: 10,
    });
    let mut per_second = current.per_second;
    if let Some(spec) = &args.rate_limit {
        let (n, w) = parse_rate(spec)?;
        per_second = f64::from(n) / w.as_secs_f64();
    }
    if args.rate_limit.is_some() || args.burst.is_some() {
        c = c.rate_limit(per_second, args.burst.unwrap_or(current.burst));
    }
    if let Some(n) = args.concurrency {
        c = c.realtime_concurrency(n);
    }
    if args.no_rate_limits {
        c = c.no_rate_limits();
    }
    if args.retry_after {
        c = c.retry_after_on_429(true);
    }
    c = c.minimal(args.minimal);
    if let Some(ms) = args.latency_ms {
        c = c.latency(Duration::from_millis(ms));
    }
    Ok(c)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let args = Args::parse();
    let config = match config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("surefoot-emulator: {e}");
            return ExitCode::from(2);
        }
    };
    let handle = match Emulator::start(config).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("surefoot-emulator: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(seed) = args.chaos_seed {
        handle.set_chaos(Some(Chaos::seeded(seed)));
    }
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", handle.url());
        let _ = out.flush();
        for key in handle.keys() {
            let _ = writeln!(out, "{}", key.describe());
        }
        let _ = out.flush();
    }
    wait_for_signal().await;
    handle.shutdown().await;
    ExitCode::SUCCESS
}
