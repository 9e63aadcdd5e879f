//! Block cache: the fetched blocks of a lazily read bundle, filled by a range source, within a budget.

use crate::bundle::checks::{damaged, Checks};
use crate::Error;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::io;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use tantivy::directory::OwnedBytes;
use tantivy::HasLen;

/// Where a lazily read bundle's bytes come from: a file, memory, HTTP `Range` requests.
pub trait RangeSource: Send + Sync {
    /// Exactly the bytes `range` of the bundle (an error, not fewer bytes, when it cannot).
    fn fetch(&self, range: Range<u64>) -> io::Result<Vec<u8>>;
}

/// A bundle in memory as a [`RangeSource`] (for the builder and tests).
impl RangeSource for Vec<u8> {
    fn fetch(&self, range: Range<u64>) -> io::Result<Vec<u8>> {
        super::format::within(self, range.start, range.end)
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
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify), tsify(hashmap_as_object))]
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
    pub(super) source: Box<dyn RangeSource>,
    pub(super) size: u64,
    pub(super) budget: u64,
    pub(super) state: Mutex<CacheState>,
}

/// A cached block, the last read that used it, and whether it has passed its check.
pub(super) struct Cached {
    pub(super) bytes: Box<[u8]>,
    pub(super) used: u64,
    pub(super) verified: bool,
}

#[derive(Default)]
pub(super) struct CacheState {
    /// Fetched blocks, by index.
    pub(super) blocks: HashMap<u64, Cached>,
    /// The opening's hot blocks, kept for good: runs of consecutive blocks (first block, bytes),
    /// in order, so that a read inside one is a slice of it rather than a copy.
    pub(super) hot: Vec<(u64, OwnedBytes)>,
    /// Reads so far: the clock of `Cached::used`.
    pub(super) reads: u64,
    /// `Some` while planning: the missing blocks asked for so far.
    pub(super) wanted: Option<BTreeSet<u64>>,
    /// `Some` while recording: every byte range read.
    pub(super) log: Option<Vec<Range<u64>>>,
    pub(super) transfer: Transfer,
    /// Once opened: the check table that verifies each fetched block of the files.
    pub(super) checks: Option<Checks>,
    /// The first block that failed its check while planning.
    pub(super) damage: Option<Error>,
}

/// The run of hot blocks holding block `b`: its first block and bytes.
pub(super) fn hot_run(hot: &[(u64, OwnedBytes)], b: u64) -> Option<&(u64, OwnedBytes)> {
    let run = &hot[hot.partition_point(|(first, _)| *first <= b).checked_sub(1)?];
    (b < run.0 + (run.1.len() as u64).div_ceil(BLOCK)).then_some(run)
}

impl CacheState {
    pub(super) fn has(&self, b: u64) -> bool {
        self.blocks.contains_key(&b) || hot_run(&self.hot, b).is_some()
    }

    /// The blocks of `ranges` not fetched yet, and the check table blocks that the blocks not
    /// verified yet need.
    pub(super) fn missing(&self, ranges: &[Range<u64>]) -> BTreeSet<u64> {
        let mut out = BTreeSet::new();
        for b in blocks_of(ranges) {
            if !self.has(b) {
                out.insert(b);
            }
            let table = self.checks.as_ref().and_then(|c| c.table_block(b));
            if let Some(t) = table.filter(|t| !self.has(*t) && !self.verified(b)) {
                out.insert(t);
            }
        }
        out
    }

    /// Whether block `b` is a hot block (verified with the opening) or a fetched one that passed its check.
    fn verified(&self, b: u64) -> bool {
        self.blocks
            .get(&b)
            .map_or_else(|| hot_run(&self.hot, b).is_some(), |c| c.verified)
    }

    /// Checks the fetched blocks of `range` not checked yet against the check table, whose
    /// blocks are held ([`CacheState::missing`]); a block that fails is dropped (fetched anew
    /// next time) and the read fails with [`Error::Corrupted`].
    fn verify(&mut self, range: &Range<u64>) -> io::Result<()> {
        let Some(checks) = self.checks.take() else {
            return Ok(());
        };
        let out = blocks_of(std::slice::from_ref(range)).try_for_each(|b| self.verify_block(&checks, b));
        self.checks = Some(checks);
        out
    }

    /// Block `b` failed its check: the error, also noted for the plan under way (a planned
    /// request that read damaged bytes fails, rather than fetching them again and again).
    fn damaged(&mut self, b: u64, table: bool) -> io::Error {
        let e = damaged(b, table);
        if self.wanted.is_some() {
            self.damage.get_or_insert_with(|| e.clone());
        }
        io::Error::new(io::ErrorKind::InvalidData, e)
    }

    fn verify_block(&mut self, checks: &Checks, b: u64) -> io::Result<()> {
        let Some(t) = checks.table_block(b).filter(|_| !self.verified(b)) else {
            return Ok(());
        };
        let table = self.blocks.get_mut(&t).ok_or_else(not_fetched)?;
        table.used = self.reads;
        if !table.verified {
            if Some(crc32fast::hash(&table.bytes)) != checks.table_crc(t) {
                self.forget(t);
                return Err(self.damaged(t, true));
            }
            table.verified = true;
        }
        let expected = checks.entry(b, &table.bytes);
        let block = self.blocks.get_mut(&b).ok_or_else(not_fetched)?;
        if Some(crc32fast::hash(&block.bytes)) != expected {
            self.forget(b);
            return Err(self.damaged(b, false));
        }
        block.verified = true;
        Ok(())
    }

    /// Drops the fetched blocks read least recently until at most `keep` bytes remain, sparing
    /// those of the latest read (a response must outlive the read that asked for it).
    pub(super) fn evict_to(&mut self, keep: u64) {
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
    pub(super) fn forget(&mut self, b: u64) {
        if let Some(c) = self.blocks.remove(&b) {
            self.transfer.held -= c.bytes.len() as u64;
        }
    }
}

/// The error a read returns while planning, for blocks that are not fetched yet.
pub(super) fn not_fetched() -> io::Error {
    io::Error::new(io::ErrorKind::WouldBlock, "bundle bytes not fetched yet")
}

/// Blocks this close are fetched in one request, holes included: a few kilobytes more cost
/// less than another round trip.
pub(super) const MERGE_GAP_BLOCKS: u64 = 1;

/// Sorted blocks as byte ranges to request: runs, merged across small holes, clipped to the bundle's end.
pub(super) fn block_runs(blocks: impl IntoIterator<Item = u64>, size: u64) -> Vec<Range<u64>> {
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
pub(super) fn blocks_of(ranges: &[Range<u64>]) -> impl Iterator<Item = u64> + '_ {
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

    pub(super) fn state(&self) -> std::sync::MutexGuard<'_, CacheState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Requests and bytes so far.
    pub fn transfer(&self) -> Transfer {
        self.state().transfer
    }

    /// Stores the bytes of one response that starts at `start` (a block boundary). Only whole
    /// blocks are kept (and the bundle's last, short one); counts as one request.
    pub fn supply(&self, start: u64, bytes: &[u8]) -> Result<(), Error> {
        if start % BLOCK != 0 {
            return Err(Error::Request(format!(
                "supplied bytes start at {start}, not at a {BLOCK}-byte block boundary"
            )));
        }
        if start.checked_add(bytes.len() as u64).is_none_or(|end| end > self.size) {
            return Err(Error::Request(format!(
                "supplied bytes {start}+{} are past the bundle's {} bytes",
                bytes.len(),
                self.size
            )));
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
                        verified: false,
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
    /// `files_start` (header and hot section): read once, to open. From now on, every block of
    /// the files fetched is verified by `checks` before it is read.
    pub(super) fn open_with(&self, hot_blocks: &[u64], copy: OwnedBytes, files_start: u64, checks: Checks) {
        let mut st = self.state();
        st.checks = Some(checks);
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
    pub(super) fn fetch_blocks(&self, blocks: BTreeSet<u64>) -> io::Result<()> {
        for run in block_runs(blocks, self.size) {
            let bytes = self.source.fetch(run.clone())?;
            if bytes.len() as u64 != run.end - run.start {
                return Err(io::Error::other(Error::Fetch(format!(
                    "asked for bytes {}..{} of the bundle, received {} bytes",
                    run.start,
                    run.end,
                    bytes.len()
                ))));
            }
            self.supply(run.start, &bytes).map_err(io::Error::other)?;
        }
        Ok(())
    }

    /// Runs `f` in planning mode and returns the block runs it asked for and did not find, or
    /// the error of a block that failed its check (dropped: fetched anew by the next request).
    pub fn plan<T>(&self, f: impl FnOnce() -> T) -> Result<(T, Vec<Range<u64>>), Error> {
        self.state().wanted = Some(BTreeSet::new());
        let out = f();
        let mut st = self.state();
        let wanted = st.wanted.take().unwrap_or_default();
        if let Some(damage) = st.damage.take() {
            return Err(damage);
        }
        Ok((out, block_runs(wanted, self.size)))
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
    pub(super) fn read(&self, range: Range<u64>) -> io::Result<OwnedBytes> {
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
                if st.wanted.is_some() {
                    // The blocks this read has are kept as recent as those it will be supplied.
                    let used = st.reads;
                    for b in range.start / BLOCK..=(range.end - 1) / BLOCK {
                        if let Some(c) = st.blocks.get_mut(&b) {
                            c.used = used;
                        }
                    }
                    st.wanted.get_or_insert_default().extend(missing);
                    return Err(not_fetched());
                }
                drop(st);
                self.fetch_blocks(missing)?;
            }
        }
        let mut st = self.state();
        st.verify(&range)?;
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
