//! `surefoot specala export`: list every transcription (cursor pagination), then fetch the
//! missing ones with bulk export, 100 ids per request, paced under the key's limit; each
//! document is written atomically (temporary file, then rename) to `DIR/<id>.<ext>`, so
//! a re-run skips what an earlier run finished.

use std::collections::{HashSet, VecDeque};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures::stream::FuturesUnordered;
use futures::{StreamExt, TryStreamExt};
use surefoot::specala::{Client, Export, Format, BULK_EXPORT_MAX_IDS};

use crate::exit::{verdict, CliError, Context, Verdict};
use crate::progress::{Progress, Ui};

/// Prefix of the temporary files an export writes before renaming them.
const TMP_PREFIX: &str = ".surefoot-tmp-";

/// Rounds a chunk gets when transient trouble outlasts the core's retries.
const ROUNDS: u32 = 3;

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

/// The file name of a transcription: the id itself when it is a plain name, else with
/// every other byte percent-encoded (never a path separator, never hidden, never `..`).
pub fn file_name(id: &str, format: Format) -> String {
    let mut out = String::with_capacity(id.len() + 4);
    for (i, b) in id.bytes().enumerate() {
        let plain = b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || (b == b'.' && i > 0);
        if plain {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{out}.{}", format.as_str())
}

/// Writes `content` to `path` atomically: a temporary file in the same directory, synced,
/// then renamed over the final name.
pub fn write_atomic(dir: &Path, name: &str, content: &[u8]) -> std::io::Result<()> {
    let tmp = dir.join(format!("{TMP_PREFIX}{}-{name}", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(content)?;
        f.sync_all()?;
        fs::rename(&tmp, dir.join(name))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Removes temporary files a killed run left behind.
fn remove_stale_temporaries(dir: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
            let _ = fs::remove_file(entry.path());
        }
    }
    Ok(())
}

/// Runs the export.
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
    fs::create_dir_all(out)
        .map_err(|e| CliError::io(format!("cannot create {}", out.display()), &e))?;
    remove_stale_temporaries(out)
        .map_err(|e| CliError::io(format!("cannot read {}", out.display()), &e))?;
    let existing: HashSet<String> = fs::read_dir(out)
        .map_err(|e| CliError::io(format!("cannot read {}", out.display()), &e))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();

    // 1. Every id, page by page.
    let listing = Progress::spinner(ui, "listing", generic);
    let mut pages = client.transcriptions().list().limit(100).pages();
    let mut ids: Vec<String> = Vec::new();
    let mut page_count = 0;
    let mut seen = HashSet::new();
    while let Some(page) = pages
        .try_next()
        .await
        .map_err(|e| CliError::from_api(&e, ctx))?
    {
        page_count += 1;
        listing.inc(page.items.len() as u64);
        for t in page.items {
            if seen.insert(t.id().to_string()) {
                ids.push(t.id().to_string());
            }
        }
    }
    listing.finish();

    // 2. Bulk export of what is missing, 100 ids per request.
    let todo: Vec<String> = ids
        .iter()
        .filter(|id| !existing.contains(&file_name(id, opts.format)))
        .cloned()
        .collect();
    let skipped = ids.len() - todo.len();
    let chunks: Vec<Vec<String>> = todo
        .chunks(BULK_EXPORT_MAX_IDS)
        .map(<[String]>::to_vec)
        .collect();
    let chunk_count = chunks.len();
    let bar = Progress::bar(ui, todo.len() as u64, "export", generic);
    let format = opts.format;
    // A chunk that meets transient trouble beyond the core's retries goes back in the
    // queue for a later round; any other failure stops the export (files written stay).
    let mut queue: VecDeque<(Vec<String>, u32)> = chunks.into_iter().map(|c| (c, 1)).collect();
    let mut in_flight = FuturesUnordered::new();
    let mut written = 0;
    loop {
        while in_flight.len() < opts.concurrency.max(1) {
            match queue.pop_front() {
                Some((chunk, round)) => {
                    in_flight.push(export_chunk(client, out, chunk, format, round))
                }
                None => break,
            }
        }
        let Some((chunk, round, result)) = in_flight.next().await else {
            break;
        };
        match result {
            Ok(n) => {
                written += n;
                bar.inc(n as u64);
            }
            Err(Failure::Api(e)) if verdict(&e) == Verdict::TryLater && round < ROUNDS => {
                queue.push_back((chunk, round + 1));
            }
            Err(Failure::Api(e)) => {
                bar.finish();
                return Err(CliError::from_api(&e, ctx));
            }
            Err(Failure::Local(e)) => {
                bar.finish();
                return Err(e);
            }
        }
    }
    bar.finish();
    Ok(Report {
        out: out.clone(),
        format,
        listed: ids.len(),
        written,
        skipped,
        pages: page_count,
        chunks: chunk_count,
        metrics: generic.metrics().since(&before),
        wall: started.elapsed(),
        limit: generic.rate_limit_for("/v1/transcriptions"),
    })
}

/// Why a chunk failed.
enum Failure {
    Api(surefoot::Error),
    Local(CliError),
}

/// Exports one chunk (one bulk request) and writes its files.
async fn export_chunk(
    client: &Client,
    out: &Path,
    chunk: Vec<String>,
    format: Format,
    round: u32,
) -> (Vec<String>, u32, Result<usize, Failure>) {
    let docs = match client.transcriptions().bulk_export(&chunk, format).await {
        Ok(docs) => docs,
        Err(e) => return (chunk, round, Err(Failure::Api(e))),
    };
    let dir = out.to_path_buf();
    let written = tokio::task::spawn_blocking(move || write_all(&dir, &docs, format))
        .await
        .unwrap_or_else(|e| {
            Err(CliError::io(
                "writing failed",
                &std::io::Error::other(e.to_string()),
            ))
        })
        .map_err(Failure::Local);
    (chunk, round, written)
}

fn write_all(dir: &Path, docs: &[Export], format: Format) -> Result<usize, CliError> {
    for doc in docs {
        let name = file_name(doc.id(), format);
        write_atomic(dir, &name, doc.content().as_bytes())
            .map_err(|e| CliError::io(format!("cannot write {}", dir.join(&name).display()), &e))?;
    }
    Ok(docs.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_stay_in_the_directory() {
        assert_eq!(
            file_name("tr_alpha_000001", Format::Md),
            "tr_alpha_000001.md"
        );
        assert_eq!(file_name("a.b", Format::Txt), "a.b.txt");
        assert_eq!(
            file_name("../etc/passwd", Format::Md),
            "%2E.%2Fetc%2Fpasswd.md"
        );
        assert_eq!(file_name(".hidden", Format::Md), "%2Ehidden.md");
        assert_eq!(file_name("a b/c", Format::Md), "a%20b%2Fc.md");
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        write_atomic(dir.path(), "x.md", b"one").unwrap();
        write_atomic(dir.path(), "x.md", b"two").unwrap();
        assert_eq!(fs::read(dir.path().join("x.md")).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
