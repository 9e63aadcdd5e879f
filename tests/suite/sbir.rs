//! Real English needs (US SBIR topics) through their mapping: dates, agencies and English search.

use crate::common;

use techmatch::build::mapping::Mapping;
use techmatch::build::pipeline;
use techmatch::engine::MatchRequest;
use techmatch::engine::{Engine, SearchRequest};

#[test]
fn sbir_topics_build_as_english_needs() {
    let input = common::shared().join("data/sbir/topics_sample.jsonl");
    let mapping = Mapping::load(&common::root().join("seeds/maps/sbir.toml")).unwrap();
    let built = pipeline::build(&[input], Some(&mapping), &|_, _| {});
    // The source's own defects, each named: mis-decoded control characters and one empty title.
    let problems: Vec<String> = built.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 9, "{problems:#?}");
    assert_eq!(
        problems
            .iter()
            .filter(|p| p.contains(": summary: contains control character U+"))
            .count(),
        8
    );
    assert_eq!(
        problems
            .iter()
            .filter(|p| p.contains(": title: required field is missing"))
            .count(),
        1
    );
    assert_eq!(built.records, 1491);

    let bundle = techmatch::bundle::Bundle::parse(tantivy::directory::OwnedBytes::new(built.bundle.unwrap())).unwrap();
    let e = Engine::open(bundle).unwrap();
    let r = e.get("sbir-topic-02652").unwrap().unwrap();
    assert_eq!(r.title, "Next Generation Identity Management Technologies / Tools");
    assert_eq!(
        (r.lang.as_str(), r.deadline.as_deref(), r.published.as_deref()),
        ("en", Some("2016-02-17"), Some("2016-01-11"))
    );
    assert_eq!(
        r.industries,
        ["高端装备制造产业"],
        "Department of Defense, Special Operations Command"
    );
    assert_eq!(r.modes, ["委托开发"]);

    let hits = e
        .search(&SearchRequest {
            q: "identity management".into(),
            size: 5,
            ..SearchRequest::default()
        })
        .unwrap();
    assert_eq!(hits.hits[0].id, "sbir-topic-02652");
    // Stemming: "batteries" finds records that say "battery".
    let batteries = e
        .search(&SearchRequest {
            q: "batteries".into(),
            size: 50,
            ..SearchRequest::default()
        })
        .unwrap();
    assert!(batteries.total > 0);
    let text = |id: &str| {
        let r = e.get(id).unwrap().unwrap();
        format!("{} {}", r.title, r.body()).to_lowercase()
    };
    assert!(batteries
        .hits
        .iter()
        .any(|h| text(&h.id).contains("battery") && !text(&h.id).contains("batteries")));

    // A long English need text matched against its own corpus finds itself-like topics, not nothing.
    let m = e
        .match_records(&MatchRequest {
            text: Some(r.summary.clone()),
            size: 5,
            tags: techmatch::engine::MatchTags {
                side: Some("result".into()),
                ..Default::default()
            },
            ..MatchRequest::default()
        })
        .unwrap();
    assert_eq!(
        m.hits[0].id, "sbir-topic-02652",
        "the source text finds its own need first"
    );
}
