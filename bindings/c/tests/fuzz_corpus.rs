//! Replays the committed corpus of the `c_strings` fuzz target (`fuzz/corpus/c_strings/`)
//! on stable through the target's own body (`fuzz/src/c_strings.rs`, included here): the
//! exported `sf_*` functions called with every kept input as their string arguments, on
//! every `make test` (`crates/surefoot/tests/fuzz_corpus.rs` does the same for the core's
//! targets).

// This crate's library (the C ABI) and the core, named `c` and `sf_core` for the body.
extern crate surefoot as c;
extern crate surefoot_core as sf_core;

#[path = "../../../fuzz/src/c_strings.rs"]
mod body;

#[path = "../../../fuzz/src/replay.rs"]
mod replay;

#[test]
fn c_strings() {
    replay::replay("c_strings", body::c_strings);
}
