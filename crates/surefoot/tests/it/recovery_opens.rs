//! A recovering server with a small accept queue is not stampeded by connection opens:
//! blocking calls from many threads each have their thread's own pool, so after an outage
//! each thread that held its first call opens a new connection. A loopback server (listen
//! backlog 8) answers 503 for a while, then 200; it counts the connections opened to it
//! whose first answer has not gone out yet — what would fill a slow server's accept queue.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use surefoot::retry::hold::RECOVERY_OPENS;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The server's counters: whether it is down, the connections opened and not yet answered,
/// and the most of them at once after it recovered.
#[derive(Default)]
struct Counters {
    down: AtomicBool,
    opening: AtomicUsize,
    most_after_recovery: AtomicUsize,
    requests: AtomicUsize,
}

/// Serves one connection: 503 at once while down; once up, the connection's first answer
/// takes `first` (a server warming up a new connection), later ones go at once.
async fn serve(mut sock: tokio::net::TcpStream, c: Arc<Counters>, first: Duration) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut answered = false;
    loop {
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => {
                    if !answered {
                        c.opening.fetch_sub(1, Ordering::SeqCst);
                    }
                    return;
                }
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        buf.drain(..end);
        c.requests.fetch_add(1, Ordering::SeqCst);
        let answer: &[u8] = if c.down.load(Ordering::SeqCst) {
            b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n"
        } else {
            if !answered {
                tokio::time::sleep(first).await;
            }
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
        };
        if !answered {
            answered = true;
            c.opening.fetch_sub(1, Ordering::SeqCst);
        }
        if sock.write_all(answer).await.is_err() {
            return;
        }
    }
}

/// A server on a free loopback port with a listen backlog of 8, on a runtime of its own
/// (dropped with the returned runtime).
fn small_backlog_server(c: Arc<Counters>) -> (String, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        socket.listen(8).unwrap()
    });
    let url = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let now = c.opening.fetch_add(1, Ordering::SeqCst) + 1;
            if !c.down.load(Ordering::SeqCst) {
                c.most_after_recovery.fetch_max(now, Ordering::SeqCst);
            }
            tokio::spawn(serve(sock, c.clone(), Duration::from_millis(20)));
        }
    });
    (url, rt)
}

#[test]
fn after_an_outage_many_threads_open_their_connections_a_few_at_a_time() {
    let counters = Arc::new(Counters::default());
    counters.down.store(true, Ordering::SeqCst);
    let (url, server) = small_backlog_server(counters.clone());
    let client = surefoot::Client::builder()
        .base_url(&url)
        .api_key("sk-test-opens-0001")
        .build()
        .unwrap();
    let blocking = surefoot::blocking::Client::from(client.clone());
    let threads: Vec<_> = (0..64)
        .map(|_| {
            let b = blocking.clone();
            std::thread::spawn(move || {
                for _ in 0..3 {
                    let r = b
                        .get("/v1/items")
                        .send()
                        .expect("every call rides out the outage");
                    assert_eq!(r.status(), 200);
                }
            })
        })
        .collect();
    let mut held = 0;
    for _ in 0..1000 {
        held = client.outage().map_or(held, |o| o.held.max(held));
        if held >= 56 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(held >= 56, "the calls are held (held {held})");
    let opened_in_outage = counters.requests.load(Ordering::SeqCst);
    counters.down.store(false, Ordering::SeqCst);
    let recovered = std::time::Instant::now();
    for t in threads {
        t.join().unwrap();
    }
    let most = counters.most_after_recovery.load(Ordering::SeqCst);
    eprintln!(
        "{most} connections opening at once at most; drained in {:?}",
        recovered.elapsed()
    );
    // Each of RECOVERY_OPENS holds its turn until its answer (at most OPEN_HOLD, 250 ms,
    // far above the server's 20 ms): twice as many leaves room for a loaded machine. All
    // at once, most of the threads that never connected would be opening together.
    assert!(
        most <= 2 * RECOVERY_OPENS,
        "{most} connections were opening at once after the recovery \
         ({opened_in_outage} requests went into the outage)"
    );
    assert_eq!(counters.opening.load(Ordering::SeqCst), 0);
    drop(server);
}
