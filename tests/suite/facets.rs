//! Disjunctive facets: a filtered field's counts are those of the same search without that field's
//! filter, however many fields are filtered (the text's matches are collected once for them all).

use crate::common;

use std::collections::BTreeMap;

use techmatch::engine::{SearchRequest, TrlRange};

#[test]
fn each_filtered_field_counts_as_the_search_without_its_filter() {
    let engine = common::seeds();
    let all = engine.search(&SearchRequest::default()).unwrap().facets;
    // The two most common values of each field, so every filter keeps some records.
    let common_values = |field: &str| -> Vec<String> {
        let mut values: Vec<(&String, &u64)> = all[field].iter().collect();
        values.sort_by(|a, b| b.1.cmp(a.1));
        values.into_iter().take(2).map(|(v, _)| v.clone()).collect()
    };
    let mut answered = 0;
    for q in ["技术", "材料 -电池", "\"智能制造\" 设备"] {
        for fields in [
            vec!["industries", "region"],
            vec!["industries", "modes", "kind"],
            vec!["fields", "result_type", "lang", "region"],
        ] {
            let filters: BTreeMap<String, Vec<String>> =
                fields.iter().map(|f| (f.to_string(), common_values(f))).collect();
            let req = SearchRequest {
                q: q.into(),
                filters: filters.clone(),
                trl: Some(TrlRange {
                    min: Some(2),
                    max: Some(8),
                }),
                ..SearchRequest::default()
            };
            let answer = engine.search(&req).unwrap();
            answered += usize::from(answer.total > 0);
            for field in &fields {
                let mut without = filters.clone();
                without.remove(*field);
                let alone = engine
                    .search(&SearchRequest {
                        filters: without,
                        ..req.clone()
                    })
                    .unwrap();
                assert_eq!(
                    answer.facets[*field], alone.facets[*field],
                    "{q:?} filtered by {fields:?}: {field}"
                );
            }
        }
    }
    assert!(answered >= 5, "only {answered} of 9 searches found records");
}
