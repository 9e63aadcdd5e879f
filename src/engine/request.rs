//! Requests and answers: what a broker asks of the engine and what it gets back, for search and matching alike.

use crate::core::record::parse_date;
use crate::engine::query::parse_query;
use crate::Error;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

/// Largest page a query may ask for.
pub const MAX_PAGE_SIZE: usize = 1000;

/// Longest query text accepted (characters).
pub const MAX_QUERY_CHARS: usize = 2000;

/// Most words (free words, phrases and exclusions together) in one query.
pub const MAX_QUERY_WORDS: usize = 64;

/// Most distinct values of one tag filter, and of one tag list of a match (duplicates are folded).
pub const MAX_TAG_VALUES: usize = 100;

/// Longest tag value, record id, date or kind in a request (characters).
pub const MAX_VALUE_CHARS: usize = 200;

/// Longest free text to match (characters): a need or result pasted whole.
pub const MAX_MATCH_CHARS: usize = 8000;

/// How results are ordered.
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify), tsify(hashmap_as_object))]
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
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify), tsify(hashmap_as_object))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrlRange {
    pub min: Option<u8>,
    pub max: Option<u8>,
}

/// What a broker asks for.
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify), tsify(hashmap_as_object))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchRequest {
    pub q: String,
    /// `need`, `challenge`, `result`, or `needs` for needs and challenges together.
    #[cfg_attr(
        target_arch = "wasm32",
        tsify(type = "\"need\" | \"challenge\" | \"result\" | \"needs\"")
    )]
    pub kind: Option<String>,
    /// Tag filters: AND across fields, OR within one field: kind, industries, fields, result_type,
    /// modes, region, lang.
    pub filters: BTreeMap<String, Vec<String>>,
    pub trl: Option<TrlRange>,
    /// Only records whose deadline has not passed.
    pub open: bool,
    pub sort: Sort,
    /// 1-based.
    pub page: usize,
    /// 1 to 1000, default 10.
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
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify), tsify(hashmap_as_object))]
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

/// Facet counts: field → value → number of records.
pub type Facets = BTreeMap<String, BTreeMap<String, u64>>;

/// The answer to a [`SearchRequest`].
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify), tsify(hashmap_as_object))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResponse {
    pub total: usize,
    pub hits: Vec<Hit>,
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Record<string, Record<string, number>>"))]
    pub facets: Facets,
    /// A partial answer: no record holds most of each query word (these hits hold some of its
    /// terms), or none holds any query word whole, only pieces of it (计算机 for 量子计算机).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
}

/// Counts of the bundle, for `inspect` and `stats()`.
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify), tsify(hashmap_as_object))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub format_version: u32,
    pub tokenizer: String,
    pub bundle_bytes: u64,
    pub records: u64,
    pub counts: crate::bundle::Counts,
    /// Every tag value with its number of records.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Record<string, Record<string, number>>"))]
    pub facets: Facets,
    pub files: Vec<crate::bundle::FileEntry>,
}

/// The answer of a request on a lazily opened bundle: the answer, or the byte ranges to fetch first.
#[derive(Debug, PartialEq)]
pub enum Planned<T> {
    Done(T),
    Fetch(Vec<Range<u64>>),
}

/// `Err` naming `field` when `text` is longer than `max` characters.
fn check_chars(field: &str, text: &str, max: usize) -> Result<(), Error> {
    match text.chars().nth(max) {
        Some(_) => Err(Error::Request(format!(
            "{field}: at most {max} characters, found {}",
            text.chars().count()
        ))),
        None => Ok(()),
    }
}

/// `Err` naming `field` when `values` hold more than [`MAX_TAG_VALUES`] distinct values or one
/// longer than [`MAX_VALUE_CHARS`].
fn check_values(field: &str, values: &[String]) -> Result<(), Error> {
    for v in values {
        check_chars(field, v, MAX_VALUE_CHARS)?;
    }
    let distinct = values.iter().collect::<BTreeSet<_>>().len();
    if distinct > MAX_TAG_VALUES {
        return Err(Error::Request(format!(
            "{field}: at most {MAX_TAG_VALUES} different values, found {distinct}"
        )));
    }
    Ok(())
}

/// `Err` unless `size` is from 1 to [`MAX_PAGE_SIZE`].
pub(super) fn check_size(size: usize) -> Result<(), Error> {
    if size == 0 || size > MAX_PAGE_SIZE {
        return Err(Error::Request(format!(
            "size: must be from 1 to {MAX_PAGE_SIZE}, found {size}"
        )));
    }
    Ok(())
}

/// `Err` naming `q` when a query text is longer than [`MAX_QUERY_CHARS`] or has more than
/// [`MAX_QUERY_WORDS`] words.
pub(super) fn check_query(q: &str) -> Result<(), Error> {
    check_chars("q", q, MAX_QUERY_CHARS)?;
    let parsed = parse_query(q);
    let words = parsed.free.len() + parsed.phrases.len() + parsed.excluded.len();
    if words > MAX_QUERY_WORDS {
        return Err(Error::Request(format!(
            "q: at most {MAX_QUERY_WORDS} words, found {words}"
        )));
    }
    Ok(())
}

/// The offset of a request's page, after checking every field against its bound (the size, the
/// page, the query's characters and words, the filters' values).
pub(super) fn page_offset(req: &SearchRequest) -> Result<usize, Error> {
    check_size(req.size)?;
    check_query(&req.q)?;
    for (field, values) in &req.filters {
        check_chars("filters", field, MAX_VALUE_CHARS)?;
        check_values(&format!("filters.{field}"), values)?;
    }
    for (field, value) in [("kind", &req.kind), ("today", &req.today)] {
        check_chars(field, value.as_deref().unwrap_or_default(), MAX_VALUE_CHARS)?;
    }
    let page = req.page.max(1);
    (page - 1)
        .checked_mul(req.size)
        .filter(|o| *o < u32::MAX as usize)
        .ok_or_else(|| Error::Request(format!("page {page} is out of range")))
}

/// `Err` naming the field of a match request that is over its bound (size, id, text, tags).
pub(super) fn check_match(req: &MatchRequest) -> Result<(), Error> {
    check_size(req.size)?;
    check_chars("text", req.text.as_deref().unwrap_or_default(), MAX_MATCH_CHARS)?;
    let t = &req.tags;
    for (field, value) in [
        ("id", &req.id),
        ("today", &req.today),
        ("tags.side", &t.side),
        ("tags.region", &t.region),
        ("tags.deadline", &t.deadline),
    ] {
        check_chars(field, value.as_deref().unwrap_or_default(), MAX_VALUE_CHARS)?;
    }
    for (field, values) in [
        ("tags.industries", &t.industries),
        ("tags.fields", &t.fields),
        ("tags.modes", &t.modes),
    ] {
        check_values(field, values)?;
    }
    Ok(())
}

/// Today as days since 1970, from a request or the clock.
pub(crate) fn today(given: Option<&str>) -> Result<i64, Error> {
    match given {
        Some(s) => parse_date(s).ok_or_else(|| Error::Request(format!("today: not a date in YYYY-MM-DD form: {s:?}"))),
        None => Ok(crate::core::clock::today()),
    }
}

/// Parses a search request from JSON text (the CLI's and tests' entry point).
pub fn request_from_json(json: &str) -> Result<SearchRequest, Error> {
    serde_json::from_str(json).map_err(|e| Error::Request(e.to_string()))
}
/// Tags of a free-text source (all optional).
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify), tsify(hashmap_as_object))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatchTags {
    /// What the text describes: `need` (default, finds results) or `result` (finds needs).
    #[cfg_attr(target_arch = "wasm32", tsify(type = "\"need\" | \"result\""))]
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
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify), tsify(hashmap_as_object))]
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
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify), tsify(hashmap_as_object))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// `terms`, `industry`, `field`, `trl_fit`, `trl_miss`, `mode_fit`, `mode_conflict`, `open`, `expired`, `region`.
    pub kind: String,
    /// The evidence itself (terms, tags, levels, modes), language-neutral for the widget to phrase.
    pub detail: String,
    /// Points added to (or taken from) the score.
    pub contribution: f32,
}

/// One record a match found, with its score and the reasons that make it up.
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify), tsify(hashmap_as_object))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchHit {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub score: f32,
    pub reasons: Vec<Reason>,
}

/// The answer to a [`MatchRequest`], best first.
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify), tsify(hashmap_as_object))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchResponse {
    pub hits: Vec<MatchHit>,
}
