//! Schema: the tantivy schema of a techmatch bundle, and the tag values a record is indexed under.
//!
//! Text fields (`title`, `keywords`, `body`) use the shared [`crate::core::tokenize`] analyzer with
//! positions, so phrases and the verbatim boost work. Tag fields are raw strings, indexed for
//! filters and fast for facet counts. TRL and dates are fast numeric fields; `city` (the city-level
//! region code) is fast for matching, which weighs a candidate's tags from the columns. The public
//! record is stored as JSON in `doc`; nothing else is stored. `words` holds the unstemmed Latin words of
//! all text, the vocabulary for substring lookups.

use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, FAST, STORED, STRING,
};
use tantivy::Index;

use crate::core::record::PublicRecord;
use crate::core::tokenize;

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

    /// The text fields in the order of [`TEXT_FIELDS`].
    pub fn text_fields(&self) -> [Field; 3] {
        TEXT_FIELDS.map(|(name, _)| self.text(name))
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
