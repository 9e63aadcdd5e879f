//! Tools (CLI only): a static server with HTTP Range for bundles, and relevance evaluation.

pub mod args;
pub mod eval;
pub mod push;
pub mod serve;
