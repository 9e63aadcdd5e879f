//! The stored records' file of a segment read with every offset checked: its footer, its block
//! index, each compressed block and each record's place in its block.
//!
//! tantivy's own store reader trusts these bytes: a damaged footer, block index or block makes it
//! panic (slice out of range, a version it does not know) or reserve what a damaged length says,
//! and in WASM a panic is a trap. The engine reads stored records here instead, and checks the
//! footer and block index before tantivy's searcher opens the file, so that what tantivy parses is
//! known to be whole. A bundle's checksums cannot stand in for this: whoever forges the bytes can
//! forge them too, and a lazily opened bundle is never checked whole.

use crate::engine::stored::read_vint;
use crate::Error;
use lru::LruCache;
use std::num::NonZeroUsize;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use tantivy::directory::FileSlice;
use tantivy::index::{SegmentComponent, SegmentId};
use tantivy::{DocId, HasLen, Index};

/// tantivy's store footer: version (u32), block index offset (u64), compressor (u8), 15 zeros.
const FOOTER_LEN: usize = 28;
/// Compressors a store may name: none, LZ4 (the one techmatch writes).
const NONE: u8 = 0;
const LZ4: u8 = 1;
/// LZ4 expands at most 255-fold: a block saying it holds more is damaged.
const LZ4_MAX_RATIO: usize = 255;

/// One block of the store: the documents it holds and where its compressed bytes lie.
#[derive(Clone, Debug, PartialEq)]
struct Block {
    docs: Range<DocId>,
    bytes: Range<usize>,
}

/// A segment's stored records.
pub(crate) struct Store {
    data: FileSlice,
    compressor: u8,
    blocks: Vec<Block>,
    /// Decompressed blocks, by their first byte.
    cache: Mutex<LruCache<usize, Arc<Vec<u8>>>>,
}

fn bad(segment: usize, why: impl std::fmt::Display) -> Error {
    Error::Unreadable(format!("the stored records of segment {segment} are damaged: {why}"))
}

/// Every searchable segment's store, checked, by segment id (before a searcher opens them).
pub(crate) fn open_stores(index: &Index, cache_blocks: usize) -> Result<Vec<(SegmentId, Store)>, Error> {
    let segments = index.searchable_segments()?;
    segments
        .iter()
        .enumerate()
        .map(|(ord, segment)| {
            let file = segment.open_read(SegmentComponent::Store).map_err(|e| bad(ord, e))?;
            let store = Store::open(file, segment.meta().max_doc(), cache_blocks).map_err(|why| bad(ord, why))?;
            Ok((segment.id(), store))
        })
        .collect()
}

/// The stores in the order of the searcher's segments.
pub(crate) fn in_searcher_order(
    mut stores: Vec<(SegmentId, Store)>,
    searcher: &tantivy::Searcher,
) -> Result<Vec<Store>, Error> {
    searcher
        .segment_readers()
        .iter()
        .map(|r| {
            let at = stores
                .iter()
                .position(|(id, _)| *id == r.segment_id())
                .ok_or_else(|| Error::Unreadable(format!("no stored records for segment {}", r.segment_id())))?;
            Ok(stores.swap_remove(at).1)
        })
        .collect()
}

impl Store {
    /// Reads and checks the footer and the block index of a store file holding `max_doc` documents.
    fn open(file: FileSlice, max_doc: DocId, cache_blocks: usize) -> Result<Store, String> {
        let len = file.len();
        let footer_at = len
            .checked_sub(FOOTER_LEN)
            .ok_or_else(|| format!("{len} bytes, shorter than its footer"))?;
        let footer = file.read_bytes_slice(footer_at..len).map_err(|e| e.to_string())?;
        let footer = footer.as_slice();
        let version = u32::from_le_bytes(footer[..4].try_into().expect("4 bytes"));
        let index_at = u64::from_le_bytes(footer[4..12].try_into().expect("8 bytes"));
        let compressor = footer[12];
        if version != 1 && version != 2 {
            return Err(format!("store version {version}"));
        }
        if compressor != NONE && compressor != LZ4 {
            return Err(format!("compressor {compressor}"));
        }
        let index_at = usize::try_from(index_at)
            .ok()
            .filter(|&at| at <= footer_at)
            .ok_or_else(|| format!("block index at {index_at}, past the {footer_at} bytes of blocks"))?;
        let index = file.read_bytes_slice(index_at..footer_at).map_err(|e| e.to_string())?;
        let blocks = read_block_index(index.as_slice())?;
        let (docs_end, bytes_end) = blocks.last().map_or((0, 0), |b| (b.docs.end, b.bytes.end));
        if docs_end != max_doc || bytes_end != index_at {
            return Err(format!(
                "its blocks hold {docs_end} documents in {bytes_end} bytes, not {max_doc} in {index_at}"
            ));
        }
        Ok(Store {
            data: file.slice(..index_at),
            compressor,
            blocks,
            cache: Mutex::new(LruCache::new(NonZeroUsize::new(cache_blocks.max(1)).expect("≥ 1"))),
        })
    }

    /// The stored bytes of document `doc`.
    pub(crate) fn document_bytes(&self, doc: DocId) -> Result<Vec<u8>, Error> {
        let damaged = |why: String| Error::Index(format!("stored record unreadable: {why}"));
        let i = self.blocks.partition_point(|b| b.docs.end <= doc);
        let block = self
            .blocks
            .get(i)
            .ok_or_else(|| damaged(format!("no block holds document {doc}")))?;
        let bytes = self.block(block)?;
        let range = place_in_block(&bytes, (doc - block.docs.start) as usize).map_err(damaged)?;
        Ok(bytes[range].to_vec())
    }

    /// A block's decompressed bytes.
    fn block(&self, block: &Block) -> Result<Arc<Vec<u8>>, Error> {
        let key = block.bytes.start;
        if let Some(hit) = self.cache.lock().expect("store cache").get(&key) {
            return Ok(hit.clone());
        }
        let raw = self.data.read_bytes_slice(block.bytes.clone())?;
        let bytes = Arc::new(match self.compressor {
            LZ4 => lz4(raw.as_slice()).map_err(|why| Error::Index(format!("stored record unreadable: {why}")))?,
            _ => raw.as_slice().to_vec(),
        });
        self.cache.lock().expect("store cache").put(key, bytes.clone());
        Ok(bytes)
    }
}

/// The last layer of tantivy's block index (every block, in order), after checking that the
/// layers tantivy slices at opening lie inside the index. Layout: a VInt count of layer end
/// offsets, the offsets, then the layers; a layer is a run of checkpoint groups, each a VInt count,
/// then (if any) the first document and first byte, then per block its documents and bytes.
fn read_block_index(mut index: &[u8]) -> Result<Vec<Block>, String> {
    let cut = || "block index cut short".to_string();
    let layers = read_vint(&mut index).ok_or_else(cut)?;
    if layers > index.len() as u64 {
        return Err(format!("{layers} index layers in {} bytes", index.len()));
    }
    let mut start = 0usize;
    let mut last = 0..0;
    for _ in 0..layers {
        let end = read_vint(&mut index).ok_or_else(cut)?;
        let end = usize::try_from(end).map_err(|_| cut())?;
        if end < start {
            return Err(format!("index layer ends at {end}, before it starts at {start}"));
        }
        last = start..end;
        start = end;
    }
    if start > index.len() {
        return Err(format!("index layers of {start} bytes in {}", index.len()));
    }
    let mut layer = &index[last];
    let mut blocks: Vec<Block> = Vec::new();
    let (mut doc, mut byte) = (0u64, 0u64);
    while !layer.is_empty() {
        let n = read_vint(&mut layer).ok_or_else(cut)?;
        if n == 0 {
            continue;
        }
        if n > layer.len() as u64 {
            return Err(format!("{n} blocks in {} bytes", layer.len()));
        }
        let first = (
            read_vint(&mut layer).ok_or_else(cut)?,
            read_vint(&mut layer).ok_or_else(cut)?,
        );
        if first != (doc, byte) {
            return Err(format!(
                "a block starts at document {}, byte {}; expected {doc}, {byte}",
                first.0, first.1
            ));
        }
        for _ in 0..n {
            let docs = read_vint(&mut layer).ok_or_else(cut)?;
            let bytes = read_vint(&mut layer).ok_or_else(cut)?;
            let block = Block {
                docs: span(doc, docs)?,
                bytes: span(byte, bytes)?,
            };
            if block.docs.is_empty() {
                return Err(format!("an empty block at document {doc}"));
            }
            doc += docs;
            byte += bytes;
            blocks.push(block);
        }
    }
    Ok(blocks)
}

/// `start..start + len` as indexes, or why not (past `u32` documents or the address space).
fn span<T: TryFrom<u64>>(start: u64, len: u64) -> Result<Range<T>, String> {
    let end = start.checked_add(len).ok_or("block past the end")?;
    match (T::try_from(start), T::try_from(end)) {
        (Ok(s), Ok(e)) => Ok(s..e),
        _ => Err(format!("block at {start}..{end}, out of range")),
    }
}

/// Where record `pos` of a decompressed block lies. A block ends with the records' start offsets
/// (u32 each) and their count (u32); a record ends where the next starts, the last at the offsets.
fn place_in_block(block: &[u8], pos: usize) -> Result<Range<usize>, String> {
    let u32_at = |at: usize| u32::from_le_bytes(block[at..at + 4].try_into().expect("4 bytes")) as usize;
    let count_at = block
        .len()
        .checked_sub(4)
        .ok_or_else(|| format!("block of {} bytes", block.len()))?;
    let count = u32_at(count_at);
    if pos >= count || count > count_at / 4 {
        return Err(format!("record {pos} of a block of {count} in {} bytes", block.len()));
    }
    let offsets_at = count_at - count * 4;
    let start = u32_at(offsets_at + pos * 4);
    let end = if pos + 1 < count {
        u32_at(offsets_at + (pos + 1) * 4)
    } else {
        offsets_at
    };
    if start > end || end > offsets_at {
        return Err(format!(
            "record {pos} at {start}..{end} in a block of {offsets_at} bytes"
        ));
    }
    Ok(start..end)
}

/// An LZ4 block as tantivy writes it: the decompressed length (u32), then the compressed bytes.
fn lz4(raw: &[u8]) -> Result<Vec<u8>, String> {
    let (size, compressed) = raw.split_first_chunk::<4>().ok_or("block shorter than its length")?;
    let size = u32::from_le_bytes(*size) as usize;
    if size > compressed.len().saturating_mul(LZ4_MAX_RATIO) {
        return Err(format!("block of {} bytes says it holds {size}", compressed.len()));
    }
    let mut out = vec![0; size];
    let n = lz4_flex::block::decompress_into(compressed, &mut out).map_err(|e| e.to_string())?;
    if n != size {
        return Err(format!("block holds {n} bytes, says {size}"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A block of records as tantivy lays it out.
    fn block_of(records: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut offsets = Vec::new();
        for r in records {
            offsets.push(out.len() as u32);
            out.extend_from_slice(r);
        }
        for o in &offsets {
            out.extend_from_slice(&o.to_le_bytes());
        }
        out.extend_from_slice(&(records.len() as u32).to_le_bytes());
        out
    }

    #[test]
    fn records_are_found_in_their_block_and_damaged_offsets_refused() {
        let block = block_of(&[b"one", b"three"]);
        assert_eq!(&block[place_in_block(&block, 0).unwrap()], b"one");
        assert_eq!(&block[place_in_block(&block, 1).unwrap()], b"three");
        assert!(place_in_block(&block, 2).is_err());
        assert!(place_in_block(&block[..3], 0).is_err());
        let mut huge_count = block.clone();
        let n = huge_count.len();
        huge_count[n - 4..].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(place_in_block(&huge_count, 0).is_err());
        let mut past = block.clone();
        past[8..12].copy_from_slice(&64116u32.to_le_bytes()); // the first record's start
        assert!(place_in_block(&past, 0).unwrap_err().contains("64116"));
    }

    #[test]
    fn a_block_index_that_does_not_follow_on_is_refused() {
        // One layer: one group of two blocks, docs 0..2 and 2..5, bytes 0..10 and 10..30 (one-byte
        // VInts: the last byte of a VInt has its high bit set).
        let v = |n: u8| n | 0x80;
        let layer = [v(2), v(0), v(0), v(2), v(10), v(3), v(20)];
        let index = [[v(1), v(layer.len() as u8)].as_slice(), &layer].concat();
        let blocks = read_block_index(&index).unwrap();
        assert_eq!(
            blocks[1],
            Block {
                docs: 2..5,
                bytes: 10..30
            }
        );
        let mut gap = index.clone();
        gap[4] = v(1); // the group starts at byte 1
        assert!(read_block_index(&gap).unwrap_err().contains("expected 0, 0"));
        let mut long = index.clone();
        long[1] = v(100); // the layer past the index
        assert!(read_block_index(&long).is_err());
        assert!(read_block_index(&[0x7f]).is_err());
    }

    #[test]
    fn an_lz4_block_saying_it_holds_more_than_lz4_can_is_refused() {
        let data = b"techmatch stored records ".repeat(40);
        let mut raw = (data.len() as u32).to_le_bytes().to_vec();
        let mut compressed = vec![0; lz4_flex::block::get_maximum_output_size(data.len())];
        let n = lz4_flex::compress_into(&data, &mut compressed).unwrap();
        raw.extend(&compressed[..n]);
        assert_eq!(lz4(&raw).unwrap(), data);
        raw[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(lz4(&raw).unwrap_err().contains("says it holds"));
    }
}
