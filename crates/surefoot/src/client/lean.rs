//! The lean HTTP stack: hyper's HTTP/1 connections, each driven inside the call that uses
//! it (`client::inline`), on hyper-util's TCP connector, without reqwest's layers around
//! them — per request reqwest parses the answer's URL again, clones the request for its
//! retry and redirect layers and boxes the futures, and hyper-util's pooled client (the one
//! reqwest wraps) serves each connection from a task of its own, a wake between two tasks
//! per answer. A client's clones share one stack; a thread that drives its own calls has
//! its own (`client::http_stack`). What those layers do for surefoot is kept here: the
//! default headers (`accept: */*`, the user agent, the client's headers), the connect
//! timeout, TCP_NODELAY, a 60 s idle pool, a timeout over the answer and its body, and
//! redirects as reqwest's `Policy::limited(5)` follows them (301/302 turn a POST into a
//! GET, 303 anything but HEAD; credentials dropped from a hop to another host or port on; a
//! `Referer`). Its connects wait their turn while the host recovers from an outage
//! (`client::gated`). It serves `http://` only: an `https://` URL (or a redirect to one)
//! goes through a reqwest client it makes on first use; with a proxy set in the environment
//! (or on Windows, whose system proxy reqwest reads) reqwest's client is used instead of
//! this stack (`client::http_stack`).
use std::borrow::Cow;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, Entry, HeaderMap, HeaderValue};
use http::{Method, Request, StatusCode, Uri};
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::time::Instant;
use url::Url;

use crate::client::gated::GatedConnector;
use crate::client::inline::{Failed, Inline};
use crate::client::wire::{send_reqwest, LeanError, Transport, Wire};
use crate::config::settings::Settings;
use crate::error::Result;

/// reqwest's `Policy::limited(5)`: the hops followed before failing.
const MAX_REDIRECTS: usize = 5;

/// The HTTP stack an attempt is sent with.
#[derive(Clone)]
pub(crate) enum Stack {
    /// reqwest's client (shared between threads, or a thread's own when proxies are set).
    Reqwest(reqwest::Client),
    /// The lean hyper stack (plain `http://`; anything else goes through the reqwest client
    /// it holds).
    Lean(Arc<Lean>),
}

impl Stack {
    /// Sends one request with its own `headers` and the client's `authorization`; the
    /// timeout covers the answer and the reading of its body.
    pub(crate) async fn send(
        &self,
        method: &Method,
        url: &Url,
        headers: &HeaderMap,
        authorization: Option<&HeaderValue>,
        body: Option<Bytes>,
        timeout: Option<Duration>,
    ) -> Result<Wire, Transport> {
        match self {
            Stack::Reqwest(client) => {
                send_reqwest(client, method, url, headers, authorization, body, timeout).await
            }
            Stack::Lean(lean) => {
                lean.send(method, url, headers, authorization, body, timeout)
                    .await
            }
        }
    }
}

/// A pool of connections and what the stack adds to every request.
pub(crate) struct Lean {
    pool: Arc<Inline>,
    /// `accept`, `user-agent` and the client's default headers, as reqwest's builder
    /// merges them (a request's own header of the same name wins).
    defaults: HeaderMap,
    settings: Settings,
    /// For what is not plain HTTP.
    fallback: OnceLock<reqwest::Client>,
}

/// Whether reqwest would send through a proxy it finds by itself (the environment's
/// variables; on Windows also the system's settings): then the lean stack is not used.
pub(crate) fn proxies_configured() -> bool {
    const VARS: [&str; 6] = [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ];
    cfg!(windows)
        || VARS
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

impl Lean {
    /// The stack for these settings.
    pub(crate) fn new(s: &Settings) -> Result<Lean> {
        let mut defaults = HeaderMap::new();
        defaults.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        let agent = crate::client::wire::user_agent(s);
        let agent = HeaderValue::from_str(&agent).map_err(|e| {
            crate::error::Error::invalid_request(format!("cannot build the HTTP client: {e}"))
        })?;
        defaults.insert(header::USER_AGENT, agent);
        for (name, value) in crate::config::http::header_map(&s.headers)?.iter() {
            defaults.insert(name, value.clone());
        }
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(s.connect_timeout));
        connector.set_nodelay(true);
        Ok(Lean {
            pool: Arc::new(Inline::new(GatedConnector::new(connector))),
            defaults,
            settings: s.clone(),
            fallback: OnceLock::new(),
        })
    }

    fn fallback(&self) -> std::result::Result<&reqwest::Client, Transport> {
        if let Some(c) = self.fallback.get() {
            return Ok(c);
        }
        let made = crate::client::wire::build(&self.settings).map_err(|e| {
            Transport::Lean(LeanError::other(
                "cannot build the HTTP client",
                Box::new(e),
            ))
        })?;
        Ok(self.fallback.get_or_init(|| made))
    }

    /// Sends one request, following redirects; the timeout covers every hop.
    pub(crate) async fn send(
        &self,
        method: &Method,
        url: &Url,
        headers: &HeaderMap,
        authorization: Option<&HeaderValue>,
        body: Option<Bytes>,
        timeout: Option<Duration>,
    ) -> std::result::Result<Wire, Transport> {
        if url.scheme() != "http" {
            let client = self.fallback()?;
            return send_reqwest(client, method, url, headers, authorization, body, timeout).await;
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        let hops = Hops {
            method: method.clone(),
            url: Cow::Borrowed(url),
            authorization,
            body,
            payload_dropped: false,
            credentials_dropped: false,
            referer: None,
            redirects: 0,
        };
        // Boxed: the hops' future (with a connection the thread drives in it) is large, and
        // moving it into the timeout and up through the callers' futures cost memmoves.
        let follow = Box::pin(self.follow(hops, headers, deadline));
        match deadline {
            Some(at) => tokio::time::timeout_at(at, follow)
                .await
                .unwrap_or_else(|_| Err(Transport::Lean(LeanError::timeout()))),
            None => follow.await,
        }
    }

    /// The request's headers over the defaults, in a map with room for the credential
    /// (`Hops::headers`) and the `Host` header a thread's own connection adds (a clone of
    /// `headers` grew twice on every request).
    fn merged(&self, headers: &HeaderMap) -> HeaderMap {
        let mut out = HeaderMap::with_capacity(headers.len() + self.defaults.len() + 2);
        for (name, value) in headers {
            out.append(name, value.clone());
        }
        for (name, value) in &self.defaults {
            if let Entry::Vacant(slot) = out.entry(name) {
                slot.insert(value.clone());
            }
        }
        out
    }

    /// A block, not an `async fn`, so that `hops` is held once in the future (see
    /// `Inline::request`).
    #[allow(clippy::manual_async_fn)]
    fn follow<'a>(
        &'a self,
        mut hops: Hops<'a>,
        headers: &'a HeaderMap,
        deadline: Option<Instant>,
    ) -> impl Future<Output = std::result::Result<Wire, Transport>> + 'a {
        async move { self.follow_hops(&mut hops, headers, deadline).await }
    }

    /// Sends each hop until an answer is not a redirect. A block, not an `async fn`, for
    /// the reason given at [`Lean::follow`]; each hop's headers are made in the call that
    /// sends them, so no map is held across the wait for the answer.
    #[allow(clippy::manual_async_fn)]
    fn follow_hops<'a>(
        &'a self,
        hops: &'a mut Hops<'_>,
        headers: &'a HeaderMap,
        deadline: Option<Instant>,
    ) -> impl Future<Output = std::result::Result<Wire, Transport>> + 'a {
        async move {
            loop {
                if hops.url.scheme() != "http" {
                    // A redirect to HTTPS: the rest of the way through reqwest.
                    let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
                    let client = self.fallback()?;
                    let body = hops.body.take();
                    let sent = hops.headers(self.merged(headers));
                    let (method, url) = (&hops.method, &hops.url);
                    // The credential is in `sent` unless a hop dropped it.
                    return send_reqwest(client, method, url, &sent, None, body, left).await;
                }
                let uri = self.target(hops)?;
                // The request is made in the call: a local holding it would take its room
                // in this future beside the callee's.
                let (resp, conn) = self
                    .pool
                    .request(hops.request(uri, self.merged(headers)), &hops.url)
                    .await
                    .map_err(|e| match e {
                        Failed::Connect(e) => LeanError::connect(e),
                        Failed::Send(e) => LeanError::send(e),
                    })?;
                let Some(next) = hops.redirect(resp.status(), resp.headers())? else {
                    let (parts, body) = resp.into_parts();
                    return Ok(Wire::Lean {
                        status: parts.status,
                        headers: parts.headers,
                        body,
                        deadline,
                        conn: Some(conn),
                    });
                };
                // An answer without a body leaves its connection ready for the next hop.
                let ended = hyper::body::Body::is_end_stream(resp.body());
                drop(resp);
                if ended {
                    conn.release();
                }
                hops.next_hop(next);
            }
        }
    }

    /// This hop's request target, made from the URL as parsed (not parsed again from its
    /// text).
    fn target(&self, hops: &Hops<'_>) -> std::result::Result<Uri, Transport> {
        crate::client::inline::request_target(&hops.method, &hops.url).map_err(|e| {
            Transport::Lean(LeanError::other("the URL is not a valid URI", Box::new(e)))
        })
    }
}

/// A request across its redirects.
struct Hops<'u> {
    method: Method,
    /// The caller's URL (borrowed: no copy of it per request), then where redirects led.
    url: Cow<'u, Url>,
    /// The client's `Authorization` header: sent until a hop leaves the host or port.
    authorization: Option<&'u HeaderValue>,
    body: Option<Bytes>,
    /// A 301/302/303 made it a GET: its payload headers stay dropped.
    payload_dropped: bool,
    /// A hop went to another host or port: the credentials stay dropped (as reqwest's
    /// client, which keeps the headers it took out for the hops after).
    credentials_dropped: bool,
    /// The `Referer` of this hop (the one before it, without its credentials); boxed,
    /// as it is rare and this is part of every request's future.
    referer: Option<Box<HeaderValue>>,
    /// The redirects followed so far.
    redirects: usize,
}

impl Hops<'_> {
    /// This hop's request, to `uri`, with the request's headers `merged` over the
    /// defaults (less what earlier hops dropped).
    fn request(&self, uri: Uri, merged: HeaderMap) -> Request<Full<Bytes>> {
        let mut req = Request::new(Full::new(self.body.clone().unwrap_or_default()));
        *req.method_mut() = self.method.clone();
        *req.uri_mut() = uri;
        *req.headers_mut() = self.headers(merged);
        req
    }

    /// This hop's headers from the request's `merged` over the defaults: payload headers
    /// gone after a change to GET, the client's credential added and every credential
    /// gone once a hop left the host or port, the `Referer`.
    fn headers(&self, mut headers: HeaderMap) -> HeaderMap {
        const PAYLOAD: [&str; 4] = [
            "content-type",
            "content-length",
            "content-encoding",
            "transfer-encoding",
        ];
        const CREDENTIALS: [&str; 5] = [
            "authorization",
            "cookie",
            "cookie2",
            "proxy-authorization",
            "www-authenticate",
        ];
        let dropped = [
            (self.payload_dropped, &PAYLOAD[..]),
            (self.credentials_dropped, &CREDENTIALS[..]),
        ];
        for name in dropped
            .iter()
            .filter(|(on, _)| *on)
            .flat_map(|(_, names)| *names)
        {
            headers.remove(*name);
        }
        if let (Some(key), false) = (self.authorization, self.credentials_dropped) {
            headers.insert(header::AUTHORIZATION, key.clone());
        }
        if let Some(referer) = &self.referer {
            headers.insert(header::REFERER, HeaderValue::clone(referer));
        }
        headers
    }

    /// Where a redirect answer leads (`None`: the answer is the result), as tower-http's
    /// `FollowRedirect` under reqwest's policy decides.
    fn redirect(
        &mut self,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> std::result::Result<Option<Url>, Transport> {
        match status {
            StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND => {
                if self.method == Method::POST {
                    self.become_get();
                }
            }
            StatusCode::SEE_OTHER => {
                let head = self.method == Method::HEAD;
                self.become_get();
                if head {
                    self.method = Method::HEAD;
                }
            }
            StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT => {}
            _ => return Ok(None),
        }
        let location = headers
            .get(header::LOCATION)
            .and_then(|l| std::str::from_utf8(l.as_bytes()).ok())
            .and_then(|l| self.url.join(l).ok());
        let Some(next) = location else {
            return Ok(None);
        };
        self.redirects += 1;
        if self.redirects > MAX_REDIRECTS {
            return Err(Transport::Lean(LeanError::redirect("too many redirects")));
        }
        if next.scheme() != "http" && next.scheme() != "https" {
            return Err(Transport::Lean(LeanError::redirect(
                "URL scheme is not allowed",
            )));
        }
        Ok(Some(next))
    }

    fn become_get(&mut self) {
        self.method = Method::GET;
        self.body = None;
        self.payload_dropped = true;
    }

    /// On to `next`: what its headers lose (credentials when it is on another host or
    /// port) and its `Referer` (none from HTTPS to HTTP).
    fn next_hop(&mut self, next: Url) {
        let previous = &*self.url;
        if next.host_str() != previous.host_str()
            || next.port_or_known_default() != previous.port_or_known_default()
        {
            self.credentials_dropped = true;
        }
        self.referer = None;
        if !(next.scheme() == "http" && previous.scheme() == "https") {
            let mut referer = previous.clone();
            let _ = referer.set_username("");
            let _ = referer.set_password(None);
            referer.set_fragment(None);
            self.referer = HeaderValue::from_str(referer.as_str()).ok().map(Box::new);
        }
        self.url = Cow::Owned(next);
    }
}
