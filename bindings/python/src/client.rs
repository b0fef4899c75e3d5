//! The generic clients — `Client` (blocking, the GIL released while waiting) and
//! `AsyncClient` (coroutines on the shared runtime), one definition for both flavours of
//! [`twins`] — and `Response`.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use surefoot::Api;

use crate::convert::{header_pairs, json_dumps, json_loads, query_pairs, secs};
use crate::errors::{invalid, to_pyerr};
use crate::options::Core;
use crate::pagination::{items, Item};
use crate::twins::{self, client_class};

/// Everything `request()` takes, checked and turned into a core request builder.
#[allow(clippy::too_many_arguments)]
fn prepare(
    py: Python<'_>,
    core: &Core,
    method: &str,
    path: String,
    params: Option<&Bound<'_, PyAny>>,
    json: Option<&Bound<'_, PyAny>>,
    headers: Option<&Bound<'_, PyAny>>,
    idempotency_key: Option<String>,
    timeout: Option<f64>,
    deadline: Option<f64>,
) -> PyResult<surefoot::RequestBuilder> {
    let method = http::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|_| invalid(py, format!("invalid HTTP method {method:?}")))?;
    let mut rb = core.client(py)?.request(method, path);
    let query = query_pairs(py, params)?;
    if !query.is_empty() {
        rb = rb.query(&query);
    }
    for (k, v) in header_pairs(py, headers)? {
        rb = rb.header(k, v);
    }
    if let Some(body) = json.filter(|j| !j.is_none()) {
        rb = rb.json_bytes(json_dumps(py, body)?.into_bytes());
    }
    if let Some(key) = idempotency_key {
        rb = rb.idempotency_key(key);
    }
    if let Some(t) = timeout {
        rb = rb.option("timeout", t.into());
    }
    if let Some(d) = deadline {
        rb = rb.option("deadline", d.into());
    }
    Ok(rb)
}

fn paginate_items(
    py: Python<'_>,
    core: &Core,
    path: String,
    params: Option<&Bound<'_, PyAny>>,
    limit: Option<i64>,
) -> PyResult<crate::pagination::Items> {
    let mut walk = core
        .client(py)?
        .paginate::<serde_json::Value>(path)
        .query(&query_pairs(py, params)?);
    if let Some(limit) = limit {
        // Checked by the core against the profile's range on the first item.
        walk = walk.limit_i64(limit);
    }
    Ok(items(walk, Item::Json))
}

/// `Client` and `AsyncClient`, written once for a flavour of [`twins`] (`sync` or `asyncio`).
macro_rules! generic_client {
    ($(#[$attr:meta])* $flavour:ident $name:ident) => {
        client_class! {
            $(#[$attr])*
            $flavour $name {
                #[new]
                #[pyo3(signature = (base_url, api_key = None, **options))]
                fn new(
                    py: Python<'_>,
                    base_url: &Bound<'_, PyAny>,
                    api_key: Option<&Bound<'_, PyAny>>,
                    options: Option<&Bound<'_, PyDict>>,
                ) -> PyResult<Self> {
                    let base_url = crate::convert::str_arg(base_url, "base_url")?;
                    let api_key = crate::convert::opt_str_arg(api_key, "api_key")?;
                    Ok($name {
                        core: Core::build(py, Api::Generic, Some(base_url), api_key, options)?,
                    })
                }

                /// Sends a request (paced, retried, under the deadline) and returns the
                /// successful response, or raises the matching `surefoot` exception.
                #[pyo3(signature = (method, path, *, params = None, json = None, headers = None, idempotency_key = None, timeout = None, deadline = None))]
                #[allow(clippy::too_many_arguments)]
                fn request<'py>(
                    &self,
                    py: Python<'py>,
                    method: &str,
                    path: String,
                    params: Option<&Bound<'py, PyAny>>,
                    json: Option<&Bound<'py, PyAny>>,
                    headers: Option<&Bound<'py, PyAny>>,
                    idempotency_key: Option<String>,
                    timeout: Option<f64>,
                    deadline: Option<f64>,
                ) -> PyResult<Bound<'py, PyAny>> {
                    let rb = prepare(
                        py,
                        &self.core,
                        method,
                        path,
                        params,
                        json,
                        headers,
                        idempotency_key,
                        timeout,
                        deadline,
                    )?;
                    twins::$flavour::run_here(py, async move { rb.send().await.map(Response) })
                }

                /// `request("GET", path, …)`.
                #[pyo3(signature = (path, *, params = None, headers = None))]
                fn get<'py>(
                    &self,
                    py: Python<'py>,
                    path: String,
                    params: Option<&Bound<'py, PyAny>>,
                    headers: Option<&Bound<'py, PyAny>>,
                ) -> PyResult<Bound<'py, PyAny>> {
                    self.request(py, "GET", path, params, None, headers, None, None, None)
                }

                /// `request("POST", path, …)`.
                #[pyo3(signature = (path, *, json = None, params = None, headers = None, idempotency_key = None))]
                fn post<'py>(
                    &self,
                    py: Python<'py>,
                    path: String,
                    json: Option<&Bound<'py, PyAny>>,
                    params: Option<&Bound<'py, PyAny>>,
                    headers: Option<&Bound<'py, PyAny>>,
                    idempotency_key: Option<String>,
                ) -> PyResult<Bound<'py, PyAny>> {
                    self.request(
                        py,
                        "POST",
                        path,
                        params,
                        json,
                        headers,
                        idempotency_key,
                        None,
                        None,
                    )
                }

                /// `request("DELETE", path, …)`.
                #[pyo3(signature = (path, *, params = None, headers = None))]
                fn delete<'py>(
                    &self,
                    py: Python<'py>,
                    path: String,
                    params: Option<&Bound<'py, PyAny>>,
                    headers: Option<&Bound<'py, PyAny>>,
                ) -> PyResult<Bound<'py, PyAny>> {
                    self.request(py, "DELETE", path, params, None, headers, None, None, None)
                }

                /// Iterates over every item of a cursor-paginated list (`{"data": [...],
                /// "next_cursor": ...}`), fetching pages lazily.
                #[pyo3(signature = (path, *, params = None, limit = None))]
                fn paginate(
                    &self,
                    py: Python<'_>,
                    path: String,
                    params: Option<&Bound<'_, PyAny>>,
                    limit: Option<&Bound<'_, PyAny>>,
                ) -> PyResult<twins::$flavour::Pages> {
                    let limit = crate::convert::limit_arg(limit)?;
                    Ok(twins::$flavour::Pages::new(paginate_items(
                        py, &self.core, path, params, limit,
                    )?))
                }
            }
        }
    };
}

generic_client! {
    /// A client for any REST API with surefoot's conventions (bearer keys, JSON errors, cursor
    /// lists). Thread-safe: share one client between threads.
    sync Client
}

generic_client! {
    /// The async twin of `Client`: every method returns an awaitable running on surefoot's
    /// runtime (no thread per call).
    asyncio AsyncClient
}

/// A successful response, fully read.
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct Response(pub(crate) surefoot::Response);

#[pymethods]
impl Response {
    #[getter]
    fn status_code(&self) -> u16 {
        self.0.status().as_u16()
    }

    /// The headers (lower-case names; repeated headers joined with `, `).
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for name in self.0.headers().keys() {
            let values: Vec<&str> = self
                .0
                .headers()
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            dict.set_item(name.as_str(), values.join(", "))?;
        }
        Ok(dict)
    }

    #[getter]
    fn request_id(&self) -> Option<&str> {
        self.0.request_id()
    }

    /// How many attempts the call took (1 = no retry).
    #[getter]
    fn attempts(&self) -> u32 {
        self.0.attempts()
    }

    /// Seconds spent waiting (backoff and pacing) before this answer.
    #[getter]
    fn waited(&self) -> f64 {
        secs(self.0.waited())
    }

    /// Whether the server replayed an earlier answer for the same idempotency key.
    #[getter]
    fn is_replay(&self) -> bool {
        self.0.is_replay()
    }

    /// The raw body.
    #[getter]
    fn content<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.0.bytes())
    }

    /// The body as text (UTF-8).
    #[getter]
    fn text(&self, py: Python<'_>) -> PyResult<String> {
        self.0.text().map_err(|e| to_pyerr(py, e))
    }

    /// The body decoded as JSON (key order kept).
    fn json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        if let Err(e) = self.0.json::<serde::de::IgnoredAny>() {
            return Err(to_pyerr(py, e));
        }
        json_loads(py, &self.text(py)?)
    }

    fn __repr__(&self) -> String {
        format!(
            "<Response [{}] attempts={}>",
            self.0.status().as_u16(),
            self.0.attempts()
        )
    }
}
