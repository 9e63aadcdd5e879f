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
//! ..  the tantivy files, uncompressed at bundle level, at the offsets of the file table
//! ```
//! The header, the hot section and every file carry their own CRC-32; the whole bundle is
//! verified on [`Bundle::parse`].
//!
//! A bundle is opened either whole ([`Bundle::parse`], every byte in memory) or lazily
//! ([`Bundle::lazy`]): then only its *opening* ([`opening_len`]: preamble, header, hot section)
//! is fetched up front, in one request. The hot ranges are what opening the index reads:
//! tantivy's footers, the term-dictionary block indexes, field norms of the text fields, the fast
//! columns for ids, filters, sorting and facets; scattered over the files, they are copied
//! together into the hot section. Every other read goes through a [`BlockCache`] of aligned
//! blocks that a [`RangeSource`] fills (HTTP `Range` requests in the browser). The builder finds
//! the hot ranges by opening its own bundle lazily and recording what is read
//! ([`crate::search::hot_ranges`]).

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, FileSlice, Lock, OwnedBytes, WatchCallback, WatchHandle, WritePtr,
};
use tantivy::HasLen;

use crate::tokenize::TOKENIZER_ID;

pub const MAGIC: &[u8; 8] = b"TECHMTCH";
/// Bumped whenever a reader of the previous version could misread a bundle.
pub const FORMAT_VERSION: u32 = 3;
/// The tantivy codec both the builder and every reader use (no zstd anywhere).
pub const CODEC: &str = "tantivy-0.27/lz4/sstable";
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
    /// What a lazy reader fetches before opening: `[file index, start, end]`, byte ranges
    /// relative to the start of that file, sorted and disjoint.
    pub hot: Vec<[u64; 3]>,
    /// The hot section after the header: `len` bytes of copied blocks (the blocks of
    /// [`Header::hot_blocks`], in order, with their CRC-32), then zeros to the next block boundary.
    pub hot_section: Section,
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
    fn data_start(&self, header_end: u64) -> u64 {
        (header_end + self.hot_section.len).next_multiple_of(BLOCK)
    }
}

/// Why a bundle cannot be read. Messages say what to do, for brokers and portal operators alike.
#[derive(Debug, Clone, PartialEq)]
pub enum BundleError {
    NotABundle,
    Version {
        found: u32,
        supported: u32,
    },
    Truncated {
        expected: u64,
        found: u64,
    },
    Corrupted(String),
    Incompatible(String),
    /// Bytes of a lazily read bundle could not be fetched.
    Fetch(String),
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
            BundleError::Fetch(why) => write!(f, "cannot fetch the bundle's bytes: {why}"),
        }
    }
}

impl std::error::Error for BundleError {}

/// Assembles a bundle from tantivy files and the hot ranges a lazy reader fetches first
/// (`[file index, start, end]`, see [`Header::hot`]).
pub fn write(counts: Counts, files: &[(String, Vec<u8>)], hot: Vec<[u64; 3]>) -> Vec<u8> {
    let mut header = Header {
        format_version: FORMAT_VERSION,
        tokenizer: TOKENIZER_ID.into(),
        codec: CODEC.into(),
        counts,
        hot,
        hot_section: Section::default(),
        files: files
            .iter()
            .scan(0, |offset, (name, bytes)| {
                let e = FileEntry {
                    name: name.clone(),
                    offset: *offset,
                    len: bytes.len() as u64,
                    crc32: crc32fast::hash(bytes),
                };
                *offset += e.len;
                Some(e)
            })
            .collect(),
    };
    // The files start on a block boundary, so their blocks (and the hot section's copy of some)
    // do not depend on the header's length.
    let copy: Vec<u8> = header
        .hot_blocks()
        .into_iter()
        .flat_map(|b| files_range(files, b * BLOCK..(b + 1) * BLOCK))
        .copied()
        .collect();
    header.hot_section = Section {
        len: copy.len() as u64,
        crc32: crc32fast::hash(&copy),
    };
    // Offsets depend on the header's own length: settle them by iterating until stable (the
    // offsets only grow, so this ends).
    let mut data_start = 0;
    let json_final = loop {
        let json = serde_json::to_vec(&header).expect("header serialises");
        let start = header.data_start((PREAMBLE_LEN + json.len()) as u64);
        if start == data_start {
            break json;
        }
        for e in &mut header.files {
            e.offset = e.offset - data_start + start;
        }
        data_start = start;
    };
    let mut out = Vec::with_capacity(data_start as usize + files.iter().map(|f| f.1.len()).sum::<usize>());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(json_final.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&json_final).to_le_bytes());
    out.extend_from_slice(&json_final);
    out.extend_from_slice(&copy);
    out.resize(data_start as usize, 0);
    for (_, bytes) in files {
        out.extend_from_slice(bytes);
    }
    out
}

/// The bytes `range` of `files` laid end to end (clipped to their end).
fn files_range(files: &[(String, Vec<u8>)], range: Range<u64>) -> impl Iterator<Item = &u8> {
    files
        .iter()
        .scan(0u64, |at, (_, bytes)| {
            let start = *at;
            *at += bytes.len() as u64;
            Some((start, bytes))
        })
        .flat_map(move |(start, bytes)| {
            let (from, to) = (range.start.max(start), range.end.min(start + bytes.len() as u64));
            bytes
                .get((from.saturating_sub(start)) as usize..(to.saturating_sub(start)) as usize)
                .unwrap_or_default()
        })
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
            BundleError::Truncated {
                expected: PREAMBLE_LEN as u64,
                found: total_len,
            }
        } else {
            BundleError::NotABundle
        });
    }
    if prefix.len() < PREAMBLE_LEN {
        return Err(BundleError::Truncated {
            expected: PREAMBLE_LEN as u64,
            found: total_len,
        });
    }
    let version = u32_at(prefix, 8);
    if version != FORMAT_VERSION {
        return Err(BundleError::Version {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let header_len = u32_at(prefix, 12) as usize;
    let end = PREAMBLE_LEN + header_len;
    if prefix.len() < end {
        return Err(BundleError::Truncated {
            expected: end as u64,
            found: total_len,
        });
    }
    let json = &prefix[PREAMBLE_LEN..end];
    if crc32fast::hash(json) != u32_at(prefix, 16) {
        return Err(BundleError::Corrupted("header checksum mismatch".into()));
    }
    let header: Header =
        serde_json::from_slice(json).map_err(|e| BundleError::Corrupted(format!("unreadable header: {e}")))?;
    if header.tokenizer != TOKENIZER_ID {
        return Err(BundleError::Incompatible(format!(
            "tokenizer {:?}, this engine uses {TOKENIZER_ID:?}",
            header.tokenizer
        )));
    }
    if header.codec != CODEC {
        return Err(BundleError::Incompatible(format!(
            "codec {:?}, this engine reads {CODEC:?}",
            header.codec
        )));
    }
    let mut expected = header.data_start(end as u64);
    for e in &header.files {
        if e.offset != expected {
            return Err(BundleError::Corrupted(format!(
                "file table: {} at offset {}, expected {expected}",
                e.name, e.offset
            )));
        }
        expected = e
            .offset
            .checked_add(e.len)
            .ok_or_else(|| BundleError::Corrupted("file table overflows".into()))?;
    }
    if total_len != expected {
        return Err(if total_len < expected {
            BundleError::Truncated {
                expected,
                found: total_len,
            }
        } else {
            BundleError::Corrupted(format!("{} bytes after the last file", total_len - expected))
        });
    }
    let hot_len: u64 = header
        .hot_blocks()
        .into_iter()
        .map(|b| BLOCK.min(expected.saturating_sub(b * BLOCK)))
        .sum();
    if hot_len != header.hot_section.len {
        return Err(BundleError::Corrupted(format!(
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
    directory: BundleDirectory,
    /// The fetched blocks, for a bundle opened lazily.
    pub cache: Option<Arc<BlockCache>>,
}

impl Bundle {
    /// Verifies magic, version, header and every file's checksum, without copying the bytes.
    pub fn parse(bytes: OwnedBytes) -> Result<Bundle, BundleError> {
        let size = bytes.len() as u64;
        let header = parse_header(bytes.as_slice(), size)?;
        check_hot_section(&header, bytes.as_slice())?;
        let mut files = HashMap::new();
        for e in &header.files {
            let data = bytes.slice(e.offset as usize..(e.offset + e.len) as usize);
            if crc32fast::hash(data.as_slice()) != e.crc32 {
                return Err(BundleError::Corrupted(format!("checksum mismatch in {}", e.name)));
            }
            files.insert(PathBuf::from(&e.name), FileSlice::new(Arc::new(data)));
        }
        Ok(Bundle {
            header,
            size,
            directory: BundleDirectory { files: Arc::new(files) },
            cache: None,
        })
    }

    /// Opens a bundle lazily from `source` alone (see [`Bundle::lazy`]).
    pub fn open_lazy(source: Box<dyn RangeSource>, size: u64) -> Result<Bundle, BundleError> {
        Bundle::lazy(BlockCache::new(source, size))
    }

    /// Opens a bundle whose bytes stay at the source of `cache`: from its opening ([`opening_len`]),
    /// read from the cache, where a caller may have supplied it already ([`BlockCache::supply`]);
    /// what is missing is fetched now. The hot section's blocks then fill the cache. Files are not
    /// checksummed: their bytes arrive piecemeal, later.
    pub fn lazy(cache: Arc<BlockCache>) -> Result<Bundle, BundleError> {
        let size = cache.size;
        let fetch = |r: Range<u64>| cache.read(r).map_err(|e| BundleError::Fetch(e.to_string()));
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
        cache.open_with(&hot_blocks, copy, files_start);
        let files = header
            .files
            .iter()
            .map(|e| {
                let file = LazyFile {
                    cache: cache.clone(),
                    offset: e.offset,
                    len: e.len as usize,
                };
                (PathBuf::from(&e.name), FileSlice::new(Arc::new(file)))
            })
            .collect();
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
    let header_end = PREAMBLE_LEN as u64 + u64::from(u32_at(prefix, 12));
    let Some(json) = prefix.get(PREAMBLE_LEN..header_end as usize) else {
        return Some(header_end);
    };
    // A header that does not read is reported when the bundle is opened.
    Some(serde_json::from_slice::<Header>(json).map_or(header_end, |h| h.data_start(header_end)))
}

/// Where the hot section's copied blocks lie in the bundle's first bytes (at least its opening),
/// checked against the header.
fn check_hot_section(header: &Header, prefix: &[u8]) -> Result<Range<usize>, BundleError> {
    let start = PREAMBLE_LEN + u32_at(prefix, 12) as usize;
    let end = header.data_start(start as u64) as usize;
    let section = prefix.get(start..end).ok_or(BundleError::Truncated {
        expected: end as u64,
        found: prefix.len() as u64,
    })?;
    let (copy, padding) = section.split_at((header.hot_section.len as usize).min(section.len()));
    if crc32fast::hash(copy) != header.hot_section.crc32 || padding.iter().any(|&b| b != 0) {
        return Err(BundleError::Corrupted("checksum mismatch in the hot section".into()));
    }
    Ok(start..start + copy.len())
}

/// Where a lazily read bundle's bytes come from: a file, memory, HTTP `Range` requests.
pub trait RangeSource: Send + Sync {
    /// Exactly the bytes `range` of the bundle (an error, not fewer bytes, when it cannot).
    fn fetch(&self, range: Range<u64>) -> io::Result<Vec<u8>>;
}

/// A bundle in memory as a [`RangeSource`] (for the builder and tests).
impl RangeSource for Vec<u8> {
    fn fetch(&self, range: Range<u64>) -> io::Result<Vec<u8>> {
        self.get(range.start as usize..range.end as usize)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("bytes {}..{} are past the end of the bundle", range.start, range.end),
                )
            })
    }
}

/// Cache blocks are this long and aligned to it in the bundle.
pub const BLOCK: u64 = 1024;

/// Bytes of fetched blocks a [`BlockCache`] keeps, besides the opening's: past it, the blocks
/// used least recently go (a broker's long session on a million records stays within it).
pub const CACHE_BUDGET: u64 = 64 << 20;

/// Ranges and bytes a lazy bundle has fetched so far, and the fetched bytes its cache holds now
/// (the opening's hot blocks not counted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Transfer {
    /// Byte ranges fetched: a request each, or several in one multipart request (the browser's worker).
    pub ranges: u64,
    pub bytes: u64,
    pub held: u64,
}

/// The fetched blocks of a lazily read bundle. A read of missing blocks fetches them from the
/// source (one request per run of consecutive blocks) — or, while *planning*, only notes them and
/// fails, so that a caller can fetch everything a request will need at once, concurrently.
/// Fetched blocks stay within a budget: when a response takes them past it, the blocks read least
/// recently go until a quarter of it is free (the opening's hot blocks always stay).
pub struct BlockCache {
    source: Box<dyn RangeSource>,
    size: u64,
    budget: u64,
    state: Mutex<CacheState>,
}

/// A cached block and the last read that used it.
struct Cached {
    bytes: Box<[u8]>,
    used: u64,
}

#[derive(Default)]
struct CacheState {
    /// Fetched blocks, by index.
    blocks: HashMap<u64, Cached>,
    /// The opening's hot blocks, kept for good: runs of consecutive blocks (first block, bytes),
    /// in order, so that a read inside one is a slice of it rather than a copy.
    hot: Vec<(u64, OwnedBytes)>,
    /// Reads so far: the clock of `Cached::used`.
    reads: u64,
    /// `Some` while planning: the missing blocks asked for so far.
    wanted: Option<BTreeSet<u64>>,
    /// `Some` while recording: every byte range read.
    log: Option<Vec<Range<u64>>>,
    transfer: Transfer,
}

/// The run of hot blocks holding block `b`: its first block and bytes.
fn hot_run(hot: &[(u64, OwnedBytes)], b: u64) -> Option<&(u64, OwnedBytes)> {
    let run = &hot[hot.partition_point(|(first, _)| *first <= b).checked_sub(1)?];
    (b < run.0 + (run.1.len() as u64).div_ceil(BLOCK)).then_some(run)
}

impl CacheState {
    fn has(&self, b: u64) -> bool {
        self.blocks.contains_key(&b) || hot_run(&self.hot, b).is_some()
    }

    /// The blocks of `ranges` not fetched yet.
    fn missing(&self, ranges: &[Range<u64>]) -> BTreeSet<u64> {
        blocks_of(ranges).filter(|b| !self.has(*b)).collect()
    }

    /// Drops the fetched blocks read least recently until at most `keep` bytes remain, sparing
    /// those of the latest read (a response must outlive the read that asked for it).
    fn evict_to(&mut self, keep: u64) {
        let mut by_age: Vec<(u64, u64)> = self
            .blocks
            .iter()
            .filter(|(_, c)| c.used < self.reads)
            .map(|(b, c)| (c.used, *b))
            .collect();
        by_age.sort_unstable();
        for (_, b) in by_age {
            if self.transfer.held <= keep {
                break;
            }
            self.forget(b);
        }
    }

    /// Drops block `b` if it is cached, and its bytes from those held.
    fn forget(&mut self, b: u64) {
        if let Some(c) = self.blocks.remove(&b) {
            self.transfer.held -= c.bytes.len() as u64;
        }
    }
}

/// The error a read returns while planning, for blocks that are not fetched yet.
fn not_fetched() -> io::Error {
    io::Error::new(io::ErrorKind::WouldBlock, "bundle bytes not fetched yet")
}

/// Blocks this close are fetched in one request, holes included: a few kilobytes more cost
/// less than another round trip.
const MERGE_GAP_BLOCKS: u64 = 1;

/// Sorted blocks as byte ranges to request: runs, merged across small holes, clipped to the bundle's end.
fn block_runs(blocks: impl IntoIterator<Item = u64>, size: u64) -> Vec<Range<u64>> {
    let mut runs: Vec<Range<u64>> = Vec::new();
    for b in blocks {
        match runs.last_mut() {
            Some(r) if b <= r.end + MERGE_GAP_BLOCKS => r.end = r.end.max(b + 1),
            _ => runs.push(b..b + 1),
        }
    }
    runs.into_iter()
        .map(|r| r.start * BLOCK..(r.end * BLOCK).min(size))
        .collect()
}

/// The blocks that cover `ranges` (with repeats where ranges share one).
fn blocks_of(ranges: &[Range<u64>]) -> impl Iterator<Item = u64> + '_ {
    ranges
        .iter()
        .filter(|r| r.start < r.end)
        .flat_map(|r| r.start / BLOCK..=(r.end - 1) / BLOCK)
}

impl BlockCache {
    /// An empty cache over a bundle of `size` bytes at `source`, keeping [`CACHE_BUDGET`] bytes.
    pub fn new(source: Box<dyn RangeSource>, size: u64) -> Arc<BlockCache> {
        BlockCache::with_budget(source, size, CACHE_BUDGET)
    }

    /// An empty cache that keeps at most `budget` bytes of fetched blocks besides the opening's.
    pub fn with_budget(source: Box<dyn RangeSource>, size: u64, budget: u64) -> Arc<BlockCache> {
        Arc::new(BlockCache {
            source,
            size,
            budget,
            state: Mutex::default(),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, CacheState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Requests and bytes so far.
    pub fn transfer(&self) -> Transfer {
        self.state().transfer
    }

    /// Stores the bytes of one response that starts at `start` (a block boundary). Only whole
    /// blocks are kept (and the bundle's last, short one); counts as one request.
    pub fn supply(&self, start: u64, bytes: &[u8]) -> Result<(), String> {
        if start % BLOCK != 0 {
            return Err(format!(
                "supplied bytes start at {start}, not at a {BLOCK}-byte block boundary"
            ));
        }
        if start.checked_add(bytes.len() as u64).is_none_or(|end| end > self.size) {
            return Err(format!(
                "supplied bytes {start}+{} are past the bundle's {} bytes",
                bytes.len(),
                self.size
            ));
        }
        let mut st = self.state();
        st.transfer.ranges += 1;
        st.transfer.bytes += bytes.len() as u64;
        let used = st.reads;
        for (i, chunk) in bytes.chunks(BLOCK as usize).enumerate() {
            let at = start + i as u64 * BLOCK;
            if (chunk.len() as u64 == BLOCK || at + chunk.len() as u64 == self.size) && !st.has(at / BLOCK) {
                st.transfer.held += chunk.len() as u64;
                st.blocks.insert(
                    at / BLOCK,
                    Cached {
                        bytes: chunk.into(),
                        used,
                    },
                );
            }
        }
        if st.transfer.held > self.budget {
            st.evict_to(self.budget - self.budget / 4);
        }
        Ok(())
    }

    /// Keeps the hot section's copies of file blocks for good, and drops the blocks before
    /// `files_start` (header and hot section): read once, to open.
    fn open_with(&self, hot_blocks: &[u64], copy: OwnedBytes, files_start: u64) {
        let mut st = self.state();
        let opening: Vec<u64> = st.blocks.keys().copied().filter(|b| *b < files_start / BLOCK).collect();
        for b in opening {
            st.forget(b);
        }
        // Block i of the hot section is the copy's i-th; runs of consecutive blocks share one buffer.
        let mut runs = Vec::new();
        let mut first = 0;
        for i in 1..=hot_blocks.len() {
            if i == hot_blocks.len() || hot_blocks[i] != hot_blocks[i - 1] + 1 {
                let bytes = copy.slice(first * BLOCK as usize..(i * BLOCK as usize).min(copy.len()));
                runs.push((hot_blocks[first], bytes));
                first = i;
            }
        }
        for &b in hot_blocks {
            st.forget(b);
        }
        st.hot = runs;
    }

    /// Fetches whatever blocks of `ranges` are missing, one request per run.
    pub fn fetch_all(&self, ranges: &[Range<u64>]) -> io::Result<()> {
        let missing = self.state().missing(ranges);
        self.fetch_blocks(missing)
    }

    /// Fetches `blocks`, one request per run.
    fn fetch_blocks(&self, blocks: BTreeSet<u64>) -> io::Result<()> {
        for run in block_runs(blocks, self.size) {
            let bytes = self.source.fetch(run.clone())?;
            if bytes.len() as u64 != run.end - run.start {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "asked for bytes {}..{} of the bundle, received {} bytes",
                        run.start,
                        run.end,
                        bytes.len()
                    ),
                ));
            }
            self.supply(run.start, &bytes).map_err(io::Error::other)?;
        }
        Ok(())
    }

    /// Runs `f` in planning mode and returns the block runs it asked for and did not find.
    pub fn plan<T>(&self, f: impl FnOnce() -> T) -> (T, Vec<Range<u64>>) {
        self.state().wanted = Some(BTreeSet::new());
        let out = f();
        let wanted = self.state().wanted.take().unwrap_or_default();
        (out, block_runs(wanted, self.size))
    }

    /// Whether the current plan has asked for blocks that are not fetched yet.
    pub fn missed(&self) -> bool {
        self.state().wanted.as_ref().is_some_and(|w| !w.is_empty())
    }

    /// Runs `f` and returns the byte ranges it read, merged.
    pub fn record<T>(&self, f: impl FnOnce() -> T) -> (T, Vec<Range<u64>>) {
        self.state().log = Some(Vec::new());
        let out = f();
        let mut log = self.state().log.take().unwrap_or_default();
        log.sort_by_key(|r| (r.start, r.end));
        let mut merged: Vec<Range<u64>> = Vec::new();
        for r in log {
            match merged.last_mut() {
                Some(m) if r.start <= m.end => m.end = m.end.max(r.end),
                _ => merged.push(r),
            }
        }
        (out, merged)
    }

    /// The bytes `range` of the bundle, fetched first if need be.
    fn read(&self, range: Range<u64>) -> io::Result<OwnedBytes> {
        if range.start >= range.end {
            return Ok(OwnedBytes::empty());
        }
        {
            let mut st = self.state();
            st.reads += 1;
            if let Some(log) = st.log.as_mut() {
                log.push(range.clone());
            }
            let missing = st.missing(std::slice::from_ref(&range));
            if !missing.is_empty() {
                if let Some(wanted) = st.wanted.as_mut() {
                    wanted.extend(missing);
                    return Err(not_fetched());
                }
                drop(st);
                self.fetch_blocks(missing)?;
            }
        }
        let mut st = self.state();
        // Inside one run of hot blocks (fast columns, field norms): a slice, not a copy.
        if let Some((first, run)) = hot_run(&st.hot, range.start / BLOCK) {
            let (from, to) = (range.start - first * BLOCK, range.end - first * BLOCK);
            if to <= run.len() as u64 {
                return Ok(run.slice(from as usize..to as usize));
            }
        }
        let used = st.reads;
        let CacheState { blocks, hot, .. } = &mut *st;
        let mut out = Vec::with_capacity((range.end - range.start) as usize);
        for b in range.start / BLOCK..=(range.end - 1) / BLOCK {
            let block: &[u8] = match blocks.get_mut(&b) {
                Some(cached) => {
                    cached.used = used;
                    &cached.bytes
                }
                None => {
                    let (first, run) = hot_run(hot, b).ok_or_else(not_fetched)?;
                    let at = ((b - first) * BLOCK) as usize;
                    &run[at..(at + BLOCK as usize).min(run.len())]
                }
            };
            let from = range.start.max(b * BLOCK) - b * BLOCK;
            let to = range.end.min(b * BLOCK + block.len() as u64) - b * BLOCK;
            out.extend_from_slice(
                block
                    .get(from as usize..to as usize)
                    .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "bundle block too short"))?,
            );
        }
        Ok(OwnedBytes::new(out))
    }
}

impl fmt::Debug for BlockCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockCache")
            .field("size", &self.size)
            .field("transfer", &self.transfer())
            .finish()
    }
}

/// One tantivy file of a lazily read bundle.
#[derive(Debug)]
struct LazyFile {
    cache: Arc<BlockCache>,
    offset: u64,
    len: usize,
}

impl HasLen for LazyFile {
    fn len(&self) -> usize {
        self.len
    }
}

impl FileHandle for LazyFile {
    fn read_bytes(&self, range: Range<usize>) -> io::Result<OwnedBytes> {
        if range.start > range.end || range.end > self.len {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("read of {range:?} past a file of {} bytes", self.len),
            ));
        }
        self.cache
            .read(self.offset + range.start as u64..self.offset + range.end as u64)
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
        Err(DeleteError::IoError {
            io_error: Arc::new(read_only()),
            filepath: path.to_path_buf(),
        })
    }
    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        Ok(self.files.contains_key(path))
    }
    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        Err(OpenWriteError::IoError {
            io_error: Arc::new(read_only()),
            filepath: path.to_path_buf(),
        })
    }
    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        let f = self
            .files
            .get(path)
            .ok_or_else(|| OpenReadError::FileDoesNotExist(path.to_path_buf()))?;
        let bytes = f.read_bytes().map_err(|e| OpenReadError::IoError {
            io_error: Arc::new(e),
            filepath: path.to_path_buf(),
        })?;
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
            assert!(matches!(err, BundleError::Truncated { .. }), "cut at {cut}: {err}");
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
        assert!(matches!(err, BundleError::Incompatible(_)), "{err}");
        assert!(err.to_string().contains("tantivy-0.27/zst/sstable") && err.to_string().contains(CODEC));
    }

    #[test]
    fn junk_is_not_a_bundle() {
        assert_eq!(
            Bundle::parse(OwnedBytes::new(b"PK\x03\x04 zip".to_vec())).err(),
            Some(BundleError::NotABundle)
        );
        assert_eq!(
            Bundle::parse(OwnedBytes::new(Vec::new())).err(),
            Some(BundleError::NotABundle)
        );
    }
}
