//! The one tokio runtime that blocking callers share (`surefoot::blocking`, the C ABI, the
//! Python binding): created on first use with two worker threads, and created anew in a
//! child process after `fork()`, where the parent's worker threads do not exist.

use std::sync::Mutex;

use tokio::runtime::{Builder, Handle, Runtime};

use crate::error::{Error, Result};

static SHARED: Mutex<Option<(u32, Handle)>> = Mutex::new(None);

/// A handle to the shared runtime (created on first use, or again after a fork).
///
/// ```
/// let value = surefoot::runtime::handle().block_on(async { 40 + 2 });
/// assert_eq!(value, 42);
/// ```
pub fn handle() -> Handle {
    let pid = std::process::id();
    let mut guard = crate::leaves::sync::lock(&SHARED);
    if let Some((owner, handle)) = guard.as_ref() {
        if *owner == pid {
            return handle.clone();
        }
    }
    let runtime = new_runtime();
    let handle = runtime.handle().clone();
    // The runtime lives as long as the process (its handle is handed out everywhere). A
    // runtime inherited through fork() is forgotten too: its threads are gone in the child.
    std::mem::forget(runtime);
    *guard = Some((pid, handle.clone()));
    handle
}

fn new_runtime() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("surefoot")
        .enable_all()
        .build()
        .expect("cannot start the surefoot runtime")
}

/// Runs `future` to completion on the shared runtime, blocking the calling thread. Fails
/// (instead of panicking) when called from inside an async runtime.
///
/// ```
/// let n = surefoot::runtime::block_on(async { Ok::<_, surefoot::Error>(7) })?;
/// assert_eq!(n, 7);
/// # Ok::<(), surefoot::Error>(())
/// ```
pub fn block_on<F, T>(future: F) -> Result<T>
where
    F: std::future::Future<Output = Result<T>>,
{
    if Handle::try_current().is_ok() {
        return Err(Error::invalid_request(
            "a blocking surefoot call was made from inside an async runtime; use the async client there",
        ));
    }
    handle().block_on(future)
}
