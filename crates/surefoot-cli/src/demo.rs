//! `surefoot demo` (`make demo`): both workflows on the embedded emulators, through the
//! same code as the real commands, with trouble injected — then checks the outcome: zero
//! failed items, zero duplicate jobs, and how close the run came to the time the rate
//! limits allow.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use surefoot::specala::Format;
use surefoot_emulator::{Config, Emulator, EmulatorHandle, Fault, FaultAction};

use crate::cli::DemoArgs;
use crate::connect::{self, Conn};
use crate::exit::{CliError, Exit};
use crate::progress::Ui;
use crate::summary;
use crate::units::secs;
use crate::{export, submit};

const SPECALA_KEY: &str = "spk_alpha_pro_0001";
const PYAI_KEY: &str = "pyai_sk_full_0001";
/// Specala's documented 500 requests/min, enforced by the emulator over a window scaled
/// down from 60 s to 6 s (50 requests): the same rate, ten times less room for bursts.
const SPECALA_WINDOW: (u32, Duration) = (50, Duration::from_secs(6));
/// The PyAI plan of the demo: 100 requests/s, burst 10.
const PYAI_RATE: (u32, u32) = (100, 10);
/// Job creations in flight at once: the core's default.
const PYAI_CONCURRENCY: usize = surefoot::bulk::DEFAULT_CONCURRENCY;
/// How long the PyAI 429 storm lasts.
const STORM: Duration = Duration::from_millis(1500);
/// The first submit is interrupted after this share of its ideal time, then re-run.
const INTERRUPT_AT: f64 = 0.4;

const JOBS: &str = "POST /v1/transcription/jobs";
const BULK: &str = "POST /v1/transcriptions/export";
const LIST: &str = "GET /v1/transcriptions";

fn say(ui: Ui, text: &str) {
    if !ui.quiet {
        print!("{text}");
        let _ = std::io::stdout().flush();
    }
}

fn io(what: &str) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |e| CliError::io(what, &e)
}

/// Specala with a little trouble: a proxy's 502 page, 503s, a connection dropped after
/// the server answered, and 429s without Retry-After (as the seed allows).
fn specala_trouble(emu: &EmulatorHandle) {
    emu.inject(Fault::html(LIST, 1, 502));
    emu.inject(Fault::status(BULK, 2, 503, ""));
    emu.inject(Fault::drop_after_processing(BULK, 1));
    emu.inject(Fault::status(
        BULK,
        1,
        429,
        r#"{"detail": "Rate limit exceeded"}"#,
    ));
}

/// PyAI with more trouble, spread over the run: every eighth of the ideal time three 503s
/// and a connection dropped after the job was created, and, a little past the middle, a
/// 429 storm: for 1.5 s every request is refused with `Retry-After: 1`.
fn pyai_trouble(emu: Arc<EmulatorHandle>, ideal: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        for step in 0..8 {
            if step > 0 {
                tokio::time::sleep(ideal / 8).await;
            }
            emu.inject(Fault::status(
                JOBS,
                3,
                503,
                r#"{"error":{"message":"The server is overloaded.","type":"server_error","code":"overloaded","param":null}}"#,
            ));
            emu.inject(Fault::drop_after_processing(JOBS, 1));
            if step == 5 {
                emu.inject(Fault::new(
                    JOBS,
                    0,
                    FaultAction::Status {
                        status: 429,
                        body: r#"{"error":{"message":"Rate limit exceeded.","type":"rate_limit_error","code":"rate_limit_exceeded","param":null}}"#.into(),
                        content_type: Some("application/json".into()),
                        headers: vec![("retry-after".into(), "1".into())],
                    },
                ));
                tokio::time::sleep(STORM).await;
                emu.clear_faults();
            }
        }
    })
}

/// The demo's JSONL: every third line has an `id`, the others are keyed by content.
fn jobs_file(n: u32) -> String {
    let mut s = String::new();
    for i in 0..n {
        let lang = ["en", "fr", "de", "es"][i as usize % 4];
        let url = format!("https://audio.example.com/demo/{i:05}.wav");
        let meta = serde_json::json!({"batch": "demo", "n": i});
        let line = if i % 3 == 0 {
            serde_json::json!({"id": format!("demo-{i}"), "audio_url": url, "language": lang, "metadata": meta})
        } else {
            serde_json::json!({"audio_url": url, "language": lang, "metadata": meta})
        };
        let _ = writeln!(s, "{line}");
    }
    s
}

/// What the export half of the demo left for the check.
struct Exported {
    report: export::Report,
    files: usize,
    mismatched: usize,
    stats: surefoot_emulator::Stats,
    cleanup: std::thread::JoinHandle<std::io::Result<()>>,
}

/// What the submit half of the demo left for the check.
struct Submitted {
    first: submit::Report,
    second: submit::Report,
    ideal: Duration,
    output: std::path::PathBuf,
    stats: surefoot_emulator::Stats,
    jobs: Vec<surefoot::pyai::Job>,
}

pub async fn run(args: &DemoArgs, ui: Ui) -> Result<Exit, CliError> {
    let started = Instant::now();
    let work = tempfile::tempdir().map_err(io("cannot create a temporary directory"))?;
    say(
        ui,
        &format!(
            "surefoot demo: both APIs emulated on loopback, limits scaled down, trouble injected{}\n\
             work directory: {}\n\n",
            if args.minimal {
                "; minimal answers (ids and a title, Unix-second timestamps, unknown fields)"
            } else {
                ""
            },
            work.path().display()
        ),
    );
    let exported = export_part(args, ui, work.path()).await?;
    let submitted = submit_part(args, ui, work.path()).await?;
    check(args, ui, started, exported, submitted)
}

/// 1. `surefoot specala export` against the Specala emulator, then a byte-exact sample.
async fn export_part(
    args: &DemoArgs,
    ui: Ui,
    work: &std::path::Path,
) -> Result<Exported, CliError> {
    let specala = Emulator::start(
        Config::specala()
            .transcriptions_per_workspace(args.transcriptions as usize)
            .data_limit(SPECALA_WINDOW.0, SPECALA_WINDOW.1)
            .record_accepted(false)
            .minimal(args.minimal),
    )
    .await
    .map_err(io("cannot start the Specala emulator"))?;
    specala_trouble(&specala);
    say(
        ui,
        &format!(
            "1. surefoot specala export: {} transcriptions, Specala's documented 500 requests/min \
             (emulator window scaled to {} per {}s); trouble: a 502 page, 503s, a dropped \
             connection, 429s without Retry-After\n",
            args.transcriptions,
            SPECALA_WINDOW.0,
            SPECALA_WINDOW.1.as_secs()
        ),
    );
    let conn = Conn {
        api_key: Some(SPECALA_KEY.into()),
        base_url: Some(specala.url()),
        ..Conn::default()
    };
    let (client, ctx) = connect::specala(&conn)?;
    let out = work.join("transcripts");
    let options = export::Options {
        out: out.clone(),
        format: Format::Md,
        concurrency: surefoot::bulk::DEFAULT_EXPORT_CONCURRENCY,
    };
    let report = export::run(&client, &ctx, &options, ui).await?;
    say(ui, &summary::export(&report));
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .map_err(io("cannot read the export directory"))?
        .filter_map(Result::ok)
        .filter(|e| e.metadata().is_ok_and(|m| m.is_file() && m.len() > 0))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let files = names.len();
    let (sampled, mismatched) = byte_exact(&client, &ctx, &out, &names).await?;
    say(
        ui,
        &format!(
            "  byte-exact check   {}/{sampled} sampled files identical to the single-export endpoint's document\n",
            sampled - mismatched
        ),
    );
    // Deleting thousands of freshly synced files can take seconds: do it meanwhile.
    let cleanup = std::thread::spawn(move || std::fs::remove_dir_all(out));
    let stats = specala.stats();
    specala.shutdown().await;
    Ok(Exported {
        report,
        files,
        mismatched,
        stats,
        cleanup,
    })
}

/// Byte-exact: a few files against the single-export endpoint (not the bulk one); how many
/// were sampled, and how many differ.
async fn byte_exact(
    client: &surefoot::specala::Client,
    ctx: &crate::exit::Context,
    out: &std::path::Path,
    names: &[String],
) -> Result<(usize, usize), CliError> {
    let mut mismatched = 0;
    let mut sampled = 0;
    for name in names.iter().step_by((names.len() / 5).max(1)).take(5) {
        let id = name.trim_end_matches(".md");
        let expected = client
            .transcriptions()
            .export(id, Format::Md)
            .await
            .map_err(|e| CliError::from_api(&e, ctx))?;
        sampled += 1;
        if std::fs::read(out.join(name)).ok().as_deref() != Some(expected.as_bytes()) {
            mismatched += 1;
        }
    }
    Ok((sampled, mismatched))
}

/// 2. `surefoot pyai submit` against the PyAI emulator, interrupted, then run again.
async fn submit_part(
    args: &DemoArgs,
    ui: Ui,
    work: &std::path::Path,
) -> Result<Submitted, CliError> {
    let pyai = Arc::new(
        Emulator::start(
            Config::pyai()
                .rate_limit(f64::from(PYAI_RATE.0), PYAI_RATE.1)
                .record_accepted(false)
                .minimal(args.minimal),
        )
        .await
        .map_err(io("cannot start the PyAI emulator"))?,
    );
    let input = work.join("jobs.jsonl");
    std::fs::write(&input, jobs_file(args.jobs)).map_err(io("cannot write jobs.jsonl"))?;
    let output = submit::default_output(&input);
    let conn = Conn {
        api_key: Some(PYAI_KEY.into()),
        base_url: Some(pyai.url()),
        rate_limit: Some(format!("{}/s burst {}", PYAI_RATE.0, PYAI_RATE.1)),
        ..Conn::default()
    };
    let (client, ctx) = connect::pyai(&conn)?;
    let options = submit::Options {
        input: input.clone(),
        output: output.clone(),
        concurrency: PYAI_CONCURRENCY,
    };
    let ideal = summary::ideal(
        args.jobs as usize,
        client.client().rate_limit_for("/v1/transcription/jobs"),
    )
    .unwrap_or_default();
    let cut = ideal.mul_f64(INTERRUPT_AT);
    say(
        ui,
        &format!(
            "\n2. surefoot pyai submit: {} jobs at {}/s burst {}, {} in flight; trouble all along: \
             503s, connections dropped after the job was created, a 429 storm; interrupted after {} \
             (as if killed), then run again\n",
            args.jobs,
            PYAI_RATE.0,
            PYAI_RATE.1,
            PYAI_CONCURRENCY,
            secs(cut)
        ),
    );
    let trouble = pyai_trouble(pyai.clone(), ideal);
    let cut = Box::pin(tokio::time::sleep(cut));
    let first = submit::run(&client, &ctx, &options, ui, cut).await?;
    say(ui, &summary::submit(&first));
    say(ui, "   … running the same command again:\n");
    let never = Box::pin(std::future::pending());
    let second = submit::run(&client, &ctx, &options, ui, never).await?;
    say(ui, &summary::submit(&second));
    trouble.abort();
    let stats = pyai.stats();
    let jobs: Vec<surefoot::pyai::Job> = client
        .jobs()
        .list()
        .limit(100)
        .try_collect()
        .await
        .map_err(|e| CliError::from_api(&e, &ctx))?;
    if let Ok(emu) = Arc::try_unwrap(pyai) {
        emu.shutdown().await;
    }
    Ok(Submitted {
        first,
        second,
        ideal,
        output,
        stats,
        jobs,
    })
}

/// The check: zero failed items, zero duplicate jobs, and the time against the ideal.
fn check(
    args: &DemoArgs,
    ui: Ui,
    started: Instant,
    e: Exported,
    p: Submitted,
) -> Result<Exit, CliError> {
    // Distinct jobs by their audio; a server that lists no audio (the minimal form) leaves
    // the count of jobs to judge, with the server's count of creations below.
    let urls: HashSet<&str> = p.jobs.iter().filter_map(|j| j.audio_url()).collect();
    let distinct = if urls.len() == p.jobs.len() || p.jobs.iter().any(|j| j.audio_url().is_some()) {
        urls.len()
    } else {
        p.jobs.len()
    };
    let lines = args.jobs as usize;
    let created = p.stats.jobs_created as usize;
    let duplicate_jobs = p
        .jobs
        .len()
        .saturating_sub(distinct)
        .max(created.saturating_sub(lines));
    let _ = e.cleanup.join();
    let failed_items = e.mismatched
        + p.first.failed.len()
        + p.second.failed.len()
        + p.second.malformed.len()
        + (args.transcriptions as usize).saturating_sub(e.files)
        + lines.saturating_sub(distinct);
    let mut s = String::new();
    let _ = writeln!(s, "\nResult");
    let _ = writeln!(
        s,
        "  failed items       {failed_items} ({}/{} documents on disk, {}/{lines} lines ok in {})",
        e.files,
        args.transcriptions,
        p.second.done + p.second.already_done,
        p.output.file_name().unwrap_or_default().to_string_lossy()
    );
    let _ = writeln!(
        s,
        "  duplicate jobs     {duplicate_jobs} ({created} jobs on the server for {lines} lines; {} duplicates avoided by idempotent replay, {} lines skipped on the re-run)",
        p.first.metrics.replays + p.second.metrics.replays,
        p.second.already_done
    );
    let _ = writeln!(
        s,
        "  server saw         Specala {} requests ({} rejected by its limiter) · PyAI {} requests ({} rejected by its limiter), {} faults injected and survived",
        e.stats.total_requests,
        e.stats.rate_limited,
        p.stats.total_requests,
        p.stats.rate_limited,
        e.stats.faults_fired + p.stats.faults_fired
    );
    let r = &e.report;
    let _ = writeln!(
        s,
        "  time vs ideal      export {} · submit {} (both runs) — the ideal is what the rate limit allows with no trouble at all",
        ratio(r.wall, summary::ideal(r.pages + r.chunks, r.limit)),
        ratio(p.first.wall + p.second.wall, Some(p.ideal))
    );
    let _ = writeln!(s, "  total wall time    {}", secs(started.elapsed()));
    let clean = failed_items == 0 && duplicate_jobs == 0 && created == lines;
    if clean {
        let _ = writeln!(s, "OK: every item done exactly once");
        say(ui, &s);
        return Ok(Exit::Ok);
    }
    let _ = writeln!(s, "FAILED: see above");
    print!("{s}");
    Err(CliError::new(
        Exit::ItemsFailed,
        format!("the demo finished with {failed_items} failed item(s) and {duplicate_jobs} duplicate job(s)"),
        "this is a bug in surefoot: please report it with the output above",
    ))
}

fn ratio(wall: Duration, ideal: Option<Duration>) -> String {
    match ideal {
        Some(i) if !i.is_zero() => format!(
            "{} for an ideal {} = {:.2}×",
            secs(wall),
            secs(i),
            wall.as_secs_f64() / i.as_secs_f64()
        ),
        _ => format!("{} (no ideal known)", secs(wall)),
    }
}
