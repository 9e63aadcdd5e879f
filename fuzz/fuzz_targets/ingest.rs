//! cargo-fuzz entry of the `ingest` target; the body is `techmatch_fuzz::targets::ingest`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| techmatch_fuzz::targets::ingest(data));
