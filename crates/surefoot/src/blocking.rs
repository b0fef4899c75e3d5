//! Blocking clients for code without an async runtime, like `reqwest::blocking`: thin shells
//! over the async clients. A single call is driven on the calling thread's own runtime
//! ([`crate::runtime::block_on_here`]: its I/O and pacing waits run on the caller, no hop to
//! another thread); lists (their prefetch), bulk work and realtime sessions, which go on in
//! the background, run on the one shared runtime ([`crate::runtime::block_on`]). Every call
//! blocks only the calling thread; one client may be used from many threads at once, and
//! pacing, the outage hold, the retry budget and metrics are shared by all of them.

use futures::StreamExt;
use http::Method;
use serde::de::DeserializeOwned;

use crate::client::pagination::{Page, Paginate as AsyncPaginate};
use crate::config::runtime::{block_on, block_on_here};
use crate::error::Result;
use crate::{ClientBuilder, Response};

/// The blocking generic client.
///
/// ```no_run
/// let client = surefoot::blocking::Client::new(
///     surefoot::Client::builder().base_url("https://api.example.com").api_key("sk-live-0123456789ab"),
/// )?;
/// let resp = client.get("/v1/things/1").send()?;
/// println!("{}", resp.status());
/// # Ok::<(), surefoot::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    inner: crate::Client,
}

impl Client {
    /// Builds a blocking client from a builder.
    pub fn new(builder: ClientBuilder) -> Result<Client> {
        Ok(Client {
            inner: builder.build()?,
        })
    }

    /// The async client underneath.
    pub fn as_async(&self) -> &crate::Client {
        &self.inner
    }

    /// Starts a request.
    pub fn request(&self, method: Method, path: impl Into<String>) -> RequestBuilder {
        RequestBuilder {
            inner: self.inner.request(method, path),
        }
    }
    /// Shorthand for a GET.
    pub fn get(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::GET, path)
    }
    /// Shorthand for a POST.
    pub fn post(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::POST, path)
    }
    /// Shorthand for a DELETE.
    pub fn delete(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::DELETE, path)
    }

    /// Walks a cursor-paginated list; an [`Iterator`] of items.
    pub fn paginate<T>(&self, path: impl Into<String>) -> Paginate<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        Paginate::from_async(self.inner.paginate(path))
    }

    /// What pacing knows for each surface of this client's key; see
    /// [`crate::Client::pacing`].
    ///
    /// ```
    /// let c = surefoot::blocking::Client::new(surefoot::Client::builder().base_url("http://127.0.0.1:9"))?;
    /// assert!(c.pacing()?[0].pause.is_none());
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn pacing(&self) -> Result<Vec<crate::pacing::PacingState>> {
        block_on_here(async { Ok(self.inner.pacing().await) })
    }

    /// Lift every pause and forget learned limits of this client's key; see
    /// [`crate::Client::reset_pacing`].
    ///
    /// ```
    /// let c = surefoot::blocking::Client::new(surefoot::Client::builder().base_url("http://127.0.0.1:9"))?;
    /// c.reset_pacing()?;
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn reset_pacing(&self) -> Result<()> {
        block_on_here(async {
            self.inner.reset_pacing().await;
            Ok(())
        })
    }
}

impl From<crate::Client> for Client {
    fn from(inner: crate::Client) -> Self {
        Client { inner }
    }
}

/// A blocking request builder; see [`crate::RequestBuilder`] for the options.
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder {
    inner: crate::RequestBuilder,
}

impl RequestBuilder {
    /// Adds query parameters.
    pub fn query<K: AsRef<str>, V: ToString>(self, pairs: &[(K, V)]) -> Self {
        RequestBuilder {
            inner: self.inner.query(pairs),
        }
    }
    /// Adds a header.
    pub fn header(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        RequestBuilder {
            inner: self.inner.header(name, value),
        }
    }
    /// Sets a JSON body.
    pub fn json<T: serde::Serialize + ?Sized>(self, value: &T) -> Self {
        RequestBuilder {
            inner: self.inner.json(value),
        }
    }
    /// Sets a raw JSON body.
    pub fn json_bytes(self, body: impl Into<bytes::Bytes>) -> Self {
        RequestBuilder {
            inner: self.inner.json_bytes(body),
        }
    }
    /// Sets the idempotency key.
    pub fn idempotency_key(self, key: impl Into<String>) -> Self {
        RequestBuilder {
            inner: self.inner.idempotency_key(key),
        }
    }
    /// Declares the request safe to send twice (see [`crate::RequestBuilder::safe_to_repeat`]).
    pub fn safe_to_repeat(self) -> Self {
        RequestBuilder {
            inner: self.inner.safe_to_repeat(),
        }
    }
    /// Sends it, blocking the calling thread.
    pub fn send(self) -> Result<Response> {
        block_on_here(self.inner.send())
    }
}

/// A blocking walk over a list: an [`Iterator`] of items.
pub struct Paginate<T> {
    setup: Option<AsyncPaginate<T>>,
    stream: Option<AsyncPaginate<T>>,
}

impl<T> Paginate<T>
where
    T: DeserializeOwned + Send + 'static,
{
    pub(crate) fn from_async(p: AsyncPaginate<T>) -> Self {
        Paginate {
            setup: Some(p),
            stream: None,
        }
    }
    fn map(mut self, f: impl FnOnce(AsyncPaginate<T>) -> AsyncPaginate<T>) -> Self {
        self.setup = self.setup.take().map(f);
        self
    }
    /// Page size, 1–100.
    pub fn limit(self, limit: u32) -> Self {
        self.map(|p| p.limit(limit))
    }
    /// Page size as C and Python give it (see [`crate::Paginate::limit_i64`]).
    pub fn limit_i64(self, limit: i64) -> Self {
        self.map(|p| p.limit_i64(limit))
    }
    /// Extra query parameters.
    pub fn query<K: AsRef<str>, V: ToString>(self, pairs: &[(K, V)]) -> Self {
        self.map(|p| p.query(pairs))
    }
    /// Prefetch the next page in the background.
    pub fn prefetch(self, prefetch: bool) -> Self {
        self.map(|p| p.prefetch(prefetch))
    }
    /// Whole pages instead of items.
    pub fn pages(mut self) -> impl Iterator<Item = Result<Page<T>>> {
        let mut pages = self.setup.take().map(|p| p.pages());
        std::iter::from_fn(move || {
            let stream = pages.as_mut()?;
            match block_on(async { Ok(stream.next().await) }) {
                Ok(item) => item,
                Err(e) => {
                    pages = None;
                    Some(Err(e))
                }
            }
        })
    }
}

impl<T> Iterator for Paginate<T>
where
    T: DeserializeOwned + Send + 'static,
{
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        if self.stream.is_none() {
            self.stream = self.setup.take();
        }
        let stream = self.stream.as_mut()?;
        match block_on(async { Ok(stream.next().await) }) {
            Ok(item) => item,
            Err(e) => {
                self.stream = None;
                Some(Err(e))
            }
        }
    }
}

/// The blocking Specala client.
pub mod specala {
    use super::*;
    use crate::specala::{CreatedKey, Export, Format, KeyInfo, Transcription};

    /// Blocking twin of [`crate::specala::Client`].
    ///
    /// ```no_run
    /// let client = surefoot::blocking::specala::Client::new("spk_live_0123456789")?;
    /// for t in client.transcriptions_list().limit(100) {
    ///     println!("{:?}", t?.title());
    /// }
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    #[derive(Debug, Clone)]
    pub struct Client {
        inner: crate::specala::Client,
    }

    impl Client {
        /// A client with `api_key` and the defaults.
        pub fn new(api_key: impl Into<String>) -> Result<Client> {
            Ok(Client {
                inner: crate::specala::Client::new(api_key)?,
            })
        }
        /// Key (and base URL) from the environment.
        pub fn from_env() -> Result<Client> {
            Ok(Client {
                inner: crate::specala::Client::from_env()?,
            })
        }
        /// From a builder (see [`crate::specala::Client::builder`]).
        pub fn from_builder(builder: ClientBuilder) -> Result<Client> {
            Ok(Client {
                inner: builder.build_specala()?,
            })
        }
        /// The async client underneath.
        pub fn as_async(&self) -> &crate::specala::Client {
            &self.inner
        }
        /// Lists transcriptions lazily.
        pub fn transcriptions_list(&self) -> Paginate<Transcription> {
            Paginate::from_async(self.inner.transcriptions().list())
        }
        /// One transcription.
        pub fn transcription(&self, id: &str) -> Result<Transcription> {
            block_on_here(self.inner.transcriptions().get(id))
        }
        /// One export.
        pub fn export(&self, id: &str, format: Format) -> Result<String> {
            block_on_here(self.inner.transcriptions().export(id, format))
        }
        /// Bulk export of any number of ids, in order.
        pub fn bulk_export<S: AsRef<str>>(&self, ids: &[S], format: Format) -> Result<Vec<Export>> {
            block_on(self.inner.transcriptions().bulk_export(ids, format))
        }
        /// Every key of the workspace.
        pub fn keys_list(&self) -> Result<Vec<KeyInfo>> {
            block_on_here(self.inner.keys().list())
        }
        /// Creates a key.
        pub fn keys_create(&self, name: &str) -> Result<CreatedKey> {
            block_on_here(self.inner.keys().create(name))
        }
        /// Revokes a key.
        pub fn keys_revoke(&self, id: &str) -> Result<()> {
            block_on_here(self.inner.keys().revoke(id))
        }
    }
}

/// The blocking PyAI client.
pub mod pyai {
    use super::*;
    use crate::pyai::{CreateJob, Job};

    /// Blocking twin of [`crate::pyai::Client`].
    ///
    /// ```no_run
    /// use surefoot::pyai::CreateJob;
    /// let client = surefoot::blocking::pyai::Client::new("pyai_sk_0123456789")?;
    /// let job = client.create_job(CreateJob::new("https://example.com/a.wav"))?;
    /// let session = client.open_session("agent-1")?;
    /// session.close()?;
    /// # let _ = job; Ok::<(), surefoot::Error>(())
    /// ```
    #[derive(Debug, Clone)]
    pub struct Client {
        inner: crate::pyai::Client,
    }

    impl Client {
        /// A client with `api_key` and the defaults.
        pub fn new(api_key: impl Into<String>) -> Result<Client> {
            Ok(Client {
                inner: crate::pyai::Client::new(api_key)?,
            })
        }
        /// Key (and base URL) from the environment.
        pub fn from_env() -> Result<Client> {
            Ok(Client {
                inner: crate::pyai::Client::from_env()?,
            })
        }
        /// From a builder (see [`crate::pyai::Client::builder`]).
        pub fn from_builder(builder: ClientBuilder) -> Result<Client> {
            Ok(Client {
                inner: builder.build_pyai()?,
            })
        }
        /// The async client underneath.
        pub fn as_async(&self) -> &crate::pyai::Client {
            &self.inner
        }
        /// Creates a job exactly once (auto idempotency key unless given).
        pub fn create_job(&self, params: CreateJob) -> Result<Job> {
            block_on_here(self.inner.jobs().create(params))
        }
        /// One job.
        pub fn job(&self, id: &str) -> Result<Job> {
            block_on_here(self.inner.jobs().get(id))
        }
        /// Lists jobs lazily, newest first.
        pub fn jobs_list(&self) -> Paginate<Job> {
            Paginate::from_async(self.inner.jobs().list())
        }
        /// Opens a realtime session.
        pub fn open_session(&self, agent_id: &str) -> Result<RealtimeSession> {
            let inner = block_on(self.inner.realtime().open(agent_id))?;
            Ok(RealtimeSession { inner: Some(inner) })
        }
    }

    /// A blocking realtime session guard; dropping it ends the session in the background.
    #[derive(Debug)]
    pub struct RealtimeSession {
        inner: Option<crate::pyai::RealtimeSession>,
    }

    impl RealtimeSession {
        /// The session id.
        pub fn id(&self) -> &str {
            self.inner.as_ref().map(|s| s.id()).unwrap_or("")
        }
        /// Ends the session and frees its slot.
        pub fn close(mut self) -> Result<()> {
            match self.inner.take() {
                Some(s) => block_on(s.close()),
                None => Ok(()),
            }
        }
    }
}
