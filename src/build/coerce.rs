//! Coercion (CLI only): tabular cells as schema values — dates in the usual Chinese and Excel forms, lists, numbers, booleans.

use crate::build::validate::is_list_field;
use crate::Error;
use serde_json::{Map, Number, Value};

/// Excel's serial day of 9999-12-31, its last date.
pub(super) const EXCEL_LAST_DAY: f64 = 2_958_465.0;

pub(super) const MONTHS: [&str; 12] = [
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
pub(super) fn normalize_date_value(field: &str, v: &mut Value) {
    if matches!(field, "deadline" | "published") {
        if let Some(d) = v.as_str().and_then(normalize_date) {
            *v = Value::String(d);
        }
    }
}

pub(super) const LIST_SEPARATORS: [char; 7] = [';', '；', '、', '|', ',', '，', '\n'];

/// Turns a spreadsheet cell into the schema's type for `field`.
pub(super) fn coerce(field: &str, v: &mut Value) -> Result<(), Error> {
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
                .map_err(|_| Error::Input(format!("TRL must be a whole number from 1 to 9, found {s:?}")))?,
        ),
        "budget_min" | "budget_max" | "bounty" | "price" => match s.parse::<f64>() {
            Ok(x) => Number::from_f64(x).map_or(Value::Null, Value::Number),
            Err(_) if field == "price" => Value::String(s),
            Err(_) => return Err(Error::Input(format!("expected a number (万元), found {s:?}"))),
        },
        "anonymous" => Value::Bool(match s.to_lowercase().as_str() {
            "是" | "true" | "t" | "yes" | "y" | "1" => true,
            "否" | "false" | "f" | "no" | "n" | "0" => false,
            _ => return Err(Error::Input(format!("expected 是/否 or true/false, found {s:?}"))),
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
