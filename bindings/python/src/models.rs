//! Typed results of the Specala and PyAI clients: the core's structs behind read-only
//! attributes, with `to_dict()`, a readable `repr` (a created key's secret masked) and `==`.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use surefoot::{pyai, specala};

use crate::convert::{from_value, serde_to_py};

/// `Name(field=repr, …)` from the model's dict, without `skip`ped fields.
fn model_repr(
    py: Python<'_>,
    name: &str,
    dict: &Bound<'_, PyAny>,
    skip: &[&str],
) -> PyResult<String> {
    let dict = dict.cast::<PyDict>()?;
    let mut parts = Vec::new();
    for (k, v) in dict.iter() {
        let k: String = k.extract()?;
        if skip.contains(&k.as_str()) {
            continue;
        }
        parts.push(format!("{k}={}", v.repr()?.to_cow()?));
    }
    let _ = py;
    Ok(format!("{name}({})", parts.join(", ")))
}

/// A Specala transcription.
#[pyclass(frozen, eq, module = "surefoot._native")]
#[derive(PartialEq)]
pub(crate) struct Transcription(pub(crate) specala::Transcription);

#[pymethods]
impl Transcription {
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }
    #[getter]
    fn title(&self) -> &str {
        &self.0.title
    }
    #[getter]
    fn language(&self) -> Option<&str> {
        self.0.language.as_deref()
    }
    #[getter]
    fn duration_seconds(&self) -> Option<f64> {
        self.0.duration_seconds
    }
    #[getter]
    fn created_at(&self) -> &str {
        &self.0.created_at
    }
    #[getter]
    fn text(&self) -> Option<&str> {
        self.0.text.as_deref()
    }
    /// The fields as a `dict`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.0)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        model_repr(py, "Transcription", &self.to_dict(py)?, &["text"])
    }
}

/// A Specala API key as listed (no secret).
#[pyclass(frozen, eq, module = "surefoot._native")]
#[derive(PartialEq)]
pub(crate) struct KeyInfo(pub(crate) specala::KeyInfo);

#[pymethods]
impl KeyInfo {
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }
    #[getter]
    fn created_at(&self) -> &str {
        &self.0.created_at
    }
    /// The fields as a `dict`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.0)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        model_repr(py, "KeyInfo", &self.to_dict(py)?, &[])
    }
}

/// A newly created Specala key: `key` is the secret, shown once (masked in `repr`).
#[pyclass(frozen, eq, module = "surefoot._native")]
#[derive(PartialEq)]
pub(crate) struct CreatedKey(pub(crate) specala::CreatedKey);

#[pymethods]
impl CreatedKey {
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }
    #[getter]
    fn key(&self) -> &str {
        &self.0.key
    }
    #[getter]
    fn created_at(&self) -> &str {
        &self.0.created_at
    }
    /// The fields as a `dict` (including the secret `key`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.0)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let dict = self.to_dict(py)?;
        dict.set_item("key", surefoot::security::mask_key(&self.0.key))?;
        model_repr(py, "CreatedKey", &dict, &[])
    }
}

/// A PyAI transcription job.
#[pyclass(frozen, eq, module = "surefoot._native")]
#[derive(PartialEq)]
pub(crate) struct Job(pub(crate) pyai::Job);

#[pymethods]
impl Job {
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }
    /// `queued`, `running`, `succeeded` or `failed`.
    #[getter]
    fn status(&self) -> &str {
        &self.0.status
    }
    #[getter]
    fn audio_url(&self) -> &str {
        &self.0.audio_url
    }
    #[getter]
    fn language(&self) -> Option<&str> {
        self.0.language.as_deref()
    }
    #[getter]
    fn metadata<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match &self.0.metadata {
            Some(v) => from_value(py, v),
            None => Ok(py.None().into_bound(py)),
        }
    }
    #[getter]
    fn created_at(&self) -> &str {
        &self.0.created_at
    }
    /// The fields as a `dict`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.0)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        model_repr(py, "Job", &self.to_dict(py)?, &[])
    }
}
