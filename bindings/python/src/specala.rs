//! The Specala clients: `Specala` / `AsyncSpecala` with `.transcriptions` (list, get, export,
//! bulk_export) and `.keys` (list, create, revoke). Each operation is one core call, written
//! once as a future; the classes are written once for both flavours of [`twins`], which run
//! it by the sync ([`block`]) or async ([`spawn`]) bridge.
//!
//! [`block`]: crate::bridge::block
//! [`spawn`]: crate::bridge::spawn

use std::sync::Arc;

use pyo3::prelude::*;
use surefoot::specala::{self, Format};
use surefoot::Api;

use crate::bridge::PyNone;
use crate::bulk;
use crate::convert::StrMap;
use crate::errors::to_pyerr;
use crate::models::{CreatedKey, KeyInfo, Transcription};
use crate::options::Core;
use crate::pagination::{pages_of, Item, PageStream};
use crate::twins::{self, client_class};

fn client(py: Python<'_>, core: &Core) -> PyResult<specala::Client> {
    Ok(specala::Client::from_client(core.client(py)?))
}

fn format(py: Python<'_>, format: &str) -> PyResult<Format> {
    Format::parse(format).map_err(|e| to_pyerr(py, e))
}

// ----- the operations, once --------------------------------------------------------------

fn list_items(
    py: Python<'_>,
    core: &Core,
    limit: Option<i64>,
    cursor: Option<String>,
) -> PyResult<PageStream> {
    let mut walk = client(py, core)?.transcriptions().list();
    if let Some(limit) = limit {
        // Checked by the core against the profile's range on the first item.
        walk = walk.limit_i64(limit);
    }
    if let Some(c) = cursor {
        walk = walk.start_cursor(c);
    }
    Ok(pages_of(walk, Item::Transcription))
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
        docs.into_iter()
            .map(|d| (d.id().to_string(), d.into_content()))
            .collect(),
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

// ----- the classes, once for each flavour ---------------------------------------------------

/// The classes of one flavour of [`twins`] (`sync` or `asyncio`): the client and its two
/// resources, which share the client's core.
macro_rules! specala_classes {
    ($(#[$attr:meta])* $flavour:ident $client:ident, $transcriptions:ident, $keys:ident) => {
        client_class! {
            $(#[$attr])*
            $flavour $client(Api::Specala) {
                /// Transcription endpoints.
                #[getter]
                fn transcriptions(&self) -> $transcriptions {
                    $transcriptions {
                        core: self.core.clone(),
                    }
                }

                /// Key management endpoints.
                #[getter]
                fn keys(&self) -> $keys {
                    $keys {
                        core: self.core.clone(),
                    }
                }
            }
        }

        #[doc = concat!("`", stringify!($client), ".transcriptions`.")]
        #[pyclass(frozen, module = "surefoot._native")]
        pub(crate) struct $transcriptions {
            core: Arc<Core>,
        }

        #[pymethods]
        impl $transcriptions {
            fn __repr__(&self) -> String {
                format!("<{}.transcriptions>", self.core.repr(stringify!($client)))
            }

            /// Every transcription, newest first, fetched lazily page by page.
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

            /// One transcription (another workspace's id is `NotFoundError`).
            fn get<'py>(
                &self,
                py: Python<'py>,
                id: &Bound<'py, PyAny>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let id = crate::convert::str_arg(id, "id")?;
                twins::$flavour::run_here(py, get_op(client(py, &self.core)?, id))
            }

            /// One transcription as a document (`format` `"md"` or `"txt"`).
            #[pyo3(signature = (id, format = "md"))]
            fn export<'py>(
                &self,
                py: Python<'py>,
                id: String,
                format: &str,
            ) -> PyResult<Bound<'py, PyAny>> {
                let f = self::format(py, format)?;
                twins::$flavour::run_here(py, export_op(client(py, &self.core)?, id, f))
            }

            /// Every transcription as a document (the core's resumable export, in bulk
            /// requests of at most 100 ids): without `directory`, a lazy iterator of
            /// `(id, document)`; with it, atomic files `DIR/<id>.<ext>` and a journal, so a
            /// re-run fetches only what is missing, and a report `dict`.
            #[pyo3(signature = (directory = None, format = "md", progress = None))]
            fn export_all<'py>(
                &self,
                py: Python<'py>,
                directory: Option<std::path::PathBuf>,
                format: &str,
                progress: Option<Py<PyAny>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let f = self::format(py, format)?;
                let c = client(py, &self.core)?;
                match directory {
                    None => Ok(Bound::new(
                        py,
                        twins::$flavour::Pages::new(bulk::export_items(c, f, progress)),
                    )?
                    .into_any()),
                    Some(dir) => {
                        let sink = bulk::open_dir(&dir, f)?;
                        twins::$flavour::run(py, bulk::export_dir_op(c, f, sink, progress))
                    }
                }
            }

            /// Exports any number of transcriptions in bulk requests of at most 100 ids;
            /// returns `{id: document}` in the order of `ids`.
            #[pyo3(signature = (ids, format = "md"))]
            fn bulk_export<'py>(
                &self,
                py: Python<'py>,
                ids: Vec<String>,
                format: &str,
            ) -> PyResult<Bound<'py, PyAny>> {
                let f = self::format(py, format)?;
                twins::$flavour::run(py, bulk_export_op(client(py, &self.core)?, ids, f))
            }
        }

        #[doc = concat!("`", stringify!($client), ".keys`.")]
        #[pyclass(frozen, module = "surefoot._native")]
        pub(crate) struct $keys {
            core: Arc<Core>,
        }

        #[pymethods]
        impl $keys {
            /// Every key of the workspace.
            fn list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                twins::$flavour::run_here(py, keys_list_op(client(py, &self.core)?))
            }

            /// Creates a key; the answer holds the secret, shown once.
            fn create<'py>(&self, py: Python<'py>, name: String) -> PyResult<Bound<'py, PyAny>> {
                twins::$flavour::run_here(py, keys_create_op(client(py, &self.core)?, name))
            }

            /// Revokes a key.
            fn revoke<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
                let op = keys_revoke_op(client(py, &self.core)?, id);
                twins::$flavour::run_here(py, async move { op.await.map(|()| PyNone) })
            }
        }
    };
}

specala_classes! {
    /// The Specala client (key from `SPECALA_API_KEY` when `api_key` is omitted).
    sync Specala, Transcriptions, Keys
}

specala_classes! {
    /// The async Specala client.
    asyncio AsyncSpecala, AsyncTranscriptions, AsyncKeys
}
