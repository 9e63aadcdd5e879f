// The one scorer for every engine in bench/peers: nDCG@10 (linear gain, log2 discount), MRR@10 and
// Recall@100, averaged over the queries with a relevant document — the definitions of src/eval.rs, so
// techmatch's figures here must equal `techmatch eval`'s.
import fs from "node:fs";

/** TREC qrels (`qid 0 docid grade`, whitespace-separated) → Map qid → Map docid → grade. */
export function parseQrels(text) {
  const qrels = new Map();
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const [qid, , doc, grade] = line.trim().split(/\s+/);
    if (!qrels.has(qid)) qrels.set(qid, new Map());
    qrels.get(qid).set(doc, Number(grade));
  }
  return qrels;
}

/** `qid<TAB>text` lines → [{qid, text}]. */
export function readQueries(file) {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => {
      const [qid, text] = l.split("\t");
      return { qid, text };
    });
}

export function ndcg(ranking, judged, k = 10) {
  const dcg = ranking.slice(0, k).reduce((s, d, i) => s + (judged.get(d) ?? 0) / Math.log2(i + 2), 0);
  const ideal = [...judged.values()].filter((g) => g > 0).sort((a, b) => b - a);
  const idcg = ideal.slice(0, k).reduce((s, g, i) => s + g / Math.log2(i + 2), 0);
  return idcg === 0 ? 0 : dcg / idcg;
}

export function reciprocalRank(ranking, judged, k = 10) {
  const i = ranking.slice(0, k).findIndex((d) => (judged.get(d) ?? 0) > 0);
  return i < 0 ? 0 : 1 / (i + 1);
}

export function recall(ranking, judged, k = 100) {
  const relevant = [...judged.values()].filter((g) => g > 0).length;
  if (!relevant) return 0;
  return ranking.slice(0, k).filter((d) => (judged.get(d) ?? 0) > 0).length / relevant;
}

/** Mean metrics of `runs` (Map qid → ranked ids) over the judged queries; a missing run counts as empty. */
export function evaluate(runs, qrels) {
  const m = { queries: 0, ndcg10: 0, mrr10: 0, recall100: 0 };
  for (const [qid, judged] of qrels) {
    if (![...judged.values()].some((g) => g > 0)) continue;
    const ranking = runs.get(qid) ?? [];
    m.queries++;
    m.ndcg10 += ndcg(ranking, judged, 10);
    m.mrr10 += reciprocalRank(ranking, judged, 10);
    m.recall100 += recall(ranking, judged, 100);
  }
  if (m.queries) for (const k of ["ndcg10", "mrr10", "recall100"]) m[k] /= m.queries;
  return m;
}
