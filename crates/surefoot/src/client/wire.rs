//! What goes over the wire and comes back, whichever HTTP stack sends it (reqwest's client,
//! or the lean hyper stack of `client::lean`): the reqwest client the settings describe and
//! one request through it, the answer on the wire ([`Wire`]: status, headers, a body read
//! chunk by chunk under the attempt's timeout) and a failure before or while reading it
//! ([`Transport`], [`LeanError`]: told apart as a timeout, a failed connect or a broken
//! exchange, as `client::exchange` maps it into the error model).

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use hyper::body::Incoming;
use tokio::time::Instant;
use url::Url;

use crate::client::inline::Driven;
use crate::config::settings::Settings;
use crate::error::{Error, Result};

type BoxError = Box<dyn StdError + Send + Sync>;

/// A failure to get or read an answer.
#[derive(Debug)]
pub(crate) enum Transport {
    Reqwest(reqwest::Error),
    Lean(LeanError),
}

/// An answer on the wire, its body not read yet.
pub(crate) enum Wire {
    Reqwest(reqwest::Response),
    Lean {
        status: StatusCode,
        headers: HeaderMap,
        body: Incoming,
        /// When the attempt's timeout runs out (it covers the body too, as reqwest's).
        deadline: Option<Instant>,
        /// The connection the call drives itself while it reads the body
        /// (`client::inline`); `None` once the body's end gave it back to its pool.
        conn: Option<Driven>,
    },
}

/// One request through reqwest's client, with the client's `authorization` over its own
/// `headers`. The request is built at once and only reqwest's send is waited on, boxed:
/// held inline, reqwest's future would make the lean stack's (whose plain-HTTP path is the
/// hot one) as large, copied whole wherever it is moved.
pub(crate) fn send_reqwest(
    client: &reqwest::Client,
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    authorization: Option<&HeaderValue>,
    body: Option<Bytes>,
    timeout: Option<Duration>,
) -> Pin<Box<dyn Future<Output = Result<Wire, Transport>> + Send>> {
    let mut rb = client
        .request(method.clone(), url.clone())
        .headers(headers.clone());
    if let Some(key) = authorization {
        rb = rb.header(http::header::AUTHORIZATION, key.clone());
    }
    if let Some(body) = body {
        rb = rb.body(body);
    }
    if let Some(t) = timeout {
        rb = rb.timeout(t);
    }
    Box::pin(async move {
        rb.send()
            .await
            .map(Wire::Reqwest)
            .map_err(Transport::Reqwest)
    })
}

impl Wire {
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Wire::Reqwest(r) => r.status(),
            Wire::Lean { status, .. } => *status,
        }
    }

    /// The answer's headers (taken: the wire keeps an empty map).
    pub(crate) fn take_headers(&mut self) -> HeaderMap {
        match self {
            Wire::Reqwest(r) => std::mem::take(r.headers_mut()),
            Wire::Lean { headers, .. } => std::mem::take(headers),
        }
    }

    /// The next piece of the body (`None` at its end).
    pub(crate) async fn chunk(&mut self) -> Result<Option<Bytes>, Transport> {
        match self {
            Wire::Reqwest(r) => r.chunk().await.map_err(Transport::Reqwest),
            Wire::Lean {
                body,
                deadline,
                conn,
                ..
            } => loop {
                let next = Driven::frame(conn, body);
                let frame = match deadline {
                    Some(at) => tokio::time::timeout_at(*at, next)
                        .await
                        .map_err(|_| Transport::Lean(LeanError::timeout()))?,
                    None => next.await,
                };
                match frame {
                    None => return Ok(None),
                    Some(Err(e)) => return Err(Transport::Lean(LeanError::body(e))),
                    Some(Ok(frame)) => {
                        // Trailers carry no body: read on.
                        match frame.into_data() {
                            Ok(data) if !data.is_empty() => return Ok(Some(data)),
                            _ => {}
                        }
                    }
                }
            },
        }
    }
}

/// The HTTP stack the settings describe.
pub(crate) fn build(s: &Settings) -> Result<reqwest::Client> {
    let headers = crate::config::http::header_map(&s.headers)?;
    let builder = match &s.ca_file {
        Some(ca) => ca.trust(reqwest::Client::builder()),
        None => reqwest::Client::builder(),
    };
    builder
        .user_agent(user_agent(s))
        .default_headers(headers)
        .connect_timeout(s.connect_timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .map_err(|e| Error::invalid_request(format!("cannot build the HTTP client: {e}")))
}

/// The `user-agent` the settings send.
pub(crate) fn user_agent(s: &Settings) -> String {
    s.user_agent
        .clone()
        .unwrap_or_else(|| format!("surefoot/{}", env!("CARGO_PKG_VERSION")))
}

/// What failed in the lean stack.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Timeout,
    Connect,
    Other,
}

/// A failure of the lean stack: what it was, in reqwest's words, and its cause.
#[derive(Debug)]
pub(crate) struct LeanError {
    kind: Kind,
    message: &'static str,
    source: Option<BoxError>,
}

impl LeanError {
    pub(crate) fn timeout() -> LeanError {
        LeanError {
            kind: Kind::Timeout,
            message: "operation timed out",
            source: None,
        }
    }

    /// A failure of a connection the call drives (`client::inline`).
    pub(crate) fn send(e: hyper::Error) -> Transport {
        LeanError::sending(Box::new(e), Kind::Other)
    }

    /// A failed connect of `client::inline`: it never reached the server.
    pub(crate) fn connect(e: BoxError) -> Transport {
        LeanError::sending(e, Kind::Connect)
    }

    /// "error sending request": a timeout if one is in `e`'s chain, else `otherwise`.
    fn sending(e: BoxError, otherwise: Kind) -> Transport {
        let kind = if chain_timed_out(&*e) {
            Kind::Timeout
        } else {
            otherwise
        };
        Transport::Lean(LeanError {
            kind,
            message: "error sending request",
            source: Some(e),
        })
    }

    pub(crate) fn body(e: hyper::Error) -> LeanError {
        let kind = if chain_timed_out(&e) {
            Kind::Timeout
        } else {
            Kind::Other
        };
        LeanError {
            kind,
            message: "error decoding response body",
            source: Some(Box::new(e)),
        }
    }

    pub(crate) fn redirect(message: &'static str) -> LeanError {
        LeanError {
            kind: Kind::Other,
            message,
            source: None,
        }
    }

    pub(crate) fn other(message: &'static str, source: BoxError) -> LeanError {
        LeanError {
            kind: Kind::Other,
            message,
            source: Some(source),
        }
    }

    pub(crate) fn is_timeout(&self) -> bool {
        self.kind == Kind::Timeout
    }

    pub(crate) fn is_connect(&self) -> bool {
        self.kind == Kind::Connect
    }
}

impl std::fmt::Display for LeanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message)
    }
}

impl StdError for LeanError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

/// Whether a cause in the chain is a timeout (an I/O `TimedOut`, hyper's own), as
/// reqwest's `is_timeout` looks for one.
fn chain_timed_out(e: &(dyn StdError + 'static)) -> bool {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = cur {
        if err
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return true;
        }
        if err
            .downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_timeout)
        {
            return true;
        }
        cur = err.source();
    }
    false
}
