//! HTTP/1 connections a calling thread drives inside its own call, as a libcurl easy handle
//! owns its connections: hyper's `client::conn::http1` connection is polled by the call's
//! future itself (while it waits for the answer and while it reads the body), so a request
//! costs no spawned connection task, no scheduling of one and no wake between two tasks.
//! [`Inline`] is one thread's pool of such connections for one client (`client::http_stack`
//! makes one per thread and client): kept idle at most 60 s, a connection found closed is
//! dropped, and a request a reused connection did not take (it closed first) is sent again
//! on a new one, as hyper-util's pooled client does. Connects go through hyper-util's
//! `HttpConnector` (connect timeout, TCP_NODELAY) behind `client::gated` (a host recovering
//! from an outage gets a few new connections at a time). A connection is put back once its
//! answer's body has been read to the end; one dropped earlier closes.

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex};
use std::task::Context;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderValue, HOST};
use http::{Method, Request, Response, Uri};
use http_body_util::Full;
use hyper::body::{Body, Frame, Incoming};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tower_service::Service;

use crate::client::gated::{Gated, GatedConnector};

type Io = Gated<TokioIo<tokio::net::TcpStream>>;

/// How long an unused connection is kept.
const IDLE: Duration = Duration::from_secs(60);

/// One thread's HTTP/1 connections for one client, and how it makes new ones.
pub(crate) struct Inline {
    connector: GatedConnector,
    idle: Mutex<Vec<Idle>>,
}

struct Idle {
    conn: Box<Conn>,
    since: Instant,
}

/// A connection: the request side and the connection future the call polls.
pub(crate) struct Conn {
    /// `host:port` of the server.
    key: String,
    send: http1::SendRequest<Full<Bytes>>,
    /// `None` once the connection has ended.
    conn: Option<http1::Connection<Io, Full<Bytes>>>,
    reused: bool,
}

/// Why a request got no answer: the connect failed (it never reached the server), or the
/// exchange on the connection did.
pub(crate) enum Failed {
    Connect(Box<dyn std::error::Error + Send + Sync>),
    Send(hyper::Error),
}

/// An answer's connection while its body is read, with the pool it goes back to.
pub(crate) struct Driven {
    /// Boxed: moved up through the callers' futures with the answer.
    conn: Box<Conn>,
    pool: Arc<Inline>,
}

impl Inline {
    pub(crate) fn new(connector: GatedConnector) -> Inline {
        Inline {
            connector,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Sends `req` (an absolute `http://` URI) and waits for the answer's head, driving the
    /// connection meanwhile; the body is read through the returned [`Driven`].
    pub(crate) async fn request(
        self: &Arc<Self>,
        mut req: Request<Full<Bytes>>,
    ) -> Result<(Response<Incoming>, Driven), Failed> {
        let uri = req.uri().clone();
        let host = uri.host().unwrap_or_default();
        let port = uri.port_u16().unwrap_or(80);
        let key = format!("{host}:{port}");
        if !req.headers().contains_key(HOST) {
            let value = if port == 80 {
                HeaderValue::from_str(host)
            } else {
                HeaderValue::from_str(&key)
            };
            if let Ok(value) = value {
                req.headers_mut().insert(HOST, value);
            }
        }
        *req.uri_mut() = request_target(req.method(), &uri);
        loop {
            let mut conn = match self.checkout(&key) {
                Some(conn) => conn,
                None => self.connect(&uri, &key).await?,
            };
            if let Err(e) = conn.ready().await {
                // Closed while it waited in the pool: another one.
                if conn.reused {
                    continue;
                }
                return Err(Failed::Send(e));
            }
            let sent = conn.send.try_send_request(req);
            match conn.drive(sent).await {
                Ok(resp) => {
                    let pool = Arc::clone(self);
                    return Ok((resp, Driven { conn, pool }));
                }
                Err(mut e) => match e.take_message() {
                    // Not taken by a reused connection that closed: sent again on another.
                    Some(again) if conn.reused => req = again,
                    _ => return Err(Failed::Send(e.into_error())),
                },
            }
        }
    }

    /// An idle connection to `key`, the most recent first; stale or closed ones are dropped.
    fn checkout(&self, key: &str) -> Option<Box<Conn>> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(at) = idle.iter().rposition(|i| i.conn.key == key) {
            let Idle { mut conn, since } = idle.swap_remove(at);
            if since.elapsed() < IDLE && !conn.send.is_closed() && conn.conn.is_some() {
                conn.reused = true;
                return Some(conn);
            }
        }
        None
    }

    fn checkin(&self, conn: Box<Conn>) {
        if conn.conn.is_none() || conn.send.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        idle.retain(|i| i.since.elapsed() < IDLE);
        idle.push(Idle {
            conn,
            since: Instant::now(),
        });
    }

    async fn connect(&self, uri: &Uri, key: &str) -> Result<Box<Conn>, Failed> {
        let mut connector = self.connector.clone();
        poll_fn(|cx| connector.poll_ready(cx))
            .await
            .map_err(Failed::Connect)?;
        let io = connector.call(uri.clone()).await.map_err(Failed::Connect)?;
        let (send, conn) = http1::handshake(io).await.map_err(Failed::Send)?;
        Ok(Box::new(Conn {
            key: key.to_string(),
            send,
            conn: Some(conn),
            reused: false,
        }))
    }
}

impl Conn {
    /// Waits, driving the connection, until it takes a request (an error: it has closed).
    async fn ready(&mut self) -> Result<(), hyper::Error> {
        poll_fn(|cx| {
            self.poll_conn(cx);
            self.send.poll_ready(cx)
        })
        .await
    }

    /// Polls `fut` to its end while driving the connection (its reads and writes happen in
    /// these polls).
    async fn drive<F: Future>(&mut self, fut: F) -> F::Output {
        let mut fut = pin!(fut);
        poll_fn(|cx| {
            self.poll_conn(cx);
            fut.as_mut().poll(cx)
        })
        .await
    }

    /// One turn of the connection; once it has ended it is dropped (which answers a request
    /// still waiting on it with an error).
    fn poll_conn(&mut self, cx: &mut Context<'_>) {
        if let Some(conn) = self.conn.as_mut()
            && Pin::new(conn).poll(cx).is_ready()
        {
            self.conn = None;
        }
    }
}

impl Driven {
    /// Back to the pool: the answer's body was read to its end (or it had none).
    pub(crate) fn release(self) {
        self.pool.checkin(self.conn);
    }

    /// The body's next frame, driving the connection; at the end of the body the connection
    /// goes back to the pool.
    pub(crate) async fn frame(
        this: &mut Option<Driven>,
        body: &mut Incoming,
    ) -> Option<Result<Frame<Bytes>, hyper::Error>> {
        let frame = poll_fn(|cx| {
            if let Some(d) = this.as_mut() {
                d.conn.poll_conn(cx);
            }
            Pin::new(&mut *body).poll_frame(cx)
        })
        .await;
        if frame.is_none()
            && let Some(d) = this.take()
        {
            d.pool.checkin(d.conn);
        }
        frame
    }
}

/// The request target hyper-util's client sends over HTTP/1 without a proxy: the origin
/// form (`/path?query`), or the authority for `CONNECT`.
fn request_target(method: &Method, uri: &Uri) -> Uri {
    if method == Method::CONNECT {
        let mut parts = http::uri::Parts::default();
        parts.authority = uri.authority().cloned();
        return Uri::from_parts(parts).unwrap_or_default();
    }
    match uri.path_and_query() {
        Some(path) if path.as_str() != "/" => {
            let mut parts = http::uri::Parts::default();
            parts.path_and_query = Some(path.clone());
            Uri::from_parts(parts).unwrap_or_default()
        }
        _ => Uri::default(),
    }
}
