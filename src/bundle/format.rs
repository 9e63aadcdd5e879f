//! Bundle format: the preamble, the header and its file table, checked on opening whole or lazily.

use crate::bundle::cache::blocks_of;
use crate::bundle::checks::{self, Checks};
use crate::bundle::directory::LazyFile;
use crate::bundle::BlockCache;
use crate::bundle::BundleDirectory;
use crate::bundle::RangeSource;
use crate::bundle::BLOCK;
use crate::core::tokenize::TOKENIZER_ID;
use crate::Error;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use tantivy::directory::{FileSlice, OwnedBytes};

pub const MAGIC: &[u8; 8] = b"TECHMTCH";

/// Bumped whenever a reader of the previous version could misread a bundle.
pub const FORMAT_VERSION: u32 = 4;

/// The tantivy codec both the builder and every reader use (no zstd anywhere).
pub const CODEC: &str = "tantivy-0.27/lz4/sstable";

/// Bytes before the header JSON.
pub const PREAMBLE_LEN: usize = 20;

/// The name of the bundle file inside an output directory.
pub const FILE_NAME: &str = "techmatch.bundle";

/// Record counts by kind.
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify), tsify(hashmap_as_object))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    pub needs: u64,
    pub challenges: u64,
    pub results: u64,
}

/// One tantivy file inside the bundle.
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify), tsify(hashmap_as_object))]
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
    /// What a lazy reader fetches before opening: `[file index, start, end]`, byte ranges
    /// relative to the start of that file, sorted and disjoint.
    pub hot: Vec<[u64; 3]>,
    /// The hot section after the header: `len` bytes of copied blocks (the blocks of
    /// [`Header::hot_blocks`], in order, with their CRC-32), then zeros to the next block boundary.
    pub hot_section: Section,
    /// The CRC-32 of each block of the check table that follows the files ([`checks`]): what
    /// verifies the table, whose entries verify every block of the files read lazily.
    pub checks: Vec<u32>,
}

/// Length and CRC-32 of a part of the bundle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub len: u64,
    pub crc32: u32,
}

impl Header {
    /// The hot ranges as absolute bundle offsets.
    pub fn hot_ranges(&self) -> Vec<Range<u64>> {
        self.hot
            .iter()
            .filter_map(|&[file, start, end]| {
                let f = self.files.get(usize::try_from(file).ok()?)?;
                (start <= end && end <= f.len).then(|| f.offset + start..f.offset + end)
            })
            .collect()
    }

    /// The blocks the hot ranges touch, in order: what the hot section holds.
    pub fn hot_blocks(&self) -> BTreeSet<u64> {
        blocks_of(&self.hot_ranges()).collect()
    }

    /// Where the files start: after the header ending at `header_end` and the hot section.
    pub(super) fn data_start(&self, header_end: u64) -> u64 {
        (header_end + self.hot_section.len).next_multiple_of(BLOCK)
    }

    /// Where the last file ends (where the files start when there are none); offsets as
    /// [`parse_header`] checked them.
    fn files_end(&self, header_end: u64) -> u64 {
        self.files
            .last()
            .map_or_else(|| self.data_start(header_end), |e| e.offset + e.len)
    }

    /// The blocks of the files and the check table after them (offsets as [`parse_header`] checked them).
    pub(super) fn block_checks(&self, header_end: u64) -> Checks {
        Checks {
            data: self.data_start(header_end) / BLOCK..self.files_end(header_end).div_ceil(BLOCK),
            table: self.checks.clone(),
        }
    }
}

pub(super) fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Where the header JSON ends, from the preamble's length field; in u64, so that a forged length
/// near `u32::MAX` cannot wrap a 32-bit `usize` sum (wasm32).
fn header_end(prefix: &[u8]) -> u64 {
    PREAMBLE_LEN as u64 + u64::from(u32_at(prefix, 12))
}

/// Reads and checks the preamble and header from the first bytes of a bundle.
///
/// `prefix` may be just the start of the bundle; `total_len` is the whole bundle's size.
pub fn parse_header(prefix: &[u8], total_len: u64) -> Result<Header, Error> {
    if prefix.len() < MAGIC.len() || &prefix[..MAGIC.len()] != MAGIC {
        return Err(if MAGIC.starts_with(prefix) && !prefix.is_empty() {
            Error::Truncated {
                expected: PREAMBLE_LEN as u64,
                found: total_len,
            }
        } else {
            Error::NotABundle
        });
    }
    if prefix.len() < PREAMBLE_LEN {
        return Err(Error::Truncated {
            expected: PREAMBLE_LEN as u64,
            found: total_len,
        });
    }
    let version = u32_at(prefix, 8);
    if version != FORMAT_VERSION {
        return Err(Error::Version {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let end = header_end(prefix);
    let Some(json) = within(prefix, PREAMBLE_LEN as u64, end) else {
        return Err(Error::Truncated {
            expected: end,
            found: total_len,
        });
    };
    if crc32fast::hash(json) != u32_at(prefix, 16) {
        return Err(Error::Corrupted("header checksum mismatch".into()));
    }
    let header: Header =
        serde_json::from_slice(json).map_err(|e| Error::Corrupted(format!("unreadable header: {e}")))?;
    if header.tokenizer != TOKENIZER_ID {
        return Err(Error::Incompatible(format!(
            "tokenizer {:?}, this engine uses {TOKENIZER_ID:?}",
            header.tokenizer
        )));
    }
    if header.codec != CODEC {
        return Err(Error::Incompatible(format!(
            "codec {:?}, this engine reads {CODEC:?}",
            header.codec
        )));
    }
    let mut expected = header.data_start(end);
    for e in &header.files {
        if e.offset != expected {
            return Err(Error::Corrupted(format!(
                "file table: {} at offset {}, expected {expected}",
                e.name, e.offset
            )));
        }
        expected = e
            .offset
            .checked_add(e.len)
            .ok_or_else(|| Error::Corrupted("file table overflows".into()))?;
    }
    let files_end = expected;
    // The check table: from the block boundary after the files, 4 bytes per block of the files.
    let table_start = files_end
        .checked_next_multiple_of(BLOCK)
        .ok_or_else(|| Error::Corrupted("file table overflows".into()))?;
    let table_len = checks::table_len(&(header.data_start(end) / BLOCK..table_start / BLOCK));
    if header.checks.len() as u64 != table_len.div_ceil(BLOCK) {
        return Err(Error::Corrupted(format!(
            "{} check table blocks listed, the files need {}",
            header.checks.len(),
            table_len.div_ceil(BLOCK)
        )));
    }
    let expected = table_start
        .checked_add(table_len)
        .ok_or_else(|| Error::Corrupted("file table overflows".into()))?;
    if total_len != expected {
        return Err(if total_len < expected {
            Error::Truncated {
                expected,
                found: total_len,
            }
        } else {
            Error::Corrupted(format!("{} bytes after the check table", total_len - expected))
        });
    }
    let hot_len: u64 = header
        .hot_blocks()
        .into_iter()
        .map(|b| BLOCK.min(files_end.saturating_sub(b * BLOCK)))
        .sum();
    if hot_len != header.hot_section.len {
        return Err(Error::Corrupted(format!(
            "hot section of {} bytes, the hot ranges need {hot_len}",
            header.hot_section.len
        )));
    }
    Ok(header)
}

/// A parsed, verified bundle held in memory.
#[derive(Clone)]
pub struct Bundle {
    pub header: Header,
    pub size: u64,
    pub(super) directory: BundleDirectory,
    /// The fetched blocks, for a bundle opened lazily.
    pub cache: Option<Arc<BlockCache>>,
}

impl Bundle {
    /// Verifies magic, version, header and every file's checksum, without copying the bytes.
    pub fn parse(bytes: OwnedBytes) -> Result<Bundle, Error> {
        let size = bytes.len() as u64;
        let header = parse_header(bytes.as_slice(), size)?;
        check_hot_section(&header, bytes.as_slice())?;
        let mut files = HashMap::new();
        for e in &header.files {
            // parse_header checked that the files end where the bytes do: the offsets fit in usize.
            let data = bytes.slice(e.offset as usize..(e.offset + e.len) as usize);
            if crc32fast::hash(data.as_slice()) != e.crc32 {
                return Err(Error::Corrupted(format!("checksum mismatch in {}", e.name)));
            }
            files.insert(PathBuf::from(&e.name), FileSlice::new(Arc::new(data)));
        }
        check_table(&header, bytes.as_slice())?;
        Ok(Bundle {
            header,
            size,
            directory: BundleDirectory { files: Arc::new(files) },
            cache: None,
        })
    }

    /// Opens a bundle lazily from `source` alone (see [`Bundle::lazy`]).
    pub fn open_lazy(source: Box<dyn RangeSource>, size: u64) -> Result<Bundle, Error> {
        Bundle::lazy(BlockCache::new(source, size))
    }

    /// Opens a bundle whose bytes stay at the source of `cache`: from its opening ([`opening_len`]),
    /// read from the cache, where a caller may have supplied it already ([`BlockCache::supply`]);
    /// what is missing is fetched now. The hot section's blocks then fill the cache. Files are not
    /// checksummed: their bytes arrive piecemeal, later.
    pub fn lazy(cache: Arc<BlockCache>) -> Result<Bundle, Error> {
        let size = cache.size;
        let fetch = |r: Range<u64>| cache.read(r).map_err(|e| Error::Fetch(e.to_string()));
        let mut prefix = fetch(0..(16 * BLOCK).min(size))?;
        // The header's length, then the hot section's: at most two more reads.
        for _ in 0..2 {
            match opening_len(&prefix).filter(|end| *end > prefix.len() as u64 && *end <= size) {
                Some(end) => prefix = fetch(0..end)?,
                None => break,
            }
        }
        let header = parse_header(&prefix, size)?;
        // The hot runs keep slices of the opening's own buffer: no second copy of it.
        let copy = prefix.slice(check_hot_section(&header, &prefix)?);
        let files_start = header.files.iter().map(|e| e.offset).min().unwrap_or(size);
        let hot_blocks: Vec<u64> = header.hot_blocks().into_iter().collect();
        cache.open_with(&hot_blocks, copy, files_start, header.block_checks(header_end(&prefix)));
        let files = header
            .files
            .iter()
            .map(|e| {
                let len = usize::try_from(e.len).map_err(|_| {
                    Error::Corrupted(format!(
                        "{} of {} bytes is more than this platform addresses",
                        e.name, e.len
                    ))
                })?;
                let file = LazyFile {
                    cache: cache.clone(),
                    offset: e.offset,
                    len,
                };
                Ok((PathBuf::from(&e.name), FileSlice::new(Arc::new(file))))
            })
            .collect::<Result<_, Error>>()?;
        Ok(Bundle {
            header,
            size,
            directory: BundleDirectory { files: Arc::new(files) },
            cache: Some(cache),
        })
    }

    /// The read-only tantivy directory over the bundle's files.
    pub fn directory(&self) -> BundleDirectory {
        self.directory.clone()
    }
}

/// The bundle's opening: the bytes from its start to the end of its hot section, all that a
/// lazy reader needs before opening it. From a `prefix` that ends before the header does, the
/// header's end (read that much, then ask again); `None` from fewer than the preamble's bytes.
pub fn opening_len(prefix: &[u8]) -> Option<u64> {
    if prefix.len() < PREAMBLE_LEN {
        return None;
    }
    let end = header_end(prefix);
    let Some(json) = within(prefix, PREAMBLE_LEN as u64, end) else {
        return Some(end);
    };
    // A header that does not read is reported when the bundle is opened.
    Some(serde_json::from_slice::<Header>(json).map_or(end, |h| h.data_start(end)))
}

/// Where the hot section's copied blocks lie in the bundle's first bytes (at least its opening),
/// checked against the header.
pub(super) fn check_hot_section(header: &Header, prefix: &[u8]) -> Result<Range<usize>, Error> {
    let start = header_end(prefix);
    let end = header.data_start(start);
    let section = within(prefix, start, end).ok_or(Error::Truncated {
        expected: end,
        found: prefix.len() as u64,
    })?;
    let copy_len = usize::try_from(header.hot_section.len).map_or(section.len(), |n| n.min(section.len()));
    let (copy, padding) = section.split_at(copy_len);
    if crc32fast::hash(copy) != header.hot_section.crc32 || padding.iter().any(|&b| b != 0) {
        return Err(Error::Corrupted("checksum mismatch in the hot section".into()));
    }
    // `within` succeeded: `start` is an index into `prefix`.
    let start = start as usize;
    Ok(start..start + copy.len())
}

/// Checks a whole bundle's check table against the header, and that zeros lead up to it.
fn check_table(header: &Header, bytes: &[u8]) -> Result<(), Error> {
    let end = header_end(bytes);
    let checks = header.block_checks(end);
    let table_start = checks.data.end * BLOCK;
    let padding = within(bytes, header.files_end(end), table_start).unwrap_or_default();
    let table = within(bytes, table_start, bytes.len() as u64).unwrap_or_default();
    let listed = table.chunks(BLOCK as usize).map(crc32fast::hash);
    if padding.iter().any(|&b| b != 0) || !listed.eq(checks.table.iter().copied()) {
        return Err(Error::Corrupted("checksum mismatch in the check table".into()));
    }
    Ok(())
}

/// The bytes `start..end` of `bytes`, offsets as a bundle gives them (u64); `None` when they are
/// not all there — also on a 32-bit target where an offset does not fit in `usize`.
pub(super) fn within(bytes: &[u8], start: u64, end: u64) -> Option<&[u8]> {
    let start = usize::try_from(start).ok()?;
    let end = usize::try_from(end).ok()?;
    bytes.get(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::write;
    use std::path::Path;
    use tantivy::directory::Directory;

    fn sample() -> Vec<u8> {
        write(
            Counts {
                needs: 1,
                challenges: 0,
                results: 2,
            },
            &[("a".into(), b"hello".to_vec()), ("b".into(), b"world!".to_vec())],
            vec![[1, 1, 3]],
        )
    }

    #[test]
    fn round_trip() {
        let b = Bundle::parse(OwnedBytes::new(sample())).unwrap();
        assert_eq!(b.header.counts.results, 2);
        assert_eq!(b.directory().atomic_read(Path::new("b")).unwrap(), b"world!");
    }

    #[test]
    fn a_lazy_read_gives_the_files_bytes_from_hot_runs_fetched_blocks_or_both() {
        let a: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let b: Vec<u8> = (0..5_000u32).map(|i| (i * 13 % 241) as u8).collect();
        // Two hot runs in `a` (one of several blocks), one in `b`.
        let bytes = write(
            Counts::default(),
            &[("a".into(), a.clone()), ("b".into(), b.clone())],
            vec![[0, 1500, 4000], [0, 7000, 7100], [1, 0, 100]],
        );
        let size = bytes.len() as u64;
        let bundle = Bundle::open_lazy(Box::new(bytes), size).unwrap();
        let cache = bundle.cache.clone().unwrap();
        let dir = bundle.directory();
        let opened = cache.transfer();
        // Inside a hot run: nothing fetched.
        let a_file = dir.open_read(Path::new("a")).unwrap();
        assert_eq!(a_file.read_bytes_slice(1600..3900).unwrap().as_slice(), &a[1600..3900]);
        assert_eq!(cache.transfer(), opened);
        for (name, file) in [("a", &a), ("b", &b)] {
            let slice = dir.open_read(Path::new(name)).unwrap();
            for start in (0..file.len()).step_by(937) {
                for len in [1, 100, 1023, 1024, 2500, 6000] {
                    let end = (start + len).min(file.len());
                    assert_eq!(
                        slice.read_bytes_slice(start..end).unwrap().as_slice(),
                        &file[start..end],
                        "{name} {start}..{end}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_truncation_is_reported_as_such() {
        let full = sample();
        for cut in 1..full.len() {
            let err = Bundle::parse(OwnedBytes::new(full[..cut].to_vec()))
                .err()
                .expect("a cut bundle fails");
            assert!(matches!(err, Error::Truncated { .. }), "cut at {cut}: {err}");
        }
    }

    #[test]
    fn every_flipped_byte_is_caught() {
        let full = sample();
        for at in 0..full.len() {
            let mut bad = full.clone();
            bad[at] ^= 0x01;
            assert!(
                Bundle::parse(OwnedBytes::new(bad)).is_err(),
                "flip at {at} went unnoticed"
            );
        }
    }

    #[test]
    fn future_version_names_both_versions() {
        let mut b = sample();
        b[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        let msg = Bundle::parse(OwnedBytes::new(b)).err().unwrap().to_string();
        assert!(
            msg.contains(&format!("version {}", FORMAT_VERSION + 1))
                && msg.contains(&format!("version {FORMAT_VERSION}")),
            "{msg}"
        );
    }

    #[test]
    fn a_bundle_of_other_tantivy_features_is_refused() {
        let mut b = sample();
        let at = b.windows(CODEC.len()).position(|w| w == CODEC.as_bytes()).unwrap();
        // Same length, so offsets stay valid; the header CRC is made right again.
        b[at..at + CODEC.len()].copy_from_slice("tantivy-0.27/zst/sstable".as_bytes());
        let len = u32_at(&b, 12) as usize;
        let crc = crc32fast::hash(&b[PREAMBLE_LEN..PREAMBLE_LEN + len]);
        b[16..20].copy_from_slice(&crc.to_le_bytes());
        let err = Bundle::parse(OwnedBytes::new(b)).err().unwrap();
        assert!(matches!(err, Error::Incompatible(_)), "{err}");
        assert!(err.to_string().contains("tantivy-0.27/zst/sstable") && err.to_string().contains(CODEC));
    }

    #[test]
    fn junk_is_not_a_bundle() {
        assert_eq!(
            Bundle::parse(OwnedBytes::new(b"PK\x03\x04 zip".to_vec())).err(),
            Some(Error::NotABundle)
        );
        assert_eq!(
            Bundle::parse(OwnedBytes::new(Vec::new())).err(),
            Some(Error::NotABundle)
        );
    }
}
