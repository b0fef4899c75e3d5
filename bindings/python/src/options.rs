//! Client keyword options → the core's `ClientBuilder`, and [`Core`]: the built client shared
//! by a Python client object and its resources, rebuilt in a child process after `fork()`
//! (the parent's connections were driven by runtime threads the child does not have).

use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use surefoot::{Api, ClientBuilder};

use crate::convert::{header_pairs, seconds};
use crate::errors::{invalid, to_pyerr};
use crate::ratelimit::rate_limit_from;

/// The keyword options every client constructor accepts.
pub(crate) const OPTION_NAMES: &[&str] = &[
    "max_retries",
    "timeout",
    "connect_timeout",
    "deadline",
    "max_retry_wait",
    "backoff",
    "rate_limit",
    "pacing",
    "pacing_store",
    "max_concurrent_sessions",
    "allow_insecure_http",
    "headers",
    "user_agent",
    "max_response_bytes",
    "prefetch",
    "paths",
    "fields",
    "surfaces",
    "error_shape",
];

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
    /// by the core before anything is sent. A typed client without `api_key` reads the API's
    /// environment variable (`SPECALA_API_KEY`, `PYAI_API_KEY`).
    pub(crate) fn build(
        py: Python<'_>,
        api: Api,
        base_url: Option<String>,
        api_key: Option<String>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Arc<Core>> {
        let api_key = api_key.or_else(|| {
            api.key_env_var()
                .and_then(|var| std::env::var(&var).ok())
                .filter(|k| !k.is_empty())
        });
        let mut builder = surefoot::Client::builder().api(api);
        if let Some(url) = base_url {
            builder = builder.base_url(url);
        }
        let masked_key = api_key.as_deref().map(surefoot::security::mask_key);
        if let Some(key) = api_key {
            builder = builder.api_key(key);
        }
        if let Some(options) = options {
            for (name, value) in options.iter() {
                let name: String = name.extract()?;
                builder = apply(py, builder, &name, &value)?;
            }
        }
        let client = builder.clone().build().map_err(|e| to_pyerr(py, e))?;
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

fn apply(
    py: Python<'_>,
    b: ClientBuilder,
    name: &str,
    value: &Bound<'_, PyAny>,
) -> PyResult<ClientBuilder> {
    let secs = |v: &Bound<'_, PyAny>| -> PyResult<std::time::Duration> {
        seconds(py, name, v.extract::<f64>()?)
    };
    Ok(match name {
        "max_retries" => b.max_retries(value.extract()?),
        "timeout" if value.is_none() => b.no_timeout(),
        "timeout" => b.timeout(secs(value)?),
        "connect_timeout" => b.connect_timeout(secs(value)?),
        "deadline" if value.is_none() => b,
        "deadline" => b.deadline(secs(value)?),
        "max_retry_wait" => b.max_retry_wait(secs(value)?),
        "backoff" if value.is_none() => b,
        "backoff" => {
            let (base, cap): (f64, f64) = value.extract().map_err(|_| {
                PyTypeError::new_err("backoff must be a (base, cap) pair of seconds")
            })?;
            b.backoff(seconds(py, "backoff", base)?, seconds(py, "backoff", cap)?)
        }
        "rate_limit" => match rate_limit_from(py, value)? {
            Some(limit) => b.rate_limit(limit),
            None => b,
        },
        "pacing" if value.extract::<bool>()? => b,
        "pacing" => b.disable_pacing(),
        "pacing_store" if value.is_none() => b,
        "pacing_store" => b.pacing_store_url(value.extract::<String>()?),
        "max_concurrent_sessions" if value.is_none() => b,
        "max_concurrent_sessions" => {
            let n: usize = value.extract()?;
            if n == 0 {
                return Err(invalid(py, "max_concurrent_sessions must be at least 1"));
            }
            b.max_concurrent_sessions(n)
        }
        "allow_insecure_http" => b.allow_insecure_http(value.extract()?),
        "headers" => header_pairs(py, Some(value))?
            .into_iter()
            .fold(b, |b, (k, v)| b.header(k, v)),
        "user_agent" if value.is_none() => b,
        "user_agent" => b.user_agent(value.extract::<String>()?),
        "max_response_bytes" if value.is_none() => b,
        "max_response_bytes" => b.max_response_bytes(value.extract()?),
        "prefetch" => b.prefetch(value.extract()?),
        "paths" if value.is_none() => b,
        "paths" => {
            let pairs: Vec<(String, String)> = value
                .call_method0("items")
                .and_then(|items| items.try_iter()?.map(|kv| kv?.extract()).collect())
                .map_err(|_| {
                    PyTypeError::new_err("paths must be a mapping of endpoint name to path")
                })?;
            pairs.into_iter().fold(b, |b, (k, v)| b.path(k, v))
        }
        "surfaces" if value.is_none() => b,
        "surfaces" => {
            let pairs: Vec<(String, Bound<'_, PyAny>)> = value
                .call_method0("items")
                .and_then(|items| items.try_iter()?.map(|kv| kv?.extract()).collect())
                .map_err(|_| {
                    PyTypeError::new_err(
                        "surfaces must be a mapping of path prefix to a rate limit (\"500/min\", a RateLimit, or None)",
                    )
                })?;
            let mut b = b;
            for (prefix, limit) in pairs {
                b = b.surface(prefix, rate_limit_from(py, &limit)?);
            }
            b
        }
        "error_shape" if value.is_none() => b,
        "error_shape" => {
            let pairs: Vec<(String, Bound<'_, PyAny>)> = value
                .call_method0("items")
                .and_then(|items| items.try_iter()?.map(|kv| kv?.extract()).collect())
                .map_err(|_| error_shape_type())?;
            let mut shape = surefoot::error::ErrorShape::new();
            for (part, at) in pairs {
                let all: Vec<String> = match at.extract::<String>() {
                    Ok(one) => vec![one],
                    Err(_) => at.extract().map_err(|_| error_shape_type())?,
                };
                for at in all {
                    shape = shape.hint(&part, &at);
                }
            }
            b.error_shape(shape)
        }
        "fields" if value.is_none() => b,
        "fields" => {
            let pairs: Vec<(String, String)> = value
                .call_method0("items")
                .and_then(|items| items.try_iter()?.map(|kv| kv?.extract()).collect())
                .map_err(|_| {
                    PyTypeError::new_err(
                        "fields must be a mapping of field name to the server's name",
                    )
                })?;
            pairs.into_iter().fold(b, |b, (k, v)| b.field(k, v))
        }
        other => {
            return Err(PyTypeError::new_err(format!(
                "unexpected client option {other:?}; the options are: {}",
                OPTION_NAMES.join(", ")
            )))
        }
    })
}

fn error_shape_type() -> PyErr {
    PyTypeError::new_err(
        "error_shape must be a mapping of part (\"code\", \"message\", \"request_id\", \"request_id_header\") to a JSON Pointer or header name, or a list of them",
    )
}
