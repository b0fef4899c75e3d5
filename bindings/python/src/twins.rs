//! Sync classes and their async twins, written once. A sync class of the clients (`Client`,
//! `Specala.keys`, a realtime session…) has an async twin with the same methods and the same
//! logic; the two differ only in their flavour — how a core future is run and a value handed
//! over ([`sync`]: the value, waited for without the GIL; [`asyncio`]: an awaitable), which
//! paginator a list returns, and `with` versus `async with`. pyo3 wants one `#[pymethods]`
//! block per class, so each file writes a pair once, as a `macro_rules!` over the flavour's
//! name (`sync` or `asyncio`), and instantiates it twice (`PyAI.realtime`, whose `open()`
//! differs in more than its flavour, is written out twice). This module holds the flavours
//! and the macros the pairs share: [`context_class!`] (a class closed by `with` or
//! `async with`) and [`client_class!`] (a client: constructor, `close()`, `repr`).

/// The sync flavour: a method returns the value itself, waited for with the GIL released
/// (`run_here`: a single call, driven on the calling thread itself).
pub(crate) mod sync {
    use pyo3::prelude::*;

    pub(crate) use crate::bridge::block as run;
    pub(crate) use crate::bridge::block_here as run_here;
    pub(crate) use crate::pagination::Paginator as Pages;

    /// A value already at hand, handed over as [`run`] hands over a result.
    pub(crate) fn done(py: Python<'_>, value: Py<PyAny>) -> PyResult<Bound<'_, PyAny>> {
        Ok(value.into_bound(py))
    }
}

/// The async flavour: a method returns an awaitable (an `asyncio.Future` of the running loop).
pub(crate) mod asyncio {
    pub(crate) use crate::bridge::ready as done;
    pub(crate) use crate::bridge::spawn as run;
    /// A single call: on the loop's side nothing differs from [`run`].
    pub(crate) use crate::bridge::spawn as run_here;
    pub(crate) use crate::pagination::AsyncPaginator as Pages;
}

/// Defines a frozen `#[pyclass]` with the given fields and `#[pymethods]` items, plus the
/// context-manager protocol of its flavour around the items' `close(py)` (which returns
/// `PyResult<Bound<'py, PyAny>>`: `None`, or an awaitable of it):
///
/// - `sync`: `with x:` binds `x`; leaving the block calls `x.close()`;
/// - `asyncio`: `async with x:` binds `x`; leaving the block awaits `x.close()`.
///
/// ```ignore
/// context_class! {
///     /// Docs of the class.
///     sync Name { field: Type }
///     fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> { /* … */ }
/// }
/// ```
macro_rules! context_class {
    ($(#[$attr:meta])* sync $name:ident { $($fields:tt)* } $($items:tt)*) => {
        $crate::twins::context_class! {
            @class $(#[$attr])* $name { $($fields)* }
            $($items)*

            fn __enter__(slf: Py<Self>) -> Py<Self> {
                slf
            }

            #[pyo3(signature = (*_exc))]
            fn __exit__<'py>(
                &self,
                py: Python<'py>,
                _exc: &Bound<'py, ::pyo3::types::PyTuple>,
            ) -> PyResult<Bound<'py, PyAny>> {
                self.close(py)
            }
        }
    };
    ($(#[$attr:meta])* asyncio $name:ident { $($fields:tt)* } $($items:tt)*) => {
        $crate::twins::context_class! {
            @class $(#[$attr])* $name { $($fields)* }
            $($items)*

            fn __aenter__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
                $crate::bridge::ready(slf.py(), slf.into_any().unbind())
            }

            #[pyo3(signature = (*_exc))]
            fn __aexit__<'py>(
                &self,
                py: Python<'py>,
                _exc: &Bound<'py, ::pyo3::types::PyTuple>,
            ) -> PyResult<Bound<'py, PyAny>> {
                self.close(py)
            }
        }
    };
    // The class, with the protocol's methods among its items.
    (@class $(#[$attr:meta])* $name:ident { $($fields:tt)* } $($items:tt)*) => {
        $(#[$attr])*
        #[pyclass(frozen, module = "surefoot._native")]
        pub(crate) struct $name { $($fields)* }

        #[pymethods]
        impl $name {
            $($items)*
        }
    };
}
pub(crate) use context_class;

/// Defines a client class of a flavour: a [`context_class!`] holding the [`Core`] built by
/// its constructor (and shared with its resources, which the items hand out), with the
/// given `#[pymethods]` items plus `close()` (closes the core: later calls raise
/// `InvalidRequestError`) and a `repr` naming the class, its base URL and its masked key.
///
/// A typed client names its API in parentheses and gets the typed constructor,
/// `(api_key=None, base_url=None, **options)` (the key read from the API's environment
/// variable when omitted); without it, the items include the constructor.
///
/// ```ignore
/// client_class! {
///     /// Docs of the class.
///     asyncio AsyncSpecala(Api::Specala) { /* resource getters */ }
/// }
/// ```
///
/// [`Core`]: crate::options::Core
macro_rules! client_class {
    ($(#[$attr:meta])* $flavour:ident $name:ident $(($api:expr))? { $($items:tt)* }) => {
        $crate::twins::context_class! {
            $(#[$attr])*
            $flavour $name { core: ::std::sync::Arc<$crate::options::Core> }

            $(
                #[new]
                #[pyo3(signature = (api_key = None, base_url = None, **options))]
                fn new(
                    py: Python<'_>,
                    api_key: Option<&Bound<'_, PyAny>>,
                    base_url: Option<&Bound<'_, PyAny>>,
                    options: Option<&Bound<'_, ::pyo3::types::PyDict>>,
                ) -> PyResult<Self> {
                    let api_key = $crate::convert::opt_str_arg(api_key, "api_key")?;
                    let base_url = $crate::convert::opt_str_arg(base_url, "base_url")?;
                    Ok($name {
                        core: $crate::options::Core::build(py, $api, base_url, api_key, options)?,
                    })
                }
            )?

            $($items)*

            /// What pacing knows for each surface of this client's key: a list of
            /// `PacingState` (limit, learned limit, the pause in force and its cause).
            fn pacing_state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                let client = self.core.client(py)?;
                $crate::twins::$flavour::run(py, async move {
                    Ok(client
                        .pacing()
                        .await
                        .into_iter()
                        .map($crate::pacing::PacingState)
                        .collect::<Vec<_>>())
                })
            }

            /// The value in force for option `name` as text (`"2.5 s"`, `"no cap"`, the
            /// key masked), the same text as Rust and C; `InvalidRequestError` for an
            /// unknown name.
            fn describe_option(&self, py: Python<'_>, name: &str) -> PyResult<String> {
                let client = self.core.client(py)?;
                client.describe_option(name).ok_or_else(|| {
                    let shown: String = name.chars().take(64).collect();
                    $crate::errors::invalid(
                        py,
                        format!(
                            "unknown option {shown:?}; the options are: {}",
                            surefoot::options::OPTIONS.join(", ")
                        ),
                    )
                })
            }

            /// Lifts every pause and forgets the learned limits of this client's key (all
            /// its surfaces, in whatever store holds them); configured limits stay.
            fn reset_pacing<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                let client = self.core.client(py)?;
                $crate::twins::$flavour::run(py, async move {
                    client.reset_pacing().await;
                    Ok($crate::bridge::PyNone)
                })
            }

            /// Closes the client (drops its connections); later calls raise
            /// `InvalidRequestError`.
            fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.core.close();
                $crate::twins::$flavour::done(py, py.None())
            }

            fn __repr__(&self) -> String {
                self.core.repr(stringify!($name))
            }
        }
    };
}
pub(crate) use client_class;
