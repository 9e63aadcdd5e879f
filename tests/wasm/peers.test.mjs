// CI smoke of the peers benchmark (bench/peers): the scorer against hand-computed values, the peers'
// CJK tokenizer, and the whole harness on the seeds — every engine (techmatch, Pagefind, MiniSearch,
// FlexSearch) built from the same 232 records, loaded cold in headless Chromium through the bench page,
// finding the record each query is about, with the bytes counted. Skipped without Chromium.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import test from "node:test";

import { CHROMIUM } from "../../bench/lib/browser-kit.mjs";
import { build, closeBuilders, ENGINES } from "../../bench/peers/build.mjs";
import { tokenize } from "../../bench/peers/cjk.js";
import { coldRun, launch, rankAll, serve, snapshot } from "../../bench/peers/harness.mjs";
import { evaluate, ndcg, parseQrels, recall, reciprocalRank } from "../../bench/peers/score.mjs";
import { CLI, ROOT, tmpdir } from "./helpers.mjs";

test("the scorer computes nDCG@10, MRR@10 and Recall@100 as src/eval.rs does", () => {
  // Relevant: a (grade 3), c (grade 1), z (grade 2, not retrieved); ranking x, a, c.
  const judged = new Map([
    ["a", 3],
    ["c", 1],
    ["z", 2],
    ["n", 0],
  ]);
  // DCG = 3/log2(3) + 1/log2(4) = 2.392789; IDCG = 3 + 2/log2(3) + 1/log2(4) = 4.761860.
  assert.ok(Math.abs(ndcg(["x", "a", "c"], judged) - 2.392789 / 4.76186) < 1e-6);
  assert.equal(reciprocalRank(["x", "a", "c"], judged), 0.5);
  assert.equal(recall(["x", "a", "c"], judged), 2 / 3);
  // Only within the cut-offs: a relevant document at rank 11 counts for recall, not for MRR@10.
  const late = [...Array.from({ length: 10 }, (_, i) => `x${i}`), "a"];
  assert.equal(reciprocalRank(late, judged), 0);
  assert.equal(recall(late, judged), 1 / 3);
  // Mean over judged queries; q3 has no relevant document and is skipped; q2 has no run and scores 0.
  const qrels = parseQrels("q1 0 a 1\nq2 0 b 2\nq3 0 c 0\n");
  const m = evaluate(new Map([["q1", ["a"]]]), qrels);
  assert.deepEqual(m, { queries: 2, ndcg10: 0.5, mrr10: 0.5, recall100: 0.5 });
});

test("the peers' CJK tokenizer gives character unigrams and bigrams, and whole Latin words", () => {
  assert.deepEqual(tokenize("多模态 PM2.5"), ["多", "多模", "模", "模态", "态", "pm2.5"]);
  assert.deepEqual(tokenize("ＧＩＳ平台, X80钢"), ["gis", "平", "平台", "台", "x80", "钢"]);
});

const skip = !CHROMIUM
  ? "no Chromium found (set CHROMIUM)"
  : !fs.existsSync(path.join(ROOT, "www/tech-match/pkg/techmatch.js"))
    ? "www/tech-match/pkg is not built"
    : false;

test(
  "every engine loads the seeds in Chromium and finds what the query names",
  { skip, timeout: 110_000 },
  async (t) => {
    const site = tmpdir();
    const dir = path.join(site, "seeds");
    const inputs = ["seeds/needs.jsonl", "seeds/results.jsonl"].map((f) => path.join(ROOT, f));
    const built = {};
    for (const engine of ENGINES) built[engine] = await build(engine, { inputs, dir, cli: CLI });
    await closeBuilders();
    for (const engine of ENGINES) {
      assert.equal(built[engine].records, 232, `${engine} indexed every seed record`);
      assert.ok(built[engine].raw > 10_000, `${engine} wrote an index`);
    }
    const pagefindIds = JSON.parse(fs.readFileSync(path.join(dir, "pagefind-ids.json"), "utf8"));
    assert.equal(Object.keys(pagefindIds).length, 232);

    const server = await serve(snapshot(site));
    const browser = await launch();
    const bs = await browser.newBrowserCDPSession();
    t.after(async () => {
      await browser.close();
      server.close();
    });
    // Each query and the seed result it is about, in Chinese and in English. (Pagefind misses records for
    // some Chinese words, e.g. 盐碱地 finds one of the three results with it in the title: its index-time segmentation and the
    // browser's Intl.Segmenter cut them differently; the report shows what that costs.)
    const queries = ["余热锅炉", "diaphragm compressor"];
    const expected = ["R-2025-0002", "R-2025-0045"];
    for (const engine of ENGINES) {
      await t.test(engine, async () => {
        const run = await coldRun(browser, bs, server, { engine, corpus: "seeds", queries, next: queries.slice(1) });
        assert.deepEqual(run.errors, []);
        assert.ok(run.firstIds.includes(expected[0]), `${engine}: ${expected[0]} in the first results ${run.firstIds}`);
        assert.ok(run.marks.ready <= run.marks.results && run.marks.results <= run.marks.rendered);
        // The first results need the engine's index: at least its gzip size went over the wire.
        assert.ok(run.firstBytes > 20_000, `${engine}: ${run.firstBytes} B to first results`);
        assert.ok(run.rtBytes > 0 && run.mem.heap > 0);
        if (engine === "techmatch" || engine === "minisearch" || engine === "flexsearch")
          assert.equal(run.nextBytes, 0, `${engine} loads everything up front`);

        const page = await browser.newPage();
        await page.goto(
          `${server.origin}/?engine=${engine}&base=/site/seeds/${engine}&q=${encodeURIComponent(queries[0])}`,
        );
        await page.waitForFunction(() => window.__bench);
        const ranked = (await rankAll(page, queries, 10)).map((ids) =>
          engine === "pagefind" ? ids.map((h) => pagefindIds[h]) : ids,
        );
        await page.close();
        ranked.forEach((ids, i) =>
          assert.ok(ids.includes(expected[i]), `${engine}: ${queries[i]} → ${expected[i]} in ${ids}`),
        );
      });
    }
  },
);

test(
  "the one command runs end to end on the seeds and its report comes again from the saved figures",
  { skip, timeout: 180_000 },
  () => {
    const work = tmpdir();
    const [out, again] = [path.join(work, "out"), path.join(work, "again")];
    const run = (...args) =>
      execFileSync(process.execPath, [path.join(ROOT, "bench/peers/run.mjs"), ...args], {
        encoding: "utf8",
        maxBuffer: 64 << 20,
        stdio: ["ignore", "pipe", "pipe"],
      });
    run(
      "--corpora",
      "seeds",
      "--queries",
      "5",
      "--cold-runs",
      "1",
      "--warm-passes",
      "1",
      "--next",
      "2",
      "--no-quality",
      "--work",
      path.join(work, "w"),
      "--out",
      out,
      "--cli",
      CLI,
    );
    const results = JSON.parse(fs.readFileSync(path.join(out, "results.json"), "utf8"));
    const seeds = results.corpora.seeds;
    for (const engine of ENGINES) {
      assert.equal(seeds.builds[engine].records, 232, `${engine} built`);
      assert.equal(seeds.cold[engine].length, 1, `${engine}: one cold run`);
      assert.ok(
        seeds.cold[engine][0].marks.rendered > 0 && seeds.cold[engine][0].firstBytes > 20_000,
        `${engine}: first results with bytes`,
      );
      assert.deepEqual(seeds.cold[engine][0].errors, [], `${engine}: no page errors`);
      assert.equal(seeds.warm[engine].passes.length, 1);
      assert.equal(seeds.warm[engine].passes[0].length, 5, `${engine}: every query timed`);
    }
    const report = fs.readFileSync(path.join(out, "report.md"), "utf8");
    for (const engine of ENGINES)
      assert.match(
        report,
        new RegExp(`^\\| seeds \\| (\\*\\*)?${engine}(\\*\\*)? \\| 232 \\|`, "m"),
        `${engine} has a row`,
      );
    assert.match(report, /^\| seeds \| cold first results ≤ fastest peer's \|/m, "the targets table");
    assert.match(
      fs.readFileSync(path.join(out, "latency-seeds.svg"), "utf8"),
      /^<svg[^]*<\/svg>\s*$/,
      "the latency plot",
    );
    // The report is a function of results.json (only the plots' paths name the output directory).
    run("--from", path.join(out, "results.json"), "--out", again);
    const withoutPlots = (md) => md.replace(/^Plots: .*$/m, "");
    assert.equal(withoutPlots(fs.readFileSync(path.join(again, "report.md"), "utf8")), withoutPlots(report));
  },
);
