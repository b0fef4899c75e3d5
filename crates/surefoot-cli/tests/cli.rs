//! The `surefoot` command driven as a user would: a spawned process against emulators
//! started by the test, with scaled limits so the suite stays fast.

mod common;
use common::surefoot;
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use surefoot_emulator::{start_blocking, BlockingEmulator, Config, Fault};

const SPECALA_KEY: &str = "spk_alpha_pro_0001";
const SPECALA_FREE_KEY: &str = "spk_alpha_free_0003";
const PYAI_KEY: &str = "pyai_sk_full_0001";

fn specala_cmd(emu: &BlockingEmulator, key: &str) -> Command {
    let mut c = surefoot();
    c.env("SPECALA_API_KEY", key)
        .env("SPECALA_BASE_URL", emu.url())
        .arg("specala");
    c
}

fn pyai_cmd(emu: &BlockingEmulator, key: &str) -> Command {
    let mut c = surefoot();
    c.env("PYAI_API_KEY", key)
        .env("PYAI_BASE_URL", emu.url())
        .arg("pyai");
    c
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("surefoot runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited with a code")
}

fn last_line(bytes: &[u8]) -> String {
    text(bytes).lines().last().unwrap_or_default().to_string()
}

fn specala() -> BlockingEmulator {
    start_blocking(Config::specala().transcriptions_per_workspace(50)).expect("emulator")
}

fn pyai() -> BlockingEmulator {
    start_blocking(Config::pyai()).expect("emulator")
}

#[test]
fn help_with_examples_on_every_command() {
    let commands: &[&[&str]] = &[
        &[],
        &["specala"],
        &["specala", "export"],
        &["specala", "transcriptions"],
        &["specala", "transcriptions", "list"],
        &["pyai"],
        &["pyai", "submit"],
        &["pyai", "jobs"],
        &["pyai", "jobs", "list"],
        &["emulator"],
        &["demo"],
    ];
    for args in commands {
        let out = run(surefoot().args(*args).arg("--help"));
        assert_eq!(code(&out), 0, "{args:?}");
        let help = text(&out.stdout);
        assert!(
            help.contains("Examples:"),
            "{args:?} has no examples:\n{help}"
        );
        assert!(help.contains("Usage: surefoot"), "{args:?}");
    }
    let top = text(&run(surefoot().arg("--help")).stdout);
    assert!(
        top.contains("Exit codes:") && top.contains("13  invalid request"),
        "{top}"
    );
    let env_help = text(
        &run(surefoot()
            .args(["specala", "export", "--help"])
            .env("SPECALA_API_KEY", SPECALA_KEY))
        .stdout,
    );
    assert!(env_help.contains("SPECALA_API_KEY"));
    assert!(!env_help.contains(SPECALA_KEY), "--help shows no key");
    let bad = run(surefoot().args(["specala", "export"]));
    assert_eq!(code(&bad), 2, "usage errors exit 2");
}

#[test]
fn export_of_2500_is_complete_byte_exact_and_a_rerun_skips() {
    let emu = start_blocking(
        Config::specala()
            .transcriptions_per_workspace(2500)
            .data_limit(1000, Duration::from_secs(1)),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let export = || {
        run(specala_cmd(&emu, SPECALA_KEY).args([
            "export",
            "--out",
            out_dir.to_str().unwrap(),
            "--rate-limit",
            "80/s",
        ]))
    };

    let out = export();
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "",
        "no progress bar when stderr is not a terminal"
    );
    let summary = text(&out.stdout);
    assert!(
        summary.contains("2500 listed · 2500 written · 0 already there"),
        "{summary}"
    );
    assert!(summary.contains("requests sent"), "{summary}");
    let stats = emu.stats();
    assert_eq!(
        stats.route_total("POST /v1/transcriptions/export"),
        25,
        "chunks of 100"
    );
    assert_eq!(
        stats.route_total("GET /v1/transcriptions"),
        25,
        "pages of 100"
    );
    assert_eq!(stats.rate_limited, 0);
    assert!(
        stats.max_in_window("key_alpha_pro", "data", Duration::from_secs(1)) <= 81,
        "paced at 80/s"
    );

    // Byte-exact against the emulator's own bulk export of the same ids.
    let names: HashSet<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names.len(),
        2500,
        "one file per transcription, no temporaries"
    );
    let reference = surefoot::blocking::specala::Client::from_builder(
        surefoot::specala::Client::builder()
            .base_url(emu.url())
            .api_key(SPECALA_KEY),
    )
    .unwrap();
    let ids: Vec<String> = (0..2500).map(|i| format!("tr_alpha_{i:06}")).collect();
    let docs = reference
        .bulk_export(&ids, surefoot::specala::Format::Md)
        .unwrap();
    assert_eq!(docs.len(), 2500);
    for doc in &docs {
        let file = std::fs::read(out_dir.join(format!("{}.md", doc.id()))).unwrap();
        assert_eq!(file, doc.content().as_bytes(), "{} differs", doc.id());
    }

    // A re-run lists again but fetches nothing; a removed file is fetched again.
    std::fs::remove_file(out_dir.join("tr_alpha_001234.md")).unwrap();
    emu.reset_stats();
    let out = export();
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(
        summary.contains("1 written · 2499 already there"),
        "{summary}"
    );
    let stats = emu.stats();
    assert_eq!(stats.route_total("POST /v1/transcriptions/export"), 1);
    assert_eq!(
        std::fs::read(out_dir.join("tr_alpha_001234.md")).unwrap(),
        docs[1234].content().as_bytes()
    );
}

fn write_jobs(path: &Path, n: usize) {
    let mut s = String::new();
    for i in 0..n {
        let line = if i % 2 == 0 {
            serde_json::json!({"id": format!("job-{i}"), "audio_url": format!("https://example.com/{i}.wav")})
        } else {
            serde_json::json!({"audio_url": format!("https://example.com/{i}.wav"), "language": "en", "metadata": {"i": i}})
        };
        s.push_str(&line.to_string());
        s.push('\n');
    }
    std::fs::write(path, s).unwrap();
}

fn result_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn all_jobs(emu: &BlockingEmulator) -> Vec<surefoot::pyai::Job> {
    let client = surefoot::blocking::Client::new(
        surefoot::Client::builder()
            .base_url(emu.url())
            .api_key(PYAI_KEY),
    )
    .unwrap();
    client
        .paginate::<surefoot::pyai::Job>("/v1/transcription/jobs")
        .limit(100)
        .collect::<surefoot::Result<Vec<_>>>()
        .unwrap()
}

#[test]
fn submit_killed_halfway_and_rerun_creates_exactly_one_job_per_line() {
    const LINES: usize = 600;
    let emu = start_blocking(Config::pyai().rate_limit(100.0, 10)).unwrap();
    emu.inject(Fault::drop_after_processing(
        "POST /v1/transcription/jobs",
        3,
    ));
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("jobs.jsonl");
    let results: PathBuf = dir.path().join("results.jsonl");
    write_jobs(&jobs, LINES);
    let submit = || {
        let mut c = pyai_cmd(&emu, PYAI_KEY);
        c.args([
            "submit",
            jobs.to_str().unwrap(),
            "--out",
            results.to_str().unwrap(),
        ])
        .args(["--rate-limit", "100/s burst 10", "--concurrency", "8"]);
        c
    };

    let mut child = submit()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while result_lines(&results).len() < 150 {
        assert!(started.elapsed() < Duration::from_secs(30), "no progress");
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before the kill"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let before = result_lines(&results).len();
    assert!(before < LINES, "killed halfway ({before} lines)");
    let created_before = emu.stats().jobs_created as usize;
    assert!(created_before >= before);

    let out = run(&mut submit());
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(summary.contains("already done (skipped)"), "{summary}");

    let stats = emu.stats();
    assert_eq!(
        stats.jobs_created as usize, LINES,
        "exactly one job per line"
    );
    let jobs_on_server = all_jobs(&emu);
    assert_eq!(jobs_on_server.len(), LINES);
    let urls: HashSet<&str> = jobs_on_server
        .iter()
        .map(|j| j.audio_url().unwrap())
        .collect();
    assert_eq!(urls.len(), LINES, "no audio submitted twice");
    let ok: HashSet<String> = result_lines(&results)
        .iter()
        .filter(|r| r["ok"] == Value::Bool(true))
        .map(|r| r["idempotency_key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ok.len(), LINES, "every line has an ok result");

    // A third run has nothing to do and sends nothing.
    emu.reset_stats();
    let out = run(&mut submit());
    assert_eq!(code(&out), 0);
    assert!(text(&out.stdout).contains(&format!("0 done now · {LINES} already done")));
    assert_eq!(emu.stats().total_requests, 0);
}

#[test]
fn submit_reports_bad_lines_with_their_number_and_goes_on() {
    let emu = pyai();
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("jobs.jsonl");
    std::fs::write(
        &jobs,
        [
            r#"{"audio_url": "https://example.com/1.wav"}"#,
            r#"{"audio_url": "https://example.com/2.wav""#,
            r#"{"id": "a", "audio_url": "https://example.com/3.wav"}"#,
            r#"{"audio_url": "not-a-url"}"#,
            "",
            r#"{"audio_url": "https://example.com/6.wav", "lang": "en"}"#,
            r#"{"audio_url": "https://example.com/1.wav"}"#,
            r#"{"id": "a", "audio_url": "https://example.com/changed.wav"}"#,
            r#"{"audio_url": "https://example.com/9.wav", "language": "fr"}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let out = run(pyai_cmd(&emu, PYAI_KEY).args(["submit", jobs.to_str().unwrap()]));
    let stderr = text(&out.stderr);
    assert_eq!(code(&out), 1, "some lines failed: {stderr}");
    assert!(
        stderr.contains("line 2: malformed: not valid JSON"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 4: failed: validation_error"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 6: malformed: unknown field `lang`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 8: malformed: `id` \"a\" is already used by line 3"),
        "{stderr}"
    );
    let last = last_line(&out.stderr);
    assert!(last.starts_with("error: 4 of 8 lines failed"), "{last}");
    assert!(
        last.contains("fix:") && last.ends_with("(exit 1)"),
        "{last}"
    );

    // Lines 1, 3, 7 (same as 1) and 9: three jobs, four ok results.
    assert_eq!(emu.stats().jobs_created, 3);
    let results = result_lines(&dir.path().join("jobs.results.jsonl"));
    let ok: Vec<u64> = results
        .iter()
        .filter(|r| r["ok"] == Value::Bool(true))
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(ok.len(), 4, "{results:?}");
    let failed: HashSet<u64> = results
        .iter()
        .filter(|r| r["ok"] == Value::Bool(false))
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(failed, [2, 4, 6, 8].into_iter().collect());
}

/// Runs `cmd`, expecting `exit` and a last stderr line containing every one of `needles`;
/// the key must appear nowhere.
fn expect_failure(cmd: &mut Command, exit: i32, needles: &[&str], key: &str) {
    let out = run(cmd);
    let stderr = text(&out.stderr);
    assert_eq!(code(&out), exit, "{stderr}");
    let last = last_line(&out.stderr);
    assert!(last.starts_with("error: "), "{stderr}");
    for n in needles {
        assert!(last.contains(n), "{n:?} not in {last:?}");
    }
    assert!(last.ends_with(&format!("(exit {exit})")), "{last}");
    let trimmed = key.trim();
    assert!(
        !stderr.contains(trimmed) && !text(&out.stdout).contains(trimmed),
        "the key leaked: {stderr}"
    );
}

#[test]
fn bad_keys_give_the_documented_message_and_exit_code() {
    let emu = specala();
    // A revoked key: 401 → 3.
    let admin = surefoot::blocking::specala::Client::from_builder(
        surefoot::specala::Client::builder()
            .base_url(emu.url())
            .api_key(SPECALA_KEY),
    )
    .unwrap();
    let created = admin.keys_create("ci").unwrap();
    admin.keys_revoke(created.id()).unwrap();
    let secret = created.key().unwrap();
    expect_failure(
        specala_cmd(&emu, secret).args(["transcriptions", "list"]),
        3,
        &["revoked", "create a fresh key"],
        secret,
    );
    // A key with a trailing space: refused before sending → 13.
    let before = emu.stats().total_requests;
    let spaced = format!("{SPECALA_KEY} ");
    expect_failure(
        specala_cmd(&emu, &spaced).args(["export", "--out", "/nonexistent/never"]),
        13,
        &[
            "trailing",
            "SPECALA_API_KEY",
            "copy the key again without the trailing space",
        ],
        SPECALA_KEY,
    );
    assert_eq!(emu.stats().total_requests, before, "nothing sent");
    // A plan without API access: 403 api_access_denied → 4.
    expect_failure(
        specala_cmd(&emu, SPECALA_FREE_KEY).args(["transcriptions", "list"]),
        4,
        &["no API access", "Pro or Expert"],
        SPECALA_FREE_KEY,
    );
    // No key at all → 13; the flag names itself as the source.
    expect_failure(
        surefoot().args([
            "specala",
            "transcriptions",
            "list",
            "--base-url",
            &emu.url(),
        ]),
        13,
        &[
            "no Specala API key",
            "set SPECALA_API_KEY or pass --api-key",
        ],
        SPECALA_KEY,
    );
    expect_failure(
        surefoot().args([
            "specala",
            "transcriptions",
            "list",
            "--base-url",
            &emu.url(),
            "--api-key",
            "spk_revoked_or_never_was_9999",
        ]),
        3,
        &["from --api-key"],
        "spk_revoked_or_never_was_9999",
    );

    // PyAI: no credit → 8, read-only key → 4, both stop the run at once.
    let pyai = pyai();
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("jobs.jsonl");
    write_jobs(&jobs, 20);
    expect_failure(
        pyai_cmd(&pyai, "pyai_sk_broke_0006").args(["submit", jobs.to_str().unwrap()]),
        8,
        &["out of prepaid credit", "add credit"],
        "pyai_sk_broke_0006",
    );
    expect_failure(
        pyai_cmd(&pyai, "pyai_sk_readonly_0002").args(["submit", jobs.to_str().unwrap()]),
        4,
        &["scope"],
        "pyai_sk_readonly_0002",
    );
    assert_eq!(pyai.stats().jobs_created, 0);
    // Nothing listening → 11.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    expect_failure(
        surefoot().env("PYAI_API_KEY", PYAI_KEY).args([
            "pyai",
            "jobs",
            "list",
            "--max-retries",
            "0",
            "--base-url",
            &format!("http://{dead}"),
        ]),
        11,
        &["cannot reach", "PYAI_BASE_URL"],
        PYAI_KEY,
    );
}

#[test]
fn lists_print_a_table_or_json() {
    let emu = specala();
    let out = run(specala_cmd(&emu, SPECALA_KEY).args([
        "transcriptions",
        "list",
        "--json",
        "--max",
        "5",
    ]));
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let items: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(items.len(), 5);
    assert_eq!(items[0]["id"], "tr_alpha_000049", "newest first");

    let out = run(specala_cmd(&emu, SPECALA_KEY).args(["transcriptions", "list"]));
    let table = text(&out.stdout);
    assert_eq!(table.lines().count(), 51, "header and 50 rows");
    assert!(table.starts_with("ID "), "{table}");

    let pyai = pyai();
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("jobs.jsonl");
    write_jobs(&jobs, 3);
    assert_eq!(
        code(&run(pyai_cmd(&pyai, PYAI_KEY).args([
            "submit",
            jobs.to_str().unwrap(),
            "-q"
        ]))),
        0
    );
    let out = run(pyai_cmd(&pyai, PYAI_KEY).args(["jobs", "list"]));
    let table = text(&out.stdout);
    assert_eq!(table.lines().count(), 4, "{table}");
    assert!(table.lines().next().unwrap().contains("STATUS"));
}

#[test]
fn emulator_command_serves_until_stopped() {
    let mut child = surefoot()
        .args(["emulator", "--api", "pyai", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let url = first.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let mut keys = String::new();
    for _ in 0..7 {
        stdout.read_line(&mut keys).unwrap();
    }
    assert!(keys.contains("id=key_full"), "{keys}");
    assert!(
        !keys.contains("pyai_sk_") && !keys.contains("pyai_pk_"),
        "{keys}"
    );
    let out = run(surefoot().env("PYAI_API_KEY", PYAI_KEY).args([
        "pyai",
        "jobs",
        "list",
        "--json",
        "--base-url",
        &url,
    ]));
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "[]");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn demo_runs_clean_on_a_small_scale() {
    let out = run(surefoot().args(["demo", "--transcriptions", "400", "--jobs", "300"]));
    let stdout = text(&out.stdout);
    assert_eq!(code(&out), 0, "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("failed items       0"), "{stdout}");
    assert!(stdout.contains("duplicate jobs     0"), "{stdout}");
    assert!(
        stdout.contains("OK: every item done exactly once"),
        "{stdout}"
    );
}

/// A PyAI server answering the minimal form: a created job is `id`, `status`, `created_at`
/// as Unix seconds and an unknown member — a success, reported with the server's job.
#[test]
fn submit_against_numeric_created_at_reports_every_line_done_with_its_job() {
    const N: usize = 20;
    let emu = start_blocking(Config::pyai().minimal(true)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("jobs.jsonl");
    let results = dir.path().join("results.jsonl");
    write_jobs(&jobs, N);
    let out = run(pyai_cmd(&emu, PYAI_KEY).args([
        "submit",
        jobs.to_str().unwrap(),
        "--out",
        results.to_str().unwrap(),
    ]));
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(
        summary.contains(&format!(
            "{N} done now · 0 already done (skipped) · 0 failed"
        )),
        "{summary}"
    );
    assert_eq!(emu.stats().jobs_created as usize, N);
    let lines = result_lines(&results);
    assert_eq!(lines.len(), N);
    let mut ids = HashSet::new();
    for r in &lines {
        assert_eq!(r["ok"], Value::Bool(true), "{r}");
        let job = &r["job"];
        assert!(job["created_at"].is_f64(), "the server's own JSON: {job}");
        assert_eq!(
            job["object"], "transcription.job",
            "unknown members kept: {job}"
        );
        assert_eq!(job["status"], "queued");
        assert!(job.get("audio_url").is_none(), "nothing invented: {job}");
        ids.insert(job["id"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), N, "one job per line");
    let listed = all_jobs(&emu);
    assert_eq!(listed.len(), N);
    assert!(listed
        .iter()
        .all(|j| j.audio_url().is_none() && j.status().is_some()));
}

/// A Specala server whose list items are only `id` and `title` (and whose last page has no
/// `next_cursor`): every transcription is exported.
#[test]
fn export_against_items_of_only_id_and_title_exports_everything() {
    let emu = start_blocking(
        Config::specala()
            .transcriptions_per_workspace(250)
            .no_rate_limits()
            .minimal(true),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out = run(specala_cmd(&emu, SPECALA_KEY).args([
        "export",
        "--out",
        out_dir.to_str().unwrap(),
        "--format",
        "txt",
    ]));
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(summary.contains("250 written"), "{summary}");
    let mut names: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 250);
    assert_eq!(names[0], "tr_alpha_000000.txt");
    assert_eq!(names[249], "tr_alpha_000249.txt");
    let doc = std::fs::read_to_string(out_dir.join("tr_alpha_000007.txt")).unwrap();
    assert!(!doc.is_empty());
    let reference = surefoot::blocking::specala::Client::from_builder(
        surefoot::specala::Client::builder()
            .base_url(emu.url())
            .api_key(SPECALA_KEY),
    )
    .unwrap();
    let expected = reference
        .export("tr_alpha_000007", surefoot::specala::Format::Txt)
        .unwrap();
    assert_eq!(doc, expected, "byte-exact");
    let stats = emu.stats();
    assert_eq!(stats.route_total("POST /v1/transcriptions/export"), 3);

    // `transcriptions list` shows what there is, and --json the server's own items.
    let listed = run(specala_cmd(&emu, SPECALA_KEY).args(["transcriptions", "list", "--json"]));
    assert_eq!(code(&listed), 0, "{}", text(&listed.stderr));
    let items: Vec<Value> = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(items.len(), 250);
    assert_eq!(
        items[0],
        serde_json::json!({"id": "tr_alpha_000249", "title": items[0]["title"].clone()})
    );
    assert!(items[0]["title"].is_string());
}

#[test]
fn pacing_store_flag_and_variable() {
    let emu = specala();
    // A malformed URL: invalid_request (13), naming the problem, never the password.
    let out = run(specala_cmd(&emu, SPECALA_KEY).args([
        "transcriptions",
        "list",
        "--pacing-store",
        "redis://:hunter2@127.0.0.1:6379/zero",
    ]));
    let stderr = text(&out.stderr);
    assert_eq!(code(&out), 13, "{stderr}");
    assert!(stderr.contains("pacing store URL"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    // The variable names a Redis that is not there: the listing still works (paced
    // locally).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = run(specala_cmd(&emu, SPECALA_KEY)
        .env(
            "SUREFOOT_PACING_STORE",
            format!("redis://:hunter2@127.0.0.1:{port}/0"),
        )
        .args(["transcriptions", "list", "--json", "--max", "3"]));
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("hunter2"));
    let items: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(items.len(), 3);
}

#[test]
fn sentinel_and_cluster_store_urls_reach_the_core() {
    let emu = specala();
    // A Sentinel URL without its service name: refused, naming the problem.
    let out = run(specala_cmd(&emu, SPECALA_KEY).args([
        "transcriptions",
        "list",
        "--pacing-store",
        "redis+sentinel://:hunter2@127.0.0.1:26379,127.0.0.1:26380/",
    ]));
    let stderr = text(&out.stderr);
    assert_eq!(code(&out), 13, "{stderr}");
    assert!(stderr.contains("Sentinel service name"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    // A cluster that is not there, with a secret, from the variable: paced locally.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = run(specala_cmd(&emu, SPECALA_KEY)
        .env(
            "SUREFOOT_PACING_STORE",
            format!(
                "redis+cluster://:hunter2@127.0.0.1:{port},127.0.0.1:{port}/?secret=n4me-s3cret"
            ),
        )
        .args(["transcriptions", "list", "--json", "--max", "3"]));
    let stderr = text(&out.stderr);
    assert_eq!(code(&out), 0, "{stderr}");
    assert!(
        !stderr.contains("hunter2") && !stderr.contains("n4me-s3cret"),
        "{stderr}"
    );
    let items: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(items.len(), 3);
}

#[test]
fn ca_file_flag_reaches_the_core() {
    let emu = specala();
    // A file that is not there: invalid_request (13), naming the option and the file.
    let out = run(specala_cmd(&emu, SPECALA_KEY).args([
        "transcriptions",
        "list",
        "--ca-file",
        "/nonexistent/surefoot-ca.pem",
    ]));
    let stderr = text(&out.stderr);
    assert_eq!(code(&out), 13, "{stderr}");
    assert!(
        stderr.contains("`ca_file` file `/nonexistent/surefoot-ca.pem` cannot be read"),
        "{stderr}"
    );
    // A CA made by openssl: taken (this emulator is plain HTTP, which it does not touch).
    let dir = tempfile::tempdir().unwrap();
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"])
        .args([
            "-subj",
            "/CN=surefoot cli test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ])
        .current_dir(dir.path())
        .output()
        .expect("openssl on the PATH (make test installs it)");
    assert!(made.status.success(), "{}", text(&made.stderr));
    let out = run(specala_cmd(&emu, SPECALA_KEY)
        .args([
            "transcriptions",
            "list",
            "--json",
            "--max",
            "2",
            "--ca-file",
        ])
        .arg(dir.path().join("ca.pem")));
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let items: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(items.len(), 2);
}
