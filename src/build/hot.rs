//! Hot ranges (CLI only): the builder opens its own bundle lazily and records what opening reads.

use crate::bundle::Bundle;
use crate::core::schema::TEXT_FIELDS;
use crate::engine::{Engine, SearchRequest, Sort, TrlRange};
use crate::Error;

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
    let cache = bundle
        .cache
        .clone()
        .ok_or_else(|| Error::Unreadable("not lazy".into()))?;
    let (opened, read) = cache.record(|| Engine::open(bundle).and_then(|e| warm_up(&e)));
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

/// What opening a lazy bundle should fetch up front: the index's footers and block indexes,
/// every term dictionary's index, the text fields' norms and every fast column (ids,
/// filters, sorting, facet counts).
pub(super) fn warm_up(engine: &Engine) -> Result<(), Error> {
    let searcher = engine.searcher();
    let schema = searcher.schema();
    for segment in searcher.segment_readers() {
        for (field, entry) in schema.fields() {
            if entry.is_indexed() {
                segment.inverted_index(field)?;
            }
        }
        for (name, _) in TEXT_FIELDS {
            segment.get_fieldnorms_reader(schema.get_field(name)?)?;
        }
    }
    engine.stats()?;
    // Pages past the end: every column a filter or a sort reads, no stored record.
    let past_end = searcher.num_docs() as usize + 1;
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
    engine.search(&every_filter)?;
    engine.search(&SearchRequest {
        page: past_end,
        size: 1,
        ..SearchRequest::default()
    })?;
    Ok(())
}
