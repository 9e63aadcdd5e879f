//! Match candidates: the other side's top BM25 hits for a source's strongest terms, weighed from the index alone.

use super::stored::str_values;
use crate::core::record::{format_date, PublicRecord, DAYS_READ};
use crate::core::schema::TEXT_FIELDS;
use crate::engine::matching::SourceTerm;
use crate::engine::score::pair_reasons;
use crate::engine::score::total;
use crate::engine::score::FULL_SHARE;
use crate::engine::score::TEXT_POINTS;
use crate::engine::Engine;
use crate::Error;
use std::collections::{BTreeMap, HashSet};
use tantivy::collector::TopDocs;
use tantivy::columnar::Column;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Term};

/// Candidates scored per requested hit (at least [`MIN_CANDIDATES`]).
pub(super) const CANDIDATES_PER_HIT: usize = 4;

pub(super) const MIN_CANDIDATES: usize = 100;

/// A candidate as a match weighs it, before its stored record is read.
pub(super) struct Candidate<'t> {
    bm25: f32,
    pub(super) addr: DocAddress,
    /// Its tags as the fast columns hold them: what [`tag_reasons`] reads, no text.
    pub(super) tags: PublicRecord,
    /// The source terms it holds, in any text field.
    pub(super) matched: HashSet<&'t str>,
}

impl Engine {
    /// The best `size` candidates as (score, text points, candidate), best first, weighed from the
    /// posting lists and fast columns alone. The score is the one the hit will show: the tags the
    /// columns hold give the same contributions as the stored record's.
    pub(super) fn weigh_candidates<'t>(
        &self,
        source: &PublicRecord,
        terms: &'t [SourceTerm],
        profile: f32,
        size: usize,
        today: i64,
    ) -> Result<Vec<(f32, f32, Candidate<'t>)>, Error> {
        let found = self.candidates(terms, source.kind().is_demand(), &source.id, size)?;
        let best_bm25 = found.first().map_or(1.0, |c| c.0).max(f32::EPSILON);
        let candidates = self.read_candidates(found, terms)?;
        let shares: Vec<f32> = candidates
            .iter()
            .map(|c| {
                terms
                    .iter()
                    .filter(|t| c.matched.contains(t.text.as_str()))
                    .map(|t| t.weight)
                    .sum::<f32>()
                    / profile
            })
            .collect();
        // BM25 ranks the candidates against each other; the largest share any of them holds anchors
        // that half, so the best of poor candidates is not a good match.
        let anchor = (shares.iter().copied().fold(0.0, f32::max) / FULL_SHARE).min(1.0);
        let mut ranked: Vec<(f32, f32, Candidate)> = candidates
            .into_iter()
            .zip(shares)
            .map(|(c, share)| {
                let text_points = TEXT_POINTS * (0.5 * c.bm25 / best_bm25 * anchor + 0.5 * share);
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
        Ok(ranked)
    }

    /// Each candidate's tags from the fast columns and the source terms it holds from the posting
    /// lists, segment by segment, without its stored record: a lazy bundle has the tag columns from
    /// its opening, and the candidate query has fetched these posting lists already.
    pub(super) fn read_candidates<'t>(
        &self,
        found: Vec<(f32, DocAddress)>,
        terms: &'t [SourceTerm],
    ) -> Result<Vec<Candidate<'t>>, Error> {
        let mut out: Vec<Candidate> = found
            .into_iter()
            .map(|(bm25, addr)| Candidate {
                bm25,
                addr,
                tags: PublicRecord::default(),
                matched: HashSet::new(),
            })
            .collect();
        let mut by_segment: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for (i, c) in out.iter().enumerate() {
            by_segment.entry(c.addr.segment_ord).or_default().push(i);
        }
        for (segment_ord, mut group) in by_segment {
            group.sort_by_key(|&i| out[i].addr.doc_id);
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
            for (name, _) in TEXT_FIELDS {
                let field = self.fields.text(name);
                let inverted = segment.inverted_index(field)?;
                for t in terms {
                    let postings =
                        inverted.read_postings(&Term::from_field_text(field, &t.text), IndexRecordOption::Basic);
                    let Some(mut postings) = postings? else {
                        continue;
                    };
                    for (&i, &doc) in group.iter().zip(&docs) {
                        if postings.doc() < doc {
                            postings.seek(doc);
                        }
                        if postings.doc() == doc {
                            out[i].matched.insert(t.text.as_str());
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// Top BM25 candidates on the other side for the weighted terms.
    pub(super) fn candidates(
        &self,
        terms: &[SourceTerm],
        source_is_need: bool,
        exclude: &str,
        size: usize,
    ) -> Result<Vec<(f32, DocAddress)>, Error> {
        let limit = (size * CANDIDATES_PER_HIT).max(MIN_CANDIDATES);
        self.searcher
            .search(
                &self.candidate_query(terms, source_is_need, exclude),
                &TopDocs::with_limit(limit).order_by_score(),
            )
            .map_err(Error::from)
    }

    /// Any of the weighted terms in any text field, on the other side, not the source itself.
    pub(super) fn candidate_query(&self, terms: &[SourceTerm], source_is_need: bool, exclude: &str) -> BooleanQuery {
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for t in terms {
            for (name, weight) in TEXT_FIELDS {
                let q = TermQuery::new(
                    Term::from_field_text(self.fields.text(name), &t.text),
                    IndexRecordOption::WithFreqs,
                );
                should.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(q), weight * (1.0 + t.weight.ln_1p()))),
                ));
            }
        }
        let kind_field = self.fields.tag("kind").expect("kind is a tag");
        let kinds: &[&str] = if source_is_need {
            &["result"]
        } else {
            &["need", "challenge"]
        };
        let side: Vec<(Occur, Box<dyn Query>)> = kinds
            .iter()
            .map(|k| {
                (
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(kind_field, k),
                        IndexRecordOption::Basic,
                    )) as Box<dyn Query>,
                )
            })
            .collect();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, Box::new(BooleanQuery::new(should))),
            (
                Occur::Must,
                Box::new(tantivy::query::ConstScoreQuery::new(
                    Box::new(BooleanQuery::new(side)),
                    0.0,
                )),
            ),
        ];
        if !exclude.is_empty() {
            clauses.push((
                Occur::MustNot,
                Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.id, exclude),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        BooleanQuery::new(clauses)
    }
}
