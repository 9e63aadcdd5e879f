//! Match candidates: the other side found by a source's strongest terms, rescored by all of them.
//!
//! A need as an enterprise writes it holds a few technical phrases among hundreds of characters of
//! company history and policy language; no short list of its rarest terms ranks those phrases
//! reliably, but the sum over all of its terms does. Scoring every posting of every term is too
//! slow on a large bundle, so candidates are found by BM25 over the [`CORE_TERMS`] strongest terms
//! and then rescored by BM25 over all of them (up to [`super::matching::MAX_TERMS`]), each
//! candidate's postings reached by seeking; each term's dictionary entry is looked up once per
//! field ([`SourceTerms`]). Everything is weighed from the index alone.

use super::stored::str_values;
use crate::core::record::{format_date, PublicRecord, DAYS_READ};
use crate::engine::matching::SourceTerms;
use crate::engine::score::pair_reasons;
use crate::engine::score::total;
use crate::engine::score::FULL_SHARE;
use crate::engine::score::TEXT_POINTS;
use crate::engine::Engine;
use crate::Error;
use std::collections::{BTreeMap, HashMap};
use tantivy::columnar::Column;
use tantivy::postings::{Postings, TermInfo};
use tantivy::query::{
    Bm25StatisticsProvider, Bm25Weight, BooleanQuery, BoostQuery, ConstScoreQuery, EnableScoring, Occur, Query,
    TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, SegmentReader, Term};

/// Candidates scored per requested hit (at least [`MIN_CANDIDATES`]).
pub(super) const CANDIDATES_PER_HIT: usize = 4;

pub(super) const MIN_CANDIDATES: usize = 100;

/// The strongest source terms, whose postings find the candidates; all of the source's terms then
/// rescore them.
pub(super) const CORE_TERMS: usize = 40;

/// Bytes of posting lists a match reads beyond the [`CORE_TERMS`]' to rescore its candidates: on a
/// large bundle a need's common terms have long lists, which a lazily loaded bundle would fetch.
pub(super) const RESCORE_BYTES: usize = 256 * 1024;

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
    /// Which source terms it holds, by index into the source's terms.
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
        Ok(ranked)
    }

    /// The other side's `limit` best documents by BM25 over the [`CORE_TERMS`] strongest source
    /// terms (ties in index order), rescored by [`Engine::mark_held`] over all of them, best first.
    fn candidates(
        &self,
        terms: &SourceTerms,
        source: &PublicRecord,
        limit: usize,
        planning: bool,
    ) -> Result<Vec<Candidate>, Error> {
        let fields = self.fields.text_fields();
        let mut df: HashMap<Term, u64> = HashMap::new();
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (k, t) in terms.terms.iter().enumerate().take(CORE_TERMS) {
            for (f, field) in fields.iter().enumerate() {
                let n = terms.doc_freq(k, f);
                if n == 0 {
                    continue;
                }
                let term = Term::from_field_text(*field, &t.text);
                df.insert(term.clone(), n);
                let query = TermQuery::new(term, IndexRecordOption::WithFreqs);
                should.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(query), FIELD_WEIGHTS[f] * t.weight)),
                ));
            }
        }
        let stats = Looked {
            df,
            searcher: &self.searcher,
        };
        let scoring = EnableScoring::enabled_from_statistics_provider(&stats, &self.searcher);
        let weight = self.on_side(BooleanQuery::new(should), source).weight(scoring)?;
        let mut found: Vec<Candidate> = Vec::new();
        let mut threshold = f32::MIN;
        for (ord, segment) in self.searcher.segment_readers().iter().enumerate() {
            if planning {
                self.touch_postings(ord, segment, terms);
            }
            let alive = segment.alive_bitset();
            let run = weight.for_each_pruning(threshold, segment, &mut |doc, bm25| {
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    found.push(Candidate {
                        bm25,
                        held: 0.0,
                        addr: DocAddress::new(ord as u32, doc),
                        tags: PublicRecord::default(),
                        held_terms: Vec::new(),
                    });
                    if found.len() >= 2 * limit {
                        threshold = keep_best(&mut found, limit);
                    }
                }
                threshold
            });
            match run {
                Err(_) if planning => return Ok(Vec::new()),
                run => run?,
            }
        }
        keep_best(&mut found, limit);
        self.mark_held(terms, &mut found, planning)?;
        found.sort_unstable_by(best_first);
        Ok(found)
    }

    /// Each source term's BM25 weight in each text field, boosted by its source weight and the
    /// field's [`FIELD_WEIGHTS`]; none where no record holds it.
    fn bm25_weights(&self, terms: &SourceTerms) -> Result<Vec<[Option<Bm25Weight>; 3]>, Error> {
        let fields = self.fields.text_fields();
        let total_docs = Bm25StatisticsProvider::total_num_docs(&self.searcher)?;
        let mut average = [0.0f32; 3];
        for (f, field) in fields.iter().enumerate() {
            average[f] = self.searcher.total_num_tokens(*field)? as f32 / total_docs.max(1) as f32;
        }
        Ok(terms
            .terms
            .iter()
            .enumerate()
            .map(|(k, t)| {
                std::array::from_fn(|f| {
                    let df = terms.doc_freq(k, f);
                    (df > 0).then(|| {
                        Bm25Weight::for_one_term_without_explain(df, total_docs, average[f])
                            .boost_by(FIELD_WEIGHTS[f] * t.weight)
                    })
                })
            })
            .collect())
    }

    /// `query` on the other side of `source`, not the source itself.
    fn on_side(&self, query: BooleanQuery, source: &PublicRecord) -> BooleanQuery {
        let kind_field = self.fields.tag("kind").expect("kind is a tag");
        let kinds: &[&str] = if source.kind().is_demand() {
            &["result"]
        } else {
            &["need", "challenge"]
        };
        let side: Vec<(Occur, Box<dyn Query>)> = kinds
            .iter()
            .map(|k| {
                let term = Term::from_field_text(kind_field, k);
                (
                    Occur::Should,
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>,
                )
            })
            .collect();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, Box::new(query)),
            (
                Occur::Must,
                Box::new(ConstScoreQuery::new(Box::new(BooleanQuery::new(side)), 0.0)),
            ),
        ];
        if !source.id.is_empty() {
            let term = Term::from_field_text(self.fields.id, &source.id);
            clauses.push((Occur::MustNot, Box::new(TermQuery::new(term, IndexRecordOption::Basic))));
        }
        BooleanQuery::new(clauses)
    }

    /// Reads every posting list of the source's terms in segment `ord`, so that a lazy bundle's
    /// planning run names all their blocks in one round (see [`Engine::warm_match`]).
    fn touch_postings(&self, ord: usize, segment: &SegmentReader, terms: &SourceTerms) {
        let fields = self.fields.text_fields();
        let lists = read_lists(terms);
        for (infos, read) in terms.infos[ord].iter().zip(&lists) {
            for ((info, field), read) in infos.iter().zip(fields).zip(read) {
                if let (Some(info), Ok(inverted), true) = (info, segment.inverted_index(field), read) {
                    let _ = inverted.read_postings_from_terminfo(info, IndexRecordOption::WithFreqs);
                }
            }
        }
    }

    /// Each candidate's BM25 over all the source's terms (the lists of [`read_lists`]), which source
    /// terms it holds in any text field (by index into `terms.terms`) and their weight: what its
    /// share counts and its `terms` reason names.
    fn mark_held(&self, terms: &SourceTerms, found: &mut [Candidate], planning: bool) -> Result<(), Error> {
        let fields = self.fields.text_fields();
        let weights = self.bm25_weights(terms)?;
        let lists = read_lists(terms);
        for (ord, group) in by_segment(found.iter().map(|c| c.addr)) {
            let segment = self.searcher.segment_reader(ord);
            let inverted = fields.map(|f| segment.inverted_index(f));
            let norms = fields.map(|f| segment.get_fieldnorms_reader(f));
            for &i in &group {
                found[i].held_terms = vec![false; terms.terms.len()];
                found[i].bm25 = 0.0;
            }
            for (k, infos) in terms.infos[ord as usize].iter().enumerate() {
                for (f, (info, inverted)) in infos.iter().zip(&inverted).enumerate() {
                    let Some(info) = info.as_ref().filter(|_| lists[k][f]) else {
                        continue;
                    };
                    let (Some(bm25), Ok(norms)) = (&weights[k][f], &norms[f]) else {
                        continue;
                    };
                    let inverted = inverted.as_ref().map_err(|e| Error::from(e.clone()))?;
                    let read = inverted.read_postings_from_terminfo(info, IndexRecordOption::WithFreqs);
                    let Some(mut postings) = planned(read.map(Some), planning)? else {
                        continue;
                    };
                    for &i in &group {
                        let doc = found[i].addr.doc_id;
                        if postings.doc() < doc {
                            postings.seek(doc);
                        }
                        if postings.doc() == doc {
                            found[i].held_terms[k] = true;
                            found[i].bm25 += bm25.score(norms.fieldnorm_id(doc), postings.term_freq());
                        }
                    }
                }
            }
        }
        for c in found.iter_mut() {
            c.held = terms
                .terms
                .iter()
                .zip(&c.held_terms)
                .filter(|(_, &h)| h)
                .map(|(t, _)| t.weight)
                .sum();
        }
        Ok(())
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

/// Which posting lists of the source's terms a match reads, by term and field: every list of the
/// [`CORE_TERMS`] strongest terms, which find the candidates, then the other terms' lists, strongest
/// term first, as long as their bytes (summed over segments) stay within [`RESCORE_BYTES`].
fn read_lists(terms: &SourceTerms) -> Vec<[bool; 3]> {
    let mut spent = 0usize;
    (0..terms.terms.len())
        .map(|k| {
            std::array::from_fn(|f| {
                let bytes: usize = terms
                    .infos
                    .iter()
                    .flat_map(|s| &s[k][f])
                    .map(|i| i.postings_range.len())
                    .sum();
                if k < CORE_TERMS {
                    return true;
                }
                let fits = spent.saturating_add(bytes) <= RESCORE_BYTES;
                if fits {
                    spent += bytes;
                }
                fits
            })
        })
        .collect()
}

/// Candidates best first: higher BM25, then index order.
fn best_first(a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
    b.bm25.total_cmp(&a.bm25).then(a.addr.cmp(&b.addr))
}

/// Keeps the `limit` best of `found` (unordered) and returns the score a candidate must pass to
/// enter them, or `f32::MIN` while there are fewer.
fn keep_best(found: &mut Vec<Candidate>, limit: usize) -> f32 {
    if found.len() > limit {
        found.select_nth_unstable_by(limit, best_first);
        found.truncate(limit);
    }
    if found.len() < limit {
        return f32::MIN;
    }
    found.iter().map(|c| c.bm25).fold(f32::MAX, f32::min)
}

/// BM25 statistics from the dictionary entries a match has looked up already, so that scoring
/// does not look every term up again.
struct Looked<'a> {
    df: HashMap<Term, u64>,
    searcher: &'a tantivy::Searcher,
}

impl Bm25StatisticsProvider for Looked<'_> {
    fn total_num_tokens(&self, field: tantivy::schema::Field) -> tantivy::Result<u64> {
        self.searcher.total_num_tokens(field)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Bm25StatisticsProvider::total_num_docs(self.searcher)
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        Ok(self.df.get(term).copied().unwrap_or(0))
    }
}
