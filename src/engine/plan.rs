//! Lazy planning: what a request on a lazily opened bundle must fetch before it can be answered.

use crate::engine::query::parse_query;
use crate::engine::request::{page_offset, today};
use crate::engine::Engine;
use crate::engine::Planned;
use crate::engine::SearchRequest;
use crate::Error;
use tantivy::postings::TermInfo;
use tantivy::query::Query;
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

impl Engine {
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
        })?;
        if wanted.is_empty() {
            answer.map(Planned::Done)
        } else {
            Ok(Planned::Fetch(wanted))
        }
    }

    /// Whether every read so far was answered: a planning run that missed a block may have
    /// counted or ranked less than there is, and must not be remembered.
    pub(crate) fn complete(&self) -> bool {
        self.cache.as_ref().is_none_or(|c| !c.missed())
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
        if page_offset(req).is_err() || self.remembers(req) {
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
}
