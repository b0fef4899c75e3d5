//! `surefoot.testing.Emulator`: the Rust emulator of both APIs (`surefoot-emulator`) run
//! in-process on loopback, as a context manager with `.url`, `.keys`, `.stats()` and fault
//! injection. Every call into the emulator is made without the GIL (its threads may log).

use std::sync::Mutex;
use std::time::Duration;

use pyo3::exceptions::{PyOSError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use surefoot_emulator::{
    parse_rate, start_blocking, Api, BlockingEmulator, Config, Fault, FaultAction, WindowKind,
};

use crate::convert::{header_pairs, json_dumps, serde_to_py};

/// The keyword options of `Emulator(api, **config)`.
const CONFIG_NAMES: &[&str] = &[
    "port",
    "host",
    "rate_limit",
    "burst",
    "data_limit",
    "management_limit",
    "no_rate_limits",
    "realtime_concurrency",
    "concurrency_retry_after",
    "retry_after_on_429",
    "transcriptions_per_workspace",
    "job_timeline",
    "latency",
    "window_kind",
    "record_accepted",
    "minimal",
];

fn secs_arg(name: &str, v: &Bound<'_, PyAny>) -> PyResult<Duration> {
    let s: f64 = v.extract()?;
    Duration::try_from_secs_f64(s).map_err(|_| {
        PyValueError::new_err(format!("{name} must be a non-negative number of seconds"))
    })
}

/// An integer option: a Python int out of `T`'s range is a `ValueError` naming the option and
/// the range (not pyo3's bare `OverflowError`), anything else a `TypeError` naming it.
fn int_arg<T>(name: &str, v: &Bound<'_, PyAny>) -> PyResult<T>
where
    T: for<'a, 'py> FromPyObject<'a, 'py> + num_range::Bounded,
{
    v.extract::<T>().map_err(|_| {
        if v.is_instance_of::<pyo3::types::PyInt>() && !v.is_instance_of::<pyo3::types::PyBool>() {
            PyValueError::new_err(format!(
                "{name} must be an integer from {} to {} (got {v})",
                T::MIN_TEXT,
                T::MAX_TEXT
            ))
        } else {
            PyTypeError::new_err(format!(
                "{name} must be an int (got {})",
                v.get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ))
        }
    })
}

/// The ranges `int_arg` names.
mod num_range {
    pub trait Bounded {
        const MIN_TEXT: &'static str;
        const MAX_TEXT: &'static str;
    }
    impl Bounded for u16 {
        const MIN_TEXT: &'static str = "0";
        const MAX_TEXT: &'static str = "65535";
    }
    impl Bounded for u32 {
        const MIN_TEXT: &'static str = "0";
        const MAX_TEXT: &'static str = "4294967295";
    }
    impl Bounded for usize {
        const MIN_TEXT: &'static str = "0";
        const MAX_TEXT: &'static str = "18446744073709551615";
    }
}

fn rate(spec: &str) -> PyResult<(u32, Duration)> {
    parse_rate(spec).map_err(PyValueError::new_err)
}

fn config_from(api: &str, options: Option<&Bound<'_, PyDict>>) -> PyResult<Config> {
    let api: Api = api.parse().map_err(PyValueError::new_err)?;
    let mut c = Config::for_api(api);
    let mut per_second: Option<Option<f64>> = None;
    let mut burst: Option<u32> = None;
    for (name, v) in options.into_iter().flat_map(|o| o.iter()) {
        let name: String = name.extract()?;
        match name.as_str() {
            "port" => c = c.port(int_arg("port", &v)?),
            "host" => c = c.host(host_arg(&v)?),
            "rate_limit" if v.is_none() => per_second = Some(None),
            "rate_limit" => per_second = Some(Some(per_second_arg(&v)?)),
            "burst" => burst = Some(int_arg("burst", &v)?),
            "data_limit" if v.is_none() => c.data_limit = None,
            "data_limit" => {
                let (n, w) = rate(&v.extract::<String>()?)?;
                c = c.data_limit(n, w);
            }
            "management_limit" if v.is_none() => c.management_limit = None,
            "management_limit" => {
                let (n, w) = rate(&v.extract::<String>()?)?;
                c = c.management_limit(n, w);
            }
            "no_rate_limits" => {
                if v.extract::<bool>()? {
                    c = c.no_rate_limits();
                }
            }
            "realtime_concurrency" => {
                c = c.realtime_concurrency(int_arg("realtime_concurrency", &v)?)
            }
            "concurrency_retry_after" => {
                c = c.concurrency_retry_after(secs_arg("concurrency_retry_after", &v)?)
            }
            "retry_after_on_429" => c = c.retry_after_on_429(v.extract()?),
            "transcriptions_per_workspace" => {
                c = c.transcriptions_per_workspace(int_arg("transcriptions_per_workspace", &v)?)
            }
            "job_timeline" => {
                let (queued, running): (Bound<'_, PyAny>, Bound<'_, PyAny>) = v.extract()?;
                c = c.job_timeline(
                    secs_arg("job_timeline", &queued)?,
                    secs_arg("job_timeline", &running)?,
                );
            }
            "latency" => c = c.latency(secs_arg("latency", &v)?),
            "window_kind" => c = c.window_kind(window_kind_arg(&v)?),
            "record_accepted" => c = c.record_accepted(v.extract()?),
            "minimal" => c = c.minimal(v.extract()?),
            other => {
                return Err(PyTypeError::new_err(format!(
                    "unexpected emulator option {other:?}; the options are: {}",
                    CONFIG_NAMES.join(", ")
                )))
            }
        }
    }
    Ok(with_rate_limit(c, per_second, burst))
}

/// `host`: an IP address.
fn host_arg(v: &Bound<'_, PyAny>) -> PyResult<std::net::IpAddr> {
    let host: String = v.extract()?;
    host.parse()
        .map_err(|_| PyValueError::new_err(format!("host must be an IP address (got {host:?})")))
}

/// `rate_limit`: `"N/s"`, `"N/min"`... or requests per second as a number.
fn per_second_arg(v: &Bound<'_, PyAny>) -> PyResult<f64> {
    if let Ok(s) = v.cast::<PyString>() {
        let (n, window) = rate(&s.to_cow()?)?;
        Ok(f64::from(n) / window.as_secs_f64())
    } else {
        v.extract::<f64>()
    }
}

/// `window_kind`: `"sliding"` or `"fixed"`.
fn window_kind_arg(v: &Bound<'_, PyAny>) -> PyResult<WindowKind> {
    match v.extract::<String>()?.as_str() {
        "sliding" => Ok(WindowKind::Sliding),
        "fixed" => Ok(WindowKind::Fixed),
        other => Err(PyValueError::new_err(format!(
            "window_kind must be \"sliding\" or \"fixed\" (got {other:?})"
        ))),
    }
}

/// Applies `rate_limit` (`Some(None)`: off) and `burst`, each keeping the API's default
/// for the other when given alone.
fn with_rate_limit(mut c: Config, per_second: Option<Option<f64>>, burst: Option<u32>) -> Config {
    match (per_second, burst) {
        (Some(None), _) => c.rate_limit = None,
        (Some(Some(ps)), b) => {
            let b = b.or(c.rate_limit.map(|r| r.burst)).unwrap_or(1);
            c = c.rate_limit(ps, b);
        }
        (None, Some(b)) => {
            if let Some(r) = c.rate_limit {
                c = c.rate_limit(r.per_second, b);
            }
        }
        (None, None) => {}
    }
    c
}

/// The emulator of Specala or PyAI on `http://127.0.0.1:<port>` (port 0 picks a free one).
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct Emulator {
    api: String,
    url: String,
    inner: Mutex<Option<BlockingEmulator>>,
}

impl Emulator {
    /// Runs `f` on the running emulator without the GIL.
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&BlockingEmulator) -> T + Send,
    ) -> PyResult<T> {
        py.detach(|| {
            let guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            guard.as_ref().map(f)
        })
        .ok_or_else(|| PyRuntimeError::new_err("the emulator is closed"))
    }
}

#[pymethods]
impl Emulator {
    #[new]
    #[pyo3(signature = (api = "pyai", **config))]
    fn new(py: Python<'_>, api: &str, config: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let config = config_from(api, config)?;
        let api = config.api.as_str().to_string();
        let emulator = py
            .detach(|| start_blocking(config))
            .map_err(|e| PyOSError::new_err(format!("cannot start the emulator: {e}")))?;
        Ok(Emulator {
            api,
            url: emulator.url(),
            inner: Mutex::new(Some(emulator)),
        })
    }

    /// `"specala"` or `"pyai"`.
    #[getter]
    fn api(&self) -> &str {
        &self.api
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// The active keys, as dicts (`id`, `value` — the secret to use —, `plan`, `scopes`…).
    #[getter]
    fn keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let keys = self.with(py, |e| e.keys())?;
        serde_to_py(py, &keys)
    }

    /// A snapshot of the counters (requests per route and status, jobs created, replays…).
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let stats = self.with(py, |e| e.stats())?;
        serde_to_py(py, &stats)
    }

    /// Zeroes the counters.
    fn reset_stats(&self, py: Python<'_>) -> PyResult<()> {
        self.with(py, |e| e.reset_stats())
    }

    /// Injects a fault for the next `count` requests matching `route` (`"POST
    /// /v1/transcription/jobs"`, `"GET /v1/transcriptions/*"`, `"*"`; `count=0` until
    /// cleared). `kind`: `"status"` (`status`, `body`, `headers`, `content_type`), `"delay"`
    /// (`delay` seconds), `"reset"`, `"truncated"`, `"malformed"`, `"html"` (`status`),
    /// `"drop_after_processing"`.
    #[pyo3(signature = (route, kind, *, count = 1, status = None, body = None, headers = None, content_type = None, delay = None))]
    #[allow(clippy::too_many_arguments)]
    fn inject(
        &self,
        py: Python<'_>,
        route: &str,
        kind: &str,
        count: u32,
        status: Option<u16>,
        body: Option<&Bound<'_, PyAny>>,
        headers: Option<&Bound<'_, PyAny>>,
        content_type: Option<String>,
        delay: Option<f64>,
    ) -> PyResult<()> {
        let need_status = || {
            status.ok_or_else(|| PyTypeError::new_err(format!("a {kind:?} fault needs status=")))
        };
        let fault = match kind {
            "status" => {
                let body = match body.filter(|b| !b.is_none()) {
                    None => String::new(),
                    Some(b) => match b.cast::<PyString>() {
                        Ok(s) => s.to_cow()?.to_string(),
                        Err(_) => json_dumps(py, b)?,
                    },
                };
                let headers = header_pairs(py, headers)?;
                let headers: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let mut f =
                    Fault::status_with_headers(route, count, need_status()?, &body, &headers);
                if let (Some(ct), FaultAction::Status { content_type, .. }) =
                    (content_type, &mut f.action)
                {
                    *content_type = Some(ct);
                }
                f
            }
            "delay" => {
                let d = Duration::try_from_secs_f64(delay.unwrap_or(0.0)).map_err(|_| {
                    PyValueError::new_err("delay must be a non-negative number of seconds")
                })?;
                Fault::delay(route, count, d.as_millis() as u64)
            }
            "reset" => Fault::reset(route, count),
            "truncated" => Fault::truncated(route, count),
            "malformed" => Fault::malformed(route, count),
            "html" => Fault::html(route, count, need_status()?),
            "drop_after_processing" => Fault::drop_after_processing(route, count),
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown fault kind {other:?}; kinds: status, delay, reset, truncated, \
                     malformed, html, drop_after_processing"
                )))
            }
        };
        if !fault.route_is_valid() {
            return Err(PyValueError::new_err(format!(
                "route must be \"*\" or \"METHOD /path\" (got {route:?})"
            )));
        }
        self.with(py, move |e| e.inject(fault))
    }

    /// The active faults, in check order.
    fn faults<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let faults = self.with(py, |e| e.faults())?;
        serde_to_py(py, &faults)
    }

    /// Removes every fault.
    fn clear_faults(&self, py: Python<'_>) -> PyResult<()> {
        self.with(py, |e| e.clear_faults())
    }

    /// Stops the server (a second call does nothing).
    fn close(&self, py: Python<'_>) {
        py.detach(|| {
            let emulator = self.inner.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(e) = emulator {
                e.shutdown();
            }
        })
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) {
        self.close(py);
    }

    fn __repr__(&self) -> String {
        format!("Emulator(api='{}', url='{}')", self.api, self.url)
    }
}
