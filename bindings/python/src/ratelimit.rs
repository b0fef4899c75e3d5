//! `surefoot.RateLimit`: a client-side rate limit (the core's `RateLimit`), and the
//! `rate_limit=` option: `"500/min"`, `"20/s"`, `"20/s burst 5"` (parsed by the core) or a
//! `RateLimit(requests=20, per=1.0, burst=5)`.

use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::convert::{seconds, secs};
use crate::errors::{invalid, to_pyerr};

/// `requests` per `per` seconds, with bursts of up to `burst` requests.
#[pyclass(frozen, eq, module = "surefoot._native")]
#[derive(PartialEq)]
pub(crate) struct RateLimit(pub(crate) surefoot::RateLimit);

#[pymethods]
impl RateLimit {
    #[new]
    #[pyo3(signature = (requests, per = 1.0, burst = 1))]
    fn new(py: Python<'_>, requests: u32, per: f64, burst: u32) -> PyResult<Self> {
        if requests == 0 {
            return Err(invalid(py, "rate limit: requests must be at least 1"));
        }
        if burst == 0 {
            return Err(invalid(py, "rate limit: burst must be at least 1"));
        }
        let window = seconds(py, "rate limit window (per)", per)?;
        if window.is_zero() {
            return Err(invalid(py, "rate limit: per must be greater than zero"));
        }
        Ok(RateLimit(
            surefoot::RateLimit::new(requests, window).burst(burst),
        ))
    }

    /// Parses `"500/min"`, `"20/s"`, `"10/2s"`, `"20/s burst 5"`.
    #[staticmethod]
    fn parse(py: Python<'_>, text: &str) -> PyResult<Self> {
        surefoot::RateLimit::parse(text)
            .map(RateLimit)
            .map_err(|e| to_pyerr(py, e))
    }

    /// Requests allowed per window.
    #[getter]
    fn requests(&self) -> u32 {
        self.0.requests()
    }

    /// The window, in seconds.
    #[getter]
    fn per(&self) -> f64 {
        secs(self.0.per())
    }

    /// Requests that may go back to back.
    #[getter]
    fn burst(&self) -> u32 {
        self.0.burst_size()
    }

    fn __repr__(&self) -> String {
        format!(
            "RateLimit(requests={}, per={:?}, burst={})",
            self.requests(),
            self.per(),
            self.burst()
        )
    }

    fn __str__(&self) -> String {
        self.0.to_string()
    }
}

/// The `rate_limit=` option: `None`, a string, or a `RateLimit`.
pub(crate) fn rate_limit_from(
    py: Python<'_>,
    value: &Bound<'_, PyAny>,
) -> PyResult<Option<surefoot::RateLimit>> {
    if value.is_none() {
        return Ok(None);
    }
    if let Ok(s) = value.cast::<PyString>() {
        return surefoot::RateLimit::parse(&s.to_cow()?)
            .map(Some)
            .map_err(|e| to_pyerr(py, e));
    }
    if let Ok(r) = value.cast::<RateLimit>() {
        return Ok(Some(r.get().0));
    }
    Err(invalid(
        py,
        "rate_limit must be a string such as \"500/min\" or \"20/s\", or a surefoot.RateLimit",
    ))
}
