//! Replaying one fuzz target's committed corpus on stable, for the test files that include
//! this file (`crates/surefoot/tests/fuzz_corpus.rs`, `bindings/c/tests/fuzz_corpus.rs`):
//! every input under `fuzz/corpus/<target>/` run through the target's body, and the names
//! of those that panic reported together. Both crates sit two levels under the repository.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// Runs every committed input of `target` through `run`; fails naming each input that
/// panics (and when the corpus is nearly empty, which would test nothing).
pub fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    inputs.sort();
    assert!(
        inputs.len() >= 5,
        "{target}: only {} inputs in {}",
        inputs.len(),
        dir.display()
    );
    let failed: Vec<String> = inputs
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).unwrap();
            catch_unwind(AssertUnwindSafe(|| run(&data))).is_err()
        })
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        failed.is_empty(),
        "{target}: {} inputs fail: {failed:?}",
        failed.len()
    );
}
