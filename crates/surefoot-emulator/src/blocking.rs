//! A blocking front for callers without an async runtime (the C and Python bindings,
//! plain `#[test]`s): [`start_blocking`] runs the emulator on its own two-worker tokio
//! runtime on a background thread and hands back a [`BlockingEmulator`] with the same
//! controls as the async handle. Dropping it shuts the server down and joins the thread.

use std::io;
use std::net::SocketAddr;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::config::Config;
use crate::faults::Fault;
use crate::keys::KeyConfig;
use crate::state::Control;
use crate::stats::Stats;
use crate::Emulator;

/// An emulator running on a private runtime thread; stops on drop.
pub struct BlockingEmulator {
    addr: SocketAddr,
    control: Control,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Starts an emulator on a background thread with its own tokio runtime.
pub fn start_blocking(config: Config) -> io::Result<BlockingEmulator> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<io::Result<(SocketAddr, Control)>>();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("surefoot-emulator".to_string())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("surefoot-emulator-rt")
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            runtime.block_on(async move {
                match Emulator::start(config).await {
                    Ok(handle) => {
                        let _ = ready_tx.send(Ok((handle.addr(), handle.control.clone())));
                        let _ = stop_rx.await;
                        handle.shutdown().await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
        })?;
    let (addr, control) = ready_rx
        .recv()
        .map_err(|_| io::Error::other("emulator thread exited during start"))??;
    Ok(BlockingEmulator {
        addr,
        control,
        stop: Some(stop_tx),
        thread: Some(thread),
    })
}

impl BlockingEmulator {
    /// Base URL, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Adds a fault (see [`Fault`]).
    pub fn inject(&self, fault: Fault) {
        self.control.inject(fault);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.control.clear_faults();
    }

    /// The active faults, in check order.
    pub fn faults(&self) -> Vec<Fault> {
        self.control.faults()
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.control.stats()
    }

    /// Zeroes the counters.
    pub fn reset_stats(&self) {
        self.control.reset_stats();
    }

    /// The active keys (configured and created, not revoked).
    pub fn keys(&self) -> Vec<KeyConfig> {
        self.control.keys()
    }

    /// Stops the server and waits for its thread.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for BlockingEmulator {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}
