//! techmatch's integration tests, one binary (one link of the library instead of one per file):
//! the CLI as users call it, the engine on the seeds, CSL and SBIR, bad input, bounds, laziness,
//! confidentiality and robustness. `cargo test --test suite <module>::` runs one part.

mod bad_input;
mod bounds;
mod cli;
mod common;
mod confidential;
mod csl;
mod database;
mod engine;
mod facets;
mod lazy;
mod push;
mod robustness;
mod sbir;
mod servers;
mod text_edges;
mod vocabulary;
