//! Index: the tantivy schema of a techmatch bundle and, natively, building it from records.
//!
//! Text fields (`title`, `keywords`, `body`) use the shared [`crate::tokenize`] analyzer with
//! positions, so phrases and the verbatim boost work. Tag fields are raw strings, indexed for
//! filters and fast for facet counts. TRL and dates are fast numeric fields; `city` (the city-level
//! region code) is fast for matching, which weighs a candidate's tags from the columns. The public
//! record is stored as JSON in `doc`; nothing else is stored. `words` holds the unstemmed Latin words of
//! all text, the vocabulary for substring lookups.

use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, FAST, STORED, STRING,
};
use tantivy::Index;

use crate::record::PublicRecord;
use crate::tokenize;

/// Tag fields: filterable and counted as facets. `region` holds the province.
pub const TAG_FIELDS: [&str; 7] = ["kind", "industries", "fields", "result_type", "modes", "region", "lang"];
/// Full-text fields and their weight in search (title above body).
pub const TEXT_FIELDS: [(&str, f32); 3] = [("title", 2.0), ("keywords", 2.0), ("body", 1.0)];
/// Deadline stored for records that have none: open forever.
pub const NO_DEADLINE: i64 = i64::MAX;
/// Publication date stored for records that have none: sorts last.
pub const NO_DATE: i64 = i64::MIN;

/// Handles to every field of the schema.
#[derive(Clone)]
pub struct Fields {
    pub id: Field,
    pub doc: Field,
    pub title: Field,
    pub keywords: Field,
    pub body: Field,
    pub words: Field,
    pub trl_min: Field,
    pub trl_max: Field,
    pub deadline: Field,
    pub published: Field,
    pub city: Field,
    pub tags: Vec<(&'static str, Field)>,
}

impl Fields {
    /// Looks the fields up in an index's schema (fails on a schema of another version).
    pub fn from_schema(schema: &Schema) -> tantivy::Result<Fields> {
        let f = |name: &str| schema.get_field(name);
        Ok(Fields {
            id: f("id")?,
            doc: f("doc")?,
            title: f("title")?,
            keywords: f("keywords")?,
            body: f("body")?,
            words: f("words")?,
            trl_min: f("trl_min")?,
            trl_max: f("trl_max")?,
            deadline: f("deadline")?,
            published: f("published")?,
            city: f("city")?,
            tags: TAG_FIELDS
                .iter()
                .map(|n| Ok((*n, f(n)?)))
                .collect::<tantivy::Result<_>>()?,
        })
    }

    /// The text field for a name of [`TEXT_FIELDS`].
    pub fn text(&self, name: &str) -> Field {
        match name {
            "title" => self.title,
            "keywords" => self.keywords,
            _ => self.body,
        }
    }

    pub fn tag(&self, name: &str) -> Option<Field> {
        self.tags.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }
}

/// The schema every bundle of this format version has.
pub fn schema() -> Schema {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenize::ANALYZER_NAME)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let number = NumericOptions::default().set_indexed().set_fast();
    b.add_text_field("id", STRING | FAST);
    b.add_text_field("doc", STORED);
    b.add_text_field("title", text.clone());
    b.add_text_field("keywords", text.clone());
    b.add_text_field("body", text);
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenize::WORDS_ANALYZER_NAME)
            .set_index_option(IndexRecordOption::Basic),
    );
    b.add_text_field("words", words);
    b.add_u64_field("trl_min", number.clone());
    b.add_u64_field("trl_max", number.clone());
    b.add_i64_field("deadline", number.clone());
    b.add_i64_field("published", number);
    b.add_text_field("city", STRING | FAST);
    for name in TAG_FIELDS {
        b.add_text_field(name, STRING | FAST);
    }
    b.build()
}

/// Registers the shared analyzer on an index (needed before querying or writing).
pub fn register_analyzer(index: &Index) {
    index
        .tokenizers()
        .register(tokenize::ANALYZER_NAME, tokenize::analyzer());
    index
        .tokenizers()
        .register(tokenize::WORDS_ANALYZER_NAME, tokenize::words_analyzer());
}

/// Tag values of a record per tag field.
pub fn tag_values(r: &PublicRecord) -> Vec<(&'static str, Vec<String>)> {
    let one = |v: &Option<String>| v.iter().cloned().collect::<Vec<_>>();
    vec![
        ("kind", vec![r.kind.clone()]),
        ("industries", r.industries.clone()),
        ("fields", r.fields.clone()),
        ("result_type", one(&r.result_type)),
        ("modes", r.modes.clone()),
        ("region", one(&r.province)),
        ("lang", vec![r.lang.clone()]),
    ]
}

#[cfg(feature = "cli")]
pub use writer::build;

#[cfg(feature = "cli")]
mod writer {
    use std::io::Write;
    use std::path::{Path, PathBuf};

    use tantivy::directory::{CompositeFile, CompositeWrite, Directory, RamDirectory};
    use tantivy::index::SegmentComponent;
    use tantivy::postings::TermInfo;
    use tantivy::termdict::TermDictionary;
    use tantivy::{Index, IndexSettings, TantivyDocument};
    use tantivy_common::VInt;

    use super::*;
    use crate::record::parse_date;

    /// The files of a segment that a reader needs (no deletes: bundles are written once).
    const SEGMENT_FILES: [SegmentComponent; 6] = [
        SegmentComponent::Postings,
        SegmentComponent::Positions,
        SegmentComponent::Terms,
        SegmentComponent::Store,
        SegmentComponent::FastFields,
        SegmentComponent::FieldNorms,
    ];

    /// Memory for the single indexing thread; larger inputs are merged into one segment anyway.
    const WRITER_MEMORY: usize = 400_000_000;

    fn document(f: &Fields, r: &PublicRecord) -> TantivyDocument {
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
    const DOCSTORE_BLOCK: usize = 4096;

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
    const TERM_BLOCK: usize = 1_000;

    /// Rewrites the term dictionaries of the segment file `path` in blocks of [`TERM_BLOCK`] key bytes:
    /// the same terms with the same postings addresses, read by tantivy as its own.
    fn reblock_terms(dir: &dyn Directory, schema: &Schema, path: &Path) -> tantivy::Result<()> {
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
    struct TermInfoBlock(Vec<TermInfo>);

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
    fn reproducible(mut files: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
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
}
