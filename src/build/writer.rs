//! Index writer (CLI only): one tantivy segment in memory from the public records, its term
//! dictionaries rewritten in smaller blocks, returned as files for the bundle.

use std::io::Write;
use std::path::{Path, PathBuf};

use tantivy::directory::{CompositeFile, CompositeWrite, Directory, RamDirectory};
use tantivy::index::SegmentComponent;
use tantivy::postings::TermInfo;
use tantivy::termdict::TermDictionary;
use tantivy::{Index, IndexSettings, TantivyDocument};
use tantivy_common::VInt;

use crate::core::record::parse_date;
use crate::core::record::PublicRecord;
use crate::core::schema::register_analyzer;
use crate::core::schema::schema;
use crate::core::schema::tag_values;
use crate::core::schema::Fields;
use crate::core::schema::NO_DATE;
use crate::core::schema::NO_DEADLINE;
use tantivy::schema::Schema;

/// The files of a segment that a reader needs (no deletes: bundles are written once).
pub(super) const SEGMENT_FILES: [SegmentComponent; 6] = [
    SegmentComponent::Postings,
    SegmentComponent::Positions,
    SegmentComponent::Terms,
    SegmentComponent::Store,
    SegmentComponent::FastFields,
    SegmentComponent::FieldNorms,
];

/// Memory for the single indexing thread; larger inputs are merged into one segment anyway.
pub(super) const WRITER_MEMORY: usize = 400_000_000;

pub(super) fn document(f: &Fields, r: &PublicRecord) -> TantivyDocument {
    let mut d = TantivyDocument::default();
    d.add_text(f.id, &r.id);
    d.add_text(
        f.doc,
        serde_json::to_string(r).expect("a public record always serialises"),
    );
    d.add_text(f.title, &r.title);
    for k in &r.keywords {
        d.add_text(f.keywords, k);
    }
    let body = r.body();
    for text in [r.title.as_str(), body.as_str()]
        .into_iter()
        .chain(r.keywords.iter().map(String::as_str))
    {
        d.add_text(f.words, text);
    }
    d.add_text(f.body, body);
    // A need that gives one bound is at that level, as matching reads it.
    if let (Some(lo), Some(hi)) = (r.trl_min.or(r.trl_max), r.trl_max.or(r.trl_min)) {
        d.add_u64(f.trl_min, lo.into());
        d.add_u64(f.trl_max, hi.into());
    }
    let day = |s: &Option<String>| s.as_deref().and_then(parse_date);
    d.add_i64(f.deadline, day(&r.deadline).unwrap_or(NO_DEADLINE));
    d.add_i64(f.published, day(&r.published).unwrap_or(NO_DATE));
    if let Some(city) = &r.region {
        d.add_text(f.city, city);
    }
    for (name, values) in tag_values(r) {
        let field = f.tag(name).expect("every tag field is in the schema");
        for v in values {
            d.add_text(field, v);
        }
    }
    d
}

/// Uncompressed bytes per block of stored records. A lazily loaded bundle fetches a whole
/// block per hit shown: 4 KiB blocks (two or three CSL records) make the CSL bundle 3% larger
/// than tantivy's 16 KiB do, and each hit's fetch a quarter as large.
pub(super) const DOCSTORE_BLOCK: usize = 4096;

/// Indexes public records, in order, into one segment; returns the files of the index.
///
/// Doc ids follow input order, so the same input gives the same search results.
pub fn build(records: &[PublicRecord], progress: &dyn Fn(u64)) -> tantivy::Result<Vec<(String, Vec<u8>)>> {
    let index = Index::create(
        RamDirectory::create(),
        schema(),
        IndexSettings {
            docstore_blocksize: DOCSTORE_BLOCK,
            ..IndexSettings::default()
        },
    )?;
    register_analyzer(&index);
    let f = Fields::from_schema(&index.schema())?;
    let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, WRITER_MEMORY)?;
    for (i, r) in records.iter().enumerate() {
        writer.add_document(document(&f, r))?;
        if i % 256 == 255 {
            progress(256);
        }
    }
    progress(records.len() as u64 % 256);
    writer.commit()?;
    let segments = index.searchable_segment_ids()?;
    if segments.len() > 1 {
        writer.merge(&segments).wait()?;
    }
    writer.wait_merging_threads()?;
    let dir = index.directory();
    let mut paths = vec![PathBuf::from("meta.json")];
    for meta in index.searchable_segment_metas()? {
        reblock_terms(dir, &index.schema(), &meta.relative_path(SegmentComponent::Terms))?;
        paths.extend(SEGMENT_FILES.iter().map(|c| meta.relative_path(c.clone())));
    }
    let mut files = Vec::new();
    for path in paths {
        if dir.exists(&path)? {
            files.push((path.to_string_lossy().into_owned(), dir.atomic_read(&path)?));
        }
    }
    Ok(reproducible(files))
}

/// Key bytes per block of the term dictionaries (the terms' postings addresses come on top);
/// tantivy writes 4,000. A term lookup decodes its whole block and a lazily loaded bundle
/// fetches it: smaller blocks make both cheaper, for a slightly larger block index in the
/// bundle's opening (BENCHMARKS.md, "Term dictionary blocks").
pub(super) const TERM_BLOCK: usize = 1_000;

/// Rewrites the term dictionaries of the segment file `path` in blocks of [`TERM_BLOCK`] key bytes:
/// the same terms with the same postings addresses, read by tantivy as its own.
pub(super) fn reblock_terms(dir: &dyn Directory, schema: &Schema, path: &Path) -> tantivy::Result<()> {
    let old = CompositeFile::open(&dir.open_read(path)?)?;
    dir.delete(path)
        .map_err(|e| tantivy::TantivyError::InternalError(e.to_string()))?;
    let mut out = CompositeWrite::wrap(dir.open_write(path)?);
    for (field, _) in schema.fields() {
        let Some(file) = old.open_read(field) else { continue };
        // tantivy's dictionary is an sstable followed by 4 bytes naming its kind.
        let (_, kind) = file.clone().split_from_end(4);
        let dict = TermDictionary::open(file)?;
        let target = out.for_field(field);
        let mut sstable = tantivy_sstable::Writer::<_, TermInfoBlock>::new(&mut *target);
        sstable.set_block_len(TERM_BLOCK);
        let mut terms = dict.stream()?;
        while terms.advance() {
            sstable.insert(terms.key(), terms.value())?;
        }
        sstable.finish()?;
        target.write_all(kind.read_bytes()?.as_slice())?;
    }
    out.close()?;
    Ok(())
}

/// The values of one block of a term dictionary, encoded as tantivy's `TermInfoValueWriter`
/// does: count, the first postings and positions offsets, then per term its document
/// frequency and the lengths of its postings and positions.
#[derive(Default)]
pub(super) struct TermInfoBlock(Vec<TermInfo>);

impl tantivy_sstable::value::ValueWriter for TermInfoBlock {
    type Value = TermInfo;

    fn write(&mut self, info: &TermInfo) {
        self.0.push(info.clone());
    }

    fn serialize_block(&self, out: &mut Vec<u8>) {
        VInt(self.0.len() as u64).serialize_into_vec(out);
        let Some(first) = self.0.first() else { return };
        VInt(first.postings_range.start as u64).serialize_into_vec(out);
        VInt(first.positions_range.start as u64).serialize_into_vec(out);
        for info in &self.0 {
            VInt(u64::from(info.doc_freq)).serialize_into_vec(out);
            VInt(info.postings_range.len() as u64).serialize_into_vec(out);
            VInt(info.positions_range.len() as u64).serialize_into_vec(out);
        }
    }

    fn clear(&mut self) {
        self.0.clear();
    }
}

/// Renames the segment after its content (tantivy names it with a random UUID), so the same
/// input gives byte-identical files.
pub(super) fn reproducible(mut files: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    files.sort();
    let Some(random) = files
        .iter()
        .find_map(|(name, _)| name.split_once('.').map(|(id, _)| id.to_string()))
        .filter(|id| id.len() == 32)
    else {
        return files;
    };
    // FNV-1a, 128 bits, over every segment file: a stable name, not a security property.
    let mut hash: u128 = 0x6c62272e07bb014262b821756295c58d;
    for (name, bytes) in files.iter().filter(|(n, _)| n.starts_with(&random)) {
        for b in name[random.len()..].bytes().chain(bytes.iter().copied()) {
            hash = (hash ^ u128::from(b)).wrapping_mul(0x0000000001000000000000000000013B);
        }
    }
    let stable = format!("{hash:032x}");
    let dashed = |id: &str| {
        format!(
            "{}-{}-{}-{}-{}",
            &id[..8],
            &id[8..12],
            &id[12..16],
            &id[16..20],
            &id[20..]
        )
    };
    for (name, bytes) in &mut files {
        if name == "meta.json" {
            let text = String::from_utf8_lossy(bytes)
                .replace(&random, &stable)
                .replace(&dashed(&random), &dashed(&stable));
            *bytes = text.into_bytes();
        } else {
            *name = name.replacen(&random, &stable, 1);
        }
    }
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use std::ops::Bound;

    use tantivy::collector::Count;
    use tantivy::query::TermQuery;
    use tantivy::schema::{Field, IndexRecordOption};
    use tantivy::{HasLen, Term};

    use super::*;

    /// Every (field, term, postings address) of the term file `path`, and its largest block.
    fn dictionaries(dir: &dyn Directory, schema: &Schema, path: &Path) -> (Vec<(Field, Vec<u8>, TermInfo)>, usize) {
        let file = CompositeFile::open(&dir.open_read(path).unwrap()).unwrap();
        let (mut terms, mut largest_block) = (Vec::new(), 0);
        for (field, _) in schema.fields() {
            let Some(slice) = file.open_read(field) else { continue };
            let dict = TermDictionary::open(slice).unwrap();
            let mut stream = dict.stream().unwrap();
            while stream.advance() {
                let key = stream.key();
                largest_block = largest_block.max(
                    dict.file_slice_for_range((Bound::Included(key), Bound::Included(key)), None)
                        .len(),
                );
                terms.push((field, key.to_vec(), stream.value().clone()));
            }
        }
        (terms, largest_block)
    }

    #[test]
    fn reblocked_term_dictionaries_hold_the_same_terms_in_smaller_blocks() {
        let index = Index::create_in_ram(schema());
        register_analyzer(&index);
        let f = Fields::from_schema(&index.schema()).unwrap();
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, 15_000_000).unwrap();
        for i in 0..3_000u32 {
            let mut d = TantivyDocument::default();
            d.add_text(f.id, format!("R{i}"));
            d.add_text(f.title, format!("第{i}号 耐高温涂层 coating{i}"));
            d.add_text(
                f.body,
                format!(
                    "{} 材料{}",
                    i * 7_919 % 10_007,
                    char::from_u32(0x4e00 + i % 2_000).unwrap()
                ),
            );
            writer.add_document(d).unwrap();
        }
        writer.commit().unwrap();
        let path = index.searchable_segment_metas().unwrap()[0].relative_path(SegmentComponent::Terms);
        let (before, before_block) = dictionaries(index.directory(), &index.schema(), &path);
        reblock_terms(index.directory(), &index.schema(), &path).unwrap();
        let (after, after_block) = dictionaries(index.directory(), &index.schema(), &path);
        assert!(before.len() > 10_000, "{} terms", before.len());
        assert!(before == after, "the terms or their postings addresses changed");
        assert!(
            after_block * 3 < before_block,
            "largest block {before_block} → {after_block} bytes"
        );
        // tantivy reads the rewritten file as its own.
        let searcher = index.reader().unwrap().searcher();
        for (id, n) in [("R0", 1), ("R2999", 1), ("R3000", 0)] {
            assert_eq!(
                searcher
                    .search(
                        &TermQuery::new(Term::from_field_text(f.id, id), IndexRecordOption::Basic),
                        &Count
                    )
                    .unwrap(),
                n,
                "{id}"
            );
        }
    }
}
