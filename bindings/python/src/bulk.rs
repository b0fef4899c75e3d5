//! Bulk work for Python, on the core's `create_many` and `export_all`: the conversions of
//! items (`dict`s or URL strings), of the `key=` argument (a field name or a callable whose
//! value is the item's stable id, turned into a key by the core's `key_from_id`), of each
//! item's result (`JobResult`), of progress (a `dict` handed to the callback) and of the
//! export (an iterator of `(id, document)` fed by the core's export through a channel, or
//! a directory written by the core's `DirSink`).

use futures::StreamExt;
use pyo3::exceptions::{PyOSError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use surefoot::bulk::{self, rules, DirSink, ExportError, ExportProgress, JobOutcome, Progress};
use surefoot::pyai::{self, CreateJob};
use surefoot::specala::{self, Format};
use surefoot::{Error, ErrorKind};

use crate::convert::to_value;
use crate::errors::{invalid, to_pyerr};
use crate::models::Job;
use crate::pagination::{Item, Items};

// ----- create_many ----------------------------------------------------------------------

/// The options of one `create_many` call, converted.
pub(crate) struct CreateManyArgs {
    items: Vec<bulk::Item>,
    concurrency: usize,
    ordered: bool,
    progress: Option<Py<PyAny>>,
    on_result: Option<Py<PyAny>>,
}

/// Converts the arguments of `jobs.create_many(items, concurrency, key, ordered, progress,
/// on_result)`. `concurrency` and each item's key follow the core's rules
/// (`surefoot::bulk::rules`); a bare string or bytes where items go is refused (it would
/// otherwise be read as an iterable of characters).
pub(crate) fn create_many_args(
    py: Python<'_>,
    items: &Bound<'_, PyAny>,
    concurrency: Option<&Bound<'_, PyAny>>,
    key: Option<&Bound<'_, PyAny>>,
    ordered: bool,
    progress: Option<Py<PyAny>>,
    on_result: Option<Py<PyAny>>,
) -> PyResult<CreateManyArgs> {
    if items.is_instance_of::<PyString>() || items.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err(format!(
            "create_many(items): `items` must be a list (or any iterable) of items — dicts or URL strings — not a single {}: wrap one URL as [url]",
            items.get_type().name()?
        )));
    }
    let concurrency = match concurrency.filter(|c| !c.is_none()) {
        None => bulk::DEFAULT_CONCURRENCY,
        Some(c) => rules::concurrency(crate::convert::int_arg(c, "concurrency")?)
            .map_err(|e| to_pyerr(py, e))?,
    };
    let key = key.filter(|k| !k.is_none());
    if let Some(k) = key {
        if !k.is_instance_of::<PyString>() && !k.is_callable() {
            return Err(PyTypeError::new_err(
                "create_many(key=...): `key` must be a field name (str) or a callable giving each item's stable id",
            ));
        }
    }
    let mut jobs = Vec::new();
    let iter = items.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "create_many(items): `items` must be an iterable of dicts or URL strings, not {}",
            items
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })?;
    for (i, item) in iter.enumerate() {
        let item = item?;
        let mut one = bulk::Item::new(job_of(py, i, &item)?);
        if let Some(k) = key {
            one = one.stable_id(stable_id(py, i, &item, k)?);
        }
        // The core's key rule, checked before anything is sent.
        one.key(&format!("item {i}")).map_err(|e| to_pyerr(py, e))?;
        jobs.push(one);
    }
    Ok(CreateManyArgs {
        items: jobs,
        concurrency,
        ordered,
        progress,
        on_result: on_result.filter(|f| !f.is_none(py)),
    })
}

fn job_of(py: Python<'_>, i: usize, item: &Bound<'_, PyAny>) -> PyResult<CreateJob> {
    if let Ok(url) = item.cast::<PyString>() {
        return Ok(CreateJob::new(url.extract::<String>()?));
    }
    let Ok(d) = item.cast::<PyDict>() else {
        return Err(PyTypeError::new_err(format!(
            "create_many(items): item {i} must be a dict {{\"audio_url\", \"language\"?, \"metadata\"?}} or a URL string"
        )));
    };
    let mut job = match d.get_item("audio_url")? {
        Some(u) if u.is_instance_of::<PyString>() => CreateJob::new(u.extract::<String>()?),
        _ => {
            return Err(invalid(
                py,
                format!("item {i}: `audio_url` must be a string"),
            ))
        }
    };
    if let Some(l) = d.get_item("language")?.filter(|v| !v.is_none()) {
        job = job.language(
            l.extract::<String>()
                .map_err(|_| invalid(py, format!("item {i}: `language` must be a string")))?,
        );
    }
    if let Some(m) = d.get_item("metadata")?.filter(|v| !v.is_none()) {
        job = job.metadata(to_value(py, &m)?);
    }
    if let Some(k) = d.get_item("idempotency_key")?.filter(|v| !v.is_none()) {
        job =
            job.idempotency_key(k.extract::<String>().map_err(|_| {
                invalid(py, format!("item {i}: `idempotency_key` must be a string"))
            })?);
    }
    Ok(job)
}

/// The stable id `key` gives an item: `item[key]` for a field name, `key(item)` for a
/// callable; a string or an integer.
fn stable_id(
    py: Python<'_>,
    i: usize,
    item: &Bound<'_, PyAny>,
    key: &Bound<'_, PyAny>,
) -> PyResult<String> {
    let value = if let Ok(field) = key.cast::<PyString>() {
        let d = item.cast::<PyDict>().map_err(|_| {
            invalid(
                py,
                format!("item {i}: key={field} names a field, but the item is not a dict"),
            )
        })?;
        d.get_item(field)?
            .filter(|v| !v.is_none())
            .ok_or_else(|| invalid(py, format!("item {i}: has no field {field}")))?
    } else {
        key.call1((item,))?
    };
    if let Ok(s) = value.extract::<String>() {
        if !s.trim().is_empty() {
            return Ok(s);
        }
    } else if let Ok(n) = value.extract::<i64>() {
        return Ok(n.to_string());
    }
    Err(invalid(
        py,
        format!("item {i}: the key must be a non-empty string or an integer"),
    ))
}

fn progress_dict<'py>(py: Python<'py>, p: &Progress) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("total", p.total)?;
    d.set_item("done", p.done)?;
    d.set_item("failed", p.failed)?;
    d.set_item("not_done", p.not_done)?;
    d.set_item("requeued", p.requeued)?;
    d.set_item("submitted", p.submitted)?;
    Ok(d)
}

/// Calls a Python progress callback; an exception it raises is reported as unraisable
/// (the run goes on).
fn call_back(
    cb: &Py<PyAny>,
    make: impl for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyDict>>,
) {
    crate::shutdown::with_python(|py| {
        if let Err(e) = make(py).and_then(|d| cb.call1(py, (d,))) {
            e.write_unraisable(py, Some(cb.bind(py)));
        }
    });
}

/// Runs `create_many` for Python: every item's result, in input order or as completed.
pub(crate) async fn create_many_op(
    client: pyai::Client,
    args: CreateManyArgs,
) -> surefoot::Result<Results> {
    let CreateManyArgs {
        items,
        concurrency,
        ordered,
        progress,
        on_result,
    } = args;
    let mut run = client
        .jobs()
        .create_many_items(items)
        .concurrency(concurrency)
        .ordered(ordered);
    if let Some(cb) = progress {
        run = run.progress(move |p| call_back(&cb, |py| progress_dict(py, p)));
    }
    let mut all = Vec::new();
    run.for_each(|r| {
        if let Some(cb) = &on_result {
            // The callback gets the result as it is delivered; an exception it raises is
            // reported as unraisable (the run goes on).
            crate::shutdown::with_python(|py| {
                if let Err(e) = job_result(py, r.clone()).and_then(|jr| cb.call1(py, (jr,))) {
                    e.write_unraisable(py, Some(cb.bind(py)));
                }
            });
        }
        all.push(r)
    })
    .await;
    Ok(Results(all))
}

/// The results of a `create_many`, converted to a `list[JobResult]` when handed over.
pub(crate) struct Results(Vec<bulk::JobResult>);

impl<'py> IntoPyObject<'py> for Results {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        let list = PyList::empty(py);
        for r in self.0 {
            list.append(job_result(py, r)?)?;
        }
        Ok(list.into_any())
    }
}

/// One core result as a Python `JobResult`.
fn job_result(py: Python<'_>, r: bulk::JobResult) -> PyResult<Py<JobResult>> {
    let stopped_by = r.stopped_by().cloned();
    let (job, error, sent, stopped_by) = match r.outcome {
        JobOutcome::Created(j) => (Some(Py::new(py, Job(j))?), None, true, None),
        JobOutcome::Failed(e) => (None, Some(to_pyerr(py, e).into_value(py)), true, None),
        JobOutcome::NotDone { sent, reason } => {
            let reason = to_pyerr(py, reason);
            let stopped_by = stopped_by.map(|e| to_pyerr(py, e));
            // The error that stopped the run is the not-done error's cause.
            reason.set_cause(py, stopped_by.as_ref().map(|e| e.clone_ref(py)));
            let stopped_by = stopped_by.map(|e| e.into_value(py).into_any());
            (None, Some(reason.into_value(py)), sent, stopped_by)
        }
    };
    Py::new(
        py,
        JobResult {
            index: r.index,
            idempotency_key: r.idempotency_key,
            job,
            error: error.map(|e| e.into_any()),
            rounds: r.rounds,
            same_as: r.same_as,
            sent,
            stopped_by,
        },
    )
}

/// The result of one item of `jobs.create_many`: `job` when it exists (created now or
/// replayed), else `error` (the exception it failed with, or a `not_done` error when the
/// run ended first: safe to resubmit with the same `idempotency_key`).
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct JobResult {
    /// 0-based position of the item.
    #[pyo3(get)]
    index: usize,
    /// The idempotency key used (resubmitting with it never creates a second job).
    #[pyo3(get)]
    idempotency_key: String,
    /// The job, when it exists.
    #[pyo3(get)]
    job: Option<Py<Job>>,
    /// The exception, when the item failed or is not done.
    #[pyo3(get)]
    error: Option<Py<PyAny>>,
    /// Rounds the item took (0 when never sent).
    #[pyo3(get)]
    rounds: u32,
    /// The index of an earlier item with the same key and body (one job for both).
    #[pyo3(get)]
    same_as: Option<usize>,
    /// Whether a creation was sent for it (a not-done item never sent has `False`; a
    /// not-done item sent has an unknown outcome: resubmitting with its key tells).
    #[pyo3(get)]
    sent: bool,
    /// For a not-done item: the exception that stopped the run (401, 402, 403…), if one did.
    #[pyo3(get)]
    stopped_by: Option<Py<PyAny>>,
}

#[pymethods]
impl JobResult {
    /// Whether the job exists.
    #[getter]
    fn ok(&self) -> bool {
        self.job.is_some()
    }

    /// Whether the item is not done although its creation was sent: the server may hold
    /// its job (resubmitting with the same key replays it).
    #[getter]
    fn outcome_unknown(&self, py: Python<'_>) -> bool {
        self.sent
            && self.job.is_none()
            && self.error.as_ref().is_some_and(|e| {
                e.bind(py)
                    .getattr("kind")
                    .and_then(|k| k.extract::<String>())
                    .is_ok_and(|k| k == "not_done")
            })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(match (&self.job, &self.error) {
            (Some(j), _) => format!(
                "JobResult(index={}, idempotency_key={:?}, job={})",
                self.index,
                self.idempotency_key,
                j.bind(py).repr()?
            ),
            (None, Some(e)) => format!(
                "JobResult(index={}, idempotency_key={:?}, error={})",
                self.index,
                self.idempotency_key,
                e.bind(py).repr()?
            ),
            (None, None) => format!("JobResult(index={})", self.index),
        })
    }
}

// ----- export_all -----------------------------------------------------------------------

fn export_progress_dict<'py>(py: Python<'py>, p: &ExportProgress) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("listed", p.listed)?;
    d.set_item("listing_done", p.listing_done)?;
    d.set_item("skipped", p.skipped)?;
    d.set_item("to_fetch", p.to_fetch)?;
    d.set_item("written", p.written)?;
    Ok(d)
}

fn sink_error(e: ExportError) -> Error {
    match e {
        ExportError::Api(e) => e,
        ExportError::Sink { id, error } => Error::new(
            ErrorKind::InvalidRequest,
            "io_error",
            format!("cannot store {id}: {error}"),
        ),
    }
}

/// Every document as `(id, document)`, lazily: the core's export runs on the shared
/// runtime and hands each document over a channel; dropping the iterator stops it.
pub(crate) fn export_items(
    client: specala::Client,
    format: Format,
    progress: Option<Py<PyAny>>,
) -> Items {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<surefoot::Result<Item>>();
    surefoot::runtime::handle().spawn(async move {
        let mut export = client.transcriptions().export_all(format);
        if let Some(cb) = progress {
            export = export.progress(move |p| call_back(&cb, |py| export_progress_dict(py, p)));
        }
        let docs = tx.clone();
        let mut sink = move |id: &str, doc: &str| {
            docs.send(Ok(Item::Document(id.to_string(), doc.to_string())))
                .map_err(|_| std::io::Error::other("the iterator was dropped"))
        };
        if let Err(e) = export.run(&mut sink).await {
            if !tx.is_closed() {
                let _ = tx.send(Err(sink_error(e)));
            }
        }
    });
    tokio_stream_of(rx)
}

fn tokio_stream_of(rx: tokio::sync::mpsc::UnboundedReceiver<surefoot::Result<Item>>) -> Items {
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|x| (x, rx)) }).boxed()
}

/// Opens the directory of an export (before anything is sent); an `OSError` names it.
pub(crate) fn open_dir(directory: &std::path::Path, format: Format) -> PyResult<DirSink> {
    DirSink::open(directory, format)
        .map_err(|e| PyOSError::new_err(format!("cannot open {}: {e}", directory.display())))
}

/// Exports every transcription into `sink`'s directory; the report as a `dict`.
pub(crate) async fn export_dir_op(
    client: specala::Client,
    format: Format,
    mut sink: DirSink,
    progress: Option<Py<PyAny>>,
) -> surefoot::Result<ExportSummary> {
    let mut export = client.transcriptions().export_all(format);
    if let Some(cb) = progress {
        export = export.progress(move |p| call_back(&cb, |py| export_progress_dict(py, p)));
    }
    let report = export.run(&mut sink).await.map_err(sink_error)?;
    Ok(ExportSummary {
        report,
        directory: sink.dir().to_string_lossy().into_owned(),
        journal: sink.journal_path().to_string_lossy().into_owned(),
    })
}

/// What an export into a directory did, handed over as a `dict`.
pub(crate) struct ExportSummary {
    report: bulk::ExportReport,
    directory: String,
    journal: String,
}

impl<'py> IntoPyObject<'py> for ExportSummary {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        let r = self.report;
        let d = PyDict::new(py);
        d.set_item("listed", r.listed)?;
        d.set_item("written", r.written)?;
        d.set_item("skipped", r.skipped)?;
        d.set_item("pages", r.pages)?;
        d.set_item("chunks", r.chunks)?;
        d.set_item("requeued", r.requeued)?;
        d.set_item("directory", self.directory)?;
        d.set_item("journal", self.journal)?;
        Ok(d.into_any())
    }
}
