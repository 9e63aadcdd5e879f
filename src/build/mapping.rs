//! Mapping (CLI only): a portal's column names, value maps and constants, read from TOML and applied to raw rows.

use crate::build::coerce::normalize_date_value;
use crate::build::validate::{is_list_field, is_schema_field};
use crate::Error;
use serde::Deserialize;
use serde_json::{Map, Number, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// How one schema field is filled from a source.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FieldSource {
    /// The source column of that name.
    Column(String),
    /// A column with a value lookup, or a constant.
    Spec(FieldSpec),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    pub column: Option<String>,
    /// A constant for every record (when no column is given, or the column is empty).
    pub value: Option<toml::Value>,
    /// Source value → schema value.
    #[serde(default)]
    pub map: BTreeMap<String, String>,
    /// Used for source values missing from `map`.
    pub default: Option<String>,
    /// The column may be absent from a file (otherwise that is an error).
    #[serde(default)]
    pub optional: bool,
}

/// A field-mapping file: `[fields]` schema field → source; `ignore`d source columns;
/// required fields the source never has (`allow_missing`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[serde(default)]
    pub fields: BTreeMap<String, FieldSource>,
    #[serde(default)]
    pub ignore: Vec<String>,
    #[serde(default)]
    pub allow_missing: Vec<String>,
    /// Limits this source may exceed: characters of a text field, items of a list field
    /// (e.g. long paper abstracts, many author keywords).
    #[serde(default)]
    pub limits: BTreeMap<String, usize>,
}

/// The validation rules of a source read with `mapping` (none without one), as
/// [`Validator`](crate::build::validate::Validator) takes them: the required fields it never has, and
/// the limits it may exceed.
pub fn validation_rules(mapping: Option<&Mapping>) -> (BTreeSet<String>, BTreeMap<String, usize>) {
    mapping.map_or_else(Default::default, |m| {
        (m.allow_missing.iter().cloned().collect(), m.limits.clone())
    })
}

impl Mapping {
    /// Reads and checks a mapping file.
    pub fn load(path: &Path) -> Result<Mapping, Error> {
        let bad = |why: String| Error::Input(format!("{}: {why}", path.display()));
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let m: Mapping = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        for (field, source) in &m.fields {
            if !is_schema_field(field) {
                return Err(bad(format!("[fields] {field}: not a field of the techmatch schema")));
            }
            if let FieldSource::Spec(spec) = source {
                if spec.column.is_none() && spec.value.is_none() {
                    return Err(bad(format!("[fields] {field}: give a column or a value")));
                }
            }
        }
        if let Some(f) = m
            .allow_missing
            .iter()
            .chain(m.limits.keys())
            .find(|f| !is_schema_field(f))
        {
            return Err(bad(format!("{f:?} is not a field of the techmatch schema")));
        }
        Ok(m)
    }

    /// Source columns the mapping reads, each with whether a file must have it.
    pub(super) fn columns(&self) -> BTreeMap<&str, bool> {
        self.fields
            .values()
            .filter_map(|s| match s {
                FieldSource::Column(c) => Some((c.as_str(), true)),
                FieldSource::Spec(s) => s.column.as_deref().map(|c| (c, !s.optional)),
            })
            .collect()
    }

    /// Applies the mapping to one source record. A JSON string in a list field is a list of one;
    /// a tabular cell stays text, for [`coerce`](super::coerce) to split at its separators.
    pub(super) fn apply(&self, source: &Map<String, Value>, tabular: bool) -> Map<String, Value> {
        let mut out = Map::new();
        for (field, how) in &self.fields {
            let value = match how {
                FieldSource::Column(c) => source.get(c).cloned(),
                FieldSource::Spec(spec) => {
                    let from_column = spec
                        .column
                        .as_ref()
                        .and_then(|c| source.get(c))
                        .filter(|v| !is_blank(v))
                        .map(|v| map_values(v, spec));
                    from_column.or_else(|| spec.value.as_ref().map(toml_to_json))
                }
            };
            if let Some(mut v) = value {
                normalize_date_value(field, &mut v);
                if !tabular && is_list_field(field) && v.is_string() {
                    v = Value::Array(vec![v]);
                }
                out.insert(field.clone(), v);
            }
        }
        out
    }
}

pub(super) fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

pub(super) fn map_values(v: &Value, spec: &FieldSpec) -> Value {
    let map_one = |s: &str| match spec.map.get(s.trim()) {
        Some(m) => m.clone(),
        None => spec.default.clone().unwrap_or_else(|| s.to_string()),
    };
    match v {
        Value::String(s) if !spec.map.is_empty() || spec.default.is_some() => Value::String(map_one(s)),
        Value::Array(items) if !spec.map.is_empty() || spec.default.is_some() => Value::Array(
            items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.clone(), |s| Value::String(map_one(s))))
                .collect(),
        ),
        other => other.clone(),
    }
}

pub(super) fn toml_to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(t.iter().map(|(k, v)| (k.clone(), toml_to_json(v))).collect()),
    }
}
