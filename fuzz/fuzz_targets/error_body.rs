#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| surefoot_fuzz::error_body(data));
