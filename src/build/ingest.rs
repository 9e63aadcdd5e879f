//! Ingest: reads needs and results from JSON, JSONL, CSV and XLSX files into raw records.
//!
//! CSV may be UTF-8 (with or without BOM), UTF-16 with BOM, or GBK/GB18030 as Excel in China
//! writes it; the encoding is detected. A TOML mapping file ([`Mapping`]) renames someone
//! else's columns, maps their values, sets constants and says which columns to ignore.
//! Tabular cells are coerced to the schema's types (lists split on `;；、|,，`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use calamine::{open_workbook_auto, Data, Reader};
use serde::Deserialize;
use serde_json::{Map, Number, Value};

use crate::build::validate::{is_list_field, is_schema_field, Location, Problem, RawRecord};
use crate::core::record::format_date;

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
    pub fn load(path: &Path) -> Result<Mapping, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let m: Mapping = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        for (field, source) in &m.fields {
            if !is_schema_field(field) {
                return Err(format!(
                    "{}: [fields] {field}: not a field of the techmatch schema",
                    path.display()
                ));
            }
            if let FieldSource::Spec(spec) = source {
                if spec.column.is_none() && spec.value.is_none() {
                    return Err(format!(
                        "{}: [fields] {field}: give a column or a value",
                        path.display()
                    ));
                }
            }
        }
        if let Some(f) = m
            .allow_missing
            .iter()
            .chain(m.limits.keys())
            .find(|f| !is_schema_field(f))
        {
            return Err(format!(
                "{}: {f:?} is not a field of the techmatch schema",
                path.display()
            ));
        }
        Ok(m)
    }

    /// Source columns the mapping reads, each with whether a file must have it.
    fn columns(&self) -> BTreeMap<&str, bool> {
        self.fields
            .values()
            .filter_map(|s| match s {
                FieldSource::Column(c) => Some((c.as_str(), true)),
                FieldSource::Spec(s) => s.column.as_deref().map(|c| (c, !s.optional)),
            })
            .collect()
    }

    /// Applies the mapping to one source record.
    fn apply(&self, source: &Map<String, Value>) -> Map<String, Value> {
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
                if is_list_field(field) && v.is_string() {
                    v = Value::Array(vec![v]);
                }
                out.insert(field.clone(), v);
            }
        }
        out
    }
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

fn map_values(v: &Value, spec: &FieldSpec) -> Value {
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

fn toml_to_json(v: &toml::Value) -> Value {
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

/// What a file yielded: records to validate and problems found while reading.
#[derive(Debug, Default)]
pub struct Ingested {
    pub records: Vec<RawRecord>,
    pub problems: Vec<Problem>,
}

impl Ingested {
    fn problem(&mut self, location: Location, field: &str, reason: impl Into<String>) {
        self.problems.push(Problem {
            location,
            id: "-".into(),
            field: field.into(),
            reason: reason.into(),
        });
    }
}

/// Reads one input file (format by extension; `.json` may hold an array or JSON lines).
pub fn read_file(path: &Path, mapping: Option<&Mapping>) -> Ingested {
    let name = path.display().to_string();
    let at = |place: &str| Location {
        file: name.clone(),
        place: place.to_string(),
    };
    let mut out = Ingested::default();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let source = match ext.as_str() {
        "xlsx" | "xlsm" | "xls" | "ods" => read_workbook(path, &name),
        _ => match std::fs::read(path) {
            Err(e) => Err((at("0"), format!("cannot read: {e}"))),
            Ok(bytes) => match ext.as_str() {
                "csv" => read_delimited(&bytes, &name, b','),
                "tsv" => read_delimited(&bytes, &name, b'\t'),
                "json" | "jsonl" | "ndjson" => read_json(&bytes, &name),
                _ => Err((
                    at("0"),
                    "unknown file type: use .json, .jsonl, .csv, .tsv or .xlsx".to_string(),
                )),
            },
        },
    };
    let (rows, tabular, header_problems) = match source {
        Ok(s) => s,
        Err((loc, reason)) => {
            out.problem(loc, "-", reason);
            return out;
        }
    };
    out.problems.extend(header_problems);
    // Columns: what the mapping reads must exist; what it neither reads nor ignores is reported.
    let mut seen_columns: BTreeMap<&str, &Location> = BTreeMap::new();
    for (loc, row) in &rows {
        for k in row.keys() {
            seen_columns.entry(k.as_str()).or_insert(loc);
        }
    }
    if let Some(m) = mapping {
        let header = at(if tabular { "1" } else { "0" });
        let used = m.columns();
        for (c, _) in used.iter().filter(|(_, required)| **required) {
            if !seen_columns.contains_key(c) {
                let have: Vec<&str> = seen_columns.keys().copied().collect();
                out.problem(
                    header.clone(),
                    c,
                    format!(
                        "the mapping names column {c:?}, which the file does not have (columns: {})",
                        have.join(", ")
                    ),
                );
            }
        }
        for (c, loc) in &seen_columns {
            if !used.contains_key(c) && !m.ignore.iter().any(|i| i == c) {
                out.problem(
                    (*loc).clone(),
                    c,
                    "column is neither mapped nor ignored by the mapping file",
                );
            }
        }
    }
    for (location, row) in rows {
        let mut fields = match mapping {
            Some(m) => m.apply(&row),
            None => row,
        };
        if tabular {
            let mut bad = Vec::new();
            for (k, v) in fields.iter_mut() {
                if let Err(reason) = coerce(k, v) {
                    bad.push((k.clone(), reason));
                }
            }
            for (k, reason) in bad {
                fields.remove(&k);
                let id = fields.get("id").and_then(Value::as_str).unwrap_or("-").to_string();
                out.problems.push(Problem {
                    location: location.clone(),
                    id,
                    field: k,
                    reason,
                });
            }
        }
        out.records.push(RawRecord { location, fields });
    }
    out
}

type Rows = Vec<(Location, Map<String, Value>)>;
type Source = Result<(Rows, bool, Vec<Problem>), (Location, String)>;

fn read_json(bytes: &[u8], name: &str) -> Source {
    let at = |line: usize| Location {
        file: name.into(),
        place: line.to_string(),
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        let text = std::str::from_utf8(bytes).map_err(|e| {
            (
                at(line_of(bytes, e.valid_up_to())),
                format!("not valid UTF-8 (byte {})", e.valid_up_to()),
            )
        })?;
        let items: Vec<&serde_json::value::RawValue> =
            serde_json::from_str(text).map_err(|e| (at(e.line()), format!("invalid JSON: {e}")))?;
        for item in items {
            let offset = item.get().as_ptr() as usize - text.as_ptr() as usize;
            let loc = at(line_of(bytes, offset));
            match serde_json::from_str::<Value>(item.get()) {
                Ok(Value::Object(m)) => rows.push((loc, m)),
                Ok(other) => problems.push(Problem {
                    location: loc,
                    id: "-".into(),
                    field: "-".into(),
                    reason: format!("expected a JSON object, found {}", short(&other)),
                }),
                Err(e) => problems.push(Problem {
                    location: loc,
                    id: "-".into(),
                    field: "-".into(),
                    reason: format!("invalid JSON: {e}"),
                }),
            }
        }
    } else {
        for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
            let loc = at(i + 1);
            let problem = |reason: String| Problem {
                location: loc.clone(),
                id: "-".into(),
                field: "-".into(),
                reason,
            };
            let line = match std::str::from_utf8(line) {
                Ok(l) => l.trim(),
                Err(e) => {
                    problems.push(problem(format!("not valid UTF-8 (column {})", e.valid_up_to() + 1)));
                    continue;
                }
            };
            if line.is_empty() {
                continue;
            }
            match serde_json::from_str::<Value>(line) {
                Ok(Value::Object(m)) => rows.push((loc, m)),
                Ok(other) => problems.push(problem(format!("expected a JSON object, found {}", short(&other)))),
                Err(e) => problems.push(problem(format!("invalid JSON: {e}"))),
            }
        }
    }
    if rows.is_empty() && problems.is_empty() {
        return Err((at(0), "no records in the file".into()));
    }
    Ok((rows, false, problems))
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())].iter().filter(|b| **b == b'\n').count() + 1
}

/// Decodes CSV bytes: BOM-marked UTF-8/UTF-16, else UTF-8 if valid, else GB18030 (covers GBK).
pub fn decode_text(bytes: &[u8]) -> Result<String, String> {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom..]);
        return if had_errors {
            Err(format!("invalid {} text", enc.name()))
        } else {
            Ok(text.into_owned())
        };
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        Err("the file is neither UTF-8 nor GBK/GB18030 text".into())
    } else {
        Ok(text.into_owned())
    }
}

fn header_problems(name: &str, header: &[String], place: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, h) in header.iter().enumerate() {
        let location = Location {
            file: name.into(),
            place: place.into(),
        };
        if h.is_empty() {
            out.push(Problem {
                location,
                id: "-".into(),
                field: format!("column {}", i + 1),
                reason: "column has no header (merged or blank header cells?)".into(),
            });
        } else if !seen.insert(h.as_str()) {
            out.push(Problem {
                location,
                id: "-".into(),
                field: h.clone(),
                reason: "column header appears twice".into(),
            });
        }
    }
    out
}

fn read_delimited(bytes: &[u8], name: &str, delimiter: u8) -> Source {
    let at = |line: u64| Location {
        file: name.into(),
        place: line.to_string(),
    };
    let text = decode_text(bytes).map_err(|e| (at(0), e))?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header: Vec<String> = match records.next() {
        Some(Ok(h)) => h.iter().map(|s| s.trim().to_string()).collect(),
        Some(Err(e)) => return Err((at(1), format!("unreadable header: {e}"))),
        None => return Err((at(0), "the file is empty".into())),
    };
    let mut problems = header_problems(name, &header, "1");
    let mut rows = Vec::new();
    for rec in records {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(Problem {
                    location: at(line),
                    id: "-".into(),
                    field: "-".into(),
                    reason: format!("unreadable row: {e}"),
                });
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line());
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if rec.len() != header.len() {
            problems.push(Problem {
                location: at(line),
                id: rec
                    .get(header.iter().position(|h| h == "id").unwrap_or(usize::MAX))
                    .unwrap_or("-")
                    .to_string(),
                field: "-".into(),
                reason: format!("row has {} fields, the header has {}", rec.len(), header.len()),
            });
            continue;
        }
        let map = header
            .iter()
            .zip(rec.iter())
            .filter(|(h, _)| !h.is_empty())
            .map(|(h, c)| (h.clone(), Value::String(c.to_string())))
            .collect();
        rows.push((at(line), map));
    }
    Ok((rows, true, problems))
}

/// Excel's serial day of 9999-12-31, its last date.
const EXCEL_LAST_DAY: f64 = 2_958_465.0;

fn cell_value(c: &Data) -> Value {
    match c {
        Data::Int(i) => Value::from(*i),
        Data::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Value::String(s.clone()),
        Data::Bool(b) => Value::Bool(*b),
        // Excel serial day 25569 is 1970-01-01; serials past 9999-12-31 (or negative) are no date,
        // and stay the number they are for validation to name.
        Data::DateTime(d) => match d.as_f64().floor() {
            days @ 0.0..=EXCEL_LAST_DAY => Value::String(format_date(days as i64 - 25_569)),
            _ => Value::String(format!("{:e}", d.as_f64())),
        },
        Data::Error(e) => Value::String(format!("#ERROR {e}")),
        Data::Empty => Value::Null,
    }
}

fn read_workbook(path: &Path, name: &str) -> Source {
    let at = |place: String| Location {
        file: name.into(),
        place,
    };
    let mut book = open_workbook_auto(path).map_err(|e| (at("0".into()), format!("cannot open workbook: {e}")))?;
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for sheet in book.sheet_names() {
        let range = book
            .worksheet_range(&sheet)
            .map_err(|e| (at(sheet.clone()), format!("cannot read sheet: {e}")))?;
        let Some((first_row, _)) = range.start() else { continue };
        let mut lines = range
            .rows()
            .enumerate()
            .filter(|(_, r)| r.iter().any(|c| !matches!(c, Data::Empty)));
        let Some((hi, header_row)) = lines.next() else { continue };
        let header: Vec<String> = header_row
            .iter()
            .map(|c| {
                cell_value(c)
                    .as_str()
                    .map_or_else(|| c.to_string(), str::to_string)
                    .trim()
                    .to_string()
            })
            .collect();
        let row_no = |i: usize| first_row as usize + i + 1;
        problems.extend(header_problems(name, &header, &format!("{sheet}:{}", row_no(hi))));
        for (i, r) in lines {
            let loc = at(format!("{sheet}:{}", row_no(i)));
            let mut map = Map::new();
            for (h, c) in header.iter().zip(r) {
                if h.is_empty() {
                    if !matches!(c, Data::Empty) {
                        problems.push(Problem {
                            location: loc.clone(),
                            id: "-".into(),
                            field: "-".into(),
                            reason: "a value stands under a column without header".into(),
                        });
                    }
                    continue;
                }
                map.insert(h.clone(), cell_value(c));
            }
            rows.push((loc, map));
        }
    }
    if rows.is_empty() && problems.is_empty() {
        return Err((at("0".into()), "the workbook holds no records".into()));
    }
    Ok((rows, true, problems))
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// `YYYY-MM-DD` for the date forms offices write: `2026/3/5`, `2026.03.05`, `2026年3月5日`,
/// `March 5, 2026`, `5 March 2026`. `None` if it is none of them.
pub fn normalize_date(s: &str) -> Option<String> {
    let s = s.trim();
    let nums: Vec<u32> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|x| !x.is_empty())
        .filter_map(|x| x.parse().ok())
        .collect();
    let month = MONTHS
        .iter()
        .position(|m| s.to_ascii_lowercase().contains(m))
        .map(|m| m as u32 + 1);
    let (y, m, d) = match (month, nums.as_slice()) {
        (None, [y, m, d]) if *y > 999 => (*y, *m, *d),
        (Some(m), [a, b]) if *b > 999 => (*b, m, *a),
        _ => return None,
    };
    let out = format!("{y:04}-{m:02}-{d:02}");
    crate::core::record::parse_date(&out).map(|_| out)
}

/// Rewrites a date field's text into `YYYY-MM-DD` when it is a recognised form.
fn normalize_date_value(field: &str, v: &mut Value) {
    if matches!(field, "deadline" | "published") {
        if let Some(d) = v.as_str().and_then(normalize_date) {
            *v = Value::String(d);
        }
    }
}

const LIST_SEPARATORS: [char; 7] = [';', '；', '、', '|', ',', '，', '\n'];

/// Turns a spreadsheet cell into the schema's type for `field`.
fn coerce(field: &str, v: &mut Value) -> Result<(), String> {
    let Value::String(s) = v else {
        if let Value::Number(n) = v {
            let whole = n.as_f64().filter(|x| x.fract() == 0.0 && *x >= 0.0).map(|x| x as u64);
            *v = match field {
                // Spreadsheets store every number as a float: 5.0 is TRL 5.
                "trl" | "trl_min" | "trl_max" => whole.map_or(Value::Number(n.clone()), Value::from),
                "budget_min" | "budget_max" | "bounty" | "price" => Value::Number(n.clone()),
                // Numbers in list or text cells are text (a keyword "3003", an id 1024).
                f => {
                    let text = Value::String(whole.map_or_else(|| n.to_string(), |w| w.to_string()));
                    if is_list_field(f) {
                        Value::Array(vec![text])
                    } else {
                        text
                    }
                }
            };
        }
        return Ok(());
    };
    let s = s.trim().to_string();
    if s.is_empty() {
        *v = Value::Null;
        return Ok(());
    }
    *v = match field {
        // A whole known value (some contain 、) is one item, not a list.
        "industries" if crate::core::taxonomy::industry(&s).is_some() => Value::Array(vec![Value::String(s)]),
        "fields" if crate::core::taxonomy::FIELDS.contains(&s.as_str()) => Value::Array(vec![Value::String(s)]),
        f if is_list_field(f) => Value::Array(
            s.split(LIST_SEPARATORS)
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(|x| Value::String(x.into()))
                .collect(),
        ),
        "trl" | "trl_min" | "trl_max" => Value::from(
            s.parse::<u64>()
                .map_err(|_| format!("TRL must be a whole number from 1 to 9, found {s:?}"))?,
        ),
        "budget_min" | "budget_max" | "bounty" | "price" => match s.parse::<f64>() {
            Ok(x) => Number::from_f64(x).map_or(Value::Null, Value::Number),
            Err(_) if field == "price" => Value::String(s),
            Err(_) => return Err(format!("expected a number (万元), found {s:?}")),
        },
        "anonymous" => Value::Bool(match s.to_lowercase().as_str() {
            "是" | "true" | "yes" | "y" | "1" => true,
            "否" | "false" | "no" | "n" | "0" => false,
            _ => return Err(format!("expected 是/否 or true/false, found {s:?}")),
        }),
        "ipr" => Value::Array(
            s.split([';', '；', '\n'])
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(|item| {
                    let mut parts = item.split([':', '：']).map(str::trim);
                    let mut o = Map::new();
                    o.insert("type".into(), Value::String(parts.next().unwrap_or("").into()));
                    o.insert("status".into(), Value::String(parts.next().unwrap_or("无").into()));
                    if let Some(n) = parts.next() {
                        o.insert("number".into(), Value::String(n.into()));
                    }
                    Value::Object(o)
                })
                .collect(),
        ),
        "deadline" | "published" => Value::String(normalize_date(&s).unwrap_or(s)),
        _ => Value::String(s),
    };
    Ok(())
}
