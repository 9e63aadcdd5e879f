//! techmatch's fuzz targets as a library, for the cargo-fuzz binaries in `fuzz_targets/`.

pub mod targets;
