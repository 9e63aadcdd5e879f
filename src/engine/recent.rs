//! Recent answers: the searches and matches an engine remembers, so asking again or paging is cheap.

use crate::engine::Facets;
use crate::engine::QueryOptions;
use crate::engine::SearchRequest;
use crate::engine::Sort;
use crate::engine::TrlRange;
use std::collections::{BTreeMap, HashMap, VecDeque};
use tantivy::{DocAddress, Score};

/// Searches, and matches, remembered per engine.
pub(super) const REMEMBERED: usize = 32;

/// Pages remembered per search.
pub(super) const REMEMBERED_PAGES: usize = 16;

/// What identifies a search's hits apart from the page: the request with today resolved, and the
/// engine's query options.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SearchKey {
    pub(super) q: String,
    pub(super) kind: Option<String>,
    pub(super) filters: BTreeMap<String, Vec<String>>,
    pub(super) trl: Option<TrlRange>,
    /// Today, for a request of open records only.
    pub(super) open_on: Option<i64>,
    pub(super) sort: Sort,
    pub(super) options: QueryOptions,
}

impl SearchKey {
    pub(super) fn of(req: &SearchRequest, today: i64, options: &QueryOptions) -> SearchKey {
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
pub(super) type Page = Vec<(Score, DocAddress)>;

/// A search's total and facet counts, and its pages ranked so far by (offset, size).
#[derive(Debug, Clone, Default)]
pub(super) struct Counted {
    pub(super) total: usize,
    pub(super) facets: Facets,
    /// No record holds most of a query word: counted over records holding any of its terms.
    pub(super) relaxed: bool,
    /// `relaxed`, or no match holds a query word whole ([`Engine::whole_words_query`]).
    pub(super) partial: bool,
    pub(super) pages: HashMap<(usize, usize), Page>,
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
