//! Typed results of the Specala and PyAI clients: the core's tolerant models behind
//! read-only attributes (`None` when the server sent a field missing, `null` or of another
//! type), with `to_dict()` (the server's whole JSON object), `created_at` parsed to an aware
//! `datetime` next to `created_at_raw` as sent, a readable `repr` (a created key's secret
//! masked) and `==`.
//! Each model is a list of its fields; the class around them is written once, in
//! `model_class!`.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString};
use surefoot::{pyai, specala};

use crate::convert::from_value;

/// How a getter hands out a field the core's model read: text borrowed, numbers copied,
/// JSON converted, `None` when the server sent nothing usable.
trait Attr<'a> {
    type Out;
    fn attr(self) -> Self::Out;
}

impl<'a> Attr<'a> for &'a str {
    type Out = &'a str;
    fn attr(self) -> &'a str {
        self
    }
}

impl<'a> Attr<'a> for Option<&'a str> {
    type Out = Option<&'a str>;
    fn attr(self) -> Option<&'a str> {
        self
    }
}

impl<'a> Attr<'a> for Option<f64> {
    type Out = Option<f64>;
    fn attr(self) -> Option<f64> {
        self
    }
}

impl<'a> Attr<'a> for Option<&'a serde_json::Value> {
    type Out = Option<Json<'a>>;
    fn attr(self) -> Option<Json<'a>> {
        self.map(Json)
    }
}

impl<'a> Attr<'a> for Option<std::time::SystemTime> {
    type Out = Option<DateTime>;
    fn attr(self) -> Option<DateTime> {
        self.map(DateTime)
    }
}

/// A parsed time, handed to Python as an aware `datetime.datetime` in UTC.
struct DateTime(std::time::SystemTime);

impl<'py> IntoPyObject<'py> for DateTime {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        static EPOCH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        static TIMEDELTA: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let epoch = EPOCH.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            let dt = py.import("datetime")?;
            let utc = dt.getattr("timezone")?.getattr("utc")?;
            Ok(dt
                .getattr("datetime")?
                .call1((1970, 1, 1, 0, 0, 0, 0, utc))?
                .unbind())
        })?;
        let timedelta = TIMEDELTA.import(py, "datetime", "timedelta")?;
        // Whole seconds and microseconds apart: exact for any time from year 1 to 9999.
        let (secs, micros) = match self.0.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => (d.as_secs() as i64, i64::from(d.subsec_micros())),
            Err(e) => {
                let d = e.duration();
                (-(d.as_secs() as i64), -i64::from(d.subsec_micros()))
            }
        };
        let kwargs = PyDict::new(py);
        kwargs.set_item("seconds", secs)?;
        kwargs.set_item("microseconds", micros)?;
        let delta = timedelta.call((), Some(&kwargs))?;
        epoch.bind(py).call_method1("__add__", (delta,))
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
    // The id first, then the other members in the dict's order.
    let mut items: Vec<(String, Bound<'_, PyAny>)> = dict
        .iter()
        .map(|(k, v)| Ok((k.extract::<String>()?, v)))
        .collect::<PyResult<_>>()?;
    items.sort_by_key(|(k, _)| k != "id");
    for (k, v) in items {
        if skip.contains(&k.as_str()) {
            continue;
        }
        let v = match v.extract::<String>() {
            Ok(secret) if mask.contains(&k.as_str()) => {
                let masked = surefoot::security::mask_key(&secret);
                PyString::new(dict.py(), &masked).into_any()
            }
            _ => v,
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
                    self.0.$field().attr()
                }
            )*

            /// The object exactly as the server sent it, as a `dict`: every member, the ones
            /// without an attribute included (and those `repr` leaves out or masks).
            fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                from_value(py, self.0.raw())
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
    /// A Specala transcription. Only `id` is required: every other attribute is `None`
    /// when the server sent it missing, `null` or of another type; `to_dict()` has it all.
    Transcription(specala::Transcription), repr skips ["text"] {
        id: &str,
        title: Option<&str>,
        language: Option<&str>,
        duration_seconds: Option<f64>,
        /// As the server sent it: an RFC 3339 string or Unix seconds (or `None`).
        created_at_raw: Option<Json<'_>>,
        /// Parsed from an RFC 3339 string or Unix seconds, in UTC (`None` if unreadable).
        created_at: Option<DateTime>,
        text: Option<&str>,
    }
}

model_class! {
    /// A Specala API key as listed (no secret).
    KeyInfo(specala::KeyInfo) {
        id: &str,
        name: Option<&str>,
        created_at_raw: Option<Json<'_>>,
        created_at: Option<DateTime>,
    }
}

model_class! {
    /// A newly created Specala key: `key` is the secret, shown once (masked in `repr`).
    CreatedKey(specala::CreatedKey), repr masks ["key"] {
        id: &str,
        name: Option<&str>,
        key: Option<&str>,
        created_at_raw: Option<Json<'_>>,
        created_at: Option<DateTime>,
    }
}

model_class! {
    /// A PyAI transcription job. Only `id` is required: every other attribute is `None`
    /// when the server sent it missing, `null` or of another type; `to_dict()` has it all.
    Job(pyai::Job) {
        id: &str,
        /// `queued`, `running`, `succeeded` or `failed` (or whatever text the server sent).
        status: Option<&str>,
        audio_url: Option<&str>,
        language: Option<&str>,
        metadata: Option<Json<'_>>,
        created_at_raw: Option<Json<'_>>,
        created_at: Option<DateTime>,
    }
}
