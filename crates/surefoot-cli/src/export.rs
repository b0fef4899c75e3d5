//! `surefoot specala export`: every transcription into `DIR/<id>.<ext>`, by the core's
//! resumable export ([`surefoot::bulk::ExportAll`] into a [`DirSink`]): listed page by page,
//! the missing ones fetched with bulk exports of 100 ids paced under the key's limit, each
//! written atomically and journalled, so a re-run skips what an earlier run finished. This
//! module keeps the options, the progress display and the report.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use surefoot::bulk::{file_name, DirSink, ExportError, ExportProgress};
use surefoot::specala::{Client, Format};

use crate::exit::{CliError, Context};
use crate::progress::{Progress, Ui};

/// What to export where.
#[derive(Debug, Clone)]
pub struct Options {
    pub out: PathBuf,
    pub format: Format,
    pub concurrency: usize,
}

/// What an export did.
#[derive(Debug, Clone)]
pub struct Report {
    pub out: PathBuf,
    pub format: Format,
    /// Transcriptions listed.
    pub listed: usize,
    /// Documents written by this run.
    pub written: usize,
    /// Transcriptions skipped because their file was already there.
    pub skipped: usize,
    /// List pages fetched.
    pub pages: usize,
    /// Bulk export requests needed (chunks of at most 100 ids).
    pub chunks: usize,
    /// Client counters over the run.
    pub metrics: surefoot::Metrics,
    /// Wall time of the run.
    pub wall: Duration,
    /// The data-surface limit the run was paced at.
    pub limit: Option<surefoot::RateLimit>,
}

/// The progress shown while exporting: a spinner while listing, then a bar.
struct Shown {
    ui: Ui,
    client: surefoot::Client,
    spinner: Option<Progress>,
    bar: Option<Progress>,
    listed: usize,
    written: usize,
}

impl Shown {
    fn update(&mut self, p: &ExportProgress) {
        if let Some(s) = &self.spinner {
            s.inc((p.listed - self.listed) as u64);
        }
        self.listed = p.listed;
        if p.listing_done && self.bar.is_none() {
            if let Some(s) = self.spinner.take() {
                s.finish();
            }
            self.bar = Some(Progress::bar(
                self.ui,
                p.to_fetch as u64,
                "export",
                &self.client,
            ));
        }
        if let Some(b) = &self.bar {
            b.inc((p.written - self.written) as u64);
        }
        self.written = p.written;
    }

    fn finish(&mut self) {
        for p in [self.spinner.take(), self.bar.take()].into_iter().flatten() {
            p.finish();
        }
    }
}

/// Runs the export: the core lists, skips what the directory holds, fetches the rest in
/// bulk requests of at most 100 ids (requeueing transient trouble) and writes each file
/// atomically; this shows progress and turns failures into exit codes.
pub async fn run(
    client: &Client,
    ctx: &Context,
    opts: &Options,
    ui: Ui,
) -> Result<Report, CliError> {
    let started = Instant::now();
    let generic = client.client();
    let before = generic.metrics();
    let out = &opts.out;
    let mut sink = DirSink::open(out, opts.format)
        .map_err(|e| CliError::io(format!("cannot open {}", out.display()), &e))?;
    let shown = Mutex::new(Shown {
        ui,
        client: generic.clone(),
        spinner: Some(Progress::spinner(ui, "listing", generic)),
        bar: None,
        listed: 0,
        written: 0,
    });
    let result = client
        .transcriptions()
        .export_all(opts.format)
        .concurrency(opts.concurrency)
        .progress(|p| shown.lock().expect("progress lock").update(p))
        .run(&mut sink)
        .await;
    shown.lock().expect("progress lock").finish();
    let done = result.map_err(|e| match e {
        ExportError::Api(e) => CliError::from_api(&e, ctx),
        ExportError::Sink { id, error } => CliError::io(
            format!(
                "cannot write {}",
                out.join(file_name(&id, opts.format)).display()
            ),
            &error,
        ),
    })?;
    Ok(Report {
        out: out.clone(),
        format: opts.format,
        listed: done.listed,
        written: done.written,
        skipped: done.skipped,
        pages: done.pages,
        chunks: done.chunks,
        metrics: generic.metrics().since(&before),
        wall: started.elapsed(),
        limit: generic.rate_limit_for("/v1/transcriptions"),
    })
}
