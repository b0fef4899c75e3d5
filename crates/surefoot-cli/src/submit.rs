//! `surefoot pyai submit`: one transcription job per line of a JSONL file, exactly once,
//! by the core's [`create_many`](surefoot::pyai::Jobs::create_many).
//!
//! Each line's idempotency key is the core's: derived from its `id` field
//! ([`surefoot::bulk::key_from_id`]), or else from its canonical content
//! ([`surefoot::bulk::key_from_body`]), so the same line always carries the same key: a
//! re-run after a crash, `kill -9` or Ctrl-C gets the server's replay of the job it already
//! created instead of a duplicate. The core bounds the concurrency and requeues transient
//! trouble; this module parses lines, groups those sharing a key, and keeps the files. Results are appended to RESULTS.jsonl as they arrive, one
//! complete line per write; lines already `ok` there are skipped on a re-run. A line that
//! fails for good is reported with its code and the run goes on; a problem with the key
//! itself stops the run.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde_json::{json, Map, Value};
use surefoot::bulk::{self, CancelToken, JobOutcome};
use surefoot::pyai::{Client, CreateJob};
use surefoot::Error;

use crate::exit::{explain, verdict, CliError, Context, Verdict};
use crate::progress::{Progress, Ui};

/// Fields a line may have.
const FIELDS: [&str; 4] = ["id", "audio_url", "language", "metadata"];

/// What to submit, and where results go.
#[derive(Debug, Clone)]
pub struct Options {
    pub input: PathBuf,
    pub output: PathBuf,
    pub concurrency: usize,
}

/// The default results file: `jobs.jsonl` → `jobs.results.jsonl`.
pub fn default_output(input: &Path) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "jobs".into());
    input.with_file_name(format!("{stem}.results.jsonl"))
}

/// One line of the input, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct JobLine {
    /// 1-based line number.
    pub number: usize,
    /// The line's `id`, if it has one.
    pub id: Option<String>,
    /// The idempotency key derived from it.
    pub key: String,
    /// The job to create (without the key).
    pub body: Map<String, Value>,
}

/// Parses one non-blank line; the error names the problem.
pub fn parse_line(number: usize, text: &str) -> Result<JobLine, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON ({e})"))?;
    let Value::Object(obj) = value else {
        return Err("not a JSON object".into());
    };
    if let Some(unknown) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(format!(
            "unknown field `{unknown}` (allowed: id, audio_url, language, metadata)"
        ));
    }
    let id = match obj.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => return Err("`id` must be a non-empty string or a number".into()),
    };
    let mut body = Map::new();
    match obj.get("audio_url") {
        Some(Value::String(u)) if !u.trim().is_empty() => {
            body.insert("audio_url".into(), json!(u));
        }
        None | Some(Value::Null) => return Err("`audio_url` is missing".into()),
        Some(_) => return Err("`audio_url` must be a non-empty string".into()),
    }
    match obj.get("language") {
        None | Some(Value::Null) => {}
        Some(Value::String(l)) => {
            body.insert("language".into(), json!(l));
        }
        Some(_) => return Err("`language` must be a string such as \"en\"".into()),
    }
    match obj.get("metadata") {
        None | Some(Value::Null) => {}
        Some(m @ Value::Object(_)) => {
            body.insert("metadata".into(), m.clone());
        }
        Some(_) => return Err("`metadata` must be a JSON object".into()),
    }
    let key = idempotency_key(id.as_deref(), &body);
    Ok(JobLine {
        number,
        id,
        key,
        body,
    })
}

/// The idempotency key of a line: the core's key of its `id` when it has one, else of its
/// canonical content.
pub fn idempotency_key(id: Option<&str>, body: &Map<String, Value>) -> String {
    match id {
        Some(id) => bulk::key_from_id(id),
        None => bulk::key_from_body(&Value::Object(body.clone())),
    }
}

/// What a submit did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub input: PathBuf,
    pub output: PathBuf,
    /// Non-blank lines in the input.
    pub lines: usize,
    /// Lines whose job this run created or found (replayed).
    pub done: usize,
    /// Lines skipped because RESULTS already had them ok.
    pub already_done: usize,
    /// Lines with the same idempotency key as an earlier line (one job for all of them).
    pub repeated: usize,
    /// Lines that failed for good: (line, code).
    pub failed: Vec<(usize, String)>,
    /// Lines that are not a valid job: (line, problem).
    pub malformed: Vec<(usize, String)>,
    /// Lines put back in the queue for a later round after transient trouble.
    pub requeued: usize,
    /// Job creations sent this run (one per distinct key not already done).
    pub submitted: usize,
    /// Of those, how many got their final answer (ok or failed for good) before the end.
    pub answered: usize,
    /// Whether the run was interrupted before the end.
    pub interrupted: bool,
    /// Client counters over the run.
    pub metrics: surefoot::Metrics,
    pub wall: Duration,
    /// The limit the run was paced at (configured or learnt), if known.
    pub limit: Option<surefoot::RateLimit>,
}

impl Report {
    /// Whether every line is accounted for as done.
    pub fn clean(&self) -> bool {
        self.failed.is_empty() && self.malformed.is_empty() && !self.interrupted
    }
}

/// Keys of the lines RESULTS already holds as `ok`.
fn done_keys(path: &Path) -> std::io::Result<HashSet<String>> {
    let text = match fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashSet::new()),
        Err(e) => return Err(e),
    };
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["ok"] == Value::Bool(true))
        .filter_map(|v| v["idempotency_key"].as_str().map(str::to_string))
        .collect())
}

/// Opens RESULTS for appending, first ending a line a killed run may have left cut.
fn open_results(path: &Path) -> std::io::Result<File> {
    let mut f = OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(path)?;
    let len = f.metadata()?.len();
    if len > 0 {
        f.seek(SeekFrom::Start(len - 1))?;
        let mut last = [0u8; 1];
        f.read_exact(&mut last)?;
        if last[0] != b'\n' {
            f.write_all(b"\n")?;
        }
    }
    Ok(f)
}

/// Appends one record as one complete line, in one write.
fn append(f: &mut File, record: &Value) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(record).expect("a JSON value serialises");
    line.push(b'\n');
    f.write_all(&line)?;
    f.flush()
}

fn error_json(e: &Error) -> Value {
    json!({
        "code": e.code(),
        "kind": e.kind().as_str(),
        "status": e.status(),
        "message": e.message(),
        "request_id": e.request_id(),
    })
}

/// The job of one line, with its key.
fn params(line: &JobLine) -> CreateJob {
    let mut params = CreateJob::new(line.body["audio_url"].as_str().unwrap_or_default())
        .idempotency_key(line.key.clone());
    if let Some(l) = line.body.get("language").and_then(Value::as_str) {
        params = params.language(l);
    }
    if let Some(m) = line.body.get("metadata") {
        params = params.metadata(m.clone());
    }
    params
}

/// The lines to submit: one group of lines per distinct key, in input order.
struct Plan {
    groups: HashMap<String, Vec<JobLine>>,
    order: Vec<String>,
}

/// Reads and parses every line; lines already done are counted, malformed lines and lines
/// reusing an `id` with other content are reported (once) and recorded as failed.
fn plan(
    text: &str,
    done: &HashSet<String>,
    out: &mut File,
    report: &mut Report,
) -> std::io::Result<Plan> {
    let mut plan = Plan {
        groups: HashMap::new(),
        order: Vec::new(),
    };
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        report.lines += 1;
        let line = match parse_line(number, raw) {
            Ok(line) => line,
            Err(problem) => {
                eprintln!("line {number}: malformed: {problem} — fix the line and re-run (the other lines go on)");
                append(
                    out,
                    &json!({"line": number, "ok": false,
                            "error": {"code": "malformed_line", "message": problem}}),
                )?;
                report.malformed.push((number, problem));
                continue;
            }
        };
        if done.contains(&line.key) {
            report.already_done += 1;
            continue;
        }
        let group = plan.groups.entry(line.key.clone()).or_default();
        match group.first() {
            None => plan.order.push(line.key.clone()),
            Some(first) if first.body == line.body => report.repeated += 1,
            Some(first) => {
                let problem = format!(
                    "`id` {:?} is already used by line {} with different content",
                    line.id.as_deref().unwrap_or_default(),
                    first.number
                );
                eprintln!("line {number}: malformed: {problem} — give this line its own id (the other lines go on)");
                append(
                    out,
                    &json!({"line": number, "ok": false, "id": line.id,
                            "error": {"code": "duplicate_id", "message": problem}}),
                )?;
                report.malformed.push((number, problem));
                continue;
            }
        }
        group.push(line);
    }
    Ok(plan)
}

/// Records each item's result in RESULTS (one line per input line) and the report; reports
/// each failure once, above the progress bar.
struct Recorder<'a> {
    plan: &'a Plan,
    ctx: &'a Context,
    out: &'a mut File,
    bar: &'a Progress,
    report: &'a mut Report,
    write_error: Option<std::io::Error>,
}

impl Recorder<'_> {
    fn record(&mut self, r: bulk::JobResult) -> std::io::Result<()> {
        let lines = &self.plan.groups[&self.plan.order[r.index]];
        let key = &r.idempotency_key;
        let line_record = |line: &JobLine, ok: bool| {
            let mut record = json!({"line": line.number, "idempotency_key": key, "ok": ok});
            if let Some(id) = &line.id {
                record["id"] = json!(id);
            }
            record
        };
        match &r.outcome {
            JobOutcome::Created(job) => {
                for (i, line) in lines.iter().enumerate() {
                    let mut record = line_record(line, true);
                    record["job"] = json!(job);
                    if i > 0 {
                        record["same_as_line"] = json!(lines[0].number);
                    }
                    append(self.out, &record)?;
                }
                self.report.done += lines.len();
            }
            // The error that stops the run is reported once, as the run's error.
            JobOutcome::Failed(e) if verdict(e) == Verdict::StopRun => {}
            JobOutcome::Failed(e) => {
                let (_, fix) = explain(e, self.ctx);
                for line in lines {
                    let mut record = line_record(line, false);
                    record["error"] = error_json(e);
                    append(self.out, &record)?;
                    self.bar
                        .report(&format!("line {}: failed: {e} — fix: {fix}", line.number));
                    self.report.failed.push((line.number, e.code().to_string()));
                }
            }
            // Interrupted or stopped first: a re-run resubmits it with the same key.
            JobOutcome::NotDone { .. } => return Ok(()),
        }
        self.report.answered += 1;
        self.bar.inc(1);
        Ok(())
    }
}

/// Reads JOBS and the keys RESULTS already holds as done, opens RESULTS for appending, and
/// plans the lines.
fn open_and_plan(opts: &Options, report: &mut Report) -> Result<(File, Plan), CliError> {
    let text = fs::read(&opts.input)
        .map_err(|e| CliError::io(format!("cannot read {}", opts.input.display()), &e))?;
    let text = String::from_utf8_lossy(&text);
    let done = done_keys(&opts.output)
        .map_err(|e| CliError::io(format!("cannot read {}", opts.output.display()), &e))?;
    let mut out = open_results(&opts.output)
        .map_err(|e| CliError::io(format!("cannot open {}", opts.output.display()), &e))?;
    let plan = plan(&text, &done, &mut out, report)
        .map_err(|e| CliError::io(format!("cannot write {}", opts.output.display()), &e))?;
    Ok((out, plan))
}

/// Runs the submit until the end, a run-stopping error, or `interrupt` resolving.
pub async fn run(
    client: &Client,
    ctx: &Context,
    opts: &Options,
    ui: Ui,
    interrupt: BoxFuture<'static, ()>,
) -> Result<Report, CliError> {
    let started = Instant::now();
    let generic = client.client();
    let before = generic.metrics();
    let mut report = Report {
        input: opts.input.clone(),
        output: opts.output.clone(),
        ..Report::default()
    };
    let (mut out, plan) = open_and_plan(opts, &mut report)?;
    let io_err =
        |e: std::io::Error| CliError::io(format!("cannot write {}", opts.output.display()), &e);

    // One creation per distinct key, by the core: `concurrency` at a time, transient
    // trouble beyond the client's retries requeued for a later round with the same key,
    // results recorded as they complete. A local write failure cancels the run.
    report.submitted = plan.order.len();
    let bar = Progress::bar(ui, plan.order.len() as u64, "submit", generic);
    let cancel = CancelToken::new();
    let jobs: Vec<CreateJob> = plan
        .order
        .iter()
        .map(|k| params(&plan.groups[k][0]))
        .collect();
    let mut recorder = Recorder {
        plan: &plan,
        ctx,
        out: &mut out,
        bar: &bar,
        report: &mut report,
        write_error: None,
    };
    let summary = client
        .jobs()
        .create_many(jobs)
        .concurrency(opts.concurrency)
        .ordered(false)
        .stop_when(|e| verdict(e) == Verdict::StopRun)
        .cancel_token(cancel.clone())
        .interrupt_on(interrupt)
        .for_each(|r| {
            if recorder.write_error.is_none() {
                if let Err(e) = recorder.record(r) {
                    recorder.write_error = Some(e);
                    cancel.cancel();
                }
            }
        })
        .await;
    if let Some(e) = recorder.write_error.take() {
        bar.finish();
        return Err(io_err(e));
    }
    report.requeued = summary.progress.requeued;
    report.interrupted = summary.interrupted && summary.stopped.is_none();
    bar.finish();
    report.failed.sort();
    report.metrics = generic.metrics().since(&before);
    report.wall = started.elapsed();
    report.limit = generic.rate_limit_for("/v1/transcription/jobs");
    match summary.stopped.as_ref().map(|e| CliError::from_api(e, ctx)) {
        Some(mut e) => {
            e.fix = format!(
                "{}; {} line(s) were done before it, a re-run skips them",
                e.fix,
                report.done + report.already_done
            );
            Err(e)
        }
        None => Ok(report),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_deterministic_and_follow_id_or_content() {
        let a = parse_line(
            1,
            r#"{"audio_url": "https://x/a.wav", "metadata": {"b": 1, "a": 2}}"#,
        )
        .unwrap();
        let b = parse_line(
            9,
            r#"{"metadata": {"a": 2, "b": 1}, "audio_url": "https://x/a.wav"}"#,
        )
        .unwrap();
        assert_eq!(a.key, b.key, "same content, any key order, same key");
        assert!(a.key.starts_with("sf-") && a.key.len() == 39);
        let c = parse_line(1, r#"{"audio_url": "https://x/c.wav"}"#).unwrap();
        assert_ne!(a.key, c.key);
        let d = parse_line(1, r#"{"id": "order-7", "audio_url": "https://x/a.wav"}"#).unwrap();
        let e = parse_line(
            2,
            r#"{"id": "order-7", "audio_url": "https://x/changed.wav"}"#,
        )
        .unwrap();
        assert_eq!(d.key, e.key, "the id decides when there is one");
        assert_eq!(d.id.as_deref(), Some("order-7"));
        assert!(!d.body.contains_key("id"), "the id is not sent");
    }

    #[test]
    fn malformed_lines_name_the_problem() {
        assert!(parse_line(1, "{")
            .unwrap_err()
            .starts_with("not valid JSON"));
        assert_eq!(parse_line(1, "[1]").unwrap_err(), "not a JSON object");
        assert_eq!(
            parse_line(1, r#"{"language": "en"}"#).unwrap_err(),
            "`audio_url` is missing"
        );
        assert!(parse_line(1, r#"{"audio_url": "u", "lang": "en"}"#)
            .unwrap_err()
            .contains("unknown field `lang`"));
        assert!(parse_line(1, r#"{"audio_url": "u", "metadata": 3}"#).is_err());
    }

    #[test]
    fn a_cut_last_line_is_ended_before_appending() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.jsonl");
        fs::write(
            &p,
            "{\"ok\": true, \"idempotency_key\": \"k1\"}\n{\"ok\": tr",
        )
        .unwrap();
        let mut f = open_results(&p).unwrap();
        append(&mut f, &json!({"ok": true, "idempotency_key": "k2"})).unwrap();
        let keys = done_keys(&p).unwrap();
        assert_eq!(keys, ["k1", "k2"].iter().map(|s| s.to_string()).collect());
        assert_eq!(
            default_output(Path::new("/a/jobs.jsonl")),
            Path::new("/a/jobs.results.jsonl")
        );
    }
}
