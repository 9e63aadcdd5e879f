//! `techmatch push`: every need's (or result's) best matches as a broker sends them on, in XLSX
//! and CSV, checked against the engine's own matches on the seeds.

use crate::common;

use std::collections::BTreeMap;
use std::process::Command;

use calamine::{Data, Reader, Xlsx};
use techmatch::engine::{MatchRequest, SearchRequest};
use techmatch::tools::push::{self, Lang, PushOptions, Side};

const TODAY: &str = "2026-12-01";

fn techmatch(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_techmatch"))
        .args(args)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out
}

fn seeds_bundle() -> String {
    common::root().join("index/techmatch.bundle").display().to_string()
}

/// The CSV's rows as cells, the BOM and header checked.
fn csv_rows(bytes: &[u8], header: &str) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM for Excel");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(text.contains("\r\n"), "CRLF lines");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(r.headers().unwrap().iter().collect::<Vec<_>>().join(","), header);
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn the_needs_list_holds_each_open_needs_best_matches_as_the_engine_ranks_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("push.csv");
    let bundle = seeds_bundle();
    let args = [
        "push",
        &bundle,
        "--open",
        "--top",
        "3",
        "--min-score",
        "30",
        "--today",
        TODAY,
    ];
    let done = techmatch(&[&args[..], &["--out", out.to_str().unwrap()]].concat());
    assert!(
        String::from_utf8_lossy(&done.stderr).contains("pairs for"),
        "a closing line"
    );
    let rows = csv_rows(
        &std::fs::read(&out).unwrap(),
        "需求编号,类型,需求名称,发布方,排名,成果编号,成果名称,持有方,匹配度,匹配理由",
    );

    // What the engine says, need by need: the open needs and their top 3 scoring 30 or more.
    let engine = common::seeds();
    let open = engine
        .search(&SearchRequest {
            kind: Some("needs".into()),
            open: true,
            size: 1000,
            today: Some(TODAY.into()),
            ..SearchRequest::default()
        })
        .unwrap();
    assert!(open.total >= 10, "the seeds hold open needs: {}", open.total);
    let mut want: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for need in &open.hits {
        let res = engine
            .match_records(&MatchRequest {
                id: Some(need.id.clone()),
                size: 3,
                today: Some(TODAY.into()),
                ..MatchRequest::default()
            })
            .unwrap();
        let kept = res.hits.iter().filter(|h| h.score >= 30.0);
        want.insert(
            need.id.clone(),
            kept.map(|h| (h.id.clone(), format!("{:.1}", h.score))).collect(),
        );
    }
    want.retain(|_, v| !v.is_empty());
    let mut got: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for row in &rows {
        got.entry(row[0].clone())
            .or_default()
            .push((row[5].clone(), row[8].clone()));
        assert!(["需求", "揭榜"].contains(&row[1].as_str()), "{row:?}");
        assert!(!row[2].is_empty() && !row[6].is_empty(), "titles: {row:?}");
        assert!(
            row[9].starts_with("文本相近 +") || row[9].contains("同属产业"),
            "reasons in words: {row:?}"
        );
    }
    assert_eq!(got, want);
    // Ranks count 1, 2, 3 within each need; the list is sorted by need id.
    let ids: Vec<&String> = rows.iter().map(|r| &r[0]).collect();
    assert!(ids.windows(2).all(|w| w[0] <= w[1]));
    for r in rows.windows(2) {
        let expected = if r[0][0] == r[1][0] {
            r[0][4].parse::<usize>().unwrap() + 1
        } else {
            1
        };
        assert_eq!(r[1][4].parse::<usize>().unwrap(), expected, "{r:?}");
    }
}

#[test]
fn xlsx_and_csv_hold_the_same_rows_and_results_list_only_open_needs() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = seeds_bundle();
    let (xlsx, csv) = (dir.path().join("r.xlsx"), dir.path().join("r.csv"));
    for out in [&xlsx, &csv] {
        let args = [
            "push", &bundle, "--side", "results", "--open", "--top", "4", "--today", TODAY, "--lang", "en",
        ];
        techmatch(&[&args[..], &["--out", out.to_str().unwrap()]].concat());
    }
    let header = "Result,Kind,Result title,Holder,Rank,Need,Need title,Enterprise,Score,Reasons";
    let rows = csv_rows(&std::fs::read(&csv).unwrap(), header);
    assert!(rows.len() > 20, "{} rows", rows.len());
    let mut book: Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
    let sheet = book.worksheet_range("Push list").unwrap();
    let cells: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| {
            r.iter()
                .enumerate()
                .map(|(col, c)| match c {
                    Data::Float(f) if col == 8 => format!("{f:.1}"),
                    Data::Float(f) => format!("{f}"),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    assert_eq!(cells[0].join(","), header);
    assert_eq!(cells[1..], rows[..], "the workbook holds the CSV's rows");
    assert!(matches!(sheet.get((1, 8)), Some(Data::Float(_))), "scores are numbers");

    // Every need a result is pushed to is open on TODAY.
    let engine = common::seeds();
    for row in &rows {
        assert_eq!(row[1], "result");
        let need = engine.get(&row[5]).unwrap().unwrap();
        assert!(
            need.deadline.as_deref().is_some_and(|d| d >= TODAY),
            "{} {:?}",
            need.id,
            need.deadline
        );
        assert!(row[9].contains("need open"), "{row:?}");
    }
}

#[test]
fn bad_options_are_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = seeds_bundle();
    let out = dir.path().join("push.txt");
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_techmatch"))
            .args([&["push", &bundle][..], extra].concat())
            .output()
            .unwrap()
    };
    let bad = run(&["--out", out.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("must end in .xlsx or .csv"));
    let csv = dir.path().join("push.csv");
    let bad = run(&["--today", "2026-13-45", "--out", csv.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("today"));
    assert!(!out.exists() && !csv.exists());
    // The library refuses what the command line cannot say.
    let opts = PushOptions {
        side: Side::Needs,
        open: false,
        top: 5,
        min_score: 120.0,
        today: None,
        lang: Lang::Zh,
    };
    let e = push::push(&common::seeds(), &opts, &|_, _| {}).unwrap_err();
    assert!(e.to_string().contains("min-score: must be 0 to 100"), "{e}");
}

#[test]
fn cells_a_spreadsheet_would_run_are_made_inert_in_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    let need = common::need_json(
        "N1",
        serde_json::json!({"title": "=HYPERLINK(\"x\")盐碱地改良", "deadline": "2099-01-01"}),
    );
    let result = common::result_json(
        "R1",
        serde_json::json!({"title": "@盐碱地改良技术", "summary": "盐碱地改良"}),
    );
    let input = common::temp_file(&dir, "x.jsonl", format!("{need}\n{result}\n").as_bytes());
    let build = Command::new(env!("CARGO_BIN_EXE_techmatch"))
        .args(["build", input.to_str().unwrap(), "--out", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(build.status.success(), "{}", String::from_utf8_lossy(&build.stderr));
    let out = dir.path().join("p.csv");
    let bundle = dir.path().join("techmatch.bundle");
    techmatch(&["push", bundle.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    let rows = csv_rows(
        &std::fs::read(&out).unwrap(),
        "需求编号,类型,需求名称,发布方,排名,成果编号,成果名称,持有方,匹配度,匹配理由",
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0][2].starts_with("'=HYPERLINK"), "{:?}", rows[0][2]);
    assert!(rows[0][6].starts_with("'@"), "{:?}", rows[0][6]);
}
