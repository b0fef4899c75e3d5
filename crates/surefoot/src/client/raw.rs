//! Raw calls: a request another HTTP library built (method, absolute URL, headers, body
//! bytes) sent through the same send loop as the clients' own calls — pacing keyed by the
//! request's credential, retries with `Retry-After`, the outage hold, the retry budget, the
//! deadline — answered with the final HTTP answer whatever its status ([`RawResponse`]),
//! the body of a 2xx answer streamed as it arrives. What the httpx transports, the requests
//! adapter and middlewares put under SDKs. [`RawClient`] keeps one core [`Client`] per
//! origin and credential (the credential hashed in the map, as pacing hashes it).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use url::Url;

use crate::client::builder::ClientBuilder;
use crate::client::handle::Client;
use crate::client::request::{Prepared, RawAnswer, RawSlot};
use crate::config::options::OptionValue;
use crate::error::{Error, Result};

/// Headers that describe one connection or one framing, not the request: the HTTP stack
/// sets its own.
const HOP_BY_HOP: [&str; 8] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "te",
    "upgrade",
    "proxy-connection",
];

/// The headers read for the credential that keys pacing, in order (`key_header` replaces
/// them): `Authorization` of any scheme (the part after the scheme), `x-api-key`, `api-key`.
const CREDENTIAL_HEADERS: [&str; 3] = ["authorization", "x-api-key", "api-key"];

/// Options of a [`RawClient`]: every client option by name (checked by the client's rules,
/// [`ClientBuilder::set`]) except `base_url` and `api_key`, which come from each request,
/// plus `idempotency` (`"auto"`: add an `Idempotency-Key` to POSTs that lack one; `"off"`,
/// the default) and `key_header` (the header holding the credential).
///
/// ```
/// use surefoot::options::OptionValue;
/// let mut b = surefoot::RawClient::builder();
/// b.set("max_retries", OptionValue::Int(2))?;
/// b.set("idempotency", OptionValue::Text("auto".into()))?;
/// assert!(b.set("idempotency", OptionValue::Text("always".into())).is_err());
/// assert!(b.set("api_key", OptionValue::Text("sk-x".into())).is_err());
/// let raw = b.build()?;
/// # let _ = raw;
/// # Ok::<(), surefoot::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct RawClientBuilder {
    builder: ClientBuilder,
    key_header: Option<HeaderName>,
    auto_key: bool,
}

impl RawClientBuilder {
    /// Sets the option `name` to `value`, checked at once.
    pub fn set(&mut self, name: &str, value: OptionValue) -> Result<()> {
        match (name, value) {
            ("base_url" | "api_key", _) => Err(Error::invalid_request(format!(
                "{name} is not an option here: each request carries its own URL and credential"
            ))),
            ("idempotency", OptionValue::None) => {
                self.auto_key = false;
                Ok(())
            }
            ("idempotency", OptionValue::Text(t)) if t == "auto" || t == "off" => {
                self.auto_key = t == "auto";
                Ok(())
            }
            ("idempotency", v) => Err(Error::invalid_request(format!(
                "idempotency must be \"auto\" or \"off\" (got {v:?})"
            ))),
            ("key_header", OptionValue::Text(t)) => {
                let name = HeaderName::from_bytes(t.as_bytes()).map_err(|_| {
                    Error::invalid_request(format!("key_header {t:?} is not a header name"))
                })?;
                self.key_header = Some(name);
                Ok(())
            }
            ("key_header", OptionValue::None) => {
                self.key_header = None;
                Ok(())
            }
            ("key_header", v) => Err(Error::invalid_request(format!(
                "key_header must be a header name (got {v:?})"
            ))),
            (_, value) => self.builder.set(name, value),
        }
    }

    /// Checks the options together (as [`ClientBuilder::build`] does) and builds the client.
    pub fn build(self) -> Result<RawClient> {
        self.builder.clone().base_url("http://127.0.0.1").build()?;
        Ok(RawClient {
            inner: Arc::new(RawInner {
                options: self,
                clients: Mutex::new(HashMap::new()),
            }),
        })
    }
}

/// Sends requests built elsewhere through surefoot's send loop. Cheap to clone.
///
/// ```no_run
/// # async fn run() -> surefoot::Result<()> {
/// let raw = surefoot::RawClient::builder().build()?;
/// let req = surefoot::RawRequest::new("GET", "http://127.0.0.1:8080/v1/models")?
///     .header("authorization", "Bearer sk-test-0123456789")?;
/// let mut resp = raw.send(req).await?;
/// while let Some(chunk) = resp.chunk().await? {
///     println!("{} bytes", chunk.len());
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RawClient {
    inner: Arc<RawInner>,
}

struct RawInner {
    options: RawClientBuilder,
    /// One client per origin and credential, by the hash of both.
    clients: Mutex<HashMap<String, Client>>,
}

/// One request as another HTTP library built it.
#[derive(Debug, Clone)]
pub struct RawRequest {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Bytes,
    timeout: Option<Duration>,
    deadline: Option<Duration>,
}

impl RawRequest {
    /// A request with no headers and no body; the URL must be absolute.
    pub fn new(method: &str, url: &str) -> Result<RawRequest> {
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|_| Error::invalid_request(format!("invalid HTTP method {method:?}")))?;
        let url = Url::parse(url)
            .map_err(|e| Error::invalid_request(format!("request URL is not valid: {e}")))?;
        Ok(RawRequest {
            method,
            url,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            timeout: None,
            deadline: None,
        })
    }

    /// Adds a header (repeated names are kept).
    pub fn header(mut self, name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Result<Self> {
        let n = HeaderName::from_bytes(name.as_ref())
            .map_err(|_| Error::invalid_request("a request header name is not valid"))?;
        let v = HeaderValue::from_bytes(value.as_ref())
            .map_err(|_| Error::invalid_request(format!("the value of header {n} is not valid")))?;
        self.headers.append(n, v);
        Ok(self)
    }

    /// The body: the same bytes go out on every attempt.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// A per-attempt timeout for this request: the smaller of it and the client's applies.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// A per-call option by name, checked by the client's rule for it: `"timeout"` (the
    /// smaller of it and the client's applies) or `"deadline"`; none keeps the client's.
    pub fn option(mut self, name: &str, value: OptionValue) -> Result<Self> {
        let d = crate::config::options::per_call_duration(name, value)
            .map_err(|e| e.for_option(name))?;
        match (name, d) {
            ("timeout", Some(d)) => self.timeout = Some(d),
            (_, Some(d)) => self.deadline = Some(d),
            (_, None) => {}
        }
        Ok(self)
    }

    /// The call's total deadline (instead of the client's).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The credential that keys pacing: `key_header`'s value, else the first of
    /// [`CREDENTIAL_HEADERS`] present (`Authorization` without its scheme).
    fn credential(&self, key_header: Option<&HeaderName>) -> Option<String> {
        let value = match key_header {
            Some(name) => self.headers.get(name)?,
            None => CREDENTIAL_HEADERS
                .iter()
                .find_map(|h| self.headers.get(*h))?,
        };
        let text = String::from_utf8_lossy(value.as_bytes());
        let text = text.trim();
        let token = match (key_header, self.headers.get("authorization")) {
            (None, Some(a)) if a == value => text.split_once(' ').map_or(text, |(_, t)| t.trim()),
            _ => text,
        };
        (!token.is_empty()).then(|| token.to_string())
    }
}

/// The body of a [`RawResponse`].
enum RawBody {
    /// An error answer, read under the error-body cap.
    Read(Option<Bytes>),
    /// A 2xx answer, streamed.
    Stream(crate::client::wire::Wire),
}

/// The final HTTP answer of a raw call, whatever its status.
pub struct RawResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: RawBody,
    attempts: u32,
    waited: Duration,
    error: Option<Error>,
    timeout: Option<Duration>,
    url: Url,
}

impl RawResponse {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers as the server sent them.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// How many attempts the call took.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Time spent waiting (pacing, backoff, the hold) before this answer.
    pub fn waited(&self) -> Duration {
        self.waited
    }

    /// For an answer that is not a success: how surefoot classified it (code, kind, why
    /// it was not retried). The key is redacted from its message.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// The next piece of the body as it arrives (`None` at the end). A 2xx body is read
    /// from the connection chunk by chunk; a connection that breaks midway is an error
    /// (never retried: part of the answer was already handed over). An error answer's
    /// body (at most 64 KiB, read to classify it) comes as one chunk.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>> {
        match &mut self.body {
            RawBody::Read(body) => Ok(body.take()),
            RawBody::Stream(resp) => resp.chunk().await.map_err(|e| {
                crate::client::exchange::classify_transport(e, self.timeout, &self.url)
            }),
        }
    }
}

impl RawClient {
    /// Options by name, checked as the clients' are.
    pub fn builder() -> RawClientBuilder {
        RawClientBuilder::default()
    }

    /// Sends `req` through the send loop and returns the final answer; errors are transport
    /// failures and calls refused before sending (a key paused longer than the call may wait:
    /// [`Error::reached_server`] is false, with the pause's cause).
    pub async fn send(&self, req: RawRequest) -> Result<RawResponse> {
        let opts = &self.inner.options;
        let credential = req.credential(opts.key_header.as_ref());
        let client = self.client_for(&req.url, credential.as_deref())?;
        let mut headers = req.headers;
        for h in HOP_BY_HOP {
            headers.remove(h);
        }
        if opts.auto_key && req.method == Method::POST && !headers.contains_key("idempotency-key") {
            let key = format!("sf-{}", uuid::Uuid::new_v4());
            headers.insert(
                "idempotency-key",
                HeaderValue::from_str(&key).expect("ascii"),
            );
        }
        let idempotent =
            crate::retry::is_idempotent(&req.method, headers.contains_key("idempotency-key"));
        let timeout = match (req.timeout, client.timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let slot = Arc::new(RawSlot::default());
        let url = req.url.clone();
        let prepared = Prepared {
            deadline: req.deadline.or(client.deadline()),
            timeout,
            pacer: client.pacer_for(req.url.path()),
            client,
            method: req.method,
            url: req.url.clone(),
            headers,
            // The request's own credential headers go out as given.
            authorization: None,
            body: req.body,
            idempotent,
            raw: Some(slot.clone()),
        };
        let result = prepared.run_traced().await;
        finish(result, slot.take(), timeout, url)
    }

    /// The client of this origin and credential, built on first use from the options.
    fn client_for(&self, url: &Url, credential: Option<&str>) -> Result<Client> {
        let origin = url.origin().ascii_serialization();
        let id = crate::pacing::key_name(credential.unwrap_or(""), &origin, "raw");
        let mut clients = crate::leaves::sync::lock(&self.inner.clients);
        if let Some(c) = clients.get(&id) {
            return Ok(c.clone());
        }
        let base = self.inner.options.builder.clone().base_url(origin.clone());
        let client = match credential {
            None => base.build()?,
            // The credential as the clients' `api_key` (so the same key paces together with
            // surefoot's own clients); one the key rule refuses is paced by its hash.
            Some(c) => match base.clone().api_key(c).build() {
                Ok(client) => client,
                Err(_) => base
                    .api_key(crate::pacing::key_name(c, "", "credential"))
                    .build()?,
            },
        };
        clients.insert(id, client.clone());
        Ok(client)
    }
}

/// The call's outcome as the final answer: a success with its stream, an error answer
/// with its status, headers and body, or (nothing answered) the error.
fn finish(
    result: Result<crate::client::response::Response>,
    answer: Option<RawAnswer>,
    timeout: Option<Duration>,
    url: Url,
) -> Result<RawResponse> {
    let (attempts, waited, error) = match &result {
        Ok(r) => (r.attempts, r.waited, None),
        Err(e) => (e.attempts(), e.waited(), Some(e.clone())),
    };
    let (status, headers, body) = match answer {
        Some(RawAnswer::Stream(status, headers, resp)) => (status, headers, RawBody::Stream(resp)),
        // An earlier attempt's answer, when a later one failed without answering (a
        // transport failure, a deadline): the call ends with that failure.
        Some(RawAnswer::Read(status, ..))
            if error.as_ref().and_then(Error::status) != Some(status.as_u16()) =>
        {
            return Err(error.unwrap_or_else(|| {
                Error::connection("the answer was not kept (a bug in surefoot)", true)
            }))
        }
        Some(RawAnswer::Read(status, headers, body)) => {
            (status, headers, RawBody::Read(Some(body)))
        }
        None => {
            return Err(result.err().unwrap_or_else(|| {
                Error::connection("the answer was not kept (a bug in surefoot)", true)
            }))
        }
    };
    Ok(RawResponse {
        status,
        headers,
        body,
        attempts,
        waited,
        error,
        timeout,
        url,
    })
}
