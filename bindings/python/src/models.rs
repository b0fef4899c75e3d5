//! Typed results of the Specala and PyAI clients: the core's structs behind read-only
//! attributes, with `to_dict()`, a readable `repr` (a created key's secret masked) and `==`.
//! Each model is a list of its fields; the class around them is written once, in
//! `model_class!`.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use surefoot::{pyai, specala};

use crate::convert::{from_value, serde_to_py};

/// How a getter hands out a field of the core's struct: text borrowed, numbers copied, JSON
/// converted (`None` when absent).
trait Attr {
    type Out<'a>
    where
        Self: 'a;
    fn attr(&self) -> Self::Out<'_>;
}

impl Attr for String {
    type Out<'a> = &'a str;
    fn attr(&self) -> &str {
        self
    }
}

impl Attr for Option<String> {
    type Out<'a> = Option<&'a str>;
    fn attr(&self) -> Option<&str> {
        self.as_deref()
    }
}

impl Attr for Option<f64> {
    type Out<'a> = Option<f64>;
    fn attr(&self) -> Option<f64> {
        *self
    }
}

impl Attr for Option<serde_json::Value> {
    type Out<'a> = Option<Json<'a>>;
    fn attr(&self) -> Option<Json<'_>> {
        self.as_ref().map(Json)
    }
}

/// A JSON value of a model, handed to Python as `json.loads` would give it.
struct Json<'a>(&'a serde_json::Value);

impl<'py> IntoPyObject<'py> for Json<'_> {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        from_value(py, self.0)
    }
}

/// `Name(field=repr, …)` from the model's dict, without the `skip`ped fields and with the
/// `mask`ed ones (secrets) masked.
fn model_repr(
    name: &str,
    dict: &Bound<'_, PyAny>,
    skip: &[&str],
    mask: &[&str],
) -> PyResult<String> {
    let dict = dict.cast::<PyDict>()?;
    let mut parts = Vec::new();
    for (k, v) in dict.iter() {
        let k: String = k.extract()?;
        if skip.contains(&k.as_str()) {
            continue;
        }
        let v = if mask.contains(&k.as_str()) {
            let masked = surefoot::security::mask_key(&v.extract::<String>()?);
            PyString::new(dict.py(), &masked).into_any()
        } else {
            v
        };
        parts.push(format!("{k}={}", v.repr()?.to_cow()?));
    }
    Ok(format!("{name}({})", parts.join(", ")))
}

/// Defines a model class: a frozen `#[pyclass]` wrapping the core's `$inner`, equal when its
/// fields are, with a read-only attribute per listed field (typed as its getter returns it,
/// see [`Attr`]), `to_dict()`, and a `repr` of that dict, which leaves out the fields it
/// `skips` and masks the ones it `masks`.
///
/// ```ignore
/// model_class! {
///     /// Docs of the class.
///     Name(core::Type), repr skips ["long_text"] {
///         id: &str,
///         /// Docs of the attribute.
///         long_text: Option<&str>,
///     }
/// }
/// ```
macro_rules! model_class {
    (
        $(#[$attr:meta])*
        $name:ident($inner:ty)
        $(, repr skips [$($skip:literal),*])?
        $(, repr masks [$($mask:literal),*])?
        { $($(#[$field_attr:meta])* $field:ident: $ty:ty),* $(,)? }
    ) => {
        $(#[$attr])*
        #[pyclass(frozen, eq, module = "surefoot._native")]
        #[derive(PartialEq)]
        pub(crate) struct $name(pub(crate) $inner);

        #[pymethods]
        impl $name {
            $(
                $(#[$field_attr])*
                #[getter]
                fn $field(&self) -> $ty {
                    self.0.$field.attr()
                }
            )*

            /// The fields as a `dict` (all of them, even those `repr` leaves out or masks).
            fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                serde_to_py(py, &self.0)
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                model_repr(
                    stringify!($name),
                    &self.to_dict(py)?,
                    &[$($($skip),*)?],
                    &[$($($mask),*)?],
                )
            }
        }
    };
}

model_class! {
    /// A Specala transcription.
    Transcription(specala::Transcription), repr skips ["text"] {
        id: &str,
        title: &str,
        language: Option<&str>,
        duration_seconds: Option<f64>,
        created_at: &str,
        text: Option<&str>,
    }
}

model_class! {
    /// A Specala API key as listed (no secret).
    KeyInfo(specala::KeyInfo) {
        id: &str,
        name: &str,
        created_at: &str,
    }
}

model_class! {
    /// A newly created Specala key: `key` is the secret, shown once (masked in `repr`).
    CreatedKey(specala::CreatedKey), repr masks ["key"] {
        id: &str,
        name: &str,
        key: &str,
        created_at: &str,
    }
}

model_class! {
    /// A PyAI transcription job.
    Job(pyai::Job) {
        id: &str,
        /// `queued`, `running`, `succeeded` or `failed`.
        status: &str,
        audio_url: &str,
        language: Option<&str>,
        metadata: Option<Json<'_>>,
        created_at: &str,
    }
}
