//! techmatch: match enterprise technology needs with research results, natively and in the browser.
//!
//! One room per runtime and stage (see ARCHITECTURE.md): [`core`] (records, vocabularies, the
//! analyzer, the schema) and [`bundle`] (the one-file index) and [`engine`] (search and matching)
//! serve both the CLI and the browser; [`build`] (files → validated records → bundle) and
//! [`tools`] (serving, evaluation) are the CLI's; `wasm` is the browser's JavaScript API.

pub mod bundle;
pub mod core;
pub mod engine;
mod error;

#[cfg(feature = "cli")]
pub mod build;
#[cfg(feature = "cli")]
pub mod tools;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::Error;
