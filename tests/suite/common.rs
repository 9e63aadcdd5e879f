//! Shared test helpers: build bundles from files or records and open them.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use tantivy::directory::OwnedBytes;
use techmatch::build::mapping::Mapping;
use techmatch::build::pipeline;
use techmatch::bundle::Bundle;
use techmatch::engine::Engine;

/// The columns of a need's spreadsheet row in the tests that write XLSX sheets.
pub const NEED_COLUMNS: [&str; 10] = [
    "id",
    "kind",
    "title",
    "summary",
    "industries",
    "region",
    "deadline",
    "coop_modes",
    "org",
    "contact",
];

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared` beside the project.
pub fn shared() -> PathBuf {
    root().join("..").join("shared")
}

/// Builds a bundle from files (failing the test on any problem) and opens it.
pub fn engine_from(inputs: &[PathBuf], map: Option<&Path>) -> Engine {
    let bytes = bundle_from(inputs, map);
    Engine::open(Bundle::parse(OwnedBytes::new(bytes)).expect("bundle parses")).expect("engine opens")
}

/// Builds bundle bytes from files, failing the test on any problem.
pub fn bundle_from(inputs: &[PathBuf], map: Option<&Path>) -> Vec<u8> {
    let mapping = map.map(|m| Mapping::load(m).expect("mapping loads"));
    let built = pipeline::build(inputs, mapping.as_ref(), &|_, _| {});
    let problems: Vec<String> = built.problems.iter().map(|p| p.to_string()).collect();
    assert!(problems.is_empty(), "unexpected problems:\n{}", problems.join("\n"));
    built.bundle.expect("a bundle")
}

/// The seeds bundle.
pub fn seeds() -> Engine {
    engine_from(
        &[root().join("seeds/needs.jsonl"), root().join("seeds/results.jsonl")],
        None,
    )
}

/// Writes `content` to `name` in a fresh temporary directory and returns the path (dir kept alive).
pub fn temp_file(dir: &tempfile::TempDir, name: &str, content: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, content).unwrap();
    p
}

/// A valid need as a JSON object line, with `extra` fields merged over it.
pub fn need_json(id: &str, extra: serde_json::Value) -> String {
    let mut v = serde_json::json!({
        "id": id, "kind": "need", "title": "管道防腐涂层耐温提升", "summary": "需要耐温120℃的管道外防腐涂层。",
        "industries": ["管道装备"], "region": "130900", "region_name": "沧州市", "deadline": "2027-06-30",
        "coop_modes": ["合作开发"], "org": "沧州某管道公司", "contact": "张三 13800000000"
    });
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        for (k, x) in e {
            o.insert(k.clone(), x.clone());
        }
    }
    v.to_string()
}

/// A valid result as a JSON object line, with `extra` merged over it.
pub fn result_json(id: &str, extra: serde_json::Value) -> String {
    let mut v = serde_json::json!({
        "id": id, "kind": "result", "title": "耐高温环氧粉末防腐涂层", "summary": "一种耐温150℃的管道防腐涂层。",
        "advantages": "耐温150℃，附着力≥10MPa。", "industries": ["新材料"], "region": "120000", "trl": 7,
        "result_type": "新材料", "transfer_modes": ["转让"], "holder": "天津某大学", "contact": "李四"
    });
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        for (k, x) in e {
            o.insert(k.clone(), x.clone());
        }
    }
    v.to_string()
}
