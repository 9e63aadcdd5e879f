//! Confidential fields never reach a public bundle: not by search, not in stored documents,
//! not in the bundle's bytes, raw or decompressed.

use crate::common;

use std::process::Command;

use common::{need_json, result_json, temp_file};
use serde_json::json;
use tantivy::directory::OwnedBytes;
use techmatch::build::pipeline;
use techmatch::bundle::Bundle;
use techmatch::engine::{Engine, SearchRequest};

/// One marker per confidential field; each must vanish from the bundle.
const MARKERS: [&str; 9] = [
    "MKCONTACTNEED",
    "MKORGANON",
    "MKCREDIT91X",
    "MKPARTNERA",
    "MKPARTNERB",
    "MKCONTACTRESULT",
    "MKPATENTNO",
    "9876543.21",
    "8765432.19",
];

/// Records with every confidential field filled with a marker.
fn secret_records() -> String {
    [
        need_json(
            "N-SECRET",
            json!({
                "anonymous": true, "public_alias": "沧州某管道装备企业",
                "org": "MKORGANON 沧州机密管业有限公司", "credit_code": "MKCREDIT91X", "contact": "MKCONTACTNEED 13900001111 secret@example.com",
                "budget_min": 8765432.19, "budget_max": 9876543.21, "intended_partners": ["MKPARTNERA", "MKPARTNERB 大学"]
            }),
        ),
        result_json("R-SECRET", json!({"contact": "MKCONTACTRESULT 李四", "ipr": [{"type": "发明专利", "status": "已授权", "number": "MKPATENTNO"}]})),
        need_json("N-PLAIN", json!({"anonymous": false, "org": "公开管业有限公司", "credit_code": "MKCREDIT91X"})),
    ]
    .join("\n")
}

#[test]
fn no_confidential_value_can_be_found_in_the_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let text = secret_records();
    let input = temp_file(&dir, "secret.jsonl", text.as_bytes());
    let built = pipeline::build(&[input], None, &|_, _| {});
    assert!(built.problems.is_empty(), "{:?}", built.problems);
    assert!(
        built.confidential.contains("contact dropped (3)")
            && built.confidential.contains("budget published as a band (1)"),
        "{}",
        built.confidential
    );
    let bytes = built.bundle.unwrap();
    assert_no_marker(&bytes, &MARKERS, &["机密管业", "secret@example.com", "13900001111"]);
    let engine = Engine::open(Bundle::parse(OwnedBytes::new(bytes)).unwrap()).unwrap();

    // What the public does see: the alias, the band, the named org of a non-anonymous poster.
    let secret = engine.get("N-SECRET").unwrap().unwrap();
    assert_eq!(secret.owner.as_deref(), Some("沧州某管道装备企业"));
    assert_eq!(secret.budget_band.as_deref(), Some("1000万元以上"));
    assert_eq!(
        engine.get("N-PLAIN").unwrap().unwrap().owner.as_deref(),
        Some("公开管业有限公司")
    );
    let json = serde_json::to_string(&engine.get("R-SECRET").unwrap().unwrap()).unwrap();
    assert!(json.contains("发明专利") && !json.contains("number"), "{json}");
}

#[test]
fn the_cli_says_what_it_dropped_or_banded() {
    let dir = tempfile::tempdir().unwrap();
    let input = temp_file(&dir, "secret.jsonl", secret_records().as_bytes());
    let out = Command::new(env!("CARGO_BIN_EXE_techmatch"))
        .args(["build", input.to_str().unwrap(), "--out"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let report = "confidential: budget published as a band (1), contact dropped (3), credit_code dropped (2), intended_partners dropped (1), ipr numbers dropped (1), org of anonymous posters dropped (1)";
    assert!(err.lines().any(|l| l == report), "{err}");
}

#[test]
fn confidential_cells_of_a_spreadsheet_export_stay_out_too() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "id,kind,title,summary,industries,region,deadline,coop_modes,org,contact,anonymous,public_alias,credit_code,budget_min,budget_max,intended_partners\n\
               N-CSV,need,管道防腐涂层耐温提升,需要耐温涂层,管道装备,130900,2027/6/30,合作开发,MKORGCSV管业,MKCONTACTCSV 张三,是,沧州某企业,MKCREDITCSV,7654321.98,7654329.87,MKPARTNERCSV；另一所大学\n";
    let results = "id\tkind\ttitle\tsummary\tadvantages\tindustries\tregion\ttrl\tresult_type\ttransfer_modes\tholder\tcontact\tipr\n\
                   R-TSV\tresult\t耐高温涂层\t一种涂层\t耐温150℃\t新材料\t120000\t7\t新材料\t转让\t天津某大学\tMKCONTACTTSV\t发明专利:已授权:MKPATENTTSV；实用新型:已授权:MKPATENTTSV2\n";
    let files = [
        temp_file(&dir, "needs.csv", csv.as_bytes()),
        temp_file(&dir, "results.tsv", results.as_bytes()),
    ];
    let built = pipeline::build(&files, None, &|_, _| {});
    assert!(built.problems.is_empty(), "{:?}", built.problems);
    assert_eq!(built.records, 2);
    let markers = [
        "MKORGCSV",
        "MKCONTACTCSV",
        "MKCREDITCSV",
        "MKPARTNERCSV",
        "MKCONTACTTSV",
        "MKPATENTTSV",
        "MKPATENTTSV2",
        "7654321.98",
        "7654329.87",
    ];
    assert_no_marker(&built.bundle.unwrap(), &markers, &[]);
}

/// Scans a bundle for confidential values: the raw bytes, search over every field, every term of
/// every indexed field and every stored document, decompressed. `markers` are single tokens that
/// must not even be a search term; `words` (names, phrases, e-mail) must not be found or stored.
fn assert_no_marker(bytes: &[u8], markers: &[&str], words: &[&str]) {
    // 1. The raw bundle bytes (header, term dictionaries, fast fields, everything uncompressed).
    let raw = String::from_utf8_lossy(bytes).to_lowercase();
    for m in markers.iter().chain(words) {
        assert!(!raw.contains(&m.to_lowercase()), "{m} in the raw bundle bytes");
    }

    let engine = Engine::open(Bundle::parse(OwnedBytes::new(bytes.to_vec())).unwrap()).unwrap();

    // 2. Search over every field.
    for m in markers.iter().chain(words) {
        let r = engine
            .search(&SearchRequest {
                q: m.to_string(),
                ..SearchRequest::default()
            })
            .unwrap();
        let leaked = r.hits.iter().any(|h| format!("{h:?}").contains(m));
        assert!(!leaked, "{m} found by search");
        if m.is_ascii() && !m.contains('@') && !m.contains('.') {
            assert_eq!(r.total, 0, "{m} is a search term");
        }
    }

    // 3. Every term of every indexed field.
    let searcher = engine.searcher();
    for seg in searcher.segment_readers() {
        for (field, _) in searcher.schema().fields() {
            let inverted = seg.inverted_index(field).unwrap();
            let mut stream = inverted.terms().stream().unwrap();
            while stream.advance() {
                let term = String::from_utf8_lossy(stream.key()).to_lowercase();
                for m in markers {
                    assert!(!term.contains(&m.to_lowercase()), "term {term:?} holds {m}");
                }
            }
        }
        // 4. Every stored document, decompressed.
        let store = seg.get_store_reader(0).unwrap();
        for doc in 0..seg.max_doc() {
            let bytes = store.get_document_bytes(doc).unwrap();
            let text = String::from_utf8_lossy(bytes.as_slice()).to_lowercase();
            for m in markers.iter().chain(words) {
                assert!(!text.contains(&m.to_lowercase()), "stored document {doc} holds {m}");
            }
        }
    }
}
