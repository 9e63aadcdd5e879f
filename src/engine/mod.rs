//! Engine (CLI and WASM): an opened bundle answering search (full-text queries with filters, facets,
//! paging and snippets) and two-way matching with a score and its reasons.
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

mod candidates;
mod facets;
mod matching;
mod plan;
mod query;
mod recent;
mod request;
mod score;
mod search;
mod snippet;
mod store;
mod stored;

pub use query::{QueryOptions, MAX_SUBSTRING_WORDS};
pub use request::{
    request_from_json, Facets, Hit, MatchHit, MatchRequest, MatchResponse, MatchTags, Planned, Reason, SearchRequest,
    SearchResponse, Sort, Stats, TrlRange, MAX_MATCH_CHARS, MAX_PAGE_SIZE, MAX_QUERY_CHARS, MAX_QUERY_WORDS,
    MAX_TAG_VALUES, MAX_VALUE_CHARS,
};

use crate::bundle::{BlockCache, Bundle, Header, Transfer};
use crate::core::schema::{self, Fields, TAG_FIELDS};
use crate::engine::facets::FacetCounts;
use crate::engine::recent::Counted;
use crate::engine::recent::Recent;
use crate::engine::recent::SearchKey;
use crate::Error;
use std::sync::{Arc, Mutex};
use tantivy::query::AllQuery;
use tantivy::{Index, ReloadPolicy, Searcher};

/// Store blocks each segment's reader keeps decompressed (tantivy's own searcher keeps as many).
const STORE_CACHE_BLOCKS: usize = 100;

/// An opened bundle, ready to search and match. Cheap to share; never writes.
pub struct Engine {
    searcher: Searcher,
    /// Each segment's stored records (read by [`stored_text`]).
    stores: Vec<store::Store>,
    fields: Fields,
    header: Header,
    bundle_bytes: u64,
    /// The fetched blocks of a lazily opened bundle.
    cache: Option<Arc<BlockCache>>,
    /// How free text is turned into a query.
    pub options: QueryOptions,
    /// What recent searches counted and ranked, so that asking again or paging is cheap.
    answers: Mutex<Recent<SearchKey, Counted>>,
    /// Recent matches, answered whole.
    matches: Mutex<Recent<(crate::engine::MatchRequest, i64), crate::engine::MatchResponse>>,
}

impl Engine {
    /// Opens a verified bundle.
    pub fn open(bundle: Bundle) -> Result<Engine, Error> {
        let index = Index::open(bundle.directory())
            .map_err(|e| Error::Unreadable(format!("cannot open the index inside the bundle: {e}")))?;
        schema::register_analyzer(&index);
        let fields = Fields::from_schema(&index.schema())
            .map_err(|e| Error::Unreadable(format!("index schema is not techmatch's: {e}")))?;
        // Checked before the searcher opens them: tantivy trusts a store's footer and block index.
        let stores = store::open_stores(&index, STORE_CACHE_BLOCKS)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .doc_store_cache_num_blocks(0) // tantivy's store readers go unused: see `store`
            .num_warming_threads(0)
            .try_into()
            .map_err(|e| Error::Unreadable(format!("cannot read the index: {e}")))?;
        let searcher = reader.searcher();
        Ok(Engine {
            stores: store::in_searcher_order(stores, &searcher)?,
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

    /// The underlying tantivy searcher, for tools that inspect the index itself.
    pub fn searcher(&self) -> &Searcher {
        &self.searcher
    }

    /// Counts, facet vocabularies and file table.
    pub fn stats(&self) -> Result<Stats, Error> {
        let facets = self.searcher.search(
            &AllQuery,
            &FacetCounts {
                fields: TAG_FIELDS.to_vec(),
            },
        )?;
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
}
