// The Markdown report of bench/browser.mjs: machine and browser, bytes shipped, cold and warm times, memory and
// long tasks, from the results that script measured.
import path from "node:path";

import { CHROMIUM, FLAGS, gitRev, machineRows, median, pct, require } from "./browser-kit.mjs";

/** The report on `results` as bench/browser.mjs measured them with `opts` over `queries`, shipping `assets`
 *  (the page's files, raw and gzipped). */
export function report(results, opts, queries, assets) {
  const n0 = (x) => (x == null ? "–" : Math.round(x).toLocaleString("en-US"));
  const ms = (x, d = 0) => (x == null ? "–" : `${x.toFixed(d)}`);
  const mb = (x) => (x == null ? "–" : `${(x / 1e6).toFixed(1)} MB`);
  const kb = (x) => (x == null ? "–" : x >= 1e6 ? mb(x) : `${(x / 1e3).toFixed(1)} kB`);
  const range = (xs, d = 0) => `${ms(median(xs), d)} (${ms(Math.min(...xs), d)}–${ms(Math.max(...xs), d)})`;
  const out = [];
  const p = (s = "") => out.push(s);

  const rev = gitRev();
  p("### Machine and browser");
  p();
  p("| | |");
  p("|---|---|");
  for (const row of machineRows()) p(row);
  p(
    `| Browser | Chromium ${results.chromium} (${CHROMIUM}), headless, driven by playwright-core ${require("playwright-core/package.json").version} from node ${process.version} |`,
  );
  p(`| Chromium flags | \`${FLAGS.join(" ")}\` (plus playwright's defaults) |`);
  p(`| techmatch | ${rev} |`);
  p(`| Load average (1/5/15 min) | start ${results.loadStart}, end ${results.loadEnd} |`);
  p();

  // Bytes shipped.
  const firstIdentity = (name) => results.bundles[name].cold.identity?.[0];
  const firstGzip = (name) => results.bundles[name].cold.gzip?.[0];
  const wireOf = (run, url) => run?.requests?.filter((q) => q.path === url).reduce((s, q) => s + q.wire, 0);
  const rtOf = (run, url) =>
    [...(run?.page.resources ?? []), ...(run?.worker.resources ?? [])].find((e) => e.name === url)?.transferSize;
  const any = opts.bundles[0].name;
  p("### Bytes shipped");
  p();
  p(
    "Raw and gzip -9 sizes computed with node zlib. *Wire* = bytes the byte-counting server wrote to the socket for the",
  );
  p(
    "response (headers included) in a cold run, identity and gzip delivery. *Resource Timing* = `transferSize` seen by the",
  );
  p(
    "page and the worker (identity); module scripts imported by the worker (`engine-worker.js`, `techmatch.js`) do not",
  );
  p("appear in Resource Timing.");
  p();
  p("| file | raw | gzip -9 | wire, identity | wire, gzip | Resource Timing |");
  p("|---|---:|---:|---:|---:|---:|");
  for (const a of assets) {
    p(
      `| ${a.what} | ${n0(a.raw.length)} B | ${n0(a.gz.length)} B | ${n0(wireOf(firstIdentity(any), a.url))} B | ${n0(wireOf(firstGzip(any), a.url))} B | ${a.url === "/" ? "–" : `${n0(rtOf(firstIdentity(any), a.url))} B`} |`,
    );
  }
  const codeRaw = assets.reduce((s, a) => s + a.raw.length, 0);
  const codeGz = assets.reduce((s, a) => s + a.gz.length, 0);
  p(`| **code total** (page + JS + wasm) | ${n0(codeRaw)} B | ${n0(codeGz)} B | | | |`);
  for (const b of opts.bundles) {
    p(
      `| bundle \`${b.name}\` | ${n0(b.raw.length)} B | ${n0(b.gz.length)} B (${((100 * b.gz.length) / b.raw.length).toFixed(0)} %) | ${n0(wireOf(firstIdentity(b.name), b.url))} B | ${n0(wireOf(firstGzip(b.name), b.url))} B | ${n0(rtOf(firstIdentity(b.name), b.url))} B |`,
    );
  }
  for (const b of opts.bundles) {
    const all = (run) => run?.requests?.reduce((s, q) => s + q.wire, 0);
    const reqs = firstIdentity(b.name)
      ?.requests?.map((q) => `${q.path === "/" ? "/" : path.basename(q.path)}${q.status === 200 ? "" : ` ${q.status}`}`)
      .join(", ");
    p(
      `| **total to first results, \`${b.name}\`** | ${mb(codeRaw + b.raw.length)} | ${mb(codeGz + b.gz.length)} | ${mb(all(firstIdentity(b.name)))} | ${mb(all(firstGzip(b.name)))} | |`,
    );
    if (reqs) results.bundles[b.name].requestList = reqs;
  }
  p();
  for (const b of opts.bundles)
    if (results.bundles[b.name].requestList)
      p(`Requests of a cold load (\`${b.name}\`, identity): ${results.bundles[b.name].requestList}.`);
  p();

  // Cold load.
  p(`### Cold load: navigation start → first results (${opts.coldRuns} runs each; median (min–max), ms)`);
  p();
  p("Each run: a fresh browser context (empty HTTP cache, no compiled-wasm cache) with the cache disabled over CDP,");
  p(
    `\`page.goto(/?bundle=…&q=${queries[0]})\`; times are \`performance.now()\` in the page (0 = navigation start). *ready* = \`createEngine\``,
  );
  p("resolved; *first results* = the first `engine.search({q, size: 10})` resolved and its titles are in the DOM.");
  p(
    "*first search* = its promise round trip, the WASM call in the worker (`tookMs`), and the forced layout of its titles.",
  );
  p(
    "*download* and *Engine.load* are `engine.info` from the worker (download waits for the wasm compile too: they run in",
  );
  p("parallel); *bundle fetch* = Resource Timing of the bundle in the worker, request start → last byte.");
  p();
  p(
    "| bundle | delivery | first results | ready | worker started | wasm fetched | bundle fetch | download | Engine.load | first search: round trip | in worker | results layout |",
  );
  p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const b of opts.bundles) {
    for (const [mode, runs] of Object.entries(results.bundles[b.name].cold)) {
      const col = (f) => range(runs.map(f).filter((x) => x != null));
      const wres = (run, url) => run.worker.resources.find((e) => e.name === url);
      const label = { identity: "node, identity", gzip: "node, gzip", serve: "`techmatch serve`" }[mode];
      p(
        `| ${b.name} | ${label} | **${col((r) => r.bench.marks.rendered)}** | ${col((r) => r.bench.marks.ready)} | ${col((r) => r.workerStart)} | ${col((r) => wres(r, "/pkg/techmatch_bg.wasm")?.end)} | ${col(
          (r) => {
            const e = wres(r, b.url);
            return e && e.end - e.start;
          },
        )} | ${col((r) => r.bench.info.downloadMs)} | ${col((r) => r.bench.info.openMs)} | ${col((r) => r.bench.marks.results - r.bench.marks.ready)} | ${col((r) => r.bench.first.tookMs)} | ${col((r) => r.bench.marks.rendered - r.bench.marks.inserted)} |`,
      );
    }
  }
  p();

  // Warm latency.
  p(`### Warm query latency (${n0(queries.length)} CSL keyword queries, \`engine.search({q, size: 10})\`, sequential)`);
  p();
  p(
    `After a cold load (node server, identity): one warm-up pass, then ${opts.warmPasses} measured passes. *Round trip* = the`,
  );
  p("promise in the page (postMessage → worker → structured clone back); *in worker* = `tookMs` (the WASM call only).");
  p("Each pass is listed; the best p50 and best p95 are in bold.");
  p();
  p(
    "| bundle | pass | round trip p50 | p95 | p99 | max | in worker p50 | p95 | p99 | pass wall time | queries with 0 hits |",
  );
  p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const b of opts.bundles) {
    const passes = results.bundles[b.name].warm.passes.slice(1);
    const best = (f, q) => Math.min(...passes.map((x) => pct(x[f], q)));
    passes.forEach((x, i) => {
      const cell = (f, q) => {
        const v = pct(x[f], q);
        return v === best(f, q) && q !== 0.99 ? `**${v.toFixed(2)}**` : v.toFixed(2);
      };
      p(
        `| ${b.name} | ${i + 1} | ${cell("rt", 0.5)} | ${cell("rt", 0.95)} | ${cell("rt", 0.99)} | ${Math.max(...x.rt).toFixed(1)} | ${cell("took", 0.5)} | ${cell("took", 0.95)} | ${cell("took", 0.99)} | ${(x.wall / 1000).toFixed(2)} s | ${x.zero} |`,
      );
    });
  }
  p();

  // Memory.
  p("### Memory after load");
  p();
  p(
    "After the first results of each cold run (median over the identity runs), and after the warm passes. JS heap of the",
  );
  p(
    "page from CDP `Performance.getMetrics` (JSHeapUsedSize); of the worker from CDP `Runtime.getHeapUsage` on the worker",
  );
  p(
    "target; *worker ArrayBuffers* = its `backingStorageSize` (the WASM memory plus downloaded bytes not yet collected);",
  );
  p("*WASM memory* = `memory.buffer.byteLength` of the engine's instance; *renderer PSS* = the renderer process");
  p("(page + worker) from `/proc/PID/smaps_rollup`; *all Chromium* = PSS summed over every Chromium process.");
  p();
  p(
    "| bundle | when | page JS heap | worker JS heap | worker ArrayBuffers | WASM memory | renderer PSS | all Chromium PSS |",
  );
  p("|---|---|---:|---:|---:|---:|---:|---:|");
  for (const b of opts.bundles) {
    const r = results.bundles[b.name];
    const runs = r.cold.identity ?? Object.values(r.cold)[0];
    const row = (when, get) => {
      const m = (f) => median(runs.map((x) => get(x)[f]).filter((v) => v != null));
      p(
        `| ${b.name} | ${when} | ${mb(m("pageHeapUsed"))} | ${mb(m("workerHeapUsed"))} | ${mb(m("workerBackingStore"))} | ${mb(m("wasmBytes"))} | ${mb(m("rendererPss"))} | ${mb(m("chromiumPss"))} |`,
      );
    };
    row("after load + first search", (x) => x.mem);
    row("same, after a forced GC", (x) => x.memGc);
    for (const [when, w] of [
      [`after ${opts.warmPasses + 1} × ${n0(queries.length)} queries`, r.warm.mem],
      ["same, after a forced GC", r.warm.memGc],
    ]) {
      p(
        `| ${b.name} | ${when} | ${mb(w.pageHeapUsed)} | ${mb(w.workerHeapUsed)} | ${mb(w.workerBackingStore)} | ${mb(w.wasmBytes)} | ${mb(w.rendererPss)} | ${mb(w.chromiumPss)} |`,
      );
    }
  }
  p();

  // Main thread.
  p("### Main thread");
  p();
  p(
    "*Long tasks* = `PerformanceObserver({type: 'longtask', buffered: true})` registered in the page's first script (tasks",
  );
  p("≥ 50 ms), over every cold run (navigation → first results) and over the warm run (load + all passes). *Traced* =");
  p(
    `one more load + ${n0(queries.length)} queries under Chrome tracing (category \`toplevel\`): the longest task of the page's`,
  );
  p("main thread and of the engine worker, whatever their length (tracing slows things a little). The page lays out a");
  p(
    "line of Chinese before it starts the engine: the first CJK layout loads the system's Chinese font, a long task any page",
  );
  p(
    "showing Chinese pays once; it is counted apart (*CJK font warm-up*), and the cold-run columns count what follows.",
  );
  p();
  p(
    "| bundle | CJK font warm-up, cold runs | long tasks, cold runs | long tasks, warm run | traced: main-thread tasks | longest main-thread task | 5 longest main-thread tasks (what, ms after commit) | longest worker tasks |",
  );
  p("|---|---:|---:|---:|---:|---:|---|---|");
  for (const b of opts.bundles) {
    const r = results.bundles[b.name];
    const runs = Object.values(r.cold).flat();
    const warmup = runs.flatMap((x) => x.page.longtasks.filter((t) => t.start < x.page.cjkReady));
    const coldLt = runs.flatMap((x) => x.page.longtasks.filter((t) => !(t.start < x.page.cjkReady)));
    const fmt = (lt) =>
      lt.length ? `${lt.length}, longest ${Math.max(...lt.map((t) => t.duration)).toFixed(0)} ms` : "none";
    const t = r.trace;
    const top = (list, n) =>
      list
        .slice(0, n)
        .map((x) => `${x.ms.toFixed(1)} (${x.what}, ${x.at.toFixed(0)})`)
        .join("; ");
    p(
      `| ${b.name} | ${fmt(warmup)} | ${fmt(coldLt)} | ${fmt(r.warm.longtasks)} | ${t ? n0(t.main.count) : "–"} | ${t ? `**${t.main.top[0].ms.toFixed(1)} ms**` : "–"} | ${t ? top(t.main.top, 5) : "–"} | ${t ? top(t.worker.top, 3) : "–"} |`,
    );
  }
  p();
  const errs = Object.values(results.bundles).flatMap((r) => [
    ...Object.values(r.cold)
      .flat()
      .flatMap((x) => x.errors),
    ...r.warm.errors,
  ]);
  const isolated = Object.values(results.bundles).flatMap((r) =>
    Object.entries(r.cold).map(([m, runs]) => `${m}: page ${runs[0].page.isolated}, worker ${runs[0].worker.isolated}`),
  );
  p(`Cross-origin isolated (timer resolution 5 µs when true, 100 µs otherwise): ${[...new Set(isolated)].join("; ")}.`);
  p(`Page errors: ${errs.length ? errs.join("; ") : "none"}.`);
  return out.join("\n");
}
