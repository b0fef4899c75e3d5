//! The Specala clients: `Specala` / `AsyncSpecala` with `.transcriptions` (list, get, export,
//! bulk_export) and `.keys` (list, create, revoke). Each operation is one core call, written
//! once as a future and run by the sync ([`wait`]) or async ([`spawn`]) bridge.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use surefoot::specala::{self, Format};
use surefoot::Api;

use crate::bridge::{ready, spawn, wait, PyNone};
use crate::convert::StrMap;
use crate::errors::to_pyerr;
use crate::models::{CreatedKey, KeyInfo, Transcription};
use crate::options::Core;
use crate::pagination::{items, page_limit, AsyncPaginator, Item, Items, Paginator};

fn client(py: Python<'_>, core: &Core) -> PyResult<specala::Client> {
    Ok(specala::Client::from_client(core.client(py)?))
}

fn format(py: Python<'_>, format: &str) -> PyResult<Format> {
    Format::parse(format).map_err(|e| to_pyerr(py, e))
}

// ----- the operations, once --------------------------------------------------------------

fn list_items(py: Python<'_>, core: &Core, limit: Option<i64>) -> PyResult<Items> {
    let mut walk = client(py, core)?.transcriptions().list();
    if let Some(limit) = page_limit(py, limit)? {
        walk = walk.limit(limit);
    }
    Ok(items(walk, Item::Transcription))
}

async fn get_op(c: specala::Client, id: String) -> surefoot::Result<Transcription> {
    c.transcriptions().get(&id).await.map(Transcription)
}

async fn export_op(c: specala::Client, id: String, format: Format) -> surefoot::Result<String> {
    c.transcriptions().export(&id, format).await
}

async fn bulk_export_op(
    c: specala::Client,
    ids: Vec<String>,
    format: Format,
) -> surefoot::Result<StrMap> {
    let docs = c.transcriptions().bulk_export(&ids, format).await?;
    Ok(StrMap(
        docs.into_iter().map(|d| (d.id, d.content)).collect(),
    ))
}

async fn keys_list_op(c: specala::Client) -> surefoot::Result<Vec<KeyInfo>> {
    Ok(c.keys().list().await?.into_iter().map(KeyInfo).collect())
}

async fn keys_create_op(c: specala::Client, name: String) -> surefoot::Result<CreatedKey> {
    c.keys().create(&name).await.map(CreatedKey)
}

async fn keys_revoke_op(c: specala::Client, id: String) -> surefoot::Result<()> {
    c.keys().revoke(&id).await
}

// ----- sync ------------------------------------------------------------------------------

/// The Specala client (key from `SPECALA_API_KEY` when `api_key` is omitted).
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct Specala {
    core: Arc<Core>,
}

#[pymethods]
impl Specala {
    #[new]
    #[pyo3(signature = (api_key = None, base_url = None, **options))]
    fn new(
        py: Python<'_>,
        api_key: Option<String>,
        base_url: Option<String>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        Ok(Specala {
            core: Core::build(py, Api::Specala, base_url, api_key, options)?,
        })
    }

    /// Transcription endpoints.
    #[getter]
    fn transcriptions(&self) -> Transcriptions {
        Transcriptions {
            core: self.core.clone(),
        }
    }

    /// Key management endpoints.
    #[getter]
    fn keys(&self) -> Keys {
        Keys {
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
        self.core.repr("Specala")
    }
}

/// `Specala.transcriptions`.
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct Transcriptions {
    core: Arc<Core>,
}

#[pymethods]
impl Transcriptions {
    /// Every transcription, newest first, fetched lazily page by page.
    #[pyo3(signature = (limit = None))]
    fn list(&self, py: Python<'_>, limit: Option<i64>) -> PyResult<Paginator> {
        Ok(Paginator::new(list_items(py, &self.core, limit)?))
    }

    /// One transcription (another workspace's id is `NotFoundError`).
    fn get(&self, py: Python<'_>, id: String) -> PyResult<Transcription> {
        wait(py, get_op(client(py, &self.core)?, id))
    }

    /// One transcription as a document (`format` `"md"` or `"txt"`).
    #[pyo3(signature = (id, format = "md"))]
    fn export(&self, py: Python<'_>, id: String, format: &str) -> PyResult<String> {
        let f = self::format(py, format)?;
        wait(py, export_op(client(py, &self.core)?, id, f))
    }

    /// Exports any number of transcriptions in bulk requests of at most 100 ids; returns
    /// `{id: document}` in the order of `ids`.
    #[pyo3(signature = (ids, format = "md"))]
    fn bulk_export(&self, py: Python<'_>, ids: Vec<String>, format: &str) -> PyResult<StrMap> {
        let f = self::format(py, format)?;
        wait(py, bulk_export_op(client(py, &self.core)?, ids, f))
    }
}

/// `Specala.keys`.
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct Keys {
    core: Arc<Core>,
}

#[pymethods]
impl Keys {
    /// Every key of the workspace.
    fn list(&self, py: Python<'_>) -> PyResult<Vec<KeyInfo>> {
        wait(py, keys_list_op(client(py, &self.core)?))
    }

    /// Creates a key; the answer holds the secret, shown once.
    fn create(&self, py: Python<'_>, name: String) -> PyResult<CreatedKey> {
        wait(py, keys_create_op(client(py, &self.core)?, name))
    }

    /// Revokes a key.
    fn revoke(&self, py: Python<'_>, id: String) -> PyResult<()> {
        wait(py, keys_revoke_op(client(py, &self.core)?, id))
    }
}

// ----- async -----------------------------------------------------------------------------

/// The async Specala client.
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct AsyncSpecala {
    core: Arc<Core>,
}

#[pymethods]
impl AsyncSpecala {
    #[new]
    #[pyo3(signature = (api_key = None, base_url = None, **options))]
    fn new(
        py: Python<'_>,
        api_key: Option<String>,
        base_url: Option<String>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        Ok(AsyncSpecala {
            core: Core::build(py, Api::Specala, base_url, api_key, options)?,
        })
    }

    #[getter]
    fn transcriptions(&self) -> AsyncTranscriptions {
        AsyncTranscriptions {
            core: self.core.clone(),
        }
    }

    #[getter]
    fn keys(&self) -> AsyncKeys {
        AsyncKeys {
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
        self.core.repr("AsyncSpecala")
    }
}

/// `AsyncSpecala.transcriptions`.
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct AsyncTranscriptions {
    core: Arc<Core>,
}

#[pymethods]
impl AsyncTranscriptions {
    #[pyo3(signature = (limit = None))]
    fn list(&self, py: Python<'_>, limit: Option<i64>) -> PyResult<AsyncPaginator> {
        Ok(AsyncPaginator::new(list_items(py, &self.core, limit)?))
    }

    fn get<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        spawn(py, get_op(client(py, &self.core)?, id))
    }

    #[pyo3(signature = (id, format = "md"))]
    fn export<'py>(
        &self,
        py: Python<'py>,
        id: String,
        format: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let f = self::format(py, format)?;
        spawn(py, export_op(client(py, &self.core)?, id, f))
    }

    #[pyo3(signature = (ids, format = "md"))]
    fn bulk_export<'py>(
        &self,
        py: Python<'py>,
        ids: Vec<String>,
        format: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let f = self::format(py, format)?;
        spawn(py, bulk_export_op(client(py, &self.core)?, ids, f))
    }
}

/// `AsyncSpecala.keys`.
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct AsyncKeys {
    core: Arc<Core>,
}

#[pymethods]
impl AsyncKeys {
    fn list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        spawn(py, keys_list_op(client(py, &self.core)?))
    }

    fn create<'py>(&self, py: Python<'py>, name: String) -> PyResult<Bound<'py, PyAny>> {
        spawn(py, keys_create_op(client(py, &self.core)?, name))
    }

    fn revoke<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        let op = keys_revoke_op(client(py, &self.core)?, id);
        spawn(py, async move { op.await.map(|()| PyNone) })
    }
}
