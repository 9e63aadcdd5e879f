//! Every request field has a bound, and a request over it is an error naming the field and the
//! limit; repeated filter values are folded, so they answer as one.

use crate::common;

use std::collections::BTreeMap;

use techmatch::engine::{Engine, MatchRequest, MatchTags, SearchRequest};
use techmatch::engine::{MAX_MATCH_CHARS, MAX_QUERY_CHARS, MAX_QUERY_WORDS, MAX_TAG_VALUES, MAX_VALUE_CHARS};
use techmatch::Error;

fn search_error(engine: &Engine, req: SearchRequest) -> String {
    match engine.search(&req) {
        Err(Error::Request(message)) => message,
        other => panic!("expected a request error, got {other:?}"),
    }
}

fn match_error(engine: &Engine, req: MatchRequest) -> String {
    match engine.match_records(&req) {
        Err(Error::Request(message)) => message,
        other => panic!("expected a request error, got {other:?}"),
    }
}

fn filters(field: &str, values: Vec<String>) -> BTreeMap<String, Vec<String>> {
    BTreeMap::from([(field.to_string(), values)])
}

#[test]
fn a_search_over_a_bound_names_the_field_and_the_limit() {
    let engine = common::seeds();
    let search = |req: SearchRequest| search_error(&engine, req);
    assert_eq!(
        search(SearchRequest {
            q: "盐".repeat(MAX_QUERY_CHARS + 1),
            ..SearchRequest::default()
        }),
        format!("q: at most {MAX_QUERY_CHARS} characters, found {}", MAX_QUERY_CHARS + 1)
    );
    let words = vec!["盐碱地"; MAX_QUERY_WORDS + 1].join(" ");
    assert_eq!(
        search(SearchRequest {
            q: words,
            ..SearchRequest::default()
        }),
        format!("q: at most {MAX_QUERY_WORDS} words, found {}", MAX_QUERY_WORDS + 1)
    );
    let many: Vec<String> = (0..=MAX_TAG_VALUES).map(|i| format!("v{i}")).collect();
    assert_eq!(
        search(SearchRequest {
            filters: filters("region", many),
            ..SearchRequest::default()
        }),
        format!(
            "filters.region: at most {MAX_TAG_VALUES} different values, found {}",
            MAX_TAG_VALUES + 1
        )
    );
    let long = "x".repeat(MAX_VALUE_CHARS + 1);
    assert_eq!(
        search(SearchRequest {
            filters: filters("fields", vec![long.clone()]),
            ..SearchRequest::default()
        }),
        format!(
            "filters.fields: at most {MAX_VALUE_CHARS} characters, found {}",
            MAX_VALUE_CHARS + 1
        )
    );
    assert!(search(SearchRequest {
        kind: Some(long.clone()),
        ..SearchRequest::default()
    })
    .starts_with("kind: at most"));
    assert!(search(SearchRequest {
        today: Some(long),
        ..SearchRequest::default()
    })
    .starts_with("today: at most"));
    // rank (what eval measures) holds the query to the same bounds.
    assert!(
        matches!(engine.rank(&"盐".repeat(MAX_QUERY_CHARS + 1), 10), Err(Error::Request(m)) if m.starts_with("q: at most"))
    );
}

#[test]
fn a_search_at_its_bounds_answers() {
    let engine = common::seeds();
    let words: Vec<String> = (0..MAX_QUERY_WORDS).map(|i| format!("盐碱地{i}")).collect();
    let mut q = words.join(" ");
    q.push_str(&"改".repeat(MAX_QUERY_CHARS - q.chars().count()));
    assert_eq!(q.chars().count(), MAX_QUERY_CHARS);
    let values: Vec<String> = (0..MAX_TAG_VALUES - 1)
        .map(|i| format!("{i:0>width$}", width = MAX_VALUE_CHARS))
        .chain(["河北省".to_string()])
        .collect();
    let answer = engine
        .search(&SearchRequest {
            q,
            filters: filters("region", values),
            size: 1000,
            ..SearchRequest::default()
        })
        .unwrap();
    assert!(answer.total > 0, "the one real region still matches");
}

#[test]
fn repeated_filter_values_answer_as_one() {
    let engine = common::seeds();
    let once = engine
        .search(&SearchRequest {
            q: "盐碱地".into(),
            filters: filters("region", vec!["河北省".into()]),
            ..SearchRequest::default()
        })
        .unwrap();
    let repeated = engine
        .search(&SearchRequest {
            q: "盐碱地".into(),
            filters: filters("region", vec!["河北省".to_string(); 100_000]),
            ..SearchRequest::default()
        })
        .unwrap();
    assert!(once.total > 0);
    assert_eq!(once, repeated);
}

#[test]
fn a_match_over_a_bound_names_the_field_and_the_limit() {
    let engine = common::seeds();
    let matching = |req: MatchRequest| match_error(&engine, req);
    assert_eq!(
        matching(MatchRequest {
            text: Some("盐碱地".repeat(MAX_MATCH_CHARS / 3 + 1)),
            ..MatchRequest::default()
        }),
        format!(
            "text: at most {MAX_MATCH_CHARS} characters, found {}",
            (MAX_MATCH_CHARS / 3 + 1) * 3
        )
    );
    let many: Vec<String> = (0..=MAX_TAG_VALUES).map(|i| format!("v{i}")).collect();
    for (field, tags) in [
        (
            "tags.industries",
            MatchTags {
                industries: many.clone(),
                ..MatchTags::default()
            },
        ),
        (
            "tags.fields",
            MatchTags {
                fields: many.clone(),
                ..MatchTags::default()
            },
        ),
        (
            "tags.modes",
            MatchTags {
                modes: many.clone(),
                ..MatchTags::default()
            },
        ),
    ] {
        assert_eq!(
            matching(MatchRequest {
                text: Some("盐碱地".into()),
                tags,
                ..MatchRequest::default()
            }),
            format!(
                "{field}: at most {MAX_TAG_VALUES} different values, found {}",
                MAX_TAG_VALUES + 1
            )
        );
    }
    let long = "x".repeat(MAX_VALUE_CHARS + 1);
    assert!(matching(MatchRequest {
        id: Some(long.clone()),
        ..MatchRequest::default()
    })
    .starts_with("id: at most"));
    assert!(matching(MatchRequest {
        text: Some("盐碱地".into()),
        tags: MatchTags {
            region: Some(long),
            ..MatchTags::default()
        },
        ..MatchRequest::default()
    })
    .starts_with("tags.region: at most"));
    // Repeated tags are folded: a source with one industry a thousand times is a source with it once.
    let with = |industries: Vec<String>| {
        engine
            .match_records(&MatchRequest {
                text: Some("盐碱地改良".into()),
                tags: MatchTags {
                    industries,
                    ..MatchTags::default()
                },
                ..MatchRequest::default()
            })
            .unwrap()
    };
    let once = with(vec!["现代农业".into()]);
    assert!(!once.hits.is_empty());
    assert_eq!(once, with(vec!["现代农业".into(); 1000]));
}
