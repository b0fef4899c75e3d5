//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the fuzz targets'
//! own bodies (`fuzz/src/lib.rs`, included here) on stable: every input a fuzzing run kept
//! — crashes found and fixed among them — is checked again by every `make test`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

#[path = "../../../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod targets;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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

#[test]
fn error_body() {
    replay("error_body", targets::error_body);
}

#[test]
fn retry_after() {
    replay("retry_after", targets::retry_after);
}

#[test]
fn rate_limit_headers() {
    replay("rate_limit_headers", targets::rate_limit_headers);
}

#[test]
fn rate_limit_str() {
    replay("rate_limit_str", targets::rate_limit_str);
}

#[test]
fn key_and_url() {
    replay("key_and_url", targets::key_and_url);
}

#[test]
fn list_page() {
    replay("list_page", targets::list_page);
}
