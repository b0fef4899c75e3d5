//! `transcriptions().export_all(format)`: every transcription of the key's workspace,
//! listed page by page and fetched with bulk exports of at most 100 ids, into a caller's
//! [`ExportSink`] (a closure receiving `(id, document)`, or a [`DirSink`]). Ids the sink
//! already holds are not fetched; a chunk whose transient trouble outlasts the client's
//! retries is requeued for a later round; any other failure stops the export, keeping what
//! was written. [`DirSink`] writes each document atomically (temporary file, sync, rename)
//! as `DIR/<id>.<ext>` and appends it to a journal beside the directory, so a re-run after
//! an interruption fetches only what is missing and every document ends up exactly once.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use futures::stream::FuturesUnordered;
use futures::{StreamExt, TryStreamExt};
use serde_json::{json, Value};

use super::{DEFAULT_EXPORT_CONCURRENCY, DEFAULT_ROUNDS};
use crate::error::Error;
use crate::retry::Verdict;
use crate::specala::{Format, Transcriptions, BULK_EXPORT_MAX_IDS};

/// Prefix of the temporary files a [`DirSink`] writes before renaming them.
pub const TMP_PREFIX: &str = ".surefoot-tmp-";

/// Where exported documents go.
///
/// Any `FnMut(&str, &str) -> io::Result<()>` is a sink that holds nothing yet:
///
/// ```no_run
/// # async fn run(client: surefoot::specala::Client) -> Result<(), surefoot::bulk::ExportError> {
/// use surefoot::specala::Format;
/// let mut docs = Vec::new();
/// let mut sink = |id: &str, doc: &str| {
///     docs.push((id.to_string(), doc.len()));
///     Ok(())
/// };
/// client.transcriptions().export_all(Format::Md).run(&mut sink).await?;
/// # Ok(()) }
/// ```
pub trait ExportSink: Send {
    /// Whether the sink already holds `id` (it is then not fetched again).
    fn has(&self, id: &str) -> bool {
        let _ = id;
        false
    }

    /// Stores one document.
    fn write(&mut self, id: &str, document: &str) -> io::Result<()>;
}

impl<F: FnMut(&str, &str) -> io::Result<()> + Send> ExportSink for F {
    fn write(&mut self, id: &str, document: &str) -> io::Result<()> {
        self(id, document)
    }
}

/// Why an export stopped.
#[derive(Debug)]
pub enum ExportError {
    /// The API failed (after the client's retries and the export's rounds).
    Api(Error),
    /// The sink could not store a document.
    Sink {
        /// The document's id.
        id: String,
        /// The I/O error.
        error: io::Error,
    },
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportError::Api(e) => e.fmt(f),
            ExportError::Sink { id, error } => write!(f, "cannot store {id}: {error}"),
        }
    }
}

impl std::error::Error for ExportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ExportError::Api(e) => Some(e),
            ExportError::Sink { error, .. } => Some(error),
        }
    }
}

/// Counters of an export so far, given to the progress callback.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportProgress {
    /// Transcriptions listed so far.
    pub listed: usize,
    /// Whether the listing is complete (then `listed` is the total).
    pub listing_done: bool,
    /// Documents the sink already held (not fetched).
    pub skipped: usize,
    /// Documents to fetch (known once the listing is complete).
    pub to_fetch: usize,
    /// Documents written by this run.
    pub written: usize,
}

/// What an export did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportReport {
    /// Transcriptions listed.
    pub listed: usize,
    /// Documents written by this run.
    pub written: usize,
    /// Documents the sink already held.
    pub skipped: usize,
    /// List pages fetched.
    pub pages: usize,
    /// Bulk export requests needed (chunks of at most 100 ids).
    pub chunks: usize,
    /// Chunks requeued after transient trouble.
    pub requeued: usize,
}

type ProgressFn<'a> = Box<dyn Fn(&ExportProgress) + Send + Sync + 'a>;

/// An export being set up; see [`Transcriptions::export_all`].
#[must_use = "an ExportAll does nothing until run"]
pub struct ExportAll<'a> {
    transcriptions: Transcriptions<'a>,
    format: Format,
    concurrency: Result<usize, crate::Error>,
    rounds: u32,
    progress: Option<ProgressFn<'a>>,
}

impl<'a> Transcriptions<'a> {
    /// Every transcription as a document in `format`, into a sink; see [`ExportAll::run`].
    ///
    /// ```no_run
    /// # async fn run(client: surefoot::specala::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use surefoot::bulk::DirSink;
    /// use surefoot::specala::Format;
    /// let mut sink = DirSink::open("exports", Format::Md)?;
    /// let report = client.transcriptions().export_all(Format::Md).run(&mut sink).await?;
    /// println!("{} written, {} already there", report.written, report.skipped);
    /// # Ok(()) }
    /// ```
    pub fn export_all(&self, format: Format) -> ExportAll<'a> {
        ExportAll {
            transcriptions: *self,
            format,
            concurrency: Ok(DEFAULT_EXPORT_CONCURRENCY),
            rounds: DEFAULT_ROUNDS,
            progress: None,
        }
    }
}

impl<'a> ExportAll<'a> {
    /// Bulk requests in flight at once: 0 means the default (4), above 256 the run is
    /// refused before anything is sent (the core's rule, as for `create_many`).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = super::rules::export_concurrency(n as i128);
        self
    }

    /// Rounds a chunk gets when transient trouble outlasts the client's retries (0 is read
    /// as 1; default 3).
    pub fn rounds(mut self, n: u32) -> Self {
        self.rounds = n.max(1);
        self
    }

    /// Called as the listing and the export advance.
    pub fn progress(mut self, f: impl Fn(&ExportProgress) + Send + Sync + 'a) -> Self {
        self.progress = Some(Box::new(f));
        self
    }

    /// Lists every transcription, then fetches those `sink` does not hold, 100 ids per
    /// request, handing each document to the sink once. Dropping the future (or an error)
    /// leaves the sink with complete documents only; a re-run finishes the rest.
    pub async fn run<S: ExportSink + ?Sized>(
        self,
        sink: &mut S,
    ) -> Result<ExportReport, ExportError> {
        let ExportAll {
            transcriptions,
            format,
            concurrency,
            rounds,
            progress,
        } = self;
        let concurrency = concurrency.map_err(ExportError::Api)?;
        let tell = |p: &ExportProgress| {
            if let Some(f) = &progress {
                f(p);
            }
        };
        let mut p = ExportProgress::default();
        let mut report = ExportReport::default();

        // 1. Every id, page by page (a repeated id is kept once).
        let ids = list_ids(transcriptions, &mut report, &mut p, &tell).await?;

        // 2. What the sink lacks, 100 ids per bulk request.
        let todo: Vec<String> = ids.into_iter().filter(|id| !sink.has(id)).collect();
        report.skipped = report.listed - todo.len();
        p.skipped = report.skipped;
        p.to_fetch = todo.len();
        tell(&p);
        let mut queue: VecDeque<(Vec<String>, u32)> = todo
            .chunks(BULK_EXPORT_MAX_IDS)
            .map(|c| (c.to_vec(), 1))
            .collect();
        report.chunks = queue.len();
        let mut in_flight = FuturesUnordered::new();
        loop {
            while in_flight.len() < concurrency {
                let Some((chunk, round)) = queue.pop_front() else {
                    break;
                };
                in_flight.push(async move {
                    let result = transcriptions.bulk_export(&chunk, format).await;
                    (chunk, round, result)
                });
            }
            let Some((chunk, round, result)) = in_flight.next().await else {
                break;
            };
            match result {
                Ok(docs) => {
                    for doc in &docs {
                        sink.write(doc.id(), doc.content())
                            .map_err(|error| ExportError::Sink {
                                id: doc.id().to_string(),
                                error,
                            })?;
                        report.written += 1;
                        p.written += 1;
                    }
                    tell(&p);
                }
                Err(e) if e.verdict() == Verdict::TryLater && round < rounds => {
                    report.requeued += 1;
                    queue.push_back((chunk, round + 1));
                }
                Err(e) => return Err(ExportError::Api(e)),
            }
        }
        Ok(report)
    }
}

/// Every transcription id, page by page (a repeated id is kept once), counting pages.
async fn list_ids(
    transcriptions: Transcriptions<'_>,
    report: &mut ExportReport,
    p: &mut ExportProgress,
    tell: &(dyn Fn(&ExportProgress) + Sync),
) -> Result<Vec<String>, ExportError> {
    let mut pages = transcriptions.list().limit(100).pages();
    let mut ids: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    while let Some(page) = pages.try_next().await.map_err(ExportError::Api)? {
        report.pages += 1;
        for t in page.items {
            if seen.insert(t.id().to_string()) {
                ids.push(t.id().to_string());
            }
        }
        p.listed = ids.len();
        tell(p);
    }
    report.listed = ids.len();
    p.listing_done = true;
    Ok(ids)
}

/// The file name of a transcription: the id itself when it is a plain name, else with
/// every other byte percent-encoded (never a path separator, never hidden, never `..`).
///
/// ```
/// use surefoot::specala::Format;
/// assert_eq!(surefoot::bulk::file_name("tr_1", Format::Md), "tr_1.md");
/// assert_eq!(surefoot::bulk::file_name("../x", Format::Txt), "%2E.%2Fx.txt");
/// ```
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

/// Writes `content` to `dir/name` atomically: a temporary file in the same directory,
/// synced, then renamed over the final name (a reader never sees a partial file).
///
/// ```
/// let dir = std::env::temp_dir().join(format!("sf-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// surefoot::bulk::write_atomic(&dir, "a.md", b"# A").unwrap();
/// assert_eq!(std::fs::read(dir.join("a.md")).unwrap(), b"# A");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn write_atomic(dir: &Path, name: &str, content: &[u8]) -> io::Result<()> {
    let tmp = dir.join(format!("{TMP_PREFIX}{}-{name}", std::process::id()));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(content)?;
        f.sync_all()?;
        fs::rename(&tmp, dir.join(name))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A directory of documents, `DIR/<id>.<ext>`, each written atomically, with a journal
/// beside the directory (`<DIR>.surefoot-journal.jsonl`, one `{"id", "file", "bytes"}`
/// line per document written, so the directory holds documents only). A document counts
/// as held when its file is there (and, when the journal names it, has the size the
/// journal recorded); temporaries a killed run left behind are removed on open.
///
/// ```
/// use surefoot::bulk::{DirSink, ExportSink};
/// use surefoot::specala::Format;
/// let dir = std::env::temp_dir().join(format!("sf-sink-{}", std::process::id()));
/// let mut sink = DirSink::open(&dir, Format::Txt).unwrap();
/// sink.write("tr_1", "hello").unwrap();
/// let again = DirSink::open(&dir, Format::Txt).unwrap();
/// assert!(again.has("tr_1") && !again.has("tr_2"));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # std::fs::remove_file(again.journal_path()).unwrap();
/// ```
#[derive(Debug)]
pub struct DirSink {
    dir: PathBuf,
    format: Format,
    journal_path: PathBuf,
    journal: File,
    /// File name → size, of the files present.
    present: HashMap<String, u64>,
    /// File name → size recorded in the journal.
    journaled: HashMap<String, u64>,
}

impl DirSink {
    /// Opens (creating) `dir` for documents in `format`, reading the journal of earlier runs.
    pub fn open(dir: impl AsRef<Path>, format: Format) -> io::Result<DirSink> {
        let dir = dir.as_ref();
        fs::create_dir_all(dir)?;
        let dir = fs::canonicalize(dir)?;
        let mut present = HashMap::new();
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(TMP_PREFIX) {
                let _ = fs::remove_file(entry.path());
            } else if let Ok(meta) = entry.metadata() {
                present.insert(name, meta.len());
            }
        }
        let base = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "export".into());
        let journal_path = dir.with_file_name(format!("{base}.surefoot-journal.jsonl"));
        let mut journaled = HashMap::new();
        match fs::read(&journal_path) {
            Ok(bytes) => {
                for line in String::from_utf8_lossy(&bytes).lines() {
                    let Ok(v) = serde_json::from_str::<Value>(line) else {
                        continue; // a line a killed run left cut
                    };
                    if let (Some(file), Some(bytes)) = (v["file"].as_str(), v["bytes"].as_u64()) {
                        journaled.insert(file.to_string(), bytes);
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let mut journal = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&journal_path)?;
        // End a line a killed run may have left cut, so the next record stands alone.
        if fs::read(&journal_path)?.last().is_some_and(|b| *b != b'\n') {
            journal.write_all(b"\n")?;
        }
        Ok(DirSink {
            dir,
            format,
            journal_path,
            journal,
            present,
            journaled,
        })
    }

    /// The directory the documents go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The journal file.
    pub fn journal_path(&self) -> &Path {
        &self.journal_path
    }
}

impl ExportSink for DirSink {
    fn has(&self, id: &str) -> bool {
        let name = file_name(id, self.format);
        match (self.present.get(&name), self.journaled.get(&name)) {
            (Some(size), Some(recorded)) => size == recorded,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    fn write(&mut self, id: &str, document: &str) -> io::Result<()> {
        let name = file_name(id, self.format);
        write_atomic(&self.dir, &name, document.as_bytes())?;
        let bytes = document.len() as u64;
        let mut line = serde_json::to_vec(&json!({"id": id, "file": name, "bytes": bytes}))
            .map_err(io::Error::other)?;
        line.push(b'\n');
        self.journal.write_all(&line)?;
        self.present.insert(name.clone(), bytes);
        self.journaled.insert(name, bytes);
        Ok(())
    }
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

    #[test]
    fn the_journal_survives_a_cut_line_and_a_truncated_file_is_fetched_again() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("docs");
        let mut sink = DirSink::open(&dir, Format::Md).unwrap();
        sink.write("a", "alpha").unwrap();
        sink.write("b", "beta").unwrap();
        let journal = sink.journal_path().to_path_buf();
        assert_eq!(journal, root.path().join("docs.surefoot-journal.jsonl"));
        drop(sink);
        // A killed run: a temporary left behind, a journal line cut, a file cut by hand.
        fs::write(dir.join(format!("{TMP_PREFIX}1-c.md")), "cut").unwrap();
        let mut j = OpenOptions::new().append(true).open(&journal).unwrap();
        j.write_all(b"{\"id\": \"c\", \"fi").unwrap();
        fs::write(dir.join("b.md"), "be").unwrap();
        let mut sink = DirSink::open(&dir, Format::Md).unwrap();
        assert!(sink.has("a"));
        assert!(!sink.has("b"), "size differs from the journal");
        assert!(!sink.has("c"));
        sink.write("c", "gamma").unwrap();
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 3, "no temporaries");
        let text = fs::read_to_string(&journal).unwrap();
        let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        assert_eq!(last["id"], "c");
    }
}
