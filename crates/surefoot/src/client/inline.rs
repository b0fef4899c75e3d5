//! HTTP/1 connections each call drives inside its own future, as a libcurl easy handle owns
//! its connections: hyper's `client::conn::http1` connection is polled by the call's future
//! itself (while it waits for the answer and while it reads the body), so a request costs
//! no spawned connection task, no scheduling of one and no wake between two tasks.
//! [`Inline`] is a pool of such connections for one client (`client::http_stack` makes one
//! shared by the client's clones, and one per thread that drives its own calls). A
//! connection is handed out only to a call on the tokio runtime it was made on (its socket
//! is registered with that runtime's I/O driver, which may be a thread's own runtime that
//! nothing drives between calls), and only in the process that made it: in a child after
//! `fork()` the parent's connections are forgotten, not closed (see `Conn`'s `Drop`). Kept
//! idle at most 60 s, a connection found closed is dropped, and a request a reused
//! connection did not take (it closed first) is sent again on a new one, as hyper-util's
//! pooled client does. Connects go through hyper-util's `HttpConnector` (connect timeout,
//! TCP_NODELAY) behind `client::gated` (a host recovering from an outage gets a few new
//! connections at a time). A connection is put back once its answer's body has been read
//! to the end; one dropped earlier closes. The connection is polled with its own waker
//! (`client::quiet`), so the wakes it causes itself while the call polls it cost no extra
//! turn of the runtime.

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderValue, HOST};
use http::uri::InvalidUri;
use http::{Method, Request, Response, Uri};
use http_body_util::Full;
use hyper::body::{Body, Frame, Incoming};
use hyper::client::conn::{http1, TrySendError};
use hyper_util::rt::TokioIo;
use tokio::runtime::Id as RuntimeId;
use tower_service::Service;
use url::{Position, Url};

use crate::client::gated::{Gated, GatedConnector};
use crate::client::quiet::Quiet;

type Io = Gated<TokioIo<tokio::net::TcpStream>>;

/// How long an unused connection is kept.
const IDLE: Duration = Duration::from_secs(60);

/// A client's HTTP/1 connections, and how it makes new ones.
pub(crate) struct Inline {
    connector: GatedConnector,
    idle: Mutex<IdlePool>,
}

/// The connections no call is using, and the process they belong to.
#[derive(Default)]
struct IdlePool {
    pid: u32,
    conns: Vec<Idle>,
}

impl IdlePool {
    /// The idle connections, less those inherited from a parent process.
    fn here(&mut self) -> &mut Vec<Idle> {
        let pid = crate::config::runtime::process_id();
        if self.pid != pid {
            self.conns.clear();
            self.pid = pid;
        }
        &mut self.conns
    }
}

struct Idle {
    conn: Box<Conn>,
    since: Instant,
}

/// A connection: the request side and the connection future the call polls.
pub(crate) struct Conn {
    /// The server's host and port.
    host: String,
    port: u16,
    /// The runtime whose I/O driver serves the socket, and the process that made it.
    runtime: Option<RuntimeId>,
    pid: u32,
    /// The `Host` header of requests that have none: `host`, with `:port` unless 80.
    host_header: Option<HeaderValue>,
    send: http1::SendRequest<Full<Bytes>>,
    /// `None` once the connection has ended.
    conn: Option<Connection>,
    quiet: Quiet,
    reused: bool,
}

type Connection = http1::Connection<Io, Full<Bytes>>;

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
            idle: Mutex::new(IdlePool::default()),
        }
    }

    /// Sends `req` to the `http://` URL `url` (`req`'s URI is its [`request_target`]) and
    /// waits for the answer's head, driving the connection meanwhile; the body is read
    /// through the returned [`Driven`].
    ///
    /// Written as a block, not an `async fn`: an `async fn` keeps its by-value arguments
    /// twice in its future (as passed, and moved into its body), and a request's future is
    /// copied whole every call when it is boxed. The request is held once, here: the
    /// connection takes it from this future when it sends it, and gives it back when it
    /// closed first.
    #[allow(clippy::manual_async_fn)]
    pub(crate) fn request<'a>(
        self: &'a Arc<Self>,
        mut req: Request<Full<Bytes>>,
        url: &'a Url,
    ) -> impl Future<Output = Result<(Response<Incoming>, Driven), Failed>> + 'a {
        async move {
            let host = url.host_str().unwrap_or_default();
            let port = url.port_or_known_default().unwrap_or(80);
            self.request_on(&mut req, url, host, port).await
        }
    }

    async fn request_on(
        self: &Arc<Self>,
        req: &mut Request<Full<Bytes>>,
        url: &Url,
        host: &str,
        port: u16,
    ) -> Result<(Response<Incoming>, Driven), Failed> {
        loop {
            let mut conn = match self.checkout(host, port) {
                Some(conn) => conn,
                // Boxed: a connect's future is large and rare; held inline it would make
                // every request's future as large.
                None => Box::pin(self.connect(url, host, port)).await?,
            };
            if !req.headers().contains_key(HOST)
                && let Some(value) = &conn.host_header
            {
                req.headers_mut().insert(HOST, value.clone());
            }
            if let Err(e) = conn.ready().await {
                // Closed while it waited in the pool: another one.
                if conn.reused {
                    continue;
                }
                return Err(Failed::Send(e));
            }
            match conn.send(req).await {
                Ok(resp) => {
                    let pool = Arc::clone(self);
                    return Ok((resp, Driven { conn, pool }));
                }
                Err(mut e) => match e.take_message() {
                    // Not taken by a reused connection that closed: sent again on another.
                    Some(again) if conn.reused => *req = again,
                    _ => return Err(Failed::Send(e.into_error())),
                },
            }
        }
    }

    /// An idle connection to `host:port` made on the calling task's runtime, the most
    /// recent first; stale or closed ones are dropped.
    fn checkout(&self, host: &str, port: u16) -> Option<Box<Conn>> {
        let runtime = current_runtime();
        let mut pool = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let idle = pool.here();
        while let Some(at) = idle
            .iter()
            .rposition(|i| i.conn.port == port && i.conn.host == host && i.conn.runtime == runtime)
        {
            let Idle { mut conn, since } = idle.swap_remove(at);
            if since.elapsed() < IDLE && !conn.send.is_closed() && conn.conn.is_some() {
                conn.reused = true;
                return Some(conn);
            }
        }
        None
    }

    fn checkin(&self, conn: Box<Conn>) {
        let pid = crate::config::runtime::process_id();
        if conn.conn.is_none() || conn.send.is_closed() || conn.pid != pid {
            return;
        }
        let mut pool = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let idle = pool.here();
        idle.retain(|i| i.since.elapsed() < IDLE);
        idle.push(Idle {
            conn,
            since: Instant::now(),
        });
    }

    async fn connect(&self, url: &Url, host: &str, port: u16) -> Result<Box<Conn>, Failed> {
        let uri: Uri = url[..Position::AfterPort]
            .parse()
            .map_err(|e| Failed::Connect(Box::new(e)))?;
        let mut connector = self.connector.clone();
        poll_fn(|cx| connector.poll_ready(cx))
            .await
            .map_err(Failed::Connect)?;
        let io = connector.call(uri.clone()).await.map_err(Failed::Connect)?;
        let (send, conn) = http1::handshake(io).await.map_err(Failed::Send)?;
        let host_header = if port == 80 {
            HeaderValue::from_str(host)
        } else {
            HeaderValue::from_str(&format!("{host}:{port}"))
        };
        Ok(Box::new(Conn {
            host: host.to_string(),
            port,
            runtime: current_runtime(),
            pid: crate::config::runtime::process_id(),
            host_header: host_header.ok(),
            send,
            conn: Some(conn),
            quiet: Quiet::new(),
            reused: false,
        }))
    }
}

impl Drop for Conn {
    /// In a child after `fork()`, a connection of the parent's (in a pool the child drops,
    /// or an answer's body it never read) is forgotten, not closed: closing would take the
    /// socket out of the epoll set the child shares with the parent, whose next call on it
    /// would then wait for an answer it is never told of.
    fn drop(&mut self) {
        if self.pid != crate::config::runtime::process_id() {
            std::mem::forget(self.conn.take());
        }
    }
}

impl Conn {
    /// Waits, driving the connection, until it takes a request (an error: it has closed).
    async fn ready(&mut self) -> Result<(), hyper::Error> {
        let Conn {
            send, conn, quiet, ..
        } = self;
        poll_fn(|cx| {
            quiet.poll(cx, |cx| {
                poll_conn(conn, cx);
                send.poll_ready(cx)
            })
        })
        .await
    }

    /// Hands the connection `req` (taken out of the caller's future when it is sent) and
    /// waits for the answer's head, driving the connection (its reads and writes happen in
    /// these polls).
    async fn send(
        &mut self,
        req: &mut Request<Full<Bytes>>,
    ) -> Result<Response<Incoming>, TrySendError<Request<Full<Bytes>>>> {
        let Conn {
            send, conn, quiet, ..
        } = self;
        let mut unsent = true;
        let mut sent = pin!(None);
        poll_fn(|cx| {
            quiet.poll(cx, |cx| {
                if std::mem::take(&mut unsent) {
                    sent.set(Some(send.try_send_request(std::mem::take(req))));
                    // That woke the connection: it is polled next.
                    quiet.settled();
                }
                poll_conn(conn, cx);
                match sent.as_mut().as_pin_mut() {
                    Some(sent) => sent.poll(cx),
                    None => Poll::Pending,
                }
            })
        })
        .await
    }
}

/// The tokio runtime the calling task runs on.
fn current_runtime() -> Option<RuntimeId> {
    tokio::runtime::Handle::try_current().ok().map(|h| h.id())
}

/// One turn of the connection; once it has ended it is dropped (which answers a request
/// still waiting on it with an error).
fn poll_conn(conn: &mut Option<Connection>, cx: &mut Context<'_>) {
    if let Some(c) = conn.as_mut()
        && Pin::new(c).poll(cx).is_ready()
    {
        *conn = None;
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
        let frame = poll_fn(|cx| match this.as_mut() {
            Some(d) => {
                let Conn { conn, quiet, .. } = &mut *d.conn;
                quiet.poll(cx, |cx| {
                    poll_conn(conn, cx);
                    Pin::new(&mut *body).poll_frame(cx)
                })
            }
            None => Pin::new(&mut *body).poll_frame(cx),
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

/// The request target hyper-util's client sends over HTTP/1 without a proxy, for `url`:
/// the origin form (`/path?query`), or the authority (`host:port`) for `CONNECT`.
pub(crate) fn request_target(method: &Method, url: &Url) -> Result<Uri, InvalidUri> {
    if method == Method::CONNECT {
        let port = url.port_or_known_default().unwrap_or(80);
        return format!("{}:{port}", url.host_str().unwrap_or_default()).parse();
    }
    let target = &url[Position::BeforePath..Position::AfterQuery];
    if target.is_empty() || target == "/" {
        return Ok(Uri::default());
    }
    Uri::from_maybe_shared(Bytes::copy_from_slice(target.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(method: Method, url: &str) -> String {
        request_target(&method, &Url::parse(url).expect("a URL"))
            .expect("a request target")
            .to_string()
    }

    #[test]
    fn the_request_target_is_the_urls_path_and_query_as_parsed() {
        assert_eq!(
            target(
                Method::GET,
                "http://h:8080/v1/jobs?limit=2&after=a%20b#frag"
            ),
            "/v1/jobs?limit=2&after=a%20b"
        );
        assert_eq!(target(Method::GET, "http://h/"), "/");
        assert_eq!(target(Method::GET, "http://h"), "/");
        assert_eq!(target(Method::POST, "http://h/a b/ü"), "/a%20b/%C3%BC");
        assert_eq!(target(Method::GET, "http://h/?q"), "/?q");
    }

    /// The request is held once in a request's future (an `async fn` taking it by value
    /// held it twice, and the connection's send future a third time: 1,432 bytes).
    #[test]
    fn a_requests_future_holds_the_request_once() {
        let pool = Arc::new(Inline::new(GatedConnector::new(
            hyper_util::client::legacy::connect::HttpConnector::new(),
        )));
        let url = Url::parse("http://127.0.0.1:9/x").expect("a URL");
        let request = pool.request(Request::default(), &url);
        let size = std::mem::size_of_val(&request);
        assert!(size <= 850, "{size}");
    }

    #[test]
    fn connect_targets_the_authority() {
        assert_eq!(target(Method::CONNECT, "http://h:8080/x"), "h:8080");
        assert_eq!(target(Method::CONNECT, "http://h/x"), "h:80");
        assert_eq!(target(Method::CONNECT, "http://[::1]:9/"), "[::1]:9");
    }
}
