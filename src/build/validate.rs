//! Validate: turns raw field maps from any input into typed [`Record`]s, listing every problem.
//!
//! Each problem names its place as `file:line-or-row: id: field: reason`, so an office can fix
//! its spreadsheet in one pass. Duplicate ids are checked across all inputs by [`Validator`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde_json::{Map, Value};

use crate::core::record::{parse_date, Record};

/// Where a record came from: `file:line` for JSON and CSV, `file:sheet:row` for XLSX.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub place: String,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.place)
    }
}

/// One thing wrong with the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub location: Location,
    /// The record id, or `-` when unknown.
    pub id: String,
    pub field: String,
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}: {}", self.location, self.id, self.field, self.reason)
    }
}

/// A record as read from a file, before validation: field name → JSON value.
#[derive(Debug, Clone)]
pub struct RawRecord {
    pub location: Location,
    pub fields: Map<String, Value>,
    /// Fields whose value could not be read as their type, taken out of `fields`, with the reason.
    pub invalid: BTreeMap<String, String>,
}

/// The text limits of the schema, in characters of Chinese text; English gets [`EN_FACTOR`]×.
pub(super) const TITLE_MAX: usize = 60;
pub(super) const TEXT_MAX: usize = 500;
pub(super) const ADVANTAGES_MAX: usize = 2000;
pub(super) const SHORT_MAX: usize = 200;
pub(super) const KEYWORD_MAX: usize = 60;
/// English words are longer than Chinese characters: limits scale by this much for `lang = "en"`.
pub(super) const EN_FACTOR: usize = 6;
pub(super) const MAX_KEYWORDS: usize = 5;
pub(super) const MAX_LIST: usize = 20;
pub(super) const MAX_ID: usize = 64;

pub(super) const COMMON_FIELDS: [&str; 13] = [
    "id",
    "kind",
    "title",
    "summary",
    "keywords",
    "industries",
    "fields",
    "region",
    "region_name",
    "deadline",
    "published",
    "lang",
    "contact",
];
pub(super) const NEED_FIELDS: [&str; 14] = [
    "problem",
    "key_requirements",
    "expected_outcome",
    "trl_min",
    "trl_max",
    "coop_modes",
    "budget_min",
    "budget_max",
    "bounty",
    "org",
    "credit_code",
    "anonymous",
    "public_alias",
    "intended_partners",
];
pub(super) const RESULT_FIELDS: [&str; 8] = [
    "result_type",
    "advantages",
    "trl",
    "ipr",
    "transfer_modes",
    "price",
    "holder",
    "inventors",
];

/// Whether `name` is a field of the canonical schema (of either kind).
pub fn is_schema_field(name: &str) -> bool {
    COMMON_FIELDS.contains(&name) || NEED_FIELDS.contains(&name) || RESULT_FIELDS.contains(&name)
}

/// Whether `name` holds a list (mapped from a delimited cell in CSV and XLSX).
pub fn is_list_field(name: &str) -> bool {
    matches!(
        name,
        "keywords" | "industries" | "fields" | "coop_modes" | "transfer_modes" | "inventors" | "intended_partners"
    )
}

/// Validates records one by one and ids across all of them.
#[derive(Default)]
pub struct Validator {
    /// Required fields the source is known not to have (from a mapping's `allow_missing`).
    pub allow_missing: BTreeSet<String>,
    /// Limits raised for this source (from a mapping's `limits`): characters or list items.
    pub limits: BTreeMap<String, usize>,
    seen_ids: HashMap<String, Location>,
}

impl Validator {
    pub fn new(allow_missing: BTreeSet<String>, limits: BTreeMap<String, usize>) -> Self {
        Validator {
            allow_missing,
            limits,
            seen_ids: HashMap::new(),
        }
    }

    /// Checks one raw record; on success the id is remembered for the duplicate check.
    pub fn check(&mut self, raw: &RawRecord) -> Result<Record, Vec<Problem>> {
        let mut c = Checker {
            map: &raw.fields,
            allow_missing: &self.allow_missing,
            invalid: &raw.invalid,
            limits: &self.limits,
            problems: raw.invalid.iter().map(|(k, r)| (k.clone(), r.clone())).collect(),
            lang_factor: 1,
        };
        let id = c.id();
        let record = c.record(id.as_deref().unwrap_or("-"));
        let id_text = id.clone().unwrap_or_else(|| "-".into());
        let mut problems: Vec<Problem> = c
            .problems
            .into_iter()
            .map(|(field, reason)| Problem {
                location: raw.location.clone(),
                id: id_text.clone(),
                field,
                reason,
            })
            .collect();
        if let Some(id) = &id {
            if let Some(first) = self.seen_ids.get(id) {
                problems.push(Problem {
                    location: raw.location.clone(),
                    id: id.clone(),
                    field: "id".into(),
                    reason: format!("duplicate id, first seen at {first}"),
                });
            } else if problems.is_empty() {
                self.seen_ids.insert(id.clone(), raw.location.clone());
            }
        }
        match record {
            Some(r) if problems.is_empty() => Ok(r),
            _ => Err(problems),
        }
    }
}

pub(super) struct Checker<'a> {
    pub(super) map: &'a Map<String, Value>,
    allow_missing: &'a BTreeSet<String>,
    invalid: &'a BTreeMap<String, String>,
    limits: &'a BTreeMap<String, usize>,
    problems: Vec<(String, String)>,
    pub(super) lang_factor: usize,
}

pub(super) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A reason to reject text: control characters other than tab and newlines, and the bidirectional
/// embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069), with which a record could
/// show its own text, and the text after it, in reverse ("gnp.exe" spoofing).
pub(super) fn bad_chars(s: &str) -> Option<String> {
    s.chars().find_map(|c| {
        if c.is_control() && !matches!(c, '\n' | '\r' | '\t') {
            Some(format!("contains control character U+{:04X}", c as u32))
        } else if matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') {
            Some(format!("contains bidirectional control U+{:04X}", c as u32))
        } else {
            None
        }
    })
}

impl<'a> Checker<'a> {
    pub(super) fn problem(&mut self, field: &str, reason: impl Into<String>) {
        self.problems.push((field.to_string(), reason.into()));
    }

    /// The value of `field`, treating `null` and blank strings as absent.
    pub(super) fn get(&self, field: &str) -> Option<&'a Value> {
        let map: &'a Map<String, Value> = self.map;
        match map.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::Array(a)) if a.is_empty() => None,
            Some(v) => Some(v),
        }
    }

    pub(super) fn missing(&mut self, field: &str, required: bool) {
        if required && !self.allow_missing.contains(field) && !self.invalid.contains_key(field) {
            self.problem(field, "required field is missing");
        }
    }

    pub(super) fn string(&mut self, field: &str, required: bool, max_chars: usize) -> Option<String> {
        let Some(v) = self.get(field) else {
            self.missing(field, required);
            return None;
        };
        let Value::String(s) = v else {
            let t = type_name(v);
            self.problem(field, format!("expected a string, found {t}"));
            return None;
        };
        let s = s.trim().to_string();
        let n = s.chars().count();
        if n > max_chars {
            self.problem(field, format!("too long: {n} characters, at most {max_chars}"));
            return None;
        }
        if let Some(reason) = bad_chars(&s) {
            self.problem(field, reason);
            return None;
        }
        Some(s)
    }

    pub(super) fn text(&mut self, field: &str, required: bool, max_chars: usize) -> Option<String> {
        let limit = self.limits.get(field).copied().unwrap_or(max_chars * self.lang_factor);
        self.string(field, required, limit)
    }

    /// A list of strings; each is canonicalised by `canon`, and one it refuses is a problem
    /// that `why` words.
    pub(super) fn list(
        &mut self,
        field: &str,
        required: bool,
        max_items: usize,
        canon: impl Fn(&str) -> Option<String>,
        why: impl Fn(&str) -> String,
    ) -> Vec<String> {
        let Some(v) = self.get(field) else {
            self.missing(field, required);
            return Vec::new();
        };
        let Value::Array(items) = v else {
            let t = type_name(v);
            self.problem(field, format!("expected an array of strings, found {t}"));
            return Vec::new();
        };
        let max_items = self.limits.get(field).copied().unwrap_or(max_items);
        if items.len() > max_items {
            self.problem(field, format!("{} items, at most {max_items}", items.len()));
            return Vec::new();
        }
        let mut out: Vec<String> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::String(s) => {
                    let canonical = bad_chars(s).map_or_else(|| canon(s.trim()).ok_or_else(|| why(s.trim())), Err);
                    match canonical {
                        Ok(c) if !out.contains(&c) => out.push(c),
                        Ok(_) => {}
                        Err(reason) => self.problem(field, format!("item {}: {reason}", i + 1)),
                    }
                }
                other => {
                    let t = type_name(other);
                    self.problem(field, format!("item {}: expected a string, found {t}", i + 1));
                }
            }
        }
        out
    }

    pub(super) fn number(&mut self, field: &str, required: bool) -> Option<f64> {
        let v = self.get(field);
        match v {
            None => {
                self.missing(field, required);
                None
            }
            Some(Value::Number(n)) => match n.as_f64() {
                Some(x) if x >= 0.0 && x.is_finite() => Some(x),
                _ => {
                    self.problem(field, format!("must be a non-negative number, found {n}"));
                    None
                }
            },
            Some(other) => {
                let t = type_name(other);
                self.problem(field, format!("expected a number, found {t}"));
                None
            }
        }
    }

    pub(super) fn trl(&mut self, field: &str) -> Option<u8> {
        let v = self.get(field)?.clone();
        match v.as_u64() {
            Some(t @ 1..=9) => Some(t as u8),
            _ => {
                self.problem(field, format!("TRL must be a whole number from 1 to 9, found {v}"));
                None
            }
        }
    }

    pub(super) fn required_trl(&mut self, field: &str) -> Option<u8> {
        if self.get(field).is_none() {
            self.missing(field, true);
            return None;
        }
        self.trl(field)
    }

    pub(super) fn date(&mut self, field: &str, required: bool) -> Option<String> {
        let s = self.string(field, required, 10)?;
        if parse_date(&s).is_none() {
            self.problem(field, format!("not a date in YYYY-MM-DD form: {s:?}"));
            return None;
        }
        Some(s)
    }

    pub(super) fn boolean(&mut self, field: &str) -> bool {
        match self.get(field) {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                let t = type_name(other);
                self.problem(field, format!("expected true or false, found {t}"));
                false
            }
        }
    }
}
