//! cargo-fuzz entry of the `query` target; the body is `techmatch_fuzz::targets::query`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| techmatch_fuzz::targets::query(data));
