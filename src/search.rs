//! Search: opens a bundle and answers full-text queries with filters, facets, paging and snippets.
//!
//! Query syntax: free words (any order, Chinese or English), `"exact phrase"` (must occur),
//! `-word` or `-"phrase"` (must not occur). Free text scores BM25 over title (×2), keywords
//! (×2) and body, plus a boost for records holding the free text verbatim, so exact matches
//! come first; a Latin query word also finds the words that contain it (`GIS` in `ArcGIS`)
//! at a token score, so every record holding the query verbatim is found, ranked last.
//! Facet counts are disjunctive: a field's counts ignore that field's own filter,
//! so a broker sees what ticking another value would add.
//!
//! A lazily opened bundle ([`Bundle::lazy`]) answers the same way; [`Engine::planned`] first
//! runs a request in planning mode to learn every byte range it needs, so that the browser can
//! fetch them together before answering ([`Planned`]).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::ops::{Bound, Range};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tantivy::collector::{Collector, Count, SegmentCollector, TopDocs};
use tantivy::columnar::{RowId, StrColumn};
use tantivy::error::DataCorruption;
use tantivy::postings::TermInfo;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::store::StoreReader;
use tantivy::{DocAddress, DocId, Index, Order, ReloadPolicy, Score, Searcher, SegmentReader, Term};

use crate::bundle::{BlockCache, Bundle, Header, Transfer};
use crate::index::{self, Fields, TAG_FIELDS, TEXT_FIELDS};
use crate::record::{parse_date, PublicRecord};
use crate::tokenize::{self, Term as Token};
use crate::Error;

/// Largest page a query may ask for.
pub const MAX_PAGE_SIZE: usize = 1000;
/// Longest query text accepted (characters); longer input is cut, not rejected.
pub const MAX_QUERY_CHARS: usize = 2000;
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
const SUBSTRING_SCORE: f32 = 0.001;
/// Most dictionary words one query word expands to.
const MAX_SUBSTRING_EXPANSIONS: usize = 1024;
/// Most distinct query words looked up as parts of longer words: each lookup scans the word
/// dictionary, and a pasted text would otherwise cost one scan per word. Later words still match
/// as whole words, so a record holding the query verbatim is still found.
pub const MAX_SUBSTRING_WORDS: usize = 16;
/// Characters of body text in a snippet.
const SNIPPET_CHARS: usize = 120;

/// How results are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Best match first (newest first when there is no query text).
    #[default]
    Relevance,
    /// Newest publication first.
    Date,
    /// Closest deadline first.
    Deadline,
}

/// An inclusive TRL range; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrlRange {
    pub min: Option<u8>,
    pub max: Option<u8>,
}

/// What a broker asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchRequest {
    pub q: String,
    /// `need`, `challenge`, `result`, or `needs` for needs and challenges together.
    pub kind: Option<String>,
    /// Tag filters: AND across fields, OR within one field.
    pub filters: BTreeMap<String, Vec<String>>,
    pub trl: Option<TrlRange>,
    /// Only records whose deadline has not passed.
    pub open: bool,
    pub sort: Sort,
    /// 1-based.
    pub page: usize,
    pub size: usize,
    /// Today as `YYYY-MM-DD`, for `open` (defaults to the caller's clock).
    pub today: Option<String>,
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            q: String::new(),
            kind: None,
            filters: BTreeMap::new(),
            trl: None,
            open: false,
            sort: Sort::Relevance,
            page: 1,
            size: 10,
            today: None,
        }
    }
}

/// One result of a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub score: f32,
    pub snippet: String,
    /// `[start, end)` ranges in `snippet`, in UTF-16 code units (as JavaScript counts).
    pub highlights: Vec<[usize; 2]>,
    /// Ranges in `title`, same units.
    pub title_highlights: Vec<[usize; 2]>,
    pub tags: BTreeMap<String, Vec<String>>,
}

/// Filter queries of a request, each with its tag field ("" for TRL and open).
type Filters = Vec<(&'static str, Box<dyn Query>)>;

/// Store blocks each segment's reader keeps decompressed (tantivy's own searcher keeps as many).
const STORE_CACHE_BLOCKS: usize = 100;

/// The text of a document's one stored field (the public record as JSON, `index::schema`) in its
/// stored bytes, tantivy's layout: a VInt count of values, then per value its field (u32), a type
/// code (0 = text), a VInt length and the text. Read here, with every length checked against the
/// bytes, because tantivy's reader reserves a damaged length before reading (an abort).
fn stored_text(mut bytes: &[u8]) -> Result<Option<String>, String> {
    if read_vint(&mut bytes).ok_or("value count cut short")? == 0 {
        return Ok(None);
    }
    let [_, _, _, _, code, rest @ ..] = bytes else {
        return Err("field cut short".into());
    };
    if *code != 0 {
        return Err(format!("value of type {code}, not text"));
    }
    let mut rest = rest;
    let len = read_vint(&mut rest).ok_or("text length cut short")?;
    let text = usize::try_from(len)
        .ok()
        .and_then(|len| rest.get(..len))
        .ok_or_else(|| format!("text of {len} bytes in {} left", rest.len()))?;
    String::from_utf8(text.to_vec()).map(Some).map_err(|e| e.to_string())
}

/// A tantivy VInt: 7 bits a byte, lowest first, the last byte marked by its high bit.
fn read_vint(bytes: &mut &[u8]) -> Option<u64> {
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

/// Facet counts: field → value → number of records.
pub type Facets = BTreeMap<String, BTreeMap<String, u64>>;

/// The answer to a [`SearchRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResponse {
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: Facets,
    /// No record held most of each query word: these hits hold some of its terms.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
}

/// Counts of the bundle, for `inspect` and `stats()`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub format_version: u32,
    pub tokenizer: String,
    pub bundle_bytes: u64,
    pub records: u64,
    pub counts: crate::bundle::Counts,
    /// Every tag value with its number of records.
    pub facets: Facets,
    pub files: Vec<crate::bundle::FileEntry>,
}

/// An opened bundle, ready to search and match. Cheap to share; never writes.
pub struct Engine {
    pub(crate) searcher: Searcher,
    /// Each segment's stored records (read by [`stored_text`]).
    stores: Vec<StoreReader>,
    pub(crate) fields: Fields,
    header: Header,
    bundle_bytes: u64,
    /// The fetched blocks of a lazily opened bundle.
    cache: Option<Arc<BlockCache>>,
    /// How free text is turned into a query.
    pub options: QueryOptions,
    /// What recent searches counted and ranked, so that asking again or paging is cheap.
    answers: Mutex<Recent<SearchKey, Counted>>,
    /// Recent matches, answered whole.
    pub(crate) matches: Mutex<Recent<(crate::matching::MatchRequest, i64), crate::matching::MatchResponse>>,
}

/// Searches, and matches, remembered per engine.
const REMEMBERED: usize = 32;
/// Pages remembered per search.
const REMEMBERED_PAGES: usize = 16;

/// What identifies a search's hits apart from the page: the request with today resolved, and the
/// engine's query options.
#[derive(Debug, Clone, PartialEq)]
struct SearchKey {
    q: String,
    kind: Option<String>,
    filters: BTreeMap<String, Vec<String>>,
    trl: Option<TrlRange>,
    /// Today, for a request of open records only.
    open_on: Option<i64>,
    sort: Sort,
    options: QueryOptions,
}

impl SearchKey {
    fn of(req: &SearchRequest, today: i64, options: &QueryOptions) -> SearchKey {
        SearchKey {
            q: req.q.clone(),
            kind: req.kind.clone(),
            filters: req
                .filters
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            trl: req.trl,
            open_on: req.open.then_some(today),
            sort: req.sort,
            options: *options,
        }
    }
}

/// A page of ranked hits: score (0 when sorted by a date) and address.
type Page = Vec<(Score, DocAddress)>;

/// A search's total and facet counts, and its pages ranked so far by (offset, size).
#[derive(Debug, Clone, Default)]
struct Counted {
    total: usize,
    facets: Facets,
    partial: bool,
    pages: HashMap<(usize, usize), Page>,
}

/// The most recently used answers, up to [`REMEMBERED`]; the least recently used goes first. A
/// bundle never changes once opened, so nothing goes stale.
#[derive(Debug)]
pub(crate) struct Recent<K, V>(VecDeque<(K, V)>);

impl<K, V> Default for Recent<K, V> {
    fn default() -> Self {
        Recent(VecDeque::new())
    }
}

impl<K: PartialEq, V> Recent<K, V> {
    /// The answer for `key`, now the most recently used.
    pub(crate) fn get(&mut self, key: &K) -> Option<&mut V> {
        let at = self.0.iter().position(|(k, _)| k == key)?;
        let entry = self.0.remove(at)?;
        self.0.push_front(entry);
        self.0.front_mut().map(|(_, v)| v)
    }

    pub(crate) fn put(&mut self, key: K, value: V) {
        self.0.retain(|(k, _)| *k != key);
        self.0.push_front((key, value));
        self.0.truncate(REMEMBERED);
    }
}

/// The answer of a request on a lazily opened bundle: the answer, or the byte ranges to fetch first.
#[derive(Debug, PartialEq)]
pub enum Planned<T> {
    Done(T),
    Fetch(Vec<Range<u64>>),
}

/// Assembles a bundle from the index files, with the hot ranges a lazy reader fetches first.
pub fn write_bundle(counts: crate::bundle::Counts, files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, Error> {
    let hot = hot_ranges(crate::bundle::write(counts.clone(), files, Vec::new()))?;
    Ok(crate::bundle::write(counts, files, hot))
}

/// The hot ranges of a bundle (see [`crate::bundle::Header::hot`]): what a lazy reader of
/// `draft` (a bundle with no hot ranges yet) reads while opening it and warming up, relative
/// to each file.
pub fn hot_ranges(draft: Vec<u8>) -> Result<Vec<[u64; 3]>, Error> {
    let size = draft.len() as u64;
    let bundle = Bundle::open_lazy(Box::new(draft), size)?;
    let header = bundle.header.clone();
    let cache = bundle.cache.clone().ok_or_else(|| Error::Bundle("not lazy".into()))?;
    let (opened, read) = cache.record(|| Engine::open(bundle).and_then(|e| e.warm_up()));
    opened?;
    let mut hot = Vec::new();
    for r in read {
        for (i, f) in header.files.iter().enumerate() {
            let (start, end) = (r.start.max(f.offset), r.end.min(f.offset + f.len));
            if start < end {
                hot.push([i as u64, start - f.offset, end - f.offset]);
            }
        }
    }
    Ok(hot)
}

/// The parts of a query text.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ParsedQuery {
    pub free: Vec<String>,
    pub phrases: Vec<String>,
    pub excluded: Vec<String>,
}

/// Splits query text into free words, `"phrases"` and `-exclusions`.
pub(crate) fn parse_query(q: &str) -> ParsedQuery {
    let q: String = q.chars().take(MAX_QUERY_CHARS).collect();
    let mut out = ParsedQuery::default();
    let mut rest = q.as_str();
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

/// The offset of a request's page, after checking its size and page number.
fn page_offset(req: &SearchRequest) -> Result<usize, Error> {
    if req.size == 0 || req.size > MAX_PAGE_SIZE {
        return Err(Error::Request(format!(
            "size: must be from 1 to {MAX_PAGE_SIZE}, found {}",
            req.size
        )));
    }
    let page = req.page.max(1);
    (page - 1)
        .checked_mul(req.size)
        .filter(|o| *o < u32::MAX as usize)
        .ok_or_else(|| Error::Request(format!("page {page} is out of range")))
}

/// Today as days since 1970, from a request or the clock.
pub(crate) fn today(given: Option<&str>) -> Result<i64, Error> {
    match given {
        Some(s) => parse_date(s).ok_or_else(|| Error::Request(format!("today: not a date in YYYY-MM-DD form: {s:?}"))),
        None => Ok(crate::clock::today()),
    }
}

fn boxed(q: impl Query + 'static) -> Box<dyn Query> {
    Box::new(q)
}

/// UTF-16 ranges of `spans` (byte ranges into `text`), merged where they touch.
fn utf16_ranges(text: &str, mut spans: Vec<(usize, usize)>) -> Vec<[usize; 2]> {
    spans.sort();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (a, b) in spans {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    let u16_at = |byte: usize| text[..byte].encode_utf16().count();
    merged.into_iter().map(|(a, b)| [u16_at(a), u16_at(b)]).collect()
}

/// The terms to highlight: what chains (words, bigrams) plus lone characters typed on their own.
pub(crate) fn highlight_terms(parsed: &ParsedQuery) -> HashSet<String> {
    parsed
        .free
        .iter()
        .chain(&parsed.phrases)
        .flat_map(|t| tokenize::terms(t))
        .filter(|t| t.chain)
        .map(|t| t.text)
        .collect()
}

/// Byte spans of `text` whose tokens are in `terms`.
fn matching_spans(text: &str, terms: &HashSet<String>) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    tokenize::each_term(text, |t| {
        if t.chain && terms.contains(t.text) {
            spans.push((t.from, t.to));
        }
    });
    spans
}

/// A window of `body` around the densest cluster of query terms, with highlight ranges.
pub(crate) fn snippet(body: &str, terms: &HashSet<String>) -> (String, Vec<[usize; 2]>) {
    let spans = matching_spans(body, terms);
    let chars: Vec<(usize, char)> = body.char_indices().collect();
    if chars.len() <= SNIPPET_CHARS {
        return (body.to_string(), utf16_ranges(body, spans));
    }
    // Best window start (in chars): the one covering the most distinct matched terms.
    let char_of = |byte: usize| chars.partition_point(|(b, _)| *b < byte);
    let starts: Vec<usize> = spans.iter().map(|s| char_of(s.0)).collect();
    let mut best = (0usize, 0usize);
    for &s in &starts {
        let from = s.saturating_sub(SNIPPET_CHARS / 6);
        let covered: HashSet<&str> = spans
            .iter()
            .zip(&starts)
            .filter(|(_, c)| **c >= from && **c < from + SNIPPET_CHARS)
            .map(|(sp, _)| &body[sp.0..sp.1])
            .collect();
        if covered.len() > best.1 {
            best = (from, covered.len());
        }
    }
    let from = best.0.min(chars.len() - SNIPPET_CHARS);
    let to = from + SNIPPET_CHARS;
    let (a, b) = (chars[from].0, chars.get(to).map_or(body.len(), |c| c.0));
    let prefix = if from > 0 { "…" } else { "" };
    let suffix = if b < body.len() { "…" } else { "" };
    let text = format!("{prefix}{}{suffix}", &body[a..b]);
    let shift = prefix.len();
    let inside = spans
        .into_iter()
        .filter(|s| s.0 >= a && s.1 <= b)
        .map(|s| (s.0 - a + shift, s.1 - a + shift))
        .collect();
    let ranges = utf16_ranges(&text, inside);
    (text, ranges)
}

impl Engine {
    /// Opens a verified bundle.
    pub fn open(bundle: Bundle) -> Result<Engine, Error> {
        let index = Index::open(bundle.directory())
            .map_err(|e| Error::Bundle(format!("cannot open the index inside the bundle: {e}")))?;
        index::register_analyzer(&index);
        let fields = Fields::from_schema(&index.schema())
            .map_err(|e| Error::Bundle(format!("index schema is not techmatch's: {e}")))?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .num_warming_threads(0)
            .try_into()
            .map_err(|e| Error::Bundle(format!("cannot read the index: {e}")))?;
        let searcher = reader.searcher();
        let stores = searcher
            .segment_readers()
            .iter()
            .map(|s| s.get_store_reader(STORE_CACHE_BLOCKS))
            .collect::<Result<_, _>>();
        Ok(Engine {
            stores: stores.map_err(|e| Error::Bundle(format!("cannot read the stored records: {e}")))?,
            searcher,
            fields,
            header: bundle.header.clone(),
            bundle_bytes: bundle.size,
            cache: bundle.cache.clone(),
            options: QueryOptions::default(),
            answers: Mutex::default(),
            matches: Mutex::default(),
        })
    }

    /// The fetched blocks, for a lazily opened bundle.
    pub fn cache(&self) -> Option<&Arc<BlockCache>> {
        self.cache.as_ref()
    }

    /// Requests and bytes fetched so far, for a lazily opened bundle.
    pub fn transfer(&self) -> Option<Transfer> {
        self.cache.as_ref().map(|c| c.transfer())
    }

    /// Runs `op` in planning mode when the bundle is lazy: `Done` with its answer when every byte
    /// it read was there, else `Fetch` with the block ranges it asked for (fetch them, supply them
    /// to the cache, call again). When `op` missed something, `warm` runs too: it should touch what
    /// `op` will read, going on past missing blocks, so that one round of fetches brings as much
    /// as possible. A whole bundle answers at once.
    pub fn planned<T>(&self, warm: impl FnOnce(), op: impl FnOnce() -> Result<T, Error>) -> Result<Planned<T>, Error> {
        let Some(cache) = &self.cache else {
            return op().map(Planned::Done);
        };
        let (answer, wanted) = cache.plan(|| {
            let answer = op();
            if cache.missed() {
                warm();
            }
            answer
        });
        if wanted.is_empty() {
            answer.map(Planned::Done)
        } else {
            Ok(Planned::Fetch(wanted))
        }
    }

    /// Reads the dictionary entries and posting lists (with positions where a phrase needs them)
    /// of every term of `queries`; while planning, each missing block is noted, none stops the rest.
    pub(crate) fn warm_terms(&self, queries: &[&dyn Query]) {
        let mut terms: Vec<(&Term, bool)> = Vec::new();
        for q in queries {
            q.query_terms(&mut |t, positions| terms.push((t, positions)));
        }
        for segment in self.searcher.segment_readers() {
            for (term, positions) in &terms {
                let Ok(inverted) = segment.inverted_index(term.field()) else {
                    continue;
                };
                let Ok(Some(info)) = inverted.get_term_info(term) else {
                    continue;
                };
                if *positions {
                    // The positions alone first (no documents: nothing to decode): a planned read
                    // of the postings stops at its first missing block, before the positions.
                    let positions_only = TermInfo {
                        doc_freq: 0,
                        postings_range: 0..0,
                        positions_range: info.positions_range.clone(),
                    };
                    let _ =
                        inverted.read_postings_from_terminfo(&positions_only, IndexRecordOption::WithFreqsAndPositions);
                }
                let option = if *positions {
                    IndexRecordOption::WithFreqsAndPositions
                } else {
                    IndexRecordOption::WithFreqs
                };
                let _ = inverted.read_postings_from_terminfo(&info, option);
            }
        }
    }

    /// The terms a search will look up, warmed (see [`Engine::warm_terms`]).
    pub fn warm_search(&self, req: &SearchRequest) {
        if self.remembers(req) {
            return;
        }
        let parsed = parse_query(&req.q);
        // The relaxed query of a partial answer looks up the same terms.
        let text = self.query_text(&parsed, self.options.min_match).ok().flatten();
        let filters = today(req.today.as_deref())
            .and_then(|t| self.filters(req, t))
            .unwrap_or_default();
        let mut queries: Vec<&dyn Query> = filters.iter().map(|(_, q)| q.as_ref()).collect();
        queries.extend(text.as_deref());
        self.warm_terms(&queries);
    }

    /// What opening a lazy bundle should fetch up front: the index's footers and block indexes,
    /// every term dictionary's index, the text fields' norms and every fast column (ids,
    /// filters, sorting, facet counts).
    fn warm_up(&self) -> Result<(), Error> {
        let map_err = |e: tantivy::TantivyError| Error::Index(e.to_string());
        for segment in self.searcher.segment_readers() {
            for (field, _) in self.searcher.schema().fields() {
                if self.searcher.schema().get_field_entry(field).is_indexed() {
                    segment.inverted_index(field).map_err(map_err)?;
                }
            }
            for (name, _) in TEXT_FIELDS {
                segment.get_fieldnorms_reader(self.fields.text(name)).map_err(map_err)?;
            }
        }
        self.stats()?;
        // Pages past the end: every column a filter or a sort reads, no stored record.
        let past_end = self.searcher.num_docs() as usize + 1;
        let every_filter = SearchRequest {
            trl: Some(TrlRange {
                min: Some(1),
                max: Some(9),
            }),
            open: true,
            sort: Sort::Deadline,
            page: past_end,
            size: 1,
            ..SearchRequest::default()
        };
        self.search(&every_filter)?;
        self.search(&SearchRequest {
            page: past_end,
            size: 1,
            ..SearchRequest::default()
        })?;
        Ok(())
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    fn text_term(&self, field: Field, text: &str) -> Term {
        Term::from_field_text(field, text)
    }

    /// Term clauses for `tokens` over every text field (BM25, field-weighted), any of which may match.
    pub(crate) fn text_query(&self, tokens: &[Token], with_unigrams: bool) -> Option<Box<dyn Query>> {
        self.word_query(tokens, with_unigrams, 0.0)
    }

    /// Term clauses for `tokens` over every text field (BM25, field-weighted), of which a record
    /// must hold at least the share `min_match` of the distinct terms (in any field; 0: one).
    fn word_query(&self, tokens: &[Token], with_unigrams: bool, min_match: f32) -> Option<Box<dyn Query>> {
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
                        self.text_term(self.fields.text(name), &t.text),
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

    /// Matches the chaining tokens as one phrase in any text field (`None` under two tokens).
    fn phrase_query(&self, tokens: &[Token]) -> Option<Box<dyn Query>> {
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
                    .map(|t| (t.position - base, self.text_term(field, &t.text)))
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
    fn exact_query(&self, text: &str) -> Option<Box<dyn Query>> {
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
                        self.text_term(self.fields.text(name), &t.text),
                        IndexRecordOption::WithFreqs,
                    )),
                )
            })
            .collect();
        Some(boxed(BooleanQuery::new(per_field)))
    }

    /// Records whose Latin words contain `word` (lowercase, unstemmed), at a token score.
    fn substring_query(&self, word: &str) -> Result<Option<Box<dyn Query>>, Error> {
        let mut found = std::collections::BTreeSet::new();
        for segment in self.searcher.segment_readers() {
            let inverted = segment
                .inverted_index(self.fields.words)
                .map_err(|e| Error::Index(e.to_string()))?;
            let mut stream = inverted.terms().stream().map_err(|e| Error::Index(e.to_string()))?;
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

    fn tag_query(&self, field: Field, values: &[String]) -> Box<dyn Query> {
        let any = values
            .iter()
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
    fn filters(&self, req: &SearchRequest, today: i64) -> Result<Filters, Error> {
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
            out.push((tag, self.tag_query(field, values)));
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
    fn query_text(&self, parsed: &ParsedQuery, min_match: f32) -> Result<Option<Box<dyn Query>>, Error> {
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

    fn combine(text: Option<&dyn Query>, filters: &[&dyn Query]) -> Box<dyn Query> {
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

    /// Runs a search: the records that hold most of a query word (see [`QueryOptions::min_match`])
    /// or, when none does, those that hold any of its terms, marked `partial`. Totals, facet
    /// counts and pages are remembered: the same search again, or another page of it, is not
    /// counted again.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResponse, Error> {
        let offset = page_offset(req)?;
        let today = today(req.today.as_deref())?;
        let key = SearchKey::of(req, today, &self.options);
        let known = self.answers.lock().ok().and_then(|mut a| {
            a.get(&key).map(|c| {
                (
                    c.total,
                    c.facets.clone(),
                    c.partial,
                    c.pages.get(&(offset, req.size)).cloned(),
                )
            })
        });
        let (counted, top) = match known {
            Some((total, facets, partial, page)) => {
                let top = match page {
                    Some(top) => top,
                    None => {
                        self.ranked(
                            req,
                            today,
                            if partial { 0.0 } else { self.options.min_match },
                            offset,
                            false,
                        )?
                        .0
                    }
                };
                (
                    Counted {
                        total,
                        facets,
                        partial,
                        pages: HashMap::new(),
                    },
                    top,
                )
            }
            None => {
                let (top, counted) = self.ranked(req, today, self.options.min_match, offset, true)?;
                let strict = counted.unwrap_or_default();
                let relax = strict.total == 0 && self.options.min_match > 0.0 && !parse_query(&req.q).free.is_empty();
                match relax.then(|| self.ranked(req, today, 0.0, offset, true)).transpose()? {
                    Some((top, Some(relaxed))) if relaxed.total > 0 => (
                        Counted {
                            partial: true,
                            ..relaxed
                        },
                        top,
                    ),
                    _ => (strict, top),
                }
            }
        };
        let terms = highlight_terms(&parse_query(&req.q));
        // Every hit is read before an error counts, so a lazy bundle's plan names all their blocks.
        let hits: Vec<Result<Hit, Error>> = top.iter().map(|&(score, addr)| self.hit(addr, score, &terms)).collect();
        let hits = hits.into_iter().collect::<Result<_, _>>()?;
        if self.complete() {
            if let Ok(mut answers) = self.answers.lock() {
                match answers.get(&key) {
                    Some(known) if known.pages.len() < REMEMBERED_PAGES => {
                        known.pages.insert((offset, req.size), top);
                    }
                    _ => {
                        let pages = HashMap::from([((offset, req.size), top)]);
                        answers.put(
                            key,
                            Counted {
                                pages,
                                ..counted.clone()
                            },
                        );
                    }
                }
            }
        }
        Ok(SearchResponse {
            total: counted.total,
            hits,
            facets: counted.facets,
            partial: counted.partial,
        })
    }

    /// Whether every read so far was answered: a planning run that missed a block may have
    /// counted or ranked less than there is, and must not be remembered.
    pub(crate) fn complete(&self) -> bool {
        self.cache.as_ref().is_none_or(|c| !c.missed())
    }

    /// Whether the engine remembers this very page of this search (nothing to fetch but its records).
    fn remembers(&self, req: &SearchRequest) -> bool {
        let (Ok(offset), Ok(today)) = (page_offset(req), today(req.today.as_deref())) else {
            return false;
        };
        let key = SearchKey::of(req, today, &self.options);
        self.answers
            .lock()
            .ok()
            .is_some_and(|mut a| a.get(&key).is_some_and(|c| c.pages.contains_key(&(offset, req.size))))
    }

    /// The page of hits at `offset` and, when `count`, the total and facet counts (disjunctive:
    /// each filtered field counted without its own filter).
    fn ranked(
        &self,
        req: &SearchRequest,
        today: i64,
        min_match: f32,
        offset: usize,
        count: bool,
    ) -> Result<(Page, Option<Counted>), Error> {
        let parsed = parse_query(&req.q);
        let text = self.query_text(&parsed, min_match)?;
        let filters = self.filters(req, today)?;
        let all: Vec<&dyn Query> = filters.iter().map(|(_, q)| q.as_ref()).collect();
        let query = Self::combine(text.as_deref(), &all);

        let sort = if text.is_none() && req.sort == Sort::Relevance {
            Sort::Date
        } else {
            req.sort
        };
        // A page past the end has no hits but the same total and facets. Asking tantivy for it
        // would make its collector reserve room for offset + size hits.
        let past_end = offset as u64 >= self.searcher.num_docs();
        if past_end && !count {
            return Ok((Vec::new(), None));
        }
        let limit = if past_end {
            TopDocs::with_limit(1)
        } else {
            TopDocs::with_limit(req.size).and_offset(offset)
        };
        let filtered_fields: HashSet<&str> = filters.iter().map(|(n, _)| *n).filter(|n| !n.is_empty()).collect();
        let unfiltered: Vec<&'static str> = TAG_FIELDS
            .iter()
            .copied()
            .filter(|f| !filtered_fields.contains(f))
            .collect();
        let facet_collector = FacetCounts {
            fields: unfiltered.clone(),
        };
        let s = &self.searcher;
        let q = query.as_ref();
        let map_err = |e: tantivy::TantivyError| Error::Index(e.to_string());
        let scoreless = |top: Vec<(Option<i64>, DocAddress)>| top.into_iter().map(|(_, a)| (0.0, a)).collect();
        let (field, order) = if sort == Sort::Date {
            ("published", Order::Desc)
        } else {
            ("deadline", Order::Asc)
        };
        let (top, counts): (Page, Option<(usize, Facets)>) = match (sort, count) {
            (Sort::Relevance, true) => {
                let (top, total, facets) = s
                    .search(q, &(limit.order_by_score(), Count, facet_collector))
                    .map_err(map_err)?;
                (top, Some((total, facets)))
            }
            (Sort::Relevance, false) => (s.search(q, &limit.order_by_score()).map_err(map_err)?, None),
            (_, true) => {
                let (top, total, facets) = s
                    .search(
                        q,
                        &(limit.order_by_fast_field::<i64>(field, order), Count, facet_collector),
                    )
                    .map_err(map_err)?;
                (scoreless(top), Some((total, facets)))
            }
            (_, false) => (
                scoreless(
                    s.search(q, &limit.order_by_fast_field::<i64>(field, order))
                        .map_err(map_err)?,
                ),
                None,
            ),
        };
        let counted = match counts {
            Some((total, mut facets)) => {
                for field in filtered_fields {
                    let others: Vec<&dyn Query> = filters
                        .iter()
                        .filter(|(n, _)| *n != field)
                        .map(|(_, q)| q.as_ref())
                        .collect();
                    let q = Self::combine(text.as_deref(), &others);
                    facets.extend(
                        s.search(q.as_ref(), &FacetCounts { fields: vec![field] })
                            .map_err(map_err)?,
                    );
                }
                Some(Counted {
                    total,
                    facets,
                    partial: false,
                    pages: HashMap::new(),
                })
            }
            None => None,
        };
        Ok((if past_end { Vec::new() } else { top }, counted))
    }

    /// The public record at a document address.
    pub(crate) fn record_at(&self, addr: DocAddress) -> Result<PublicRecord, Error> {
        let json = self.stored_json(addr)?;
        serde_json::from_str(&json).map_err(|e| Error::Index(format!("stored record unreadable: {e}")))
    }

    fn stored_json(&self, addr: DocAddress) -> Result<String, Error> {
        let store = self
            .stores
            .get(addr.segment_ord as usize)
            .ok_or_else(|| Error::Index(format!("no segment {}", addr.segment_ord)))?;
        let bytes = store
            .get_document_bytes(addr.doc_id)
            .map_err(|e| Error::Index(e.to_string()))?;
        stored_text(bytes.as_slice())
            .map_err(|e| Error::Index(format!("stored record unreadable: {e}")))?
            .ok_or_else(|| Error::Index("stored record missing".into()))
    }

    fn hit(&self, addr: DocAddress, score: Score, terms: &HashSet<String>) -> Result<Hit, Error> {
        let r = self.record_at(addr)?;
        let (snippet, highlights) = snippet(&r.body(), terms);
        let title_highlights = utf16_ranges(&r.title, matching_spans(&r.title, terms));
        Ok(Hit {
            id: r.id.clone(),
            kind: r.kind.clone(),
            title: r.title.clone(),
            score,
            snippet,
            highlights,
            title_highlights,
            tags: tags_of(&r),
        })
    }

    /// The document address of a record id.
    pub(crate) fn address_of(&self, id: &str) -> Result<Option<DocAddress>, Error> {
        let q = TermQuery::new(Term::from_field_text(self.fields.id, id), IndexRecordOption::Basic);
        let top = self
            .searcher
            .search(&q, &TopDocs::with_limit(1).order_by_score())
            .map_err(|e| Error::Index(e.to_string()))?;
        Ok(top.first().map(|(_, a)| *a))
    }

    /// The public record with this id.
    pub fn get(&self, id: &str) -> Result<Option<PublicRecord>, Error> {
        self.address_of(id)?.map(|a| self.record_at(a)).transpose()
    }

    /// The public record with this id as its stored JSON text (what the browser parses itself).
    pub fn get_json(&self, id: &str) -> Result<Option<String>, Error> {
        self.address_of(id)?.map(|a| self.stored_json(a)).transpose()
    }

    /// The underlying tantivy searcher, for tools that inspect the index itself.
    pub fn searcher(&self) -> &Searcher {
        &self.searcher
    }

    /// Counts, facet vocabularies and file table.
    pub fn stats(&self) -> Result<Stats, Error> {
        let facets = self
            .searcher
            .search(
                &AllQuery,
                &FacetCounts {
                    fields: TAG_FIELDS.to_vec(),
                },
            )
            .map_err(|e| Error::Index(e.to_string()))?;
        Ok(Stats {
            format_version: self.header.format_version,
            tokenizer: self.header.tokenizer.clone(),
            bundle_bytes: self.bundle_bytes,
            records: self.searcher.num_docs(),
            counts: self.header.counts.clone(),
            facets,
            files: self.header.files.clone(),
        })
    }

    /// Top ids for a plain query, for `eval`: no filters, no snippets; partial answers as `search`.
    pub fn rank(&self, q: &str, limit: usize) -> Result<Vec<(String, f32)>, Error> {
        let parsed = parse_query(q);
        let mut top = Vec::new();
        for min_match in [self.options.min_match, 0.0] {
            let Some(query) = self.query_text(&parsed, min_match)? else {
                return Ok(Vec::new());
            };
            top = self
                .searcher
                .search(query.as_ref(), &TopDocs::with_limit(limit.max(1)).order_by_score())
                .map_err(|e| Error::Index(e.to_string()))?;
            if !top.is_empty() || min_match <= 0.0 {
                break;
            }
        }
        // Each segment's id column, opened once (opening costs more than reading an id from it).
        let mut hits_by_segment: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for (i, (_, a)) in top.iter().enumerate() {
            hits_by_segment.entry(a.segment_ord).or_default().push(i);
        }
        let mut ids = vec![String::new(); top.len()];
        for (segment, hits) in hits_by_segment {
            let docs: Vec<DocId> = hits.iter().map(|&i| top[i].1.doc_id).collect();
            for (i, id) in hits.into_iter().zip(ids_in(&self.id_column(segment)?, &docs)?) {
                ids[i] = id;
            }
        }
        Ok(ids.into_iter().zip(top).map(|(id, (s, _))| (id, s)).collect())
    }

    /// The id column of a segment (ids are read from it, without stored-document decompression).
    fn id_column(&self, segment_ord: u32) -> Result<StrColumn, Error> {
        let reader = self.searcher.segment_reader(segment_ord);
        reader
            .fast_fields()
            .str("id")
            .ok()
            .flatten()
            .ok_or_else(|| Error::Index("id column missing".into()))
    }
}

/// The ids of documents of one segment, from its id column.
fn ids_in(col: &StrColumn, docs: &[DocId]) -> Result<Vec<String>, Error> {
    str_values(col, docs)?
        .into_iter()
        .map(|v| {
            v.into_iter()
                .next()
                .ok_or_else(|| Error::Index("document without id".into()))
        })
        .collect()
}

/// The values of a string column for each of `docs` (of one segment), each distinct value named
/// once, in one pass over the column's dictionary.
pub(crate) fn str_values(col: &StrColumn, docs: &[DocId]) -> Result<Vec<Vec<String>>, Error> {
    let ords: Vec<Vec<u64>> = docs.iter().map(|&doc| col.term_ords(doc).collect()).collect();
    let mut distinct: Vec<u64> = ords.iter().flatten().copied().collect();
    distinct.sort_unstable();
    distinct.dedup();
    let mut names = Vec::with_capacity(distinct.len());
    let found = col
        .dictionary()
        .sorted_ords_to_term_cb(&distinct, |value| {
            names.push(String::from_utf8_lossy(value).into_owned())
        })
        .map_err(|e| Error::Index(e.to_string()))?;
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
    let mut tags: BTreeMap<String, Vec<String>> = index::tag_values(r)
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

/// Counts tag values of the matching documents, per field, from the fast columns.
struct FacetCounts {
    fields: Vec<&'static str>,
}

/// Matching documents are counted in batches: one call per column and batch reads the values of
/// the whole batch, instead of one per document and column.
struct SegmentFacetCounts {
    columns: Vec<(&'static str, StrColumn, Vec<u64>)>,
    /// Matching documents not yet counted.
    batch: Vec<DocId>,
    /// Scratch for a batch: the documents of each value row, the rows, their values.
    row_docs: Vec<DocId>,
    rows: Vec<RowId>,
    ords: Vec<u64>,
}

/// Documents per batch of [`SegmentFacetCounts`].
const FACET_BATCH: usize = 1024;

impl SegmentFacetCounts {
    fn count_batch(&mut self) {
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

/// Parses a search request from JSON text (the CLI's and tests' entry point).
pub fn request_from_json(json: &str) -> Result<SearchRequest, Error> {
    serde_json::from_str(json).map_err(|e| Error::Request(e.to_string()))
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
            stored_text(&forged).unwrap_err().contains("bytes in 0 left"),
            "{:?}",
            stored_text(&forged)
        );
        assert!(stored_text(&doc[..doc.len() - 1]).is_err());
        assert!(stored_text(&[0x81, 1, 0, 0, 0, 2, 0x81, 7])
            .unwrap_err()
            .contains("type 2"));
        assert!(stored_text(&[0x01]).is_err());
        // Multi-byte VInts: 300 = 44 + 2·128.
        assert_eq!(read_vint(&mut &[44, 0x82][..]), Some(300));
    }

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

    #[test]
    fn snippet_centres_on_the_terms_and_ranges_count_utf16() {
        let body = format!("{}盐碱地改良剂{}", "甲".repeat(300), "乙".repeat(300));
        let terms: HashSet<String> = ["盐碱", "碱地"].iter().map(|s| s.to_string()).collect();
        let (text, ranges) = snippet(&body, &terms);
        assert!(text.starts_with('…') && text.ends_with('…'));
        assert_eq!(ranges.len(), 1);
        let u16: Vec<u16> = text.encode_utf16().collect();
        assert_eq!(String::from_utf16(&u16[ranges[0][0]..ranges[0][1]]).unwrap(), "盐碱地");
    }
}
