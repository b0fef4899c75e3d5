//! Keeping the shared runtime's threads out of a Python that is shutting down.
//!
//! The runtime's worker threads call into Python on their own: to complete an asyncio
//! future (`bridge::spawn`), to hand a log record to the `surefoot` logger (`logging`), and
//! to run a `create_many` callback (`bulk`). Once `Py_FinalizeEx` has begun, a thread that
//! takes the GIL is stopped mid-call (CPython ends it with `pthread_exit`, through Rust
//! frames) or finds a half-torn-down interpreter: the process aborted with
//! "PyGILState_Release: thread state must be current" or crashed, about one asyncio
//! program in four that exited with calls still in flight. So every such call goes through
//! [`with_python`], and an `atexit` hook ([`install`]) — which runs before finalization —
//! closes the door and waits (without the GIL, at most [`DRAIN`]) for the threads already
//! inside to leave. After it, a late completion is dropped: nobody is waiting for it any
//! more, and the Python objects it holds are released through pyo3's deferred pool.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pyo3::prelude::*;

/// Set by the `atexit` hook: no runtime thread enters Python after it.
static CLOSED: AtomicBool = AtomicBool::new(false);
/// Runtime threads inside [`with_python`] right now.
static INSIDE: AtomicUsize = AtomicUsize::new(0);
/// The longest the `atexit` hook waits for the threads already inside.
const DRAIN: Duration = Duration::from_secs(2);

/// Runs `f` with the GIL from a runtime thread, unless the interpreter is shutting down
/// (then `None`, and `f` is not run).
pub(crate) fn with_python<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> Option<R> {
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            INSIDE.fetch_sub(1, Ordering::SeqCst);
        }
    }
    // Counted before the check: the hook either sees this thread inside and waits for it,
    // or this thread sees the door closed.
    INSIDE.fetch_add(1, Ordering::SeqCst);
    let _leave = Leave;
    if CLOSED.load(Ordering::SeqCst) {
        return None;
    }
    Python::try_attach(f)
}

/// The `atexit` hook: closes the door, then lets the threads already inside finish.
#[pyfunction]
fn _close_for_exit(py: Python<'_>) {
    CLOSED.store(true, Ordering::SeqCst);
    py.detach(|| {
        let until = Instant::now() + DRAIN;
        while INSIDE.load(Ordering::SeqCst) > 0 && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// Registers the hook with Python's `atexit` (at import of `surefoot._native`).
pub(crate) fn install(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let hook = wrap_pyfunction!(_close_for_exit, m)?;
    m.py().import("atexit")?.call_method1("register", (hook,))?;
    Ok(())
}
