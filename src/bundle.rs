//! Bundle: the one-file container of a techmatch index, and the read-only tantivy directory over it.
//!
//! Layout (all integers little-endian):
//! ```text
//! 0   magic  b"TECHMTCH"
//! 8   u32    format version (FORMAT_VERSION)
//! 12  u32    header length H
//! 16  u32    CRC-32 of the header
//! 20  H bytes of header JSON (Header): tokenizer, codec, counts, file table
//! ..  the tantivy files, uncompressed at bundle level, at the offsets of the file table
//! ```
//! Every file carries its own CRC-32, so a reader that fetches only some byte ranges can still
//! verify what it reads; the whole bundle is verified on [`Bundle::parse`].

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{Directory, DirectoryLock, FileHandle, FileSlice, Lock, OwnedBytes, WatchCallback, WatchHandle, WritePtr};

use crate::tokenize::TOKENIZER_ID;

pub const MAGIC: &[u8; 8] = b"TECHMTCH";
/// Bumped whenever a reader of the previous version could misread a bundle.
pub const FORMAT_VERSION: u32 = 1;
/// The tantivy codec both the builder and every reader use (no zstd anywhere).
pub const CODEC: &str = "tantivy-0.27/lz4";
/// Bytes before the header JSON.
pub const PREAMBLE_LEN: usize = 20;
/// The name of the bundle file inside an output directory.
pub const FILE_NAME: &str = "techmatch.bundle";

/// Record counts by kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    pub needs: u64,
    pub challenges: u64,
    pub results: u64,
}

/// One tantivy file inside the bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    pub name: String,
    /// Absolute offset in the bundle.
    pub offset: u64,
    pub len: u64,
    pub crc32: u32,
}

/// The header JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub format_version: u32,
    pub tokenizer: String,
    pub codec: String,
    pub counts: Counts,
    pub files: Vec<FileEntry>,
}

/// Why a bundle cannot be read. Messages say what to do, for brokers and portal operators alike.
#[derive(Debug, Clone, PartialEq)]
pub enum BundleError {
    NotABundle,
    Version { found: u32, supported: u32 },
    Truncated { expected: u64, found: u64 },
    Corrupted(String),
    Incompatible(String),
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::NotABundle => write!(f, "not a techmatch bundle (the file does not start with the techmatch magic bytes)"),
            BundleError::Version { found, supported } => write!(
                f,
                "bundle format version {found} is not supported: this engine reads version {supported}; rebuild the bundle with the matching techmatch version"
            ),
            BundleError::Truncated { expected, found } => {
                write!(f, "bundle is truncated: {found} bytes of {expected} (download incomplete?)")
            }
            BundleError::Corrupted(what) => write!(f, "bundle is corrupted: {what}"),
            BundleError::Incompatible(what) => write!(f, "bundle is incompatible with this engine: {what}"),
        }
    }
}

impl std::error::Error for BundleError {}

/// Assembles a bundle from tantivy files.
pub fn write(counts: Counts, files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut header = Header {
        format_version: FORMAT_VERSION,
        tokenizer: TOKENIZER_ID.into(),
        codec: CODEC.into(),
        counts,
        files: files
            .iter()
            .map(|(name, bytes)| FileEntry { name: name.clone(), offset: 0, len: bytes.len() as u64, crc32: crc32fast::hash(bytes) })
            .collect(),
    };
    // Offsets depend on the header's own length: settle them by iterating until stable.
    let mut json = Vec::new();
    for _ in 0..4 {
        json = serde_json::to_vec(&header).expect("header serialises");
        let mut offset = (PREAMBLE_LEN + json.len()) as u64;
        for e in &mut header.files {
            e.offset = offset;
            offset += e.len;
        }
    }
    let json_final = serde_json::to_vec(&header).expect("header serialises");
    debug_assert_eq!(json.len(), json_final.len());
    let mut out = Vec::with_capacity(PREAMBLE_LEN + json_final.len() + files.iter().map(|f| f.1.len()).sum::<usize>());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(json_final.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&json_final).to_le_bytes());
    out.extend_from_slice(&json_final);
    for (_, bytes) in files {
        out.extend_from_slice(bytes);
    }
    out
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Reads and checks the preamble and header from the first bytes of a bundle.
///
/// `prefix` may be just the start of the bundle; `total_len` is the whole bundle's size.
pub fn parse_header(prefix: &[u8], total_len: u64) -> Result<Header, BundleError> {
    if prefix.len() < MAGIC.len() || &prefix[..MAGIC.len()] != MAGIC {
        return Err(if MAGIC.starts_with(prefix) && !prefix.is_empty() {
            BundleError::Truncated { expected: PREAMBLE_LEN as u64, found: total_len }
        } else {
            BundleError::NotABundle
        });
    }
    if prefix.len() < PREAMBLE_LEN {
        return Err(BundleError::Truncated { expected: PREAMBLE_LEN as u64, found: total_len });
    }
    let version = u32_at(prefix, 8);
    if version != FORMAT_VERSION {
        return Err(BundleError::Version { found: version, supported: FORMAT_VERSION });
    }
    let header_len = u32_at(prefix, 12) as usize;
    let end = PREAMBLE_LEN + header_len;
    if prefix.len() < end {
        return Err(BundleError::Truncated { expected: end as u64, found: total_len });
    }
    let json = &prefix[PREAMBLE_LEN..end];
    if crc32fast::hash(json) != u32_at(prefix, 16) {
        return Err(BundleError::Corrupted("header checksum mismatch".into()));
    }
    let header: Header = serde_json::from_slice(json).map_err(|e| BundleError::Corrupted(format!("unreadable header: {e}")))?;
    if header.tokenizer != TOKENIZER_ID {
        return Err(BundleError::Incompatible(format!("tokenizer {:?}, this engine uses {TOKENIZER_ID:?}", header.tokenizer)));
    }
    if header.codec != CODEC {
        return Err(BundleError::Incompatible(format!("codec {:?}, this engine reads {CODEC:?}", header.codec)));
    }
    let mut expected = end as u64;
    for e in &header.files {
        if e.offset != expected {
            return Err(BundleError::Corrupted(format!("file table: {} at offset {}, expected {expected}", e.name, e.offset)));
        }
        expected = e.offset.checked_add(e.len).ok_or_else(|| BundleError::Corrupted("file table overflows".into()))?;
    }
    if total_len != expected {
        return Err(if total_len < expected {
            BundleError::Truncated { expected, found: total_len }
        } else {
            BundleError::Corrupted(format!("{} bytes after the last file", total_len - expected))
        });
    }
    Ok(header)
}

/// A parsed, verified bundle held in memory.
#[derive(Clone)]
pub struct Bundle {
    pub header: Header,
    pub size: u64,
    directory: BundleDirectory,
}

impl Bundle {
    /// Verifies magic, version, header and every file's checksum, without copying the bytes.
    pub fn parse(bytes: OwnedBytes) -> Result<Bundle, BundleError> {
        let size = bytes.len() as u64;
        let header = parse_header(bytes.as_slice(), size)?;
        let mut files = HashMap::new();
        for e in &header.files {
            let data = bytes.slice(e.offset as usize..(e.offset + e.len) as usize);
            if crc32fast::hash(data.as_slice()) != e.crc32 {
                return Err(BundleError::Corrupted(format!("checksum mismatch in {}", e.name)));
            }
            files.insert(PathBuf::from(&e.name), FileSlice::new(Arc::new(data)));
        }
        Ok(Bundle { header, size, directory: BundleDirectory { files: Arc::new(files) } })
    }

    /// The read-only tantivy directory over the bundle's files.
    pub fn directory(&self) -> BundleDirectory {
        self.directory.clone()
    }
}

/// A read-only tantivy [`Directory`] over the files of a bundle.
#[derive(Clone, Debug)]
pub struct BundleDirectory {
    files: Arc<HashMap<PathBuf, FileSlice>>,
}

struct NoLock;

fn read_only() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::PermissionDenied, "a techmatch bundle is read-only")
}

impl Directory for BundleDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.files
            .get(path)
            .map(|f| Arc::new(f.clone()) as Arc<dyn FileHandle>)
            .ok_or_else(|| OpenReadError::FileDoesNotExist(path.to_path_buf()))
    }
    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        Err(DeleteError::IoError { io_error: Arc::new(read_only()), filepath: path.to_path_buf() })
    }
    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        Ok(self.files.contains_key(path))
    }
    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        Err(OpenWriteError::IoError { io_error: Arc::new(read_only()), filepath: path.to_path_buf() })
    }
    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        let f = self.files.get(path).ok_or_else(|| OpenReadError::FileDoesNotExist(path.to_path_buf()))?;
        let bytes = f.read_bytes().map_err(|e| OpenReadError::IoError { io_error: Arc::new(e), filepath: path.to_path_buf() })?;
        Ok(bytes.as_slice().to_vec())
    }
    fn atomic_write(&self, _path: &Path, _data: &[u8]) -> std::io::Result<()> {
        Err(read_only())
    }
    fn sync_directory(&self) -> std::io::Result<()> {
        Ok(())
    }
    fn acquire_lock(&self, _lock: &Lock) -> Result<DirectoryLock, LockError> {
        Ok(DirectoryLock::from(Box::new(NoLock)))
    }
    fn watch(&self, _callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        Ok(WatchHandle::empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        write(Counts { needs: 1, challenges: 0, results: 2 }, &[("a".into(), b"hello".to_vec()), ("b".into(), b"world!".to_vec())])
    }

    #[test]
    fn round_trip() {
        let b = Bundle::parse(OwnedBytes::new(sample())).unwrap();
        assert_eq!(b.header.counts.results, 2);
        assert_eq!(b.directory().atomic_read(Path::new("b")).unwrap(), b"world!");
    }

    #[test]
    fn every_truncation_is_reported_as_such() {
        let full = sample();
        for cut in 1..full.len() {
            let err = Bundle::parse(OwnedBytes::new(full[..cut].to_vec())).err().expect("a cut bundle fails");
            assert!(matches!(err, BundleError::Truncated { .. }), "cut at {cut}: {err}");
        }
    }

    #[test]
    fn every_flipped_byte_is_caught() {
        let full = sample();
        for at in 0..full.len() {
            let mut bad = full.clone();
            bad[at] ^= 0x01;
            assert!(Bundle::parse(OwnedBytes::new(bad)).is_err(), "flip at {at} went unnoticed");
        }
    }

    #[test]
    fn future_version_names_both_versions() {
        let mut b = sample();
        b[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        let msg = Bundle::parse(OwnedBytes::new(b)).err().unwrap().to_string();
        assert!(msg.contains(&format!("version {}", FORMAT_VERSION + 1)) && msg.contains(&format!("version {FORMAT_VERSION}")), "{msg}");
    }

    #[test]
    fn a_bundle_of_other_tantivy_features_is_refused() {
        let mut b = sample();
        let at = b.windows(CODEC.len()).position(|w| w == CODEC.as_bytes()).unwrap();
        // Same length, so offsets stay valid; the header CRC is made right again.
        b[at..at + CODEC.len()].copy_from_slice("tantivy-0.27/zst".as_bytes());
        let len = u32_at(&b, 12) as usize;
        let crc = crc32fast::hash(&b[PREAMBLE_LEN..PREAMBLE_LEN + len]);
        b[16..20].copy_from_slice(&crc.to_le_bytes());
        let err = Bundle::parse(OwnedBytes::new(b)).err().unwrap();
        assert!(matches!(err, BundleError::Incompatible(_)), "{err}");
        assert!(err.to_string().contains("tantivy-0.27/zst") && err.to_string().contains(CODEC));
    }

    #[test]
    fn junk_is_not_a_bundle() {
        assert_eq!(Bundle::parse(OwnedBytes::new(b"PK\x03\x04 zip".to_vec())).err(), Some(BundleError::NotABundle));
        assert_eq!(Bundle::parse(OwnedBytes::new(Vec::new())).err(), Some(BundleError::NotABundle));
    }
}
