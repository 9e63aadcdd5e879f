//! The `techmatch` command as users and tools call it: exit codes, messages, JSON shapes, eval.

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

use common::{need_json, result_json, temp_file};
use serde_json::{json, Value};

fn techmatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_techmatch"))
        .args(args)
        .output()
        .expect("runs")
}

fn stdout_json(out: &Output) -> Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn a_failed_build_lists_every_problem_exits_2_and_keeps_the_old_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let good = temp_file(
        &dir,
        "good.jsonl",
        format!("{}\n{}", need_json("N1", json!({})), result_json("R1", json!({}))).as_bytes(),
    );
    let out_dir = dir.path().join("out");
    let first = techmatch(&["build", p(&good), "--out", p(&out_dir)]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let bundle = out_dir.join("techmatch.bundle");
    let before = std::fs::read(&bundle).unwrap();

    let bad = temp_file(
        &dir,
        "bad.jsonl",
        format!(
            "{}\n{}\nnot json\n",
            need_json("N2", json!({"trl_min": 11})),
            result_json("R2", json!({"kind": "paper"}))
        )
        .as_bytes(),
    );
    let out = techmatch(&["build", p(&good), p(&bad), "--out", p(&out_dir)]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let bad_name = bad.display().to_string();
    for line in [
        format!("{bad_name}:1: N2: trl_min: TRL must be a whole number from 1 to 9, found 11"),
        format!("{bad_name}:2: R2: kind: must be need, challenge or result, found \"paper\""),
        format!("{bad_name}:3: -: -: invalid JSON"),
    ] {
        assert!(err.contains(&line), "missing {line:?} in\n{err}");
    }
    assert!(err.contains("3 problems in the input; nothing was written"), "{err}");
    assert_eq!(
        std::fs::read(&bundle).unwrap(),
        before,
        "the existing bundle is untouched"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no temporary files left: {leftovers:?}");

    let skip = techmatch(&["build", p(&good), p(&bad), "--out", p(&out_dir), "--skip-invalid"]);
    assert!(skip.status.success());
    let err = String::from_utf8_lossy(&skip.stderr);
    assert!(
        err.contains("trl_min: TRL must be") && err.contains("skipped 2 invalid records (3 problems)"),
        "{err}"
    );
    let stats = stdout_json(&techmatch(&["inspect", p(&bundle), "--json"]));
    assert_eq!(stats["records"], 2);
}

#[test]
fn search_match_and_inspect_speak_the_documented_json() {
    let dir = tempfile::tempdir().unwrap();
    let root = common::root();
    let out = techmatch(&[
        "build",
        p(&root.join("seeds/needs.jsonl")),
        p(&root.join("seeds/results.jsonl")),
        "--out",
        p(dir.path()),
    ]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("confidential: ") && err.contains("contact dropped"),
        "the build says what it dropped: {err}"
    );
    let bundle = dir.path().join("techmatch.bundle");

    let s = stdout_json(&techmatch(&[
        "search",
        p(&bundle),
        "盐碱地",
        "--kind",
        "result",
        "--filter",
        "industries=现代农业",
        "--trl",
        "3-9",
        "--limit",
        "3",
        "--json",
    ]));
    assert!(s["total"].as_u64().unwrap() > 0);
    let hit = &s["hits"][0];
    for key in ["id", "kind", "title", "score", "snippet", "highlights", "tags"] {
        assert!(hit.get(key).is_some(), "hit lacks {key}: {hit}");
    }
    assert_eq!(hit["kind"], "result");
    assert!(hit["tags"]["industries"]
        .as_array()
        .unwrap()
        .contains(&json!("现代农业")));
    assert!(s["facets"]["industries"]["现代农业"].as_u64().unwrap() >= s["total"].as_u64().unwrap());

    let m = stdout_json(&techmatch(&[
        "match",
        p(&bundle),
        "--id",
        "N-2026-0001",
        "--limit",
        "3",
        "--today",
        "2026-11-21",
        "--json",
    ]));
    let first = &m["hits"][0];
    for key in ["id", "kind", "title", "score", "reasons"] {
        assert!(first.get(key).is_some(), "match hit lacks {key}");
    }
    let reason = &first["reasons"][0];
    assert!(reason["kind"].is_string() && reason["detail"].is_string() && reason["contribution"].is_number());

    let text = techmatch(&["match", p(&bundle), "--text", "含氯硝基芳烃催化加氢", "--limit", "2"]);
    assert!(text.status.success() && String::from_utf8_lossy(&text.stdout).contains("terms"));

    let i = stdout_json(&techmatch(&["inspect", p(&bundle), "--json"]));
    assert_eq!(i["format_version"], techmatch::bundle::FORMAT_VERSION);
    assert!(i["counts"]["challenges"].as_u64().unwrap() > 0);
    assert!(i["files"].as_array().unwrap().iter().any(|f| f["name"] == "meta.json"));

    let bad = techmatch(&["search", p(&bundle), "x", "--filter", "colour=red"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown field \"colour\""));
}

#[test]
fn a_corrupted_bundle_is_named_and_refused() {
    let dir = tempfile::tempdir().unwrap();
    let junk = temp_file(&dir, "junk.bundle", b"PK\x03\x04 definitely not a bundle");
    let out = techmatch(&["search", p(&junk), "x"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("junk.bundle") && err.contains("not a techmatch bundle"),
        "{err}"
    );
}

#[test]
fn eval_writes_a_trec_run_and_scores_it() {
    let dir = tempfile::tempdir().unwrap();
    // Three results; the query 热泵 occurs in R1 (title) and R2 (summary) only.
    let records = [
        result_json(
            "R1",
            json!({"title": "空气源热泵烘干机", "summary": "高效热泵烘干设备。"}),
        ),
        result_json(
            "R2",
            json!({"title": "粮食干燥设备", "summary": "采用热泵的低温粮食干燥。"}),
        ),
        result_json("R3", json!({"title": "太阳能集热器", "summary": "平板太阳能集热。"})),
    ];
    let input = temp_file(&dir, "r.jsonl", records.join("\n").as_bytes());
    assert!(techmatch(&["build", p(&input), "--out", p(dir.path())])
        .status
        .success());
    let bundle = dir.path().join("techmatch.bundle");
    let queries = temp_file(&dir, "q.tsv", "q1\t热泵\nq2\t太阳能\n".as_bytes());
    // q1: R2 (grade 2) and R1 (grade 1) relevant; q2: R3 relevant (grade 1).
    let qrels = temp_file(&dir, "qrels", b"q1 0 R2 2\nq1 0 R1 1\nq2 0 R3 1\n");
    let run = dir.path().join("run.trec");
    let out = techmatch(&[
        "eval",
        p(&bundle),
        "--queries",
        p(&queries),
        "--qrels",
        p(&qrels),
        "--run",
        p(&run),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let trec = std::fs::read_to_string(&run).unwrap();
    let q1: Vec<Vec<&str>> = trec
        .lines()
        .map(|l| l.split(' ').collect())
        .filter(|f: &Vec<&str>| f[0] == "q1")
        .collect();
    assert!(q1.iter().all(|f| f.len() == 6 && f[1] == "Q0" && f[5] == "techmatch"));
    // The title match first, then the summary match; R3 (集热器) holds only the character 热 of
    // 热/泵/热泵, under half of the word's terms, so it is not a match.
    let ranked: Vec<(&str, &str)> = q1.iter().map(|f| (f[2], f[3])).collect();
    assert_eq!(ranked, [("R1", "1"), ("R2", "2")], "{trec}");
    // Hand-computed: q1 DCG = 1/log2(2) + 2/log2(3) = 2.261860, IDCG = 2 + 1/log2(3) = 2.630930,
    // nDCG 0.859719; q2 nDCG 1. Mean nDCG@10 = 0.929860; MRR = 1; Recall@100 = 1.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("nDCG@10 0.9299  MRR@10 1.0000  Recall@100 1.0000  (2 judged queries)"),
        "{stdout}"
    );
}

/// A portal merges sources with different layouts: `--map INPUT=MAP` reads one input with its own
/// mapping (and only that input gets the mapping's `allow_missing`), the others as they are.
#[test]
fn each_input_can_have_its_own_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let papers = temp_file(&dir, "papers.jsonl", json!({"docid": "d1", "title": "盐碱地改良的微生物菌剂", "abstract": "筛选耐盐菌株，改良滨海盐碱土。", "keywords": ["盐碱地"], "discipline": "农业资源利用"}).to_string().as_bytes());
    let native = temp_file(
        &dir,
        "results.jsonl",
        format!("{}\n", result_json("R1", json!({}))).as_bytes(),
    );
    let csl_map = common::root().join("seeds/maps/csl.toml");
    let mapped = format!("{}={}", p(&papers), p(&csl_map));
    let out = techmatch(&[
        "build",
        p(&papers),
        p(&native),
        "--map",
        &mapped,
        "--out",
        p(dir.path()),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bundle = dir.path().join("techmatch.bundle");
    let hits = stdout_json(&techmatch(&["search", p(&bundle), "盐碱地", "--json"]));
    assert_eq!(hits["hits"][0]["id"], "d1", "{hits}");
    assert_eq!(
        hits["hits"][0]["tags"]["industries"],
        json!(["节能环保产业"]),
        "the paper went through its mapping: {hits}"
    );
    assert_eq!(
        stdout_json(&techmatch(&["search", p(&bundle), "环氧", "--json"]))["hits"][0]["id"],
        "R1"
    );

    // The mapping's allow_missing is not lent to the other input: a native result without a holder is refused.
    let no_holder = temp_file(
        &dir,
        "bad.jsonl",
        format!("{}\n", result_json("R2", json!({"holder": null}))).as_bytes(),
    );
    let out = techmatch(&[
        "build",
        p(&papers),
        p(&no_holder),
        "--map",
        &mapped,
        "--out",
        p(dir.path()),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.jsonl:1") && err.contains("R2") && err.contains("holder"),
        "{err}"
    );

    for (map, says) in [
        (
            format!("elsewhere.jsonl={}", p(&csl_map)),
            "elsewhere.jsonl is not one of the inputs",
        ),
        (mapped.clone(), "a mapping for"),
    ] {
        let out = techmatch(&[
            "build",
            p(&papers),
            p(&native),
            "--map",
            &mapped,
            "--map",
            &map,
            "--out",
            p(dir.path()),
        ]);
        assert_eq!(out.status.code(), Some(2), "{map}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A match evaluation takes its day from `--today`, so its figures do not drift as deadlines pass.
#[test]
fn match_eval_uses_the_given_day() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = common::root().join("index/techmatch.bundle");
    let queries = temp_file(&dir, "q.tsv", b"N-2026-0001\tN-2026-0001\n");
    let run_on = |day: &str| {
        let run = dir.path().join(format!("{day}.trec"));
        let out = techmatch(&[
            "eval",
            p(&bundle),
            "--mode",
            "match-id",
            "--queries",
            p(&queries),
            "--run",
            p(&run),
            "--limit",
            "3",
            "--today",
            day,
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        std::fs::read_to_string(&run).unwrap()
    };
    let before = run_on("2000-01-01");
    assert_eq!(before, run_on("2000-01-01"), "the same day gives the same run");
    // Long past every deadline, the need is expired: its matches lose points.
    let after = run_on("2099-01-01");
    let top = |trec: &str| {
        trec.lines()
            .next()
            .unwrap()
            .split(' ')
            .nth(4)
            .unwrap()
            .parse::<f32>()
            .unwrap()
    };
    assert!(top(&after) < top(&before), "{before}\n{after}");
    let bad = techmatch(&[
        "eval",
        p(&bundle),
        "--mode",
        "match-id",
        "--queries",
        p(&queries),
        "--today",
        "30.11.2026",
    ]);
    assert_eq!(bad.status.code(), Some(1), "{}", String::from_utf8_lossy(&bad.stderr));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("30.11.2026"));
}

/// `techmatch search … | head` closes the pipe early: the CLI ends quietly, it does not report
/// a panic (or blame the bundle).
#[test]
#[cfg(unix)]
fn a_reader_closing_the_pipe_ends_the_cli_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let bundle = common::root().join("index/techmatch.bundle");
    let mut child = Command::new(env!("CARGO_BIN_EXE_techmatch"))
        .args(["search", p(&bundle), "", "--limit", "100"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader is gone before the first line
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.signal(),
        Some(13),
        "ended by SIGPIPE, as `cat` would: {:?}",
        out.status
    );
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn help_shows_examples() {
    let out = techmatch(&["--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Examples:") && text.contains("techmatch build seeds/needs.jsonl"));
}

#[test]
fn limit_errors_name_the_flag_and_a_query_may_start_with_an_exclusion() {
    let bundle = concat!(env!("CARGO_MANIFEST_DIR"), "/index/techmatch.bundle");
    for args in [
        vec!["search", bundle, "盐碱", "--limit", "0"],
        vec!["match", bundle, "--text", "盐碱地", "--limit", "5000"],
    ] {
        let out = techmatch(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("'--limit <LIMIT>'") && err.contains("from 1 to 1000"),
            "{err}"
        );
    }
    let all = stdout_json(&techmatch(&["search", bundle, "盐碱", "--json"]));
    let without = techmatch(&["search", bundle, "-地 盐碱", "--json"]);
    assert!(without.status.success(), "{}", String::from_utf8_lossy(&without.stderr));
    let without = stdout_json(&without);
    let (n, m) = (all["total"].as_u64().unwrap(), without["total"].as_u64().unwrap());
    assert!(0 < m && m < n, "盐碱 {n} records, without 地 {m}");
}

#[test]
fn a_folder_builds_from_the_input_files_inside_it_sorted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("portal");
    std::fs::create_dir(&inputs).unwrap();
    std::fs::copy(root.join("seeds/results.jsonl"), inputs.join("results.jsonl")).unwrap();
    std::fs::copy(root.join("seeds/needs.jsonl"), inputs.join("needs.jsonl")).unwrap();
    std::fs::write(inputs.join("README.txt"), "not an input").unwrap();
    std::fs::write(inputs.join(".needs.jsonl.swp"), "an editor's").unwrap();
    let out = dir.path().join("out");
    let built = techmatch(&["build", p(&inputs), "--out", p(&out)]);
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    assert_eq!(
        std::fs::read(out.join("techmatch.bundle")).unwrap(),
        std::fs::read(root.join("index/techmatch.bundle")).unwrap(),
        "the same bundle as from seeds/needs.jsonl seeds/results.jsonl"
    );
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let refused = techmatch(&["build", p(&empty), "--out", p(&out)]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no .json, .jsonl, .csv, .tsv or .xlsx file inside"));
}
