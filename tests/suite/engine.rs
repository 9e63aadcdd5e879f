//! Search and matching on the seeds bundle: round trip, filters, facets, snippets, both match directions.

use crate::common;

use std::collections::BTreeMap;

use serde_json::json;

use tantivy::directory::OwnedBytes;
use techmatch::bundle::Bundle;
use techmatch::engine::{Engine, SearchRequest, Sort, TrlRange};
use techmatch::engine::{MatchRequest, MatchTags};
use techmatch::Error;

const TODAY: &str = "2026-11-21";

fn req(q: &str) -> SearchRequest {
    SearchRequest {
        q: q.into(),
        size: 50,
        today: Some(TODAY.into()),
        ..SearchRequest::default()
    }
}

fn ids(engine: &Engine, r: &SearchRequest) -> Vec<String> {
    engine.search(r).unwrap().hits.into_iter().map(|h| h.id).collect()
}

#[test]
fn bundle_round_trip_keeps_every_record() {
    let seeds = common::root().join("seeds");
    let bytes = common::bundle_from(&[seeds.join("needs.jsonl"), seeds.join("results.jsonl")], None);
    let bundle = Bundle::parse(OwnedBytes::new(bytes.clone())).unwrap();
    let engine = Engine::open(bundle).unwrap();
    let stats = engine.stats().unwrap();
    let lines = |f: &str| {
        std::fs::read_to_string(seeds.join(f))
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count() as u64
    };
    assert_eq!(stats.records, lines("needs.jsonl") + lines("results.jsonl"));
    assert_eq!(stats.counts.needs + stats.counts.challenges, lines("needs.jsonl"));
    assert_eq!(stats.counts.results, lines("results.jsonl"));
    // Every input record comes back by id with its public fields.
    for line in std::fs::read_to_string(seeds.join("results.jsonl")).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let r = engine.get(v["id"].as_str().unwrap()).unwrap().expect("record by id");
        assert_eq!(r.title, v["title"].as_str().unwrap());
        assert_eq!(r.trl_min.map(u64::from), v["trl"].as_u64());
    }
    assert_eq!(engine.get("no-such-id").unwrap(), None);
    // Same input, same bytes, same answers.
    let rebuilt = common::bundle_from(&[seeds.join("needs.jsonl"), seeds.join("results.jsonl")], None);
    assert!(rebuilt == bytes, "a rebuild is byte-identical");
    let again = Engine::open(Bundle::parse(OwnedBytes::new(rebuilt)).unwrap()).unwrap();
    for q in ["盐碱地", "激光熔覆", "coating", "氢"] {
        assert_eq!(
            engine.search(&req(q)).unwrap(),
            again.search(&req(q)).unwrap(),
            "query {q}"
        );
    }
}

#[test]
fn search_finds_chinese_english_codes_and_single_characters() {
    let e = common::seeds();
    let top = |q: &str| e.search(&req(q)).unwrap();
    let r = top("盐碱地");
    assert!(r.total >= 3 && r.hits[0].title.contains("盐碱"), "{:?}", r.hits.first());
    assert!(top("氢").total > 0, "one-character queries find records");
    for code in ["PM2.5", "X80", "3003", "CBN"] {
        let res = top(code);
        assert!(res.total > 0, "model code {code} is found");
        let hit = &res.hits[0];
        let rec = e.get(&hit.id).unwrap().unwrap();
        let text = format!("{} {} {}", rec.title, rec.keywords.join(" "), rec.body()).to_lowercase();
        assert!(
            text.contains(&code.to_lowercase()),
            "{code} top hit {} holds the code",
            hit.id
        );
    }
    // English, stemmed: "coatings" finds "coating".
    let en = top("coatings");
    assert!(en.total > 0 && en.hits.iter().any(|h| h.tags.get("lang").is_some_and(|l| l == &["en"])));
}

#[test]
fn a_query_word_matches_records_holding_half_its_terms_else_the_answer_is_partial() {
    let e = common::seeds();
    // 涂层 is 涂, 层, 涂层: every hit holds two of them; records holding only 层 do not match.
    let coating = e.search(&req("涂层")).unwrap();
    assert!(coating.total > 0 && !coating.partial);
    for hit in &coating.hits {
        let r = e.get(&hit.id).unwrap().unwrap();
        let text = format!("{} {} {}", r.title, r.keywords.join(" "), r.body());
        assert!(
            text.contains('涂') && text.contains('层'),
            "{} holds under half of 涂层",
            hit.id
        );
    }
    let layer_only = e.search(&req("层")).unwrap().total;
    assert!(
        layer_only > coating.total,
        "层 alone matches more ({layer_only}) than 涂层 ({})",
        coating.total
    );
    // Two query words: a record matching either one is found, one matching both ranks first.
    let either = e.search(&req("涂层 盐碱地")).unwrap();
    let saline = e.search(&req("盐碱地")).unwrap().total;
    assert!(
        either.total >= coating.total.max(saline) && either.total <= coating.total + saline,
        "{} of {} and {saline}",
        either.total,
        coating.total
    );
    // No record holds half of 涂屋 (涂, 屋, 涂屋): the records holding one of its terms, marked partial.
    let typo = e.search(&req("涂屋")).unwrap();
    assert!(
        typo.partial && typo.total > 0,
        "{} partial {}",
        typo.total,
        typo.partial
    );
    assert!(typo.hits.iter().all(|h| {
        let r = e.get(&h.id).unwrap().unwrap();
        format!("{} {} {}", r.title, r.keywords.join(" "), r.body()).contains(['涂', '屋'])
    }));
    // Nothing at all: an empty answer, not partial.
    let none = e.search(&req("zzqxj")).unwrap();
    assert_eq!((none.total, none.partial), (0, false));
}

#[test]
fn pieces_of_a_long_word_are_a_partial_answer_with_the_same_hits() {
    let e = common::seeds();
    let text = |id: &str| {
        let r = e.get(id).unwrap().unwrap();
        format!("{} {} {}", r.title, r.keywords.join(" "), r.body())
    };
    // No seed holds 量子 or 子计: records holding 计算 and 算机 (half of 量子计算机's terms) are
    // found, as before, but the answer says they hold only part of it.
    for q in ["量子计算机", "量子计算机 纠错"] {
        let quantum = e.search(&req(q)).unwrap();
        assert!(
            quantum.total > 0 && quantum.partial,
            "{q}: {} partial {}",
            quantum.total,
            quantum.partial
        );
        for hit in &quantum.hits {
            assert!(!text(&hit.id).contains("量子"), "{q}: {} holds 量子", hit.id);
        }
        // The same answer again (remembered) and its second page stay partial and ranked alike.
        let again = e.search(&req(q)).unwrap();
        assert_eq!((again.total, again.partial), (quantum.total, true));
        assert_eq!(
            again.hits.iter().map(|h| &h.id).collect::<Vec<_>>(),
            quantum.hits.iter().map(|h| &h.id).collect::<Vec<_>>()
        );
    }
    // A two-character word is held whole only as itself: 钢 and 板 apart are pieces of 钢板.
    let plate = e.search(&req("钢板")).unwrap();
    assert!(plate.total > 0 && !plate.partial);
    assert!(plate.hits.iter().any(|h| text(&h.id).contains("钢板")));
    // Words some record holds whole: full answers, whatever other words the query has.
    for q in ["盐碱地 改良", "涂层", "钢", "盐碱地 量子计算机", "激光熔覆"] {
        let r = e.search(&req(q)).unwrap();
        assert!(r.total > 0 && !r.partial, "{q}: {} partial {}", r.total, r.partial);
    }
}

#[test]
fn phrases_exclusions_and_empty_queries() {
    let e = common::seeds();
    let all = e.search(&req("")).unwrap();
    assert_eq!(
        all.total as u64,
        e.stats().unwrap().records,
        "an empty query lists everything"
    );
    let loose = ids(&e, &req("激光 熔覆"));
    let phrase = ids(&e, &req("\"激光熔覆\""));
    assert!(!phrase.is_empty() && phrase.len() <= loose.len());
    for id in &phrase {
        let r = e.get(id).unwrap().unwrap();
        assert!(
            format!("{}{}{}", r.title, r.keywords.join(""), r.body()).contains("激光熔覆"),
            "{id} holds the phrase"
        );
    }
    let without = ids(&e, &req("激光 -熔覆"));
    assert!(
        without.iter().all(|id| !phrase.contains(id)),
        "excluded records stay out"
    );
    let only_exclusion = e.search(&req("-激光")).unwrap();
    assert!(only_exclusion.total > 0 && only_exclusion.total < all.total);
}

#[test]
fn filters_and_disjunctive_facets() {
    let e = common::seeds();
    let mut r = req("");
    r.kind = Some("result".into());
    let results = e.search(&r).unwrap();
    assert!(results.hits.iter().all(|h| h.kind == "result"));
    let industries = &results.facets["industries"];
    let (top_industry, n) = industries
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(k, n)| (k.clone(), *n))
        .unwrap();

    r.filters.insert("industries".into(), vec![top_industry.clone()]);
    let filtered = e.search(&r).unwrap();
    assert_eq!(filtered.total as u64, n, "facet count equals the filtered total");
    assert_eq!(
        filtered.facets["industries"], *industries,
        "a field's own filter does not narrow its counts"
    );
    assert!(filtered
        .hits
        .iter()
        .all(|h| h.tags["industries"].contains(&top_industry)));

    // OR within a field, AND across fields.
    let second = industries
        .iter()
        .filter(|(k, _)| **k != top_industry)
        .max_by_key(|(_, n)| **n)
        .unwrap()
        .0
        .clone();
    r.filters
        .insert("industries".into(), vec![top_industry.clone(), second.clone()]);
    let either = e.search(&r).unwrap();
    assert!(either.total as u64 >= n && either.total as u64 <= n + industries[&second]);
    let mode = either.facets["modes"].keys().next().unwrap().clone();
    r.filters.insert("modes".into(), vec![mode.clone()]);
    let both = e.search(&r).unwrap();
    assert_eq!(both.total as u64, either.facets["modes"][&mode]);
    assert!(both.hits.iter().all(|h| h.tags["modes"].contains(&mode)));

    let mut bad = req("");
    bad.filters.insert("colour".into(), vec!["red".into()]);
    assert!(matches!(e.search(&bad), Err(Error::Request(m)) if m.contains("unknown field \"colour\"")));
}

#[test]
fn trl_range_open_only_sorting_and_paging() {
    let e = common::seeds();
    let mut r = req("");
    r.kind = Some("result".into());
    r.trl = Some(TrlRange {
        min: Some(7),
        max: Some(9),
    });
    let mature = e.search(&r).unwrap();
    assert!(mature.total > 0);
    assert!(mature.hits.iter().all(|h| h.tags["trl"][0].parse::<u8>().unwrap() >= 7));

    let mut needs = req("");
    needs.kind = Some("needs".into());
    let every = e.search(&needs).unwrap().total;
    needs.open = true;
    let open = e.search(&needs).unwrap();
    assert!(open.total < every, "expired needs are filtered out");
    for h in &open.hits {
        let d = e.get(&h.id).unwrap().unwrap().deadline.unwrap();
        assert!(d.as_str() >= TODAY, "{} closed on {d}", h.id);
    }

    needs.sort = Sort::Deadline;
    let by_deadline: Vec<String> = e
        .search(&needs)
        .unwrap()
        .hits
        .iter()
        .map(|h| e.get(&h.id).unwrap().unwrap().deadline.unwrap())
        .collect();
    assert!(by_deadline.windows(2).all(|w| w[0] <= w[1]), "{by_deadline:?}");
    needs.sort = Sort::Date;
    let by_date: Vec<String> = e
        .search(&needs)
        .unwrap()
        .hits
        .iter()
        .map(|h| e.get(&h.id).unwrap().unwrap().published.unwrap_or_default())
        .collect();
    assert!(by_date.windows(2).all(|w| w[0] >= w[1]), "{by_date:?}");

    let mut page = req("");
    page.size = 7;
    let p1 = ids(&e, &page);
    page.page = 2;
    let p2 = ids(&e, &page);
    assert_eq!(p1.len(), 7);
    assert!(p1.iter().all(|id| !p2.contains(id)), "pages do not overlap");
    page.size = 0;
    assert!(e.search(&page).is_err());
}

#[test]
fn snippets_carry_highlight_ranges_over_the_query_terms() {
    let e = common::seeds();
    let r = e.search(&req("盐碱地 改良")).unwrap();
    let hit = &r.hits[0];
    assert!(!hit.highlights.is_empty());
    let units: Vec<u16> = hit.snippet.encode_utf16().collect();
    for [a, b] in &hit.highlights {
        let marked = String::from_utf16(&units[*a..*b]).unwrap();
        assert!(
            marked.contains("盐碱") || marked.contains("改良") || marked.contains("碱地"),
            "highlight {marked:?}"
        );
    }
    let title: Vec<u16> = hit.title.encode_utf16().collect();
    assert!(hit
        .title_highlights
        .iter()
        .any(|[a, b]| String::from_utf16(&title[*a..*b]).unwrap().contains("盐碱")));
}

fn reasons(hit: &techmatch::engine::MatchHit) -> BTreeMap<String, f32> {
    hit.reasons.iter().map(|r| (r.kind.clone(), r.contribution)).collect()
}

#[test]
fn match_a_need_to_results_with_reasons() {
    let e = common::seeds();
    let needs = e
        .search(&SearchRequest {
            kind: Some("needs".into()),
            size: 100,
            ..req("")
        })
        .unwrap();
    for need in needs.hits.iter().take(20) {
        let res = e
            .match_records(&MatchRequest {
                id: Some(need.id.clone()),
                size: 5,
                today: Some(TODAY.into()),
                ..MatchRequest::default()
            })
            .unwrap();
        assert!(!res.hits.is_empty(), "{} has matches", need.id);
        assert!(res.hits.iter().all(|h| h.kind == "result"));
        assert!(res.hits.windows(2).all(|w| w[0].score >= w[1].score));
        for h in &res.hits {
            let sum: f32 = h.reasons.iter().map(|r| r.contribution).sum();
            assert!(
                (sum.clamp(0.0, 100.0) - h.score).abs() < 1e-3,
                "score is the sum of its reasons"
            );
            assert_eq!(h.reasons[0].kind, "terms");
        }
    }
    // A need accepting only 合作开发 against a result offered only by 转让: a mode conflict, scored down.
    let need = e.get("N-2026-0001").unwrap().unwrap();
    let res = e
        .match_records(&MatchRequest {
            id: Some(need.id.clone()),
            size: 20,
            today: Some(TODAY.into()),
            ..MatchRequest::default()
        })
        .unwrap();
    let top = &res.hits[0];
    let r = reasons(top);
    assert!(r["terms"] > 30.0, "{top:?}");
    assert!(
        r.contains_key("industry") && r.contains_key("trl_fit") && r.contains_key("mode_fit"),
        "{top:?}"
    );
    let result = e.get(&top.id).unwrap().unwrap();
    assert!(
        result.trl_min >= need.trl_min && result.trl_max <= need.trl_max,
        "trl_fit is true"
    );
}

#[test]
fn mode_conflict_trl_miss_and_expiry_count_against() {
    let e = common::seeds();
    let text = "含氯硝基芳烃 催化加氢 连续化工艺";
    let run = |tags: MatchTags, today: &str| {
        e.match_records(&MatchRequest {
            text: Some(text.into()),
            tags,
            size: 3,
            today: Some(today.into()),
            ..MatchRequest::default()
        })
        .unwrap()
        .hits
    };
    let fit = run(
        MatchTags {
            modes: vec!["其他".into()],
            trl_min: Some(1),
            trl_max: Some(9),
            deadline: Some("2027-01-01".into()),
            ..MatchTags::default()
        },
        TODAY,
    );
    let conflict = run(
        MatchTags {
            modes: vec!["作价入股".into()],
            trl_min: Some(1),
            trl_max: Some(2),
            deadline: Some("2026-01-01".into()),
            ..MatchTags::default()
        },
        TODAY,
    );
    let id = &fit[0].id;
    let same = conflict.iter().find(|h| &h.id == id).expect("same candidate both ways");
    let (a, b) = (reasons(&fit[0]), reasons(same));
    assert!(a["mode_fit"] > 0.0 && a["trl_fit"] > 0.0 && a["open"] > 0.0);
    if let Some(c) = b.get("mode_conflict") {
        assert!(*c < 0.0);
    }
    assert!(b["trl_miss"] < 0.0 && b["expired"] < 0.0);
    assert!(same.score < fit[0].score);
}

#[test]
fn english_function_words_are_no_evidence_in_a_match() {
    let e = common::seeds();
    let text = "Technology to facilitate nuclear forensics: the methods of the analysis and the tools for it are to be developed with the laboratories in the field.";
    let by_text = |text: &str| {
        e.match_records(&MatchRequest {
            text: Some(text.into()),
            tags: MatchTags {
                side: Some("need".into()),
                ..MatchTags::default()
            },
            size: 10,
            ..MatchRequest::default()
        })
        .unwrap()
        .hits
    };
    for h in by_text(text) {
        let terms = &h.reasons[0].detail;
        for word in terms.split([',', ' ']).filter(|w| !w.is_empty()) {
            assert!(
                !["to", "the", "of", "and", "for", "be", "with", "in", "are"].contains(&word.to_lowercase().as_str()),
                "{} matched on {terms:?}",
                h.id
            );
        }
    }
    // The words that carry meaning still match, function words around them or not.
    let hits = by_text("a membrane for the forward osmosis of brines");
    assert_eq!(hits[0].id, "R-2026-0053", "{hits:?}");
    assert!(
        hits[0].reasons[0].detail.to_lowercase().contains("forward osmosis"),
        "{:?}",
        hits[0].reasons[0]
    );
}

/// The best of poor candidates is a poor match: a need whose words the bundle mostly lacks scores
/// low even for the candidate holding its one common word, while a need the bundle answers scores high.
#[test]
fn a_need_the_bundle_barely_shares_words_with_is_a_weak_match() {
    let e = common::seeds();
    let by_text = |text: &str| {
        e.match_records(&MatchRequest {
            text: Some(text.into()),
            tags: MatchTags {
                side: Some("need".into()),
                ..MatchTags::default()
            },
            size: 5,
            ..MatchRequest::default()
        })
        .unwrap()
        .hits
    };
    let lasers = by_text("Cost reduction of ultrafast fiber laser components: femtosecond pulse amplifiers, chirped Bragg gratings, saturable absorber mirrors and polarization-maintaining fiber couplers at a lower cost.");
    assert!(!lasers.is_empty(), "the shared word still finds candidates");
    for h in &lasers {
        assert!(
            h.score < 15.0,
            "{} scores {} on {:?}",
            h.id,
            h.score,
            h.reasons[0].detail
        );
    }
    let osmosis = by_text(
        "High-flux forward osmosis membrane to concentrate industrial brines and recover water at low energy cost",
    );
    assert_eq!(osmosis[0].id, "R-2026-0053");
    assert!(osmosis[0].score > 45.0, "{:?}", osmosis[0]);
    assert!(osmosis[1].score < osmosis[0].score / 3.0, "{:?}", osmosis[1]);
}

#[test]
fn every_seed_match_lists_its_hits_by_the_score_they_show() {
    // A match ranks its candidates by tags read from the fast columns, then shows reasons from the
    // stored records: if the two disagreed, a hit would rank above one with a higher score.
    let e = common::seeds();
    let mut matched = 0;
    for side in ["needs", "results"] {
        let text = std::fs::read_to_string(common::root().join(format!("seeds/{side}.jsonl"))).unwrap();
        for line in text.lines() {
            let id = serde_json::from_str::<serde_json::Value>(line).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string();
            let hits = e
                .match_records(&MatchRequest {
                    id: Some(id.clone()),
                    size: 100,
                    today: Some(TODAY.into()),
                    ..MatchRequest::default()
                })
                .unwrap()
                .hits;
            assert!(
                hits.windows(2).all(|w| w[0].score >= w[1].score),
                "{id}: {:?}",
                hits.iter().map(|h| h.score).collect::<Vec<_>>()
            );
            for h in &hits {
                let sum: f32 = h.reasons.iter().map(|r| r.contribution).sum();
                assert!(
                    (sum.clamp(0.0, 100.0) - h.score).abs() < 1e-3,
                    "{id} → {}: score {} from reasons {sum}",
                    h.id,
                    h.score
                );
            }
            matched += usize::from(!hits.is_empty());
        }
    }
    assert!(matched > 200, "{matched} seed records found matches");
}

#[test]
fn a_need_candidate_weighs_one_trl_bound_its_city_and_its_deadline_as_its_record_says() {
    let dir = tempfile::tempdir().unwrap();
    let needs = [
        common::need_json(
            "N1",
            json!({"trl_min": 5, "industries": ["管道装备", "新材料"], "region": "130921"}),
        ),
        common::need_json(
            "N2",
            json!({"trl_max": 3, "deadline": "2020-01-01", "region": "130100"}),
        ),
        common::need_json("N3", json!({"trl_min": 6, "trl_max": 8, "region": "120000"})),
    ];
    let needs = common::temp_file(&dir, "needs.jsonl", needs.join("\n").as_bytes());
    let results = common::temp_file(
        &dir,
        "results.jsonl",
        common::result_json(
            "R1",
            json!({"region": "130900", "region_name": "沧州市", "industries": ["新材料"]}),
        )
        .as_bytes(),
    );
    let e = common::engine_from(&[needs, results], None);
    let hits = e
        .match_records(&MatchRequest {
            id: Some("R1".into()),
            size: 10,
            today: Some(TODAY.into()),
            ..MatchRequest::default()
        })
        .unwrap()
        .hits;
    let detail = |id: &str, kind: &str| {
        let hit = hits
            .iter()
            .find(|h| h.id == id)
            .unwrap_or_else(|| panic!("{id} not matched: {hits:?}"));
        hit.reasons
            .iter()
            .find(|r| r.kind == kind)
            .map(|r| (r.detail.clone(), r.contribution))
    };
    // One bound is that level (as the need's range); the result's TRL 7 misses it.
    assert_eq!(detail("N1", "trl_miss"), Some(("TRL 7 / 5–5".into(), -8.0)));
    assert_eq!(detail("N2", "trl_miss"), Some(("TRL 7 / 3–3".into(), -12.0)));
    assert_eq!(detail("N3", "trl_fit").map(|r| r.0), Some("TRL 7 / 6–8".into()));
    assert_eq!(detail("N2", "expired"), Some(("2020-01-01".into(), -10.0)));
    assert_eq!(detail("N1", "open").map(|r| r.0), Some("2027-06-30".into()));
    // Same city (130921 is in 130900) beats same province (130100); Tianjin is neither.
    assert_eq!(detail("N1", "region").map(|r| r.0), Some("沧州市".into()));
    assert_eq!(detail("N2", "region").map(|r| r.0), Some("河北省".into()));
    assert_eq!(detail("N3", "region"), None);
    assert_eq!(detail("N1", "industry").map(|r| r.0), Some("新材料产业".into()));
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
    // A TRL filter finds a need that gives one bound at that level.
    let found = |lo, hi| {
        ids(
            &e,
            &SearchRequest {
                trl: Some(TrlRange {
                    min: Some(lo),
                    max: Some(hi),
                }),
                size: 10,
                ..req("")
            },
        )
    };
    assert!(found(5, 5).contains(&"N1".to_string()) && !found(6, 9).contains(&"N1".to_string()));
}

#[test]
fn match_a_result_to_needs() {
    let e = common::seeds();
    let res = e
        .match_records(&MatchRequest {
            id: Some("R-2026-0004".into()),
            size: 5,
            today: Some(TODAY.into()),
            ..MatchRequest::default()
        })
        .unwrap();
    assert!(!res.hits.is_empty());
    assert!(res.hits.iter().all(|h| h.kind == "need" || h.kind == "challenge"));
    assert!(
        res.hits.iter().any(|h| h.id == "N-2026-0001"),
        "the hydrogenation need finds its result back: {:?}",
        res.hits
    );
    let free = e
        .match_records(&MatchRequest {
            text: Some("Pd催化剂 硝基芳烃加氢".into()),
            tags: MatchTags {
                side: Some("result".into()),
                ..MatchTags::default()
            },
            size: 5,
            ..MatchRequest::default()
        })
        .unwrap();
    assert!(free.hits.iter().all(|h| h.kind != "result"));
    assert!(matches!(
        e.match_records(&MatchRequest {
            id: Some("nope".into()),
            ..MatchRequest::default()
        }),
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        e.match_records(&MatchRequest::default()),
        Err(Error::Request(_))
    ));
}

#[test]
fn the_committed_seeds_bundle_is_current() {
    let seeds = common::root().join("seeds");
    let fresh = common::bundle_from(&[seeds.join("needs.jsonl"), seeds.join("results.jsonl")], None);
    let committed =
        std::fs::read(common::root().join("index/techmatch.bundle")).expect("index/techmatch.bundle exists");
    assert!(
        committed == fresh,
        "index/techmatch.bundle is stale: rebuild it with `techmatch build seeds/needs.jsonl seeds/results.jsonl --out index`"
    );
}

#[test]
fn a_page_past_the_end_has_no_hits_but_the_same_total_and_facets() {
    let e = common::seeds();
    let first = e
        .search(&SearchRequest {
            size: 1000,
            ..req("激光")
        })
        .unwrap();
    let deep = e
        .search(&SearchRequest {
            size: 1000,
            page: 4_000_000,
            ..req("激光")
        })
        .unwrap();
    assert!(deep.hits.is_empty());
    assert_eq!((deep.total, &deep.facets), (first.total, &first.facets));
}

#[test]
fn the_first_distinct_query_words_are_also_found_inside_longer_words() {
    use techmatch::engine::MAX_SUBSTRING_WORDS;
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        common::result_json(
            "R-1",
            serde_json::json!({"title": "ArcGIS 平台", "summary": "基于 ArcGIS 的管网系统。"}),
        ),
        common::result_json(
            "R-2",
            serde_json::json!({"title": "Xmapping 平台", "summary": "基于 Xmapping 的测绘系统。"}),
        ),
    ];
    let input = common::temp_file(&dir, "r.jsonl", (lines.join("\n") + "\n").as_bytes());
    let engine = common::engine_from(&[input], None);
    let found = |q: &str| ids(&engine, &SearchRequest { q: q.into(), ..req("") });
    assert_eq!(found("gis"), ["R-1"]);
    assert_eq!(found("mapping"), ["R-2"]);
    assert_eq!(found("map"), ["R-2"], "a part of a longer word");
    // A pasted text: the first MAX_SUBSTRING_WORDS distinct words are looked up inside longer
    // words (one dictionary scan each), the rest only as whole words.
    let fillers: Vec<String> = (0..MAX_SUBSTRING_WORDS).map(|i| format!("zq{i}")).collect();
    assert_eq!(found(&format!("gis {} map", fillers.join(" "))), ["R-1"]);
    assert_eq!(found(&format!("map {} gis", fillers.join(" "))), ["R-2"]);
}

#[test]
fn a_remembered_search_answers_every_page_as_a_fresh_engine_does() {
    let seeds = common::root().join("seeds");
    let bytes = common::bundle_from(&[seeds.join("needs.jsonl"), seeds.join("results.jsonl")], None);
    let open = || Engine::open(Bundle::parse(OwnedBytes::new(bytes.clone())).unwrap()).unwrap();
    let mut asks: Vec<SearchRequest> = [
        "激光",
        "盐碱地 改良",
        "coating",
        "",
        "-激光",
        "\"氢能\"",
        "锂电 回收 隔膜",
    ]
    .iter()
    .map(|q| req(q))
    .collect();
    let mut filtered = req("材料");
    filtered
        .filters
        .insert("industries".into(), vec!["新材料".into(), "高端装备制造".into()]);
    filtered.trl = Some(TrlRange {
        min: Some(3),
        max: Some(8),
    });
    asks.push(filtered);
    let mut open_needs = req("");
    open_needs.kind = Some("needs".into());
    open_needs.open = true;
    open_needs.sort = Sort::Deadline;
    asks.push(open_needs.clone());
    open_needs.today = Some("2027-06-30".into());
    asks.push(open_needs);
    // A query no record holds most of: a partial answer, remembered as partial.
    asks.push(req("量子纠缠光谱仪"));
    assert!(
        open().search(asks.last().unwrap()).unwrap().partial,
        "the last query gives a partial answer"
    );

    let remembering = open();
    for ask in &asks {
        for size in [3, 10] {
            // Pages in an order a broker might take them, some twice, one past the end.
            for page in [1, 2, 1, 3, 2, 1_000] {
                let r = SearchRequest {
                    size,
                    page,
                    ..ask.clone()
                };
                let fresh = open().search(&r).unwrap();
                assert_eq!(remembering.search(&r).unwrap(), fresh, "{r:?}");
            }
        }
    }
    // The query options are part of what is remembered.
    let mut any_term = open();
    any_term.options.min_match = 0.0;
    let mut remembering = remembering;
    remembering.options.min_match = 0.0;
    let r = req("盐碱地 改良");
    assert_eq!(remembering.search(&r).unwrap(), any_term.search(&r).unwrap());
    assert_ne!(
        remembering.search(&r).unwrap().total,
        open().search(&r).unwrap().total,
        "min_match changes this answer"
    );
}

#[test]
fn a_remembered_match_answers_as_a_fresh_engine_does() {
    let seeds = common::root().join("seeds");
    let bytes = common::bundle_from(&[seeds.join("needs.jsonl"), seeds.join("results.jsonl")], None);
    let open = || Engine::open(Bundle::parse(OwnedBytes::new(bytes.clone())).unwrap()).unwrap();
    let remembering = open();
    let by_id = |id: &str, size: usize, today: &str| MatchRequest {
        id: Some(id.into()),
        size,
        today: Some(today.into()),
        ..MatchRequest::default()
    };
    let by_text = |text: &str, region: Option<&str>| MatchRequest {
        text: Some(text.into()),
        tags: MatchTags {
            region: region.map(str::to_string),
            ..MatchTags::default()
        },
        today: Some(TODAY.into()),
        ..MatchRequest::default()
    };
    // N-2026-0001 closes on 2027-06-30: open on TODAY, expired a year later.
    let asks = [
        by_id("N-2026-0001", 10, TODAY),
        by_id("N-2026-0001", 3, TODAY),
        by_id("N-2026-0001", 10, "2028-01-01"),
        by_id("R-2026-0001", 10, TODAY),
        by_text("寻求锂电池正极材料低成本制备技术", None),
        by_text("寻求锂电池正极材料低成本制备技术", Some("130900")),
    ];
    for _ in 0..2 {
        for ask in &asks {
            assert_eq!(
                remembering.match_records(ask).unwrap(),
                open().match_records(ask).unwrap(),
                "{ask:?}"
            );
        }
    }
    let reasons = |r: &MatchRequest| {
        remembering.match_records(r).unwrap().hits[0]
            .reasons
            .iter()
            .map(|x| x.kind.clone())
            .collect::<Vec<_>>()
    };
    assert!(reasons(&asks[0]).contains(&"open".to_string()) && reasons(&asks[2]).contains(&"expired".to_string()));
    assert!(
        remembering.match_records(&by_id("no-such-id", 10, TODAY)).is_err(),
        "a failed match is not remembered as an answer"
    );
}
