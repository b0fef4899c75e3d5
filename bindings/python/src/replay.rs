//! `Replay`: the conformance vectors' scripted server (`surefoot_emulator::replay`) for the
//! Python vector runner (tests/python/test_vectors.py). It only starts and stops the Rust
//! server on the core's runtime and hands its URL over; the runner calls it through the
//! ordinary `surefoot` clients and compares in Python.

use std::sync::Mutex;

use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use surefoot_emulator::replay;

/// The replay server of the vector files in `dir`, on `http://127.0.0.1:<port>`.
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct Replay {
    url: String,
    inner: Mutex<Option<replay::Replay>>,
}

#[pymethods]
impl Replay {
    #[new]
    fn new(py: Python<'_>, dir: std::path::PathBuf) -> PyResult<Self> {
        let server = py
            .detach(|| {
                surefoot::runtime::handle().block_on(replay::Replay::start(
                    dir,
                    [127, 0, 0, 1].into(),
                    0,
                ))
            })
            .map_err(|e| PyOSError::new_err(format!("cannot start the replay server: {e}")))?;
        Ok(Replay {
            url: server.url(),
            inner: Mutex::new(Some(server)),
        })
    }

    /// The server's base URL.
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// Stops the server (a second call does nothing).
    fn close(&self, py: Python<'_>) {
        py.detach(|| {
            let server = self.inner.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(s) = server {
                surefoot::runtime::handle().block_on(s.shutdown());
            }
        })
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) {
        self.close(py);
    }
}
