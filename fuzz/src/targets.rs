//! The bodies of techmatch's fuzz targets, shared by cargo-fuzz (`fuzz/fuzz_targets/*.rs`) and the
//! replay test of the normal suite (`tests/suite/robustness.rs`), so both run exactly the same checks.
//!
//! Each target takes arbitrary bytes and may only return; a panic (including a failed invariant
//! below) is a crash. Invariants: answers are well formed (page size, highlight ranges inside
//! their text, scores 0–100), every refused record or file has a problem that names the file,
//! and nothing read is lost (records read = records valid + records refused with a reason).

use std::path::PathBuf;
use std::sync::OnceLock;

use tantivy::directory::OwnedBytes;
use techmatch::build::ingest;
use techmatch::build::mapping::{self, Mapping};
use techmatch::build::validate::Validator;
use techmatch::bundle::{self, Bundle};
use techmatch::engine::MatchRequest;
use techmatch::engine::{self, Engine, SearchRequest, SearchResponse};

/// The committed seeds bundle: the starting point of bundle mutations and the engine queries run on.
pub const SEEDS_BUNDLE: &[u8] = include_bytes!("../../index/techmatch.bundle");
/// A fixed day, so that `open` and `expired` do not depend on the clock.
const TODAY: &str = "2026-11-21";

fn seeds_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        Engine::open(Bundle::parse(OwnedBytes::new(SEEDS_BUNDLE.to_vec())).expect("seeds bundle"))
            .expect("seeds engine")
    })
}

/// Bundle loading: the bytes as a downloaded bundle, through parse, open and a few answers.
pub fn bundle(data: &[u8]) {
    open_and_ask(data.to_vec());
}

/// Damaged index files behind valid checksums: the bytes are 6-byte edits `[file, offset u32 LE,
/// value]` to the seeds bundle's tantivy files (value 0 cuts the file there, any other value is
/// XORed into the byte), and the bundle is re-assembled with correct checksums, so the edits reach
/// tantivy's own readers. Only a forged bundle gets there (any damage in transit fails a CRC);
/// tantivy trusts its files, so this target finds tantivy's panics (see BENCHMARKS.md, Robustness).
pub fn bundle_files(data: &[u8]) {
    open_and_ask(edited_seeds_bundle(data));
}

fn open_and_ask(bytes: Vec<u8>) {
    let Ok(bundle) = Bundle::parse(OwnedBytes::new(bytes)) else {
        return;
    };
    let Ok(engine) = Engine::open(bundle) else { return };
    // Whatever opened must answer or fail cleanly.
    let _ = engine.stats();
    for q in ["", "技术", "coating 涂层"] {
        if let Ok(res) = engine.search(&SearchRequest {
            q: q.into(),
            size: 20,
            today: Some(TODAY.into()),
            ..SearchRequest::default()
        }) {
            check_search(&res, 20);
            if let Some(hit) = res.hits.first() {
                let _ = engine.get(&hit.id);
                let _ = engine.match_records(&MatchRequest {
                    id: Some(hit.id.clone()),
                    today: Some(TODAY.into()),
                    ..MatchRequest::default()
                });
            }
        }
    }
    let _ = engine.rank("盐碱地", 10);
}

/// The seeds bundle with `edits` (see [`bundle_files`]) made to its files, checksums made right.
pub fn edited_seeds_bundle(edits: &[u8]) -> Vec<u8> {
    let header = bundle::parse_header(SEEDS_BUNDLE, SEEDS_BUNDLE.len() as u64).expect("seeds header");
    let mut files: Vec<(String, Vec<u8>)> = header
        .files
        .iter()
        .map(|e| {
            (
                e.name.clone(),
                SEEDS_BUNDLE[e.offset as usize..(e.offset + e.len) as usize].to_vec(),
            )
        })
        .collect();
    for edit in edits.chunks_exact(6) {
        let file = &mut files[edit[0] as usize % header.files.len()].1;
        if file.is_empty() {
            continue;
        }
        let at = u32::from_le_bytes([edit[1], edit[2], edit[3], edit[4]]) as usize % file.len();
        match edit[5] {
            0 => file.truncate(at),
            x => file[at] ^= x,
        }
    }
    bundle::write(header.counts, &files, header.hot)
}

/// Query handling on the seeds bundle: the bytes as query text (search, match by text, rank, get),
/// and as JSON search and match requests (filters, TRL ranges, kinds, pages, tags).
pub fn query(data: &[u8]) {
    let engine = seeds_engine();
    let text = String::from_utf8_lossy(data);
    let plain = SearchRequest {
        q: text.to_string(),
        today: Some(TODAY.into()),
        ..SearchRequest::default()
    };
    if let Ok(res) = engine.search(&plain) {
        check_search(&res, plain.size);
    }
    if let Ok(req) = engine::request_from_json(&text) {
        if let Ok(res) = engine.search(&req) {
            check_search(&res, req.size);
        }
    }
    let by_json = serde_json::from_str::<MatchRequest>(&text);
    let by_text = MatchRequest {
        text: Some(text.to_string()),
        today: Some(TODAY.into()),
        ..MatchRequest::default()
    };
    for req in by_json.into_iter().chain([by_text]) {
        if let Ok(res) = engine.match_records(&req) {
            assert!(
                res.hits.len() <= req.size,
                "{} match hits for size {}",
                res.hits.len(),
                req.size
            );
            for h in &res.hits {
                assert!((0.0..=100.0).contains(&h.score), "match score {} of {}", h.score, h.id);
            }
        }
    }
    if let Ok(ranked) = engine.rank(&text, 10) {
        assert!(ranked.len() <= 10);
    }
    let _ = engine.get(&text);
}

fn check_search(res: &SearchResponse, size: usize) {
    assert!(
        res.hits.len() <= size && res.hits.len() <= res.total,
        "{} hits, size {size}, total {}",
        res.hits.len(),
        res.total
    );
    for h in &res.hits {
        for (text, ranges) in [(&h.snippet, &h.highlights), (&h.title, &h.title_highlights)] {
            let len = text.encode_utf16().count();
            for &[start, end] in ranges {
                assert!(
                    start < end && end <= len,
                    "highlight {start}..{end} in {len} UTF-16 units of {text:?}"
                );
            }
        }
    }
}

/// File types the ingestion target writes, by the first byte.
const EXTENSIONS: [&str; 5] = ["jsonl", "json", "csv", "tsv", "xlsx"];
/// Separates the mapping TOML from the data when the second byte asks for a mapping.
const MAPPING_SEPARATOR: &[u8] = b"\n%%\n";

/// Ingestion: the bytes as an input file (JSONL, JSON, CSV, TSV or XLSX by the first byte), with a
/// mapping file in front of [`MAPPING_SEPARATOR`] when the second byte is odd; then validation.
pub fn ingest(data: &[u8]) {
    let [ext, with_map, rest @ ..] = data else { return };
    let ext = EXTENSIONS[*ext as usize % EXTENSIONS.len()];
    let (toml, body) = match rest
        .windows(MAPPING_SEPARATOR.len())
        .position(|w| w == MAPPING_SEPARATOR)
    {
        Some(at) if with_map % 2 == 1 => (Some(&rest[..at]), &rest[at + MAPPING_SEPARATOR.len()..]),
        _ => (None, rest),
    };
    let mapping = match toml {
        None => None,
        Some(t) => {
            let path = scratch_file("map.toml", t);
            match Mapping::load(&path) {
                Ok(m) => Some(m),
                Err(e) => {
                    assert!(
                        e.to_string().starts_with(&path.display().to_string()),
                        "mapping error without the file: {e}"
                    );
                    return;
                }
            }
        }
    };
    let path = scratch_file(&format!("input.{ext}"), body);
    let name = path.display().to_string();
    let ingested = ingest::read_file(&path, mapping.as_ref());
    let (allow, limits) = mapping::validation_rules(mapping.as_ref());
    let mut validator = Validator::new(allow, limits);
    for p in &ingested.problems {
        assert_eq!(p.location.file, name, "problem located elsewhere: {p}");
    }
    for raw in &ingested.records {
        match validator.check(raw) {
            Ok(record) => {
                let public = record.public();
                assert_eq!(public.id, record.common().id);
                let _ = techmatch::core::schema::tag_values(&public);
            }
            // A refused record without a reason would be lost silently.
            Err(problems) => assert!(
                !problems.is_empty() && problems.iter().all(|p| p.location == raw.location),
                "record at {} refused: {problems:?}",
                raw.location
            ),
        }
    }
}

/// Writes `bytes` to `name` in this process's scratch directory (kept for the process's life).
fn scratch_file(name: &str, bytes: &[u8]) -> PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    // Tests may run targets on several threads of one process: a file per thread.
    let thread = format!("{:?}", std::thread::current().id()).replace(|c: char| !c.is_ascii_alphanumeric(), "");
    let path = DIR
        .get_or_init(|| tempfile::tempdir().expect("scratch directory"))
        .path()
        .join(format!("{thread}-{name}"));
    std::fs::write(&path, bytes).expect("scratch file");
    path
}
