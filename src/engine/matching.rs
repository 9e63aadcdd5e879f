//! Matching: ranks the other side for a need or a result, with a score and the reasons for it.
//!
//! The score is in [`super::score`]; candidates are found and weighed in [`super::candidates`].
//!
//! Candidates are the top BM25 hits for the source's strongest terms on the other side; English
//! function words are not among a source's terms ([`tokenize::is_stop_word`]). A candidate is
//! weighed from the index alone — the terms it holds from the posting lists, its tags from the fast
//! columns — and only the hits shown are read from the stored records, so a lazily loaded bundle
//! fetches a tenth of the records it would otherwise.

use super::candidates::{look_up, CORE_TERMS};
use super::request::{check_match, today};
use crate::core::record::{Kind, PublicRecord};
use crate::core::taxonomy;
use crate::core::tokenize;
use crate::engine::score::pair_reasons;
use crate::engine::score::total;
use crate::engine::Engine;
use crate::engine::MatchHit;
use crate::engine::MatchRequest;
use crate::engine::MatchResponse;
use crate::engine::MatchTags;
use crate::Error;
use std::collections::{HashMap, HashSet};
use tantivy::postings::TermInfo;

/// Source terms used to find candidates: a long need's strongest terms, up to this many (a real
/// need's median is 143 distinct terms, its longest 564).
pub(super) const MAX_TERMS: usize = 400;

/// Matched phrases named in a `terms` reason.
pub(super) const MAX_NAMED_TERMS: usize = 8;

/// A weighted source term.
pub(super) struct SourceTerm {
    pub(super) text: String,
    pub(super) weight: f32,
}

/// A source's terms that some record holds, strongest first, with their dictionary entries.
pub(super) struct SourceTerms {
    pub(super) terms: Vec<SourceTerm>,
    /// The weight of the source's [`MAX_TERMS`] strongest terms, held or not: what a candidate's
    /// share is measured against.
    pub(super) profile: f32,
    /// Each term's entry in each text field (the order of [`crate::core::schema::TEXT_FIELDS`]),
    /// per segment: `infos[segment][term][field]`, each looked up once per match.
    pub(super) infos: Vec<Vec<[Option<TermInfo>; 3]>>,
    /// Each source text's chaining terms as indices into `terms` (none for a term not kept).
    slots: [Vec<Option<usize>>; 3],
}

impl SourceTerms {
    /// How many documents hold term `k` in text field `f`, over all segments.
    pub(super) fn doc_freq(&self, k: usize, f: usize) -> u64 {
        self.infos
            .iter()
            .flat_map(|s| &s[k][f])
            .map(|i| u64::from(i.doc_freq))
            .sum()
    }
}

/// `values` in their order, each once.
fn folded(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = HashSet::new();
    values.filter(|v| seen.insert(v.clone())).collect()
}

/// The source of a free-text match as a record, so both cases share one code path.
pub(super) fn free_source(text: &str, tags: &MatchTags) -> Result<PublicRecord, Error> {
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
        summary: text.to_string(),
        industries: folded(
            tags.industries
                .iter()
                .map(|i| taxonomy::industry(i).map_or_else(|| i.clone(), str::to_string)),
        ),
        fields: folded(tags.fields.iter().cloned()),
        trl_min: tags.trl_min,
        trl_max: tags.trl_max.or(tags.trl_min),
        modes: folded(tags.modes.iter().cloned()),
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
        check_match(req)?;
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
    pub(super) fn match_anew(&self, req: &MatchRequest, today: i64) -> Result<MatchResponse, Error> {
        let source = match (&req.id, &req.text) {
            (Some(id), None) => self.get(id)?.ok_or_else(|| Error::NotFound(id.clone()))?,
            (None, Some(text)) => free_source(text, &req.tags)?,
            _ => return Err(Error::Request("give either id or text".into())),
        };
        let source_text = SourceText::new(&source);
        let terms = self.source_terms(&source_text, false)?;
        if terms.terms.is_empty() {
            return Ok(MatchResponse { hits: Vec::new() });
        }
        let ranked = self.weigh_candidates(&source, &terms, req.size, today, false)?;
        // Every hit is read before an error counts, so a lazy bundle's plan names all their blocks.
        let records: Vec<Result<PublicRecord, Error>> = ranked.iter().map(|(_, _, c)| self.record_at(c.addr)).collect();
        let mut hits = Vec::with_capacity(ranked.len());
        for ((_, text_points, c), record) in ranked.into_iter().zip(records) {
            let record = record?;
            let phrases = matched_phrases(&source_text, &terms, &c.held_terms).join(", ");
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
        if check_match(req).is_err() {
            return;
        }
        let source = match (&req.id, &req.text) {
            (Some(id), None) => self.get(id).ok().flatten(),
            (None, Some(text)) => free_source(text, &req.tags).ok(),
            _ => None,
        };
        let Some(source) = source else { return };
        let Ok(today) = today(req.today.as_deref()) else { return };
        let Ok(terms) = self.source_terms(&SourceText::new(&source), true) else {
            return;
        };
        if let Ok(ranked) = self.weigh_candidates(&source, &terms, req.size, today, true) {
            for (_, _, c) in ranked {
                let _ = self.record_at(c.addr);
            }
        }
    }

    /// The source's chaining terms that some record's body holds, weighted by tf (title and keywords
    /// count double) × idf, the [`MAX_TERMS`] strongest, with their dictionary entries (the body's
    /// for all, the title's and keywords' for the [`CORE_TERMS`] strongest); and their profile (a term no record holds weighs as much as the rarest held one: it is
    /// part of what the source asks, and nobody offers it). When `planning`, entries in blocks a
    /// lazy bundle has yet to fetch count as absent (see [`Engine::warm_match`]).
    pub(super) fn source_terms(&self, source: &SourceText, planning: bool) -> Result<SourceTerms, Error> {
        let n = self.searcher.num_docs() as f32;
        let [title, keywords, body] = self.fields.text_fields();
        let mut found: Vec<(SourceTerm, Vec<Option<TermInfo>>)> = Vec::new();
        let mut weights = Vec::new();
        for (text, f) in source_tf(source) {
            let infos = look_up(self, body, &text, planning)?;
            let df = infos.iter().flatten().map(|i| i.doc_freq as f32).sum::<f32>();
            let weight = (1.0 + f.ln()) * (1.0 + (n - df.max(1.0) + 0.5) / (df.max(1.0) + 0.5)).ln();
            weights.push(weight);
            if df > 0.0 {
                found.push((SourceTerm { text, weight }, infos));
            }
        }
        found.sort_by(|a, b| b.0.weight.total_cmp(&a.0.weight).then_with(|| a.0.text.cmp(&b.0.text)));
        found.truncate(MAX_TERMS);
        weights.sort_by(|a, b| b.total_cmp(a));
        let segments = self.searcher.segment_readers().len();
        let mut infos = vec![Vec::with_capacity(found.len()); segments];
        let mut terms = Vec::with_capacity(found.len());
        for (k, (term, in_body)) in found.into_iter().enumerate() {
            // Title and keywords weigh half the body, and a dictionary lookup costs more than a
            // weaker term's short field adds: looked up for the terms that find candidates only.
            let (in_title, in_keywords) = if k < CORE_TERMS {
                (
                    look_up(self, title, &term.text, planning)?,
                    look_up(self, keywords, &term.text, planning)?,
                )
            } else {
                (vec![None; segments], vec![None; segments])
            };
            for (s, segment) in infos.iter_mut().enumerate() {
                segment.push([in_title[s].clone(), in_keywords[s].clone(), in_body[s].clone()]);
            }
            terms.push(term);
        }
        let index: HashMap<String, usize> = terms.iter().enumerate().map(|(k, t)| (t.text.clone(), k)).collect();
        let slots = source
            .chains
            .each_ref()
            .map(|chains| chains.iter().map(|t| index.get(&t.text).copied()).collect());
        Ok(SourceTerms {
            terms,
            profile: weights.iter().take(MAX_TERMS).sum(),
            infos,
            slots,
        })
    }
}
/// A source's texts (see [`record_text`]) with their chaining terms: tokenized once per match.
pub(super) struct SourceText {
    pub(super) texts: [String; 3],
    pub(super) chains: [Vec<tokenize::Term>; 3],
}

impl SourceText {
    pub(super) fn new(source: &PublicRecord) -> Self {
        let texts = record_text(source);
        let chains = texts
            .each_ref()
            .map(|t| tokenize::terms(t).into_iter().filter(|t| t.chain).collect());
        SourceText { texts, chains }
    }
}

/// The source's chaining terms with their frequency, title and keywords counting double;
/// English function words left out (in a mostly Chinese bundle they are rare, so their idf
/// would make "to" and "and" the strongest evidence of an English need), and bare numbers too:
/// a need's list markers (1. 2. 3.) and figures would match papers on 1,2,4-三唑.
pub(super) fn source_tf(source: &SourceText) -> HashMap<String, f32> {
    let mut tf: HashMap<String, f32> = HashMap::new();
    for (i, chains) in source.chains.iter().enumerate() {
        let weight = if i < 2 { 2.0 } else { 1.0 };
        for t in chains
            .iter()
            .filter(|t| !tokenize::is_stop_word(&t.text) && !is_bare_number(&t.text))
        {
            *tf.entry(t.text.clone()).or_default() += weight;
        }
    }
    tf
}

/// Whether a term is digits alone (with decimal points): a figure or a list marker, no subject.
fn is_bare_number(term: &str) -> bool {
    term.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// Title, keywords and body of a record: the texts matched on.
pub(super) fn record_text(r: &PublicRecord) -> [String; 3] {
    [r.title.clone(), r.keywords.join(" "), r.body()]
}

/// Maximal runs of the source terms a hit holds (`held`, by index), in the source's own text, as a broker reads them: no run inside a
/// longer one (盐碱地 inside 滨海重度盐碱地), no lone character, the strongest `MAX_NAMED_TERMS`
/// kept, longest first.
pub(super) fn matched_phrases(source: &SourceText, terms: &SourceTerms, held: &[bool]) -> Vec<String> {
    let mut phrases: Vec<(f32, String)> = Vec::new();
    for ((text, chains), slots) in source.texts.iter().zip(&source.chains).zip(&terms.slots) {
        let mut run: Option<(usize, usize, usize, f32)> = None; // from, to, last position, weight
        let mut flush = |run: &mut Option<(usize, usize, usize, f32)>| {
            if let Some((a, b, _, w)) = run.take() {
                let p = text[a..b].to_string();
                if !phrases.iter().any(|(_, q)| *q == p) {
                    phrases.push((w, p));
                }
            }
        };
        for (t, slot) in chains.iter().zip(slots) {
            let Some(k) = slot.filter(|&k| held[k]) else {
                flush(&mut run);
                continue;
            };
            let w = terms.terms[k].weight;
            match &mut run {
                Some((_, to, last, sum)) if t.position == *last + 1 && joins(&text[*to..t.from.max(*to)]) => {
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
    whole_phrases(phrases)
}

/// Whether the text between two matched terms keeps them in one phrase: nothing, or a short run of
/// spaces and joiners (`-`, `/`, `·`), not a line break or punctuation (`PEDV)胶体金`, `depots.\nEncapsulation`).
fn joins(gap: &str) -> bool {
    gap.len() < 4 && gap.chars().all(|c| matches!(c, ' ' | '-' | '/' | '·'))
}

/// `phrases` (weight, text) without lone characters and without those contained in a longer one
/// (case aside); the strongest `MAX_NAMED_TERMS` of the rest, longest first.
fn whole_phrases(mut phrases: Vec<(f32, String)>) -> Vec<String> {
    let len = |p: &str| p.chars().count();
    phrases.retain(|(_, p)| len(p) > 1);
    phrases.sort_by(|a, b| len(&b.1).cmp(&len(&a.1)).then(b.0.total_cmp(&a.0)));
    let mut kept: Vec<(f32, String, String)> = Vec::new(); // weight, text, lower case
    for (w, p) in phrases {
        let lower = p.to_lowercase();
        if !kept.iter().any(|(_, _, q)| q.contains(&lower)) {
            kept.push((w, p, lower));
        }
    }
    let mut strongest: Vec<usize> = (0..kept.len()).collect();
    strongest.sort_by(|&a, &b| kept[b].0.total_cmp(&kept[a].0).then(a.cmp(&b)));
    strongest.truncate(MAX_NAMED_TERMS);
    strongest.sort_unstable();
    strongest.into_iter().map(|i| kept[i].1.clone()).collect()
}

#[cfg(all(test, feature = "cli"))]
mod tests {
    use crate::core::record::parse_date;
    use tantivy::directory::OwnedBytes;
    use tantivy::DocAddress;

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
                let terms = engine.source_terms(&SourceText::new(&source), false).unwrap();
                for (score, text_points, c) in engine.weigh_candidates(&source, &terms, 100, today, false).unwrap() {
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
    fn list_markers_and_figures_are_not_source_terms() {
        let source = free_source("1. 连铸坯裂纹 2. 夹杂物超标 3.5 mm", &MatchTags::default()).unwrap();
        let tf = source_tf(&SourceText::new(&source));
        assert!(tf.contains_key("连铸") && tf.contains_key("mm"), "{tf:?}");
        for figure in ["1", "2", "3.5"] {
            assert!(!tf.contains_key(figure), "{figure} in {tf:?}");
        }
    }

    #[test]
    fn reasons_name_whole_phrases_longest_first() {
        let named = |list: &[(f32, &str)]| whole_phrases(list.iter().map(|&(w, p)| (w, p.to_string())).collect());
        // The pieces of one run, and a lone character, fold into the run.
        let pieces = [
            (3.0, "重度盐碱"),
            (2.0, "滨海重度盐碱地"),
            (4.0, "盐碱地"),
            (1.0, "度盐碱地"),
            (1.0, "度盐碱"),
            (5.0, "亩"),
            (2.5, "排盐管"),
        ];
        assert_eq!(named(&pieces), ["滨海重度盐碱地", "排盐管"]);
        // Case aside in English; the strongest kept when there are more than can be named.
        assert_eq!(named(&[(1.0, "Laser Cladding"), (2.0, "laser")]), ["Laser Cladding"]);
        // Runs join across spaces and joiners, not across line breaks or punctuation.
        assert!(joins("") && joins(" ") && joins(" - ") && joins("/"));
        assert!(!joins(".\n") && !joins(")") && !joins("，") && !joins("    "));
        let many: Vec<(f32, String)> = (0..12).map(|i| (i as f32, format!("词{i:02}"))).collect();
        let kept = whole_phrases(many);
        assert_eq!(kept.len(), MAX_NAMED_TERMS);
        assert!(kept.iter().all(|p| p.as_str() >= "词04"), "{kept:?}");
    }

    #[test]
    fn a_candidates_column_tags_give_the_reasons_its_stored_record_gives() {
        let seeds = engine(include_bytes!("../../index/techmatch.bundle").to_vec());
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
        let files = crate::build::writer::build(&records, &|_| {}).unwrap();
        let built = engine(
            crate::build::hot::write_bundle(
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
