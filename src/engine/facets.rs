//! Facets: counts of tag values over the matching documents, read from the fast columns.

use crate::engine::Facets;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{RowId, StrColumn};
use tantivy::error::DataCorruption;
use tantivy::index::SegmentId;
use tantivy::query::{BitSetDocSet, ConstScorer, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{BitSet, DocId, Score, SegmentReader};

/// Counts tag values of the matching documents, per field, from the fast columns.
pub(super) struct FacetCounts {
    pub(super) fields: Vec<&'static str>,
}

/// Matching documents are counted in batches: one call per column and batch reads the values of
/// the whole batch, instead of one per document and column.
pub(super) struct SegmentFacetCounts {
    pub(super) columns: Vec<(&'static str, StrColumn, Vec<u64>)>,
    /// Matching documents not yet counted.
    pub(super) batch: Vec<DocId>,
    /// Scratch for a batch: the documents of each value row, the rows, their values.
    pub(super) row_docs: Vec<DocId>,
    pub(super) rows: Vec<RowId>,
    pub(super) ords: Vec<u64>,
}

/// Documents per batch of [`SegmentFacetCounts`].
pub(super) const FACET_BATCH: usize = 1024;

impl SegmentFacetCounts {
    pub(super) fn count_batch(&mut self) {
        for (_, col, counts) in &mut self.columns {
            let column = col.ords();
            self.row_docs.clear();
            self.rows.clear();
            column.row_ids_for_docs(&self.batch, &mut self.row_docs, &mut self.rows);
            self.ords.clear();
            self.ords.resize(self.rows.len(), 0);
            column.values.get_vals(&self.rows, &mut self.ords);
            // An ordinal past the dictionary only comes from a forged bundle: not counted.
            for &ord in &self.ords {
                if let Some(n) = counts.get_mut(ord as usize) {
                    *n += 1;
                }
            }
        }
        self.batch.clear();
    }
}

impl Collector for FacetCounts {
    type Fruit = Facets;
    type Child = SegmentFacetCounts;

    fn for_segment(&self, _ord: u32, segment: &SegmentReader) -> tantivy::Result<SegmentFacetCounts> {
        let mut columns = Vec::new();
        for &name in &self.fields {
            if let Some(col) = segment.fast_fields().str(name)? {
                let n = col.num_terms();
                // A dictionary spends at least a byte per value: a larger count is a forged bundle's,
                // and a vector that long would abort the process.
                let bytes = col.dictionary().num_bytes().get_bytes();
                if n as u64 > bytes {
                    return Err(DataCorruption::comment_only(format!(
                        "column {name} claims {n} values in {bytes} bytes"
                    ))
                    .into());
                }
                columns.push((name, col, vec![0u64; n]));
            }
        }
        Ok(SegmentFacetCounts {
            columns,
            batch: Vec::with_capacity(FACET_BATCH),
            row_docs: Vec::new(),
            rows: Vec::new(),
            ords: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Facets>) -> tantivy::Result<Facets> {
        let mut out: Facets = self.fields.iter().map(|f| (f.to_string(), BTreeMap::new())).collect();
        for fruit in fruits {
            for (field, counts) in fruit {
                let target = out.entry(field).or_default();
                for (v, n) in counts {
                    *target.entry(v).or_default() += n;
                }
            }
        }
        Ok(out)
    }
}

impl SegmentCollector for SegmentFacetCounts {
    type Fruit = Facets;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.batch.push(doc);
        if self.batch.len() == FACET_BATCH {
            self.count_batch();
        }
    }

    fn harvest(mut self) -> Facets {
        self.count_batch();
        let mut out = Facets::new();
        for (name, col, counts) in self.columns {
            let (ords, counted): (Vec<u64>, Vec<u64>) = counts
                .into_iter()
                .enumerate()
                .filter(|(_, n)| *n > 0)
                .map(|(ord, n)| (ord as u64, n))
                .unzip();
            let mut counted = counted.into_iter();
            let mut values = BTreeMap::new();
            // The values counted, named in one pass over the column's dictionary.
            let _ = col.dictionary().sorted_ords_to_term_cb(&ords, |value| {
                if let (Some(n), Ok(value)) = (counted.next(), std::str::from_utf8(value)) {
                    values.insert(value.to_string(), n);
                }
            });
            out.insert(name.to_string(), values);
        }
        out
    }
}

/// The documents a query matches, per segment, collected once without scoring: the disjunctive
/// counts of the filtered fields then intersect the other filters with them instead of running the
/// text query again for each field.
pub(super) struct MatchedDocs;

/// One segment's matching documents.
pub(super) struct SegmentMatchedDocs {
    segment: SegmentId,
    docs: BitSet,
}

impl Collector for MatchedDocs {
    type Fruit = MatchedQuery;
    type Child = SegmentMatchedDocs;

    fn for_segment(&self, _ord: u32, segment: &SegmentReader) -> tantivy::Result<SegmentMatchedDocs> {
        Ok(SegmentMatchedDocs {
            segment: segment.segment_id(),
            docs: BitSet::with_max_value(segment.max_doc()),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(SegmentId, BitSet)>>) -> tantivy::Result<MatchedQuery> {
        Ok(MatchedQuery(Arc::new(fruits.into_iter().flatten().collect())))
    }
}

impl SegmentCollector for SegmentMatchedDocs {
    type Fruit = Vec<(SegmentId, BitSet)>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        if doc < self.docs.max_value() {
            self.docs.insert(doc);
        }
    }

    fn harvest(self) -> Self::Fruit {
        vec![(self.segment, self.docs)]
    }
}

/// A query matching the documents [`MatchedDocs`] collected, each with score 1.
#[derive(Clone, Debug)]
pub(super) struct MatchedQuery(Arc<HashMap<SegmentId, BitSet>>);

impl Query for MatchedQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for MatchedQuery {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(match self.0.get(&reader.segment_id()) {
            Some(docs) => Box::new(ConstScorer::new(BitSetDocSet::from(docs.clone()), boost)),
            None => Box::new(EmptyScorer),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        match self.0.get(&reader.segment_id()) {
            Some(docs) if doc < docs.max_value() && docs.contains(doc) => Ok(Explanation::new("matched", 1.0)),
            _ => Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            ))),
        }
    }
}
