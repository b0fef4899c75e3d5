//! Calls a thread drives itself go over its lean hyper stack (`client::lean`): these run
//! blocking calls from plain test threads and check what reqwest's client did for them is
//! still done — the headers sent, redirects (method and body per status, the key dropped
//! on another host, the hop limit), the timeout, a refused connect, a broken body, the
//! `host` header and no reuse of a connection the server closed.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use surefoot::ErrorKind;
use surefoot_emulator::{start_blocking, BlockingEmulator, Config, Fault, FaultAction};

use crate::common::PYAI_KEY;

fn client(url: &str) -> surefoot::blocking::Client {
    surefoot::blocking::Client::new(
        surefoot::Client::builder()
            .base_url(url)
            .api_key(PYAI_KEY)
            .max_retries(0),
    )
    .unwrap()
}

fn on(emu: &BlockingEmulator, route: &str) -> u64 {
    let stats = serde_json::to_value(emu.stats()).unwrap();
    stats["requests"][route]
        .as_object()
        .map(|m| m.values().map(|v| v.as_u64().unwrap_or(0)).sum())
        .unwrap_or(0)
}

fn redirect(route: &str, status: u16, location: String) -> Fault {
    Fault::new(
        route,
        1,
        FaultAction::Status {
            status,
            body: String::new(),
            content_type: None,
            headers: vec![("Location".into(), location)],
        },
    )
}

/// The next request head on `reader` (lower-cased; empty once the client has closed).
pub(crate) fn read_head(reader: &mut impl BufRead) -> String {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" || line.is_empty() {
            return head;
        }
        head.push_str(&line.to_ascii_lowercase());
    }
}

/// A server of one connection: answers each request head it reads with `answers` in turn
/// and returns the heads it read (lower-cased).
fn recording_server(answers: Vec<String>) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let thread = std::thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(conn.try_clone().unwrap());
        let mut conn = conn;
        let mut heads = Vec::new();
        for answer in answers {
            let head = read_head(&mut reader);
            conn.write_all(answer.as_bytes()).unwrap();
            heads.push(head);
        }
        heads
    });
    (url, thread)
}

#[test]
fn the_lean_stack_sends_the_headers_reqwest_did_and_a_referer_on_a_redirect() {
    let ok = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
    let moved = "HTTP/1.1 302 Found\r\nlocation: /b?x=1\r\ncontent-length: 0\r\n\r\n";
    let (url, server) = recording_server(vec![moved.to_string(), ok.to_string()]);
    let client = surefoot::blocking::Client::new(
        surefoot::Client::builder()
            .base_url(&url)
            .api_key(PYAI_KEY)
            .user_agent("lean-test/1")
            .header("x-team", "blue")
            .timeout(Duration::from_secs(5)),
    )
    .unwrap();
    let resp = client.get("/a").send().unwrap();
    assert_eq!(resp.status(), 200);
    let heads = server.join().unwrap();
    assert!(heads[0].starts_with("get /a http/1.1\r\n"), "{}", heads[0]);
    for want in [
        "accept: */*\r\n",
        "user-agent: lean-test/1\r\n",
        "x-team: blue\r\n",
        &format!(
            "authorization: bearer {}\r\n",
            PYAI_KEY.to_ascii_lowercase()
        ),
    ] {
        assert!(
            heads[0].contains(want),
            "{want:?} missing from {}",
            heads[0]
        );
        assert!(
            heads[1].contains(want),
            "{want:?} missing from {}",
            heads[1]
        );
    }
    assert!(
        heads[1].starts_with("get /b?x=1 http/1.1\r\n"),
        "{}",
        heads[1]
    );
    assert!(
        heads[1].contains(&format!("referer: {}/a\r\n", url.to_ascii_lowercase())),
        "{}",
        heads[1]
    );
}

#[test]
fn redirects_keep_or_change_the_method_as_reqwest_did() {
    let emu = start_blocking(Config::pyai().no_rate_limits()).unwrap();
    let client = client(&emu.url());
    let body = serde_json::json!({"audio_url": "https://example.com/a.wav"});
    // 307: the POST goes again with its body, and creates the job.
    let location = format!("{}/v1/transcription/jobs", emu.url());
    emu.inject(redirect(
        "POST /v1/transcription/jobs",
        307,
        location.clone(),
    ));
    let resp = client
        .post("/v1/transcription/jobs")
        .json(&body)
        .send()
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    assert_eq!(on(&emu, "POST /v1/transcription/jobs"), 2);
    // 303: a GET of the list, without the body.
    emu.inject(redirect(
        "POST /v1/transcription/jobs",
        303,
        location.clone(),
    ));
    let resp = client
        .post("/v1/transcription/jobs")
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(on(&emu, "GET /v1/transcription/jobs"), 1);
    assert_eq!(on(&emu, "POST /v1/transcription/jobs"), 3);
}

#[test]
fn the_key_is_not_forwarded_to_another_host_and_hops_are_limited() {
    let origin = start_blocking(Config::pyai().no_rate_limits()).unwrap();
    let other = start_blocking(Config::pyai().no_rate_limits()).unwrap();
    let client = client(&origin.url());
    let route = "GET /v1/transcription/jobs";
    origin.inject(redirect(
        route,
        302,
        format!("{}/v1/transcription/jobs", other.url()),
    ));
    let err = client.get("/v1/transcription/jobs").send().unwrap_err();
    assert_eq!(err.status(), Some(401), "the other host saw no key");
    assert_eq!(on(&other, route), 1);
    // A redirect to itself, over and over: refused after as many hops as reqwest's client
    // (the shared stack's, on a runtime of this test) takes.
    let mut loop_fault = redirect(
        route,
        302,
        format!("{}/v1/transcription/jobs", origin.url()),
    );
    loop_fault.count = 50;
    origin.inject(loop_fault);
    let err = client.get("/v1/transcription/jobs").send().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection);
    assert!(
        err.message().contains("too many redirects"),
        "{}",
        err.message()
    );
    let lean_hops = on(&origin, route) - 1;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let err = runtime
        .block_on(client.as_async().get("/v1/transcription/jobs").send())
        .unwrap_err();
    assert!(
        err.message().contains("too many redirects"),
        "{}",
        err.message()
    );
    assert_eq!(on(&origin, route) - 1 - lean_hops, lean_hops);
    assert_eq!(lean_hops, 6, "the first request and 5 redirects");
}

#[test]
fn the_key_stays_dropped_on_the_hops_after_one_to_another_host() {
    // origin -> other -> other again (the same host as the hop before it): the key must
    // not come back on the third request.
    let origin = start_blocking(Config::pyai().no_rate_limits()).unwrap();
    let other = start_blocking(Config::pyai().no_rate_limits()).unwrap();
    let route = "GET /v1/transcription/jobs";
    origin.inject(redirect(
        route,
        302,
        format!("{}/v1/transcription/jobs", other.url()),
    ));
    other.inject(redirect(route, 307, "/v1/transcription/jobs".into()));
    let err = client(&origin.url())
        .get("/v1/transcription/jobs")
        .send()
        .unwrap_err();
    assert_eq!(err.status(), Some(401), "the other host saw no key");
    assert_eq!(on(&other, route), 2);
}

#[test]
fn timeouts_refused_connects_and_broken_bodies_keep_their_kinds() {
    let emu = start_blocking(Config::pyai().no_rate_limits()).unwrap();
    let slow = surefoot::blocking::Client::new(
        surefoot::Client::builder()
            .base_url(emu.url())
            .api_key(PYAI_KEY)
            .max_retries(0)
            .timeout(Duration::from_millis(200)),
    )
    .unwrap();
    emu.inject(Fault::new(
        "GET /v1/transcription/jobs",
        1,
        FaultAction::Delay { ms: 3000 },
    ));
    let started = Instant::now();
    let err = slow.get("/v1/transcription/jobs").send().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(started.elapsed() < Duration::from_millis(2500));

    emu.inject(Fault::new(
        "GET /v1/transcription/jobs",
        1,
        FaultAction::Truncated,
    ));
    let err = client(&emu.url())
        .get("/v1/transcription/jobs")
        .send()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
    assert!(err.reached_server());

    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let err = client(&url)
        .get("/v1/transcription/jobs")
        .send()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
    assert!(
        !err.reached_server(),
        "a refused connect never reached the server"
    );
}

#[test]
fn bodies_are_read_whole_over_one_kept_connection() {
    let ok = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{\"n\": true}";
    // The server accepts one connection only: a second would wait out the timeout.
    let (url, server) = recording_server(vec![ok.to_string(); 3]);
    let client = surefoot::blocking::Client::new(
        surefoot::Client::builder()
            .base_url(&url)
            .api_key(PYAI_KEY)
            .timeout(Duration::from_secs(5)),
    )
    .unwrap();
    for _ in 0..3 {
        let resp = client.get("/n").send().unwrap();
        assert_eq!(resp.text().unwrap(), "{\"n\": true}");
    }
    assert_eq!(server.join().unwrap().len(), 3);
}

#[test]
fn a_connection_the_server_closes_is_not_used_again() {
    // The first connection answers once and closes; the second answers twice and stays.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let mut heads = Vec::new();
        for (n, close) in [(1, true), (2, false)] {
            let (conn, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut conn = conn;
            for _ in 0..n {
                let head = read_head(&mut reader);
                let extra = if close { "connection: close\r\n" } else { "" };
                let answer = format!("HTTP/1.1 200 OK\r\n{extra}content-length: 2\r\n\r\n{{}}");
                conn.write_all(answer.as_bytes()).unwrap();
                heads.push(head);
            }
        }
        heads
    });
    // No retries: a call sent on the closed connection would fail.
    let client = client(&url);
    for _ in 0..3 {
        assert_eq!(client.get("/n").send().unwrap().status(), 200);
    }
    let heads = server.join().unwrap();
    assert_eq!(heads.len(), 3);
    let host = format!("host: {}\r\n", &url["http://".len()..]);
    for head in &heads {
        assert!(head.starts_with("get /n http/1.1\r\n"), "{head}");
        assert!(head.contains(&host), "{host:?} missing from {head}");
    }
}

/// A server of one connection answering each request with a chunked body of `pieces`,
/// each written on its own after a pause (so the client reads them as separate pieces).
fn piecewise_server(pieces: &'static [&'static str], requests: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(conn.try_clone().unwrap());
        let mut conn = conn;
        for _ in 0..requests {
            read_head(&mut reader);
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                        transfer-encoding: chunked\r\n\r\n";
            conn.write_all(head.as_bytes()).unwrap();
            for piece in pieces {
                std::thread::sleep(Duration::from_millis(20));
                let chunk = format!("{:x}\r\n{piece}\r\n", piece.len());
                conn.write_all(chunk.as_bytes()).unwrap();
            }
            conn.write_all(b"0\r\n\r\n").unwrap();
        }
    });
    url
}

const PIECES: &[&str] = &["{\"a\": \"", "0123456789", "\", \"b\": 2}"];

#[test]
fn a_body_in_pieces_is_read_whole_or_stopped_at_the_cap() {
    let whole = PIECES.concat();
    let url = piecewise_server(PIECES, 2);
    let blocking = client(&url);
    for _ in 0..2 {
        let resp = blocking.get("/p").send().unwrap();
        assert_eq!(resp.text().unwrap(), whole);
    }
    // A cap inside the second piece: an error, with what fitted under the cap.
    let url = piecewise_server(PIECES, 1);
    let capped = surefoot::blocking::Client::new(
        surefoot::Client::builder()
            .base_url(&url)
            .api_key(PYAI_KEY)
            .max_retries(0)
            .max_response_bytes(12),
    )
    .unwrap();
    let err = capped.get("/p").send().unwrap_err();
    assert_eq!(err.code(), "invalid_response");
    assert!(err.message().contains("12-byte cap"), "{}", err.message());
    assert_eq!(err.body(), Some(&whole.as_bytes()[..12]));
}

#[tokio::test]
async fn a_body_in_pieces_is_read_whole_by_the_async_client() {
    let url = piecewise_server(PIECES, 2);
    let client = surefoot::Client::builder()
        .base_url(&url)
        .api_key(PYAI_KEY)
        .max_retries(0)
        .build()
        .unwrap();
    for _ in 0..2 {
        let resp = client.get("/p").send().await.unwrap();
        assert_eq!(resp.text().unwrap(), PIECES.concat());
    }
}
