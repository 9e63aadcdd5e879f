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
//! function words are not among a source's terms ([`tokenize::is_stop_word`]).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, Term};

use crate::index::TEXT_FIELDS;
use crate::record::{parse_date, Kind, PublicRecord};
use crate::search::{today, Engine};
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
        MatchRequest { id: None, text: None, tags: MatchTags::default(), size: 10, today: None }
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

fn reason(kind: &str, detail: String, contribution: f32) -> Reason {
    Reason { kind: kind.into(), detail, contribution }
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
    if let (Some(t), Some(lo), Some(hi)) = (result.trl_min, need.trl_min.or(need.trl_max), need.trl_max.or(need.trl_min)) {
        let detail = format!("TRL {t} / {lo}–{hi}");
        if (lo..=hi).contains(&t) {
            out.push(reason("trl_fit", detail, TRL_FIT_POINTS));
        } else {
            let distance = if t < lo { lo - t } else { t - hi };
            out.push(reason("trl_miss", detail, -(TRL_MISS_PER_LEVEL * f32::from(distance)).min(TRL_MISS_MAX)));
        }
    }
    if !need.modes.is_empty() && !result.modes.is_empty() {
        let fit: Vec<String> = need.modes.iter().filter(|m| taxonomy::mode_satisfied_by(m, &result.modes)).cloned().collect();
        if fit.is_empty() {
            out.push(reason("mode_conflict", format!("{} / {}", need.modes.join(", "), result.modes.join(", ")), MODE_CONFLICT_POINTS));
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
            out.push(reason("region", result.region_name.clone().unwrap_or_else(|| b.clone()), SAME_CITY_POINTS));
        } else if need.province.is_some() && need.province == result.province {
            out.push(reason("region", result.province.clone().unwrap_or_default(), SAME_PROVINCE_POINTS));
        }
    }
    out
}

/// The source of a free-text match as a record, so both cases share one code path.
fn free_source(text: &str, tags: &MatchTags) -> Result<PublicRecord, Error> {
    let side = match tags.side.as_deref() {
        None | Some("need") => Kind::Need,
        Some("result") => Kind::Result,
        Some(other) => return Err(Error::Request(format!("tags.side: must be need or result, found {other:?}"))),
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
        industries: tags.industries.iter().map(|i| taxonomy::industry(i).map_or_else(|| i.clone(), str::to_string)).collect(),
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
    /// Ranks the other side for a record id or a free-text source.
    pub fn match_records(&self, req: &MatchRequest) -> Result<MatchResponse, Error> {
        if req.size == 0 || req.size > crate::search::MAX_PAGE_SIZE {
            return Err(Error::Request(format!("size: must be from 1 to {}, found {}", crate::search::MAX_PAGE_SIZE, req.size)));
        }
        let today = today(req.today.as_deref())?;
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
        let source_is_need = source.kind().is_demand();
        let candidates = self.candidates(&terms, source_is_need, &source.id, req.size)?;
        let best_bm25 = candidates.first().map_or(1.0, |c| c.0).max(f32::EPSILON);
        let wanted: HashSet<&str> = terms.iter().map(|t| t.text.as_str()).collect();
        let mut scored = Vec::with_capacity(candidates.len());
        for (bm25, addr) in candidates {
            let target = self.record_at(addr)?;
            let mut matched: HashSet<&str> = HashSet::new();
            for text in record_text(&target) {
                tokenize::each_term(&text, |t| {
                    if let Some(&term) = wanted.get(t.text).filter(|_| t.chain) {
                        matched.insert(term);
                    }
                });
            }
            let coverage = terms.iter().filter(|t| matched.contains(t.text.as_str())).map(|t| t.weight).sum::<f32>() / profile;
            scored.push((bm25, target, matched, coverage));
        }
        // BM25 ranks the candidates against each other; the largest share any of them holds anchors
        // that half, so the best of poor candidates is not a good match.
        let anchor = (scored.iter().map(|c| c.3).fold(0.0, f32::max) / FULL_SHARE).min(1.0);
        let weights: HashMap<&str, f32> = terms.iter().map(|t| (t.text.as_str(), t.weight)).collect();
        let mut hits = Vec::with_capacity(scored.len());
        for (bm25, target, matched, coverage) in scored {
            let text_points = TEXT_POINTS * (0.5 * bm25 / best_bm25 * anchor + 0.5 * coverage);
            let mut reasons = vec![reason("terms", matched_phrases(&source_text, &matched, &weights).join(", "), text_points)];
            let (need, result) = if source_is_need { (&source, &target) } else { (&target, &source) };
            let gate = (text_points / TAG_GATE_POINTS).min(1.0);
            reasons.extend(tag_reasons(need, result, today).into_iter().map(|mut r| {
                if r.contribution > 0.0 {
                    r.contribution *= gate;
                }
                r
            }));
            let score = reasons.iter().map(|r| r.contribution).sum::<f32>().clamp(0.0, 100.0);
            hits.push((score, bm25, MatchHit { id: target.id.clone(), kind: target.kind.clone(), title: target.title.clone(), score, reasons }));
        }
        // Stable sort: equal scores keep BM25 order, which keeps index order on ties.
        hits.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.total_cmp(&a.1)));
        Ok(MatchResponse { hits: hits.into_iter().take(req.size).map(|h| h.2).collect() })
    }

    /// Reads what a match will read — the source, its terms' dictionary entries, the candidates'
    /// posting lists and stored records — going on past missing blocks, so that a lazy bundle
    /// fetches them in a few rounds (see [`Engine::planned`]).
    pub fn warm_match(&self, req: &MatchRequest) {
        let source = match (&req.id, &req.text) {
            (Some(id), None) => self.get(id).ok().flatten(),
            (None, Some(text)) => free_source(text, &req.tags).ok(),
            _ => None,
        };
        let Some(source) = source else { return };
        let source_text = SourceText::new(&source);
        for segment in self.searcher.segment_readers() {
            let Ok(body) = segment.inverted_index(self.fields.body) else { continue };
            for text in source_tf(&source_text).into_keys() {
                let _ = body.get_term_info(&Term::from_field_text(self.fields.body, &text));
            }
        }
        let Ok((terms, _)) = self.source_terms(&source_text) else { return };
        let query = self.candidate_query(&terms, source.kind().is_demand(), &source.id);
        self.warm_terms(&[&query]);
        if let Ok(found) = self.candidates(&terms, source.kind().is_demand(), &source.id, req.size) {
            for (_, addr) in found {
                let _ = self.record_at(addr);
            }
        }
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
            let df = self.searcher.doc_freq(&Term::from_field_text(self.fields.body, &text)).map_err(|e| Error::Index(e.to_string()))? as f32;
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
    fn candidates(&self, terms: &[SourceTerm], source_is_need: bool, exclude: &str, size: usize) -> Result<Vec<(f32, DocAddress)>, Error> {
        let limit = (size * CANDIDATES_PER_HIT).max(MIN_CANDIDATES);
        self.searcher
            .search(&self.candidate_query(terms, source_is_need, exclude), &TopDocs::with_limit(limit).order_by_score())
            .map_err(|e| Error::Index(e.to_string()))
    }

    /// Any of the weighted terms in any text field, on the other side, not the source itself.
    fn candidate_query(&self, terms: &[SourceTerm], source_is_need: bool, exclude: &str) -> BooleanQuery {
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for t in terms {
            for (name, weight) in TEXT_FIELDS {
                let q = TermQuery::new(Term::from_field_text(self.fields.text(name), &t.text), IndexRecordOption::WithFreqs);
                should.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), weight * (1.0 + t.weight.ln_1p())))));
            }
        }
        let kind_field = self.fields.tag("kind").expect("kind is a tag");
        let kinds: &[&str] = if source_is_need { &["result"] } else { &["need", "challenge"] };
        let side: Vec<(Occur, Box<dyn Query>)> = kinds
            .iter()
            .map(|k| (Occur::Should, Box::new(TermQuery::new(Term::from_field_text(kind_field, k), IndexRecordOption::Basic)) as Box<dyn Query>))
            .collect();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, Box::new(BooleanQuery::new(should))),
            (Occur::Must, Box::new(tantivy::query::ConstScoreQuery::new(Box::new(BooleanQuery::new(side)), 0.0))),
        ];
        if !exclude.is_empty() {
            clauses.push((Occur::MustNot, Box::new(TermQuery::new(Term::from_field_text(self.fields.id, exclude), IndexRecordOption::Basic))));
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
        let chains = texts.each_ref().map(|t| tokenize::terms(t).into_iter().filter(|t| t.chain).collect());
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
