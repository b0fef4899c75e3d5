//! Conversions between Python values and the core's: seconds ↔ `Duration`, JSON bodies and
//! values, query parameters and headers.

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyList, PyMapping, PyString};
use serde_json::Value;

use crate::errors::invalid;

/// `Duration` → seconds.
pub(crate) fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn json_module_fn<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyAny>>,
    name: &str,
) -> PyResult<&'py Bound<'py, PyAny>> {
    cell.import(py, "json", name)
}

/// Parses JSON text with Python's `json.loads` (keeps the key order of the text).
pub(crate) fn json_loads<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    static LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    json_module_fn(py, &LOADS, "loads")?.call1((text,))
}

/// Serialises a Python value with `json.dumps` (compact, NaN refused); a value that is not
/// JSON is an `InvalidRequestError`, raised before anything is sent.
pub(crate) fn json_dumps(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<String> {
    static DUMPS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let kwargs = PyDict::new(py);
    kwargs.set_item("separators", (",", ":"))?;
    kwargs.set_item("ensure_ascii", false)?;
    kwargs.set_item("allow_nan", false)?;
    json_module_fn(py, &DUMPS, "dumps")?
        .call((value,), Some(&kwargs))
        .and_then(|s| s.extract::<String>())
        .map_err(|e| {
            invalid(
                py,
                format!("request body cannot be serialised as JSON: {}", e.value(py)),
            )
        })
}

/// A Python value → `serde_json::Value` (through `json.dumps`).
pub(crate) fn to_value(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Value> {
    let text = json_dumps(py, value)?;
    serde_json::from_str(&text).map_err(|e| invalid(py, format!("value is not JSON: {e}")))
}

/// A `serde_json::Value` → the Python value `json.loads` would give.
pub(crate) fn from_value<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(from_value(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, from_value(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// A serialisable core value → Python, through its JSON text (field order kept).
pub(crate) fn serde_to_py<'py, T: serde::Serialize>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    json_loads(py, &text)
}

/// An ordered `str → str` mapping handed to Python as a `dict` in that order.
pub(crate) struct StrMap(pub Vec<(String, String)>);

impl<'py> IntoPyObject<'py> for StrMap {
    type Target = PyDict;
    type Output = Bound<'py, PyDict>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        let dict = PyDict::new(py);
        for (k, v) in self.0 {
            dict.set_item(k, v)?;
        }
        Ok(dict)
    }
}

/// One query value as text: `str`, `int`, `float`, or `bool` (`true`/`false`).
fn query_value(py: Python<'_>, name: &str, v: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(if b.is_true() { "true" } else { "false" }.to_string());
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(s.to_cow()?.to_string());
    }
    if let Ok(i) = v.extract::<i64>() {
        return Ok(i.to_string());
    }
    if let Ok(f) = v.extract::<f64>() {
        return Ok(f.to_string());
    }
    Err(invalid(
        py,
        format!("query parameter {name:?} must be a str, int, float or bool (or a list of them)"),
    ))
}

/// `params` → query pairs. Values may be scalars or lists (repeated keys); `None` values
/// are skipped.
pub(crate) fn query_pairs(
    py: Python<'_>,
    params: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    let Some(params) = params.filter(|p| !p.is_none()) else {
        return Ok(out);
    };
    let mapping = params
        .cast::<PyMapping>()
        .map_err(|_| invalid(py, "params must be a mapping of names to values"))?;
    for item in mapping.items()?.iter() {
        let (k, v): (String, Bound<'_, PyAny>) = item.extract()?;
        if v.is_none() {
            continue;
        }
        if v.cast::<PyList>().is_ok() || v.cast::<pyo3::types::PyTuple>().is_ok() {
            for x in v.try_iter()? {
                out.push((k.clone(), query_value(py, &k, &x?)?));
            }
        } else {
            out.push((k.clone(), query_value(py, &k, &v)?));
        }
    }
    Ok(out)
}

/// `headers` → name/value pairs (checked by the core).
pub(crate) fn header_pairs(
    py: Python<'_>,
    headers: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    let Some(headers) = headers.filter(|h| !h.is_none()) else {
        return Ok(out);
    };
    let mapping = headers
        .cast::<PyMapping>()
        .map_err(|_| invalid(py, "headers must be a mapping of names to str values"))?;
    for item in mapping.items()?.iter() {
        let (k, v): (String, String) = item
            .extract()
            .map_err(|_| invalid(py, "headers must be a mapping of names to str values"))?;
        out.push((k, v));
    }
    Ok(out)
}

/// An integer argument as the core's rules take it; a non-integer is a `TypeError` naming
/// the argument, and an integer of any size goes on to the rule (which names the range) —
/// never an `OverflowError`.
pub(crate) fn int_arg(v: &Bound<'_, PyAny>, name: &str) -> PyResult<i128> {
    if v.is_instance_of::<pyo3::types::PyBool>() || !v.is_instance_of::<pyo3::types::PyInt>() {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "`{name}` must be an int, not {}",
            v.get_type().name()?
        )));
    }
    Ok(v.extract::<i128>().unwrap_or_else(|_| {
        if v.lt(0).unwrap_or(false) {
            i128::MIN
        } else {
            i128::MAX
        }
    }))
}

/// A list's `limit=` (None: the server's default), for the core's range check: an int of
/// any size (beyond 64 bits read as the nearest 64-bit value, refused by the same check).
pub(crate) fn limit_arg(v: Option<&Bound<'_, PyAny>>) -> PyResult<Option<i64>> {
    match v.filter(|v| !v.is_none()) {
        None => Ok(None),
        Some(v) => {
            let n = int_arg(v, "limit")?;
            Ok(Some(
                n.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
            ))
        }
    }
}

/// A string argument; anything else is a `TypeError` naming the argument and what it got.
pub(crate) fn str_arg(v: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    v.extract::<String>().map_err(|_| {
        let got = v
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default();
        pyo3::exceptions::PyTypeError::new_err(format!("`{name}` must be a str, not {got}"))
    })
}

/// An optional string argument (`None` stays `None`), as [`str_arg`].
pub(crate) fn opt_str_arg(v: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<Option<String>> {
    v.filter(|v| !v.is_none())
        .map(|v| str_arg(v, name))
        .transpose()
}
