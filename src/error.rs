//! Errors: the one error type of techmatch, each saying what went wrong and where.

use std::fmt;

/// What can go wrong: opening a bundle, answering a request, reading an input. Messages say what
/// to do, for brokers and portal operators alike.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The bytes do not start with the techmatch magic bytes.
    NotABundle,
    /// A bundle of another format version.
    Version { found: u32, supported: u32 },
    /// A bundle shorter than its header says.
    Truncated { expected: u64, found: u64 },
    /// A checksum or a structure of the bundle does not hold; names the part.
    Corrupted(String),
    /// A bundle built with another tokenizer or codec.
    Incompatible(String),
    /// Bytes of a lazily read bundle could not be fetched.
    Fetch(String),
    /// The bundle read lazily was replaced on the server since it was opened: open it again.
    Changed(String),
    /// The index inside a bundle cannot be opened; the message names the part.
    Unreadable(String),
    /// The request is malformed; the message names the offending part.
    Request(String),
    /// A record id that the bundle does not hold.
    NotFound(String),
    /// The index failed while answering.
    Index(String),
    /// An input the CLI reads (a mapping, a judgements file, a cell's value) cannot be used; the
    /// message names the file, line or field.
    Input(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotABundle => {
                write!(
                    f,
                    "not a techmatch bundle (the file does not start with the techmatch magic bytes)"
                )
            }
            Error::Version { found, supported } => write!(
                f,
                "bundle format version {found} is not supported: this engine reads version {supported}; \
                 rebuild the bundle with the matching techmatch version"
            ),
            Error::Truncated { expected, found } => {
                write!(
                    f,
                    "bundle is truncated: {found} bytes of {expected} (download incomplete?)"
                )
            }
            Error::Corrupted(what) => write!(f, "bundle is corrupted: {what}"),
            Error::Incompatible(what) => write!(f, "bundle is incompatible with this engine: {what}"),
            Error::Fetch(why) => write!(f, "cannot fetch the bundle's bytes: {why}"),
            Error::Changed(why) => write!(
                f,
                "the bundle changed on the server since it was opened ({why}); open it again"
            ),
            Error::Unreadable(m) | Error::Input(m) => write!(f, "{m}"),
            Error::Request(m) => write!(f, "invalid request: {m}"),
            Error::NotFound(id) => write!(f, "no record with id {id:?}"),
            Error::Index(m) => write!(f, "index error: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<tantivy::TantivyError> for Error {
    fn from(e: tantivy::TantivyError) -> Self {
        use tantivy::directory::error::OpenReadError;
        let io = match &e {
            tantivy::TantivyError::IoError(io) => Some(io.as_ref()),
            tantivy::TantivyError::OpenReadError(OpenReadError::IoError { io_error, .. }) => Some(io_error.as_ref()),
            _ => None,
        };
        io.and_then(lazy_read).unwrap_or_else(|| Error::Index(e.to_string()))
    }
}

/// A read of the index's bytes failed (in a lazily read bundle: a block not fetched, damaged, or
/// from a replaced bundle).
impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        lazy_read(&e).unwrap_or_else(|| Error::Index(e.to_string()))
    }
}

/// What a failed read of a lazily read bundle says through tantivy, when its source or the
/// block cache put an `Error` inside the `io::Error` (damaged bytes, a replaced bundle, a failed fetch).
fn lazy_read(e: &std::io::Error) -> Option<Error> {
    e.get_ref()?.downcast_ref::<Error>().cloned()
}
