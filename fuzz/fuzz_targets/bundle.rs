//! cargo-fuzz entry of the `bundle` target; the body is `techmatch_fuzz::targets::bundle`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| techmatch_fuzz::targets::bundle(data));
