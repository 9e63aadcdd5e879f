//! Stored records: read from their bytes, every length checked, and column values named.

use crate::core::record::PublicRecord;
use crate::core::schema::{self};
use crate::engine::Engine;
use crate::Error;
use std::collections::BTreeMap;
use tantivy::collector::TopDocs;
use tantivy::columnar::StrColumn;
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, Term};

/// The text of a document's one stored field (the public record as JSON, `index::schema`) in its
/// stored bytes, tantivy's layout: a VInt count of values, then per value its field (u32), a type
/// code (0 = text), a VInt length and the text. Read here, with every length checked against the
/// bytes, because tantivy's reader reserves a damaged length before reading (an abort).
pub(super) fn stored_text(mut bytes: &[u8]) -> Result<Option<String>, Error> {
    let bad = |why: String| Error::Index(format!("stored record unreadable: {why}"));
    if read_vint(&mut bytes).ok_or_else(|| bad("value count cut short".into()))? == 0 {
        return Ok(None);
    }
    let [_, _, _, _, code, rest @ ..] = bytes else {
        return Err(bad("field cut short".into()));
    };
    if *code != 0 {
        return Err(bad(format!("value of type {code}, not text")));
    }
    let mut rest = rest;
    let len = read_vint(&mut rest).ok_or_else(|| bad("text length cut short".into()))?;
    let text = usize::try_from(len)
        .ok()
        .and_then(|len| rest.get(..len))
        .ok_or_else(|| bad(format!("text of {len} bytes in {} left", rest.len())))?;
    String::from_utf8(text.to_vec())
        .map(Some)
        .map_err(|e| bad(e.to_string()))
}

/// A tantivy VInt: 7 bits a byte, lowest first, the last byte marked by its high bit.
pub(super) fn read_vint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 != 0 {
            *bytes = &bytes[i + 1..];
            return Some(value);
        }
    }
    None
}

/// The values of a string column for each of `docs` (of one segment), each distinct value named
/// once, in one pass over the column's dictionary.
pub(crate) fn str_values(col: &StrColumn, docs: &[DocId]) -> Result<Vec<Vec<String>>, Error> {
    let ords: Vec<Vec<u64>> = docs.iter().map(|&doc| col.term_ords(doc).collect()).collect();
    let mut distinct: Vec<u64> = ords.iter().flatten().copied().collect();
    distinct.sort_unstable();
    distinct.dedup();
    let mut names = Vec::with_capacity(distinct.len());
    let found = col.dictionary().sorted_ords_to_term_cb(&distinct, |value| {
        names.push(String::from_utf8_lossy(value).into_owned())
    })?;
    if !found || names.len() != distinct.len() {
        return Err(Error::Index("a value is missing from its column's dictionary".into()));
    }
    let name = |ord: u64| match distinct.binary_search(&ord) {
        Ok(i) | Err(i) => names[i].clone(),
    };
    Ok(ords.into_iter().map(|o| o.into_iter().map(name).collect()).collect())
}

/// Tags of a record as shown on a hit card.
pub(crate) fn tags_of(r: &PublicRecord) -> BTreeMap<String, Vec<String>> {
    let mut tags: BTreeMap<String, Vec<String>> = schema::tag_values(r)
        .into_iter()
        .filter(|(n, v)| *n != "kind" && !v.is_empty())
        .map(|(n, v)| (n.to_string(), v))
        .collect();
    if let (Some(lo), Some(hi)) = (r.trl_min, r.trl_max) {
        tags.insert(
            "trl".into(),
            if lo == hi {
                vec![lo.to_string()]
            } else {
                vec![lo.to_string(), hi.to_string()]
            },
        );
    }
    tags
}

impl Engine {
    /// The public record at a document address.
    pub(crate) fn record_at(&self, addr: DocAddress) -> Result<PublicRecord, Error> {
        let json = self.stored_json(addr)?;
        serde_json::from_str(&json).map_err(|e| Error::Index(format!("stored record unreadable: {e}")))
    }

    pub(super) fn stored_json(&self, addr: DocAddress) -> Result<String, Error> {
        let store = self
            .stores
            .get(addr.segment_ord as usize)
            .ok_or_else(|| Error::Index(format!("no segment {}", addr.segment_ord)))?;
        let bytes = store.document_bytes(addr.doc_id)?;
        stored_text(&bytes)?.ok_or_else(|| Error::Index("stored record missing".into()))
    }

    /// The document address of a record id.
    pub(crate) fn address_of(&self, id: &str) -> Result<Option<DocAddress>, Error> {
        let q = TermQuery::new(Term::from_field_text(self.fields.id, id), IndexRecordOption::Basic);
        let top = self.searcher.search(&q, &TopDocs::with_limit(1).order_by_score())?;
        Ok(top.first().map(|(_, a)| *a))
    }

    /// The public record with this id.
    pub fn get(&self, id: &str) -> Result<Option<PublicRecord>, Error> {
        self.address_of(id)?.map(|a| self.record_at(a)).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_text_reads_tantivys_layout_and_refuses_lengths_past_the_bytes() {
        // One value: field 1, text, VInt 5 (0x85: last byte), then the text.
        let doc = [&[0x81][..], &1u32.to_le_bytes(), &[0, 0x85], b"{\"a\"}"].concat();
        assert_eq!(stored_text(&doc), Ok(Some("{\"a\"}".into())));
        assert_eq!(stored_text(&[0x80]), Ok(None));
        // Type 0, then a length of 2^62 (as a forged block gives): an error, not a reservation.
        let forged = [&[0x81][..], &1u32.to_le_bytes(), &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0]].concat();
        assert!(
            stored_text(&forged)
                .unwrap_err()
                .to_string()
                .contains("bytes in 0 left"),
            "{:?}",
            stored_text(&forged)
        );
        assert!(stored_text(&doc[..doc.len() - 1]).is_err());
        assert!(stored_text(&[0x81, 1, 0, 0, 0, 2, 0x81, 7])
            .unwrap_err()
            .to_string()
            .contains("type 2"));
        assert!(stored_text(&[0x01]).is_err());
        // Multi-byte VInts: 300 = 44 + 2·128.
        assert_eq!(read_vint(&mut &[44, 0x82][..]), Some(300));
    }
}
