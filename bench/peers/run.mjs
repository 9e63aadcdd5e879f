#!/usr/bin/env node
// techmatch against the peers a portal would otherwise pick (Pagefind, MiniSearch, FlexSearch), in one
// run: builds every engine's index from the same records, serves them on 127.0.0.1, drives headless
// Chromium, alternating engines so machine noise hits all alike, and writes the report (markdown on
// stdout and in OUT/report.md, raw figures in OUT/results.json, SVG plots in OUT/; OUT defaults to
// bench/peers/report, whose committed copy BENCHMARKS.md cites).
//
//   node bench/peers/run.mjs [--corpora seeds,csl,csl100000] [--queries N] [--cold-runs 3]
//        [--warm-passes 2] [--next 100] [--engines techmatch,pagefind,…] [--no-quality] [--sbir]
//        [--work /tmp/techmatch-peers] [--out DIR] [--cli PATH]
//   node bench/peers/run.mjs --from OUT/results.json [--out DIR]     # the report again, no measuring
//
// Corpora: `seeds` (seeds/needs.jsonl + results.jsonl), `csl` (../shared/data/csl/corpus.jsonl),
// `cslN` (the CSL papers plus synthetic needs and results from bench/synth.py up to N records: csl100000),
// `synthN` (bench/synth.py --records N). At 100,000 records FlexSearch cannot take part: its one-file
// export, ~730 MB by extrapolation, would exceed V8's largest string. Speed uses the CSL keyword queries on every corpus; quality
// builds ../shared/data/csl/eval_corpus.jsonl (keywords held out) and scores all engines with score.mjs.
// `--sbir` adds `techmatch match` over the SBIR needs (long English texts) against a mixed bundle.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { gitRev, loadavg, machineRows, median, pct, ROOT } from "../lib/browser-kit.mjs";
import { build, closeBuilders, ENGINES as ALL, readJsonl } from "./build.mjs";
import {
  coldRun,
  launch,
  longestTask,
  preload,
  rankAll,
  repeatPass,
  serve,
  snapshot,
  timedPass,
  warmPage,
} from "./harness.mjs";
import { evaluate, parseQrels, readQueries } from "./score.mjs";
import { sbirReport } from "./sbir.mjs";
import { lineChart } from "./svg.mjs";

const CSL = path.resolve(ROOT, "../shared/data/csl");
const opts = {
  engines: ALL,
  corpora: ["seeds", "csl", "csl100000"],
  queries: Infinity,
  coldRuns: 3,
  warmPasses: 2,
  next: 100,
  quality: true,
  sbir: false,
  work: "/tmp/techmatch-peers",
  out: path.join(ROOT, "bench/peers/report"),
  cli: path.join(ROOT, "target/release/techmatch"),
};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const next = () => process.argv[++i];
  if (a === "--corpora") opts.corpora = next().split(",");
  else if (a === "--queries") opts.queries = Number(next());
  else if (a === "--cold-runs") opts.coldRuns = Number(next());
  else if (a === "--warm-passes") opts.warmPasses = Number(next());
  else if (a === "--next") opts.next = Number(next());
  else if (a === "--engines") opts.engines = next().split(",");
  else if (a === "--no-quality") opts.quality = false;
  else if (a === "--sbir") opts.sbir = true;
  else if (a === "--work") opts.work = path.resolve(next());
  else if (a === "--out") opts.out = path.resolve(next());
  else if (a === "--cli") opts.cli = path.resolve(next());
  else if (a === "--from") opts.from = path.resolve(next());
  else {
    console.error(`unknown argument ${a}; see the header of bench/peers/run.mjs`);
    process.exit(2);
  }
}
const saved = opts.from ? JSON.parse(fs.readFileSync(opts.from, "utf8")) : null;
if (saved) Object.assign(opts, { ...saved.opts, out: opts.out });
// techmatch first: the ratios divide by the peers.
const ENGINES = ALL.filter((e) => opts.engines.includes(e));
if (ENGINES[0] !== "techmatch" || ENGINES.length !== opts.engines.length) {
  console.error(`--engines: techmatch and any of ${ALL.slice(1).join(", ")}`);
  process.exit(2);
}
// FlexSearch exports its index in one JSON string; past this size it would not fit in one.
const FLEX_MAX_RECORDS = 50000;
const log = (...m) => console.error(`[peers ${new Date().toTimeString().slice(0, 8)}]`, ...m);
fs.mkdirSync(opts.work, { recursive: true });
fs.mkdirSync(opts.out, { recursive: true });
const SITE = path.join(opts.work, "site");

function corpus(name) {
  if (name === "seeds")
    return { name, inputs: ["seeds/needs.jsonl", "seeds/results.jsonl"].map((f) => path.join(ROOT, f)) };
  const cslMap = path.join(ROOT, "seeds/maps/csl.toml");
  if (name === "csl") return { name, inputs: [path.join(CSL, "corpus.jsonl")], maps: [cslMap] };
  if (name === "csl-eval") return { name, inputs: [path.join(CSL, "eval_corpus.jsonl")], maps: [cslMap] };
  const [, kind, n] = name.match(/^(synth|csl)(\d+)$/) ?? [];
  if (!n) throw new Error(`unknown corpus ${name}`);
  if (kind === "synth") return { name, inputs: [synth(Number(n))] };
  // The CSL papers (through their mapping) plus synthetic needs and results up to n records.
  const papers = path.join(CSL, "corpus.jsonl");
  const fill = Number(n) - readJsonl(papers).length;
  if (fill <= 0) throw new Error(`${name}: the CSL corpus alone has more than ${n} records`);
  return { name, inputs: [papers, synth(fill)], maps: [`${papers}=${cslMap}`] };
}

/** bench/synth.py's first `n` records (deterministic), generated once into the work directory. */
function synth(n) {
  const file = path.join(opts.work, `synth${n}.jsonl`);
  if (!fs.existsSync(file))
    execFileSync("python3", [path.join(ROOT, "bench/synth.py"), "--records", String(n), "--out", file], {
      stdio: "inherit",
    });
  return file;
}

const queries = readQueries(path.join(CSL, "queries_keyword.tsv")).slice(0, opts.queries);
const texts = queries.map((q) => q.text);
const rotate = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length]);
const results = saved ?? {
  started: new Date().toISOString(),
  rev: gitRev(),
  loadStart: loadavg(),
  corpora: {},
  quality: null,
  opts: { ...opts, engines: ENGINES, queries: queries.length },
};
if (!saved) await measure();
const speedCorpora = Object.keys(results.corpora).filter((name) => name !== "csl-eval");
/** The engines built and measured on a corpus (techmatch first). */
function ran(name) {
  return ENGINES.filter((e) => results.corpora[name].builds[e]);
}

/** Builds, the browser runs, SBIR: fills `results` and writes OUT/results.json. */
async function measure() {
  // ---- 1. builds --------------------------------------------------------------------------------
  const corpora = [...opts.corpora, ...(opts.quality ? ["csl-eval"] : [])].map(corpus);
  for (const c of corpora) {
    const dir = path.join(SITE, c.name);
    fs.mkdirSync(dir, { recursive: true });
    results.corpora[c.name] = { builds: {}, notRun: {} };
    for (const engine of ENGINES) {
      const records = results.corpora[c.name].records ?? 0;
      if (engine === "flexsearch" && records > FLEX_MAX_RECORDS) {
        results.corpora[c.name].notRun[engine] =
          `its one-file export grows ~7 kB per record (146.8 MB at 20,000), over V8's largest string (~512 MB) at ${records.toLocaleString("en-US")}`;
        log(`${c.name}: flexsearch not run: ${results.corpora[c.name].notRun[engine]}`);
        continue;
      }
      const b = await build(engine, { inputs: c.inputs, maps: c.maps, dir, cli: opts.cli });
      results.corpora[c.name].builds[engine] = b;
      results.corpora[c.name].records = b.records;
      log(
        `${c.name}: ${engine} built ${b.records} records in ${(b.ms / 1000).toFixed(1)} s, ${b.files} files, ${b.raw} B`,
      );
    }
  }
  await closeBuilders();

  // ---- 2. the browser -----------------------------------------------------------------------------
  const resolve = snapshot(SITE);
  const server = await serve(resolve);
  const browser = await launch();
  const bs = await browser.newBrowserCDPSession();
  results.chromium = browser.version();
  try {
    for (const c of corpora.filter((x) => x.name !== "csl-eval")) {
      const r = results.corpora[c.name];
      const engines = ran(c.name);
      preload(resolve, SITE, c.name);
      r.cold = Object.fromEntries(engines.map((e) => [e, []]));
      for (let i = 0; i < opts.coldRuns; i++) {
        for (const engine of rotate(engines, i)) {
          const run = await coldRun(browser, bs, server, {
            engine,
            corpus: c.name,
            queries: texts,
            next: i === 0 ? texts.slice(1, 1 + opts.next) : [],
          });
          r.cold[engine].push(run);
          log(
            `${c.name} cold ${i + 1}/${opts.coldRuns} ${engine}: first results at ${run.marks.rendered.toFixed(0)} ms, ${run.firstBytes} B`,
          );
        }
      }
      // Warm: one page per engine; a warm-up pass, then measured passes, engines in turn.
      const pages = {};
      for (const engine of engines)
        pages[engine] = await warmPage(browser, server, { engine, corpus: c.name, q: texts[0] });
      r.warm = Object.fromEntries(engines.map((e) => [e, { passes: [] }]));
      for (const engine of engines) {
        await timedPass(pages[engine].page, texts);
        await pages[engine].page.evaluate(() => (window.__longtasks.length = 0));
      }
      for (let pass = 0; pass < opts.warmPasses; pass++) {
        for (const engine of rotate(engines, pass)) {
          r.warm[engine].passes.push(await timedPass(pages[engine].page, texts));
          log(
            `${c.name} warm pass ${pass + 1}/${opts.warmPasses} ${engine}: p50 ${median(r.warm[engine].passes.at(-1)).toFixed(2)} ms`,
          );
        }
      }
      for (const engine of engines) {
        r.warm[engine].longest = await longestTask(pages[engine].page);
        r.warm[engine].repeat = await repeatPass(pages[engine].page, texts);
        log(`${c.name} repeated ${engine}: p50 ${median(r.warm[engine].repeat).toFixed(2)} ms`);
        await pages[engine].close();
      }
    }
    if (opts.quality) {
      const ids = ENGINES.includes("pagefind")
        ? JSON.parse(fs.readFileSync(path.join(SITE, "csl-eval/pagefind-ids.json"), "utf8"))
        : {};
      const qrels = parseQrels(fs.readFileSync(path.join(CSL, "qrels_keyword.tsv"), "utf8"));
      const judged = new Map([...qrels].filter(([qid]) => queries.some((q) => q.qid === qid)));
      results.quality = {};
      for (const engine of ENGINES) {
        const page = await warmPage(browser, server, { engine, corpus: "csl-eval", q: texts[0] });
        const ranked = await rankAll(page.page, texts, 100);
        await page.close();
        const runs = new Map(
          queries.map((q, i) => [q.qid, engine === "pagefind" ? ranked[i].map((h) => ids[h]) : ranked[i]]),
        );
        results.quality[engine] = evaluate(runs, judged);
        log(`quality ${engine}: nDCG@10 ${results.quality[engine].ndcg10.toFixed(4)}`);
      }
      // techmatch's own eval on the same bundle, to cross-check the scorer.
      const qfile = path.join(opts.work, "queries.tsv");
      const qrfile = path.join(opts.work, "qrels.tsv");
      fs.writeFileSync(qfile, queries.map((q) => `${q.qid}\t${q.text}\n`).join(""));
      fs.writeFileSync(
        qrfile,
        [...judged].flatMap(([qid, m]) => [...m].map(([d, g]) => `${qid} 0 ${d} ${g}\n`)).join(""),
      );
      const native = execFileSync(
        opts.cli,
        ["eval", path.join(SITE, "csl-eval/techmatch/techmatch.bundle"), "--queries", qfile, "--qrels", qrfile],
        { encoding: "utf8" },
      );
      results.quality.native = native.trim();
    }
  } finally {
    await browser.close();
    server.close();
  }
  if (opts.sbir) results.sbir = sbirReport({ cli: opts.cli, work: opts.work, log });
  results.loadEnd = loadavg();
  fs.writeFileSync(path.join(opts.out, "results.json"), JSON.stringify(results));
}

// ---- 3. report ------------------------------------------------------------------------------------
const out = [];
const p = (s = "") => out.push(s);
const n0 = (x) => (x == null ? "–" : Math.round(x).toLocaleString("en-US"));
const mb = (x) => (x == null ? "–" : x >= 1e6 ? `${(x / 1e6).toFixed(1)} MB` : `${(x / 1e3).toFixed(0)} kB`);
const f2 = (x) => (x == null ? "–" : x.toFixed(2));
const ratio = (a, b) => (a == null || b == null || b === 0 ? "–" : `${(a / b).toFixed(2)}×`);
const version = (pkg) =>
  JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", pkg, "package.json"), "utf8")).version;

/** Per engine and corpus: the figures of the headline table (median over cold runs, best warm pass). */
function figures(name, engine) {
  const r = results.corpora[name];
  const cold = r.cold[engine];
  const passes = r.warm[engine].passes;
  return {
    build: r.builds[engine].ms,
    indexBytes: r.builds[engine].raw,
    firstBytes: median(cold.map((x) => x.firstBytes)),
    firstRequests: median(cold.map((x) => x.firstRequests)),
    rtBytes: median(cold.map((x) => x.rtBytes)),
    nextBytes: cold[0].nextBytes,
    nextRequests: cold[0].nextRequests,
    perQuery: cold[0].perQuery ?? [],
    cold: median(cold.map((x) => x.marks.rendered)),
    coldMin: Math.min(...cold.map((x) => x.marks.rendered)),
    coldMax: Math.max(...cold.map((x) => x.marks.rendered)),
    p50: Math.min(...passes.map((x) => pct(x, 0.5))),
    p95: Math.min(...passes.map((x) => pct(x, 0.95))),
    repeat: r.warm[engine].repeat ?? [],
    heap: median(cold.map((x) => x.mem.heap)),
    pss: median(cold.map((x) => x.mem.rendererPss)),
    loadTask: median(cold.map((x) => Math.max(0, ...x.longtasks))),
    queryTask: r.warm[engine].longest,
  };
}

p("### Machine, browser, versions");
p();
p("| | |");
p("|---|---|");
for (const row of machineRows()) p(row);
p(
  `| Browser | Chromium ${results.chromium}, headless, playwright-core ${version("playwright-core")}, node ${process.version} |`,
);
p(
  `| Engines | techmatch ${results.rev} (WASM in a Web Worker), Pagefind ${version("pagefind")}, MiniSearch ${version("minisearch")}, FlexSearch ${version("flexsearch")} |`,
);
p(`| Load average (1/5/15 min) | start ${results.loadStart}, end ${results.loadEnd} |`);
p(
  `| Run | ${results.started}; ${results.opts.queries} queries, ${opts.coldRuns} cold runs per engine and corpus, ${opts.warmPasses} measured warm passes (after one warm-up pass) |`,
);
p();
p("### Speed and size");
p();
p(
  "Bytes are wire bytes counted by the server (headers included, gzip -9 like a static host; Pagefind's files are gzip at",
);
p(
  "rest and sent as they are). *RT* = Resource Timing `transferSize` summed over the page and its workers (misses module",
);
p(
  `scripts imported by workers). *Next ${opts.next}* = bytes fetched by the ${opts.next} queries after the first. *Cold* = navigation start →`,
);
p(
  "first 10 titles in the DOM, fresh context, cache disabled (median, min–max). *Warm* = one query → top 10 with titles, in the",
);
p(
  "page, sequential (best p50 and best p95 of the passes). *Repeated* = each query asked twice in a row, the second timed. *Heap* = page JS heap + the engine worker's JS heap after the",
);
p(
  "first results (WASM memories and ArrayBuffers not included; *renderer PSS* has everything). *Longest task* = longest",
);
p("main-thread long task (≥ 50 ms; 0 = none) during a cold load (median) and during the warm passes.");
p();
p(
  "| corpus | engine | records | build | index on disk | bytes to first results (requests) | RT | next queries | per new query p50 / p95 | cold ms | warm p50 ms | warm p95 ms | repeated p50 / p95 ms | heap | renderer PSS | longest task load / queries |",
);
p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const name of speedCorpora) {
  for (const engine of ran(name)) {
    const f = figures(name, engine);
    const e = engine === "techmatch" ? "**techmatch**" : engine;
    p(
      `| ${name} | ${e} | ${n0(results.corpora[name].records)} | ${(f.build / 1000).toFixed(1)} s | ${mb(f.indexBytes)} | ${mb(f.firstBytes)} (${f.firstRequests}) | ${mb(f.rtBytes)} | ${mb(f.nextBytes)} (${f.nextRequests}) | ${f.perQuery.length ? `${mb(pct(f.perQuery, 0.5))} / ${mb(pct(f.perQuery, 0.95))}` : "–"} | ${n0(f.cold)} (${n0(f.coldMin)}–${n0(f.coldMax)}) | ${f2(f.p50)} | ${f2(f.p95)} | ${f.repeat.length ? `${f2(pct(f.repeat, 0.5))} / ${f2(pct(f.repeat, 0.95))}` : "–"} | ${mb(f.heap)} | ${mb(f.pss)} | ${n0(f.loadTask)} / ${n0(f.queryTask)} |`,
    );
  }
}
const notRun = speedCorpora.flatMap((name) =>
  Object.entries(results.corpora[name].notRun ?? {}).map(([e, why]) => `${e} on ${name}: ${why}`),
);
if (notRun.length) p(`\nNot run: ${notRun.join("; ")}.`);
p();
p("Ratios techmatch ÷ peer (below 1 is better for techmatch in every column):");
p();
p(
  "| corpus | peer | build | index on disk | bytes to first results | cold | warm p50 | warm p95 | heap | renderer PSS |",
);
p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const name of speedCorpora) {
  const t = figures(name, "techmatch");
  for (const engine of ran(name).slice(1)) {
    const f = figures(name, engine);
    p(
      `| ${name} | ${engine} | ${ratio(t.build, f.build)} | ${ratio(t.indexBytes, f.indexBytes)} | ${ratio(t.firstBytes, f.firstBytes)} | ${ratio(t.cold, f.cold)} | ${ratio(t.p50, f.p50)} | ${ratio(t.p95, f.p95)} | ${ratio(t.heap, f.heap)} | ${ratio(t.pss, f.pss)} |`,
    );
  }
}
p();
if (results.quality) {
  const q = results.quality;
  p(
    `### Quality: CSL keyword benchmark (\`eval_corpus.jsonl\`, ${n0(q.techmatch.queries)} judged queries, top 100 from each engine in Chromium)`,
  );
  p();
  p("| engine | nDCG@10 | MRR@10 | Recall@100 | nDCG@10 ÷ techmatch |");
  p("|---|---:|---:|---:|---:|");
  for (const engine of ENGINES)
    p(
      `| ${engine} | ${q[engine].ndcg10.toFixed(4)} | ${q[engine].mrr10.toFixed(4)} | ${q[engine].recall100.toFixed(4)} | ${ratio(q[engine].ndcg10, q.techmatch.ndcg10)} |`,
    );
  p();
  p(`\`techmatch eval\` (native) on the same bundle and queries: \`${q.native.replace(/\s*\n\s*/g, "; ")}\`.`);
  p();
}
// The targets of issue 5, where each stands.
p("### Targets");
p();
p("| corpus | target | techmatch | reference | met |");
p("|---|---|---:|---:|---|");
for (const name of ENGINES.length > 1 ? speedCorpora : []) {
  const t = figures(name, "techmatch");
  const peers = ran(name)
    .slice(1)
    .map((e) => ({ e, ...figures(name, e) }));
  const best = (k) => peers.reduce((a, b) => (b[k] < a[k] ? b : a));
  const row = (what, mine, ref, refName, ok, fmt) =>
    p(`| ${name} | ${what} | ${fmt(mine)} | ${fmt(ref)} (${refName}) | ${ok ? "yes" : "**no**"} |`);
  const ms2 = (x) => `${f2(x)} ms`;
  row(
    "warm p95 ≤ 0.5 × fastest peer's",
    t.p95,
    0.5 * best("p95").p95,
    `0.5 × ${best("p95").e}`,
    t.p95 <= 0.5 * best("p95").p95,
    ms2,
  );
  row(
    "cold first results ≤ fastest peer's",
    t.cold,
    best("cold").cold,
    best("cold").e,
    t.cold <= best("cold").cold,
    (x) => `${n0(x)} ms`,
  );
  if (!ran(name).includes("pagefind")) continue;
  const pf = figures(name, "pagefind");
  row(
    "bytes to first results ≤ Pagefind's",
    t.firstBytes,
    pf.firstBytes,
    "pagefind",
    t.firstBytes <= pf.firstBytes,
    mb,
  );
}
if (results.quality && ENGINES.length > 1) {
  const q = results.quality;
  const bestPeer = ENGINES.slice(1).reduce((a, b) => (q[b].ndcg10 > q[a].ndcg10 ? b : a));
  const goal = Math.max(1.1 * q[bestPeer].ndcg10, 0.732);
  p(
    `| csl-eval | nDCG@10 ≥ best peer + 10 % and > 0.732 | ${q.techmatch.ndcg10.toFixed(4)} | ${goal.toFixed(4)} (1.1 × ${bestPeer} ${q[bestPeer].ndcg10.toFixed(4)}; 0.732) | ${q.techmatch.ndcg10 >= goal ? "yes" : "**no**"} |`,
  );
}
p();
if (results.sbir) out.push(...results.sbir.markdown);

// ---- 4. plots -----------------------------------------------------------------------------------
for (const name of speedCorpora) {
  // The distribution as 200 quantiles of all measured passes.
  const series = ran(name).map((engine) => {
    const xs = results.corpora[name].warm[engine].passes.flat();
    return {
      name: engine,
      points: Array.from({ length: 200 }, (_, k) => [Math.max(pct(xs, (k + 1) / 200), 0.005), (k + 1) / 200]),
    };
  });
  const svg = lineChart({
    title: `Warm query latency, ${name} (${n0(results.corpora[name].records)} records): share of queries answered within x ms`,
    x: { label: "ms per query (top 10 with titles), log scale", log: true },
    y: { label: "share of queries", min: 0, max: 1 },
    series,
  });
  fs.writeFileSync(path.join(opts.out, `latency-${name}.svg`), svg);
}
if (speedCorpora.length > 1) {
  const series = ENGINES.map((engine) => ({
    name: engine,
    markers: true,
    points: speedCorpora
      .filter((name) => ran(name).includes(engine))
      .map((name) => [results.corpora[name].records, figures(name, engine).firstBytes])
      .sort((a, b) => a[0] - b[0]),
  }));
  fs.writeFileSync(
    path.join(opts.out, "bytes-vs-records.svg"),
    lineChart({
      title: "Bytes to first results vs corpus size",
      x: { label: "records, log scale", log: true },
      y: { label: "wire bytes to first results, log scale", log: true },
      series,
    }),
  );
}
p(
  `Plots: ${fs
    .readdirSync(opts.out)
    .filter((f) => f.endsWith(".svg"))
    .map((f) => `\`${path.relative(ROOT, path.join(opts.out, f))}\``)
    .join(", ")}.`,
);
const errs = speedCorpora.flatMap((name) =>
  ran(name).flatMap((e) => results.corpora[name].cold[e].flatMap((x) => x.errors)),
);
p(`Page errors: ${errs.length ? errs.join("; ") : "none"}.`);
fs.writeFileSync(path.join(opts.out, "report.md"), `${out.join("\n")}\n`);
console.log(out.join("\n"));
