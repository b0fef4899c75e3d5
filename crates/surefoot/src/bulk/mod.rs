//! Bulk work in the core, so every language gets it: [`create_many`] submits many PyAI jobs
//! exactly once (a stable idempotency key per item, bounded concurrency on the client's
//! shared pacing, transient failures requeued for later rounds, results in order or as
//! they complete, an interruption that leaves every item done or safe to resubmit), and
//! [`export`] writes every Specala transcription into a caller's sink in bulk requests of
//! at most 100 ids, with a directory sink that writes files atomically and keeps a journal
//! so that a re-run fetches only what is missing.

pub mod create_many;
pub mod export;
mod outcome;
pub mod rules;
mod run;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::Notify;
use uuid::Uuid;

pub use create_many::{CreateMany, JobOutcome, JobResult, Progress, Summary};
pub use export::{
    file_name, write_atomic, DirSink, ExportAll, ExportError, ExportProgress, ExportReport,
    ExportSink,
};
pub use rules::{
    Item, DEFAULT_CONCURRENCY, DEFAULT_EXPORT_CONCURRENCY, DEFAULT_ROUNDS, MAX_CONCURRENCY,
};

/// Namespace of the UUID v5 idempotency keys (a fixed, random UUID). Changing it would
/// change every derived key, so it never changes.
const KEY_NAMESPACE: Uuid = Uuid::from_u128(0x6b1f_3c2e_9a4d_4e71_b0c5_2d8f_7e19_a3c4);

/// The idempotency key of an item that has a stable id of its own (a line's `id`, an order
/// number): `sf-<UUID v5 of "id:" + id>`, the same in every run, process and language.
///
/// ```
/// let k = surefoot::bulk::key_from_id("order-7");
/// assert_eq!(k, surefoot::bulk::key_from_id("order-7"));
/// assert!(k.starts_with("sf-") && k.len() == 39);
/// ```
pub fn key_from_id(id: &str) -> String {
    format!(
        "sf-{}",
        Uuid::new_v5(&KEY_NAMESPACE, format!("id:{id}").as_bytes())
    )
}

/// The idempotency key derived from a job body's content: `sf-<UUID v5 of "body:" + the
/// canonical JSON>` (object keys sorted, no whitespace), so the same body always gets the
/// same key whatever the order of its members.
///
/// ```
/// use serde_json::json;
/// use surefoot::bulk::key_from_body;
/// let a = key_from_body(&json!({"audio_url": "https://x/a.wav", "metadata": {"b": 1, "a": 2}}));
/// let b = key_from_body(&json!({"metadata": {"a": 2, "b": 1}, "audio_url": "https://x/a.wav"}));
/// assert_eq!(a, b);
/// ```
pub fn key_from_body(body: &Value) -> String {
    let mut name = String::from("body:");
    canonical(body, &mut name);
    format!("sf-{}", Uuid::new_v5(&KEY_NAMESPACE, name.as_bytes()))
}

/// The key [`create_many`] uses for a job without a stable id: its own `idempotency_key`
/// when it has one, else [`key_from_body`] of what would be sent (the rule is
/// [`rules::item_key`]).
///
/// ```
/// use surefoot::pyai::CreateJob;
/// let own = CreateJob::new("https://x/a.wav").idempotency_key("line-1");
/// assert_eq!(surefoot::bulk::key_for(&own), "line-1");
/// let derived = surefoot::bulk::key_for(&CreateJob::new("https://x/a.wav"));
/// assert_eq!(derived, surefoot::bulk::key_for(&CreateJob::new("https://x/a.wav")));
/// ```
pub fn key_for(job: &crate::pyai::CreateJob) -> String {
    match &job.idempotency_key {
        Some(k) => k.clone(),
        None => key_from_body(&serde_json::to_value(job).unwrap_or(Value::Null)),
    }
}

/// JSON with object keys sorted and no whitespace.
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical(&m[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// A cancel signal for a bulk run, cheap to clone and to pass to another thread: once
/// [`cancel`](CancelToken::cancel)led, the run starts nothing new, drops what is in flight
/// and reports every unfinished item as not done (safe to resubmit with its key).
///
/// ```
/// let token = surefoot::bulk::CancelToken::new();
/// let other = token.clone();
/// other.cancel();
/// assert!(token.is_cancelled());
/// ```
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<CancelInner>);

#[derive(Debug, Default)]
struct CancelInner {
    cancelled: AtomicBool,
    notify: Notify,
}

impl CancelToken {
    /// A token not yet cancelled.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Cancels every run holding this token (or a clone of it).
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    /// Whether [`cancel`](CancelToken::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    /// Resolves once the token is cancelled.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}
