//! Build (CLI only): input files and database tables read, validated and indexed into a bundle.

pub mod assemble;
pub mod coerce;
pub mod database;
pub mod hot;
pub mod ingest;
pub mod mapping;
pub mod pipeline;
pub mod validate;
pub mod writer;
