//! Where blocking callers (`surefoot::blocking`, the C ABI, the Python binding) run the
//! core's futures: the one shared tokio runtime, created on first use with two worker
//! threads, for work that goes on in the background ([`block_on`]); and each calling
//! thread's own current-thread runtime, for a call the thread drives itself
//! ([`block_on_here`]). Both are created anew in a child process after `fork()`, where the
//! parent's threads and I/O drivers are not the child's.

use std::cell::{Cell, RefCell};
use std::sync::Mutex;

use tokio::runtime::{Builder, Handle, Runtime};

use crate::error::{Error, Result};

static SHARED: Mutex<Option<(u32, Handle)>> = Mutex::new(None);

/// I/O events a thread's own runtime takes from the kernel per turn (tokio's default is
/// 1,024): the thread drives one call at a time, on a connection or two.
const EVENTS_PER_TICK: usize = 64;

/// A handle to the shared runtime (created on first use, or again after a fork).
///
/// ```
/// let value = surefoot::runtime::handle().block_on(async { 40 + 2 });
/// assert_eq!(value, 42);
/// ```
pub fn handle() -> Handle {
    let pid = std::process::id();
    let mut guard = crate::leaves::sync::lock(&SHARED);
    if let Some((owner, handle)) = guard.as_ref()
        && *owner == pid
    {
        return handle.clone();
    }
    let runtime = new_runtime();
    let handle = runtime.handle().clone();
    // The runtime lives as long as the process (its handle is handed out everywhere). A
    // runtime inherited through fork() is forgotten too: its threads are gone in the child.
    std::mem::forget(runtime);
    *guard = Some((pid, handle.clone()));
    handle
}

/// This process's id, read from the kernel once per process: a child after `fork()` reads
/// its own (a handler registered with `pthread_atfork` forgets the cached one). Two
/// `getpid` system calls a C call less.
pub(crate) fn process_id() -> u32 {
    #[cfg(unix)]
    {
        use std::sync::atomic::{AtomicU32, Ordering};
        use std::sync::Once;
        static PID: AtomicU32 = AtomicU32::new(0);
        static HANDLER: Once = Once::new();
        extern "C" fn in_child() {
            PID.store(0, Ordering::Relaxed);
        }
        let cached = PID.load(Ordering::Relaxed);
        if cached != 0 {
            return cached;
        }
        HANDLER.call_once(|| {
            // SAFETY: registers a handler that only stores to an atomic.
            unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
        });
        let pid = std::process::id();
        PID.store(pid, Ordering::Relaxed);
        pid
    }
    #[cfg(not(unix))]
    {
        std::process::id()
    }
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
        return Err(inside_a_runtime());
    }
    handle().block_on(future)
}

/// This thread's own runtime ([`block_on_here`]) and the process it was made in.
struct Here {
    pid: u32,
    runtime: Runtime,
}

thread_local! {
    static HERE: RefCell<Option<Here>> = const { RefCell::new(None) };
    /// Set while this thread drives a call in [`block_on_here`].
    static DRIVING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `future` to completion on the calling thread's own current-thread runtime: the
/// thread drives the call's I/O and timers itself, with no hop to the shared runtime's
/// workers (one wake-up per answer, as libcurl's easy interface). Shared state — pacing,
/// the outage hold, the retry budget, metrics — is the same whichever runtime a call runs
/// on; connections are per thread (see `client::http_stack`). Work a call spawns runs only
/// while the thread is inside a call: anything that must go on in the background (page
/// prefetch, a session ended on drop, a bulk run) belongs on the shared runtime
/// ([`block_on`]). The thread's runtime is made on first use, again in a child after
/// `fork()`, and dropped when the thread ends; if it cannot be made, the call runs on the
/// shared runtime. Fails (instead of panicking) when called from inside an async runtime.
///
/// ```
/// let n = surefoot::runtime::block_on_here(async { Ok::<_, surefoot::Error>(7) })?;
/// assert_eq!(n, 7);
/// # Ok::<(), surefoot::Error>(())
/// ```
pub fn block_on_here<F, T>(future: F) -> Result<T>
where
    F: std::future::Future<Output = Result<T>>,
{
    if Handle::try_current().is_ok() {
        return Err(inside_a_runtime());
    }
    // Boxed: the call's future is large, and moving it into the runtime's frames by value
    // cost a few per cent of a C call's CPU in copies.
    let mut future = Some(Box::pin(future));
    let ran = HERE.try_with(|cell| {
        let Ok(mut slot) = cell.try_borrow_mut() else {
            return None;
        };
        let pid = process_id();
        if slot.as_ref().is_some_and(|here| here.pid != pid) {
            // Made in the parent: its I/O driver's descriptors are shared with it. Forgotten,
            // like the shared runtime after a fork.
            std::mem::forget(slot.take());
        }
        if slot.is_none() {
            let runtime = Builder::new_current_thread()
                .enable_all()
                .max_io_events_per_tick(EVENTS_PER_TICK)
                .build()
                .ok()?;
            *slot = Some(Here { pid, runtime });
        }
        let here = slot.as_ref()?;
        let _driving = Driving::enter();
        Some(here.runtime.block_on(future.take()?))
    });
    match (ran, future) {
        (Ok(Some(result)), _) => result,
        // No runtime of its own (the thread is ending, or it could not be made).
        (_, Some(future)) => handle().block_on(future),
        (_, None) => unreachable!("a future that ran returned its result"),
    }
}

/// Whether the calling thread is driving a call in [`block_on_here`] right now.
pub(crate) fn driving_here() -> bool {
    DRIVING.try_with(Cell::get).unwrap_or(false)
}

/// Marks the thread as driving a call until dropped (a panic included).
struct Driving(bool);

impl Driving {
    fn enter() -> Driving {
        Driving(DRIVING.with(|d| d.replace(true)))
    }
}

impl Drop for Driving {
    fn drop(&mut self) {
        let _ = DRIVING.try_with(|d| d.set(self.0));
    }
}

fn inside_a_runtime() -> Error {
    Error::invalid_request(
        "a blocking surefoot call was made from inside an async runtime; use the async client there",
    )
}
