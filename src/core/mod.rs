//! Core (CLI and WASM): the records and their vocabularies, the one analyzer, the index schema.

pub mod clock;
pub mod record;
pub mod schema;
pub mod taxonomy;
pub mod tokenize;
