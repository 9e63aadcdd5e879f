//! Text at the edges of what the build reads: UTF-16 CSV with a BOM and broken UTF-16, lone
//! surrogates, NUL, bidirectional controls, zero-width characters and combining marks, and XLSX
//! dates outside the calendar — each read, or named as a problem, never a crash.

use std::path::PathBuf;

use crate::common::{need_json, result_json, temp_file, NEED_COLUMNS};
use serde_json::json;
use tantivy::directory::OwnedBytes;
use techmatch::build::pipeline;
use techmatch::bundle::Bundle;
use techmatch::engine::Engine;

/// Problems of a build from files, as text lines.
fn problems(files: &[PathBuf]) -> Vec<String> {
    pipeline::build(files, None, &|_, _| {})
        .problems
        .iter()
        .map(|p| p.to_string())
        .collect()
}

#[test]
fn utf16_csv_with_a_bom_reads_and_broken_utf16_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let text = "id,kind,title,summary,industries,region,deadline,coop_modes,org,contact\nN1,need,盐碱地改良技术需求,耐盐作物,现代农业,130900,2027-06-30,合作开发,某公司,张三\n";
    let le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let be: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain(text.replace("N1", "N2").encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    let built = pipeline::build(
        &[temp_file(&dir, "le.csv", &le), temp_file(&dir, "be.csv", &be)],
        None,
        &|_, _| {},
    );
    assert!(built.problems.is_empty(), "{:?}", built.problems);
    assert_eq!(built.records, 2);
    // A lone surrogate in UTF-16 is not text.
    let mut broken = le.clone();
    broken.extend([0x00, 0xD8, b'x', 0x00]);
    let f = temp_file(&dir, "broken.csv", &broken);
    assert_eq!(
        problems(std::slice::from_ref(&f)),
        [format!("{}:0: -: -: invalid UTF-16LE text", f.display())]
    );
}

#[test]
fn lone_surrogates_nul_and_bidi_overrides_are_named_zero_width_and_marks_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let rtl = "方向\u{202E}覆盖\u{2066}隔离\u{2069}";
    let zero_width = "零宽\u{200B}连接\u{200D}字符与\u{200F}方向标记";
    let text = [
        r#"{"id": "N1", "title": "\ud800"}"#.to_string(),
        need_json("N2", json!({"summary": "含NUL\u{0000}的概述"})),
        need_json("N3", json!({"title": rtl})),
        result_json("R1", json!({"advantages": zero_width})),
    ]
    .join("\n");
    let f = temp_file(&dir, "x.jsonl", text.as_bytes());
    let built = pipeline::build(std::slice::from_ref(&f), None, &|_, _| {});
    let p: Vec<String> = built.problems.iter().map(|p| p.to_string()).collect();
    let name = f.display();
    assert!(
        p[0].starts_with(&format!("{name}:1: -: -: invalid JSON: unexpected end of hex escape")),
        "{p:?}"
    );
    assert_eq!(
        p[1],
        format!("{name}:2: N2: summary: contains control character U+0000")
    );
    // An override or isolate would turn the record's text, and the page's after it, around.
    assert_eq!(
        p[2],
        format!("{name}:3: N3: title: contains bidirectional control U+202E")
    );
    assert_eq!(p.len(), 3, "{p:?}");
    // Zero-width characters and direction marks are format characters of real text (Arabic,
    // emoji): kept verbatim for the widget to isolate, not dropped or rewritten.
    let kept = pipeline::build(
        &[temp_file(
            &dir,
            "y.jsonl",
            result_json("R1", json!({"advantages": zero_width})).as_bytes(),
        )],
        None,
        &|_, _| {},
    );
    assert!(kept.problems.is_empty(), "{:?}", kept.problems);
    let engine = Engine::open(Bundle::parse(OwnedBytes::new(kept.bundle.unwrap())).unwrap()).unwrap();
    assert_eq!(
        engine.get("R1").unwrap().unwrap().advantages.as_deref(),
        Some(zero_width)
    );
}

#[test]
fn xlsx_dates_out_of_the_calendar_are_named_not_a_crash() {
    use rust_xlsxwriter::{Format, Workbook};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dates.xlsx");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in NEED_COLUMNS.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    // Excel serial days: a real date, then values no calendar holds.
    for (r, serial) in [46_203.0, 1e300, -1e300, 3e6].into_iter().enumerate() {
        let row = r as u32 + 1;
        let values = [
            format!("N{row}"),
            "need".into(),
            "激光熔覆修复".into(),
            "需要激光熔覆修复技术".into(),
            "激光及智能装备制造".into(),
            "130900".into(),
        ];
        for (c, v) in values.iter().enumerate() {
            ws.write_string(row, c as u16, v).unwrap();
        }
        ws.write_number_with_format(row, 6, serial, &date).unwrap();
        for (c, v) in [(7, "合作开发"), (8, "某公司"), (9, "张三")] {
            ws.write_string(row, c, v).unwrap();
        }
    }
    wb.save(&path).unwrap();
    let built = pipeline::build(std::slice::from_ref(&path), None, &|_, _| {});
    let p: Vec<String> = built.problems.iter().map(|p| p.to_string()).collect();
    let name = path.display();
    assert_eq!(
        p,
        [
            format!("{name}:Sheet1:3: N2: deadline: not a date in YYYY-MM-DD form: \"1e300\""),
            format!("{name}:Sheet1:4: N3: deadline: not a date in YYYY-MM-DD form: \"-1e300\""),
            format!("{name}:Sheet1:5: N4: deadline: not a date in YYYY-MM-DD form: \"3e6\""),
        ]
    );
    let engine = Engine::open(Bundle::parse(OwnedBytes::new(built.bundle.unwrap())).unwrap()).unwrap();
    assert_eq!(
        engine.get("N1").unwrap().unwrap().deadline.as_deref(),
        Some("2026-06-30")
    );
}
