//! Matching: ranks the other side for a need or a result, with a score and the reasons for it.
//!
//! Score (0–100) = text + tags, each part reported as a reason with its contribution:
//! - `terms`: up to 60 = 60 × (½ · BM25 ÷ best candidate's BM25 × anchor + ½ · share), where
//!   share is the part of the weight (tf × idf) of the source's 40 strongest terms that the
//!   candidate contains — terms no record holds count too — and anchor = min(1, the largest
//!   share among the candidates ÷ ½), so the best of poor candidates stays a poor match; the
//!   detail lists matched phrases.
//! - `industry` +12 when they share an industry; `field` +8 when they share a technology field.
//! - `trl_fit` +8 when the result's TRL lies in the need's range; `trl_miss` −4 per level
//!   outside it (at most −12).
//! - `mode_fit` +8 when a transfer mode satisfies a coop mode (domain rule in
//!   [`taxonomy::mode_satisfied_by`]); `mode_conflict` −10 when none does.
//! - `open` +4 while the need's deadline has not passed; `expired` −10 after.
//! - `region` +3 same city, +2 same province: a tie-breaker.
//!
//! Tags support text, they do not replace it: positive tag points are scaled by
//! min(1, text ÷ 18), so a candidate that shares only tags with the source stays near the
//! bottom; penalties (TRL miss, mode conflict, expired) always count in full.
//!
//! Candidates are the top BM25 hits for the source's strongest terms on the other side; English
//! function words are not among a source's terms ([`tokenize::is_stop_word`]). A candidate is
//! weighed from the index alone — the terms it holds from the posting lists, its tags from the fast
//! columns — and only the hits shown are read from the stored records, so a lazily loaded bundle
//! fetches a tenth of the records it would otherwise.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::columnar::Column;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Term};

use crate::index::TEXT_FIELDS;
use crate::record::{format_date, parse_date, Kind, PublicRecord, DAYS_READ};
use crate::search::{str_values, today, Engine};
use crate::taxonomy;
use crate::tokenize;
use crate::Error;

/// Source terms used to find candidates.
const MAX_TERMS: usize = 40;
/// Candidates scored per requested hit (at least [`MIN_CANDIDATES`]).
const CANDIDATES_PER_HIT: usize = 4;
const MIN_CANDIDATES: usize = 100;
/// Matched phrases named in a `terms` reason.
const MAX_NAMED_TERMS: usize = 8;

const TEXT_POINTS: f32 = 60.0;
const INDUSTRY_POINTS: f32 = 12.0;
const FIELD_POINTS: f32 = 8.0;
const TRL_FIT_POINTS: f32 = 8.0;
const TRL_MISS_PER_LEVEL: f32 = 4.0;
const TRL_MISS_MAX: f32 = 12.0;
const MODE_FIT_POINTS: f32 = 8.0;
const MODE_CONFLICT_POINTS: f32 = -10.0;
const OPEN_POINTS: f32 = 4.0;
const EXPIRED_POINTS: f32 = -10.0;
const SAME_CITY_POINTS: f32 = 3.0;
const SAME_PROVINCE_POINTS: f32 = 2.0;
/// The largest share among a source's candidates from which the BM25 half of `terms` counts in
/// full: on the seeds, a need's best-sharing candidate holds 0.52 at the median (a need states a
/// problem, a result its solution, so even the right pair shares about half); an English need
/// matched into a Chinese bundle, 0.13.
const FULL_SHARE: f32 = 0.5;
/// Text points from which tag evidence counts in full (30% of [`TEXT_POINTS`]).
const TAG_GATE_POINTS: f32 = 18.0;

/// Tags of a free-text source (all optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatchTags {
    /// What the text describes: `need` (default, finds results) or `result` (finds needs).
    pub side: Option<String>,
    pub industries: Vec<String>,
    pub fields: Vec<String>,
    pub trl_min: Option<u8>,
    pub trl_max: Option<u8>,
    /// Coop modes of a need, or transfer modes of a result.
    pub modes: Vec<String>,
    /// GB/T 2260 code.
    pub region: Option<String>,
    pub deadline: Option<String>,
}

/// Match by a record in the bundle (`id`) or by free text with optional tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatchRequest {
    pub id: Option<String>,
    pub text: Option<String>,
    pub tags: MatchTags,
    pub size: usize,
    /// Today as `YYYY-MM-DD` (defaults to the clock), for the open/expired reason.
    pub today: Option<String>,
}

impl Default for MatchRequest {
    fn default() -> Self {
        MatchRequest {
            id: None,
            text: None,
            tags: MatchTags::default(),
            size: 10,
            today: None,
        }
    }
}

/// One piece of evidence for (or against) a pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// `terms`, `industry`, `field`, `trl_fit`, `trl_miss`, `mode_fit`, `mode_conflict`, `open`, `expired`, `region`.
    pub kind: String,
    /// The evidence itself (terms, tags, levels, modes), language-neutral for the widget to phrase.
    pub detail: String,
    /// Points added to (or taken from) the score.
    pub contribution: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchHit {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub score: f32,
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchResponse {
    pub hits: Vec<MatchHit>,
}

/// A weighted source term.
struct SourceTerm {
    text: String,
    weight: f32,
}

/// A candidate as a match weighs it, before its stored record is read.
struct Candidate<'t> {
    bm25: f32,
    addr: DocAddress,
    /// Its tags as the fast columns hold them: what [`tag_reasons`] reads, no text.
    tags: PublicRecord,
    /// The source terms it holds, in any text field.
    matched: HashSet<&'t str>,
}

fn reason(kind: &str, detail: String, contribution: f32) -> Reason {
    Reason {
        kind: kind.into(),
        detail,
        contribution,
    }
}

fn shared(a: &[String], b: &[String]) -> Vec<String> {
    a.iter().filter(|x| b.contains(x)).cloned().collect()
}

/// Tag evidence between a need and a result (in that order).
fn tag_reasons(need: &PublicRecord, result: &PublicRecord, today: i64) -> Vec<Reason> {
    let mut out = Vec::new();
    let industries = shared(&need.industries, &result.industries);
    if !industries.is_empty() {
        out.push(reason("industry", industries.join(", "), INDUSTRY_POINTS));
    }
    let fields = shared(&need.fields, &result.fields);
    if !fields.is_empty() {
        out.push(reason("field", fields.join(", "), FIELD_POINTS));
    }
    if let (Some(t), Some(lo), Some(hi)) = (
        result.trl_min,
        need.trl_min.or(need.trl_max),
        need.trl_max.or(need.trl_min),
    ) {
        let detail = format!("TRL {t} / {lo}–{hi}");
        if (lo..=hi).contains(&t) {
            out.push(reason("trl_fit", detail, TRL_FIT_POINTS));
        } else {
            let distance = if t < lo { lo - t } else { t - hi };
            out.push(reason(
                "trl_miss",
                detail,
                -(TRL_MISS_PER_LEVEL * f32::from(distance)).min(TRL_MISS_MAX),
            ));
        }
    }
    if !need.modes.is_empty() && !result.modes.is_empty() {
        let fit: Vec<String> = need
            .modes
            .iter()
            .filter(|m| taxonomy::mode_satisfied_by(m, &result.modes))
            .cloned()
            .collect();
        if fit.is_empty() {
            out.push(reason(
                "mode_conflict",
                format!("{} / {}", need.modes.join(", "), result.modes.join(", ")),
                MODE_CONFLICT_POINTS,
            ));
        } else {
            out.push(reason("mode_fit", fit.join(", "), MODE_FIT_POINTS));
        }
    }
    if let Some(d) = need.deadline.as_deref() {
        match parse_date(d) {
            Some(day) if day >= today => out.push(reason("open", d.to_string(), OPEN_POINTS)),
            Some(_) => out.push(reason("expired", d.to_string(), EXPIRED_POINTS)),
            None => {}
        }
    }
    if let (Some(a), Some(b)) = (&need.region, &result.region) {
        if a == b {
            out.push(reason(
                "region",
                result.region_name.clone().unwrap_or_else(|| b.clone()),
                SAME_CITY_POINTS,
            ));
        } else if need.province.is_some() && need.province == result.province {
            out.push(reason(
                "region",
                result.province.clone().unwrap_or_default(),
                SAME_PROVINCE_POINTS,
            ));
        }
    }
    out
}

/// The reasons of a pair: its `terms` (text points, matched phrases), then its tags, whose positive
/// points are scaled by min(1, text points ÷ [`TAG_GATE_POINTS`]).
fn pair_reasons(
    source: &PublicRecord,
    target: &PublicRecord,
    text_points: f32,
    phrases: String,
    today: i64,
) -> Vec<Reason> {
    let (need, result) = if source.kind().is_demand() {
        (source, target)
    } else {
        (target, source)
    };
    let gate = (text_points / TAG_GATE_POINTS).min(1.0);
    let mut reasons = vec![reason("terms", phrases, text_points)];
    reasons.extend(tag_reasons(need, result, today).into_iter().map(|mut r| {
        if r.contribution > 0.0 {
            r.contribution *= gate;
        }
        r
    }));
    reasons
}

/// A pair's score: its reasons' contributions, summed, within 0–100.
fn total(reasons: &[Reason]) -> f32 {
    reasons.iter().map(|r| r.contribution).sum::<f32>().clamp(0.0, 100.0)
}

/// The source of a free-text match as a record, so both cases share one code path.
fn free_source(text: &str, tags: &MatchTags) -> Result<PublicRecord, Error> {
    let side = match tags.side.as_deref() {
        None | Some("need") => Kind::Need,
        Some("result") => Kind::Result,
        Some(other) => {
            return Err(Error::Request(format!(
                "tags.side: must be need or result, found {other:?}"
            )))
        }
    };
    for t in [tags.trl_min, tags.trl_max].into_iter().flatten() {
        if !(1..=9).contains(&t) {
            return Err(Error::Request(format!("tags: TRL must be from 1 to 9, found {t}")));
        }
    }
    let region = tags.region.as_deref().filter(|r| taxonomy::province(r).is_some());
    Ok(PublicRecord {
        kind: side.as_str().into(),
        summary: text.chars().take(crate::search::MAX_QUERY_CHARS * 4).collect(),
        industries: tags
            .industries
            .iter()
            .map(|i| taxonomy::industry(i).map_or_else(|| i.clone(), str::to_string))
            .collect(),
        fields: tags.fields.clone(),
        trl_min: tags.trl_min,
        trl_max: tags.trl_max.or(tags.trl_min),
        modes: tags.modes.clone(),
        region: region.map(taxonomy::city_code),
        province: region.and_then(taxonomy::province).map(str::to_string),
        deadline: tags.deadline.clone(),
        ..PublicRecord::default()
    })
}

impl Engine {
    /// Ranks the other side for a record id or a free-text source. The engine remembers its recent
    /// matches: the same match again is answered at once.
    pub fn match_records(&self, req: &MatchRequest) -> Result<MatchResponse, Error> {
        if req.size == 0 || req.size > crate::search::MAX_PAGE_SIZE {
            return Err(Error::Request(format!(
                "size: must be from 1 to {}, found {}",
                crate::search::MAX_PAGE_SIZE,
                req.size
            )));
        }
        let today = today(req.today.as_deref())?;
        let key = (
            MatchRequest {
                today: None,
                ..req.clone()
            },
            today,
        );
        if let Some(known) = self.matches.lock().ok().and_then(|mut m| m.get(&key).cloned()) {
            return Ok(known);
        }
        let answer = self.match_anew(req, today)?;
        if self.complete() {
            if let Ok(mut matches) = self.matches.lock() {
                matches.put(key, answer.clone());
            }
        }
        Ok(answer)
    }

    /// A match not remembered: see [`Engine::match_records`].
    fn match_anew(&self, req: &MatchRequest, today: i64) -> Result<MatchResponse, Error> {
        let source = match (&req.id, &req.text) {
            (Some(id), None) => self.get(id)?.ok_or_else(|| Error::NotFound(id.clone()))?,
            (None, Some(text)) => free_source(text, &req.tags)?,
            _ => return Err(Error::Request("give either id or text".into())),
        };
        let source_text = SourceText::new(&source);
        let (terms, profile) = self.source_terms(&source_text)?;
        if terms.is_empty() {
            return Ok(MatchResponse { hits: Vec::new() });
        }
        let ranked = self.weigh_candidates(&source, &terms, profile, req.size, today)?;
        // Every hit is read before an error counts, so a lazy bundle's plan names all their blocks.
        let records: Vec<Result<PublicRecord, Error>> = ranked.iter().map(|(_, _, c)| self.record_at(c.addr)).collect();
        let weights: HashMap<&str, f32> = terms.iter().map(|t| (t.text.as_str(), t.weight)).collect();
        let mut hits = Vec::with_capacity(ranked.len());
        for ((_, text_points, c), record) in ranked.into_iter().zip(records) {
            let record = record?;
            let phrases = matched_phrases(&source_text, &c.matched, &weights).join(", ");
            let reasons = pair_reasons(&source, &record, text_points, phrases, today);
            hits.push(MatchHit {
                id: record.id,
                kind: record.kind,
                title: record.title,
                score: total(&reasons),
                reasons,
            });
        }
        Ok(MatchResponse { hits })
    }

    /// Reads what a match will read — the source, its terms' dictionary entries, the candidates'
    /// posting lists and columns, the stored records of the hits — going on past missing blocks,
    /// so that a lazy bundle fetches them in a few rounds (see [`Engine::planned`]).
    pub fn warm_match(&self, req: &MatchRequest) {
        let source = match (&req.id, &req.text) {
            (Some(id), None) => self.get(id).ok().flatten(),
            (None, Some(text)) => free_source(text, &req.tags).ok(),
            _ => None,
        };
        let Some(source) = source else { return };
        let source_text = SourceText::new(&source);
        for segment in self.searcher.segment_readers() {
            let Ok(body) = segment.inverted_index(self.fields.body) else {
                continue;
            };
            for text in source_tf(&source_text).into_keys() {
                let _ = body.get_term_info(&Term::from_field_text(self.fields.body, &text));
            }
        }
        let Ok((terms, profile)) = self.source_terms(&source_text) else {
            return;
        };
        let query = self.candidate_query(&terms, source.kind().is_demand(), &source.id);
        self.warm_terms(&[&query]);
        let Ok(today) = today(req.today.as_deref()) else { return };
        if let Ok(ranked) = self.weigh_candidates(&source, &terms, profile, req.size, today) {
            for (_, _, c) in ranked {
                let _ = self.record_at(c.addr);
            }
        }
    }

    /// The best `size` candidates as (score, text points, candidate), best first, weighed from the
    /// posting lists and fast columns alone. The score is the one the hit will show: the tags the
    /// columns hold give the same contributions as the stored record's.
    fn weigh_candidates<'t>(
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
    fn read_candidates<'t>(
        &self,
        found: Vec<(f32, DocAddress)>,
        terms: &'t [SourceTerm],
    ) -> Result<Vec<Candidate<'t>>, Error> {
        let index_err = |e: tantivy::TantivyError| Error::Index(e.to_string());
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
            let strs = |name: &str| match columns.str(name).map_err(index_err)? {
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
            let trl = |name: &str| columns.column_opt::<u64>(name).map_err(index_err);
            let (trl_min, trl_max) = (trl("trl_min")?, trl("trl_max")?);
            let deadline = columns.column_opt::<i64>("deadline").map_err(index_err)?;
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
                let inverted = segment.inverted_index(field).map_err(index_err)?;
                for t in terms {
                    let postings =
                        inverted.read_postings(&Term::from_field_text(field, &t.text), IndexRecordOption::Basic);
                    let Some(mut postings) = postings.map_err(|e| Error::Index(e.to_string()))? else {
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

    /// The source's chaining terms that some record holds, weighted by tf (title and keywords count
    /// double) × idf, strongest first; and the weight of the source's [`MAX_TERMS`] strongest terms,
    /// held or not, which a candidate's share is measured against (a term no record holds weighs as
    /// much as the rarest held one: it is part of what the source asks, and nobody offers it).
    fn source_terms(&self, source: &SourceText) -> Result<(Vec<SourceTerm>, f32), Error> {
        let n = self.searcher.num_docs() as f32;
        let tf = source_tf(source);
        let mut terms = Vec::with_capacity(tf.len());
        let mut weights = Vec::with_capacity(tf.len());
        for (text, f) in tf {
            let df = self
                .searcher
                .doc_freq(&Term::from_field_text(self.fields.body, &text))
                .map_err(|e| Error::Index(e.to_string()))? as f32;
            let weight = (1.0 + f.ln()) * (1.0 + (n - df.max(1.0) + 0.5) / (df.max(1.0) + 0.5)).ln();
            weights.push(weight);
            if df > 0.0 {
                terms.push(SourceTerm { text, weight });
            }
        }
        terms.sort_by(|a, b| b.weight.total_cmp(&a.weight).then_with(|| a.text.cmp(&b.text)));
        terms.truncate(MAX_TERMS);
        weights.sort_by(|a, b| b.total_cmp(a));
        let profile = weights.iter().take(MAX_TERMS).sum();
        Ok((terms, profile))
    }

    /// Top BM25 candidates on the other side for the weighted terms.
    fn candidates(
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
            .map_err(|e| Error::Index(e.to_string()))
    }

    /// Any of the weighted terms in any text field, on the other side, not the source itself.
    fn candidate_query(&self, terms: &[SourceTerm], source_is_need: bool, exclude: &str) -> BooleanQuery {
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

/// A source's texts (see [`record_text`]) with their chaining terms: tokenized once per match.
struct SourceText {
    texts: [String; 3],
    chains: [Vec<tokenize::Term>; 3],
}

impl SourceText {
    fn new(source: &PublicRecord) -> Self {
        let texts = record_text(source);
        let chains = texts
            .each_ref()
            .map(|t| tokenize::terms(t).into_iter().filter(|t| t.chain).collect());
        SourceText { texts, chains }
    }
}

/// The source's chaining terms with their frequency, title and keywords counting double;
/// English function words left out (in a mostly Chinese bundle they are rare, so their idf
/// would make "to" and "and" the strongest evidence of an English need).
fn source_tf(source: &SourceText) -> HashMap<String, f32> {
    let mut tf: HashMap<String, f32> = HashMap::new();
    for (i, chains) in source.chains.iter().enumerate() {
        let weight = if i < 2 { 2.0 } else { 1.0 };
        for t in chains.iter().filter(|t| !tokenize::is_stop_word(&t.text)) {
            *tf.entry(t.text.clone()).or_default() += weight;
        }
    }
    tf
}

/// Title, keywords and body of a record: the texts matched on.
fn record_text(r: &PublicRecord) -> [String; 3] {
    [r.title.clone(), r.keywords.join(" "), r.body()]
}

/// Maximal runs of matched terms in the source's own text, strongest first: what a broker reads.
fn matched_phrases(source: &SourceText, matched: &HashSet<&str>, weights: &HashMap<&str, f32>) -> Vec<String> {
    let mut phrases: Vec<(f32, String)> = Vec::new();
    for (text, chains) in source.texts.iter().zip(&source.chains) {
        let mut run: Option<(usize, usize, usize, f32)> = None; // from, to, last position, weight
        let mut flush = |run: &mut Option<(usize, usize, usize, f32)>| {
            if let Some((a, b, _, w)) = run.take() {
                let p = text[a..b].to_string();
                if !phrases.iter().any(|(_, q)| *q == p) {
                    phrases.push((w, p));
                }
            }
        };
        for t in chains {
            if !matched.contains(t.text.as_str()) {
                flush(&mut run);
                continue;
            }
            let w = weights.get(t.text.as_str()).copied().unwrap_or(0.0);
            match &mut run {
                Some((_, to, last, sum)) if t.position == *last + 1 && t.from < *to + 4 => {
                    *to = t.to;
                    *last = t.position;
                    *sum += w;
                }
                _ => {
                    flush(&mut run);
                    run = Some((t.from, t.to, t.position, w));
                }
            }
        }
        flush(&mut run);
    }
    phrases.sort_by(|a, b| b.0.total_cmp(&a.0));
    phrases.into_iter().take(MAX_NAMED_TERMS).map(|p| p.1).collect()
}

#[cfg(all(test, feature = "cli"))]
mod tests {
    use tantivy::directory::OwnedBytes;

    use super::*;
    use crate::bundle::{Bundle, Counts};

    const TODAY: &str = "2026-11-21";

    fn engine(bytes: Vec<u8>) -> Engine {
        Engine::open(Bundle::parse(OwnedBytes::new(bytes)).unwrap()).unwrap()
    }

    /// Matches every record of `engine` and checks that each candidate's tags, as the columns give
    /// them, yield the reasons its stored record yields. Returns the pairs checked.
    fn column_tags_agree_with_records(engine: &Engine) -> usize {
        let today = parse_date(TODAY).unwrap();
        let mut pairs = 0;
        for (segment_ord, segment) in engine.searcher.segment_readers().iter().enumerate() {
            for doc in 0..segment.max_doc() {
                let source = engine.record_at(DocAddress::new(segment_ord as u32, doc)).unwrap();
                let (terms, profile) = engine.source_terms(&SourceText::new(&source)).unwrap();
                for (score, text_points, c) in engine.weigh_candidates(&source, &terms, profile, 100, today).unwrap() {
                    let record = engine.record_at(c.addr).unwrap();
                    let from_columns: Vec<(String, f32)> =
                        pair_reasons(&source, &c.tags, text_points, String::new(), today)
                            .into_iter()
                            .map(|r| (r.kind, r.contribution))
                            .collect();
                    let from_record: Vec<(String, f32)> =
                        pair_reasons(&source, &record, text_points, String::new(), today)
                            .into_iter()
                            .map(|r| (r.kind, r.contribution))
                            .collect();
                    assert_eq!(from_columns, from_record, "{} → {}", source.id, record.id);
                    assert_eq!(
                        score,
                        total(&pair_reasons(&source, &record, text_points, String::new(), today))
                    );
                    pairs += 1;
                }
            }
        }
        pairs
    }

    #[test]
    fn a_candidates_column_tags_give_the_reasons_its_stored_record_gives() {
        let seeds = engine(include_bytes!("../index/techmatch.bundle").to_vec());
        let n = column_tags_agree_with_records(&seeds);
        assert!(n > 4_000, "{n} pairs");

        // Needs that give one TRL bound, a city, no region, an expired or invalid deadline.
        let need = |id: &str, trl_min, trl_max, region: Option<&str>, deadline: Option<&str>| PublicRecord {
            id: id.into(),
            kind: "need".into(),
            title: "管道防腐涂层耐温提升".into(),
            summary: "需要耐温120℃的管道外防腐涂层。".into(),
            industries: vec!["新材料".into(), "管道装备".into()],
            modes: vec!["合作开发".into(), "技术服务".into()],
            region: region.map(taxonomy::city_code),
            province: region.and_then(taxonomy::province).map(str::to_string),
            trl_min,
            trl_max,
            deadline: deadline.map(str::to_string),
            ..PublicRecord::default()
        };
        let result = PublicRecord {
            id: "R1".into(),
            kind: "result".into(),
            title: "耐高温环氧粉末防腐涂层".into(),
            summary: "一种耐温150℃的管道防腐涂层。".into(),
            industries: vec!["新材料".into()],
            modes: vec!["转让".into()],
            region: Some("130900".into()),
            region_name: Some("沧州市".into()),
            province: Some("河北省".into()),
            trl_min: Some(7),
            trl_max: Some(7),
            ..PublicRecord::default()
        };
        let records = vec![
            need("N1", Some(5), None, Some("130921"), Some("2027-06-30")),
            need("N2", None, Some(3), Some("130100"), Some("2020-01-01")),
            need("N3", Some(6), Some(8), None, Some("2027-02-30")),
            need("N4", None, None, Some("120000"), None),
            result,
        ];
        let files = crate::index::build(&records, &|_| {}).unwrap();
        let built = engine(
            crate::search::write_bundle(
                Counts {
                    needs: 4,
                    challenges: 0,
                    results: 1,
                },
                &files,
            )
            .unwrap(),
        );
        assert_eq!(
            column_tags_agree_with_records(&built),
            8,
            "each need finds R1 and R1 finds the four needs"
        );
    }
}
