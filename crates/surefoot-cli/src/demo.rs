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
use crate::summary::{self, secs};
use crate::{export, submit};

const SPECALA_KEY: &str = "spk_alpha_pro_0001";
const PYAI_KEY: &str = "pyai_sk_full_0001";
/// Specala's documented 500 requests/min, enforced by the emulator over a window scaled
/// down from 60 s to 6 s (50 requests): the same rate, ten times less room for bursts.
const SPECALA_WINDOW: (u32, Duration) = (50, Duration::from_secs(6));
/// The PyAI plan of the demo: 100 requests/s, burst 10.
const PYAI_RATE: (u32, u32) = (100, 10);
/// Job creations in flight at once.
const PYAI_CONCURRENCY: usize = 16;
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

    // ---- Specala: export every transcription -------------------------------------------
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
        max_retries: 5,
        ..Conn::default()
    };
    let (client, ctx) = connect::specala(&conn)?;
    let out = work.path().join("transcripts");
    let options = export::Options {
        out: out.clone(),
        format: Format::Md,
        concurrency: 4,
    };
    let exported = export::run(&client, &ctx, &options, ui).await?;
    say(ui, &summary::export(&exported));
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .map_err(io("cannot read the export directory"))?
        .filter_map(Result::ok)
        .filter(|e| e.metadata().is_ok_and(|m| m.is_file() && m.len() > 0))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let files = names.len();
    // Byte-exact: a few files against the single-export endpoint (not the bulk one).
    let mut mismatched = 0;
    let mut sampled = 0;
    for name in names.iter().step_by((files / 5).max(1)).take(5) {
        let id = name.trim_end_matches(".md");
        let expected = client
            .transcriptions()
            .export(id, Format::Md)
            .await
            .map_err(|e| CliError::from_api(&e, &ctx))?;
        sampled += 1;
        if std::fs::read(out.join(name)).ok().as_deref() != Some(expected.as_bytes()) {
            mismatched += 1;
        }
    }
    say(
        ui,
        &format!(
            "  byte-exact check   {}/{sampled} sampled files identical to the single-export endpoint's document\n",
            sampled - mismatched
        ),
    );
    // Deleting thousands of freshly synced files can take seconds: do it meanwhile.
    let cleanup = std::thread::spawn(move || std::fs::remove_dir_all(out));
    let specala_stats = specala.stats();
    specala.shutdown().await;

    // ---- PyAI: submit a JSONL file, interrupted halfway, then re-run --------------------
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
    let input = work.path().join("jobs.jsonl");
    std::fs::write(&input, jobs_file(args.jobs)).map_err(io("cannot write jobs.jsonl"))?;
    let output = submit::default_output(&input);
    let conn = Conn {
        api_key: Some(PYAI_KEY.into()),
        base_url: Some(pyai.url()),
        rate_limit: Some(format!("{}/s burst {}", PYAI_RATE.0, PYAI_RATE.1)),
        max_retries: 5,
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
    let first = submit::run(
        &client,
        &ctx,
        &options,
        ui,
        Box::pin(tokio::time::sleep(cut)),
    )
    .await?;
    say(ui, &summary::submit(&first));
    say(ui, "   … running the same command again:\n");
    let second = submit::run(
        &client,
        &ctx,
        &options,
        ui,
        Box::pin(std::future::pending()),
    )
    .await?;
    say(ui, &summary::submit(&second));

    trouble.abort();

    // ---- Check ---------------------------------------------------------------------------
    let pyai_stats = pyai.stats();
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
    // Distinct jobs by their audio; a server that lists no audio (the minimal form) leaves
    // the count of jobs to judge, with the server's count of creations below.
    let urls: HashSet<&str> = jobs.iter().filter_map(|j| j.audio_url()).collect();
    let distinct = if urls.len() == jobs.len() || jobs.iter().any(|j| j.audio_url().is_some()) {
        urls.len()
    } else {
        jobs.len()
    };
    let lines = args.jobs as usize;
    let duplicate_jobs = jobs
        .len()
        .saturating_sub(distinct)
        .max((pyai_stats.jobs_created as usize).saturating_sub(lines));
    let missing_jobs = lines.saturating_sub(distinct);
    let _ = cleanup.join();
    let failed_items = mismatched
        + first.failed.len()
        + second.failed.len()
        + second.malformed.len()
        + (args.transcriptions as usize).saturating_sub(files)
        + missing_jobs;
    let ok_lines = second.done + second.already_done;
    let replays = first.metrics.replays + second.metrics.replays;
    let export_ratio = ratio(
        exported.wall,
        summary::ideal(exported.pages + exported.chunks, exported.limit),
    );
    let submit_wall = first.wall + second.wall;
    let submit_ratio = ratio(submit_wall, Some(ideal));

    let mut s = String::new();
    let _ = writeln!(s, "\nResult");
    let _ = writeln!(
        s,
        "  failed items       {failed_items} ({files}/{} documents on disk, {ok_lines}/{lines} lines ok in {})",
        args.transcriptions,
        output.file_name().unwrap_or_default().to_string_lossy()
    );
    let _ = writeln!(
        s,
        "  duplicate jobs     {duplicate_jobs} ({} jobs on the server for {lines} lines; {replays} duplicates avoided by idempotent replay, {} lines skipped on the re-run)",
        pyai_stats.jobs_created, second.already_done
    );
    let _ = writeln!(
        s,
        "  server saw         Specala {} requests ({} rejected by its limiter) · PyAI {} requests ({} rejected by its limiter), {} faults injected and survived",
        specala_stats.total_requests,
        specala_stats.rate_limited,
        pyai_stats.total_requests,
        pyai_stats.rate_limited,
        specala_stats.faults_fired + pyai_stats.faults_fired
    );
    let _ = writeln!(
        s,
        "  time vs ideal      export {} · submit {} (both runs) — the ideal is what the rate limit allows with no trouble at all",
        export_ratio, submit_ratio
    );
    let _ = writeln!(s, "  total wall time    {}", secs(started.elapsed()));
    let clean =
        failed_items == 0 && duplicate_jobs == 0 && pyai_stats.jobs_created as usize == lines;
    let _ = writeln!(
        s,
        "{}",
        if clean {
            "OK: every item done exactly once"
        } else {
            "FAILED: see above"
        }
    );
    if clean {
        say(ui, &s);
        Ok(Exit::Ok)
    } else {
        print!("{s}");
        Err(CliError::new(
            Exit::ItemsFailed,
            format!("the demo finished with {failed_items} failed item(s) and {duplicate_jobs} duplicate job(s)"),
            "this is a bug in surefoot: please report it with the output above",
        ))
    }
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
