//! `RawTransport` and `RawAnswer`: the core's raw calls (`surefoot::RawClient`) for the
//! httpx transports and the requests adapter written in Python (`surefoot.httpx`,
//! `surefoot.requests`). Converts types only: options go to the core's rules, a request's
//! pieces to a `RawRequest`, the answer's body is handed over chunk by chunk as the core
//! reads it. The core client is rebuilt in a child process after `fork()`.

use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use surefoot::{RawClient, RawClientBuilder, RawRequest, RawResponse};

use crate::bridge;
use crate::errors::{invalid, to_pyerr};
use crate::options::option_value;

/// Sends requests built by another HTTP library through surefoot's send loop.
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct RawTransport {
    builder: RawClientBuilder,
    /// The process that built the client, and the client (`None`: closed).
    state: Mutex<(u32, Option<RawClient>)>,
}

/// One body chunk for Python: `bytes`, or `None` at the end.
struct Chunk<B>(Option<B>);

impl<'py, B: AsRef<[u8]>> IntoPyObject<'py> for Chunk<B> {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        Ok(match self.0 {
            Some(b) => PyBytes::new(py, b.as_ref()).into_any(),
            None => py.None().into_bound(py),
        })
    }
}

impl RawTransport {
    fn client(&self, py: Python<'_>) -> PyResult<RawClient> {
        let pid = std::process::id();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match &state.1 {
            None => Err(invalid(py, "the transport is closed")),
            Some(c) if state.0 == pid => Ok(c.clone()),
            Some(_) => {
                let c = self.builder.clone().build().map_err(|e| to_pyerr(py, e))?;
                *state = (pid, Some(c.clone()));
                Ok(c)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn request(
        &self,
        py: Python<'_>,
        method: &str,
        url: &str,
        headers: Vec<(Vec<u8>, Vec<u8>)>,
        body: Vec<u8>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(RawClient, RawRequest)> {
        let err = |e| to_pyerr(py, e);
        let mut req = RawRequest::new(method, url).map_err(err)?;
        for (name, value) in headers {
            req = req.header(name, value).map_err(err)?;
        }
        if let Some(t) = timeout {
            req = req.option("timeout", option_value(t)?).map_err(err)?;
        }
        Ok((self.client(py)?, req.body(body)))
    }
}

#[pymethods]
impl RawTransport {
    #[new]
    #[pyo3(signature = (**options))]
    fn new(py: Python<'_>, options: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let mut builder = RawClient::builder();
        if let Some(options) = options {
            for (name, value) in options.iter() {
                let name: String = name.extract()?;
                builder
                    .set(&name, option_value(&value)?)
                    .map_err(|e| to_pyerr(py, e))?;
            }
        }
        let client = builder.clone().build().map_err(|e| to_pyerr(py, e))?;
        Ok(RawTransport {
            builder,
            state: Mutex::new((std::process::id(), Some(client))),
        })
    }

    /// Sends one request and waits (without the GIL) for the final answer.
    #[pyo3(signature = (method, url, headers, body, timeout = None))]
    fn send(
        &self,
        py: Python<'_>,
        method: &str,
        url: &str,
        headers: Vec<(Vec<u8>, Vec<u8>)>,
        body: Vec<u8>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<RawAnswer> {
        let (client, req) = self.request(py, method, url, headers, body, timeout)?;
        let resp = bridge::wait(py, async move { client.send(req).await })?;
        Ok(RawAnswer::new(resp))
    }

    /// [`send`](RawTransport::send) as an awaitable; cancelling it aborts the call.
    #[pyo3(signature = (method, url, headers, body, timeout = None))]
    fn send_async<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        url: &str,
        headers: Vec<(Vec<u8>, Vec<u8>)>,
        body: Vec<u8>,
        timeout: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (client, req) = self.request(py, method, url, headers, body, timeout)?;
        bridge::spawn(
            py,
            async move { Ok(RawAnswer::new(client.send(req).await?)) },
        )
    }

    /// Drops the connections; later sends raise `InvalidRequestError`.
    fn close(&self) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).1 = None;
    }
}

/// The final answer of a raw call: status, headers as sent, the body chunk by chunk.
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct RawAnswer {
    #[pyo3(get)]
    status: u16,
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    #[pyo3(get)]
    attempts: u32,
    #[pyo3(get)]
    waited: f64,
    body: Arc<tokio::sync::Mutex<Option<RawResponse>>>,
}

impl RawAnswer {
    fn new(resp: RawResponse) -> Self {
        let headers = resp
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect();
        RawAnswer {
            status: resp.status().as_u16(),
            headers,
            attempts: resp.attempts(),
            waited: resp.waited().as_secs_f64(),
            body: Arc::new(tokio::sync::Mutex::new(Some(resp))),
        }
    }
}

/// The next chunk of `body` (`None` at the end or once closed).
async fn next_chunk(
    body: Arc<tokio::sync::Mutex<Option<RawResponse>>>,
) -> surefoot::Result<Chunk<impl AsRef<[u8]> + Send + 'static>> {
    let mut guard = body.lock().await;
    let Some(resp) = guard.as_mut() else {
        return Ok(Chunk(None));
    };
    let chunk = resp.chunk().await?;
    if chunk.is_none() {
        *guard = None;
    }
    Ok(Chunk(chunk))
}

#[pymethods]
impl RawAnswer {
    /// The headers as `(name, value)` byte pairs, in the order received.
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> Vec<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
        self.headers
            .iter()
            .map(|(n, v)| (PyBytes::new(py, n), PyBytes::new(py, v)))
            .collect()
    }

    /// The next body chunk as it arrives (`None` at the end); waits without the GIL.
    fn read_chunk<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        bridge::block(py, next_chunk(self.body.clone()))
    }

    /// [`read_chunk`](RawAnswer::read_chunk) as an awaitable.
    fn aread_chunk<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        bridge::spawn(py, next_chunk(self.body.clone()))
    }

    /// Drops the rest of the body (and with it the connection's pending read).
    fn close(&self) {
        if let Ok(mut guard) = self.body.try_lock() {
            *guard = None;
        }
    }
}
