//! Bundle writing (CLI only): the index files and the hot section laid out behind the header, the check table after them.

use crate::bundle::checks;
use crate::bundle::Counts;
use crate::bundle::FileEntry;
use crate::bundle::Header;
use crate::bundle::Section;
use crate::bundle::BLOCK;
use crate::bundle::CODEC;
use crate::bundle::FORMAT_VERSION;
use crate::bundle::MAGIC;
use crate::bundle::PREAMBLE_LEN;
use crate::core::tokenize::TOKENIZER_ID;
use std::ops::Range;

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
        checks: Vec::new(),
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
    // The files start on a block boundary: their blocks, and so the check table, do not depend on
    // where they are.
    let (table, crcs) = checks::table(files.iter().map(|(_, bytes)| bytes.as_slice()));
    header.checks = crcs;
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
    let files_len: usize = files.iter().map(|(_, bytes)| bytes.len()).sum();
    let data_end = data_start as usize + files_len.next_multiple_of(BLOCK as usize);
    let mut out = Vec::with_capacity(data_end + table.len());
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
    out.resize(data_end, 0);
    out.extend_from_slice(&table);
    out
}

/// The bytes `range` of `files` laid end to end (clipped to their end).
pub(super) fn files_range(files: &[(String, Vec<u8>)], range: Range<u64>) -> impl Iterator<Item = &u8> {
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
