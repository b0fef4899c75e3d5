//! Core errors → the exception classes of `surefoot.exceptions` (defined in Python so the
//! hierarchy, `InvalidRequestError` also being a `ValueError`, and the typed attributes are
//! plain Python). The class follows the error's kind, refined by status and code; every
//! attribute is copied from the core error unchanged, so `.code` is the same stable string
//! as in Rust and C, and the text is the core's `Display` (which never holds the key).

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyModule};
use surefoot::{Error, ErrorKind};

/// The Python exception for a core error.
pub(crate) fn to_pyerr(py: Python<'_>, e: Error) -> PyErr {
    build(py, &e).unwrap_or_else(|failed| failed)
}

/// An `InvalidRequestError` with `message` (a problem found before anything was sent).
pub(crate) fn invalid(py: Python<'_>, message: impl Into<String>) -> PyErr {
    to_pyerr(py, Error::invalid_request(message))
}

/// The name of the class in `surefoot.exceptions` for `e`.
pub(crate) fn class_name(e: &Error) -> &'static str {
    match e.kind() {
        ErrorKind::InvalidRequest => "InvalidRequestError",
        ErrorKind::Authentication => "AuthenticationError",
        ErrorKind::Permission => "PermissionDeniedError",
        ErrorKind::NotFound => "NotFoundError",
        ErrorKind::Conflict if e.code() == surefoot::error::codes::IDEMPOTENCY_CONFLICT => {
            "IdempotencyConflictError"
        }
        ErrorKind::Conflict => "ConflictError",
        ErrorKind::PaymentRequired => "PaymentRequiredError",
        ErrorKind::RateLimited => "RateLimitError",
        ErrorKind::Timeout => "APITimeoutError",
        ErrorKind::NotDone => "NotDoneError",
        ErrorKind::Connection => "APIConnectionError",
        // The kind picks the class: every answer of kind validation (400, 413, 414, …)
        // is a BadRequestError, 422 its UnprocessableEntityError.
        ErrorKind::Validation => match e.status() {
            Some(422) => "UnprocessableEntityError",
            Some(_) => "BadRequestError",
            None => "APIError",
        },
        ErrorKind::Server => match e.status() {
            Some(s) if s >= 500 => "InternalServerError",
            _ => "APIError",
        },
        _ => match e.status() {
            Some(s) if s >= 400 => "APIStatusError",
            _ => "APIError",
        },
    }
}

fn build(py: Python<'_>, e: &Error) -> PyResult<PyErr> {
    static EXCEPTIONS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    let module = EXCEPTIONS
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("surefoot.exceptions")?.unbind())
        })?
        .bind(py);
    let class = module.getattr(class_name(e))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("code", e.code())?;
    kwargs.set_item("message", e.message())?;
    kwargs.set_item("kind", e.kind().as_str())?;
    kwargs.set_item("status_code", e.status())?;
    kwargs.set_item("request_id", e.request_id())?;
    kwargs.set_item("idempotency_key", e.idempotency_key())?;
    kwargs.set_item("retry_after", e.retry_after().map(|d| d.as_secs_f64()))?;
    kwargs.set_item("attempts", e.attempts())?;
    kwargs.set_item("waited", e.waited().as_secs_f64())?;
    kwargs.set_item("body", e.body().map(|b| PyBytes::new(py, b)))?;
    kwargs.set_item("retryable", e.is_retryable())?;
    kwargs.set_item("stop_reason", e.stop_reason().map(|r| r.as_str()))?;
    let exc = class.call((e.to_string(),), Some(&kwargs))?;
    Ok(PyErr::from_value(exc))
}
