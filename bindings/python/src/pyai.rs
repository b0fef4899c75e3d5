//! The PyAI clients: `PyAI` / `AsyncPyAI` with `.jobs` (create exactly once, get, list) and
//! `.realtime.open(agent_id)` — a session holding a concurrency slot, usable as a (async)
//! context manager that ends the session on exit. Each operation is written once as a
//! future, and the classes once for both flavours of [`twins`], except `.realtime`, whose
//! `open()` waits for the session (sync) or returns an opener to `await` or `async with`.

use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::PyTuple;
use surefoot::pyai::{self, CreateJob};
use surefoot::Api;

use crate::bridge::{spawn, wait, PyNone};
use crate::bulk;
use crate::convert::to_value;
use crate::models::Job;
use crate::options::Core;
use crate::pagination::{pages_of, Item, PageStream};
use crate::twins::{self, client_class, context_class};

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

fn list_items(
    py: Python<'_>,
    core: &Core,
    limit: Option<i64>,
    cursor: Option<String>,
) -> PyResult<PageStream> {
    let mut walk = client(py, core)?.jobs().list();
    if let Some(limit) = limit {
        // Checked by the core against the profile's range on the first item.
        walk = walk.limit_i64(limit);
    }
    if let Some(c) = cursor {
        walk = walk.start_cursor(c);
    }
    Ok(pages_of(walk, Item::Job))
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

// ----- the classes, once for each flavour ---------------------------------------------------

/// The classes of one flavour of [`twins`] (`sync` or `asyncio`): the client, its jobs and
/// its realtime sessions. The client's `.realtime` (`$realtime`) differs by flavour and is
/// written out below.
macro_rules! pyai_classes {
    (
        $(#[$attr:meta])* $flavour:ident $client:ident, $jobs:ident, $realtime:ident,
        $(#[$session_attr:meta])* $session:ident
    ) => {
        client_class! {
            $(#[$attr])*
            $flavour $client(Api::Pyai) {
                /// Transcription jobs.
                #[getter]
                fn jobs(&self) -> $jobs {
                    $jobs {
                        core: self.core.clone(),
                    }
                }

                /// Realtime sessions.
                #[getter]
                fn realtime(&self) -> $realtime {
                    $realtime {
                        core: self.core.clone(),
                    }
                }
            }
        }

        #[doc = concat!("`", stringify!($client), ".jobs`.")]
        #[pyclass(frozen, module = "surefoot._native")]
        pub(crate) struct $jobs {
            core: Arc<Core>,
        }

        #[pymethods]
        impl $jobs {
            fn __repr__(&self) -> String {
                format!("<{}.jobs>", self.core.repr(stringify!($client)))
            }

            /// Creates a job exactly once: one `Idempotency-Key` (generated unless given) and
            /// the same body on every retry.
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
                twins::$flavour::run_here(py, create_op(client(py, &self.core)?, params))
            }

            /// Creates one job per item, each exactly once (the core's `create_many`): at
            /// most `concurrency` at a time on this client's pacing, transient trouble
            /// requeued with the same key; returns a `JobResult` per item, and hands each to
            /// `on_result` as it is delivered (in input order, or as completed).
            #[pyo3(signature = (items, concurrency = None, key = None, ordered = true, progress = None, on_result = None))]
            #[allow(clippy::too_many_arguments)]
            fn create_many<'py>(
                &self,
                py: Python<'py>,
                items: &Bound<'py, PyAny>,
                concurrency: Option<&Bound<'py, PyAny>>,
                key: Option<&Bound<'py, PyAny>>,
                ordered: bool,
                progress: Option<Py<PyAny>>,
                on_result: Option<Py<PyAny>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let args = bulk::create_many_args(
                    py, items, concurrency, key, ordered, progress, on_result,
                )?;
                twins::$flavour::run(py, bulk::create_many_op(client(py, &self.core)?, args))
            }

            /// One job.
            fn get<'py>(
                &self,
                py: Python<'py>,
                id: &Bound<'py, PyAny>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let id = crate::convert::str_arg(id, "id")?;
                twins::$flavour::run_here(py, get_op(client(py, &self.core)?, id))
            }

            /// Every job, newest first, fetched lazily page by page.
            #[pyo3(signature = (limit = None, cursor = None))]
            fn list(
                &self,
                py: Python<'_>,
                limit: Option<&Bound<'_, PyAny>>,
                cursor: Option<&Bound<'_, PyAny>>,
            ) -> PyResult<twins::$flavour::Pages> {
                let limit = crate::convert::limit_arg(limit)?;
                let cursor = crate::convert::opt_str_arg(cursor, "cursor")?;
                let pages = list_items(py, &self.core, limit, cursor)?;
                Ok(twins::$flavour::Pages::from_pages(pages))
            }
        }

        context_class! {
            $(#[$session_attr])*
            $flavour $session {
                id: String,
                agent_id: String,
                inner: SessionSlot,
            }

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
            fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                let session = take(&self.inner);
                twins::$flavour::run(py, async move { close_op(session).await.map(|()| PyNone) })
            }

            fn __repr__(&self) -> String {
                format!(
                    "{}(id='{}', agent_id='{}', closed={})",
                    stringify!($session),
                    self.id,
                    self.agent_id,
                    if self.closed() { "True" } else { "False" }
                )
            }
        }

        impl $session {
            fn new(session: pyai::RealtimeSession) -> Self {
                $session {
                    id: session.id().to_string(),
                    agent_id: session.agent_id().to_string(),
                    inner: Arc::new(Mutex::new(Some(session))),
                }
            }
        }
    };
}

pyai_classes! {
    /// The PyAI client (key from `PYAI_API_KEY` when `api_key` is omitted).
    sync PyAI, Jobs, Realtime,
    /// An open realtime session; `close()` (or leaving the `with` block) ends it and frees its
    /// slot. A session dropped while open is ended in the background.
    RealtimeSession
}

pyai_classes! {
    /// The async PyAI client.
    asyncio AsyncPyAI, AsyncJobs, AsyncRealtime,
    /// An open realtime session of the async client.
    AsyncRealtimeSession
}

// ----- realtime: opening a session differs by flavour -----------------------------------

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
