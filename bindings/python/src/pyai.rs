//! The PyAI clients: `PyAI` / `AsyncPyAI` with `.jobs` (create exactly once, get, list) and
//! `.realtime.open(agent_id)` — a session holding a concurrency slot, usable as a (async)
//! context manager that ends the session on exit.

use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use surefoot::pyai::{self, CreateJob};
use surefoot::Api;

use crate::bridge::{ready, spawn, wait, PyNone};
use crate::convert::to_value;
use crate::models::Job;
use crate::options::Core;
use crate::pagination::{items, page_limit, AsyncPaginator, Item, Items, Paginator};

fn client(py: Python<'_>, core: &Core) -> PyResult<pyai::Client> {
    Ok(pyai::Client::from_client(core.client(py)?))
}

// ----- the operations, once --------------------------------------------------------------

fn create_params(
    py: Python<'_>,
    audio_url: String,
    idempotency_key: Option<String>,
    language: Option<String>,
    metadata: Option<&Bound<'_, PyAny>>,
) -> PyResult<CreateJob> {
    let mut params = CreateJob::new(audio_url);
    if let Some(key) = idempotency_key {
        params = params.idempotency_key(key);
    }
    if let Some(language) = language {
        params = params.language(language);
    }
    if let Some(metadata) = metadata.filter(|m| !m.is_none()) {
        params = params.metadata(to_value(py, metadata)?);
    }
    Ok(params)
}

async fn create_op(c: pyai::Client, params: CreateJob) -> surefoot::Result<Job> {
    c.jobs().create(params).await.map(Job)
}

async fn get_op(c: pyai::Client, id: String) -> surefoot::Result<Job> {
    c.jobs().get(&id).await.map(Job)
}

fn list_items(py: Python<'_>, core: &Core, limit: Option<i64>) -> PyResult<Items> {
    let mut walk = client(py, core)?.jobs().list();
    if let Some(limit) = page_limit(py, limit)? {
        walk = walk.limit(limit);
    }
    Ok(items(walk, Item::Job))
}

type SessionSlot = Arc<Mutex<Option<pyai::RealtimeSession>>>;

fn take(slot: &SessionSlot) -> Option<pyai::RealtimeSession> {
    slot.lock().unwrap_or_else(|p| p.into_inner()).take()
}

async fn open_op(c: pyai::Client, agent_id: String) -> surefoot::Result<pyai::RealtimeSession> {
    c.realtime().open(&agent_id).await
}

async fn close_op(session: Option<pyai::RealtimeSession>) -> surefoot::Result<()> {
    match session {
        Some(s) => s.close().await,
        None => Ok(()),
    }
}

// ----- sync ------------------------------------------------------------------------------

/// The PyAI client (key from `PYAI_API_KEY` when `api_key` is omitted).
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct PyAI {
    core: Arc<Core>,
}

#[pymethods]
impl PyAI {
    #[new]
    #[pyo3(signature = (api_key = None, base_url = None, **options))]
    fn new(
        py: Python<'_>,
        api_key: Option<String>,
        base_url: Option<String>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        Ok(PyAI {
            core: Core::build(py, Api::Pyai, base_url, api_key, options)?,
        })
    }

    /// Transcription jobs.
    #[getter]
    fn jobs(&self) -> Jobs {
        Jobs {
            core: self.core.clone(),
        }
    }

    /// Realtime sessions.
    #[getter]
    fn realtime(&self) -> Realtime {
        Realtime {
            core: self.core.clone(),
        }
    }

    fn close(&self) {
        self.core.close();
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, _exc: &Bound<'_, PyTuple>) {
        self.core.close();
    }

    fn __repr__(&self) -> String {
        self.core.repr("PyAI")
    }
}

/// `PyAI.jobs`.
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct Jobs {
    core: Arc<Core>,
}

#[pymethods]
impl Jobs {
    /// Creates a job exactly once: one `Idempotency-Key` (generated unless given) and the
    /// same body on every retry.
    #[pyo3(signature = (audio_url, *, idempotency_key = None, language = None, metadata = None))]
    fn create(
        &self,
        py: Python<'_>,
        audio_url: String,
        idempotency_key: Option<String>,
        language: Option<String>,
        metadata: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Job> {
        let params = create_params(py, audio_url, idempotency_key, language, metadata)?;
        wait(py, create_op(client(py, &self.core)?, params))
    }

    /// One job.
    fn get(&self, py: Python<'_>, id: String) -> PyResult<Job> {
        wait(py, get_op(client(py, &self.core)?, id))
    }

    /// Every job, newest first, fetched lazily page by page.
    #[pyo3(signature = (limit = None))]
    fn list(&self, py: Python<'_>, limit: Option<i64>) -> PyResult<Paginator> {
        Ok(Paginator::new(list_items(py, &self.core, limit)?))
    }
}

/// `PyAI.realtime`.
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct Realtime {
    core: Arc<Core>,
}

#[pymethods]
impl Realtime {
    /// Opens a session (waiting for a slot when `max_concurrent_sessions` is set); use it
    /// as a context manager to end it on exit.
    fn open(&self, py: Python<'_>, agent_id: String) -> PyResult<RealtimeSession> {
        let session = wait(py, open_op(client(py, &self.core)?, agent_id))?;
        Ok(RealtimeSession::new(session))
    }
}

/// An open realtime session; `close()` (or leaving the `with` block) ends it and frees its
/// slot. A session dropped while open is ended in the background.
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct RealtimeSession {
    id: String,
    agent_id: String,
    inner: SessionSlot,
}

impl RealtimeSession {
    fn new(session: pyai::RealtimeSession) -> Self {
        RealtimeSession {
            id: session.id().to_string(),
            agent_id: session.agent_id().to_string(),
            inner: Arc::new(Mutex::new(Some(session))),
        }
    }
}

#[pymethods]
impl RealtimeSession {
    #[getter]
    fn id(&self) -> &str {
        &self.id
    }

    #[getter]
    fn agent_id(&self) -> &str {
        &self.agent_id
    }

    #[getter]
    fn closed(&self) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
    }

    /// Ends the session and frees its slot (a second call does nothing).
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        wait(py, close_op(take(&self.inner)))
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> PyResult<()> {
        self.close(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "RealtimeSession(id='{}', agent_id='{}', closed={})",
            self.id,
            self.agent_id,
            if self.closed() { "True" } else { "False" }
        )
    }
}

// ----- async -----------------------------------------------------------------------------

/// The async PyAI client.
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct AsyncPyAI {
    core: Arc<Core>,
}

#[pymethods]
impl AsyncPyAI {
    #[new]
    #[pyo3(signature = (api_key = None, base_url = None, **options))]
    fn new(
        py: Python<'_>,
        api_key: Option<String>,
        base_url: Option<String>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        Ok(AsyncPyAI {
            core: Core::build(py, Api::Pyai, base_url, api_key, options)?,
        })
    }

    #[getter]
    fn jobs(&self) -> AsyncJobs {
        AsyncJobs {
            core: self.core.clone(),
        }
    }

    #[getter]
    fn realtime(&self) -> AsyncRealtime {
        AsyncRealtime {
            core: self.core.clone(),
        }
    }

    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.core.close();
        ready(py, py.None())
    }

    fn __aenter__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        ready(py, slf.into_any().unbind())
    }

    #[pyo3(signature = (*_exc))]
    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _exc: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.close(py)
    }

    fn __repr__(&self) -> String {
        self.core.repr("AsyncPyAI")
    }
}

/// `AsyncPyAI.jobs`.
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct AsyncJobs {
    core: Arc<Core>,
}

#[pymethods]
impl AsyncJobs {
    #[pyo3(signature = (audio_url, *, idempotency_key = None, language = None, metadata = None))]
    fn create<'py>(
        &self,
        py: Python<'py>,
        audio_url: String,
        idempotency_key: Option<String>,
        language: Option<String>,
        metadata: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let params = create_params(py, audio_url, idempotency_key, language, metadata)?;
        spawn(py, create_op(client(py, &self.core)?, params))
    }

    fn get<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        spawn(py, get_op(client(py, &self.core)?, id))
    }

    #[pyo3(signature = (limit = None))]
    fn list(&self, py: Python<'_>, limit: Option<i64>) -> PyResult<AsyncPaginator> {
        Ok(AsyncPaginator::new(list_items(py, &self.core, limit)?))
    }
}

/// `AsyncPyAI.realtime`.
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct AsyncRealtime {
    core: Arc<Core>,
}

#[pymethods]
impl AsyncRealtime {
    /// Starts opening a session: `await` it for the session, or `async with` it to have the
    /// session ended on exit.
    fn open(&self, py: Python<'_>, agent_id: String) -> PyResult<AsyncSessionOpener> {
        let c = client(py, &self.core)?;
        let future = spawn(py, async move {
            open_op(c, agent_id).await.map(AsyncRealtimeSession::new)
        })?;
        Ok(AsyncSessionOpener {
            future: future.unbind(),
        })
    }
}

/// What `AsyncPyAI.realtime.open()` returns: awaitable (→ the session) and an async context
/// manager (→ the session, closed on exit).
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct AsyncSessionOpener {
    future: Py<PyAny>,
}

#[pymethods]
impl AsyncSessionOpener {
    fn __await__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.future.bind(py).call_method0("__await__")
    }

    fn __aenter__<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.future.bind(py).clone()
    }

    #[pyo3(signature = (*_exc))]
    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _exc: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let session = self.future.bind(py).call_method0("result")?;
        session.call_method0("close")
    }
}

/// An open realtime session of the async client.
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct AsyncRealtimeSession {
    id: String,
    agent_id: String,
    inner: SessionSlot,
}

impl AsyncRealtimeSession {
    fn new(session: pyai::RealtimeSession) -> Self {
        AsyncRealtimeSession {
            id: session.id().to_string(),
            agent_id: session.agent_id().to_string(),
            inner: Arc::new(Mutex::new(Some(session))),
        }
    }
}

#[pymethods]
impl AsyncRealtimeSession {
    #[getter]
    fn id(&self) -> &str {
        &self.id
    }

    #[getter]
    fn agent_id(&self) -> &str {
        &self.agent_id
    }

    #[getter]
    fn closed(&self) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
    }

    /// Ends the session and frees its slot.
    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let session = take(&self.inner);
        spawn(py, async move { close_op(session).await.map(|()| PyNone) })
    }

    fn __aenter__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        ready(py, slf.into_any().unbind())
    }

    #[pyo3(signature = (*_exc))]
    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _exc: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.close(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "AsyncRealtimeSession(id='{}', agent_id='{}', closed={})",
            self.id,
            self.agent_id,
            if self.closed() { "True" } else { "False" }
        )
    }
}
