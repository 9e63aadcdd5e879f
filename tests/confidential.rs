//! Confidential fields never reach a public bundle: not by search, not in stored documents,
//! not in the bundle's bytes, raw or decompressed.

mod common;

use common::{need_json, result_json, temp_file};
use serde_json::json;
use tantivy::directory::OwnedBytes;
use techmatch::bundle::Bundle;
use techmatch::pipeline;
use techmatch::search::{Engine, SearchRequest};

/// One marker per confidential field; each must vanish from the bundle.
const MARKERS: [&str; 9] = [
    "MKCONTACTNEED", "MKORGANON", "MKCREDIT91X", "MKPARTNERA", "MKPARTNERB", "MKCONTACTRESULT", "MKPATENTNO", "9876543.21", "8765432.19",
];

#[test]
fn no_confidential_value_can_be_found_in_the_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let text = [
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
    .join("\n");
    let input = temp_file(&dir, "secret.jsonl", text.as_bytes());
    let built = pipeline::build(&[input], None, &|_, _| {});
    assert!(built.problems.is_empty(), "{:?}", built.problems);
    assert!(built.confidential.contains("contact dropped (3)") && built.confidential.contains("budget published as a band (1)"), "{}", built.confidential);
    let bytes = built.bundle.unwrap();

    // 1. The raw bundle bytes (header, term dictionaries, fast fields, everything uncompressed).
    let raw = String::from_utf8_lossy(&bytes).to_lowercase();
    for m in MARKERS {
        assert!(!raw.contains(&m.to_lowercase()), "{m} in the raw bundle bytes");
    }
    assert!(!raw.contains("机密管业"), "anonymous org name in the raw bundle bytes");

    let engine = Engine::open(Bundle::parse(OwnedBytes::new(bytes)).unwrap()).unwrap();

    // 2. Search over every field.
    for m in MARKERS.iter().chain(&["机密管业", "secret@example.com", "13900001111"]) {
        let r = engine.search(&SearchRequest { q: m.to_string(), ..SearchRequest::default() }).unwrap();
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
                for m in MARKERS {
                    assert!(!term.contains(&m.to_lowercase()), "term {term:?} holds {m}");
                }
            }
        }
        // 4. Every stored document, decompressed.
        let store = seg.get_store_reader(0).unwrap();
        for doc in 0..seg.max_doc() {
            let bytes = store.get_document_bytes(doc).unwrap();
            let text = String::from_utf8_lossy(bytes.as_slice()).to_lowercase();
            for m in MARKERS {
                assert!(!text.contains(&m.to_lowercase()), "stored document {doc} holds {m}");
            }
            assert!(!text.contains("机密管业"));
        }
    }

    // What the public does see: the alias, the band, the named org of a non-anonymous poster.
    let secret = engine.get("N-SECRET").unwrap().unwrap();
    assert_eq!(secret.owner.as_deref(), Some("沧州某管道装备企业"));
    assert_eq!(secret.budget_band.as_deref(), Some("1000万元以上"));
    assert_eq!(engine.get("N-PLAIN").unwrap().unwrap().owner.as_deref(), Some("公开管业有限公司"));
    let json = engine.get_json("R-SECRET").unwrap().unwrap();
    assert!(json.contains("发明专利") && !json.contains("number"), "{json}");
}
