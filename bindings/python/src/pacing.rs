//! `PacingState`, what a client's pacing knows for one surface of its key (the core's
//! `pacing::PacingState`: limit, learned limit, the pause in force and the answer that set
//! it), returned by every client's `pacing_state()`; and `reset_all_pacing()`, the core's
//! `pacing::reset_all` for test suites.

use pyo3::prelude::*;

use crate::convert::secs;
use crate::ratelimit::RateLimit;

/// What a client's pacing knows for one surface of its key.
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct PacingState(pub(crate) surefoot::pacing::PacingState);

impl PacingState {
    fn cause(&self) -> Option<&surefoot::pacing::PauseCause> {
        self.0.pause.as_ref().and_then(|p| p.cause.as_ref())
    }
}

#[pymethods]
impl PacingState {
    /// The surface: `data` / `management` (Specala), `default` / `realtime` (PyAI, generic).
    #[getter]
    fn surface(&self) -> &str {
        &self.0.surface
    }

    /// The configured limit (yours, or the API's documented one), if any.
    #[getter]
    fn limit(&self) -> Option<RateLimit> {
        self.0.limit.map(RateLimit)
    }

    /// The limit learned from the server, when none is configured.
    #[getter]
    fn learned(&self) -> Option<RateLimit> {
        self.0.learned.map(RateLimit)
    }

    /// Seconds the pause in force still lasts, or `None`.
    #[getter]
    fn paused_for(&self) -> Option<f64> {
        self.0.pause.as_ref().map(|p| secs(p.remaining))
    }

    /// The stable code of the answer that set the pause (`daily_cap_exceeded`, …).
    #[getter]
    fn pause_code(&self) -> Option<&str> {
        self.cause().map(|c| c.code.as_str())
    }

    /// The HTTP status of the answer that set the pause.
    #[getter]
    fn pause_status(&self) -> Option<u16> {
        self.cause().and_then(|c| c.status)
    }

    /// The message of the answer that set the pause.
    #[getter]
    fn pause_message(&self) -> Option<&str> {
        self.cause().map(|c| c.message.as_str())
    }

    /// The request id of the answer that set the pause.
    #[getter]
    fn pause_request_id(&self) -> Option<&str> {
        self.cause().and_then(|c| c.request_id.as_deref())
    }

    fn __repr__(&self) -> String {
        let show = |l: Option<surefoot::RateLimit>| match l {
            Some(l) => format!("'{}'", l.human()),
            None => "None".to_owned(),
        };
        let pause = match (&self.0.pause, self.cause()) {
            (Some(p), Some(c)) => format!("{:.1}s ({})", secs(p.remaining), c.code),
            (Some(p), None) => format!("{:.1}s", secs(p.remaining)),
            (None, _) => "None".to_owned(),
        };
        format!(
            "PacingState(surface='{}', limit={}, learned={}, paused_for={pause})",
            self.0.surface,
            show(self.0.limit),
            show(self.0.learned)
        )
    }
}

/// Forgets every pause, schedule and learned limit of this process (configured limits
/// stay); what `surefoot.testing.reset_pacing()` calls.
#[pyfunction]
pub(crate) fn reset_all_pacing() {
    surefoot::pacing::reset_all();
}
