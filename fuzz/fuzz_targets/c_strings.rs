#![no_main]
// The C library (bindings/c) and the core, named `c` and `sf_core` for the target's body.
extern crate surefoot as sf_core;
extern crate surefoot_c as c;

#[path = "../src/c_strings.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::c_strings(data));
