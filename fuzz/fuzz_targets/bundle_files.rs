//! cargo-fuzz entry of the `bundle_files` target; the body is `techmatch_fuzz::targets::bundle_files`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| techmatch_fuzz::targets::bundle_files(data));
