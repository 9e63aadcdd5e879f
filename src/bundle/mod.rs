//! Bundle: the one-file container of a techmatch index, and the read-only tantivy directory over it.
//!
//! Layout (all integers little-endian):
//! ```text
//! 0   magic  b"TECHMTCH"
//! 8   u32    format version (FORMAT_VERSION)
//! 12  u32    header length H
//! 16  u32    CRC-32 of the header
//! 20  H bytes of header JSON (Header): tokenizer, codec, counts, file table, hot ranges
//! ..  the hot section: a copy of every block the hot ranges touch, then zeros up to a block
//!     boundary (Header::hot_section)
//! ..  the tantivy files, uncompressed at bundle level, at the offsets of the file table, then
//!     zeros up to a block boundary
//! ..  the check table: the CRC-32 of every block of the files (see [`checks`])
//! ```
//! The header, the hot section, every file and every block of the check table carry their own
//! CRC-32; the whole bundle is verified on [`Bundle::parse`], a lazily read one block by block as
//! its blocks arrive.
//!
//! A bundle is opened either whole ([`Bundle::parse`], every byte in memory) or lazily
//! ([`Bundle::lazy`]): then only its *opening* ([`opening_len`]: preamble, header, hot section)
//! is fetched up front, in one request. The hot ranges are what opening the index reads:
//! tantivy's footers, the term-dictionary block indexes, field norms of the text fields, the fast
//! columns for ids, filters, sorting and facets; scattered over the files, they are copied
//! together into the hot section. Every other read goes through a [`BlockCache`] of aligned
//! blocks that a [`RangeSource`] fills (HTTP `Range` requests in the browser). The builder finds
//! the hot ranges by opening its own bundle lazily and recording what is read
//! ([`crate::build::hot::hot_ranges`]).

mod cache;
mod checks;
mod directory;
mod format;
#[cfg(feature = "cli")]
mod write;

pub use cache::{BlockCache, RangeSource, Transfer, BLOCK, CACHE_BUDGET};
pub use directory::BundleDirectory;
pub use format::{
    opening_len, parse_header, Bundle, Counts, FileEntry, Header, Section, CODEC, FILE_NAME, FORMAT_VERSION, MAGIC,
    PREAMBLE_LEN,
};
#[cfg(feature = "cli")]
pub use write::write;
