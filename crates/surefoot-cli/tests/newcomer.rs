//! What a newcomer trips on, through the `surefoot` binary: each failure printed once (also
//! with `-q`), a refused connection announced while it is retried, usage lines that do not
//! ask for flags the environment gives, the defaults of every surface (the docs' table and
//! `--help` against `surefoot::defaults`), a bulk run that stops on a 402 reporting what the
//! server holds, wording of local I/O failures, and the emulator's hint with a real key.

mod common;
use common::surefoot;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Output, Stdio};

use serde_json::Value;
use surefoot_emulator::{start_blocking, Config};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn lines_with(out: &Output, needle: &str) -> usize {
    text(&out.stderr)
        .lines()
        .filter(|l| l.contains(needle))
        .count()
}

#[test]
fn a_failure_is_printed_once_also_quiet() {
    let emu = start_blocking(Config::pyai()).expect("emulator");
    for quiet in [false, true] {
        let mut cmd = surefoot();
        cmd.env("PYAI_API_KEY", "pyai_sk_unknown_0000")
            .env("PYAI_BASE_URL", emu.url())
            .args(["pyai", "jobs", "list"]);
        if quiet {
            cmd.arg("-q");
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert_eq!(
            stderr.lines().count(),
            1,
            "printed more than once:\n{stderr}"
        );
        assert!(stderr.starts_with("error: the PyAI key"), "{stderr}");
    }
}

#[test]
fn a_refused_connection_is_announced_while_it_is_retried() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = surefoot()
        .env("PYAI_API_KEY", "pyai_sk_full_0001")
        .env("PYAI_BASE_URL", format!("http://127.0.0.1:{port}"))
        .args(["pyai", "jobs", "list", "--max-retries", "2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(11));
    let host = format!("127.0.0.1:{port}");
    let stderr = text(&out.stderr);
    let retries: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("retrying in"))
        .collect();
    assert_eq!(retries.len(), 2, "{stderr}");
    assert!(
        retries
            .iter()
            .all(|l| l.contains(&host) && l.contains("refused")),
        "{stderr}"
    );
    // -q keeps it quiet: only the error.
    let quiet = surefoot()
        .env("PYAI_API_KEY", "pyai_sk_full_0001")
        .env("PYAI_BASE_URL", format!("http://127.0.0.1:{port}"))
        .args(["-q", "pyai", "jobs", "list", "--max-retries", "1"])
        .output()
        .unwrap();
    assert_eq!(lines_with(&quiet, "retrying"), 0);
    assert_eq!(text(&quiet.stderr).lines().count(), 1);
}

#[test]
fn usage_lines_do_not_ask_for_what_the_environment_gives() {
    let out = surefoot()
        .env("PYAI_API_KEY", "pyai_sk_full_0001")
        .env("PYAI_BASE_URL", "http://127.0.0.1:9")
        .args(["pyai", "submit"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    let usage = stderr.lines().find(|l| l.starts_with("Usage:")).unwrap();
    assert!(
        !usage.contains("--api-key") && !usage.contains("--base-url"),
        "{usage}"
    );
}

#[test]
fn help_texts_say_nothing_of_the_brief() {
    for args in [
        &["emulator", "--help"][..],
        &["demo", "--help"],
        &["--help"],
    ] {
        let out = surefoot().args(args).output().unwrap();
        assert!(!text(&out.stdout).contains("brief"), "{args:?}");
    }
}

#[test]
fn an_unreadable_input_is_not_called_writable() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.jsonl");
    let out = surefoot()
        .env("PYAI_API_KEY", "pyai_sk_full_0001")
        .env("PYAI_BASE_URL", "http://127.0.0.1:9")
        .args(["pyai", "submit"])
        .arg(&missing)
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(14), "{stderr}");
    assert!(stderr.contains("cannot read"), "{stderr}");
    assert!(!stderr.contains("writable"), "{stderr}");
}

/// The numbers of docs/guide/defaults.md's table, by row label.
fn docs_default(label: &str) -> String {
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/guide/defaults.md");
    let text = std::fs::read_to_string(page).unwrap();
    let row = text
        .lines()
        .find(|l| l.starts_with(&format!("| {label} |")))
        .unwrap_or_else(|| panic!("no row {label:?}"));
    row.split('|').nth(2).unwrap().trim().to_string()
}

#[test]
fn one_set_of_defaults_in_the_docs_the_core_and_the_cli() {
    use surefoot::defaults as d;
    assert_eq!(
        docs_default("retries per request"),
        d::MAX_RETRIES.to_string()
    );
    assert!(
        docs_default("`create_many` concurrency").starts_with(&format!(
            "{} (0 = default; at most {})",
            d::CREATE_MANY_CONCURRENCY,
            d::BULK_MAX_CONCURRENCY
        ))
    );
    assert!(docs_default("bulk export concurrency").starts_with(&d::EXPORT_CONCURRENCY.to_string()));
    assert!(docs_default("rounds per bulk item").starts_with(&d::BULK_ROUNDS.to_string()));
    assert_eq!(
        docs_default("longest wait accepted"),
        format!("{} s", d::MAX_RETRY_WAIT.as_secs())
    );
    assert_eq!(
        docs_default("per-attempt timeout"),
        format!("{} s", d::TIMEOUT.as_secs())
    );
    assert_eq!(
        docs_default("largest response body"),
        format!("{} MiB", d::MAX_RESPONSE_BYTES >> 20)
    );
    let p = d::retry_policy();
    assert!(
        docs_default("backoff without `Retry-After`").starts_with(&format!(
            "{} s, doubling, capped at {} s",
            p.base.as_secs(),
            p.cap.as_secs()
        ))
    );
    // The CLI's help gives the same numbers.
    let help =
        |args: &[&str]| text(&surefoot().args(args).output().unwrap().stdout).replace('\n', " ");
    let h = help(&["pyai", "submit", "--help"]);
    assert!(
        h.contains(&format!(
            "[default: {}, as on every surface",
            d::CREATE_MANY_CONCURRENCY
        )),
        "{h}"
    );
    assert!(
        h.contains(&format!(
            "[default: {}, as on every surface",
            d::MAX_RETRIES
        )),
        "{h}"
    );
    let h = help(&["specala", "export", "--help"]);
    assert!(
        h.contains(&format!(
            "[default: {}, as on every surface",
            d::EXPORT_CONCURRENCY
        )),
        "{h}"
    );
}

#[test]
fn a_submit_stopped_by_the_budget_reports_the_jobs_the_server_created() {
    let emu = start_blocking(Config::pyai().no_rate_limits()).expect("emulator");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("jobs.jsonl");
    let lines: Vec<String> = (0..5)
        .map(|i| format!("{{\"audio_url\": \"https://example.com/b/{i}.wav\"}}"))
        .collect();
    std::fs::write(&input, lines.join("\n")).unwrap();
    let output = dir.path().join("results.jsonl");
    let out = surefoot()
        .env("PYAI_API_KEY", "pyai_sk_budget_0005")
        .env("PYAI_BASE_URL", emu.url())
        .args(["-q", "pyai", "submit"])
        .arg(&input)
        .arg("--out")
        .arg(&output)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(8), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr).lines().count(),
        1,
        "{}",
        text(&out.stderr)
    );
    let ok = std::fs::read_to_string(&output)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["ok"] == Value::Bool(true))
        .count();
    let created = serde_json::to_value(emu.stats()).unwrap()["jobs_created"]
        .as_u64()
        .unwrap();
    assert_eq!(
        (ok, created),
        (3, 3),
        "every job the server created is recorded"
    );
}

#[test]
fn the_emulator_hint_names_a_real_key() {
    let mut child = surefoot()
        .args(["emulator", "--api", "pyai", "--port", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut hint = String::new();
    stderr.read_line(&mut hint).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(hint.contains("PYAI_API_KEY=pyai_sk_full_0001 "), "{hint}");
    assert!(!hint.contains("README"), "{hint}");
}
