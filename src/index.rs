//! Index: the tantivy schema of a techmatch bundle and, natively, building it from records.
//!
//! Text fields (`title`, `keywords`, `body`) use the shared [`crate::tokenize`] analyzer with
//! positions, so phrases and the verbatim boost work. Tag fields are raw strings, indexed for
//! filters and fast for facet counts. TRL and dates are fast numeric fields. The public record is
//! stored as JSON in `doc`; nothing else is stored. `words` holds the unstemmed Latin words of
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
            tags: TAG_FIELDS.iter().map(|n| Ok((*n, f(n)?))).collect::<tantivy::Result<_>>()?,
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
    let words = TextOptions::default()
        .set_indexing_options(TextFieldIndexing::default().set_tokenizer(tokenize::WORDS_ANALYZER_NAME).set_index_option(IndexRecordOption::Basic));
    b.add_text_field("words", words);
    b.add_u64_field("trl_min", number.clone());
    b.add_u64_field("trl_max", number.clone());
    b.add_i64_field("deadline", number.clone());
    b.add_i64_field("published", number);
    for name in TAG_FIELDS {
        b.add_text_field(name, STRING | FAST);
    }
    b.build()
}

/// Registers the shared analyzer on an index (needed before querying or writing).
pub fn register_analyzer(index: &Index) {
    index.tokenizers().register(tokenize::ANALYZER_NAME, tokenize::analyzer());
    index.tokenizers().register(tokenize::WORDS_ANALYZER_NAME, tokenize::words_analyzer());
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
    use std::path::PathBuf;

    use tantivy::directory::{Directory, RamDirectory};
    use tantivy::index::SegmentComponent;
    use tantivy::{Index, IndexSettings, TantivyDocument};

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
        d.add_text(f.doc, serde_json::to_string(r).expect("a public record always serialises"));
        d.add_text(f.title, &r.title);
        for k in &r.keywords {
            d.add_text(f.keywords, k);
        }
        let body = r.body();
        for text in [r.title.as_str(), body.as_str()].into_iter().chain(r.keywords.iter().map(String::as_str)) {
            d.add_text(f.words, text);
        }
        d.add_text(f.body, body);
        if let (Some(lo), Some(hi)) = (r.trl_min, r.trl_max) {
            d.add_u64(f.trl_min, lo.into());
            d.add_u64(f.trl_max, hi.into());
        }
        let day = |s: &Option<String>| s.as_deref().and_then(parse_date);
        d.add_i64(f.deadline, day(&r.deadline).unwrap_or(NO_DEADLINE));
        d.add_i64(f.published, day(&r.published).unwrap_or(NO_DATE));
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
        let index = Index::create(RamDirectory::create(), schema(), IndexSettings { docstore_blocksize: DOCSTORE_BLOCK, ..IndexSettings::default() })?;
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
        let mut paths = vec![PathBuf::from("meta.json")];
        for meta in index.searchable_segment_metas()? {
            paths.extend(SEGMENT_FILES.iter().map(|c| meta.relative_path(c.clone())));
        }
        let dir = index.directory();
        let mut files = Vec::new();
        for path in paths {
            if dir.exists(&path)? {
                files.push((path.to_string_lossy().into_owned(), dir.atomic_read(&path)?));
            }
        }
        Ok(reproducible(files))
    }

    /// Renames the segment after its content (tantivy names it with a random UUID), so the same
    /// input gives byte-identical files.
    fn reproducible(mut files: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
        files.sort();
        let Some(random) = files.iter().find_map(|(name, _)| name.split_once('.').map(|(id, _)| id.to_string())).filter(|id| id.len() == 32) else {
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
        let dashed = |id: &str| format!("{}-{}-{}-{}-{}", &id[..8], &id[8..12], &id[12..16], &id[16..20], &id[20..]);
        for (name, bytes) in &mut files {
            if name == "meta.json" {
                let text = String::from_utf8_lossy(bytes).replace(&random, &stable).replace(&dashed(&random), &dashed(&stable));
                *bytes = text.into_bytes();
            } else {
                *name = name.replacen(&random, &stable, 1);
            }
        }
        files.sort();
        files
    }
}
