//! One logical call before it is sent: [`RequestBuilder`] (query, headers, the JSON body
//! serialised once, the idempotency key, per-call timeout and deadline) and every check
//! that needs no network, which turns it into a `Prepared` call for the send loop
//! (`client::send`). `Client::request`, `get`, `post` and `delete` start here.

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde::Serialize;
use tracing::Instrument;
use url::Url;

use crate::client::handle::Client;
use crate::client::response::Response;
use crate::config::http::{header_map, validate_idempotency_key};
use crate::error::{Error, Result};
use crate::pacing::Pacer;
use crate::retry;

impl Client {
    /// Starts a request to `path` (relative to the base URL).
    pub fn request(&self, method: Method, path: impl Into<String>) -> RequestBuilder {
        RequestBuilder::new(self.clone(), method, path.into())
    }

    /// Shorthand for `request(Method::GET, path)`.
    pub fn get(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    /// Shorthand for `request(Method::POST, path)`.
    pub fn post(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::POST, path)
    }

    /// Shorthand for `request(Method::DELETE, path)`.
    pub fn delete(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::DELETE, path)
    }
}

/// A request being built; nothing is sent until [`send`](RequestBuilder::send).
///
/// ```no_run
/// # async fn run(client: surefoot::Client) -> surefoot::Result<()> {
/// let resp = client
///     .post("/v1/transcription/jobs")
///     .json(&serde_json::json!({"audio_url": "https://example.com/a.wav"}))
///     .idempotency_key("order-42-job")
///     .send()
///     .await?;
/// assert!(resp.status().is_success());
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder {
    client: Client,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Option<(Bytes, &'static str)>,
    idempotency_key: Option<String>,
    safe_to_repeat: bool,
    deadline: Option<Duration>,
    timeout: Option<Duration>,
    error: Option<Error>,
}

impl RequestBuilder {
    pub(crate) fn new(client: Client, method: Method, path: String) -> Self {
        RequestBuilder {
            client,
            method,
            path,
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            idempotency_key: None,
            safe_to_repeat: false,
            deadline: None,
            timeout: None,
            error: None,
        }
    }

    /// Adds query parameters.
    pub fn query<K: AsRef<str>, V: ToString>(mut self, pairs: &[(K, V)]) -> Self {
        for (k, v) in pairs {
            self.query.push((k.as_ref().to_string(), v.to_string()));
        }
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Serialises `value` as the JSON body, once: every attempt sends the same bytes.
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(v) => self.body = Some((Bytes::from(v), "application/json")),
            Err(e) => {
                self.error = Some(Error::invalid_request(format!(
                    "request body cannot be serialised as JSON: {e}"
                )))
            }
        }
        self
    }

    /// Sets a raw JSON body (already serialised).
    pub fn json_bytes(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some((body.into(), "application/json"));
        self
    }

    /// Sets the `Idempotency-Key`: the request becomes safe to retry, and the server replays
    /// the first answer instead of acting twice.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// Declares the request safe to send twice (a read-only POST such as a search or an
    /// export), so it is retried like a GET after failures that may have reached the server.
    pub fn safe_to_repeat(mut self) -> Self {
        self.safe_to_repeat = true;
        self
    }

    /// Sets a per-call option by name, checked by the client's rule for it (the same
    /// messages in every language): `"timeout"` or `"deadline"`, none keeping the client's
    /// value. A refused value is reported by `send`. What the bindings call.
    ///
    /// ```
    /// use surefoot::options::OptionValue;
    /// # async fn demo(client: surefoot::Client) {
    /// let err = client.get("/v1/things").option("deadline", 0.0.into()).send().await.unwrap_err();
    /// assert!(err.message().contains("deadline must be greater than zero"));
    /// # }
    /// ```
    pub fn option(mut self, name: &str, value: crate::config::options::OptionValue) -> Self {
        match crate::config::options::per_call_duration(name, value) {
            Ok(d) if name == "timeout" => self.timeout = d.or(self.timeout),
            Ok(d) => self.deadline = d.or(self.deadline),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    /// Overrides the client's total deadline for this call.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Overrides the client's per-attempt timeout for this call.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sends the request: paces, retries and waits as the client is configured, and returns
    /// the first successful answer or the final error (with `attempts` and `retry_after`).
    pub async fn send(self) -> Result<Response> {
        // Not `prepare()?.run_traced().await`: the `?`'s temporary would hold a second
        // `Prepared` in this future while it waits.
        let traced = match self.prepare() {
            Ok(prepared) => prepared.run_traced(),
            Err(e) => return Err(e),
        };
        traced.await
    }

    /// Every check that can be made without the network.
    fn prepare(self) -> Result<Prepared> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let client = self.client;
        // `resolve` checked the URL for the key; query parameters added here are checked again.
        let mut url = client.resolve(&self.path)?;
        if !self.query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in &self.query {
                q.append_pair(k, v);
            }
            drop(q);
            crate::config::key::check_url_has_no_key(&url, client.api_key())?;
        }

        let mut headers = header_map(&self.headers)?;
        if let Some(key) = &self.idempotency_key {
            validate_idempotency_key(key)?;
            headers.insert(
                "idempotency-key",
                HeaderValue::from_str(key).expect("checked"),
            );
        }
        if let Some((_, content_type)) = &self.body {
            headers
                .entry(http::header::CONTENT_TYPE)
                .or_insert(HeaderValue::from_static(content_type));
        }
        let idempotent = self.safe_to_repeat
            || retry::is_idempotent(&self.method, self.idempotency_key.is_some());
        // The surface is judged on the path below the base URL's own prefix.
        let base_path = client.base_url().path().trim_end_matches('/');
        let pacer = client.pacer_for(url.path().strip_prefix(base_path).unwrap_or(url.path()));
        Ok(Prepared {
            authorization: client.authorization(),
            deadline: self.deadline.or(client.deadline()),
            timeout: self.timeout.or(client.timeout()),
            client,
            method: self.method,
            url,
            headers,
            body: self.body.map(|(b, _)| b).unwrap_or_default(),
            idempotent,
            pacer,
            raw: None,
        })
    }
}

/// A request that passed every check, ready for the send loop.
pub(crate) struct Prepared {
    pub(crate) client: Client,
    pub(crate) method: Method,
    pub(crate) url: Url,
    /// The request's own headers (most requests have none: no map is allocated for them).
    pub(crate) headers: HeaderMap,
    /// The client's `Authorization` header, added to each hop's headers by the HTTP stack
    /// (and left out of the hops after a redirect to another host or port).
    pub(crate) authorization: Option<HeaderValue>,
    pub(crate) body: Bytes,
    pub(crate) idempotent: bool,
    pub(crate) pacer: Option<Pacer>,
    pub(crate) deadline: Option<Duration>,
    pub(crate) timeout: Option<Duration>,
    /// A raw call (`client::raw`): where each attempt leaves its answer.
    pub(crate) raw: Option<std::sync::Arc<RawSlot>>,
}

impl Prepared {
    /// A raw call keeps this attempt's answer (an error answer is replaced by a later one).
    pub(crate) fn keep_raw(&self, answer: Option<RawAnswer>) {
        if let Some(slot) = &self.raw {
            slot.put(answer);
        }
    }

    /// The call inside its `surefoot.request` span (made here, not in an `async fn`: the
    /// future the caller waits on is then the span and a box, 48 bytes, instead of the
    /// request twice over).
    pub(crate) fn run_traced(self) -> impl Future<Output = Result<Response>> {
        let span = tracing::info_span!(
            "surefoot.request",
            method = %self.method,
            path = %self.url.path(),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
        );
        // Boxed, as the attempt's: the call's future is large.
        Box::pin(self.run()).instrument(span)
    }
}

/// What a raw attempt left for its call: the answer, streamed or read.
#[derive(Default)]
pub(crate) struct RawSlot(std::sync::Mutex<Option<RawAnswer>>);

pub(crate) enum RawAnswer {
    Stream(StatusCode, HeaderMap, crate::client::wire::Wire),
    Read(StatusCode, HeaderMap, Bytes),
}

impl RawSlot {
    pub(crate) fn put(&self, answer: Option<RawAnswer>) {
        *crate::leaves::sync::lock(&self.0) = answer;
    }

    /// Keeps a streamed success for the caller; the send loop gets an answer without body.
    pub(crate) fn stream(
        &self,
        status: StatusCode,
        headers: HeaderMap,
        resp: crate::client::wire::Wire,
    ) -> Response {
        self.put(Some(RawAnswer::Stream(status, headers, resp)));
        Response {
            status,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            attempts: 0,
            waited: Duration::ZERO,
            fields: None,
        }
    }

    pub(crate) fn take(&self) -> Option<RawAnswer> {
        crate::leaves::sync::lock(&self.0).take()
    }
}

#[cfg(test)]
mod future_sizes {
    use crate::Client;

    /// A call's future is copied whole where it is boxed (each call), and its size is what
    /// an `async fn` keeps of its by-value arguments twice, or a `?` temporary held across
    /// an await: 1,200 and 1,520 bytes before they were written out (the bounds leave room
    /// for a dependency or compiler update, not for one of those again).
    #[test]
    fn a_calls_futures_stay_small() {
        let client = Client::builder()
            .base_url("http://127.0.0.1:9")
            .api_key("sk_test_0123456789")
            .build()
            .expect("a client");
        let send = client.get("/x").send();
        assert!(
            std::mem::size_of_val(&send) <= 400,
            "{}",
            std::mem::size_of_val(&send)
        );
        let run = client.get("/x").prepare().expect("prepared").run();
        assert!(
            std::mem::size_of_val(&run) <= 1400,
            "{}",
            std::mem::size_of_val(&run)
        );
    }
}
