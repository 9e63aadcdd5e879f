//! Block checks: a CRC-32 for every block of the files, so that bytes read lazily are verified as they arrive.
//!
//! A bundle held whole is verified by each file's CRC-32; a lazily read one gets its files a
//! block at a time, and a flipped bit in one of them would otherwise reach tantivy's decoders (a
//! trap in WASM, or a silently wrong answer). So the files are followed by a *check table*: from
//! the first block boundary after the last file, the CRC-32 (little-endian) of every block from
//! the first file's start to that boundary, 4 bytes per 1 KiB block. The table is read through
//! the block cache like everything else — one table block covers 256 KiB of files — and its own
//! blocks are verified by the CRC-32s the header lists ([`super::Header::checks`]).

use crate::bundle::BLOCK;
use crate::Error;
use std::ops::Range;

/// Bytes of one block's entry in the check table.
const ENTRY: u64 = 4;

/// Where the files' blocks and their check table lie, and the CRC-32 of each table block.
pub(super) struct Checks {
    /// The blocks the table covers: the files', from the first file's start to the table.
    pub(super) data: Range<u64>,
    /// CRC-32 of each block of the table, which starts at block `data.end`.
    pub(super) table: Vec<u32>,
}

impl Checks {
    /// The table block holding block `b`'s entry, if the table covers `b`.
    pub(super) fn table_block(&self, b: u64) -> Option<u64> {
        self.data
            .contains(&b)
            .then(|| self.data.end + (b - self.data.start) * ENTRY / BLOCK)
    }

    /// The expected CRC-32 of table block `t`, if `t` is one.
    pub(super) fn table_crc(&self, t: u64) -> Option<u32> {
        let i = usize::try_from(t.checked_sub(self.data.end)?).ok()?;
        self.table.get(i).copied()
    }

    /// Block `b`'s entry, read from its table block's bytes.
    pub(super) fn entry(&self, b: u64, table_block: &[u8]) -> Option<u32> {
        let at = usize::try_from((b - self.data.start) * ENTRY % BLOCK).ok()?;
        let bytes = table_block.get(at..at + ENTRY as usize)?;
        Some(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }
}

/// Length of the check table for the blocks `data` (block indexes).
pub(super) fn table_len(data: &Range<u64>) -> u64 {
    (data.end - data.start) * ENTRY
}

/// The check table of the files, laid end to end from a block boundary and followed by zeros
/// to the next one, and the CRC-32 of each of its blocks.
#[cfg(feature = "cli")]
pub(super) fn table<'a>(files: impl IntoIterator<Item = &'a [u8]>) -> (Vec<u8>, Vec<u32>) {
    let block = BLOCK as usize;
    let mut table = Vec::new();
    let mut hasher = crc32fast::Hasher::new();
    let mut filled = 0;
    for mut bytes in files {
        while !bytes.is_empty() {
            let n = (block - filled).min(bytes.len());
            hasher.update(&bytes[..n]);
            (filled, bytes) = (filled + n, &bytes[n..]);
            if filled == block {
                table.extend(std::mem::take(&mut hasher).finalize().to_le_bytes());
                filled = 0;
            }
        }
    }
    if filled > 0 {
        hasher.update(&vec![0; block - filled]);
        table.extend(hasher.finalize().to_le_bytes());
    }
    let crcs = table.chunks(block).map(crc32fast::hash).collect();
    (table, crcs)
}

/// The error of a read whose block `b` does not match its check (in the check table itself
/// when `table`): bytes damaged on the way, or a bundle replaced on the server by one of the same size.
pub(super) fn damaged(b: u64, table: bool) -> Error {
    let what = if table { "check table" } else { "files" };
    let (start, end) = (b * BLOCK, (b + 1) * BLOCK);
    Error::Corrupted(format!(
        "bytes {start}–{end} ({what}) do not match their checksum: damaged on the way, or the \
         bundle changed on the server; the request can be tried again"
    ))
}
