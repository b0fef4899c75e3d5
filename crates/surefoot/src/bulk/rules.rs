//! The rules of bulk input, once for every surface (Rust, C, Python, the CLI): which
//! idempotency key an item gets (its explicit key, else a key derived from its stable id,
//! else a key derived from its content) and what each bulk option accepts (`concurrency`
//! and `rounds`: 0 means the default, above the maximum is refused with one message). The
//! bindings hand raw values here and report what comes back; they decide nothing.

use serde_json::Value;

use super::{key_from_body, key_from_id};
use crate::error::Error;
use crate::pyai::CreateJob;

/// Creations in flight at once when the caller gives none (or 0).
pub const DEFAULT_CONCURRENCY: usize = 16;
/// Bulk export requests in flight at once by default (each of up to 100 ids; they still
/// wait for the limiter, so more rarely helps under Specala's 500/min).
pub const DEFAULT_EXPORT_CONCURRENCY: usize = 4;
/// The most creations (or export requests) in flight that a bulk run accepts.
pub const MAX_CONCURRENCY: usize = 256;
/// Rounds an item (or an export chunk) gets by default when transient trouble outlasts the
/// client's own retries: the first try and two requeues.
pub const DEFAULT_ROUNDS: u32 = 3;
/// The most rounds a bulk run accepts.
pub const MAX_ROUNDS: u32 = 100;

/// `concurrency` as given (any integer a surface can carry): 0 → the default (16), 1 to
/// [`MAX_CONCURRENCY`] as is, anything else refused before anything is sent.
///
/// ```
/// use surefoot::bulk::rules::concurrency;
/// assert_eq!(concurrency(0).unwrap(), 16);
/// assert_eq!(concurrency(8).unwrap(), 8);
/// assert_eq!(concurrency(-1).unwrap_err().code(), "invalid_request");
/// ```
pub fn concurrency(n: i128) -> Result<usize, Error> {
    match usize::try_from(n) {
        Ok(0) => Ok(DEFAULT_CONCURRENCY),
        Ok(c) if c <= MAX_CONCURRENCY => Ok(c),
        _ => Err(Error::invalid_request(format!(
            "`concurrency` must be 0 (the default, {DEFAULT_CONCURRENCY}) or 1 to {MAX_CONCURRENCY} (got {n})"
        ))),
    }
}

/// `concurrency` of a bulk export, by the same rule with its own default: 0 → 4, 1 to
/// [`MAX_CONCURRENCY`] as is, anything else refused.
///
/// ```
/// assert_eq!(surefoot::bulk::rules::export_concurrency(0).unwrap(), 4);
/// assert!(surefoot::bulk::rules::export_concurrency(257).is_err());
/// ```
pub fn export_concurrency(n: i128) -> Result<usize, Error> {
    match n {
        0 => Ok(DEFAULT_EXPORT_CONCURRENCY),
        n => concurrency(n),
    }
}

/// `rounds` as given: 0 → the default (3), 1 to [`MAX_ROUNDS`] as is, anything else refused.
///
/// ```
/// assert_eq!(surefoot::bulk::rules::rounds(0).unwrap(), 3);
/// assert!(surefoot::bulk::rules::rounds(101).is_err());
/// ```
pub fn rounds(n: i128) -> Result<u32, Error> {
    match u32::try_from(n) {
        Ok(0) => Ok(DEFAULT_ROUNDS),
        Ok(r) if r <= MAX_ROUNDS => Ok(r),
        _ => Err(Error::invalid_request(format!(
            "`rounds` must be 0 (the default, {DEFAULT_ROUNDS}) or 1 to {MAX_ROUNDS} (got {n})"
        ))),
    }
}

/// The idempotency key of one bulk item, by one rule: its explicit key as is (1 to 255
/// visible ASCII characters, what servers accept), else [`key_from_id`] of its stable id
/// (non-blank), else [`key_from_body`] of its content. `what` names the item in a refusal
/// (e.g. `item 3`).
///
/// ```
/// use serde_json::json;
/// use surefoot::bulk::rules::item_key;
/// let body = json!({"audio_url": "https://x/a.wav"});
/// assert_eq!(item_key(Some("k-1"), Some("order-7"), &body, "item 0").unwrap(), "k-1");
/// assert_eq!(item_key(None, Some("order-7"), &body, "item 0").unwrap(),
///            surefoot::bulk::key_from_id("order-7"));
/// assert_eq!(item_key(None, None, &body, "item 0").unwrap(), surefoot::bulk::key_from_body(&body));
/// assert!(item_key(Some(""), None, &body, "item 0").is_err());
/// ```
pub fn item_key(
    explicit: Option<&str>,
    stable_id: Option<&str>,
    body: &Value,
    what: &str,
) -> Result<String, Error> {
    if let Some(k) = explicit {
        let visible = k.bytes().all(|b| b.is_ascii_graphic());
        if k.is_empty() || k.len() > 255 || !visible {
            return Err(Error::invalid_request(format!(
                "{what}: `idempotency_key` must be 1 to 255 visible ASCII characters"
            )));
        }
        return Ok(k.to_string());
    }
    if let Some(id) = stable_id {
        if id.trim().is_empty() {
            return Err(Error::invalid_request(format!(
                "{what}: the stable id must not be blank"
            )));
        }
        return Ok(key_from_id(id));
    }
    Ok(key_from_body(body))
}

/// One item of a bulk creation: the job and, optionally, a stable id of its own (an order
/// number, a line id) from which its key is derived when the job has no explicit key.
///
/// ```
/// use surefoot::bulk::Item;
/// use surefoot::pyai::CreateJob;
/// let item = Item::new(CreateJob::new("https://x/a.wav")).stable_id("order-7");
/// assert_eq!(item.key("item 0").unwrap(), surefoot::bulk::key_from_id("order-7"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The job (its `idempotency_key`, when set, wins over the stable id).
    pub job: CreateJob,
    /// The item's stable id, if it has one.
    pub stable_id: Option<String>,
}

impl Item {
    /// An item without a stable id.
    pub fn new(job: CreateJob) -> Item {
        Item {
            job,
            stable_id: None,
        }
    }

    /// Sets the stable id.
    #[must_use]
    pub fn stable_id(mut self, id: impl Into<String>) -> Item {
        self.stable_id = Some(id.into());
        self
    }

    /// The body that is sent for this item.
    pub fn body(&self) -> Value {
        serde_json::to_value(&self.job).unwrap_or(Value::Null)
    }

    /// The item's idempotency key by [`item_key`].
    pub fn key(&self, what: &str) -> Result<String, Error> {
        item_key(
            self.job.idempotency_key.as_deref(),
            self.stable_id.as_deref(),
            &self.body(),
            what,
        )
    }
}

impl From<CreateJob> for Item {
    fn from(job: CreateJob) -> Item {
        Item::new(job)
    }
}
