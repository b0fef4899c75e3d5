//! Replay: a scripted HTTP server for the shared conformance vectors (`tests/vectors/`).
//! It serves each vector's script of responses (made by `script` from the vectors'
//! response descriptions; `dates` moves HTTP-dates to the real clock) over loopback
//! HTTP/1.1 and records the requests it received — so that every runner
//! (Rust, C, Python) observes a vector through its own language's client, not through an
//! interpreter of the vectors.
//!
//! Each vector has a base path `/v/<file stem>/<index>/<session>`: the n-th request under
//! it (any path below, any method) gets the n-th scripted response, and a request past the
//! end gets a 500 naming the vector's mistake. `<session>` is any word the runner picks, so
//! one vector can be run many times against one server. `GET /log/<file stem>/<index>/<session>`
//! answers `{"requests": [{"method", "path", "query": [[name, value], ...], "cursor",
//! "limit", "headers": [[name, value], ...], "body_base64"}]}`.
//!
//! Scripts by family: `errors` → the input response; `retry_after` → a 429 with the input
//! headers, HTTP-dates in `Retry-After` moved by the real clock minus the vector's `now`
//! (so the wait they give is the vector's, to the second); `retry_decision` → the outcome's
//! response then `200 {}`; `retries` → the responses in order; `pagination` → the pages;
//! `security` → `200 {}`. Other families
//! (`idempotency`, `pacing`, `options`) have no script here.
//!
//! ```no_run
//! # async fn f() -> Result<(), String> {
//! let replay = surefoot_emulator::replay::Replay::start("tests/vectors", "127.0.0.1".parse().unwrap(), 0).await?;
//! let base = format!("{}/v/errors-pyai/0/run1", replay.url());
//! // ... point a client at `base`, then read `{url}/log/errors-pyai/0/run1`.
//! replay.shutdown().await;
//! # Ok(()) }
//! ```

mod dates;
mod script;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use parking_lot::Mutex;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use script::DEFAULT_NOW_UNIX;
use script::{load_dir, Scripted};

type Log = Vec<Value>;

struct State {
    scripts: HashMap<String, Vec<Scripted>>,
    sessions: Mutex<HashMap<String, Log>>,
}

/// A running replay server (see the module documentation).
///
/// ```no_run
/// # async fn f() -> Result<(), String> {
/// let r = surefoot_emulator::replay::Replay::start("tests/vectors", [127, 0, 0, 1].into(), 0).await?;
/// println!("{}", r.url());
/// r.shutdown().await;
/// # Ok(()) }
/// ```
pub struct Replay {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Replay {
    /// Load every `*.json` vector file in `dir` and serve their scripts on `host:port`
    /// (0 picks a free port). `Err` names the file and vector that cannot be scripted.
    ///
    /// ```no_run
    /// # async fn f() {
    /// let r = surefoot_emulator::replay::Replay::start("tests/vectors", [127, 0, 0, 1].into(), 0)
    ///     .await
    ///     .expect("vectors load");
    /// # r.shutdown().await; }
    /// ```
    pub async fn start(dir: impl AsRef<Path>, host: IpAddr, port: u16) -> Result<Replay, String> {
        let scripts = load_dir(dir.as_ref())?;
        let state = Arc::new(State {
            scripts,
            sessions: Mutex::default(),
        });
        let listener = TcpListener::bind((host, port))
            .await
            .map_err(|e| format!("cannot listen on {host}:{port}: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("no local address: {e}"))?;
        let (shutdown, rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, state, rx));
        Ok(Replay {
            addr,
            shutdown,
            task,
        })
    }

    /// The server's base URL, `http://127.0.0.1:<port>`.
    ///
    /// ```no_run
    /// # async fn f(r: surefoot_emulator::replay::Replay) {
    /// assert!(r.url().starts_with("http://"));
    /// # }
    /// ```
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stop serving and wait for the accept loop to end.
    ///
    /// ```no_run
    /// # async fn f(r: surefoot_emulator::replay::Replay) {
    /// r.shutdown().await;
    /// # }
    /// ```
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, std::convert::Infallible>(handle(&state, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}

fn plain(status: u16, detail: String) -> Response<Body> {
    let mut r = Response::new(Body::from(Bytes::from(
        json!({ "detail": detail }).to_string(),
    )));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

async fn handle(state: &State, req: Request<Incoming>) -> Response<Body> {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let parts: Vec<&str> = path.trim_start_matches('/').splitn(5, '/').collect();
    match parts.as_slice() {
        ["log", file, index, session] => {
            let id = format!("{file}/{index}/{session}");
            let sessions = state.sessions.lock();
            let log = sessions.get(&id).cloned().unwrap_or_default();
            let mut r = plain(200, String::new());
            *r.body_mut() = Body::from(Bytes::from(json!({ "requests": log }).to_string()));
            r
        }
        ["v", file, index, session, ..] => {
            let script_id = format!("{file}/{index}");
            let Some(script) = state.scripts.get(&script_id) else {
                return plain(404, format!("replay: no scripted vector {script_id}"));
            };
            let method = req.method().as_str().to_owned();
            let headers: Vec<Value> = req
                .headers()
                .iter()
                .map(|(n, v)| json!([n.as_str(), String::from_utf8_lossy(v.as_bytes())]))
                .collect();
            let body = axum::body::to_bytes(Body::new(req.into_body()), usize::MAX)
                .await
                .unwrap_or_default();
            let pairs = parse_query(&query);
            let find = |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| k == name)
                    .map_or(Value::Null, |(_, v)| json!(v))
            };
            let entry = json!({
                "method": method,
                "path": path,
                "query": pairs.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
                "cursor": find("cursor"),
                "limit": find("limit"),
                "headers": headers,
                "body_base64": base64::engine::general_purpose::STANDARD.encode(&body),
            });
            let n = {
                let mut sessions = state.sessions.lock();
                let log = sessions
                    .entry(format!("{script_id}/{session}"))
                    .or_default();
                log.push(entry);
                log.len() - 1
            };
            match script.get(n) {
                Some(s) => render(s),
                None => plain(
                    500,
                    format!(
                        "replay: vector {script_id} scripts {} response(s); this is request {}",
                        script.len(),
                        n + 1
                    ),
                ),
            }
        }
        _ => plain(404, format!("replay: no route {path}")),
    }
}

fn render(s: &Scripted) -> Response<Body> {
    let mut r = Response::new(Body::from(s.body.clone()));
    *r.status_mut() = StatusCode::from_u16(s.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut map = HeaderMap::new();
    for (name, value) in &s.headers {
        let value = match s.shift_dates_from {
            Some(from) if name.eq_ignore_ascii_case("retry-after") => {
                dates::shift_date(value, from)
            }
            _ => value.clone(),
        };
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            map.append(n, v);
        }
    }
    *r.headers_mut() = map;
    r
}

/// The query string as (name, value) pairs, `+` and `%XX` decoded.
fn parse_query(q: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        percent_encoding::percent_decode_str(&s)
            .decode_utf8_lossy()
            .into_owned()
    };
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_decoded() {
        let q = parse_query("c%201%2F%2B+x%zz=a&&flag");
        assert_eq!(
            q,
            [
                ("c 1/+ x%zz".into(), "a".into()),
                ("flag".into(), String::new())
            ]
        );
    }
}
