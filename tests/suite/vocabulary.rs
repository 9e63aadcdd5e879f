//! The widget's English names (`www/tech-match/names-en.js`) cover every value of the taxonomy the
//! build accepts, and its provinces are the taxonomy's: a vocabulary value added on one side only
//! fails here, not in front of an English-speaking broker.

use std::collections::BTreeMap;

use techmatch::core::taxonomy;

use crate::common::root;

/// The tables of names-en.js: `const NAME = { key: "English", … }` (or `key: ["中文", "English"]`),
/// by table name, each as key → its quoted strings.
fn tables() -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let js = std::fs::read_to_string(root().join("www/tech-match/names-en.js")).unwrap();
    let mut out = BTreeMap::new();
    let mut current: Option<(String, BTreeMap<String, Vec<String>>)> = None;
    for line in js.lines() {
        let line = line.trim();
        if let Some(rest) = line
            .strip_prefix("const ")
            .or_else(|| line.strip_prefix("export const "))
        {
            if let Some(name) = rest.strip_suffix(" = {") {
                current = Some((name.to_string(), BTreeMap::new()));
            }
            continue;
        }
        if line == "};" {
            if let Some((name, table)) = current.take() {
                out.insert(name, table);
            }
            continue;
        }
        let Some((_, table)) = current.as_mut() else { continue };
        let Some((key, value)) = line.split_once(": ") else {
            continue;
        };
        let strings: Vec<String> = value.split('"').skip(1).step_by(2).map(str::to_string).collect();
        table.insert(key.trim_matches('"').to_string(), strings);
    }
    out
}

fn english(tables: &BTreeMap<String, BTreeMap<String, Vec<String>>>, table: &str, value: &str) -> String {
    let names = tables[table]
        .get(value)
        .unwrap_or_else(|| panic!("names-en.js {table}: no English for {value}"));
    let en = names.last().expect("a quoted name").clone();
    assert!(
        !en.is_empty() && !en.chars().any(|c| ('\u{3400}'..='\u{9fff}').contains(&c)),
        "names-en.js {table}.{value}: {en:?} is not an English name"
    );
    en
}

#[test]
fn every_vocabulary_value_has_an_english_name() {
    let t = tables();
    for v in taxonomy::STRATEGIC_INDUSTRIES.iter().chain(&taxonomy::LOCAL_INDUSTRIES) {
        english(&t, "industries", v);
    }
    for v in taxonomy::FIELDS {
        english(&t, "fields", v);
    }
    for v in taxonomy::COOP_MODES.iter().chain(&taxonomy::TRANSFER_MODES) {
        english(&t, "modes", v);
    }
    for v in taxonomy::RESULT_TYPES {
        english(&t, "result_type", v);
    }
    for v in taxonomy::IPR_TYPES.iter().chain(&taxonomy::IPR_STATUSES) {
        english(&t, "ipr", v);
    }
    // A local name stored as its strategic industry reads as that industry in English too.
    for local in taxonomy::LOCAL_INDUSTRIES {
        let canonical = taxonomy::industry(local).unwrap();
        assert_eq!(
            english(&t, "industries", local),
            english(&t, "industries", canonical),
            "{local}"
        );
    }
}

#[test]
fn provinces_and_cities_are_the_taxonomys() {
    let t = tables();
    let provinces = &t["PROVINCES"];
    assert_eq!(provinces.len(), taxonomy::PROVINCES.len());
    for (code, name) in taxonomy::PROVINCES {
        let entry = provinces
            .get(code)
            .unwrap_or_else(|| panic!("names-en.js PROVINCES: no {code}"));
        assert_eq!(entry[0], name, "province {code}");
        english(&t, "PROVINCES", code);
    }
    for (code, entry) in &t["CITIES"] {
        assert!(code.len() == 4 && provinces.contains_key(&code[..2]), "city {code}");
        assert!(entry[0].ends_with('市'), "city {code}: {entry:?}");
        english(&t, "CITIES", code);
    }
    // Every city of the seeds is named (a province-level code, 120000, is its province).
    for file in ["seeds/needs.jsonl", "seeds/results.jsonl"] {
        for line in std::fs::read_to_string(root().join(file)).unwrap().lines() {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            let region = record["region"].as_str().unwrap();
            let named = region.ends_with("0000") || t["CITIES"].contains_key(&region[..4]);
            assert!(named, "{file}: no English city for {region}");
        }
    }
}
