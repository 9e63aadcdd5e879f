//! Match candidates: the other side scored by BM25 over every source term, weighed from the index alone.
//!
//! A need as an enterprise writes it holds a few technical phrases among hundreds of characters of
//! company history and policy language; no short list of its rarest terms finds those phrases
//! reliably, but the sum over all of its terms does. So candidates are scored term at a time over
//! the posting lists of every source term (up to [`super::matching::MAX_TERMS`]), each term's dictionary entry looked
//! up once per field ([`SourceTerms`]), into one score per document of the other side.

use super::stored::str_values;
use crate::core::record::{format_date, PublicRecord, DAYS_READ};
use crate::engine::matching::SourceTerms;
use crate::engine::score::pair_reasons;
use crate::engine::score::total;
use crate::engine::score::FULL_SHARE;
use crate::engine::score::TEXT_POINTS;
use crate::engine::Engine;
use crate::Error;
use std::collections::BTreeMap;
use tantivy::columnar::Column;
use tantivy::postings::TermInfo;
use tantivy::query::Bm25Weight;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, SegmentReader, Term};

/// Candidates scored per requested hit (at least [`MIN_CANDIDATES`]).
pub(super) const CANDIDATES_PER_HIT: usize = 4;

pub(super) const MIN_CANDIDATES: usize = 100;

/// A source term's weight in a candidate's title, keywords and body (the order of
/// [`crate::core::schema::TEXT_FIELDS`]). Unlike search, matching weighs a short field below the
/// body: a real need's hundreds of terms meet a paper's ten-character title by chance, and on
/// `needs-dev` title and keywords at half the body's weight rank best (BENCHMARKS.md).
pub(super) const FIELD_WEIGHTS: [f32; 3] = [0.5, 0.5, 1.0];

/// Of the text points, the part from BM25 (the rest from the share of the source's terms held).
pub(super) const BM25_PART: f32 = 0.7;

/// A candidate as a match weighs it, before its stored record is read.
pub(super) struct Candidate {
    bm25: f32,
    /// The weight of the source terms it holds, in any text field.
    held: f32,
    pub(super) addr: DocAddress,
    /// Its tags as the fast columns hold them: what [`super::score::tag_reasons`] reads, no text.
    pub(super) tags: PublicRecord,
    /// Which source terms it holds, by index (filled for the hits returned).
    pub(super) held_terms: Vec<bool>,
}

/// A read's result, or nothing when planning: a lazy bundle's planning run goes on past the blocks
/// it has yet to fetch, so that it names them all ([`Engine::warm_match`]).
pub(super) fn planned<T>(read: std::io::Result<Option<T>>, planning: bool) -> Result<Option<T>, Error> {
    match read {
        Ok(value) => Ok(value),
        Err(_) if planning => Ok(None),
        Err(e) => Err(e.into()),
    }
}

impl Engine {
    /// The best `size` candidates as (score, text points, candidate), best first, weighed from the
    /// posting lists and fast columns alone. The score is the one the hit will show: the tags the
    /// columns hold give the same contributions as the stored record's.
    pub(super) fn weigh_candidates(
        &self,
        source: &PublicRecord,
        terms: &SourceTerms,
        size: usize,
        today: i64,
        planning: bool,
    ) -> Result<Vec<(f32, f32, Candidate)>, Error> {
        let limit = (size * CANDIDATES_PER_HIT).max(MIN_CANDIDATES);
        let found = self.candidates(terms, source, limit, planning)?;
        let best_bm25 = found.first().map_or(1.0, |c| c.bm25).max(f32::EPSILON);
        let candidates = self.read_tags(found)?;
        let profile = terms.profile.max(f32::EPSILON);
        // BM25 ranks the candidates against each other; the largest share any of them holds anchors
        // that part, so the best of poor candidates is not a good match.
        let best_share = candidates.iter().map(|c| c.held / profile).fold(0.0, f32::max);
        let anchor = (best_share / FULL_SHARE).min(1.0);
        let mut ranked: Vec<(f32, f32, Candidate)> = candidates
            .into_iter()
            .map(|c| {
                let share = c.held / profile;
                let text_points = TEXT_POINTS * (BM25_PART * c.bm25 / best_bm25 * anchor + (1.0 - BM25_PART) * share);
                (
                    total(&pair_reasons(source, &c.tags, text_points, String::new(), today)),
                    text_points,
                    c,
                )
            })
            .collect();
        // Stable sort: equal scores keep BM25 order, which keeps index order on ties.
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.2.bm25.total_cmp(&a.2.bm25)));
        ranked.truncate(size);
        self.mark_held(terms, &mut ranked, planning)?;
        Ok(ranked)
    }

    /// The other side's `limit` best documents by BM25 over every source term, summed over the text
    /// fields at [`FIELD_WEIGHTS`], best first (ties in index order), with the weight each holds.
    fn candidates(
        &self,
        terms: &SourceTerms,
        source: &PublicRecord,
        limit: usize,
        planning: bool,
    ) -> Result<Vec<Candidate>, Error> {
        let segments = self.searcher.segment_readers();
        let total_docs: u64 = segments.iter().map(|s| u64::from(s.max_doc())).sum();
        let mut bm25: Vec<[Option<Bm25Weight>; 3]> = Vec::with_capacity(terms.terms.len());
        let fields = self.fields.text_fields();
        let mut average = [0.0f32; 3];
        for (f, field) in fields.iter().enumerate() {
            let mut tokens = 0u64;
            for s in segments {
                tokens += s.inverted_index(*field)?.total_num_tokens();
            }
            average[f] = tokens as f32 / total_docs.max(1) as f32;
        }
        for (k, t) in terms.terms.iter().enumerate() {
            bm25.push(std::array::from_fn(|f| {
                let df: u64 = terms
                    .infos
                    .iter()
                    .flat_map(|s| &s[k][f])
                    .map(|i| u64::from(i.doc_freq))
                    .sum();
                (df > 0).then(|| {
                    Bm25Weight::for_one_term_without_explain(df, total_docs, average[f])
                        .boost_by(FIELD_WEIGHTS[f] * t.weight)
                })
            }));
        }
        let mut found: Vec<Candidate> = Vec::new();
        for (ord, segment) in segments.iter().enumerate() {
            let side = self.other_side(segment, source, planning)?;
            let n = side.len();
            let mut score = vec![0.0f32; n];
            let mut held = vec![0.0f32; n];
            let mut last = vec![usize::MAX; n];
            let norms = fields
                .iter()
                .map(|f| segment.get_fieldnorms_reader(*f))
                .collect::<Result<Vec<_>, _>>()?;
            self.walk(ord, segment, terms, planning, |k, f, doc, tf| {
                let d = doc as usize;
                let (true, Some(weight)) = (side[d], &bm25[k][f]) else {
                    return;
                };
                score[d] += weight.score(norms[f].fieldnorm_id(doc), tf);
                if last[d] != k {
                    last[d] = k;
                    held[d] += terms.terms[k].weight;
                }
            })?;
            found.extend((0..n).filter(|&d| score[d] > 0.0).map(|d| Candidate {
                bm25: score[d],
                held: held[d],
                addr: DocAddress::new(ord as u32, d as DocId),
                tags: PublicRecord::default(),
                held_terms: Vec::new(),
            }));
        }
        let order = |a: &Candidate, b: &Candidate| b.bm25.total_cmp(&a.bm25).then(a.addr.cmp(&b.addr));
        if found.len() > limit {
            found.select_nth_unstable_by(limit, order);
            found.truncate(limit);
        }
        found.sort_unstable_by(order);
        Ok(found)
    }

    /// Calls `visit(term, field, doc, term frequency)` for every posting of every source term in
    /// segment `ord` (`term` indexes `terms.terms`, `field` [`crate::core::schema::TEXT_FIELDS`]),
    /// every document checked to lie within the segment.
    fn walk(
        &self,
        ord: usize,
        segment: &SegmentReader,
        terms: &SourceTerms,
        planning: bool,
        mut visit: impl FnMut(usize, usize, DocId, u32),
    ) -> Result<(), Error> {
        let fields = self.fields.text_fields();
        let n = segment.max_doc();
        for (k, infos) in terms.infos[ord].iter().enumerate() {
            for (f, info) in infos.iter().enumerate() {
                let Some(info) = info else { continue };
                let inverted = segment.inverted_index(fields[f])?;
                let read = inverted.read_block_postings_from_terminfo(info, IndexRecordOption::WithFreqs);
                let Some(mut block) = planned(read.map(Some), planning)? else {
                    continue;
                };
                while !block.docs().is_empty() {
                    for (&doc, &tf) in block.docs().iter().zip(block.freqs()) {
                        if doc >= n {
                            return Err(Error::Corrupted(format!(
                                "posting list of {:?} names document {doc} of {n}",
                                terms.terms[k].text
                            )));
                        }
                        visit(k, f, doc, tf);
                    }
                    block.advance();
                }
            }
        }
        Ok(())
    }

    /// Which source terms each hit holds, in any text field (by index into `terms.terms`): what its
    /// `terms` reason names.
    fn mark_held(
        &self,
        terms: &SourceTerms,
        ranked: &mut [(f32, f32, Candidate)],
        planning: bool,
    ) -> Result<(), Error> {
        for (ord, group) in by_segment(ranked.iter().map(|(_, _, c)| c.addr)) {
            let segment = self.searcher.segment_reader(ord);
            let mut hit_at = vec![usize::MAX; segment.max_doc() as usize];
            for &i in &group {
                hit_at[ranked[i].2.addr.doc_id as usize] = i;
                ranked[i].2.held_terms = vec![false; terms.terms.len()];
            }
            self.walk(ord as usize, segment, terms, planning, |k, _, doc, _| {
                if let Some(c) = ranked.get_mut(hit_at[doc as usize]) {
                    c.2.held_terms[k] = true;
                }
            })?;
        }
        Ok(())
    }

    /// Which documents of a segment are on the other side of the source: results for a need,
    /// needs and challenges for a result; never the source itself, nor a deleted document.
    fn other_side(&self, segment: &SegmentReader, source: &PublicRecord, planning: bool) -> Result<Vec<bool>, Error> {
        let n = segment.max_doc() as usize;
        let kinds: &[&str] = if source.kind().is_demand() {
            &["result"]
        } else {
            &["need", "challenge"]
        };
        let kind_field = self.fields.tag("kind").expect("kind is a tag");
        let mut side = vec![false; n];
        let mut mark = |field, value: &str, to: bool| -> Result<(), Error> {
            let inverted = segment.inverted_index(field)?;
            let term = Term::from_field_text(field, value);
            let Some(mut postings) = planned(inverted.read_postings(&term, IndexRecordOption::Basic), planning)? else {
                return Ok(());
            };
            while postings.doc() != tantivy::TERMINATED {
                if let Some(s) = side.get_mut(postings.doc() as usize) {
                    *s = to;
                }
                postings.advance();
            }
            Ok(())
        };
        for kind in kinds {
            mark(kind_field, kind, true)?;
        }
        if !source.id.is_empty() {
            mark(self.fields.id, &source.id, false)?;
        }
        if let Some(alive) = segment.alive_bitset() {
            for (d, s) in side.iter_mut().enumerate() {
                *s &= alive.is_alive(d as DocId);
            }
        }
        Ok(side)
    }

    /// Each candidate's tags from the fast columns, segment by segment, without its stored record:
    /// a lazy bundle has the tag columns from its opening.
    fn read_tags(&self, mut out: Vec<Candidate>) -> Result<Vec<Candidate>, Error> {
        for (segment_ord, group) in by_segment(out.iter().map(|c| c.addr)) {
            let docs: Vec<DocId> = group.iter().map(|&i| out[i].addr.doc_id).collect();
            let segment = self.searcher.segment_reader(segment_ord);
            let columns = segment.fast_fields();
            let strs = |name: &str| match columns.str(name)? {
                Some(col) => str_values(&col, &docs),
                None => Ok(vec![Vec::new(); docs.len()]),
            };
            let [mut industries, mut fields, mut modes, mut province, mut city] = [
                strs("industries")?,
                strs("fields")?,
                strs("modes")?,
                strs("region")?,
                strs("city")?,
            ];
            let trl = |name: &str| columns.column_opt::<u64>(name).map_err(Error::from);
            let (trl_min, trl_max) = (trl("trl_min")?, trl("trl_max")?);
            let deadline = columns.column_opt::<i64>("deadline")?;
            let level = |col: &Option<Column<u64>>, doc| {
                col.as_ref()
                    .and_then(|c| c.first(doc))
                    .and_then(|v| u8::try_from(v).ok())
            };
            for (k, (&i, &doc)) in group.iter().zip(&docs).enumerate() {
                out[i].tags = PublicRecord {
                    industries: std::mem::take(&mut industries[k]),
                    fields: std::mem::take(&mut fields[k]),
                    modes: std::mem::take(&mut modes[k]),
                    province: std::mem::take(&mut province[k]).into_iter().next(),
                    region: std::mem::take(&mut city[k]).into_iter().next(),
                    trl_min: level(&trl_min, doc),
                    trl_max: level(&trl_max, doc),
                    deadline: deadline
                        .as_ref()
                        .and_then(|c| c.first(doc))
                        .filter(|d| DAYS_READ.contains(d))
                        .map(format_date),
                    ..PublicRecord::default()
                };
            }
        }
        Ok(out)
    }
}

/// Indices of `addrs` grouped by segment, each group in document order.
fn by_segment(addrs: impl Iterator<Item = DocAddress>) -> BTreeMap<u32, Vec<usize>> {
    let addrs: Vec<DocAddress> = addrs.collect();
    let mut groups: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, a) in addrs.iter().enumerate() {
        groups.entry(a.segment_ord).or_default().push(i);
    }
    for group in groups.values_mut() {
        group.sort_by_key(|&i| addrs[i].doc_id);
    }
    groups
}

/// A term's entry in the dictionary of `field` in each segment.
pub(super) fn look_up(
    engine: &Engine,
    field: tantivy::schema::Field,
    text: &str,
    planning: bool,
) -> Result<Vec<Option<TermInfo>>, Error> {
    let term = Term::from_field_text(field, text);
    engine
        .searcher
        .segment_readers()
        .iter()
        .map(|s| planned(s.inverted_index(field)?.get_term_info(&term), planning))
        .collect()
}
