//! Running the core's futures for Python, on the one shared runtime
//! ([`surefoot::runtime::handle`], re-created after `fork()`):
//!
//! - [`wait`] — the sync path of work that goes on in the background (lists, bulk work,
//!   realtime sessions): spawn the future, then wait on a channel *without the GIL* in
//!   slices of [`SLICE`], checking for signals between slices so Ctrl-C raises
//!   `KeyboardInterrupt` within a slice (the Rust task is then cancelled); [`block`] is
//!   [`wait`] handing the value over as a Python object, as [`spawn`] hands over its future;
//! - [`wait_here`] / [`block_here`] — the sync path of a single call: the calling thread
//!   drives the future itself, without the GIL, on its own runtime
//!   ([`surefoot::runtime::block_on_here`]: no hop to a runtime thread), checking for signals
//!   every [`SLICE`] in the same way (the future is then dropped, which cancels it);
//! - [`spawn`] — the async path: spawn the future and return an `asyncio.Future` of the
//!   caller's running loop, completed in batches through the loop's mailbox (`mailbox`: one
//!   wake-up of the loop per batch, the Python result built on the loop's thread; a loop
//!   without one is completed through `loop.call_soon_threadsafe`), no thread per call;
//!   cancelling the asyncio future aborts the Rust task.

use std::future::Future;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyCFunction;
use pyo3::IntoPyObjectExt;
use tokio::task::AbortHandle;

use crate::errors::to_pyerr;

/// Longest time a blocked call goes without checking for signals (Ctrl-C).
pub(crate) const SLICE: Duration = Duration::from_millis(50);

/// A value the async path can hand to Python once the future is done.
pub(crate) trait IntoPython: Send + 'static {
    fn into_python(self, py: Python<'_>) -> PyResult<Py<PyAny>>;
}

impl<T> IntoPython for T
where
    T: for<'py> IntoPyObject<'py> + Send + 'static,
{
    fn into_python(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.into_py_any(py)
    }
}

/// `None` for Python (`()` would become an empty tuple).
pub(crate) struct PyNone;

impl<'py> IntoPyObject<'py> for PyNone {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        Ok(py.None().into_bound(py))
    }
}

/// Runs `fut` on the shared runtime and blocks the calling thread until it ends, with the GIL
/// released. Signals are checked every [`SLICE`]: a `KeyboardInterrupt` (or any exception a
/// signal handler raises) cancels the Rust task and propagates.
pub(crate) fn wait<T, F>(py: Python<'_>, fut: F) -> PyResult<T>
where
    T: Send + 'static,
    F: Future<Output = surefoot::Result<T>> + Send + 'static,
{
    crate::logging::refresh_level(py);
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(to_pyerr(py, on_a_runtime_thread()));
    }
    let (tx, rx) = mpsc::sync_channel(1);
    let task = surefoot::runtime::handle().spawn(async move {
        let _ = tx.send(fut.await);
    });
    let mut rx = rx;
    loop {
        // The receiver moves in and out: `detach` needs a `Send` closure.
        let (received, back) = py.detach(move || (rx.recv_timeout(SLICE), rx));
        rx = back;
        match received {
            Ok(result) => return result.map_err(|e| to_pyerr(py, e)),
            Err(RecvTimeoutError::Timeout) => {
                if let Err(interrupted) = py.check_signals() {
                    task.abort();
                    return Err(interrupted);
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(PyRuntimeError::new_err(
                    "surefoot: the request task ended without an answer (it panicked)",
                ))
            }
        }
    }
}

/// How a call driven on the calling thread ended.
enum Ended<T> {
    Done(surefoot::Result<T>),
    Interrupted(PyErr),
}

/// Runs `fut` on the calling thread's own runtime with the GIL released, until it ends or
/// a signal handler raises (checked every [`SLICE`]; the future is then dropped).
pub(crate) fn wait_here<T, F>(py: Python<'_>, fut: F) -> PyResult<T>
where
    T: Send + 'static,
    F: Future<Output = surefoot::Result<T>> + Send + 'static,
{
    crate::logging::refresh_level(py);
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(to_pyerr(py, on_a_runtime_thread()));
    }
    let ended = py.detach(move || {
        surefoot::runtime::block_on_here(async move {
            let mut fut = std::pin::pin!(fut);
            loop {
                let slice = std::pin::pin!(tokio::time::sleep(SLICE));
                match futures::future::select(fut.as_mut(), slice).await {
                    futures::future::Either::Left((result, _)) => return Ok(Ended::Done(result)),
                    futures::future::Either::Right(((), _)) => {
                        if let Err(e) = Python::attach(|py| py.check_signals()) {
                            return Ok(Ended::Interrupted(e));
                        }
                    }
                }
            }
        })
    });
    match ended {
        Ok(Ended::Done(result)) => result.map_err(|e| to_pyerr(py, e)),
        Ok(Ended::Interrupted(e)) => Err(e),
        Err(e) => Err(to_pyerr(py, e)),
    }
}

/// [`wait_here`], the value converted to Python (the sync flavour's `run_here`).
pub(crate) fn block_here<'py, T, F>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    T: IntoPython,
    F: Future<Output = surefoot::Result<T>> + Send + 'static,
{
    Ok(wait_here(py, fut)?.into_python(py)?.into_bound(py))
}

fn on_a_runtime_thread() -> surefoot::Error {
    surefoot::Error::invalid_request(
        "a blocking surefoot call was made on a surefoot runtime thread (from a logging \
         handler?); use the async client there",
    )
}

/// [`wait`], the value converted to Python: the same signature as [`spawn`], so that a sync
/// method and its async twin can share one body (see `twins`).
pub(crate) fn block<'py, T, F>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    T: IntoPython,
    F: Future<Output = surefoot::Result<T>> + Send + 'static,
{
    Ok(wait(py, fut)?.into_python(py)?.into_bound(py))
}

/// Spawns `fut` on the shared runtime and returns an `asyncio.Future` of the running loop
/// that completes with its result (or the matching surefoot exception).
pub(crate) fn spawn<'py, T, F>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    T: IntoPython,
    F: Future<Output = surefoot::Result<T>> + Send + 'static,
{
    crate::logging::refresh_level(py);
    let event_loop = running_loop(py)?;
    let future = event_loop.call_method0("create_future")?;
    let task = match crate::mailbox::of_loop(&event_loop) {
        Some(mailbox) => {
            let target = future.clone().unbind();
            surefoot::runtime::handle().spawn(async move {
                let result = fut.await;
                mailbox.post(Box::new(move |py| settle(py, target.bind(py), result)));
            })
        }
        None => {
            let target = (event_loop.unbind(), future.clone().unbind());
            surefoot::runtime::handle().spawn(async move {
                let result = fut.await;
                // Nothing to complete once the interpreter is shutting down (`shutdown`).
                crate::shutdown::with_python(|py| complete(py, target, result));
            })
        }
    };
    future.call_method1(
        "add_done_callback",
        (CancelOnDone {
            task: task.abort_handle(),
        },),
    )?;
    Ok(future)
}

/// An already-completed future of the running loop (for `__aenter__` and the like).
pub(crate) fn ready<'py>(py: Python<'py>, value: Py<PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let future = running_loop(py)?.call_method0("create_future")?;
    future.call_method1("set_result", (value,))?;
    Ok(future)
}

fn running_loop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    GET_RUNNING_LOOP
        .import(py, "asyncio", "get_running_loop")?
        .call0()
}

/// A call's result as Python: `(true, value)` or `(false, exception)`.
fn outcome<T: IntoPython>(py: Python<'_>, result: surefoot::Result<T>) -> (bool, Py<PyAny>) {
    match result {
        Ok(v) => match v.into_python(py) {
            Ok(obj) => (true, obj),
            Err(e) => (false, e.into_value(py).into_any()),
        },
        Err(e) => (false, to_pyerr(py, e).into_value(py).into_any()),
    }
}

/// Completes `future` on its loop's thread (from the loop's mailbox), its result built there.
fn settle<T: IntoPython>(py: Python<'_>, future: &Bound<'_, PyAny>, result: surefoot::Result<T>) {
    let (ok, value) = outcome(py, result);
    // Fails only when the future is already done (cancelled): nobody is waiting.
    let _ = resolve_future(future, ok, value.into_bound(py));
}

/// Completes `future` from a runtime thread, through `call_soon_threadsafe` (a loop with no
/// mailbox).
fn complete<T: IntoPython>(
    py: Python<'_>,
    (event_loop, future): (Py<PyAny>, Py<PyAny>),
    result: surefoot::Result<T>,
) {
    let (ok, value) = outcome(py, result);
    let Ok(resolve) = resolver(py) else { return };
    // Fails only when the loop is closed: then nobody is waiting any more.
    let _ = event_loop.call_method1(py, "call_soon_threadsafe", (resolve, future, ok, value));
}

fn resolver(py: Python<'_>) -> PyResult<&Bound<'_, PyCFunction>> {
    static RESOLVE: PyOnceLock<Py<PyCFunction>> = PyOnceLock::new();
    RESOLVE
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(wrap_pyfunction!(resolve_future, py)?.unbind())
        })
        .map(|f| f.bind(py))
}

/// Runs on the event loop: completes `future` unless it was cancelled meanwhile.
#[pyfunction]
fn resolve_future(future: &Bound<'_, PyAny>, ok: bool, value: Bound<'_, PyAny>) -> PyResult<()> {
    if future.call_method0("done")?.is_truthy()? {
        return Ok(());
    }
    if ok {
        future.call_method1("set_result", (value,))?;
    } else {
        future.call_method1("set_exception", (value,))?;
    }
    Ok(())
}

/// Done-callback of the asyncio future: a cancelled future aborts the Rust task.
#[pyclass(frozen, module = "surefoot._native")]
struct CancelOnDone {
    task: AbortHandle,
}

#[pymethods]
impl CancelOnDone {
    fn __call__(&self, future: &Bound<'_, PyAny>) -> PyResult<()> {
        if future.call_method0("cancelled")?.is_truthy()? {
            self.task.abort();
        }
        Ok(())
    }
}
