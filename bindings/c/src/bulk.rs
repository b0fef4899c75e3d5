//! Bulk work through the C ABI, on the core's `create_many` and `export_all`:
//! `sf_pyai_create_jobs` takes an array of `sf_job_params` and calls back once per item
//! (index, the job or the error, the idempotency key used), on the calling thread, in input
//! order (`sf_pyai_create_jobs_with`: or as completed, with a progress callback);
//! `sf_specala_export_all` writes every transcription into a directory (atomic files, a
//! journal beside it, so a re-run fetches only what is missing) with a progress callback.

use std::ffi::{c_char, c_void};

use surefoot::bulk::{rules, DirSink, ExportError, Item, JobOutcome, JobResult};
use surefoot::specala::Format;
use surefoot::{Api, Error, ErrorKind};

use crate::client::sf_client;
use crate::error::{sf_error, sf_result, Failure};
use crate::ffi::{arg_ref, arg_str, opt_str, to_cstring};
use crate::panic::call;
use crate::typed::{check_api, sf_job};

/// One item of `sf_pyai_create_jobs`. Every string is NULL or NUL-terminated and read
/// during the call only.
#[repr(C)]
pub struct sf_job_params {
    /// Required: where the audio is, e.g. `"https://example.com/a.wav"`.
    pub audio_url: *const c_char,
    /// NULL or a language hint such as `"en"`.
    pub language: *const c_char,
    /// NULL or a JSON object kept with the job, e.g. `"{\"batch\": 7}"`.
    pub metadata_json: *const c_char,
    /// NULL, or the idempotency key to use as is.
    pub idempotency_key: *const c_char,
    /// NULL, or the item's own stable id (an order number, a line id): the key is then
    /// derived from it (`sf-<UUID v5>`), the same in every run, process and language.
    /// With both NULL, the key is derived from the item's content.
    pub stable_id: *const c_char,
}

/// Called once per item of `sf_pyai_create_jobs`, on the calling thread: `index` (0-based),
/// the job when it exists (created or replayed) or else the error (kind `SF_KIND_NOT_DONE`,
/// code `not_done`, when the run stopped first: its message says why and whether the
/// creation was sent, its outcome then unknown; resubmitting with the same key is safe, the
/// server replays a job it holds), and the idempotency key used.
/// `job`, `error` and `idempotency_key` are borrowed for the duration of the call only.
pub type sf_job_result_cb = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        index: usize,
        job: *const sf_job,
        error: *const sf_error,
        idempotency_key: *const c_char,
    ),
>;

/// One item, its key by the core's rule (`idempotency_key`, else `stable_id`, else the
/// content: `surefoot::bulk::rules::item_key`).
unsafe fn params(i: usize, p: &sf_job_params) -> Result<Item, Failure> {
    let url = unsafe { arg_str(p.audio_url, &format!("items[{i}].audio_url")) }?;
    let mut job = surefoot::pyai::CreateJob::new(url);
    if let Some(l) = unsafe { opt_str(p.language, &format!("items[{i}].language")) }? {
        job = job.language(l);
    }
    if let Some(m) = unsafe { opt_str(p.metadata_json, &format!("items[{i}].metadata_json")) }? {
        let value: serde_json::Value = serde_json::from_str(m).map_err(|e| {
            Failure::invalid(format!("`items[{i}].metadata_json` is not valid JSON: {e}"))
        })?;
        job = job.metadata(value);
    }
    if let Some(k) = unsafe { opt_str(p.idempotency_key, &format!("items[{i}].idempotency_key")) }?
    {
        job = job.idempotency_key(k);
    }
    let mut item = Item::new(job);
    if let Some(id) = unsafe { opt_str(p.stable_id, &format!("items[{i}].stable_id")) }? {
        item = item.stable_id(id);
    }
    item.key(&format!("item {i}"))?;
    Ok(item)
}

/// Counters of a `sf_pyai_create_jobs_with` run so far, handed to its progress callback
/// after each result.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct sf_create_jobs_progress {
    /// Items given (`n`).
    pub total: usize,
    /// Items done (created or replayed).
    pub done: usize,
    /// Items failed for good.
    pub failed: usize,
    /// Items not done (the run stopped first; safe to resubmit with the same key).
    pub not_done: usize,
    /// Requeues so far (an item requeued twice counts twice).
    pub requeued: usize,
    /// Creations sent (first rounds of distinct keys).
    pub submitted: usize,
}

/// Called after each result of `sf_pyai_create_jobs_with`, on the calling thread, with the
/// counters so far (borrowed for the duration of the call).
pub type sf_create_jobs_progress_cb =
    Option<unsafe extern "C" fn(user_data: *mut c_void, progress: *const sf_create_jobs_progress)>;

/// Options of `sf_pyai_create_jobs_with`; a zeroed struct (or NULL) means the defaults.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sf_create_jobs_options {
    /// At most this many creations in flight (0: the default, 16; above 256:
    /// `SF_INVALID_ARGUMENT` before anything is sent).
    pub concurrency: usize,
    /// `false` (the default): results in input order; `true`: as each item completes.
    pub as_completed: bool,
    /// NULL, or called after each result with the counters so far (same `user_data` as
    /// the result callback).
    pub progress: sf_create_jobs_progress_cb,
}

/// Creates one PyAI job per item, each exactly once (the core's `create_many`): a stable
/// idempotency key per item (its `idempotency_key`, else derived from its `stable_id`, else
/// from its content), at most `concurrency` creations in flight (0 means 16) on
/// the client's pacing, transient trouble beyond the client's retries requeued with the
/// same key, results in input order through `callback`. Running the same items again
/// creates nothing new: the server replays each job. (`sf_pyai_create_jobs_with` adds
/// as-completed delivery and a progress callback.)
///
/// Returns `SF_OK` when the run went through every item (some may have failed: see the
/// callbacks). When an error about the key or the service stopped the run (401, 402, the
/// daily cap, an unreachable server), every item still gets its callback and that error is
/// returned (through `*err_out` when not NULL). An unusable item (NULL `audio_url`, bad
/// JSON) is refused before anything is sent.
///
/// # Safety
/// `client` is NULL or a live client; `items` is NULL (only when `n` is 0) or points to
/// `n` items; `callback` is NULL or callable with `user_data`; `err_out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn sf_pyai_create_jobs(
    client: *const sf_client,
    items: *const sf_job_params,
    n: usize,
    concurrency: usize,
    callback: sf_job_result_cb,
    user_data: *mut c_void,
    err_out: *mut *mut sf_error,
) -> sf_result {
    let options = sf_create_jobs_options {
        concurrency,
        as_completed: false,
        progress: None,
    };
    unsafe { sf_pyai_create_jobs_with(client, items, n, &options, callback, user_data, err_out) }
}

/// `sf_pyai_create_jobs` with options: `options->as_completed` hands each result to
/// `callback` as soon as its item completes (any order; `index` says which item) instead of
/// in input order, and `options->progress` is called after each result with the counters
/// so far. `options` NULL means the defaults (16 in flight, input order, no progress).
///
/// ```c
/// sf_create_jobs_options o = {0};
/// o.concurrency = 8;
/// o.as_completed = true;
/// o.progress = on_progress; // void on_progress(void *ud, const sf_create_jobs_progress *p)
/// sf_result r = sf_pyai_create_jobs_with(client, items, n, &o, on_result, ud, &err);
/// ```
///
/// # Safety
/// As `sf_pyai_create_jobs`; `options` is NULL or points to a valid struct.
#[no_mangle]
pub unsafe extern "C" fn sf_pyai_create_jobs_with(
    client: *const sf_client,
    items: *const sf_job_params,
    n: usize,
    options: *const sf_create_jobs_options,
    callback: sf_job_result_cb,
    user_data: *mut c_void,
    err_out: *mut *mut sf_error,
) -> sf_result {
    call(err_out, || {
        let client = unsafe { arg_ref(client, "client") }?;
        let options = if options.is_null() {
            sf_create_jobs_options {
                concurrency: 0,
                as_completed: false,
                progress: None,
            }
        } else {
            unsafe { *options }
        };
        // The core's rule: 0 is the default, above the maximum refused before sending.
        let concurrency = rules::concurrency(options.concurrency as i128)?;
        let jobs = unsafe { items_of(items, n) }?;
        check_api(client, Api::Pyai, "sf_pyai_create_jobs")?;
        let pyai = surefoot::pyai::Client::from_client(client.inner.clone());
        let user = user_data as usize; // handed back as given, on this thread
        let mut run = pyai
            .jobs()
            .create_many_items(jobs)
            .concurrency(concurrency)
            .ordered(!options.as_completed);
        if let Some(cb) = options.progress {
            run = run.progress(move |p| {
                let c = sf_create_jobs_progress {
                    total: p.total.unwrap_or(n),
                    done: p.done,
                    failed: p.failed,
                    not_done: p.not_done,
                    requeued: p.requeued,
                    submitted: p.submitted,
                };
                unsafe { cb(user as *mut c_void, &c) }
            });
        }
        let summary = surefoot::runtime::block_on(async move {
            Ok(run.for_each(|r| deliver(callback, user, r)).await)
        })?;
        match summary.stopped {
            Some(e) => Err(Failure::from(e)),
            None => Ok(sf_result::SF_OK),
        }
    })
}

/// The items of a call, each converted (and its key checked) before anything is sent.
unsafe fn items_of(items: *const sf_job_params, n: usize) -> Result<Vec<Item>, Failure> {
    let items: &[sf_job_params] = if n == 0 {
        &[]
    } else if items.is_null() {
        return Err(Failure::null("items"));
    } else {
        unsafe { std::slice::from_raw_parts(items, n) }
    };
    items
        .iter()
        .enumerate()
        .map(|(i, p)| unsafe { params(i, p) })
        .collect()
}

/// Hands one item's result to the caller's callback (borrowed values, this thread).
fn deliver(callback: sf_job_result_cb, user: usize, r: JobResult) {
    let Some(cb) = callback else { return };
    let key = to_cstring(&r.idempotency_key);
    match r.outcome {
        JobOutcome::Created(job) => {
            let job = sf_job::from_core(&job);
            unsafe {
                cb(
                    user as *mut c_void,
                    r.index,
                    &job,
                    std::ptr::null(),
                    key.as_ptr(),
                )
            }
        }
        JobOutcome::Failed(e) | JobOutcome::NotDone { reason: e, .. } => {
            let err = sf_error::new(Failure::from(e));
            unsafe {
                cb(
                    user as *mut c_void,
                    r.index,
                    std::ptr::null(),
                    &err,
                    key.as_ptr(),
                )
            }
        }
    }
}

/// Called as an export advances: transcriptions listed so far, documents written by this
/// run, documents already in the directory (not fetched), and documents to fetch (known
/// once the listing is complete).
pub type sf_export_progress_cb = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        listed: usize,
        written: usize,
        skipped: usize,
        to_fetch: usize,
    ),
>;

/// Exports every Specala transcription into `dir` (the core's resumable export): listed
/// page by page, the documents not yet in `dir` fetched with bulk requests of at most 100
/// ids, each written atomically as `dir/ID.EXT` and recorded in a journal beside the
/// directory (`dir` followed by `.surefoot-journal.jsonl`), so a re-run after an interruption fetches
/// only what is missing. `format` is `"md"` or `"txt"` (NULL: `"md"`); `progress` (NULL
/// or a callback, called on the calling thread) follows the run; `written_out` and
/// `skipped_out` (NULL or writable) receive the counts on `SF_OK`.
///
/// # Safety
/// `client` is NULL or a live client; `dir` and `format` are NULL or NUL-terminated;
/// `progress` is NULL or callable with `user_data`; the out-parameters are NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn sf_specala_export_all(
    client: *const sf_client,
    dir: *const c_char,
    format: *const c_char,
    progress: sf_export_progress_cb,
    user_data: *mut c_void,
    written_out: *mut usize,
    skipped_out: *mut usize,
    err_out: *mut *mut sf_error,
) -> sf_result {
    call(err_out, || {
        let client = unsafe { arg_ref(client, "client") }?;
        let dir = unsafe { arg_str(dir, "dir") }?;
        let format = match unsafe { opt_str(format, "format") }? {
            Some(f) => Format::parse(f)?,
            None => Format::Md,
        };
        check_api(client, Api::Specala, "sf_specala_export_all")?;
        let mut sink = DirSink::open(dir, format)
            .map_err(|e| Failure::invalid(format!("cannot open the directory {dir}: {e}")))?;
        let specala = surefoot::specala::Client::from_client(client.inner.clone());
        let user = user_data as usize;
        let report = surefoot::runtime::block_on(async {
            let mut export = specala.transcriptions().export_all(format);
            if let Some(cb) = progress {
                export = export.progress(move |p| unsafe {
                    cb(
                        user as *mut c_void,
                        p.listed,
                        p.written,
                        p.skipped,
                        p.to_fetch,
                    )
                });
            }
            export.run(&mut sink).await.map_err(|e| match e {
                ExportError::Api(e) => e,
                ExportError::Sink { id, error } => Error::new(
                    ErrorKind::InvalidRequest,
                    "io_error",
                    format!("cannot write the document of {id} in {dir}: {error}"),
                ),
            })
        })?;
        if !written_out.is_null() {
            unsafe { *written_out = report.written };
        }
        if !skipped_out.is_null() {
            unsafe { *skipped_out = report.skipped };
        }
        Ok(sf_result::SF_OK)
    })
}
