//! Lazy loading: a bundle read by byte ranges answers exactly as the same bundle held whole, its
//! plans name everything a request reads, and a failed fetch fails only that request.

use crate::common;

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use tantivy::directory::OwnedBytes;
use techmatch::bundle::{self, Bundle, RangeSource};
use techmatch::engine::MatchRequest;
use techmatch::engine::{Engine, Planned, SearchRequest};

/// A bundle in memory that can be told to fail, to cut its answers short or to flip a byte in
/// them (`damage`: the offset, and how many answers holding it are damaged), and counts bytes.
struct Flaky {
    bytes: Vec<u8>,
    fail: Arc<AtomicBool>,
    short: Arc<AtomicBool>,
    served: Arc<AtomicU64>,
    damage: Arc<(AtomicU64, AtomicU64)>,
}

impl RangeSource for Flaky {
    fn fetch(&self, range: Range<u64>) -> std::io::Result<Vec<u8>> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(std::io::Error::other("HTTP 503 Service Unavailable"));
        }
        let mut out = self.bytes.fetch(range.clone())?;
        let at = self.damage.0.load(Ordering::SeqCst);
        if range.contains(&at) && self.damage.1.load(Ordering::SeqCst) > 0 {
            self.damage.1.fetch_sub(1, Ordering::SeqCst);
            out[(at - range.start) as usize] ^= 0x10;
        }
        if self.short.load(Ordering::SeqCst) {
            out.truncate(out.len() / 2);
        }
        self.served.fetch_add(out.len() as u64, Ordering::SeqCst);
        Ok(out)
    }
}

struct Lazy {
    engine: Engine,
    fail: Arc<AtomicBool>,
    short: Arc<AtomicBool>,
    served: Arc<AtomicU64>,
    damage: Arc<(AtomicU64, AtomicU64)>,
}

fn lazy(bytes: &[u8]) -> Lazy {
    let (fail, short, served) = (
        Arc::default(),
        Arc::<AtomicBool>::default(),
        Arc::<AtomicU64>::default(),
    );
    let damage = Arc::new((AtomicU64::new(u64::MAX), AtomicU64::new(0)));
    let source = Flaky {
        bytes: bytes.to_vec(),
        fail: Arc::clone(&fail),
        short: Arc::clone(&short),
        served: Arc::clone(&served),
        damage: Arc::clone(&damage),
    };
    let bundle = Bundle::open_lazy(Box::new(source), bytes.len() as u64).expect("opens lazily");
    Lazy {
        engine: Engine::open(bundle).expect("engine opens"),
        fail,
        short,
        served,
        damage,
    }
}

fn whole(bytes: &[u8]) -> Engine {
    Engine::open(Bundle::parse(OwnedBytes::new(bytes.to_vec())).unwrap()).unwrap()
}

/// Answers `op` the way the browser worker does: plan, fetch what the plan names, again.
/// Returns the answer and the rounds of fetches it took.
fn answer<T>(engine: &Engine, plan: impl Fn() -> Result<Planned<T>, techmatch::Error>) -> Result<(T, usize), String> {
    for round in 0..12 {
        match plan().map_err(|e| e.to_string())? {
            Planned::Done(v) => return Ok((v, round)),
            Planned::Fetch(ranges) => engine.cache().unwrap().fetch_all(&ranges).map_err(|e| e.to_string())?,
        }
    }
    panic!("no answer after 12 rounds of fetches")
}

fn search(engine: &Engine, req: &SearchRequest) -> Result<(serde_json::Value, usize), String> {
    answer(engine, || {
        engine.planned(|| engine.warm_search(req), || engine.search(req))
    })
    .map(|(r, n)| (serde_json::to_value(r).unwrap(), n))
}

fn seeds_bundle() -> Vec<u8> {
    common::bundle_from(
        &[
            common::root().join("seeds/needs.jsonl"),
            common::root().join("seeds/results.jsonl"),
        ],
        None,
    )
}

fn csl_bundle() -> Vec<u8> {
    common::bundle_from(
        &[common::shared().join("data/csl/eval_corpus.jsonl")],
        Some(&common::root().join("seeds/maps/csl.toml")),
    )
}

#[test]
fn every_csl_query_answers_as_the_whole_bundle_does_after_a_few_rounds() {
    let bytes = csl_bundle();
    let (full, lazy) = (whole(&bytes), lazy(&bytes));
    let opened = lazy.engine.transfer().unwrap();
    assert!(
        opened.bytes < bytes.len() as u64 / 20,
        "opening fetched {} of {} bytes",
        opened.bytes,
        bytes.len()
    );
    let queries = std::fs::read_to_string(common::shared().join("data/csl/queries_keyword.tsv")).unwrap();
    let mut rounds = vec![0usize; 13];
    let mut n = 0;
    for line in queries.lines() {
        let q = line.split_once('\t').unwrap().1;
        let req = SearchRequest {
            q: q.to_string(),
            size: 10,
            ..SearchRequest::default()
        };
        let expected = serde_json::to_value(full.search(&req).unwrap()).unwrap();
        assert!(expected["total"].as_u64().unwrap() > 0, "{q:?} finds nothing");
        let (got, r) = search(&lazy.engine, &req).unwrap();
        assert_eq!(got, expected, "query {q:?}: lazy answer differs");
        rounds[r] += 1;
        n += 1;
    }
    assert_eq!(n, 1599);
    // The word dictionary (for a Latin word's substring lookup), term dictionary blocks, posting
    // lists with their positions, stored records: at most four rounds, however many terms.
    eprintln!("CSL queries by rounds of fetches: {:?}", &rounds[..5]);
    assert_eq!(rounds[5..].iter().sum::<usize>(), 0, "rounds per query: {rounds:?}");
    // A repeated query is answered from the cache.
    let again = SearchRequest {
        q: "数值模拟".into(),
        ..SearchRequest::default()
    };
    search(&lazy.engine, &again).unwrap();
    let before = lazy.engine.transfer().unwrap();
    let (_, r) = search(&lazy.engine, &again).unwrap();
    assert_eq!((r, lazy.engine.transfer().unwrap()), (0, before));
    assert!(
        lazy.served.load(Ordering::SeqCst) < bytes.len() as u64,
        "fetched more than the bundle"
    );
}

#[test]
fn filters_sorting_facets_matches_and_records_answer_as_the_whole_bundle_does() {
    let bytes = seeds_bundle();
    let full = whole(&bytes);
    let mut requests: Vec<SearchRequest> = Vec::new();
    for q in ["", "盐碱地 改良", "电池 -钠离子", "\"数控机床\"", "PM2.5", "GIS"] {
        for sort in ["relevance", "date", "deadline"] {
            let json = serde_json::json!({"q": q, "sort": sort, "filters": {"industries": ["新能源产业"]}, "trl": {"min": 3, "max": 8}, "page": 1, "size": 5, "today": "2026-06-01"});
            requests.push(techmatch::engine::request_from_json(&json.to_string()).unwrap());
            requests.push(SearchRequest {
                q: q.into(),
                open: true,
                today: Some("2026-06-01".into()),
                ..SearchRequest::default()
            });
        }
    }
    for req in &requests {
        let lazy = lazy(&bytes);
        let expected = serde_json::to_value(full.search(req).unwrap()).unwrap();
        assert_eq!(search(&lazy.engine, req).unwrap().0, expected, "{req:?}");
    }
    let stats = full.stats().unwrap();
    let ids: Vec<String> = full
        .search(&SearchRequest {
            size: 1000,
            ..SearchRequest::default()
        })
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(ids.len() as u64, stats.records);
    // Every seed, matched on a fresh lazy engine (cold cache) and on a warm one.
    let warm = lazy(&bytes);
    for id in &ids {
        let req = MatchRequest {
            id: Some(id.clone()),
            size: 10,
            ..MatchRequest::default()
        };
        let expected = serde_json::to_value(full.match_records(&req).unwrap()).unwrap();
        for engine in [&lazy(&bytes).engine, &warm.engine] {
            let (got, _) = answer(engine, || {
                engine.planned(|| engine.warm_match(&req), || engine.match_records(&req))
            })
            .unwrap();
            assert_eq!(serde_json::to_value(got).unwrap(), expected, "match {id}");
            let (record, _) = answer(engine, || engine.planned(|| {}, || engine.get(id))).unwrap();
            assert_eq!(record, full.get(id).unwrap());
        }
    }
    let text = MatchRequest {
        text: Some("寻求锂电池正极材料低成本制备技术，要求循环寿命长".into()),
        ..MatchRequest::default()
    };
    let (got, _) = answer(&warm.engine, || {
        warm.engine
            .planned(|| warm.engine.warm_match(&text), || warm.engine.match_records(&text))
    })
    .unwrap();
    assert_eq!(got, full.match_records(&text).unwrap());
    assert_eq!(warm.engine.stats().unwrap().facets, stats.facets);
}

#[test]
fn paging_through_a_remembered_search_answers_as_the_whole_bundle_does() {
    let bytes = csl_bundle();
    let (full, lazy) = (whole(&bytes), lazy(&bytes));
    for q in ["数值模拟", "遥感 影像", "", "量子纠缠光谱仪"] {
        for page in [1, 2, 3, 2, 1, 900] {
            let req = SearchRequest {
                q: q.into(),
                page,
                size: 10,
                ..SearchRequest::default()
            };
            let expected = serde_json::to_value(full.search(&req).unwrap()).unwrap();
            let (got, _) = search(&lazy.engine, &req).unwrap();
            assert_eq!(got, expected, "{req:?}");
        }
        // Asked again, a remembered page fetches nothing.
        let req = SearchRequest {
            q: q.into(),
            page: 2,
            size: 10,
            ..SearchRequest::default()
        };
        let before = lazy.engine.transfer().unwrap();
        assert_eq!(search(&lazy.engine, &req).unwrap().1, 0, "{q:?} again");
        assert_eq!(lazy.engine.transfer().unwrap(), before);
    }
}

/// A search, a match and a record of the seeds, each answered the way the browser's worker does.
fn seeds_requests(engine: &Engine) -> Vec<Result<serde_json::Value, String>> {
    let req = SearchRequest {
        q: "技术 材料".into(),
        size: 50,
        ..SearchRequest::default()
    };
    let matched = MatchRequest {
        id: Some("N-2026-0001".into()),
        size: 20,
        ..MatchRequest::default()
    };
    fn json<T: serde::Serialize>(r: Result<(T, usize), String>) -> Result<serde_json::Value, String> {
        r.map(|(v, _)| serde_json::to_value(v).unwrap())
    }
    vec![
        search(engine, &req).map(|(v, _)| v),
        json(answer(engine, || {
            engine.planned(|| engine.warm_match(&matched), || engine.match_records(&matched))
        })),
        json(answer(engine, || engine.planned(|| {}, || engine.get("R-2025-0090")))),
    ]
}

#[test]
fn a_byte_damaged_on_the_way_is_an_error_never_a_wrong_answer_and_is_fetched_anew() {
    let bytes = seeds_bundle();
    let header = bundle::parse_header(&bytes, bytes.len() as u64).unwrap();
    let expected = seeds_requests(&whole(&bytes));
    assert!(expected.iter().all(Result::is_ok), "{expected:?}");
    let damaged = |e: &String| e.contains("do not match their checksum");
    // One byte flipped in every answer that holds it, across the files and the check table.
    let mut caught = Vec::new();
    for at in (header.files[0].offset..bytes.len() as u64).step_by(3_001) {
        let lazy = lazy(&bytes);
        lazy.damage.0.store(at, Ordering::SeqCst);
        lazy.damage.1.store(u64::MAX, Ordering::SeqCst);
        for (got, want) in seeds_requests(&lazy.engine).into_iter().zip(&expected) {
            match got {
                Ok(got) => assert!(want.as_ref() == Ok(&got), "byte {at} flipped: a wrong answer"),
                Err(e) => {
                    assert!(damaged(&e), "byte {at} flipped: {e}");
                    caught.push(at);
                }
            }
        }
    }
    assert!(caught.len() > 20, "only {} damaged reads caught", caught.len());
    // Damaged once: the request that read it fails, the next one fetches the block anew.
    let lazy = lazy(&bytes);
    lazy.damage.0.store(caught[caught.len() / 2], Ordering::SeqCst);
    lazy.damage.1.store(1, Ordering::SeqCst);
    let first = seeds_requests(&lazy.engine);
    assert!(first.iter().any(|r| r.as_ref().is_err_and(damaged)), "{first:?}");
    assert_eq!(seeds_requests(&lazy.engine), expected);
}

#[test]
fn a_failed_or_short_fetch_fails_that_request_and_the_next_one_works() {
    let bytes = csl_bundle();
    let lazy = lazy(&bytes);
    let req = |q: &str| SearchRequest {
        q: q.into(),
        ..SearchRequest::default()
    };
    lazy.fail.store(true, Ordering::SeqCst);
    let err = search(&lazy.engine, &req("数值模拟")).unwrap_err();
    assert!(err.contains("HTTP 503"), "{err}");
    // Without planning, the engine's own fallback fetch fails the same way, as an error.
    let err = lazy.engine.search(&req("有限元")).unwrap_err().to_string();
    assert!(err.contains("HTTP 503"), "{err}");
    lazy.fail.store(false, Ordering::SeqCst);
    lazy.short.store(true, Ordering::SeqCst);
    let err = search(&lazy.engine, &req("数值模拟")).unwrap_err();
    assert!(err.contains("received"), "{err}");
    lazy.short.store(false, Ordering::SeqCst);
    let full = whole(&bytes);
    for q in ["数值模拟", "有限元"] {
        assert_eq!(
            search(&lazy.engine, &req(q)).unwrap().0,
            serde_json::to_value(full.search(&req(q)).unwrap()).unwrap()
        );
    }
}

#[test]
fn hot_ranges_lie_inside_their_files_and_a_bundle_opens_from_its_opening_alone() {
    let bytes = csl_bundle();
    let header = Bundle::parse(OwnedBytes::new(bytes.clone())).unwrap().header;
    assert!(!header.hot.is_empty());
    for [file, start, end] in &header.hot {
        assert!(
            start < end && *end <= header.files[*file as usize].len,
            "{file} {start}..{end}"
        );
    }
    // The opening (header and hot section) ends where the files start, and it is all a lazy
    // reader fetches before the engine is open: at most three requests (16 KiB, the header's
    // end, the hot section's), and none when the caller supplied the opening.
    let opening = bundle::opening_len(&bytes).unwrap();
    assert_eq!(opening, header.files[0].offset);
    // Whole blocks, but the bundle's last, which may be short.
    let blocks = header.hot_blocks().len() as u64;
    assert!((blocks - 1) * bundle::BLOCK < header.hot_section.len && header.hot_section.len <= blocks * bundle::BLOCK);
    let t = lazy(&bytes).engine.transfer().unwrap();
    assert!(t.ranges <= 3 && t.bytes == opening, "{t:?}, opening {opening} bytes");
    let cache = bundle::BlockCache::new(Box::new(bytes.clone()), bytes.len() as u64);
    cache.supply(0, &bytes[..opening as usize]).unwrap();
    let engine = Engine::open(Bundle::lazy(cache).unwrap()).unwrap();
    // The opening's own blocks are dropped once open; the hot blocks stay, not counted as held.
    assert_eq!(
        engine.transfer().unwrap(),
        bundle::Transfer {
            ranges: 1,
            bytes: opening,
            held: 0
        }
    );
    // The hot section's copy is the files' own bytes: every record reads the same.
    let req = SearchRequest {
        q: "数值模拟".into(),
        ..SearchRequest::default()
    };
    let (got, _) = search(&engine, &req).unwrap();
    assert_eq!(got, serde_json::to_value(whole(&bytes).search(&req).unwrap()).unwrap());
}

#[test]
fn a_long_session_keeps_the_cache_within_its_budget_and_answers_the_same() {
    let bytes = csl_bundle();
    let full = whole(&bytes);
    const BUDGET: u64 = 1 << 20;
    let cache = bundle::BlockCache::with_budget(Box::new(bytes.clone()), bytes.len() as u64, BUDGET);
    let engine = Engine::open(Bundle::lazy(cache).unwrap()).unwrap();
    let queries = std::fs::read_to_string(common::shared().join("data/csl/queries_keyword.tsv")).unwrap();
    let mut most_held = 0;
    for q in queries.lines().step_by(4).map(|l| l.split_once('\t').unwrap().1) {
        let req = SearchRequest {
            q: q.to_string(),
            size: 10,
            ..SearchRequest::default()
        };
        let (got, rounds) = search(&engine, &req).unwrap();
        assert_eq!(
            got,
            serde_json::to_value(full.search(&req).unwrap()).unwrap(),
            "query {q:?}: lazy answer differs"
        );
        assert!(rounds <= 4, "query {q:?} took {rounds} rounds");
        let t = engine.transfer().unwrap();
        assert!(t.held <= BUDGET, "{t:?} after {q:?}: over the budget of {BUDGET}");
        most_held = most_held.max(t.held);
    }
    let t = engine.transfer().unwrap();
    // The session fetched several budgets' worth: blocks were dropped, and fetched again when needed.
    assert!(
        t.bytes > 4 * BUDGET && most_held > BUDGET / 2,
        "{t:?}, at most {most_held} held"
    );
    // A match and a record after all that: still the whole bundle's answers.
    let m = MatchRequest {
        id: Some("d00002".into()),
        today: Some("2026-11-21".into()),
        ..MatchRequest::default()
    };
    let (got, _) = answer(&engine, || {
        engine.planned(|| engine.warm_match(&m), || engine.match_records(&m))
    })
    .unwrap();
    assert_eq!(
        serde_json::to_value(got).unwrap(),
        serde_json::to_value(full.match_records(&m).unwrap()).unwrap()
    );
}
