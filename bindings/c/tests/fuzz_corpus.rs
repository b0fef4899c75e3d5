//! Replays the committed corpus of the `c_strings` fuzz target (`fuzz/corpus/c_strings/`)
//! on stable through the target's own body (`fuzz/src/c_strings.rs`, included here): the
//! exported `sf_*` functions called with every kept input as their string arguments, on
//! every `make test` (`crates/surefoot/tests/fuzz_corpus.rs` does the same for the core's
//! targets).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

// This crate's library (the C ABI) and the core, named `c` and `sf_core` for the body.
extern crate surefoot as c;
extern crate surefoot_core as sf_core;

#[path = "../../../fuzz/src/c_strings.rs"]
mod body;

#[test]
fn c_strings() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/c_strings");
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    inputs.sort();
    assert!(
        inputs.len() >= 5,
        "only {} inputs in {}",
        inputs.len(),
        dir.display()
    );
    let failed: Vec<String> = inputs
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).unwrap();
            catch_unwind(AssertUnwindSafe(|| body::c_strings(&data))).is_err()
        })
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        failed.is_empty(),
        "{} inputs fail: {failed:?}",
        failed.len()
    );
}
