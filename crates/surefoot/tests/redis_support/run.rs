//! A run the deployment tests interrupt: one PyAI client on the emulator (40/s burst 5,
//! paced at that limit through the store under test), four tasks sharing a number of GETs,
//! and the count of calls that failed once they are done.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use surefoot::pacing::{RateLimit, RedisStore};
use surefoot_emulator::{Config, Emulator, EmulatorHandle};
use tokio::task::JoinHandle;

pub struct Run {
    // Dropped in this order: the tasks and the emulator before their runtime.
    tasks: Vec<JoinHandle<u64>>,
    pub emu: EmulatorHandle,
    pub client: surefoot::pyai::Client,
    pub store: Arc<RedisStore>,
    pub rt: tokio::runtime::Runtime,
}

impl Run {
    /// Starts `total` GETs once the store at `url` answers.
    pub fn start(url: &str, total: usize) -> Run {
        let rt = super::runtime();
        let emu = rt.block_on(async {
            Emulator::start(Config::pyai().rate_limit(40.0, 5))
                .await
                .unwrap()
        });
        let store = Arc::new(RedisStore::connect(url).unwrap());
        let client = surefoot::pyai::Client::builder()
            .base_url(emu.url())
            .api_key("pyai_sk_full_0001")
            .rate_limit(RateLimit::parse("40/s burst 5").unwrap())
            .backoff(Duration::from_millis(20), Duration::from_millis(200))
            .pacing_store(store.clone())
            .build_pyai()
            .unwrap();
        assert!(rt.block_on(store.wait_available(Duration::from_secs(5))));
        let next = Arc::new(AtomicUsize::new(0));
        let tasks = (0..4)
            .map(|_| {
                let (c, next) = (client.clone(), next.clone());
                rt.spawn(async move {
                    let mut failed = 0u64;
                    while next.fetch_add(1, Ordering::SeqCst) < total {
                        if let Err(e) = c.client().get("/v1/transcription/jobs").send().await {
                            eprintln!("call failed: {} {}", e.code(), e.message());
                            failed += 1;
                        }
                    }
                    failed
                })
            })
            .collect();
        Run {
            tasks,
            emu,
            client,
            store,
            rt,
        }
    }

    /// Waits for every call; how many failed.
    pub fn failed(&mut self) -> u64 {
        let tasks = std::mem::take(&mut self.tasks);
        self.rt.block_on(async {
            let mut failed = 0;
            for t in tasks {
                failed += t.await.unwrap();
            }
            failed
        })
    }

    /// The emulator's counters as JSON (`rate_limited`: its 429s).
    pub fn stats(&self) -> serde_json::Value {
        serde_json::to_value(self.emu.stats()).unwrap()
    }
}
