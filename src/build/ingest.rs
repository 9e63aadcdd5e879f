//! Ingest (CLI only): reads needs and results from JSON, JSONL, CSV and XLSX files into raw records.
//!
//! CSV may be UTF-8 (with or without BOM), UTF-16 with BOM, or GBK/GB18030 as Excel in China
//! writes it; the encoding is detected. A TOML mapping file ([`super::mapping::Mapping`]) renames someone
//! else's columns, maps their values, sets constants and says which columns to ignore.
//! Tabular cells are coerced to the schema's types ([`super::coerce`]; lists split on `;；、|,，`).

use crate::build::coerce::coerce;
use crate::build::coerce::EXCEL_LAST_DAY;
use crate::build::mapping::Mapping;
use crate::build::validate::{Location, Problem, RawRecord};
use crate::core::record::format_date;
use crate::Error;
use calamine::{open_workbook_auto, Data, Reader};
use serde_json::{Map, Number, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

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

/// The extensions [`read_file`] reads.
const INPUT_EXTENSIONS: [&str; 9] = ["json", "jsonl", "ndjson", "csv", "tsv", "xlsx", "xlsm", "xls", "ods"];

/// The input files inside a folder: those with an extension [`read_file`] reads, hidden files and
/// subfolders left out, sorted by name so that a build is the same on every machine.
pub fn files_in(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_none_or(|n| n.starts_with('.'));
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if !hidden && path.is_file() && INPUT_EXTENSIONS.contains(&ext.as_str()) {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
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
    match source {
        Ok((rows, tabular, header_problems)) => {
            out.problems.extend(header_problems);
            ingest_rows(&name, rows, tabular, mapping, out)
        }
        Err((loc, reason)) => {
            out.problem(loc, "-", reason);
            out
        }
    }
}

/// Rows read from `name` (a file, or a database source's query) as raw records: the mapping's
/// columns checked against the rows', the mapping applied, and tabular cells (text, as CSV, XLSX
/// and database rows give them) coerced to their field's type.
pub fn ingest_rows(name: &str, rows: Rows, tabular: bool, mapping: Option<&Mapping>, mut out: Ingested) -> Ingested {
    let at = |place: &str| Location {
        file: name.to_string(),
        place: place.to_string(),
    };
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
                        "the mapping names column {c:?}, which the source does not have (columns: {})",
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
            Some(m) => m.apply(&row, tabular),
            None => row,
        };
        // A cell that cannot be read as its field's type is taken out and named once, by the
        // validator (not again as a missing field).
        let mut invalid = BTreeMap::new();
        if tabular {
            for (k, v) in fields.iter_mut() {
                if let Err(e) = coerce(k, v) {
                    invalid.insert(k.clone(), e.to_string());
                }
            }
            for k in invalid.keys() {
                fields.remove(k);
            }
        }
        out.records.push(RawRecord {
            location,
            fields,
            invalid,
        });
    }
    out
}

/// Rows as read, each with its place: field or column name → value.
pub type Rows = Vec<(Location, Map<String, Value>)>;

pub(super) type Source = Result<(Rows, bool, Vec<Problem>), (Location, String)>;

pub(super) fn read_json(bytes: &[u8], name: &str) -> Source {
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

pub(super) fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

pub(super) fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())].iter().filter(|b| **b == b'\n').count() + 1
}

/// Decodes CSV bytes: BOM-marked UTF-8/UTF-16, else UTF-8 if valid, else GB18030 (covers GBK).
pub fn decode_text(bytes: &[u8]) -> Result<String, Error> {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom..]);
        return if had_errors {
            Err(Error::Input(format!("invalid {} text", enc.name())))
        } else {
            Ok(text.into_owned())
        };
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        Err(Error::Input("the file is neither UTF-8 nor GBK/GB18030 text".into()))
    } else {
        Ok(text.into_owned())
    }
}

pub(super) fn header_problems(name: &str, header: &[String], place: &str) -> Vec<Problem> {
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

/// The byte offsets at which the lines of `text` start, a line ending at LF, CRLF or a lone CR:
/// the csv crate's own line count is one short after CRLF (BurntSushi/rust-csv#395).
fn line_starts(text: &[u8]) -> Vec<u64> {
    let mut out = vec![0];
    for (i, &b) in text.iter().enumerate() {
        if b == b'\n' || (b == b'\r' && text.get(i + 1) != Some(&b'\n')) {
            out.push(i as u64 + 1);
        }
    }
    out
}

pub(super) fn read_delimited(bytes: &[u8], name: &str, delimiter: u8) -> Source {
    let at = |line: u64| Location {
        file: name.into(),
        place: line.to_string(),
    };
    let text = decode_text(bytes).map_err(|e| (at(0), e.to_string()))?;
    let starts = line_starts(text.as_bytes());
    // A record's position can be the end of the previous line's CRLF: its line is that of its first byte.
    let line_of = |p: Option<&csv::Position>| {
        p.map_or(0, |p| {
            let skip = text.as_bytes()[p.byte() as usize..]
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
            starts.partition_point(|&s| s <= p.byte() + skip as u64) as u64
        })
    };
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
                let line = line_of(e.position());
                problems.push(Problem {
                    location: at(line),
                    id: "-".into(),
                    field: "-".into(),
                    reason: format!("unreadable row: {e}"),
                });
                continue;
            }
        };
        let line = line_of(rec.position());
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

pub(super) fn cell_value(c: &Data) -> Value {
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

pub(super) fn read_workbook(path: &Path, name: &str) -> Source {
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
