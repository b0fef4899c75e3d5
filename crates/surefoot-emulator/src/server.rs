//! The HTTP server. Each accepted TCP stream is served by hyper's HTTP/1 connection
//! builder around the axum router, so a request can end its connection without an
//! answer: the fault layer marks such a response with `KillConnection`, the per-connection
//! service turns it into a service error (hyper then drops the connection without
//! writing anything), and the stream wrapper sets `SO_LINGER 0` first so the peer sees a
//! real RST. The front middleware gives every answer an `x-request-id`, applies latency
//! and faults to API routes (never to `/__emulator/*`), and records per-route stats.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tower::ServiceExt;

use crate::breakage::{kill, truncate, KillConnection};
use crate::config::Api;
use crate::faults::{html_page, FaultAction, MALFORMED_JSON};
use crate::responses::{with_body, RequestId};
use crate::state::Shared;
use crate::stats::{STATUS_DROPPED, STATUS_RESET};
use crate::{admin, chaos, pyai, specala};

/// How long a graceful shutdown waits for in-flight requests.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// The service error that makes hyper drop a connection.
#[derive(Debug)]
struct ConnectionKilled;

impl std::fmt::Display for ConnectionKilled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed by fault injection")
    }
}

impl std::error::Error for ConnectionKilled {}

/// The whole application: admin routes, the API's routes, the front middleware.
pub(crate) fn app(shared: Arc<Shared>) -> Router {
    let api = match shared.config.api {
        Api::Specala => specala::routes(),
        Api::Pyai => pyai::routes(),
    };
    Router::new()
        .nest("/__emulator", admin::routes())
        .merge(api)
        .layer(middleware::from_fn_with_state(shared.clone(), front))
        .with_state(shared)
}

/// A running accept loop.
pub(crate) struct Running {
    pub(crate) addr: SocketAddr,
    pub(crate) shutdown: watch::Sender<bool>,
    pub(crate) task: JoinHandle<()>,
}

/// Binds and starts serving `shared`'s API.
pub(crate) async fn spawn(shared: Arc<Shared>) -> io::Result<Running> {
    let listener = TcpListener::bind((shared.config.host, shared.config.port)).await?;
    let addr = listener.local_addr()?;
    let (shutdown, rx) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, app(shared), rx));
    Ok(Running {
        addr,
        shutdown,
        task,
    })
}

async fn accept_loop(listener: TcpListener, app: Router, mut shutdown: watch::Receiver<bool>) {
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(serve_connection(
                        stream,
                        app.clone(),
                        shutdown.clone(),
                        done_tx.clone(),
                    ));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
        }
    }
    drop(listener);
    drop(done_tx);
    // Every connection task holds a sender; `recv` yields None once all have finished.
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, done_rx.recv()).await;
}

async fn serve_connection(
    stream: TcpStream,
    app: Router,
    mut shutdown: watch::Receiver<bool>,
    _done: mpsc::Sender<()>,
) {
    let kill = Arc::new(AtomicBool::new(false));
    let io = TokioIo::new(KillableStream {
        inner: stream,
        kill: kill.clone(),
    });
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let app = app.clone();
        let kill = kill.clone();
        async move {
            let response = match app.oneshot(req.map(Body::new)).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            if response.extensions().get::<KillConnection>().is_some() {
                kill.store(true, Ordering::SeqCst);
                return Err(ConnectionKilled);
            }
            Ok(response)
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        // Idle keep-alive connections stay open until the client closes them: a server-side
        // idle close racing a pooled request would look like a fault nobody injected.
        .header_read_timeout(None)
        .serve_connection(io, service);
    tokio::pin!(conn);
    if !*shutdown.borrow_and_update() {
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = shutdown.changed() => {}
        }
    }
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, conn).await;
}

/// A TCP stream that resets (SO_LINGER 0) instead of closing when marked killed.
struct KillableStream {
    inner: TcpStream,
    kill: Arc<AtomicBool>,
}

impl Drop for KillableStream {
    fn drop(&mut self) {
        if self.kill.load(Ordering::SeqCst) {
            let _ = self.inner.set_zero_linger();
        }
    }
}

impl AsyncRead for KillableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Request id, latency, faults and stats around every request.
async fn front(State(s): State<Arc<Shared>>, mut req: Request, next: Next) -> Response {
    let rid = RequestId::generate();
    req.extensions_mut().insert(rid.clone());
    let path = req.uri().path().to_string();
    let admin = path == "/__emulator" || path.starts_with("/__emulator/");
    let mut response = if admin {
        next.run(req).await
    } else {
        let method = req.method().to_string();
        let response = api_request(&s, &method, &path, req, next).await;
        let label = match response.extensions().get::<KillConnection>() {
            Some(k) => k.0.to_string(),
            None => response.status().as_u16().to_string(),
        };
        let route = route_template(s.config.api, &method, &path);
        s.stats.lock().request(route, &label);
        response
    };
    if let Ok(v) = HeaderValue::from_str(&rid.0) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

async fn api_request(s: &Shared, method: &str, path: &str, req: Request, next: Next) -> Response {
    if !s.config.latency.is_zero() {
        tokio::time::sleep(s.config.latency).await;
    }
    let Some(action) = s.faults.lock().fire(method, path) else {
        return chaos::run(s, req, next).await;
    };
    s.stats.lock().stats_mut().faults_fired += 1;
    tracing::debug!(method, path, ?action, "fault fired");
    match action {
        FaultAction::Status {
            status,
            body,
            content_type,
            headers,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut r = match &content_type {
                Some(ct) => with_body(status, ct, body),
                None => {
                    let mut r = Response::new(Body::from(body));
                    *r.status_mut() = status;
                    r
                }
            };
            for (name, value) in headers {
                let (Ok(n), Ok(v)) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(&value),
                ) else {
                    continue;
                };
                // hyper computes framing itself.
                if n == header::CONTENT_LENGTH || n == header::TRANSFER_ENCODING {
                    continue;
                }
                r.headers_mut().append(n, v);
            }
            r
        }
        FaultAction::Delay { ms } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(req).await
        }
        FaultAction::Reset => kill(STATUS_RESET),
        FaultAction::Truncated => truncate(next.run(req).await).await,
        FaultAction::Malformed => with_body(StatusCode::OK, "application/json", MALFORMED_JSON),
        FaultAction::Html { status } => with_body(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
            "text/html; charset=utf-8",
            html_page(status),
        ),
        FaultAction::DropAfterProcessing => {
            let processed = next.run(req).await;
            // Let the handler's body finish (ours are in memory) before dropping it.
            let _ = axum::body::to_bytes(processed.into_body(), usize::MAX).await;
            kill(STATUS_DROPPED)
        }
    }
}

/// The route template of a request (`GET /v1/transcriptions/{id}`), or `METHOD path`.
pub(crate) fn route_template(api: Api, method: &str, path: &str) -> String {
    let routes = match api {
        Api::Specala => specala::ROUTES,
        Api::Pyai => pyai::ROUTES,
    };
    let segments: Vec<&str> = path.split('/').collect();
    for t in routes {
        let Some((m, p)) = t.split_once(' ') else {
            continue;
        };
        if m != method {
            continue;
        }
        let ts: Vec<&str> = p.split('/').collect();
        if ts.len() == segments.len()
            && ts
                .iter()
                .zip(&segments)
                .all(|(t, s)| t == s || (t.starts_with('{') && !s.is_empty()))
        {
            return t.to_string();
        }
    }
    let mut raw = format!("{method} {path}");
    raw.truncate(200);
    raw
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        assert_eq!(
            route_template(Api::Specala, "GET", "/v1/transcriptions/tr_alpha_000001"),
            "GET /v1/transcriptions/{id}"
        );
        assert_eq!(
            route_template(Api::Specala, "POST", "/v1/transcriptions/export"),
            "POST /v1/transcriptions/export"
        );
        assert_eq!(
            route_template(Api::Specala, "GET", "/v1/transcriptions/x/export"),
            "GET /v1/transcriptions/{id}/export"
        );
        assert_eq!(
            route_template(Api::Pyai, "DELETE", "/v1/realtime/sessions/rts_1"),
            "DELETE /v1/realtime/sessions/{id}"
        );
        assert_eq!(route_template(Api::Pyai, "GET", "/nope"), "GET /nope");
    }
}
