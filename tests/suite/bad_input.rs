//! Every class of bad input gets a problem that names file, line or row, id and field.

use crate::common;

use common::{need_json, result_json, temp_file, NEED_COLUMNS};
use serde_json::json;
use techmatch::build::mapping::Mapping;
use techmatch::build::pipeline;

/// Builds from the given files and returns the problems as text lines.
fn problems(files: &[std::path::PathBuf], map: Option<&Mapping>) -> Vec<String> {
    pipeline::build(files, map, &|_, _| {})
        .problems
        .iter()
        .map(|p| p.to_string())
        .collect()
}

fn assert_has(problems: &[String], needle: &str) {
    assert!(
        problems.iter().any(|p| p.contains(needle)),
        "no problem contains {needle:?}; got:\n{}",
        problems.join("\n")
    );
}

#[test]
fn malformed_json_line_names_its_line_and_other_lines_still_count() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}\n{{\"id\": \"N2\", \"title\": \n{}\n",
        need_json("N1", json!({})),
        need_json("N3", json!({}))
    );
    let f = temp_file(&dir, "needs.jsonl", text.as_bytes());
    let p = problems(std::slice::from_ref(&f), None);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with(&format!("{}:2: -: -: invalid JSON", f.display())),
        "{}",
        p[0]
    );
    let built = pipeline::build(&[f], None, &|_, _| {});
    assert_eq!(built.records, 2, "the good lines are kept for --skip-invalid");
}

#[test]
fn json_array_elements_are_located_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[\n{},\n{}\n]",
        need_json("N1", json!({})),
        need_json("N2", json!({"trl_min": 12}))
    );
    let f = temp_file(&dir, "needs.json", text.as_bytes());
    assert_eq!(
        problems(std::slice::from_ref(&f), None),
        [format!(
            "{}:3: N2: trl_min: TRL must be a whole number from 1 to 9, found 12",
            f.display()
        )]
    );
}

#[test]
fn missing_required_fields_and_wrong_types_are_all_listed() {
    let dir = tempfile::tempdir().unwrap();
    let line = json!({"id": "N1", "kind": "need", "title": 5, "industries": "管道装备", "region": "130900",
                      "deadline": "2027-06-30", "coop_modes": ["合作开发"], "org": "x", "contact": "y", "anonymous": "yes"});
    let f = temp_file(&dir, "n.jsonl", line.to_string().as_bytes());
    let p = problems(&[f], None);
    assert_has(&p, ":1: N1: title: expected a string, found a number");
    assert_has(&p, ":1: N1: summary: required field is missing");
    assert_has(&p, ":1: N1: industries: expected an array of strings, found a string");
    assert_has(&p, ":1: N1: anonymous: expected true or false, found a string");
    assert_eq!(p.len(), 4, "{p:?}");
}

#[test]
fn trl_range_checks() {
    let dir = tempfile::tempdir().unwrap();
    let text = [
        need_json("N1", json!({"trl_min": 0})),
        need_json("N2", json!({"trl_min": 7, "trl_max": 4})),
        result_json("R1", json!({"trl": 10})),
        result_json("R2", json!({"trl": 4.5})),
    ]
    .join("\n");
    let p = problems(&[temp_file(&dir, "x.jsonl", text.as_bytes())], None);
    assert_has(&p, ":1: N1: trl_min: TRL must be a whole number from 1 to 9, found 0");
    assert_has(&p, ":2: N2: trl_min: trl_min 7 is above trl_max 4");
    assert_has(&p, ":3: R1: trl: TRL must be a whole number from 1 to 9, found 10");
    assert_has(&p, ":4: R2: trl: TRL must be a whole number from 1 to 9, found 4.5");
}

#[test]
fn enumerations_dates_and_taxonomy_codes() {
    let dir = tempfile::tempdir().unwrap();
    let text = [
        need_json("N1", json!({"coop_modes": ["买断"], "industries": ["钢铁"], "fields": ["炼金术"], "region": "990000"})),
        need_json("N2", json!({"kind": "offer", "deadline": "2027-02-30"})),
        result_json("R1", json!({"result_type": "论文", "transfer_modes": ["委托开发"], "ipr": [{"type": "专利", "status": "已授权"}]})),
        need_json("N3", json!({"deadline": "2027/06/30", "bounty": 100})),
    ]
    .join("\n");
    let p = problems(&[temp_file(&dir, "x.jsonl", text.as_bytes())], None);
    assert_has(&p, "N1: coop_modes: item 1: unknown mode \"买断\"");
    assert_has(&p, "N1: industries: item 1: unknown industry \"钢铁\"");
    assert_has(&p, "N1: fields: item 1: unknown technology field \"炼金术\"");
    assert_has(
        &p,
        "N1: region: not a six-digit GB/T 2260 code of a known province: \"990000\"",
    );
    assert_has(&p, "N2: kind: must be need, challenge or result, found \"offer\"");
    assert_has(&p, "R1: result_type: unknown result type \"论文\"");
    assert_has(&p, "R1: transfer_modes: item 1: unknown mode \"委托开发\"");
    assert_has(&p, "R1: ipr: item 1: unknown type \"专利\"");
    assert_has(&p, "N3: deadline: not a date in YYYY-MM-DD form: \"2027/06/30\"");
    assert_has(&p, "N3: bounty: only a challenge (kind \"challenge\") carries a bounty");
}

#[test]
fn challenge_needs_a_bounty_and_anonymous_posters_an_alias() {
    let dir = tempfile::tempdir().unwrap();
    let text = need_json("C1", json!({"kind": "challenge", "anonymous": true}));
    let p = problems(&[temp_file(&dir, "c.jsonl", text.as_bytes())], None);
    assert_has(&p, "C1: bounty: required field is missing");
    assert_has(&p, "C1: public_alias: required field is missing");
}

#[test]
fn unknown_fields_are_rejected_unless_mapped() {
    let dir = tempfile::tempdir().unwrap();
    let text = [
        need_json("N1", json!({"colour": "red"})),
        need_json("N2", json!({"trl": 5})),
    ]
    .join("\n");
    let p = problems(&[temp_file(&dir, "x.jsonl", text.as_bytes())], None);
    assert_has(
        &p,
        ":1: N1: colour: unknown field (a mapping file can rename or ignore it)",
    );
    assert_has(&p, ":2: N2: trl: not a field of a need");
}

#[test]
fn duplicate_ids_across_files_name_the_first_place() {
    let dir = tempfile::tempdir().unwrap();
    let a = temp_file(&dir, "a.jsonl", need_json("N1", json!({})).as_bytes());
    let b = temp_file(
        &dir,
        "b.jsonl",
        format!("{}\n{}", result_json("R1", json!({})), need_json("N1", json!({}))).as_bytes(),
    );
    let p = problems(&[a.clone(), b.clone()], None);
    assert_eq!(
        p,
        [format!(
            "{}:2: N1: id: duplicate id, first seen at {}:1",
            b.display(),
            a.display()
        )]
    );
}

#[test]
fn a_ten_megabyte_field_is_refused_by_length() {
    let dir = tempfile::tempdir().unwrap();
    let huge = "盐".repeat(10 * 1024 * 1024 / 3);
    let f = temp_file(&dir, "big.jsonl", need_json("N1", json!({"summary": huge})).as_bytes());
    let p = problems(&[f], None);
    assert_eq!(p.len(), 1);
    assert!(
        p[0].contains("N1: summary: too long: 3495253 characters, at most 500"),
        "{}",
        p[0]
    );
}

#[test]
fn control_characters_and_invalid_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = need_json("N1", json!({"title": "含控制符\u{0007}标题"})).into_bytes();
    bytes.extend_from_slice(b"\n{\"id\": \"N2\", \"title\": \"\xff\xfe\"}\n");
    let p = problems(&[temp_file(&dir, "x.jsonl", &bytes)], None);
    assert_has(&p, ":1: N1: title: contains control character U+0007");
    assert_has(&p, ":2: -: -: not valid UTF-8");
}

#[test]
fn bidirectional_controls_are_refused_where_they_stand() {
    // A title that would show reversed ("左至右 exe.png" for "png.exe 右至左"), a keyword holding an
    // isolate: each is a problem naming the record, the field and the character.
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        need_json("N1", json!({"title": "成果\u{202E}gnp.exe"})),
        need_json("N2", json!({"keywords": ["盐碱地", "\u{2067}改良"]})),
        need_json("N3", json!({"title": "从左至右的普通标题"})),
    ];
    let p = problems(&[temp_file(&dir, "bidi.jsonl", lines.join("\n").as_bytes())], None);
    assert_has(&p, ":1: N1: title: contains bidirectional control U+202E");
    assert_has(&p, ":2: N2: keywords: item 2: contains bidirectional control U+2067");
    assert_eq!(p.len(), 2, "{p:?}");
}

#[test]
fn empty_inputs_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let j = temp_file(&dir, "empty.jsonl", b"\n\n");
    let c = temp_file(&dir, "empty.csv", b"");
    let p = problems(&[j.clone(), c.clone()], None);
    assert_eq!(
        p,
        [
            format!("{}:0: -: -: no records in the file", j.display()),
            format!("{}:0: -: -: the file is empty", c.display())
        ]
    );
    let built = pipeline::build(&[j], None, &|_, _| {});
    assert!(built.bundle.is_none(), "no bundle from no records");
}

const CSV_HEADER: &str =
    "id,kind,title,summary,industries,region,deadline,coop_modes,org,contact,trl_min,trl_max,anonymous";

#[test]
fn csv_with_a_wrong_column_count_names_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{CSV_HEADER}\nN1,need,标题一,概述,管道装备,130900,2027-06-30,合作开发;转让,某公司,张三,4,7,否\nN2,need,标题二,概述\nN3,need,标题三,概述,节能环保、新材料,130900,2027/6/30,技术服务,某公司,张三,,,是\n"
    );
    let f = temp_file(&dir, "x.csv", text.as_bytes());
    let p = problems(std::slice::from_ref(&f), None);
    assert_has(
        &p,
        &format!("{}:3: N2: -: row has 4 fields, the header has 13", f.display()),
    );
    assert_has(
        &p,
        &format!("{}:4: N3: public_alias: required field is missing", f.display()),
    );
    assert_eq!(p.len(), 2, "the 、-list, the slash date and 否 all read fine: {p:?}");
}

#[test]
fn csv_rows_are_named_by_their_line_whatever_the_line_endings() {
    let dir = tempfile::tempdir().unwrap();
    // Row 3 has a quoted summary over two lines; row 5 (line 6) has a TRL of 12.
    let lines = [
        CSV_HEADER.to_string(),
        "N1,need,标题一,概述,管道装备,130900,2027-06-30,合作开发,某公司,张三,4,7,否".into(),
        "N2,need,标题二,\"两行{EOL}概述\",管道装备,130900,2027-06-30,合作开发,某公司,张三,4,7,否".into(),
        "N3,need,标题三,概述,管道装备,130900,2027-06-30,合作开发,某公司,张三,4,7,否".into(),
        "N4,need,标题四,概述,管道装备,130900,2027-06-30,合作开发,某公司,张三,4,12,否".into(),
    ];
    for (name, eol) in [("lf", "\n"), ("crlf", "\r\n"), ("cr", "\r")] {
        let text: String = lines.iter().map(|l| l.replace("{EOL}", eol) + eol).collect();
        let f = temp_file(&dir, &format!("{name}.csv"), text.as_bytes());
        let p = problems(std::slice::from_ref(&f), None);
        assert_eq!(p.len(), 1, "{name}: {p:?}");
        assert!(
            p[0].starts_with(&format!("{}:6: N4: trl_max:", f.display())),
            "{name}: {}",
            p[0]
        );
    }
}

#[test]
fn gbk_and_bom_csv_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{CSV_HEADER}\nN1,need,盐碱地改良技术需求,需要耐盐作物和改土技术,现代农业,130900,2027-06-30,合作开发,某公司,张三,4,7,否\n");
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(text.replace("N1", "N2").as_bytes());
    let files = [temp_file(&dir, "gbk.csv", &gbk), temp_file(&dir, "bom.csv", &bom)];
    let built = pipeline::build(&files, None, &|_, _| {});
    assert!(built.problems.is_empty(), "{:?}", built.problems);
    assert_eq!(built.records, 2);
    let engine = techmatch::engine::Engine::open(
        techmatch::bundle::Bundle::parse(tantivy::directory::OwnedBytes::new(built.bundle.unwrap())).unwrap(),
    )
    .unwrap();
    let r = engine.get("N1").unwrap().expect("N1 from the GBK file");
    assert_eq!(r.title, "盐碱地改良技术需求");
    assert_eq!(
        engine.get("N2").unwrap().unwrap().id,
        "N2",
        "the BOM is not part of the first header"
    );
}

#[test]
fn text_that_is_neither_utf8_nor_gbk_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = temp_file(&dir, "x.csv", b"id,title\n\x81\x20,\xff\xff\n");
    assert_eq!(
        problems(std::slice::from_ref(&f), None),
        [format!(
            "{}:0: -: -: the file is neither UTF-8 nor GBK/GB18030 text",
            f.display()
        )]
    );
}

#[test]
fn xlsx_with_merged_headers_and_empty_rows() {
    use rust_xlsxwriter::{Format, Workbook};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("needs.xlsx");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("需求").unwrap();
    for (c, h) in NEED_COLUMNS.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let row = [
        "N1",
        "need",
        "激光熔覆修复轴类零件",
        "需要激光熔覆修复技术",
        "激光及智能装备制造",
        "130900",
        "2027-06-30",
        "合作开发",
        "某公司",
        "张三",
    ];
    for (c, v) in row.iter().enumerate() {
        ws.write_string(1, c as u16, *v).unwrap();
    }
    // Row 3 stays empty; row 4 is a record with a TRL in a column whose header is merged away.
    let row4 = [
        "N2",
        "need",
        "数控机床热误差补偿",
        "主轴热误差补偿",
        "数控机床",
        "130100",
        "2027-01-31",
        "委托开发",
        "某机床厂",
        "王五",
    ];
    for (c, v) in row4.iter().enumerate() {
        ws.write_string(3, c as u16, *v).unwrap();
    }
    ws.merge_range(0, 10, 0, 11, "trl_min", &Format::new()).unwrap();
    ws.write_number(3, 10, 5).unwrap();
    ws.write_number(3, 11, 7).unwrap();
    wb.save(&path).unwrap();

    let p = problems(std::slice::from_ref(&path), None);
    let name = path.display();
    assert_has(
        &p,
        &format!("{name}:需求:1: -: column 12: column has no header (merged or blank header cells?)"),
    );
    assert_has(
        &p,
        &format!("{name}:需求:4: -: -: a value stands under a column without header"),
    );
    assert_eq!(p.len(), 2, "the empty row 3 is skipped silently: {p:?}");
    let built = pipeline::build(&[path], None, &|_, _| {});
    assert_eq!(
        built.records, 2,
        "both records read; the merged-away value is reported, not misfiled"
    );
}

#[test]
fn mapping_naming_a_missing_column_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = temp_file(
        &dir,
        "papers.jsonl",
        r#"{"docid": "d1", "title": "t", "abstract": "a", "discipline": "数学", "extra": 1}"#.as_bytes(),
    );
    let map = temp_file(
        &dir,
        "m.toml",
        b"[fields]\nid = \"docid\"\ntitle = \"titel\"\nsummary = \"abstract\"\n",
    );
    let mapping = Mapping::load(&map).unwrap();
    let p = problems(&[data], Some(&mapping));
    assert_has(&p, ":0: -: titel: the mapping names column \"titel\", which the source does not have (columns: abstract, discipline, docid, extra, title)");
    assert_has(
        &p,
        ":1: -: extra: column is neither mapped nor ignored by the mapping file",
    );
    assert_has(
        &p,
        ":1: -: discipline: column is neither mapped nor ignored by the mapping file",
    );
}

#[test]
fn mapping_files_are_checked_on_load() {
    let dir = tempfile::tempdir().unwrap();
    let bad_field = temp_file(&dir, "a.toml", b"[fields]\ncolour = \"c\"\n");
    assert!(Mapping::load(&bad_field)
        .unwrap_err()
        .to_string()
        .contains("[fields] colour: not a field of the techmatch schema"));
    let bad_toml = temp_file(&dir, "b.toml", b"[fields\n");
    assert!(Mapping::load(&bad_toml)
        .unwrap_err()
        .to_string()
        .starts_with(&bad_toml.display().to_string()));
    let empty_spec = temp_file(&dir, "c.toml", b"[fields]\ntitle = { map = { a = \"b\" } }\n");
    assert!(Mapping::load(&empty_spec)
        .unwrap_err()
        .to_string()
        .contains("give a column or a value"));
}

#[test]
fn an_xlsx_cell_of_the_wrong_type_is_one_problem() {
    use rust_xlsxwriter::Workbook;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.xlsx");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let header = [
        "id",
        "kind",
        "title",
        "summary",
        "industries",
        "trl",
        "result_type",
        "transfer_modes",
        "holder",
    ];
    let row = [
        "R1",
        "result",
        "激光熔覆",
        "激光熔覆修复技术",
        "激光及智能装备制造",
        "高",
        "专利",
        "转让",
        "某大学",
    ];
    for (c, (h, v)) in header.iter().zip(row).enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
        ws.write_string(1, c as u16, v).unwrap();
    }
    wb.save(&path).unwrap();
    let p = problems(std::slice::from_ref(&path), None);
    let about: Vec<&String> = p.iter().filter(|m| m.contains(": R1: trl: ")).collect();
    assert_eq!(about.len(), 1, "{p:#?}");
    assert!(
        about[0].ends_with("TRL must be a whole number from 1 to 9, found \"高\""),
        "{p:#?}"
    );
}

#[test]
fn a_mapped_csv_list_cell_is_split_as_an_unmapped_one_is() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "编号,名称,简介,行业,地区,地区名,截止,方式,单位,联系\n\
               N1,管道防腐涂层耐温提升,需要耐温120℃的管道外防腐涂层。,新材料;高端装备制造产业,130900,沧州市,2027-06-30,转让、技术服务,沧州某管道公司,张三\n";
    let file = temp_file(&dir, "needs.csv", csv.as_bytes());
    let map = temp_file(
        &dir,
        "map.toml",
        "[fields]\nid = \"编号\"\ntitle = \"名称\"\nsummary = \"简介\"\nindustries = \"行业\"\nregion = \"地区\"\n\
         region_name = \"地区名\"\ndeadline = \"截止\"\ncoop_modes = \"方式\"\norg = \"单位\"\ncontact = \"联系\"\n\
         kind = { value = \"need\" }\n"
            .as_bytes(),
    );
    let mapping = Mapping::load(&map).unwrap();
    let built = pipeline::build(&[file], Some(&mapping), &|_, _| {});
    let problems: Vec<String> = built.problems.iter().map(|p| p.to_string()).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(built.records, 1);
}
