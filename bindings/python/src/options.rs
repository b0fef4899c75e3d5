//! Client keyword options → the core's `ClientBuilder`, and [`Core`]: the built client shared
//! by a Python client object and its resources, rebuilt in a child process after `fork()`
//! (the parent's connections were driven by runtime threads the child does not have). Each
//! keyword is converted to a `surefoot::options::OptionValue` and checked by the core's rule
//! for it (`ClientBuilder::set`), the same as in Rust and C: no check of its own here.

use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple};
use surefoot::options::OptionValue;
use surefoot::{Api, ClientBuilder};

use crate::errors::{invalid, to_pyerr};

/// A Python value as the core's option value: `None`, `bool`, `int`, `float`, `str` (or an
/// `os.PathLike` giving one), a `RateLimit`, a mapping or a tuple/list (an int beyond 128 bits as a float, which the core
/// refuses as out of range); another type cannot be converted and raises `TypeError`.
pub(crate) fn option_value(value: &Bound<'_, PyAny>) -> PyResult<OptionValue> {
    if value.is_none() {
        return Ok(OptionValue::None);
    }
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(OptionValue::Bool(b.is_true()));
    }
    if value.is_instance_of::<PyInt>() {
        // Beyond 128 bits: as a float (the core refuses it as out of range or not whole).
        return Ok(match value.extract::<i128>() {
            Ok(n) => OptionValue::Int(n),
            Err(_) => OptionValue::Float(value.extract::<f64>().unwrap_or(f64::INFINITY)),
        });
    }
    if let Ok(f) = value.cast::<PyFloat>() {
        return Ok(OptionValue::Float(f.value()));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(OptionValue::Text(s.to_cow()?.into_owned()));
    }
    if value.hasattr("__fspath__")? {
        // os.PathLike (a `pathlib.Path` for `ca_file`): its text path, as `os.fspath` gives.
        let path = value.call_method0("__fspath__")?;
        if let Ok(s) = path.cast::<PyString>() {
            return Ok(OptionValue::Text(s.to_cow()?.into_owned()));
        }
    }
    if let Ok(r) = value.cast::<crate::ratelimit::RateLimit>() {
        return Ok(OptionValue::Limit(r.get().0));
    }
    if value.is_instance_of::<PyTuple>() || value.is_instance_of::<PyList>() {
        let items: PyResult<Vec<OptionValue>> =
            value.try_iter()?.map(|v| option_value(&v?)).collect();
        return Ok(OptionValue::List(items?));
    }
    if let Ok(m) = value.cast::<PyMapping>() {
        let mut members = Vec::new();
        for kv in m.items()?.try_iter()? {
            let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = kv?.extract()?;
            let key = match k.cast::<PyString>() {
                Ok(s) => s.to_cow()?.into_owned(),
                Err(_) => k.str()?.to_cow()?.into_owned(),
            };
            members.push((key, option_value(&v)?));
        }
        return Ok(OptionValue::Map(members));
    }
    Err(PyTypeError::new_err(format!(
        "a {} cannot be an option value (None, bool, int, float, str, RateLimit, a mapping or a sequence)",
        value.get_type().name()?
    )))
}

/// The built core client of one Python client object (and of its resources).
pub(crate) struct Core {
    builder: ClientBuilder,
    base_url: String,
    masked_key: Option<String>,
    state: Mutex<State>,
}

enum State {
    Open { pid: u32, client: surefoot::Client },
    Closed,
}

impl Core {
    /// Builds a client for `api` from the constructor's arguments; every setting is checked
    /// by the core before anything is sent. A typed client without `api_key` or `base_url`
    /// reads them from the environment by the core's `ClientBuilder::from_env`
    /// (`SPECALA_API_KEY`, `PYAI_API_KEY`, `SPECALA_BASE_URL`, `PYAI_BASE_URL`).
    pub(crate) fn build(
        py: Python<'_>,
        api: Api,
        base_url: Option<String>,
        api_key: Option<String>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Arc<Core>> {
        let mut builder = surefoot::Client::builder().api(api);
        let set = |b: &mut ClientBuilder, name: &str, value: OptionValue| {
            b.set(name, value).map_err(|e| to_pyerr(py, e))
        };
        if let Some(url) = base_url {
            set(&mut builder, "base_url", OptionValue::Text(url))?;
        }
        if let Some(key) = api_key {
            set(&mut builder, "api_key", OptionValue::Text(key))?;
        }
        if let Some(options) = options {
            for (name, value) in options.iter() {
                let name: String = name.extract()?;
                let value = option_value(&value).map_err(|e| not_unicode(py, &name, e))?;
                set(&mut builder, &name, value)?;
            }
        }
        // The key and base URL not given come from the environment, as in Rust and C.
        let builder = builder.from_env();
        let client = builder.clone().build().map_err(|e| to_pyerr(py, e))?;
        let masked_key = client.describe_option("api_key").filter(|m| m != "none");
        Ok(Arc::new(Core {
            builder,
            base_url: client.base_url().to_string(),
            masked_key,
            state: Mutex::new(State::Open {
                pid: std::process::id(),
                client,
            }),
        }))
    }

    /// The core client; after a `fork()` the child gets a fresh one (new connections, the
    /// child's runtime). A closed client raises `InvalidRequestError`.
    pub(crate) fn client(&self, py: Python<'_>) -> PyResult<surefoot::Client> {
        let pid = std::process::id();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match &*state {
            State::Closed => Err(invalid(py, "the client is closed")),
            State::Open { pid: owner, client } if *owner == pid => Ok(client.clone()),
            State::Open { .. } => {
                let client = self.builder.clone().build().map_err(|e| to_pyerr(py, e))?;
                *state = State::Open {
                    pid,
                    client: client.clone(),
                };
                Ok(client)
            }
        }
    }

    /// Drops the client's connections; later calls raise `InvalidRequestError`.
    pub(crate) fn close(&self) {
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = State::Closed;
    }

    /// `Name(base_url='…', api_key='sk-…f00d')` — the key masked.
    pub(crate) fn repr(&self, class: &str) -> String {
        let closed = matches!(
            *self.state.lock().unwrap_or_else(|p| p.into_inner()),
            State::Closed
        );
        let key = match &self.masked_key {
            Some(m) => format!("'{m}'"),
            None => "None".to_string(),
        };
        format!(
            "{class}(base_url='{}', api_key={key}{})",
            self.base_url,
            if closed { ", closed=True" } else { "" }
        )
    }
}

/// A string that is not valid Unicode (a lone surrogate: `UnicodeEncodeError`) is an
/// `InvalidRequestError` naming the option, like every other refused setting; a value of a
/// type no option takes stays a `TypeError`.
fn not_unicode(py: Python<'_>, name: &str, e: PyErr) -> PyErr {
    if e.is_instance_of::<pyo3::exceptions::PyUnicodeError>(py) {
        invalid(py, format!("{name}: {}", e.value(py)))
    } else {
        e
    }
}
