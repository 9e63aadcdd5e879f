//! Query: free text, phrases and exclusions parsed, and turned into tantivy queries with their filters.

use crate::core::schema::{TAG_FIELDS, TEXT_FIELDS};
use crate::core::taxonomy;
use crate::core::tokenize::{self, Term as Token};
use crate::engine::Engine;
use crate::engine::SearchRequest;
use crate::Error;
use std::collections::{BTreeSet, HashSet};
use std::ops::Bound;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::Term;

/// How free text becomes a query; the defaults are what `eval` measured best (BENCHMARKS.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueryOptions {
    /// Also score the single characters inside CJK words (not only bigrams).
    pub unigrams: bool,
    /// Weight of a verbatim (phrase) match of each free word; 0 turns it off.
    pub verbatim_boost: f32,
    /// Share of a query word's distinct terms a record must hold for that word to match (0: any
    /// one term). Any query word may match; the others then add nothing to the score.
    pub min_match: f32,
}

impl Default for QueryOptions {
    fn default() -> Self {
        QueryOptions {
            unigrams: true,
            verbatim_boost: 8.0,
            min_match: 0.5,
        }
    }
}

/// Score of a record found only through a substring of one of its words.
pub(super) const SUBSTRING_SCORE: f32 = 0.001;

/// Most dictionary words one query word expands to.
pub(super) const MAX_SUBSTRING_EXPANSIONS: usize = 1024;

/// Most distinct query words looked up as parts of longer words: each lookup scans the word
/// dictionary, and a pasted text would otherwise cost one scan per word. Later words still match
/// as whole words, so a record holding the query verbatim is still found.
pub const MAX_SUBSTRING_WORDS: usize = 16;

/// Filter queries of a request, each with its tag field ("" for TRL and open).
pub(super) type Filters = Vec<(&'static str, Box<dyn Query>)>;

/// The parts of a query text.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ParsedQuery {
    pub free: Vec<String>,
    pub phrases: Vec<String>,
    pub excluded: Vec<String>,
}

/// Splits query text into free words, `"phrases"` and `-exclusions`.
pub(crate) fn parse_query(q: &str) -> ParsedQuery {
    let mut out = ParsedQuery::default();
    let mut rest = q;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let negative = rest.starts_with('-') && rest.len() > 1;
        let body = if negative { &rest[1..] } else { rest };
        let (piece, quoted, next) = if let Some(inner) = body.strip_prefix(['"', '“']) {
            match inner.find(['"', '”']) {
                Some(end) => {
                    let close = inner[end..].chars().next().map_or(1, char::len_utf8);
                    (&inner[..end], true, &inner[end + close..])
                }
                None => (inner, true, ""),
            }
        } else {
            let end = body.find(char::is_whitespace).unwrap_or(body.len());
            (&body[..end], false, &body[end..])
        };
        if !piece.trim().is_empty() {
            let target = match (negative, quoted) {
                (true, _) => &mut out.excluded,
                (false, true) => &mut out.phrases,
                (false, false) => &mut out.free,
            };
            target.push(piece.trim().to_string());
        }
        rest = next;
    }
    out
}

pub(super) fn boxed(q: impl Query + 'static) -> Box<dyn Query> {
    Box::new(q)
}

impl Engine {
    /// Term clauses for `tokens` over every text field (BM25, field-weighted), any of which may match.
    pub(crate) fn text_query(&self, tokens: &[Token], with_unigrams: bool) -> Option<Box<dyn Query>> {
        self.word_query(tokens, with_unigrams, 0.0)
    }

    /// Term clauses for `tokens` over every text field (BM25, field-weighted), of which a record
    /// must hold at least the share `min_match` of the distinct terms (in any field; 0: one).
    pub(super) fn word_query(&self, tokens: &[Token], with_unigrams: bool, min_match: f32) -> Option<Box<dyn Query>> {
        let mut seen = HashSet::new();
        let picked: Vec<&Token> = tokens
            .iter()
            .filter(|t| (with_unigrams || t.chain) && seen.insert(t.text.as_str()))
            .collect();
        let per_term = |t: &Token| -> Vec<(Occur, Box<dyn Query>)> {
            TEXT_FIELDS
                .iter()
                .map(|(name, weight)| {
                    let q = TermQuery::new(
                        Term::from_field_text(self.fields.text(name), &t.text),
                        IndexRecordOption::WithFreqs,
                    );
                    (Occur::Should, boxed(BoostQuery::new(boxed(q), *weight)))
                })
                .collect()
        };
        if picked.is_empty() {
            return None;
        }
        let min_terms = ((min_match * picked.len() as f32).ceil() as usize).min(picked.len());
        if min_terms <= 1 {
            return Some(boxed(BooleanQuery::new(
                picked.iter().flat_map(|t| per_term(t)).collect(),
            )));
        }
        let terms = picked
            .iter()
            .map(|t| (Occur::Should, boxed(BooleanQuery::new(per_term(t))) as Box<dyn Query>))
            .collect();
        Some(boxed(BooleanQuery::with_minimum_required_clauses(terms, min_terms)))
    }

    /// Records holding some free word of the query whole, or nearly: more than half of its
    /// bigrams (a two-character word: itself; a word without bigrams: as [`Engine::word_query`]
    /// asks). `None` without free words. Holding 计算 and 算机 is not holding 量子计算机: a search
    /// whose matches hold no word this way is a partial answer.
    pub(super) fn whole_words_query(&self, parsed: &ParsedQuery) -> Option<Box<dyn Query>> {
        let words: Vec<(Occur, Box<dyn Query>)> = parsed
            .free
            .iter()
            .filter_map(|word| {
                let tokens = tokenize::terms(word);
                let mut seen = HashSet::new();
                let chain: Vec<&Token> = tokens
                    .iter()
                    .filter(|t| t.chain && seen.insert(t.text.as_str()))
                    .collect();
                if chain.is_empty() {
                    return self.word_query(&tokens, self.options.unigrams, self.options.min_match);
                }
                let need = chain.len() / 2 + 1;
                let bigrams = chain
                    .iter()
                    .map(|t| {
                        let per_field = TEXT_FIELDS
                            .iter()
                            .map(|(name, _)| {
                                let term = Term::from_field_text(self.fields.text(name), &t.text);
                                (Occur::Should, boxed(TermQuery::new(term, IndexRecordOption::Basic)))
                            })
                            .collect();
                        (Occur::Should, boxed(BooleanQuery::new(per_field)))
                    })
                    .collect();
                Some(boxed(BooleanQuery::with_minimum_required_clauses(bigrams, need)))
            })
            .map(|q| (Occur::Should, q))
            .collect();
        (!words.is_empty()).then(|| boxed(BooleanQuery::new(words)))
    }

    /// Matches the chaining tokens as one phrase in any text field (`None` under two tokens).
    pub(super) fn phrase_query(&self, tokens: &[Token]) -> Option<Box<dyn Query>> {
        let chain: Vec<&Token> = tokens.iter().filter(|t| t.chain).collect();
        if chain.len() < 2 {
            return None;
        }
        let base = chain[0].position;
        let per_field = TEXT_FIELDS
            .iter()
            .map(|(name, weight)| {
                let field = self.fields.text(name);
                let terms = chain
                    .iter()
                    .map(|t| (t.position - base, Term::from_field_text(field, &t.text)))
                    .collect();
                (
                    Occur::Should,
                    boxed(BoostQuery::new(boxed(PhraseQuery::new_with_offset(terms)), *weight)),
                )
            })
            .collect();
        Some(boxed(BooleanQuery::new(per_field)))
    }

    /// A query that matches `text` exactly (one token: the term; more: the phrase).
    pub(super) fn exact_query(&self, text: &str) -> Option<Box<dyn Query>> {
        let tokens = tokenize::terms(text);
        if let Some(p) = self.phrase_query(&tokens) {
            return Some(p);
        }
        let t = tokens.iter().find(|t| t.chain)?;
        let per_field = TEXT_FIELDS
            .iter()
            .map(|(name, _)| {
                (
                    Occur::Should,
                    boxed(TermQuery::new(
                        Term::from_field_text(self.fields.text(name), &t.text),
                        IndexRecordOption::WithFreqs,
                    )),
                )
            })
            .collect();
        Some(boxed(BooleanQuery::new(per_field)))
    }

    /// Records whose Latin words contain `word` (lowercase, unstemmed), at a token score.
    pub(super) fn substring_query(&self, word: &str) -> Result<Option<Box<dyn Query>>, Error> {
        let mut found = std::collections::BTreeSet::new();
        for segment in self.searcher.segment_readers() {
            let inverted = segment.inverted_index(self.fields.words)?;
            let mut stream = inverted.terms().stream()?;
            while stream.advance() && found.len() < MAX_SUBSTRING_EXPANSIONS {
                let key = stream.key();
                if key.len() > word.len() && key.windows(word.len()).any(|w| w == word.as_bytes()) {
                    found.insert(String::from_utf8_lossy(key).into_owned());
                }
            }
        }
        if found.is_empty() {
            return Ok(None);
        }
        let any = found
            .iter()
            .map(|t| {
                (
                    Occur::Should,
                    boxed(TermQuery::new(
                        Term::from_field_text(self.fields.words, t),
                        IndexRecordOption::Basic,
                    )),
                )
            })
            .collect();
        Ok(Some(boxed(ConstScoreQuery::new(
            boxed(BooleanQuery::new(any)),
            SUBSTRING_SCORE,
        ))))
    }

    pub(super) fn tag_query(&self, field: Field, values: &[String]) -> Box<dyn Query> {
        let any = values
            .iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(|v| {
                (
                    Occur::Should,
                    boxed(TermQuery::new(
                        Term::from_field_text(field, v),
                        IndexRecordOption::Basic,
                    )),
                )
            })
            .collect();
        boxed(BooleanQuery::new(any))
    }

    /// Filters of a request as (tag field or "" for non-tag filters, query) pairs.
    pub(super) fn filters(&self, req: &SearchRequest, today: i64) -> Result<Filters, Error> {
        let mut out = Vec::new();
        if let Some(kind) = &req.kind {
            let kinds: Vec<String> = match kind.as_str() {
                "need" | "challenge" | "result" => vec![kind.clone()],
                "needs" => vec!["need".into(), "challenge".into()],
                other => {
                    return Err(Error::Request(format!(
                        "kind: must be need, challenge, needs or result, found {other:?}"
                    )))
                }
            };
            out.push((
                "kind",
                self.tag_query(self.fields.tag("kind").expect("kind is a tag"), &kinds),
            ));
        }
        for (name, values) in &req.filters {
            let Some(&tag) = TAG_FIELDS.iter().find(|t| *t == name) else {
                return Err(Error::Request(format!(
                    "filters: unknown field {name:?}, expected one of {}",
                    TAG_FIELDS.join(", ")
                )));
            };
            if values.is_empty() {
                continue;
            }
            let field = self.fields.tag(tag).expect("tag field");
            // Industry links written before names were canonical (新材料) find 新材料产业.
            let values: Vec<String> = if tag == "industries" {
                values
                    .iter()
                    .map(|v| taxonomy::industry(v).map_or_else(|| v.clone(), str::to_string))
                    .collect()
            } else {
                values.clone()
            };
            out.push((tag, self.tag_query(field, &values)));
        }
        if let Some(r) = req.trl {
            let (lo, hi) = (r.min.unwrap_or(1), r.max.unwrap_or(9));
            if !(1..=9).contains(&lo) || !(1..=9).contains(&hi) || lo > hi {
                return Err(Error::Request(format!("trl: need 1 ≤ min ≤ max ≤ 9, found {lo}–{hi}")));
            }
            // The record's [trl_min, trl_max] overlaps the requested range.
            let reaches = RangeQuery::new(
                Bound::Included(Term::from_field_u64(self.fields.trl_max, lo.into())),
                Bound::Unbounded,
            );
            let starts = RangeQuery::new(
                Bound::Unbounded,
                Bound::Included(Term::from_field_u64(self.fields.trl_min, hi.into())),
            );
            out.push((
                "",
                boxed(BooleanQuery::new(vec![
                    (Occur::Must, boxed(reaches)),
                    (Occur::Must, boxed(starts)),
                ])),
            ));
        }
        if req.open {
            out.push((
                "",
                boxed(RangeQuery::new(
                    Bound::Included(Term::from_field_i64(self.fields.deadline, today)),
                    Bound::Unbounded,
                )),
            ));
        }
        Ok(out)
    }

    /// The text part of a query, or `None` when there is no text to score.
    pub(super) fn query_text(&self, parsed: &ParsedQuery, min_match: f32) -> Result<Option<Box<dyn Query>>, Error> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        // All free terms score together; each free word gets its own verbatim boost.
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if min_match > 0.0 {
            for word in &parsed.free {
                should.extend(
                    self.word_query(&tokenize::terms(word), self.options.unigrams, min_match)
                        .map(|q| (Occur::Should, q)),
                );
            }
        } else {
            let free: Vec<Token> = parsed.free.iter().flat_map(|f| tokenize::terms(f)).collect();
            should.extend(
                self.text_query(&free, self.options.unigrams)
                    .map(|q| (Occur::Should, q)),
            );
        }
        let mut looked_up = HashSet::new();
        let words = parsed
            .free
            .iter()
            .flat_map(|f| tokenize::words(f))
            .filter(|w| w.text.len() >= 2 && looked_up.insert(w.text.clone()));
        for word in words.take(MAX_SUBSTRING_WORDS) {
            if let Some(q) = self.substring_query(&word.text)? {
                should.push((Occur::Should, q));
            }
        }
        if self.options.verbatim_boost > 0.0 {
            for word in &parsed.free {
                if let Some(p) = self.exact_query(word) {
                    should.push((Occur::Should, boxed(BoostQuery::new(p, self.options.verbatim_boost))));
                }
            }
        }
        if !should.is_empty() {
            clauses.push((Occur::Must, boxed(BooleanQuery::new(should))));
        }
        for p in &parsed.phrases {
            match self.exact_query(p) {
                Some(q) => clauses.push((Occur::Must, q)),
                None => return Err(Error::Request(format!("phrase {p:?} has no searchable characters"))),
            }
        }
        let positive = !clauses.is_empty();
        for x in &parsed.excluded {
            if let Some(q) = self.exact_query(x) {
                clauses.push((Occur::MustNot, q));
            }
        }
        Ok(match (positive, clauses.is_empty()) {
            (_, true) => None,
            (true, false) => Some(boxed(BooleanQuery::new(clauses))),
            // Only exclusions: everything but them.
            (false, false) => {
                clauses.push((Occur::Must, boxed(ConstScoreQuery::new(boxed(AllQuery), 0.0))));
                Some(boxed(BooleanQuery::new(clauses)))
            }
        })
    }

    pub(super) fn combine(text: Option<&dyn Query>, filters: &[&dyn Query]) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        clauses.push((
            Occur::Must,
            text.map_or_else(|| boxed(ConstScoreQuery::new(boxed(AllQuery), 0.0)), |t| t.box_clone()),
        ));
        for f in filters {
            clauses.push((Occur::Must, boxed(ConstScoreQuery::new(f.box_clone(), 0.0))));
        }
        boxed(BooleanQuery::new(clauses))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_syntax() {
        let p = parse_query(r#"盐碱地 "滴灌 系统" -水稻 -"大棚" PM2.5"#);
        assert_eq!(p.free, ["盐碱地", "PM2.5"]);
        assert_eq!(p.phrases, ["滴灌 系统"]);
        assert_eq!(p.excluded, ["水稻", "大棚"]);
        assert_eq!(parse_query("  ").free.len(), 0);
        assert_eq!(parse_query("\"unclosed").phrases, ["unclosed"]);
        assert_eq!(parse_query("-").free, ["-"]);
    }
}
