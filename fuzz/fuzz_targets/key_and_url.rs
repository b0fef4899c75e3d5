#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| surefoot_fuzz::key_and_url(data));
