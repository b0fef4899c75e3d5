//! The command line: every command, flag and environment variable, with examples in each
//! `--help`. Parsing only; the work is in the other modules. The key and base URL variables
//! are read by [`crate::connect`] through the API's profile (not by clap, whose usage
//! lines would then list the flags as given).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit::EXIT_CODES_HELP;

const TOP_EXAMPLES: &str = "\
Examples:
  surefoot demo                                   # both workflows on the embedded emulators
  surefoot specala export --out transcripts/      # every transcription, one file each
  surefoot pyai submit jobs.jsonl --out results.jsonl
  surefoot pyai jobs list --json | jq length
  surefoot emulator --api pyai --port 8080        # a local PyAI to point PYAI_BASE_URL at

Keys come from SPECALA_API_KEY / PYAI_API_KEY (or --api-key); base URLs from
SPECALA_BASE_URL / PYAI_BASE_URL (or --base-url). Keys are never printed.";

const SPECALA_EXAMPLES: &str = "\
Examples:
  export SPECALA_API_KEY=spk_...
  surefoot specala export --out transcripts/ --format txt
  surefoot specala transcriptions list
  SPECALA_BASE_URL=http://127.0.0.1:8080 surefoot specala transcriptions list --json";

const EXPORT_EXAMPLES: &str = "\
Examples:
  surefoot specala export --out transcripts/
  surefoot specala export --out transcripts/ --format txt --quiet
  # interrupted? run the same command again: files already there are skipped
  surefoot specala export --out transcripts/

Lists every transcription of the key's workspace, then fetches them with bulk export
(one request per 100 transcriptions, never one per transcription), paced under the
key's limit (500 requests/min on data endpoints unless --rate-limit says otherwise).
Each document is written to DIR/<id>.<format> through a temporary file and a rename, so
a file is either complete or absent.";

const TRANSCRIPTIONS_LIST_EXAMPLES: &str = "\
Examples:
  surefoot specala transcriptions list
  surefoot specala transcriptions list --max 20
  surefoot specala transcriptions list --json > transcriptions.json";

const PYAI_EXAMPLES: &str = "\
Examples:
  export PYAI_API_KEY=pyai_sk_...
  surefoot pyai submit jobs.jsonl --out results.jsonl --concurrency 16
  surefoot pyai jobs list --max 50";

const SUBMIT_EXAMPLES: &str = "\
Examples:
  surefoot pyai submit jobs.jsonl
  surefoot pyai submit jobs.jsonl --out results.jsonl --concurrency 16 --rate-limit '50/s burst 10'
  # crashed, killed or Ctrl-C? run the same command again: no job is created twice

JOBS.jsonl holds one JSON object per line:
  {\"audio_url\": \"https://example.com/a.wav\", \"language\": \"en\", \"metadata\": {\"order\": 7}}
  {\"id\": \"order-8\", \"audio_url\": \"https://example.com/b.wav\"}
Each line's idempotency key is derived from its `id` when it has one, else from its
content, so re-running the file replays existing jobs instead of creating duplicates.
Results are appended to RESULTS.jsonl as they arrive, one line each:
  {\"line\": 1, \"idempotency_key\": \"sf-...\", \"ok\": true, \"job\": {...}}
  {\"line\": 2, \"idempotency_key\": \"sf-...\", \"ok\": false, \"error\": {\"code\": ..., ...}}
Lines already ok in RESULTS.jsonl are skipped. A line that fails for good (bad URL,
conflict) is reported with its code and the run goes on; a problem with the key itself
(revoked, no scope, no credit) stops the run.";

const JOBS_LIST_EXAMPLES: &str = "\
Examples:
  surefoot pyai jobs list
  surefoot pyai jobs list --max 10
  surefoot pyai jobs list --json | jq '.[] | select(.status == \"failed\")'";

const EMULATOR_EXAMPLES: &str = "\
Examples:
  surefoot emulator --api pyai --port 8080
  # in another shell:
  PYAI_BASE_URL=http://127.0.0.1:8080 PYAI_API_KEY=pyai_sk_full_0001 surefoot pyai jobs list

Prints the URL on the first line, then the emulator's keys, and serves until Ctrl-C.";

const DEMO_EXAMPLES: &str = "\
Examples:
  surefoot demo
  surefoot demo --transcriptions 500 --jobs 300

Starts the Specala and PyAI emulators in this process with scaled-down limits and some
trouble injected (503s, connections dropped after the server processed the request, a
429 storm), exports every transcription into a temporary directory and submits a
generated JSONL file of jobs (interrupted halfway and re-run), through the same code as
the real commands, then checks: zero failed items, zero duplicate jobs. Exits non-zero
if either check fails.";

/// surefoot: bulk work against rate-limited HTTP APIs, done right when the server pushes
/// back (retries that honour Retry-After, idempotency keys, pagination, client-side pacing).
#[derive(Parser, Debug)]
#[command(
    name = "surefoot",
    version,
    propagate_version = true,
    after_help = TOP_EXAMPLES,
    after_long_help = format!("{TOP_EXAMPLES}\n\n{EXIT_CODES_HELP}"),
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// No progress bar and no summary (errors are still printed on stderr).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Log on stderr: -v warnings (each retry), -vv debug. RUST_LOG overrides.
    #[arg(long, short, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Specala: export every transcription, list transcriptions.
    #[command(after_help = SPECALA_EXAMPLES)]
    Specala(SpecalaArgs),
    /// PyAI: submit a JSONL file of transcription jobs exactly once, list jobs.
    #[command(after_help = PYAI_EXAMPLES)]
    Pyai(PyaiArgs),
    /// Serve the Specala or PyAI emulator on loopback until Ctrl-C.
    #[command(after_help = EMULATOR_EXAMPLES)]
    Emulator(EmulatorArgs),
    /// Both workflows on the embedded emulators, with trouble injected; checks the outcome.
    #[command(after_help = DEMO_EXAMPLES)]
    Demo(DemoArgs),
}

#[derive(Args, Debug)]
pub struct SpecalaArgs {
    #[command(flatten)]
    pub conn: SpecalaConnection,
    #[command(subcommand)]
    pub command: SpecalaCommand,
}

/// Specala's connection flags (the key and URL read their own environment variables).
#[derive(Args, Debug, Clone)]
pub struct SpecalaConnection {
    /// Specala API key [default: $SPECALA_API_KEY] (prefer the variable: flags show up in process
    /// lists).
    #[arg(long, global = true, value_name = "KEY")]
    pub api_key: Option<String>,
    /// Specala base URL [default: $SPECALA_BASE_URL, else https://api.specala.ai].
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// The key's data-endpoint limit, e.g. 500/min (default: the documented 500/min).
    #[arg(long, global = true, value_name = "RATE")]
    pub rate_limit: Option<String>,
    /// Retries of one request after 429s, 5xx, dropped connections and timeouts
    /// [default: 3, as on every surface; a bulk run also requeues an item's transient
    /// trouble for two more rounds].
    #[arg(long, global = true, value_name = "N")]
    pub max_retries: Option<u32>,
    /// Share the key's budget with every process and host using the same store:
    /// redis://[user:password@]host[:port][/db] (rediss:// for TLS,
    /// redis+sentinel://s1:port,s2:port/service, redis+cluster://h1:port,h2:port/).
    /// Without it the variable
    /// SUREFOOT_PACING_STORE is read; without either, pacing stays in this process.
    #[arg(long, global = true, value_name = "URL")]
    pub pacing_store: Option<String>,
    /// A PEM file of the certificate authorities HTTPS trusts, instead of the Mozilla roots
    /// surefoot carries (a private CA, or a TLS-inspecting proxy's).
    #[arg(long, global = true, value_name = "PEM")]
    pub ca_file: Option<std::path::PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum SpecalaCommand {
    /// Export every transcription into DIR, one file each, skipping files already there.
    #[command(after_help = EXPORT_EXAMPLES)]
    Export(ExportArgs),
    /// Transcriptions of the key's workspace.
    #[command(subcommand, after_help = TRANSCRIPTIONS_LIST_EXAMPLES)]
    Transcriptions(TranscriptionsCommand),
}

#[derive(Args, Debug, Clone)]
pub struct ExportArgs {
    /// Directory to write DIR/<id>.<format> into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Document format.
    #[arg(long, value_enum, default_value_t = FormatArg::Md)]
    pub format: FormatArg,
    /// Bulk export requests in flight at once, each of up to 100 ids (each still waits for
    /// the limiter) [default: 4, as on every surface; 0 means the default; at most 256].
    #[arg(long, value_name = "N")]
    pub concurrency: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Markdown (.md)
    Md,
    /// Plain text (.txt)
    Txt,
}

impl FormatArg {
    pub fn to_core(self) -> surefoot::specala::Format {
        match self {
            FormatArg::Md => surefoot::specala::Format::Md,
            FormatArg::Txt => surefoot::specala::Format::Txt,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum TranscriptionsCommand {
    /// List transcriptions, newest first (a table, or JSON with --json).
    #[command(after_help = TRANSCRIPTIONS_LIST_EXAMPLES)]
    List(ListArgs),
}

#[derive(Args, Debug, Clone)]
pub struct ListArgs {
    /// Print a JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Stop after N items (default: all).
    #[arg(long, value_name = "N")]
    pub max: Option<usize>,
}

#[derive(Args, Debug)]
pub struct PyaiArgs {
    #[command(flatten)]
    pub conn: PyaiConnection,
    #[command(subcommand)]
    pub command: PyaiCommand,
}

/// PyAI's connection flags.
#[derive(Args, Debug, Clone)]
pub struct PyaiConnection {
    /// PyAI API key [default: $PYAI_API_KEY] (prefer the variable: flags show up in process
    /// lists).
    #[arg(long, global = true, value_name = "KEY")]
    pub api_key: Option<String>,
    /// PyAI base URL [default: $PYAI_BASE_URL, else https://api.pyai.com].
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// The key's rate limit, e.g. '50/s burst 10' (default: learnt from the server's 429s).
    #[arg(long, global = true, value_name = "RATE")]
    pub rate_limit: Option<String>,
    /// Retries of one request after 429s, 5xx, dropped connections and timeouts
    /// [default: 3, as on every surface; a bulk run also requeues an item's transient
    /// trouble for two more rounds].
    #[arg(long, global = true, value_name = "N")]
    pub max_retries: Option<u32>,
    /// Share the key's budget with every process and host using the same store:
    /// redis://[user:password@]host[:port][/db] (rediss:// for TLS,
    /// redis+sentinel://s1:port,s2:port/service, redis+cluster://h1:port,h2:port/).
    /// Without it the variable
    /// SUREFOOT_PACING_STORE is read; without either, pacing stays in this process.
    #[arg(long, global = true, value_name = "URL")]
    pub pacing_store: Option<String>,
    /// A PEM file of the certificate authorities HTTPS trusts, instead of the Mozilla roots
    /// surefoot carries (a private CA, or a TLS-inspecting proxy's).
    #[arg(long, global = true, value_name = "PEM")]
    pub ca_file: Option<std::path::PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum PyaiCommand {
    /// Create one transcription job per line of JOBS.jsonl, exactly once, even across re-runs.
    #[command(after_help = SUBMIT_EXAMPLES)]
    Submit(SubmitArgs),
    /// Transcription jobs.
    #[command(subcommand, after_help = JOBS_LIST_EXAMPLES)]
    Jobs(JobsCommand),
}

#[derive(Args, Debug, Clone)]
pub struct SubmitArgs {
    /// The jobs, one JSON object per line.
    #[arg(value_name = "JOBS.jsonl")]
    pub jobs: PathBuf,
    /// Where results are appended [default: JOBS.results.jsonl beside the input].
    #[arg(long, value_name = "RESULTS.jsonl")]
    pub out: Option<PathBuf>,
    /// Job creations in flight at once (each still waits for the limiter) [default: 16, as
    /// on every surface; 0 means the default; at most 256].
    #[arg(long, value_name = "N")]
    pub concurrency: Option<u64>,
}

#[derive(Subcommand, Debug)]
pub enum JobsCommand {
    /// List jobs, newest first (a table, or JSON with --json).
    #[command(after_help = JOBS_LIST_EXAMPLES)]
    List(ListArgs),
}

#[derive(Args, Debug)]
pub struct EmulatorArgs {
    /// Which API to serve.
    #[arg(long, value_enum)]
    pub api: ApiArg,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Answer in the minimal form (only ids sure, Specala items id and title, PyAI list items
    /// id and status, Unix-second timestamps, unknown members) instead of the full documented form.
    #[arg(long, env = "SUREFOOT_EMULATOR_MINIMAL", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true", default_value = "false")]
    pub minimal: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ApiArg {
    Specala,
    Pyai,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Transcriptions to export.
    #[arg(long, value_name = "N", default_value_t = 3000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub transcriptions: u32,
    /// Jobs to submit.
    #[arg(long, value_name = "N", default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub jobs: u32,
    /// Run the emulators in their minimal answer form (only ids sure, Specala items id and
    /// title, PyAI list items id and status, Unix-second timestamps, unknown members).
    #[arg(long, env = "SUREFOOT_EMULATOR_MINIMAL", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true", default_value = "false")]
    pub minimal: bool,
}
