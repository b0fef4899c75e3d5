//! Lazy item iterators over the core's cursor pagination: `Paginator` (`for x in …`, each
//! `__next__` waits without the GIL) and `AsyncPaginator` (`async for x in …`, each
//! `__anext__` an asyncio future). The walk itself (limit check, cursors, loop safety,
//! prefetch) is the core's `Paginate`, read page by page (`Paginate::pages`): a paginator
//! tells the `cursor` of the next page, and `.pages()` (before the first item) iterates
//! whole `Page`s instead of items. An error ends the iteration after it is raised.

use std::sync::Arc;

use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use futures::FutureExt;
use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use serde_json::Value;
use surefoot::{pyai, specala};
use tokio::sync::Mutex;

use crate::bridge::{ready, spawn, wait};
use crate::convert::from_value;
use crate::errors::to_pyerr;
use crate::models;

/// One item of a list, converted to Python when it is handed over.
pub(crate) enum Item {
    Json(Value),
    Transcription(specala::Transcription),
    Job(pyai::Job),
    /// An exported document: `(id, document)`.
    Document(String, String),
    /// A whole page: its items and the cursor of the next page.
    Page(Vec<Item>, Option<String>),
}

/// One page of a list, as `Paginator.pages()` hands it over.
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct Page {
    /// The page's items, in the server's order.
    #[pyo3(get)]
    items: Py<pyo3::types::PyList>,
    /// The cursor of the next page (`None` on the last page): give it to `list(cursor=…)`
    /// to go on from there later.
    #[pyo3(get)]
    next_cursor: Option<String>,
}

#[pymethods]
impl Page {
    fn __len__(&self, py: Python<'_>) -> usize {
        self.items.bind(py).len()
    }

    #[classmethod]
    fn __class_getitem__<'py>(
        cls: &Bound<'py, PyType>,
        item: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        generic_alias(cls, item)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Page(items=<{} items>, next_cursor={:?})",
            self.items.bind(py).len(),
            self.next_cursor
        )
    }
}

impl<'py> IntoPyObject<'py> for Item {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        Ok(match self {
            Item::Json(v) => from_value(py, &v)?,
            Item::Transcription(t) => Bound::new(py, models::Transcription(t))?.into_any(),
            Item::Job(j) => Bound::new(py, models::Job(j))?.into_any(),
            Item::Document(id, doc) => (id, doc).into_pyobject(py)?.into_any(),
            Item::Page(items, next_cursor) => {
                let list = pyo3::types::PyList::empty(py);
                for item in items {
                    list.append(item.into_pyobject(py)?)?;
                }
                Bound::new(
                    py,
                    Page {
                        items: list.unbind(),
                        next_cursor,
                    },
                )?
                .into_any()
            }
        })
    }
}

pub(crate) type Items = BoxStream<'static, surefoot::Result<Item>>;
type Shared = Arc<Mutex<Option<Items>>>;
/// A list's pages, converted: each page's items and the cursor of the next one.
pub(crate) type PageStream = BoxStream<'static, surefoot::Result<(Vec<Item>, Option<String>)>>;
type Slot<T> = Arc<std::sync::Mutex<Option<T>>>;

/// A core list walk read page by page, each item mapped to an [`Item`].
pub(crate) fn pages_of<T>(walk: surefoot::Paginate<T>, wrap: fn(T) -> Item) -> PageStream
where
    T: serde::de::DeserializeOwned + Send + 'static,
{
    walk.pages()
        .map(move |r| r.map(|p| (p.items.into_iter().map(wrap).collect(), p.next_cursor)))
        .boxed()
}

fn lock<T>(slot: &Slot<T>) -> std::sync::MutexGuard<'_, Option<T>> {
    slot.lock().unwrap_or_else(|p| p.into_inner())
}

/// The items of `source`'s pages, taken from the slot on the first poll (unless `.pages()`
/// took the pages first), recording each page's next cursor in `cursor`.
fn flatten(source: Slot<PageStream>, cursor: Slot<String>) -> Items {
    futures::stream::once(async move { lock(&source).take() })
        .filter_map(|pages| async move { pages })
        .flatten()
        .map(move |page| {
            page.map(|(items, next)| {
                *lock(&cursor) = next;
                futures::stream::iter(items.into_iter().map(Ok))
            })
        })
        .try_flatten()
        .boxed()
}

/// A core list walk, with each item mapped to an [`Item`].
pub(crate) fn items<T, S>(stream: S, wrap: fn(T) -> Item) -> Items
where
    T: Send + 'static,
    S: futures::Stream<Item = surefoot::Result<T>> + Send + 'static,
{
    stream.map(move |r| r.map(wrap)).boxed()
}

/// The next item when it is ready without waiting (the rest of a fetched page), taken on
/// the calling thread: no runtime crossing, no GIL release. `None` means "must wait" (the
/// next page is in flight, or another caller holds the stream); the wait path then polls
/// the same stream again with a real waker.
fn next_item_now(shared: &Shared) -> Option<surefoot::Result<Option<Item>>> {
    let _runtime = surefoot::runtime::handle().enter();
    let mut guard = shared.try_lock().ok()?;
    let Some(stream) = guard.as_mut() else {
        return Some(Ok(None));
    };
    let polled = stream.next().now_or_never()?;
    Some(match polled {
        Some(Ok(item)) => Ok(Some(item)),
        Some(Err(e)) => {
            *guard = None;
            Err(e)
        }
        None => {
            *guard = None;
            Ok(None)
        }
    })
}

async fn next_item(shared: Shared) -> surefoot::Result<Option<Item>> {
    let mut guard = shared.lock().await;
    let Some(stream) = guard.as_mut() else {
        return Ok(None);
    };
    match stream.next().await {
        Some(Ok(item)) => Ok(Some(item)),
        Some(Err(e)) => {
            *guard = None;
            Err(e)
        }
        None => {
            *guard = None;
            Ok(None)
        }
    }
}

/// `Cls[T]` at runtime (`types.GenericAlias`), so annotations like `Paginator[Job]` also work
/// where they are evaluated.
fn generic_alias<'py>(
    cls: &Bound<'py, PyType>,
    item: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    static GENERIC_ALIAS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    GENERIC_ALIAS
        .import(cls.py(), "types", "GenericAlias")?
        .call1((cls, item))
}

/// Defines a paginator class: a frozen `#[pyclass]` over a shared item stream, with
/// `Cls[T]` at runtime, a `repr`, and the given iteration protocol (`__iter__`/`__next__` or
/// `__aiter__`/`__anext__`) as its `#[pymethods]` items.
macro_rules! paginator_class {
    ($(#[$attr:meta])* $name:ident { $($items:tt)* }) => {
        $(#[$attr])*
        #[pyclass(frozen, module = "surefoot._native")]
        pub(crate) struct $name {
            items: Shared,
            source: Slot<PageStream>,
            cursor: Slot<String>,
        }

        impl $name {
            /// Over items without pages (an export's documents).
            pub(crate) fn new(items: Items) -> Self {
                $name {
                    items: Arc::new(Mutex::new(Some(items))),
                    source: Arc::new(std::sync::Mutex::new(None)),
                    cursor: Arc::new(std::sync::Mutex::new(None)),
                }
            }

            /// Over a list's pages: items by default, whole pages after `.pages()`.
            pub(crate) fn from_pages(pages: PageStream) -> Self {
                let source = Arc::new(std::sync::Mutex::new(Some(pages)));
                let cursor = Arc::new(std::sync::Mutex::new(None));
                $name {
                    items: Arc::new(Mutex::new(Some(flatten(source.clone(), cursor.clone())))),
                    source,
                    cursor,
                }
            }
        }

        #[pymethods]
        impl $name {
            $($items)*

            /// The cursor of the next page after the last one fetched (`None` before the
            /// first page and after the last): give it to `list(cursor=…)` to go on later.
            #[getter]
            fn cursor(&self) -> Option<String> {
                lock(&self.cursor).clone()
            }

            /// The same walk as whole pages (`Page`: `items`, `next_cursor`) instead of
            /// items; only before the first item is taken.
            fn pages(&self, py: Python<'_>) -> PyResult<Self> {
                let Some(pages) = lock(&self.source).take() else {
                    return Err(crate::errors::invalid(
                        py,
                        "pages() is only available on a list not yet iterated (and once)",
                    ));
                };
                let cursor = self.cursor.clone();
                let items = pages
                    .map(move |page| {
                        page.map(|(items, next)| {
                            *lock(&cursor) = next.clone();
                            Item::Page(items, next)
                        })
                    })
                    .boxed();
                Ok($name {
                    items: Arc::new(Mutex::new(Some(items))),
                    source: Arc::new(std::sync::Mutex::new(None)),
                    cursor: self.cursor.clone(),
                })
            }

            #[classmethod]
            fn __class_getitem__<'py>(
                cls: &Bound<'py, PyType>,
                item: &Bound<'py, PyAny>,
            ) -> PyResult<Bound<'py, PyAny>> {
                generic_alias(cls, item)
            }

            fn __repr__(&self) -> &'static str {
                concat!("<surefoot ", stringify!($name), ">")
            }
        }
    };
}

paginator_class! {
    /// A lazy iterator over every item of a list, fetching page after page.
    Paginator {
        fn __iter__(slf: Py<Self>) -> Py<Self> {
            slf
        }

        fn __next__(&self, py: Python<'_>) -> PyResult<Option<Item>> {
            if let Some(now) = next_item_now(&self.items) {
                return now.map_err(|e| to_pyerr(py, e));
            }
            wait(py, next_item(self.items.clone()))
        }
    }
}

/// The awaited value of `__anext__`: the item, or `StopAsyncIteration` at the end.
struct Next(Option<Item>);

impl<'py> IntoPyObject<'py> for Next {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        match self.0 {
            Some(item) => item.into_pyobject(py),
            None => Err(PyStopAsyncIteration::new_err(())),
        }
    }
}

paginator_class! {
    /// An async iterator over every item of a list (`async for`).
    AsyncPaginator {
        fn __aiter__(slf: Py<Self>) -> Py<Self> {
            slf
        }

        fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
            match next_item_now(&self.items) {
                Some(Ok(Some(item))) => return ready(py, item.into_pyobject(py)?.unbind()),
                Some(Err(e)) => return Err(to_pyerr(py, e)),
                // The end is signalled by the awaited future (the stream is already closed,
                // so the spawned step answers at once); "not ready" waits on the runtime.
                Some(Ok(None)) | None => {}
            }
            let shared = self.items.clone();
            spawn(py, async move { next_item(shared).await.map(Next) })
        }
    }
}
