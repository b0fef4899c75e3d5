//! Replay: a scripted HTTP server for the shared conformance vectors (`tests/vectors/`).
//! It owns reading the vectors' response descriptions (status, headers, `body*` members),
//! turning each vector into the script of responses a client meets, serving that script
//! over loopback HTTP/1.1, and recording the requests it received — so that every runner
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

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{json, Map, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The `now` of a `retry_after` vector that gives none: `Wed, 21 Oct 2015 07:28:00 GMT`.
///
/// ```
/// assert_eq!(surefoot_emulator::replay::DEFAULT_NOW_UNIX, 1_445_412_480);
/// ```
pub const DEFAULT_NOW_UNIX: u64 = 1_445_412_480;

/// Largest body a vector may describe (after `body_repeat` expansion).
const MAX_BODY: u64 = 64 * 1024 * 1024;

const RESPONSE_MEMBERS: [&str; 7] = [
    "status",
    "headers",
    "content_type",
    "body",
    "body_json",
    "body_base64",
    "body_repeat",
];

/// One scripted response.
#[derive(Clone, Debug)]
struct Scripted {
    status: u16,
    headers: Vec<(String, String)>,
    body: Bytes,
    /// Move HTTP-dates in `Retry-After` by (real now − this) seconds when served.
    shift_dates_from: Option<u64>,
}

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
            let sessions = state.sessions.lock().unwrap_or_else(|p| p.into_inner());
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
                "body_base64": base64_encode(&body),
            });
            let n = {
                let mut sessions = state.sessions.lock().unwrap_or_else(|p| p.into_inner());
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
            Some(from) if name.eq_ignore_ascii_case("retry-after") => shift_date(value, from),
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

// ----- loading -----------------------------------------------------------------------------

fn load_dir(dir: &Path) -> Result<HashMap<String, Vec<Scripted>>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut scripts = HashMap::new();
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().map_or(true, |e| e != "json") {
            continue;
        }
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let doc: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not valid JSON: {e}", path.display()))?;
        let vectors = doc["vectors"]
            .as_array()
            .ok_or_else(|| format!("{}: no `vectors` array", path.display()))?;
        for (i, v) in vectors.iter().enumerate() {
            let name = v["name"].as_str().unwrap_or("(unnamed)");
            if let Some(script) = script_of(v).map_err(|e| format!("{stem}.json: {name}: {e}"))? {
                scripts.insert(format!("{stem}/{i}"), script);
            }
        }
    }
    Ok(scripts)
}

type Obj = Map<String, Value>;

/// The responses a vector scripts, or `None` for families served elsewhere.
fn script_of(v: &Value) -> Result<Option<Vec<Scripted>>, String> {
    let family = v["family"].as_str().ok_or("no `family` string")?;
    let input = v["input"].as_object().ok_or("no `input` object");
    let ok = || Scripted {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: Bytes::from_static(b"{}"),
        shift_dates_from: None,
    };
    Ok(Some(match family {
        "errors" => vec![response(input?, None)?],
        "retry_after" => {
            let input = input?;
            let now = now_of(input.get("now"))?;
            let mut headers = Obj::new();
            if let Some(h) = input.get("headers") {
                headers.insert("headers".into(), h.clone());
            }
            headers.insert("status".into(), json!(429));
            let mut r = response(&headers, None)?;
            r.shift_dates_from = Some(now);
            vec![r]
        }
        "retry_decision" => {
            let outcome = input?.get("outcome").and_then(Value::as_object);
            match outcome
                .and_then(|o| o.get("response"))
                .and_then(Value::as_object)
            {
                Some(r) => vec![response(r, None)?, ok()],
                None => vec![ok()],
            }
        }
        "pagination" => input?
            .get("pages")
            .and_then(Value::as_array)
            .ok_or("`pages` must be an array")?
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let o = p
                    .as_object()
                    .ok_or(format!("pages[{i}] must be an object"))?;
                response(o, Some(200)).map_err(|e| format!("pages[{i}]: {e}"))
            })
            .collect::<Result<Vec<_>, String>>()?,
        "retries" => input?
            .get("responses")
            .and_then(Value::as_array)
            .ok_or("`responses` must be an array")?
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let o = p
                    .as_object()
                    .ok_or(format!("responses[{i}] must be an object"))?;
                response(o, None).map_err(|e| format!("responses[{i}]: {e}"))
            })
            .collect::<Result<Vec<_>, String>>()?,
        "security" => vec![ok()],
        _ => return Ok(None),
    }))
}

fn response(o: &Obj, default_status: Option<u16>) -> Result<Scripted, String> {
    if let Some(k) = o.keys().find(|k| !RESPONSE_MEMBERS.contains(&k.as_str())) {
        return Err(format!(
            "unknown response member `{k}` (allowed: {})",
            RESPONSE_MEMBERS.join(", ")
        ));
    }
    let status = match o.get("status") {
        Some(v) => v
            .as_u64()
            .filter(|s| (200..=599).contains(s))
            .ok_or("`status` must be an integer from 200 to 599")? as u16,
        None => default_status.ok_or("the response has no `status`")?,
    };
    let mut headers = Vec::new();
    match o.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Array(pairs)) => {
            for p in pairs {
                match p.as_array().map(Vec::as_slice) {
                    Some([Value::String(n), Value::String(v)]) => {
                        headers.push((n.clone(), v.clone()))
                    }
                    _ => return Err("`headers` pairs must be [\"name\", \"value\"]".into()),
                }
            }
        }
        Some(Value::Object(m)) => {
            for (n, v) in m {
                let v = v.as_str().ok_or("header values must be strings")?;
                headers.push((n.clone(), v.to_owned()));
            }
        }
        Some(_) => return Err("`headers` must be pairs or an object".into()),
    }
    for (n, v) in &headers {
        HeaderName::from_bytes(n.as_bytes()).map_err(|_| format!("{n:?} is not a header name"))?;
        HeaderValue::from_bytes(v.as_bytes())
            .map_err(|_| format!("{v:?} is not a header value"))?;
    }
    match o.get("content_type") {
        Some(Value::String(ct)) => headers.push(("content-type".into(), ct.clone())),
        None | Some(Value::Null) => {
            if o.contains_key("body_json")
                && !headers
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            {
                headers.push(("content-type".into(), "application/json".into()));
            }
        }
        Some(_) => return Err("`content_type` must be a string".into()),
    }
    Ok(Scripted {
        status,
        headers,
        body: Bytes::from(body_of(o)?),
        shift_dates_from: None,
    })
}

fn body_of(o: &Obj) -> Result<Vec<u8>, String> {
    let given: Vec<&str> = ["body", "body_json", "body_base64", "body_repeat"]
        .into_iter()
        .filter(|k| o.contains_key(*k))
        .collect();
    if given.len() > 1 {
        return Err(format!("give at most one of {}", given.join(", ")));
    }
    let Some(kind) = given.first() else {
        return Ok(Vec::new());
    };
    let v = &o[*kind];
    match *kind {
        "body" => v
            .as_str()
            .map(|s| s.as_bytes().to_vec())
            .ok_or("`body` must be a string".into()),
        "body_json" => Ok(v.to_string().into_bytes()),
        "body_base64" => base64_decode(v.as_str().ok_or("`body_base64` must be a string")?),
        _ => {
            let r = v.as_object().ok_or("`body_repeat` must be an object")?;
            let text = |k: &str| {
                r.get(k).map_or(Ok(""), |v| {
                    v.as_str()
                        .ok_or(format!("`body_repeat.{k}` must be a string"))
                })
            };
            let (prefix, unit, suffix) = (text("prefix")?, text("unit")?, text("suffix")?);
            if let Some(k) = r
                .keys()
                .find(|k| !["prefix", "unit", "times", "suffix"].contains(&k.as_str()))
            {
                return Err(format!("unknown member `{k}` in `body_repeat`"));
            }
            let times = r
                .get("times")
                .and_then(Value::as_u64)
                .ok_or("`body_repeat.times` must be an integer ≥ 0")?;
            let total = (unit.len() as u64)
                .saturating_mul(times)
                .saturating_add((prefix.len() + suffix.len()) as u64);
            if total > MAX_BODY {
                return Err(format!(
                    "`body_repeat` makes {total} bytes; at most {MAX_BODY}"
                ));
            }
            let mut b = Vec::with_capacity(total as usize);
            b.extend_from_slice(prefix.as_bytes());
            for _ in 0..times {
                b.extend_from_slice(unit.as_bytes());
            }
            b.extend_from_slice(suffix.as_bytes());
            Ok(b)
        }
    }
}

fn now_of(v: Option<&Value>) -> Result<u64, String> {
    match v {
        None | Some(Value::Null) => Ok(DEFAULT_NOW_UNIX),
        Some(Value::Number(n)) => n.as_u64().ok_or("`now` must be whole Unix seconds".into()),
        Some(Value::String(s)) => httpdate::parse_http_date(s)
            .map(unix)
            .map_err(|_| format!("`now` {s:?} is not an HTTP-date")),
        Some(_) => Err("`now` must be Unix seconds or an HTTP-date".into()),
    }
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

// ----- dates -------------------------------------------------------------------------------

/// Moves an HTTP-date by (real now − `from`) seconds, in the format it was written in
/// (IMF-fixdate, RFC 850 or asctime). A value that is no HTTP-date is kept as is.
fn shift_date(value: &str, from: u64) -> String {
    let Ok(date) = httpdate::parse_http_date(value.trim()) else {
        return value.to_owned();
    };
    let now = unix(SystemTime::now()) as i64;
    let t = unix(date) as i64 + (now - from as i64);
    let t = t.max(0);
    let v = value.trim();
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let wd = (days + 4).rem_euclid(7) as usize; // 1970-01-01 was a Thursday
    const SHORT: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const LONG: [&str; 7] = [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (hh, mm, ss) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mon = MONTHS[(m - 1) as usize];
    if !v.contains(',') {
        format!("{} {mon} {d:>2} {hh:02}:{mm:02}:{ss:02} {y}", SHORT[wd])
    } else if v.split(',').next().is_some_and(|w| w.len() > 3) {
        format!(
            "{}, {d:02}-{mon}-{:02} {hh:02}:{mm:02}:{ss:02} GMT",
            LONG[wd],
            y % 100
        )
    } else {
        format!(
            "{}, {d:02} {mon} {y} {hh:02}:{mm:02}:{ss:02} GMT",
            SHORT[wd]
        )
    }
}

/// Days since 1970-01-01 → (year, month 1–12, day 1–31) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

// ----- encodings ---------------------------------------------------------------------------

fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
                {
                    Ok(x) => {
                        out.push(x);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len().div_ceil(3) * 4);
    for chunk in b.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
        let v = B64.iter().position(|x| *x == c).ok_or(format!(
            "`body_base64` has an invalid character {:?}",
            c as char
        ))?;
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_keep_their_format() {
        let now = unix(SystemTime::now());
        for v in [
            "Wed, 21 Oct 2015 07:28:30 GMT",
            "Wednesday, 21-Oct-15 07:28:30 GMT",
            "Wed Oct 21 07:28:30 2015",
        ] {
            let shifted = shift_date(v, DEFAULT_NOW_UNIX);
            let t = unix(httpdate::parse_http_date(&shifted).unwrap());
            assert!((now + 29..=now + 31).contains(&t), "{v} -> {shifted}");
            assert_eq!(shifted.contains(','), v.contains(','), "{shifted}");
            assert_eq!(shifted.contains('-'), v.contains('-'), "{shifted}");
        }
        assert_eq!(
            shift_date("Wed, 32 Oct 2015 07:28:30 GMT", 0),
            "Wed, 32 Oct 2015 07:28:30 GMT"
        );
    }

    #[test]
    fn encodings_round_trip() {
        for b in [&b""[..], b"a", b"ab", b"abc", b"\xff\xfe\x00garbage"] {
            assert_eq!(base64_decode(&base64_encode(b)).unwrap(), b);
        }
        assert_eq!(
            base64_decode("//4AZ2FyYmFnZQ==").unwrap(),
            b"\xff\xfe\x00garbage"
        );
        assert_eq!(percent_decode("c%201%2F%2B+x%zz"), "c 1/+ x%zz");
    }

    #[test]
    fn unknown_members_are_refused() {
        let v = json!({"family": "errors", "input": {"status": 400, "bodyy": "a"}});
        assert!(script_of(&v).unwrap_err().contains("bodyy"));
    }
}
