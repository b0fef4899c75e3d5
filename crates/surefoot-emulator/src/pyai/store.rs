//! PyAI's mutable data, kept in the emulator's world behind its lock: jobs per organisation
//! in creation order (with an id index for lookups and cursors), open realtime sessions and
//! their count per key, jobs created per key (for budgets), and what each idempotency key
//! was first used with. A job's status is derived from its age on the configured timeline.

use std::collections::HashMap;
use std::time::Instant;

use axum::http::StatusCode;
use bytes::Bytes;
use serde_json::{json, Value};

use crate::clock::now_rfc3339;
use crate::config::Config;
use crate::keys::KeyConfig;
use crate::minimal;

/// A job as stored.
pub(crate) struct Job {
    id: String,
    audio_url: String,
    language: Value,
    metadata: Value,
    created_at: String,
    created: Instant,
}

/// The validated fields of a job creation.
pub(crate) struct NewJob {
    pub(crate) audio_url: String,
    pub(crate) language: Value,
    pub(crate) metadata: Value,
}

/// An organisation's jobs in creation order.
#[derive(Default)]
pub(crate) struct OrgJobs {
    jobs: Vec<Job>,
    index: HashMap<String, usize>,
}

struct Session {
    key_id: String,
}

/// What an idempotency key was first used with.
pub(crate) struct Stored {
    body: Fingerprint,
    pub(crate) status: StatusCode,
    pub(crate) response: Bytes,
}

impl Stored {
    /// Whether `body` is the request body this key was first used with.
    pub(crate) fn same_body(&self, body: &Bytes) -> bool {
        self.body == Fingerprint::of(body)
    }
}

/// A request body for comparison: canonical JSON if it parses, raw bytes otherwise.
#[derive(PartialEq)]
enum Fingerprint {
    Json(Value),
    Raw(Bytes),
}

impl Fingerprint {
    fn of(body: &Bytes) -> Fingerprint {
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => Fingerprint::Json(v),
            Err(_) => Fingerprint::Raw(body.clone()),
        }
    }
}

/// PyAI's mutable data.
#[derive(Default)]
pub(crate) struct PyaiData {
    next_job: u64,
    next_session: u64,
    orgs: HashMap<String, OrgJobs>,
    sessions: HashMap<String, Session>,
    open_per_key: HashMap<String, u32>,
    jobs_per_key: HashMap<String, u32>,
    idempotency: HashMap<(String, String), Stored>,
}

impl PyaiData {
    /// What idempotency key `ik` of key `key_id` was first used with.
    pub(crate) fn stored(&self, key_id: &str, ik: &str) -> Option<&Stored> {
        self.idempotency.get(&(key_id.to_string(), ik.to_string()))
    }

    /// Remembers the 201 answer `response` to `body` under idempotency key `ik`.
    pub(crate) fn remember(&mut self, key_id: &str, ik: String, body: &Bytes, response: Bytes) {
        let stored = Stored {
            body: Fingerprint::of(body),
            status: StatusCode::CREATED,
            response,
        };
        self.idempotency.insert((key_id.to_string(), ik), stored);
    }

    /// Jobs created with key `key_id` so far.
    pub(crate) fn jobs_of(&self, key_id: &str) -> u32 {
        self.jobs_per_key.get(key_id).copied().unwrap_or(0)
    }

    /// Creates a job in the key's organisation; the body of the 201 answer.
    pub(crate) fn create_job(&mut self, config: &Config, key: &KeyConfig, new: NewJob) -> Bytes {
        self.next_job += 1;
        let job = Job {
            id: format!("job_{:08}", self.next_job),
            audio_url: new.audio_url,
            language: new.language,
            metadata: new.metadata,
            created_at: now_rfc3339(),
            created: Instant::now(),
        };
        let body = Bytes::from(job.to_json(config, job.created).to_string());
        *self.jobs_per_key.entry(key.id.clone()).or_default() += 1;
        let org = self.orgs.entry(key.workspace.clone()).or_default();
        org.index.insert(job.id.clone(), org.jobs.len());
        org.jobs.push(job);
        body
    }

    /// The jobs of organisation `org`, if it created any.
    pub(crate) fn org(&self, org: &str) -> Option<&OrgJobs> {
        self.orgs.get(org)
    }

    /// Realtime sessions key `key_id` has open.
    pub(crate) fn open_sessions(&self, key_id: &str) -> u32 {
        self.open_per_key.get(key_id).copied().unwrap_or(0)
    }

    /// Opens a session for key `key_id`; its id.
    pub(crate) fn open_session(&mut self, key_id: &str) -> String {
        self.next_session += 1;
        let id = format!("rts_{:08}", self.next_session);
        let session = Session {
            key_id: key_id.to_string(),
        };
        self.sessions.insert(id.clone(), session);
        *self.open_per_key.entry(key_id.to_string()).or_default() += 1;
        id
    }

    /// Closes session `id` if key `key_id` opened it; whether it did.
    pub(crate) fn close_session(&mut self, key_id: &str, id: &str) -> bool {
        if self.sessions.get(id).is_none_or(|x| x.key_id != key_id) {
            return false;
        }
        self.sessions.remove(id);
        if let Some(n) = self.open_per_key.get_mut(key_id) {
            *n = n.saturating_sub(1);
        }
        true
    }
}

impl OrgJobs {
    /// Job `id`.
    pub(crate) fn get(&self, id: &str) -> Option<&Job> {
        self.index.get(id).map(|&i| &self.jobs[i])
    }

    /// Position of job `id` in creation order.
    pub(crate) fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// Jobs created so far.
    pub(crate) fn len(&self) -> usize {
        self.jobs.len()
    }

    /// The job at position `i` in creation order.
    pub(crate) fn at(&self, i: usize) -> &Job {
        &self.jobs[i]
    }

    /// The jobs at positions `range`, in creation order.
    pub(crate) fn slice(&self, range: std::ops::Range<usize>) -> &[Job] {
        &self.jobs[range]
    }
}

impl Job {
    /// The job's id.
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// The job as JSON at `now` (its status follows the configured timeline).
    pub(crate) fn to_json(&self, config: &Config, now: Instant) -> Value {
        let elapsed = now.saturating_duration_since(self.created);
        let (queued, running) = config.job_timeline;
        let status = if elapsed < queued {
            "queued"
        } else if elapsed < queued + running {
            "running"
        } else if self.audio_url.contains("fail") {
            "failed"
        } else {
            "succeeded"
        };
        let full = json!({
            "id": self.id,
            "status": status,
            "audio_url": self.audio_url,
            "language": self.language,
            "metadata": self.metadata,
            "created_at": self.created_at,
        });
        if config.minimal {
            minimal::job(full)
        } else {
            full
        }
    }
}
