//! A call that ends by its deadline, its timeout or cancellation closes its in-flight
//! connection instead of leaving the socket open until the server gives up (against a
//! server that accepts and never answers, counting the sockets the client closed).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

/// A server that reads requests and never answers; counts accepted and client-closed sockets.
async fn silent_server() -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let closed = Arc::new(AtomicUsize::new(0));
    let (a, c) = (accepted.clone(), closed.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            a.fetch_add(1, Ordering::SeqCst);
            let c = c.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => {
                            c.fetch_add(1, Ordering::SeqCst);
                            return;
                        }
                        Ok(_) => {}
                    }
                }
            });
        }
    });
    (url, accepted, closed)
}

async fn wait_for(n: usize, counter: &AtomicUsize) -> usize {
    for _ in 0..100 {
        if counter.load(Ordering::SeqCst) >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    counter.load(Ordering::SeqCst)
}

#[tokio::test]
async fn calls_past_their_deadline_close_their_connections() {
    let (url, accepted, closed) = silent_server().await;
    let client = surefoot::Client::builder()
        .base_url(&url)
        .api_key("sk-abandoned-0123456789")
        .max_retries(0)
        .deadline(Duration::from_millis(200))
        .build()
        .unwrap();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.get("/v1/slow").send().await })
        })
        .collect();
    for call in calls {
        let err = call.await.unwrap().unwrap_err();
        assert_eq!(err.code(), "timeout");
    }
    assert_eq!(wait_for(20, &accepted).await, 20);
    assert_eq!(
        wait_for(20, &closed).await,
        20,
        "every abandoned connection is closed"
    );
}

#[tokio::test]
async fn cancelled_calls_close_their_connections() {
    let (url, accepted, closed) = silent_server().await;
    let client = surefoot::Client::builder()
        .base_url(&url)
        .api_key("sk-abandoned-0123456789")
        .max_retries(0)
        .build()
        .unwrap();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move {
                tokio::time::timeout(Duration::from_millis(200), c.get("/v1/slow").send()).await
            })
        })
        .collect();
    for call in calls {
        assert!(call.await.unwrap().is_err(), "cancelled by the timeout");
    }
    assert_eq!(wait_for(20, &accepted).await, 20);
    assert_eq!(
        wait_for(20, &closed).await,
        20,
        "every cancelled connection is closed"
    );
}
