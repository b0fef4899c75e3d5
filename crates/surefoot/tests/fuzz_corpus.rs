//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the fuzz targets'
//! own bodies (`fuzz/src/lib.rs`, included here) on stable: every input a fuzzing run kept
//! — crashes found and fixed among them — is checked again by every `make test`.

// The fuzz crate is on edition 2021, where an `if let` cannot be chained with `&&`.
#[path = "../../../fuzz/src/lib.rs"]
#[allow(dead_code, clippy::collapsible_if)]
mod targets;

#[path = "../../../fuzz/src/replay.rs"]
mod replay;
use replay::replay;

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
