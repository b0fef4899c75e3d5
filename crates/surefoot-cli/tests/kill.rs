//! Killed at any moment: `surefoot pyai submit` and `surefoot specala export` are killed
//! with SIGKILL at random points (seeded) and run again each time, against an emulator
//! that also drops answers after doing the work; at the end the emulator has exactly one
//! job per input line, the results file one complete line per input line, and the export
//! directory one complete, byte-exact file per document and nothing else.
//!
//! `make test` runs a small size (200 lines, 4 kill points); `make chaos-kill` (part of
//! `make bench`) the full one through the same tests: `SUREFOOT_KILL_LINES` (default
//! 200), `SUREFOOT_KILL_POINTS` (default 4), `SUREFOOT_KILL_SEED` (default 17). Each run
//! prints one `kill-summary` JSON line with what it measured.

mod common;
use common::surefoot;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use surefoot_emulator::{start_blocking, BlockingEmulator, Config, Fault};

const SPECALA_KEY: &str = "spk_alpha_pro_0001";
const PYAI_KEY: &str = "pyai_sk_full_0001";

fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A small seeded generator (xorshift64*): the kill points are the same on every run.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// In `lo..hi` (`lo` when empty).
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            lo
        } else {
            lo + self.next() % (hi - lo)
        }
    }
}

/// Where to kill a run: after a delay from its start (any moment, before it has done
/// anything too), or once its progress has reached a count, plus a few milliseconds.
#[derive(Debug, Clone, Copy)]
enum KillPoint {
    After(Duration),
    AtProgress(usize, Duration),
}

/// The kill points of a run of `n` items: the first at a random moment of the start-up,
/// then progress thresholds spread at random over the run, in order.
fn kill_points(rng: &mut Rng, n: usize, count: usize) -> Vec<KillPoint> {
    let mut thresholds: Vec<usize> = (1..count)
        .map(|_| rng.range(1, n as u64 - 1) as usize)
        .collect();
    thresholds.sort_unstable();
    let mut points = vec![KillPoint::After(Duration::from_millis(rng.range(0, 150)))];
    points.extend(
        thresholds
            .into_iter()
            .map(|t| KillPoint::AtProgress(t, Duration::from_millis(rng.range(0, 15)))),
    );
    points
}

/// Starts `cmd`, kills it with SIGKILL at `point` (reading progress with `progress`), and
/// returns whether the kill came before the process ended on its own.
fn kill_at(mut cmd: Command, point: KillPoint, progress: &dyn Fn() -> usize) -> bool {
    let mut child: Child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("surefoot starts");
    let started = Instant::now();
    let wait = match point {
        KillPoint::After(d) => d,
        KillPoint::AtProgress(target, extra) => {
            while progress() < target {
                // A guard against hangs, not a timing assertion.
                assert!(
                    started.elapsed() < Duration::from_secs(300),
                    "no progress to {target}"
                );
                if child.try_wait().unwrap().is_some() {
                    return false;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            extra
        }
    };
    std::thread::sleep(wait);
    let killed = child.try_wait().unwrap().is_none();
    let _ = child.kill(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    killed
}

/// Every line of `path`, each parsed as JSON (`Err` with the text of a line that is not).
fn lines_of(path: &Path) -> Vec<Result<Value, String>> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|_| l.to_string()))
        .collect()
}

fn ok_lines(path: &Path) -> usize {
    lines_of(path)
        .iter()
        .filter(|r| matches!(r, Ok(v) if v["ok"] == Value::Bool(true)))
        .count()
}

fn run_to_end(mut cmd: Command) {
    let out = cmd.output().expect("surefoot runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "the last run: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn submit_killed_at_random_points_creates_each_job_once_with_one_result_line_each() {
    let n = knob("SUREFOOT_KILL_LINES", 200) as usize;
    let points = knob("SUREFOOT_KILL_POINTS", 4) as usize;
    let mut rng = Rng::new(knob("SUREFOOT_KILL_SEED", 17));
    let emu = start_blocking(Config::pyai().rate_limit(400.0, 20)).unwrap();
    // Answers lost after the server created the job: the retry (or the next run) must get
    // the server's replay, not a second job.
    emu.inject(Fault::drop_after_processing(
        "POST /v1/transcription/jobs",
        (n / 50).max(2) as u32,
    ));
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("jobs.jsonl");
    let results = dir.path().join("results.jsonl");
    let mut input = String::new();
    for i in 0..n {
        let line = if i % 2 == 0 {
            json!({"id": format!("line-{i}"), "audio_url": format!("https://example.com/{i}.wav")})
        } else {
            json!({"audio_url": format!("https://example.com/{i}.wav"), "metadata": {"i": i}})
        };
        input.push_str(&line.to_string());
        input.push('\n');
    }
    std::fs::write(&jobs, input).unwrap();
    let submit = || {
        let mut c = surefoot();
        c.env("PYAI_API_KEY", PYAI_KEY)
            .env("PYAI_BASE_URL", emu.url())
            .args(["pyai", "submit", jobs.to_str().unwrap()])
            .args(["--out", results.to_str().unwrap()])
            .args(["--rate-limit", "400/s burst 20", "--concurrency", "8"]);
        c
    };

    let started = Instant::now();
    let mut killed = 0;
    for point in kill_points(&mut rng, n, points) {
        if kill_at(submit(), point, &|| ok_lines(&results)) {
            killed += 1;
        }
        // Never more jobs than lines, at any moment.
        assert!(emu.stats().jobs_created as usize <= n);
    }
    let before_last = ok_lines(&results);
    run_to_end(submit());
    let wall = started.elapsed();

    let stats = emu.stats();
    assert_eq!(stats.jobs_created as usize, n, "exactly one job per line");
    let records = lines_of(&results);
    let cut: Vec<&String> = records.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(cut.is_empty(), "cut result lines: {cut:?}");
    let records: Vec<&Value> = records.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(records.len(), n, "one result line per input line");
    let numbers: HashSet<u64> = records.iter().filter_map(|r| r["line"].as_u64()).collect();
    assert_eq!(numbers, (1..=n as u64).collect(), "every line once");
    assert!(records.iter().all(|r| r["ok"] == Value::Bool(true)));
    let job_ids: HashSet<&str> = records
        .iter()
        .map(|r| r["job"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(job_ids.len(), n, "a job of its own for every line");
    assert!(killed >= 1, "at least one run was killed before its end");
    println!(
        "kill-summary {}",
        json!({
            "command": "pyai submit", "lines": n, "kill_points": points, "killed": killed,
            "done_before_last_run": before_last, "jobs_created": stats.jobs_created,
            "idempotent_replays": stats.idempotent_replays, "faults_fired": stats.faults_fired,
            "result_lines": records.len(), "wall_s": wall.as_secs_f64(),
        })
    );
}

/// The documents a run must leave: file name → content, from the emulator's own export.
fn reference_docs(emu: &BlockingEmulator, n: usize) -> HashMap<String, Vec<u8>> {
    let reference = surefoot::blocking::specala::Client::from_builder(
        surefoot::specala::Client::builder()
            .base_url(emu.url())
            .api_key(SPECALA_KEY),
    )
    .unwrap();
    let ids: Vec<String> = (0..n).map(|i| format!("tr_alpha_{i:06}")).collect();
    reference
        .bulk_export(&ids, surefoot::specala::Format::Md)
        .unwrap()
        .into_iter()
        .map(|d| (format!("{}.md", d.id()), d.content().as_bytes().to_vec()))
        .collect()
}

fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

#[test]
fn export_killed_at_random_points_leaves_every_document_once_and_complete() {
    let n = knob("SUREFOOT_KILL_LINES", 200) as usize;
    let points = knob("SUREFOOT_KILL_POINTS", 4) as usize;
    let mut rng = Rng::new(knob("SUREFOOT_KILL_SEED", 17) + 1);
    let emu = start_blocking(
        Config::specala()
            .transcriptions_per_workspace(n)
            .data_limit(1000, Duration::from_secs(1)),
    )
    .unwrap();
    emu.inject(Fault::reset("POST /v1/transcriptions/export", 1));
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let export = || {
        let mut c = surefoot();
        c.env("SPECALA_API_KEY", SPECALA_KEY)
            .env("SPECALA_BASE_URL", emu.url())
            .args(["specala", "export", "--out", out_dir.to_str().unwrap()])
            .args(["--rate-limit", "200/s"]);
        c
    };

    let started = Instant::now();
    let mut killed = 0;
    for point in kill_points(&mut rng, n, points) {
        if kill_at(export(), point, &|| files_in(&out_dir)) {
            killed += 1;
        }
    }
    let before_last = files_in(&out_dir);
    run_to_end(export());
    let wall = started.elapsed();

    let expected = reference_docs(&emu, n);
    assert_eq!(expected.len(), n);
    let mut names = HashSet::new();
    for entry in std::fs::read_dir(&out_dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let want = expected
            .get(&name)
            .unwrap_or_else(|| panic!("a file that is no document: {name}"));
        let got = std::fs::read(entry.path()).unwrap();
        assert!(
            got == *want,
            "{name}: {} bytes, the document has {} (truncated or altered)",
            got.len(),
            want.len()
        );
        names.insert(name);
    }
    assert_eq!(names.len(), n, "every document once");
    assert!(killed >= 1, "at least one run was killed before its end");
    let stats = emu.stats();
    println!(
        "kill-summary {}",
        json!({
            "command": "specala export", "documents": n, "kill_points": points,
            "killed": killed, "files_before_last_run": before_last,
            "export_requests": stats.route_total("POST /v1/transcriptions/export"),
            "faults_fired": stats.faults_fired, "files": names.len(),
            "wall_s": wall.as_secs_f64(),
        })
    );
}
