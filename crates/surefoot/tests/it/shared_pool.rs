//! The connections a client's clones share (the shared stack's pool of `client::inline`),
//! each driven by the call that uses it: a later call on the same runtime uses it again; a
//! call on another runtime never does (the socket belongs to the first runtime's I/O
//! driver, which may not be running); one the server closed while it was idle is not used
//! again; one whose call was dropped before its answer is closed, not put back. Against a
//! plain TCP server that counts the connections it accepts.

use std::io::{BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::StatusCode;

use crate::common::PYAI_KEY;
use crate::lean_stack::read_head;

const OK: &str = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";

/// What the server does on one of its connections.
#[derive(Clone, Copy)]
enum Mode {
    /// Answers every request until the client closes.
    KeepAlive,
    /// Answers one request (without `connection: close`), then closes after a pause.
    CloseAfterOne,
    /// Reads one request and never answers it.
    Silent,
}

/// What the server saw.
#[derive(Default)]
struct Seen {
    accepted: AtomicUsize,
    /// Connections the client closed (its end read), by their number.
    closed_by_client: Mutex<Vec<usize>>,
}

/// A server on loopback: its first connection behaves as `first`, the others keep alive.
fn server(first: Mode) -> (String, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Seen::default());
    let counted = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let n = counted.accepted.fetch_add(1, SeqCst);
            let seen = counted.clone();
            let mode = if n == 0 { first } else { Mode::KeepAlive };
            std::thread::spawn(move || serve(conn.unwrap(), mode, n, &seen));
        }
    });
    (url, seen)
}

fn serve(mut conn: std::net::TcpStream, mode: Mode, n: usize, seen: &Seen) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    loop {
        if read_head(&mut reader).is_empty() {
            seen.closed_by_client.lock().unwrap().push(n);
            return;
        }
        match mode {
            Mode::Silent => continue,
            Mode::KeepAlive => conn.write_all(OK.as_bytes()).unwrap(),
            Mode::CloseAfterOne => {
                conn.write_all(OK.as_bytes()).unwrap();
                std::thread::sleep(Duration::from_millis(50));
                return;
            }
        }
    }
}

/// No retries: a call sent on a connection it should not have used fails, or waits out
/// the timeout.
fn client(url: &str) -> surefoot::Client {
    surefoot::Client::builder()
        .base_url(url)
        .api_key(PYAI_KEY)
        .max_retries(0)
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap()
}

async fn get(client: &surefoot::Client) -> surefoot::Result<StatusCode> {
    Ok(client.get("/n").send().await?.status())
}

fn runtime(multi_thread: bool) -> tokio::runtime::Runtime {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.worker_threads(1).enable_all().build().unwrap()
}

#[test]
fn a_connection_serves_only_calls_on_the_runtime_it_was_made_on() {
    let (url, seen) = server(Mode::KeepAlive);
    let client = client(&url);
    let first = runtime(false);
    assert_eq!(first.block_on(get(&client)).unwrap(), 200);
    // Nothing drives `first` now: a call on `second` given its connection would never
    // read the answer.
    let second = runtime(true);
    for _ in 0..3 {
        assert_eq!(second.block_on(get(&client)).unwrap(), 200);
    }
    assert_eq!(first.block_on(get(&client)).unwrap(), 200);
    assert_eq!(seen.accepted.load(SeqCst), 2, "one connection per runtime");
}

#[tokio::test]
async fn a_connection_the_server_closed_while_idle_is_not_used_again() {
    let (url, seen) = server(Mode::CloseAfterOne);
    let client = client(&url);
    assert_eq!(get(&client).await.unwrap(), 200);
    // The server closes the idle connection meanwhile.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..3 {
        assert_eq!(get(&client).await.unwrap(), 200);
    }
    assert_eq!(seen.accepted.load(SeqCst), 2);
}

#[tokio::test]
async fn a_call_dropped_before_its_answer_closes_its_connection() {
    let (url, seen) = server(Mode::Silent);
    let client = client(&url);
    let dropped = tokio::time::timeout(Duration::from_millis(200), get(&client)).await;
    assert!(dropped.is_err(), "the silent connection answered");
    // Put back, the connection would take this call, and never answer it.
    for _ in 0..2 {
        assert_eq!(get(&client).await.unwrap(), 200);
    }
    assert_eq!(seen.accepted.load(SeqCst), 2);
    let closed = || seen.closed_by_client.lock().unwrap().clone();
    for _ in 0..100 {
        if !closed().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(closed(), [0], "the dropped call's connection is closed");
}
