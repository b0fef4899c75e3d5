#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| surefoot_fuzz::list_page(data));
