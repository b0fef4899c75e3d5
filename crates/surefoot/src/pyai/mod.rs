//! The typed PyAI client: transcription jobs (created exactly once through retries thanks to
//! an automatic `Idempotency-Key`), job lists, and realtime sessions held as guards that own
//! a concurrency slot and end the session when closed or dropped. Paths beyond the jobs
//! endpoint are surefoot's guesses, overridable per client with [`ClientBuilder::path`];
//! models are tolerant (see [`crate::leaves::model`]): only ids are required.

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::client::builder::ClientBuilder;
use crate::client::pagination::Paginate;
use crate::config::api::Api;
use crate::error::{Error, Result};
use crate::pacing::{self, ConcurrencyPermit};

pub(crate) mod profile;
pub use self::profile::profile;

/// Parameters of a new transcription job.
///
/// ```
/// let params = surefoot::pyai::CreateJob::new("https://example.com/a.wav")
///     .language("en")
///     .idempotency_key("batch-7-line-12");
/// # let _ = params;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[must_use]
pub struct CreateJob {
    /// Where the audio is.
    pub audio_url: String,
    /// Language hint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Free-form metadata kept with the job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    /// The idempotency key; a UUID v4 is generated when `None`.
    #[serde(skip)]
    pub idempotency_key: Option<String>,
}

impl CreateJob {
    /// A job for `audio_url`.
    pub fn new(audio_url: impl Into<String>) -> Self {
        CreateJob {
            audio_url: audio_url.into(),
            ..CreateJob::default()
        }
    }
    /// Sets the language hint.
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }
    /// Sets the metadata.
    pub fn metadata(mut self, metadata: Value) -> Self {
        self.metadata = Some(metadata);
        self
    }
    /// Sets the idempotency key (reuse it when re-running the same logical operation).
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }
}

crate::leaves::model::model! {
    /// A transcription job as the server sent it. Only the id is required; every other
    /// field reads `None` when missing or of another type, and [`raw`](Job::raw) keeps the
    /// whole object (unknown fields included).
    ///
    /// ```
    /// use serde_json::json;
    /// let job = surefoot::pyai::Job::from_value(json!({
    ///     "id": "job_1", "status": "queued", "created_at": 1767225600, "priority": 3
    /// })).unwrap();
    /// assert_eq!((job.id(), job.status()), ("job_1", Some("queued")));
    /// assert_eq!(job.audio_url(), None);
    /// assert_eq!(job.created_at_raw(), Some(&json!(1767225600)));
    /// assert!(job.created_at().is_some());
    /// assert_eq!(job.get("priority"), Some(&json!(3)));
    /// ```
    Job, "a job", "surefoot::pyai::Job", r#"{"id": "job_1", "status": "queued"}"#
}

impl Job {
    /// `queued`, `running`, `succeeded` or `failed` (or whatever string the server sends);
    /// `None` when missing or not a string.
    ///
    /// ```
    /// let job = surefoot::pyai::Job::from_value(serde_json::json!({"id": "j", "status": 2})).unwrap();
    /// assert_eq!(job.status(), None);
    /// ```
    pub fn status(&self) -> Option<&str> {
        crate::leaves::model::str_field(&self.raw, "status")
    }

    /// The audio URL (`None` when missing or not a string).
    ///
    /// ```
    /// let job = surefoot::pyai::Job::from_value(serde_json::json!({"id": "j", "audio_url": "https://a/b.wav"})).unwrap();
    /// assert_eq!(job.audio_url(), Some("https://a/b.wav"));
    /// ```
    pub fn audio_url(&self) -> Option<&str> {
        crate::leaves::model::str_field(&self.raw, "audio_url")
    }

    /// The language hint (`None` when missing or not a string).
    ///
    /// ```
    /// let job = surefoot::pyai::Job::from_value(serde_json::json!({"id": "j", "language": null})).unwrap();
    /// assert_eq!(job.language(), None);
    /// ```
    pub fn language(&self) -> Option<&str> {
        crate::leaves::model::str_field(&self.raw, "language")
    }

    /// The metadata, any JSON value but `null` (`None` when missing or `null`).
    ///
    /// ```
    /// use serde_json::json;
    /// let job = surefoot::pyai::Job::from_value(json!({"id": "j", "metadata": {"batch": 7}})).unwrap();
    /// assert_eq!(job.metadata(), Some(&json!({"batch": 7})));
    /// ```
    pub fn metadata(&self) -> Option<&Value> {
        crate::leaves::model::value_field(&self.raw, "metadata")
    }

    /// The creation time, parsed from an RFC 3339 string or Unix seconds (see
    /// [`parse_timestamp`](crate::leaves::model::parse_timestamp)); `None` when missing or unreadable.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let job = surefoot::pyai::Job::from_value(serde_json::json!({"id": "j", "created_at": "2026-01-01T00:00:00Z"})).unwrap();
    /// assert_eq!(job.created_at(), Some(UNIX_EPOCH + Duration::from_secs(1_767_225_600)));
    /// ```
    pub fn created_at(&self) -> Option<std::time::SystemTime> {
        self.created_at_raw()
            .and_then(crate::leaves::model::parse_timestamp)
    }

    /// The creation time as the server sent it (`None` when missing or `null`).
    ///
    /// ```
    /// let job = surefoot::pyai::Job::from_value(serde_json::json!({"id": "j", "created_at": 1.5})).unwrap();
    /// assert_eq!(job.created_at_raw(), Some(&serde_json::json!(1.5)));
    /// ```
    pub fn created_at_raw(&self) -> Option<&Value> {
        crate::leaves::model::value_field(&self.raw, "created_at")
    }
}

/// The PyAI client.
///
/// ```no_run
/// use surefoot::pyai::{Client, CreateJob};
/// # async fn run() -> surefoot::Result<()> {
/// let client = Client::from_env()?; // PYAI_API_KEY
/// let job = client.jobs().create(CreateJob::new("https://example.com/a.wav")).await?;
/// let session = client.realtime().open("agent-1").await?;
/// session.close().await?;
/// # let _ = job; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    inner: crate::Client,
}

impl Client {
    /// A client with `api_key` and the defaults.
    pub fn new(api_key: impl Into<String>) -> Result<Client> {
        Client::builder().api_key(api_key).build_pyai()
    }

    /// A client whose key comes from `PYAI_API_KEY` (and base URL from `PYAI_BASE_URL` when
    /// set).
    /// Read by [`ClientBuilder::from_env`], as C and Python do (unset, empty or blank
    /// variables count as not set).
    pub fn from_env() -> Result<Client> {
        Client::builder().from_env().build_pyai()
    }

    /// A builder preset for PyAI; finish with [`ClientBuilder::build_pyai`].
    pub fn builder() -> ClientBuilder {
        crate::Client::builder().api(Api::Pyai)
    }

    /// Wraps a generic client (its profile should be [`Api::Pyai`]).
    pub fn from_client(inner: crate::Client) -> Client {
        Client { inner }
    }

    /// The generic client underneath.
    pub fn client(&self) -> &crate::Client {
        &self.inner
    }

    /// Job endpoints.
    pub fn jobs(&self) -> Jobs<'_> {
        Jobs { client: self }
    }

    /// Realtime sessions.
    pub fn realtime(&self) -> Realtime<'_> {
        Realtime { client: self }
    }
}

impl ClientBuilder {
    /// Builds a PyAI client.
    pub fn build_pyai(self) -> Result<Client> {
        Ok(Client {
            inner: self.api(Api::Pyai).build()?,
        })
    }
}

/// Job endpoints; see [`Client::jobs`].
#[derive(Debug, Clone, Copy)]
pub struct Jobs<'a> {
    client: &'a Client,
}

impl<'a> Jobs<'a> {
    /// The client these endpoints use.
    pub(crate) fn owner(&self) -> &'a Client {
        self.client
    }
}

impl Jobs<'_> {
    /// Creates a job exactly once: the body is serialised once and sent with the same
    /// `Idempotency-Key` (generated unless given) on every retry, so a retry after a dropped
    /// connection returns the original job instead of a duplicate.
    pub async fn create(&self, params: CreateJob) -> Result<Job> {
        if params.audio_url.trim().is_empty() {
            return Err(Error::invalid_request("audio_url must not be empty"));
        }
        let key = params
            .idempotency_key
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let client = &self.client.inner;
        let resp = client
            .post(client.paths().path("pyai.jobs"))
            .json(&params)
            .idempotency_key(key.clone())
            .send()
            .await
            .map_err(|e| e.with_idempotency_key(key.clone()))?;
        resp.json::<Job>().map_err(|e| e.with_idempotency_key(key))
    }

    /// One job.
    pub async fn get(&self, id: &str) -> Result<Job> {
        let client = &self.client.inner;
        let path = client.paths().path_with_id("pyai.job", id)?;
        client.get(path).send().await?.json()
    }

    /// Every job, newest first, fetched lazily page by page.
    pub fn list(&self) -> Paginate<Job> {
        let client = &self.client.inner;
        client.paginate(client.paths().path("pyai.jobs"))
    }
}

/// Realtime sessions; see [`Client::realtime`].
#[derive(Debug, Clone, Copy)]
pub struct Realtime<'a> {
    client: &'a Client,
}

impl Realtime<'_> {
    /// Opens a session for `agent_id`. With
    /// [`max_concurrent_sessions`](ClientBuilder::max_concurrent_sessions) set, waits for a
    /// free slot first (bounded by the deadline); a server-side
    /// `concurrency_limit_exceeded` is retried after its `Retry-After`.
    pub async fn open(&self, agent_id: &str) -> Result<RealtimeSession> {
        if agent_id.is_empty() {
            return Err(Error::invalid_request("agent_id must not be empty"));
        }
        let client = &self.client.inner;
        let permit = match client.max_concurrent_sessions() {
            Some(max) => {
                let limiter = pacing::shared_concurrency_limiter_in(
                    client.pacing_store(),
                    client.api_key().unwrap_or(""),
                    client.base_url().as_str(),
                    "realtime",
                    max,
                );
                let permit = match client.deadline() {
                    Some(d) => tokio::time::timeout(d, limiter.acquire())
                        .await
                        .map_err(|_| {
                            Error::timeout(
                                "deadline exceeded while waiting for a realtime session slot",
                            )
                        })?,
                    None => limiter.acquire().await,
                };
                Some(permit)
            }
            None => None,
        };
        let resp = client
            .post(client.paths().path("pyai.realtime_sessions"))
            .json(&serde_json::json!({"agent_id": agent_id}))
            .send()
            .await?;
        let value: Value = resp.json()?;
        let (id, raw) =
            crate::leaves::model::object_of(value, "a realtime session").map_err(|why| {
                Error::decode(why, resp.status().as_u16(), resp.bytes())
                    .with_request_id(resp.request_id().map(str::to_string))
                    .with_attempts(resp.attempts())
            })?;
        let server_agent = crate::leaves::model::str_field(&raw, "agent_id").map(str::to_string);
        Ok(RealtimeSession {
            id,
            agent_id: server_agent.unwrap_or_else(|| agent_id.to_string()),
            raw,
            client: client.clone(),
            permit,
            open: true,
        })
    }
}

/// An open realtime session. It holds a concurrency slot until [`close`](Self::close)d or
/// dropped; dropping it ends the session in the background.
pub struct RealtimeSession {
    id: String,
    agent_id: String,
    client: crate::Client,
    permit: Option<ConcurrencyPermit>,
    open: bool,
    raw: Value,
}

impl fmt::Debug for RealtimeSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RealtimeSession")
            .field("id", &self.id)
            .field("agent_id", &self.agent_id)
            .field("open", &self.open)
            .finish()
    }
}

impl RealtimeSession {
    /// The session id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The agent the session talks to.
    pub fn agent_id(&self) -> &str {
        &self.agent_id
    }

    /// The server's whole JSON answer to the open call, unknown fields included.
    pub fn raw(&self) -> &Value {
        &self.raw
    }

    /// Ends the session and frees its slot.
    pub async fn close(mut self) -> Result<()> {
        self.open = false;
        let permit = self.permit.take();
        let result = end_session(&self.client, &self.id).await;
        drop(permit);
        result
    }
}

async fn end_session(client: &crate::Client, id: &str) -> Result<()> {
    let path = client.paths().path_with_id("pyai.realtime_session", id)?;
    match client
        .delete(path)
        .deadline(Duration::from_secs(30))
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.status() == Some(404) => Ok(()),
        Err(e) => Err(e),
    }
}

impl Drop for RealtimeSession {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        let client = self.client.clone();
        let id = std::mem::take(&mut self.id);
        let permit = self.permit.take();
        let task = async move {
            if let Err(e) = end_session(&client, &id).await {
                tracing::warn!(
                    code = e.code(),
                    "surefoot: could not end realtime session on drop"
                );
            }
            drop(permit);
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(task);
            }
            Err(_) => {
                crate::config::runtime::handle().spawn(task);
            }
        }
    }
}
