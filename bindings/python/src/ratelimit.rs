//! `surefoot.RateLimit`: a client-side rate limit (the core's `RateLimit`), made by
//! `RateLimit(requests=20, per=1.0, burst=5)` or `RateLimit.parse("20/s burst 5")`, both
//! checked by the core.

use pyo3::prelude::*;

use surefoot::options::OptionValue;

use crate::convert::secs;
use crate::errors::to_pyerr;

/// `requests` per `per` seconds, with bursts of up to `burst` requests.
#[pyclass(frozen, eq, module = "surefoot._native")]
#[derive(PartialEq)]
pub(crate) struct RateLimit(pub(crate) surefoot::RateLimit);

#[pymethods]
impl RateLimit {
    /// Checked by the core's rate-limit rule (the same messages as the `rate_limit` option
    /// in Rust and C).
    #[new]
    #[pyo3(signature = (requests, per = 1.0, burst = 1))]
    fn new(py: Python<'_>, requests: i128, per: f64, burst: i128) -> PyResult<Self> {
        surefoot::options::rate_limit_from_parts(
            OptionValue::Int(requests),
            OptionValue::Float(per),
            OptionValue::Int(burst),
        )
        .map(RateLimit)
        .map_err(|e| to_pyerr(py, e))
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
