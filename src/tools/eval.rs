//! Eval: relevance metrics (nDCG@10, MRR@10, Recall@100) over TREC qrels and runs.
//!
//! Gains are the graded labels as given (linear gain, log2 discount, as trec_eval's `ndcg_cut`).
//! Queries without any relevant document are skipped, as trec_eval does.

use crate::Error;
use std::collections::HashMap;

/// Relevance labels: query id → document id → grade.
pub type Qrels = HashMap<String, HashMap<String, u32>>;

/// Averages over the evaluated queries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    pub queries: usize,
    pub ndcg10: f64,
    pub mrr10: f64,
    pub recall100: f64,
}

/// Parses relevance labels: TREC qrels lines `qid 0 docid grade`, or a judgements table
/// `need_id<TAB>result_id<TAB>grade<TAB>note` with a header line (as `seeds/judgements.tsv`).
pub fn parse_qrels(text: &str) -> Result<Qrels, Error> {
    let mut qrels = Qrels::new();
    for (i, line) in text.lines().enumerate() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.is_empty() || (i == 0 && line.starts_with("need_id\t")) {
            continue;
        }
        let trec = parts.len() == 4 && (parts[1] == "0" || parts[1] == "Q0");
        let table: Vec<&str> = line.split('\t').collect();
        let (qid, doc, grade) = match (trec, table.as_slice()) {
            (true, _) => (parts[0], parts[2], parts[3]),
            (false, [q, d, g, ..]) => (q.trim(), d.trim(), g.trim()),
            _ => {
                return Err(Error::Input(format!(
                    "line {}: expected `qid 0 docid grade` or `need_id<TAB>result_id<TAB>grade`, found {line:?}",
                    i + 1
                )))
            }
        };
        let grade: u32 = grade
            .parse()
            .map_err(|_| Error::Input(format!("line {}: grade {grade:?} is not a whole number", i + 1)))?;
        qrels.entry(qid.to_string()).or_default().insert(doc.to_string(), grade);
    }
    Ok(qrels)
}

/// nDCG at `k` of one ranking.
pub fn ndcg(ranking: &[String], judged: &HashMap<String, u32>, k: usize) -> f64 {
    let dcg: f64 = ranking
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, d)| f64::from(*judged.get(d).unwrap_or(&0)) / (i as f64 + 2.0).log2())
        .sum();
    let mut ideal: Vec<u32> = judged.values().copied().filter(|g| *g > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, g)| f64::from(*g) / (i as f64 + 2.0).log2())
        .sum();
    if idcg == 0.0 {
        0.0
    } else {
        dcg / idcg
    }
}

/// Reciprocal rank of the first relevant document within `k`.
pub fn reciprocal_rank(ranking: &[String], judged: &HashMap<String, u32>, k: usize) -> f64 {
    ranking
        .iter()
        .take(k)
        .position(|d| judged.get(d).is_some_and(|g| *g > 0))
        .map_or(0.0, |i| 1.0 / (i as f64 + 1.0))
}

/// Share of the relevant documents found within `k`.
pub fn recall(ranking: &[String], judged: &HashMap<String, u32>, k: usize) -> f64 {
    let relevant = judged.values().filter(|g| **g > 0).count();
    if relevant == 0 {
        return 0.0;
    }
    let found = ranking
        .iter()
        .take(k)
        .filter(|d| judged.get(*d).is_some_and(|g| *g > 0))
        .count();
    found as f64 / relevant as f64
}

/// Mean metrics of `runs` (query id → ranked document ids) against `qrels`.
pub fn evaluate(runs: &HashMap<String, Vec<String>>, qrels: &Qrels) -> Metrics {
    let empty = Vec::new();
    let mut m = Metrics {
        queries: 0,
        ndcg10: 0.0,
        mrr10: 0.0,
        recall100: 0.0,
    };
    for (qid, judged) in qrels {
        if !judged.values().any(|g| *g > 0) {
            continue;
        }
        let ranking = runs.get(qid).unwrap_or(&empty);
        m.queries += 1;
        m.ndcg10 += ndcg(ranking, judged, 10);
        m.mrr10 += reciprocal_rank(ranking, judged, 10);
        m.recall100 += recall(ranking, judged, 100);
    }
    if m.queries > 0 {
        let n = m.queries as f64;
        m.ndcg10 /= n;
        m.mrr10 /= n;
        m.recall100 /= n;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn hand_computed_values() {
        // Relevant: a (grade 3), c (grade 1), z (grade 2, not retrieved).
        let judged: HashMap<String, u32> = [("a", 3), ("c", 1), ("z", 2), ("b", 0)]
            .iter()
            .map(|(d, g)| (d.to_string(), *g))
            .collect();
        let ranking = ids(&["b", "a", "c"]);
        // DCG = 0/log2(2) + 3/log2(3) + 1/log2(4) = 1.892789 + 0.5 = 2.392789
        // IDCG = 3/log2(2) + 2/log2(3) + 1/log2(4) = 3 + 1.261860 + 0.5 = 4.761860
        assert!((ndcg(&ranking, &judged, 10) - 2.392789 / 4.761860).abs() < 1e-5);
        assert_eq!(reciprocal_rank(&ranking, &judged, 10), 0.5);
        assert!((recall(&ranking, &judged, 100) - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(reciprocal_rank(&ranking, &judged, 1), 0.0);
    }

    #[test]
    fn mean_over_queries_skips_unjudged_and_counts_missing_runs_as_zero() {
        let qrels = parse_qrels("q1 0 a 1\nq2 0 b 1\nq3 0 c 0\n").unwrap();
        let runs: HashMap<String, Vec<String>> = [("q1".to_string(), ids(&["a"]))].into_iter().collect();
        let m = evaluate(&runs, &qrels);
        assert_eq!(m.queries, 2);
        assert_eq!(m.ndcg10, 0.5);
        assert_eq!(m.mrr10, 0.5);
        assert_eq!(m.recall100, 0.5);
    }

    #[test]
    fn bad_qrels_name_the_line() {
        assert_eq!(
            parse_qrels("q1 0 a 1\nq2 0 b x").unwrap_err().to_string(),
            "line 2: grade \"x\" is not a whole number"
        );
        assert!(parse_qrels("q1 a 1").unwrap_err().to_string().starts_with("line 1:"));
    }

    #[test]
    fn judgement_tables_read_like_qrels() {
        let q = parse_qrels("need_id\tresult_id\tgrade\tnote\nN1\tR1\t3\tsolves it, fully\nN1\tR2\t0\t\n").unwrap();
        assert_eq!(q["N1"]["R1"], 3);
        assert_eq!(q["N1"]["R2"], 0);
    }
}
