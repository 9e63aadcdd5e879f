//! techmatch: match enterprise technology needs with research results, natively and in the browser.
//!
//! The data's journey, one module per stage (see ARCHITECTURE.md):
//! [`ingest`] (CLI only) → [`validate`] → [`record`] → [`index`] → [`bundle`] → [`search`] / [`matching`],
//! with [`tokenize`] shared by indexing and querying, and [`eval`] for relevance metrics.

pub mod bundle;
pub mod clock;
pub mod eval;
pub mod index;
#[cfg(feature = "cli")]
pub mod ingest;
pub mod matching;
#[cfg(feature = "cli")]
pub mod pipeline;
pub mod record;
pub mod search;
#[cfg(feature = "cli")]
pub mod serve;
pub mod taxonomy;
pub mod tokenize;
pub mod validate;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

use std::fmt;

/// What can go wrong when opening a bundle or answering a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The bundle cannot be used (corrupted, other version, unreadable index).
    Bundle(String),
    /// The request is malformed; the message names the offending part.
    Request(String),
    /// A record id that the bundle does not hold.
    NotFound(String),
    /// The index failed while answering.
    Index(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Bundle(m) => write!(f, "{m}"),
            Error::Request(m) => write!(f, "invalid request: {m}"),
            Error::NotFound(id) => write!(f, "no record with id {id:?}"),
            Error::Index(m) => write!(f, "index error: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<bundle::BundleError> for Error {
    fn from(e: bundle::BundleError) -> Self {
        Error::Bundle(e.to_string())
    }
}
