//! Search: ranks, counts and pages the records that answer a request.

use crate::core::schema::TAG_FIELDS;
use crate::engine::facets::{FacetCounts, MatchedDocs};
use crate::engine::query::parse_query;
use crate::engine::recent::Counted;
use crate::engine::recent::Page;
use crate::engine::recent::SearchKey;
use crate::engine::recent::REMEMBERED_PAGES;
use crate::engine::request::today;
use crate::engine::request::{check_query, page_offset};
use crate::engine::snippet::highlight_terms;
use crate::engine::snippet::matching_spans;
use crate::engine::snippet::snippet;
use crate::engine::snippet::utf16_ranges;
use crate::engine::stored::str_values;
use crate::engine::stored::tags_of;
use crate::engine::Engine;
use crate::engine::Facets;
use crate::engine::Hit;
use crate::engine::SearchRequest;
use crate::engine::SearchResponse;
use crate::engine::Sort;
use crate::Error;
use std::collections::{BTreeMap, HashMap, HashSet};
use tantivy::collector::{Count, TopDocs};
use tantivy::columnar::StrColumn;
use tantivy::query::{EnableScoring, Query};
use tantivy::DocSet;
use tantivy::{DocAddress, DocId, Order, Score};

/// The ids of documents of one segment, from its id column.
pub(super) fn ids_in(col: &StrColumn, docs: &[DocId]) -> Result<Vec<String>, Error> {
    str_values(col, docs)?
        .into_iter()
        .map(|v| {
            v.into_iter()
                .next()
                .ok_or_else(|| Error::Index("document without id".into()))
        })
        .collect()
}

impl Engine {
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
                    c.relaxed,
                    c.partial,
                    c.pages.get(&(offset, req.size)).cloned(),
                )
            })
        });
        let (counted, top) = match known {
            Some((total, facets, relaxed, partial, page)) => {
                let top = match page {
                    Some(top) => top,
                    None => {
                        self.ranked(
                            req,
                            today,
                            if relaxed { 0.0 } else { self.options.min_match },
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
                        relaxed,
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
                            relaxed: true,
                            partial: true,
                            ..relaxed
                        },
                        top,
                    ),
                    _ => {
                        let partial = strict.total > 0 && !self.holds_a_whole_word(req, today, &top)?;
                        (Counted { partial, ..strict }, top)
                    }
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

    /// Whether some match of the search holds one of its free words whole (see
    /// [`Engine::whole_words_query`]); true for a search without free words. The page's hits are
    /// looked at first (where a good answer's whole-word holders are); only when none holds one
    /// are the other matches searched.
    fn holds_a_whole_word(&self, req: &SearchRequest, today: i64, page: &Page) -> Result<bool, Error> {
        let parsed = parse_query(&req.q);
        let (Some(text), Some(whole)) = (
            self.query_text(&parsed, self.options.min_match)?,
            self.whole_words_query(&parsed),
        ) else {
            return Ok(true);
        };
        let weight = whole.weight(EnableScoring::disabled_from_searcher(&self.searcher))?;
        for (_, addr) in page {
            let mut docs = weight.scorer(self.searcher.segment_reader(addr.segment_ord), 1.0)?;
            if docs.seek(addr.doc_id) == addr.doc_id {
                return Ok(true);
            }
        }
        let filters = self.filters(req, today)?;
        let mut all: Vec<&dyn Query> = filters.iter().map(|(_, q)| q.as_ref()).collect();
        all.push(whole.as_ref());
        let query = Self::combine(Some(text.as_ref()), &all);
        Ok(!self
            .searcher
            .search(query.as_ref(), &TopDocs::with_limit(1).order_by_score())?
            .is_empty())
    }

    /// Whether the engine remembers this very page of this search (nothing to fetch but its records).
    pub(super) fn remembers(&self, req: &SearchRequest) -> bool {
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
    pub(super) fn ranked(
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
        let scoreless = |top: Vec<(Option<i64>, DocAddress)>| top.into_iter().map(|(_, a)| (0.0, a)).collect();
        let (field, order) = if sort == Sort::Date {
            ("published", Order::Desc)
        } else {
            ("deadline", Order::Asc)
        };
        let (top, counts): (Page, Option<(usize, Facets)>) = match (sort, count) {
            (Sort::Relevance, true) => {
                let (top, total, facets) = s.search(q, &(limit.order_by_score(), Count, facet_collector))?;
                (top, Some((total, facets)))
            }
            (Sort::Relevance, false) => (s.search(q, &limit.order_by_score())?, None),
            (_, true) => {
                let (top, total, facets) = s.search(
                    q,
                    &(limit.order_by_fast_field::<i64>(field, order), Count, facet_collector),
                )?;
                (scoreless(top), Some((total, facets)))
            }
            (_, false) => (
                scoreless(s.search(q, &limit.order_by_fast_field::<i64>(field, order))?),
                None,
            ),
        };
        let counted = match counts {
            Some((total, mut facets)) => {
                // Each filtered field is counted over the text's matches and the other filters;
                // with two or more, the text's matches are collected once for all of them.
                let matched = match &text {
                    Some(text) if filtered_fields.len() > 1 => Some(s.search(text.as_ref(), &MatchedDocs)?),
                    _ => None,
                };
                let text = matched.as_ref().map_or(text.as_deref(), |m| Some(m as &dyn Query));
                for field in filtered_fields {
                    let others: Vec<&dyn Query> = filters
                        .iter()
                        .filter(|(n, _)| *n != field)
                        .map(|(_, q)| q.as_ref())
                        .collect();
                    let q = Self::combine(text, &others);
                    facets.extend(s.search(q.as_ref(), &FacetCounts { fields: vec![field] })?);
                }
                Some(Counted {
                    total,
                    facets,
                    relaxed: false,
                    partial: false,
                    pages: HashMap::new(),
                })
            }
            None => None,
        };
        Ok((if past_end { Vec::new() } else { top }, counted))
    }

    pub(super) fn hit(&self, addr: DocAddress, score: Score, terms: &HashSet<String>) -> Result<Hit, Error> {
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

    /// Top ids for a plain query, for `eval`: no filters, no snippets; partial answers as `search`.
    pub fn rank(&self, q: &str, limit: usize) -> Result<Vec<(String, f32)>, Error> {
        check_query(q)?;
        let parsed = parse_query(q);
        let mut top = Vec::new();
        for min_match in [self.options.min_match, 0.0] {
            let Some(query) = self.query_text(&parsed, min_match)? else {
                return Ok(Vec::new());
            };
            top = self
                .searcher
                .search(query.as_ref(), &TopDocs::with_limit(limit.max(1)).order_by_score())?;
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
    pub(super) fn id_column(&self, segment_ord: u32) -> Result<StrColumn, Error> {
        let reader = self.searcher.segment_reader(segment_ord);
        reader
            .fast_fields()
            .str("id")
            .ok()
            .flatten()
            .ok_or_else(|| Error::Index("id column missing".into()))
    }
}
