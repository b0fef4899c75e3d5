//! `conformance_check`: the shared conformance vectors (`tests/vectors/*.json`) through the
//! Python binding. The string goes to the core's `surefoot::conformance::check` and its
//! verdict comes back unchanged: the core runs the vectors and compares, as for Rust and C.

use pyo3::prelude::*;

/// Runs one conformance vector, or a whole vector file (an object with `vectors`), through
/// the core and returns the verdict JSON: `{"ok", "name", "observed", "diff"}` for one
/// vector, `{"ok", "total", "passed", "failed", "results", "report"}` for a file. A vector
/// that cannot be run (bad JSON, unknown family) is a verdict with `ok` false, not an
/// exception. The GIL is released while the vector runs.
#[pyfunction]
pub(crate) fn conformance_check(py: Python<'_>, json: String) -> String {
    py.detach(move || surefoot::conformance::check(&json).1)
}
