// Parity: the WASM engine gives the native engine's answers on the same bundle file.
// - CSL: all queries of ../shared/data/csl/queries_keyword.tsv, native `techmatch eval --run`
//   against WASM search({q, size: 10}) and rank(q, 10): same ids in the same order, scores within 1e-4;
//   a sample also field for field (snippets, highlights, facets) against `techmatch search --json`.
// - Seeds: match on every record, native `techmatch match --json` against WASM match: same ids,
//   scores and reasons.
// Prints load and per-query times as test diagnostics.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import test from "node:test";

import { CSL, cli, closeScore, cslBundle, diff, seedBundle, seedIds, tmpdir, TODAY, wasm } from "./helpers.mjs";

const { Engine } = await wasm();

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.round((s.length - 1) * p)] ?? 0;
}

const ms = (x) => `${x.toFixed(3)} ms`;

test(
  "CSL: every keyword query ranks the same ids with the same scores",
  { skip: !fs.existsSync(path.join(CSL, "queries_keyword.tsv")) && "../shared/data/csl is absent" },
  (t) => {
    const bundlePath = cslBundle();
    const queriesPath = path.join(CSL, "queries_keyword.tsv");
    const runPath = path.join(tmpdir(), "native.trec");
    const nativeOut = cli("eval", bundlePath, "--queries", queriesPath, "--run", runPath, "--limit", "10");
    const native = new Map();
    for (const line of fs.readFileSync(runPath, "utf8").split("\n")) {
      if (!line) continue;
      const [qid, , id, rank, score] = line.split(" ");
      if (!native.has(qid)) native.set(qid, []);
      native.get(qid)[Number(rank) - 1] = { id, score: Number(score) };
    }

    const bytes = fs.readFileSync(bundlePath);
    let started = performance.now();
    const engine = Engine.load(bytes);
    const loadMs = performance.now() - started;

    const queries = fs
      .readFileSync(queriesPath, "utf8")
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => l.split("\t"));
    assert.ok(queries.length >= 1599, `${queries.length} queries`);
    const searchTimes = [];
    const rankTimes = [];
    let compared = 0;
    let exact = 0;
    let worst = 0;
    for (const [qid, q] of queries) {
      const expected = native.get(qid) ?? [];
      started = performance.now();
      const ranked = engine.rank(q, 10);
      rankTimes.push(performance.now() - started);
      started = performance.now();
      const res = engine.search({ q, size: 10 });
      searchTimes.push(performance.now() - started);
      for (const [what, got] of [
        ["rank", ranked],
        ["search", res.hits],
      ]) {
        assert.deepEqual(
          got.map((h) => h.id),
          expected.map((h) => h.id),
          `${qid} ${q}: ${what} ids`,
        );
        got.forEach((h, i) => {
          assert.ok(
            closeScore(h.score, expected[i].score),
            `${qid} ${q}: ${what} score of ${h.id}: ${h.score} vs native ${expected[i].score}`,
          );
          compared++;
          if (h.score === Math.fround(expected[i].score)) exact++;
          worst = Math.max(worst, Math.abs(h.score - expected[i].score) / Math.abs(expected[i].score || 1));
        });
      }
    }
    t.diagnostic(`native: ${nativeOut.trim()}`);
    t.diagnostic(`CSL bundle ${(bytes.length / 1e6).toFixed(1)} MB: Engine.load ${ms(loadMs)}`);
    t.diagnostic(
      `${queries.length} queries, WASM search (size 10, facets, snippets): p50 ${ms(percentile(searchTimes, 0.5))} p95 ${ms(percentile(searchTimes, 0.95))}; rank: p50 ${ms(percentile(rankTimes, 0.5))} p95 ${ms(percentile(rankTimes, 0.95))}`,
    );
    t.diagnostic(
      `${compared} scores compared, ${exact} bit-identical to native f32, largest relative difference ${worst.toExponential(2)}`,
    );

    // A sample field for field, with tag filters and facets.
    const stats = engine.stats();
    const someField = Object.entries(stats.facets).find(
      ([name, values]) => name !== "kind" && Object.keys(values).length > 1,
    );
    for (let i = 0; i < queries.length; i += 80) {
      const q = queries[i][1];
      const args = ["search", "--json", "--limit", "10"];
      const req = { q, size: 10 };
      if (someField && i % 160 === 0) {
        const [name, values] = someField;
        const value = Object.keys(values)[0];
        req.filters = { [name]: [value] };
        args.push("--filter", `${name}=${value}`);
      }
      const mine = engine.search(req);
      delete mine.tookMs;
      const d = diff(mine, JSON.parse(cli(...args, "--", bundlePath, q)));
      assert.equal(d, null, `${JSON.stringify(req)}: ${d}`);
    }
    engine.free();
  },
);

test("seeds: match on every record gives the same ids, scores and reasons", (t) => {
  const bundlePath = seedBundle();
  const engine = Engine.load(fs.readFileSync(bundlePath));
  const times = [];
  let pairs = 0;
  for (const id of seedIds()) {
    const native = JSON.parse(cli("match", bundlePath, "--id", id, "--json", "--today", TODAY, "--limit", "10"));
    const started = performance.now();
    const mine = engine.match({ id, today: TODAY, size: 10 });
    times.push(performance.now() - started);
    assert.equal(typeof mine.tookMs, "number");
    delete mine.tookMs;
    assert.ok(mine.hits.length > 0, `${id}: no hits`);
    const d = diff(mine, native);
    assert.equal(d, null, `${id}: ${d}`);
    pairs += mine.hits.length;
  }
  t.diagnostic(
    `${times.length} seed records matched (${pairs} pairs with reasons): WASM match p50 ${ms(percentile(times, 0.5))} p95 ${ms(percentile(times, 0.95))}`,
  );
});
