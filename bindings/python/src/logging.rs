//! The core's `tracing` events → the standard `logging` logger `surefoot`.
//!
//! A small `tracing` layer, installed as the process's subscriber when the module is
//! imported, takes the core's events (targets `surefoot::…`) and hands them to the logger
//! with the GIL: the message, then `key=value` for the event's fields and those of the
//! enclosing request/attempt spans (`method`, `path`, `attempt`, `status`, `code`,
//! `wait_ms`…), also available as `record.surefoot` (a dict). The core never puts a key in an
//! event, so no record holds one.
//!
//! Levels map ERROR→40, WARN→30, INFO→20, DEBUG→10, TRACE→5. To keep runtime threads from
//! taking the GIL for records nobody wants, the layer drops events below the `surefoot`
//! logger's effective level, which is re-read on every call into the binding.

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicI32, Ordering};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple};
use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{span, Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;

/// The Python logger's name.
const LOGGER_NAME: &str = "surefoot";

/// The `surefoot` logger's effective level, as last seen.
static THRESHOLD: AtomicI32 = AtomicI32::new(30);
static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Looks the logger up and installs the layer (once per process; if another global
/// subscriber is already installed, events stay with it).
pub(crate) fn install(py: Python<'_>) -> PyResult<()> {
    let logger = py
        .import("logging")?
        .call_method1("getLogger", (LOGGER_NAME,))?;
    let _ = LOGGER.set(py, logger.unbind());
    refresh_level(py);
    let _ =
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(PyLogLayer));
    Ok(())
}

/// Re-reads the logger's effective level (cheap; done on every call into the binding).
pub(crate) fn refresh_level(py: Python<'_>) {
    if let Some(logger) = LOGGER.get(py) {
        if let Ok(level) = logger
            .call_method0(py, "getEffectiveLevel")
            .and_then(|l| l.extract::<i32>(py))
        {
            THRESHOLD.store(level, Ordering::Relaxed);
        }
    }
}

fn python_level(level: &Level) -> i32 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

fn is_core(meta: &Metadata<'_>) -> bool {
    let target = meta.target();
    target == "surefoot" || target.starts_with("surefoot::")
}

/// Fields of an event or span, in order; `message` apart.
#[derive(Default)]
struct Fields {
    message: Option<String>,
    pairs: Vec<(&'static str, String)>,
}

impl Fields {
    fn put(&mut self, field: &Field, value: String) {
        if field.name() == "message" {
            self.message = Some(value);
        } else if let Some(slot) = self.pairs.iter_mut().find(|(k, _)| *k == field.name()) {
            slot.1 = value;
        } else {
            self.pairs.push((field.name(), value));
        }
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, format!("{value:?}"));
    }
}

struct PyLogLayer;

impl<S> Layer<S> for PyLogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        if is_core(meta) {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, meta: &Metadata<'_>, _: Context<'_, S>) -> bool {
        is_core(meta)
            && (meta.is_span() || python_level(meta.level()) >= THRESHOLD.load(Ordering::Relaxed))
    }

    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            if let Some(fields) = span.extensions_mut().get_mut::<Fields>() {
                values.record(fields);
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut fields = Fields::default();
        event.record(&mut fields);
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(span_fields) = span.extensions().get::<Fields>() {
                    for (k, v) in &span_fields.pairs {
                        if !fields.pairs.iter().any(|(have, _)| have == k) {
                            fields.pairs.push((k, v.clone()));
                        }
                    }
                }
            }
        }
        // Nothing is logged while the interpreter shuts down (`shutdown`).
        crate::shutdown::with_python(|py| {
            let _ = emit(py, python_level(meta.level()), meta, fields);
        });
    }
}

fn emit(py: Python<'_>, level: i32, meta: &Metadata<'_>, fields: Fields) -> PyResult<()> {
    let Some(logger) = LOGGER.get(py) else {
        return Ok(());
    };
    let logger = logger.bind(py);
    if !logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
        return Ok(());
    }
    // The logger is already named `surefoot`: the core's "surefoot: " prefix (there for
    // plain-text logs) would only repeat it.
    let message = fields.message.unwrap_or_default();
    let mut text = message
        .strip_prefix("surefoot: ")
        .unwrap_or(&message)
        .to_string();
    let extra_fields = PyDict::new(py);
    for (k, v) in &fields.pairs {
        let _ = write!(text, " {k}={v}");
        extra_fields.set_item(*k, v)?;
    }
    let extra = PyDict::new(py);
    extra.set_item("surefoot", extra_fields)?;
    extra.set_item("surefoot_target", meta.target())?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("extra", extra)?;
    let record = logger.call_method(
        "makeRecord",
        (
            logger.getattr("name")?,
            level,
            meta.file().unwrap_or("<surefoot>"),
            meta.line().unwrap_or(0),
            text.trim_start(),
            PyTuple::empty(py),
            py.None(),
        ),
        Some(&kwargs),
    )?;
    logger.call_method1("handle", (record,))?;
    Ok(())
}
