#!/usr/bin/env node
// Browser benchmark of the WASM engine (www/tech-match/engine.js → engine-worker.js → pkg/) in headless
// Chromium on 127.0.0.1: bytes shipped, cold time from navigation to first results, Engine open time,
// warm query latency, JS heap / WASM memory after load, longest main-thread task.
//
//   node bench/browser.mjs --bundle csl=/tmp/csl/techmatch.bundle --bundle synth100k=/tmp/s/techmatch.bundle \
//        --queries ../shared/data/csl/queries_keyword.tsv [--cold-runs 5] [--warm-passes 3] \
//        [--modes identity,gzip,serve] [--loading whole|lazy|auto] [--cli target/release/techmatch] [--json out.json]
//   (--loading: how createEngine fetches the bundle, default whole; lazy loading has its own report in
//   bench/peers, which compares it with the peers)
//
// Markdown on stdout, progress on stderr. bench/browser.sh runs it with freshly built bundles.
// Serves only on 127.0.0.1. Everything the page loads is a snapshot (taken at start) of www/tech-match/engine.js,
// engine-worker.js, pkg/ and bench/browser.html, so a concurrent rebuild of the pkg cannot
// change what is measured.
//
// Delivery modes (each a separate server; one fresh browser context per cold run, HTTP cache disabled):
//   identity  node server in this process, files as they are (like `techmatch serve`), byte counter
//   gzip      node server, every file precompressed with gzip -9 (Content-Encoding: gzip), byte counter
//   serve     `techmatch serve SNAPSHOT --port 0` (the project's own server; no byte counter)
// The node servers send COOP/COEP headers, so the page and the worker are cross-origin isolated and
// performance.now() has 5 µs resolution instead of 100 µs; `techmatch serve` does not.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

import { CHROMIUM, chromiumProcesses, FLAGS, gitRev, loadavg, machineRows, measuredPage, median, nodeServer, pct, pkgFiles, require, ROOT, workerCdp } from "./lib/browser-kit.mjs";

const { chromium } = require("playwright-core");

// ---- arguments --------------------------------------------------------------------------------
const opts = { bundles: [], queries: path.resolve(ROOT, "../shared/data/csl/queries_keyword.tsv"), coldRuns: 5, warmPasses: 3, modes: ["identity", "gzip", "serve"], loading: "whole", cli: path.join(ROOT, "target/release/techmatch"), json: null, www: path.join(ROOT, "www/tech-match"), trace: true };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const next = () => process.argv[++i];
  if (a === "--bundle") {
    const [name, file] = next().split("=");
    opts.bundles.push({ name, file: path.resolve(file) });
  } else if (a === "--queries") opts.queries = path.resolve(next());
  else if (a === "--cold-runs") opts.coldRuns = Number(next());
  else if (a === "--warm-passes") opts.warmPasses = Number(next());
  else if (a === "--modes") opts.modes = next().split(",");
  else if (a === "--loading") opts.loading = next();
  else if (a === "--cli") opts.cli = path.resolve(next());
  else if (a === "--json") opts.json = path.resolve(next());
  else if (a === "--www") opts.www = path.resolve(next());
  else if (a === "--no-trace") opts.trace = false;
  else {
    console.error(`unknown argument ${a}; see the header of ${fileURLToPath(import.meta.url)}`);
    process.exit(2);
  }
}
if (!opts.bundles.length) {
  console.error("give at least one --bundle NAME=PATH");
  process.exit(2);
}
if (!CHROMIUM) {
  console.error("no Chromium found (set CHROMIUM=/path/to/chrome)");
  process.exit(2);
}

const log = (...m) => console.error(`[browser.mjs ${new Date().toTimeString().slice(0, 8)}]`, ...m);
const queries = fs
  .readFileSync(opts.queries, "utf8")
  .split("\n")
  .filter((l) => l.trim())
  .map((l) => l.split("\t")[1]);
const loadStart = loadavg();

// ---- snapshot of what the page loads ------------------------------------------------------------
const SNAP = fs.mkdtempSync(path.join(os.tmpdir(), "techmatch-browser-"));
process.on("exit", () => fs.rmSync(SNAP, { recursive: true, force: true }));
fs.mkdirSync(path.join(SNAP, "pkg"));
fs.mkdirSync(path.join(SNAP, "b"));
const ASSETS = [
  { url: "/", file: "index.html", src: path.join(ROOT, "bench/browser.html"), what: "bench page (bench/browser.html)", type: "text/html; charset=utf-8" },
  { url: "/engine.js", file: "engine.js", src: path.join(opts.www, "engine.js"), what: "`engine.js`", type: "text/javascript; charset=utf-8" },
  { url: "/engine-worker.js", file: "engine-worker.js", src: path.join(opts.www, "engine-worker.js"), what: "`engine-worker.js`", type: "text/javascript; charset=utf-8" },
  { url: "/pkg/techmatch.js", file: "pkg/techmatch.js", src: path.join(opts.www, "pkg/techmatch.js"), what: "`pkg/techmatch.js` (wasm-bindgen glue)", type: "text/javascript; charset=utf-8" },
  { url: "/pkg/techmatch_bg.wasm", file: "pkg/techmatch_bg.wasm", src: path.join(opts.www, "pkg/techmatch_bg.wasm"), what: "`pkg/techmatch_bg.wasm`", type: "application/wasm" },
];
for (const f of pkgFiles(opts.www).filter((f) => !ASSETS.some((a) => a.file === f))) {
  ASSETS.push({ url: `/${f}`, file: f, src: path.join(opts.www, f), what: `\`${f.replace(/snippets\/[^/]+\//, "snippets/…/")}\` (wasm-bindgen snippet)`, type: "text/javascript; charset=utf-8" });
}
for (const a of ASSETS) {
  fs.mkdirSync(path.dirname(path.join(SNAP, a.file)), { recursive: true });
  fs.copyFileSync(a.src, path.join(SNAP, a.file));
  a.raw = fs.readFileSync(path.join(SNAP, a.file));
}
for (const b of opts.bundles) {
  b.url = `/b/${b.name}.bundle`;
  fs.symlinkSync(b.file, path.join(SNAP, "b", `${b.name}.bundle`));
  b.raw = fs.readFileSync(b.file);
}
const gzip = (buf) => zlib.gzipSync(buf, { level: 9 });
for (const a of [...ASSETS, ...opts.bundles]) {
  const t0 = Date.now();
  a.gz = gzip(a.raw);
  if (a.raw.length > 50e6) log(`gzip -9 of ${a.url}: ${a.raw.length} → ${a.gz.length} B in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
const FILES = new Map([...ASSETS, ...opts.bundles.map((b) => ({ ...b, type: "application/octet-stream" }))].map((a) => [a.url, a]));

// ---- servers ------------------------------------------------------------------------------------
/** `techmatch serve SNAPSHOT --port 0`, which prints its URL. */
function techmatchServe() {
  return new Promise((resolve, reject) => {
    const child = spawn(opts.cli, ["serve", SNAP, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.on("error", reject);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+/);
      if (m) resolve({ mode: "serve", origin: m[0], requests: null, reset() {}, close: () => child.kill() });
    });
    child.on("exit", (code) => reject(new Error(`techmatch serve exited with ${code}: ${out}`)));
  });
}

// ---- measurements -------------------------------------------------------------------------------
/** Opens the bench page in a fresh context; resolves when the first results are rendered. */
async function openPage(browser, server, bundle, { cacheDisabled = true } = {}) {
  const { context, page, errors, cdp } = await measuredPage(browser, { cacheDisabled });
  server.reset();
  const workerSeen = page.waitForEvent("worker", { timeout: 600_000 });
  const url = `${server.origin}/?bundle=${encodeURIComponent(bundle.url)}&loading=${opts.loading}&q=${encodeURIComponent(queries[0])}`;
  await page.goto(url, { waitUntil: "commit", timeout: 600_000 });
  await page.waitForFunction(() => window.__bench, null, { timeout: 600_000, polling: 100 });
  const bench = await page.evaluate(() => window.__bench);
  if (!bench.ok) throw new Error(`${bundle.name} (${server.mode}): ${bench.error}`);
  const worker = await workerSeen;
  return { context, page, cdp, worker, bench, errors };
}

/** JS heap of page and worker, WASM memory, renderer memory. */
async function memory(bs, origin, { cdp, worker }) {
  const metrics = Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
  const wasmBytes = await worker.evaluate(async (glue) => (await (await import(glue)).default()).memory.buffer.byteLength, `${origin}/pkg/techmatch.js`);
  const ws = await workerCdp(bs);
  const workerHeap = ws ? await ws.send("Runtime.getHeapUsage") : null;
  await ws?.detach();
  const procs = chromiumProcesses();
  const renderer = procs.filter((p) => p.type === "renderer").sort((a, b) => b.pss - a.pss)[0];
  return {
    pageHeapUsed: metrics.JSHeapUsedSize,
    pageHeapTotal: metrics.JSHeapTotalSize,
    workerHeapUsed: workerHeap?.usedSize,
    workerHeapTotal: workerHeap?.totalSize,
    workerBackingStore: workerHeap?.backingStorageSize,
    wasmBytes,
    rendererPss: renderer?.pss,
    rendererRss: renderer?.rss,
    chromiumPss: procs.reduce((s, p) => s + p.pss, 0),
  };
}

async function collectGarbage(bs, { cdp }) {
  await cdp.send("HeapProfiler.collectGarbage");
  const ws = await workerCdp(bs);
  await ws?.send("HeapProfiler.collectGarbage");
  await ws?.detach();
}

async function coldRun(browser, bs, server, bundle) {
  const opened = await openPage(browser, server, bundle);
  const { page, worker, bench } = opened;
  const pageSide = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    return {
      timeOrigin: performance.timeOrigin,
      isolated: crossOriginIsolated,
      nav: { responseEnd: nav.responseEnd, transferSize: nav.transferSize, domContentLoaded: nav.domContentLoadedEventEnd },
      resources: performance.getEntriesByType("resource").map((e) => ({ name: new URL(e.name).pathname, start: e.startTime, end: e.responseEnd, transferSize: e.transferSize, encoded: e.encodedBodySize, decoded: e.decodedBodySize })),
      longtasks: window.__longtasks,
      longtaskError: window.__longtaskError,
      cjkReady: window.__cjkReady,
    };
  });
  const workerSide = await worker.evaluate(() => ({
    timeOrigin: performance.timeOrigin,
    isolated: crossOriginIsolated,
    resources: performance.getEntriesByType("resource").map((e) => ({ name: new URL(e.name).pathname, start: e.startTime, end: e.responseEnd, transferSize: e.transferSize, encoded: e.encodedBodySize, decoded: e.decodedBodySize })),
  }));
  const shift = workerSide.timeOrigin - pageSide.timeOrigin; // worker time + shift = page time
  for (const r of workerSide.resources) {
    r.start += shift;
    r.end += shift;
  }
  const mem = await memory(bs, server.origin, opened);
  await collectGarbage(bs, opened);
  const memGc = await memory(bs, server.origin, opened);
  const requests = server.requests ? [...server.requests] : null;
  await opened.context.close();
  return { bench, page: pageSide, worker: workerSide, workerStart: shift, mem, memGc, requests, errors: opened.errors };
}

async function warmRun(browser, bs, server, bundle) {
  const opened = await openPage(browser, server, bundle);
  const { page } = opened;
  const passes = [];
  for (let p = 0; p <= opts.warmPasses; p++) {
    const t0 = Date.now();
    const pass = await page.evaluate(async (queries) => {
      const rt = [];
      const took = [];
      let zero = 0;
      const start = performance.now();
      for (const q of queries) {
        const s = performance.now();
        const r = await window.engine.search({ q, size: 10 });
        rt.push(performance.now() - s);
        took.push(r.tookMs);
        if (!r.total) zero++;
      }
      return { rt, took, zero, wall: performance.now() - start };
    }, queries);
    passes.push(pass);
    log(`  ${bundle.name}: ${p === 0 ? "warm-up pass" : `pass ${p}/${opts.warmPasses}`} in ${((Date.now() - t0) / 1000).toFixed(1)} s: round trip p50 ${median(pass.rt).toFixed(2)} ms p95 ${pct(pass.rt, 0.95).toFixed(2)} ms`);
  }
  const mem = await memory(bs, server.origin, opened);
  await collectGarbage(bs, opened);
  const memGc = await memory(bs, server.origin, opened);
  const after = await page.evaluate(() => ({ longtasks: window.__longtasks.filter((t) => !(t.start < window.__cjkReady)), isolated: crossOriginIsolated }));
  await opened.context.close();
  return { bench: opened.bench, passes, mem, memGc, longtasks: after.longtasks, isolated: after.isolated, errors: opened.errors };
}

/** Load + one pass of all queries under Chrome tracing: every main-thread and worker task, not only ≥ 50 ms. */
async function traceRun(browser, server, bundle) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await browser.startTracing(page, { categories: ["toplevel", "devtools.timeline", "v8.execute"] });
  await page.goto(`${server.origin}/?bundle=${encodeURIComponent(bundle.url)}&loading=${opts.loading}&q=${encodeURIComponent(queries[0])}`, { waitUntil: "commit" });
  await page.waitForFunction(() => window.__bench, null, { timeout: 600_000, polling: 100 });
  await page.evaluate(async (queries) => {
    for (const q of queries) await window.engine.search({ q, size: 10 });
  }, queries);
  const raw = await browser.stopTracing();
  if (process.env.BENCH_TRACE_DIR) fs.writeFileSync(path.join(process.env.BENCH_TRACE_DIR, `${bundle.name}.trace.json`), raw);
  const trace = JSON.parse(raw.toString("utf8"));
  await context.close();
  const events = trace.traceEvents ?? trace;
  const threads = new Map(); // "pid:tid" → name
  for (const e of events) if (e.ph === "M" && e.name === "thread_name") threads.set(`${e.pid}:${e.tid}`, e.args.name);
  const workerKey = [...threads].find(([, n]) => /DedicatedWorker/.test(n))?.[0];
  const pid = workerKey?.split(":")[0];
  const mainKey = [...threads].find(([k, n]) => n === "CrRendererMain" && k.startsWith(`${pid}:`))?.[0];
  const navStart = events.find((e) => `${e.pid}:${e.tid}` === mainKey && e.name === "CommitLoad")?.ts ?? 0;
  const tasks = (key) => {
    const on = events.filter((e) => `${e.pid}:${e.tid}` === key && e.ph === "X" && e.dur);
    const top = on.filter((e) => e.cat === "toplevel" && /RunTask/.test(e.name)).sort((a, b) => b.dur - a.dur);
    // What the 5 longest spent their time in: the longest event nested in them (not a task wrapper).
    const label = (t) => {
      const inner = on.filter((e) => e !== t && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur && !/RunTask|PerformMicrotaskCheckpoint/.test(e.name)).sort((a, b) => b.dur - a.dur)[0];
      const what = inner ? (inner.name === "Receive mojo message" ? `mojo ${inner.args?.chrome_mojo_event_info?.mojo_interface_tag ?? ""}`.trim() : inner.name) : "?";
      return { ms: t.dur / 1000, at: (t.ts - navStart) / 1000, what };
    };
    return { count: top.length, top: top.slice(0, 5).map(label), over50: top.filter((t) => t.dur >= 50_000).length };
  };
  return { main: tasks(mainKey), worker: tasks(workerKey) };
}

// ---- run ----------------------------------------------------------------------------------------
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
const bs = await browser.newBrowserCDPSession();
const servers = [];
for (const mode of opts.modes) servers.push(mode === "serve" ? await techmatchServe() : await nodeServer((p) => FILES.get(p), mode));
const results = { bundles: {}, chromium: browser.version() };
try {
  for (const bundle of opts.bundles) {
    const r = (results.bundles[bundle.name] = { cold: {}, raw: bundle.raw.length, gz: bundle.gz.length });
    for (const server of servers) {
      r.cold[server.mode] = [];
      for (let i = 0; i < opts.coldRuns; i++) {
        const run = await coldRun(browser, bs, server, bundle);
        r.cold[server.mode].push(run);
        log(`${bundle.name} cold ${server.mode} ${i + 1}/${opts.coldRuns}: first results at ${run.bench.marks.results.toFixed(0)} ms (download ${run.bench.info.downloadMs.toFixed(0)} ms, Engine.load ${run.bench.info.openMs.toFixed(0)} ms)`);
      }
    }
    log(`${bundle.name}: warm queries (${queries.length} queries, 1 warm-up + ${opts.warmPasses} passes)`);
    r.warm = await warmRun(browser, bs, servers[0], bundle);
    if (opts.trace) {
      log(`${bundle.name}: traced load + ${queries.length} queries`);
      r.trace = await traceRun(browser, servers[0], bundle);
    }
  }
} finally {
  await browser.close();
  for (const s of servers) s.close();
}
results.loadStart = loadStart;
results.loadEnd = loadavg();
if (opts.json) fs.writeFileSync(opts.json, JSON.stringify(results));

// ---- report -------------------------------------------------------------------------------------
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
p(`| Browser | Chromium ${results.chromium} (${CHROMIUM}), headless, driven by playwright-core ${require("playwright-core/package.json").version} from node ${process.version} |`);
p(`| Chromium flags | \`${FLAGS.join(" ")}\` (plus playwright's defaults) |`);
p(`| techmatch | ${rev} |`);
p(`| Load average (1/5/15 min) | start ${results.loadStart}, end ${results.loadEnd} |`);
p();

// Bytes shipped.
const firstIdentity = (name) => results.bundles[name].cold.identity?.[0];
const firstGzip = (name) => results.bundles[name].cold.gzip?.[0];
const wireOf = (run, url) => run?.requests?.filter((q) => q.path === url).reduce((s, q) => s + q.wire, 0);
const rtOf = (run, url) => [...(run?.page.resources ?? []), ...(run?.worker.resources ?? [])].find((e) => e.name === url)?.transferSize;
const any = opts.bundles[0].name;
p("### Bytes shipped");
p();
p("Raw and gzip -9 sizes computed with node zlib. *Wire* = bytes the byte-counting server wrote to the socket for the");
p("response (headers included) in a cold run, identity and gzip delivery. *Resource Timing* = `transferSize` seen by the");
p("page and the worker (identity); module scripts imported by the worker (`engine-worker.js`, `techmatch.js`) do not");
p("appear in Resource Timing.");
p();
p("| file | raw | gzip -9 | wire, identity | wire, gzip | Resource Timing |");
p("|---|---:|---:|---:|---:|---:|");
for (const a of ASSETS) {
  p(`| ${a.what} | ${n0(a.raw.length)} B | ${n0(a.gz.length)} B | ${n0(wireOf(firstIdentity(any), a.url))} B | ${n0(wireOf(firstGzip(any), a.url))} B | ${a.url === "/" ? "–" : `${n0(rtOf(firstIdentity(any), a.url))} B`} |`);
}
const codeRaw = ASSETS.reduce((s, a) => s + a.raw.length, 0);
const codeGz = ASSETS.reduce((s, a) => s + a.gz.length, 0);
p(`| **code total** (page + JS + wasm) | ${n0(codeRaw)} B | ${n0(codeGz)} B | | | |`);
for (const b of opts.bundles) {
  p(`| bundle \`${b.name}\` | ${n0(b.raw.length)} B | ${n0(b.gz.length)} B (${((100 * b.gz.length) / b.raw.length).toFixed(0)} %) | ${n0(wireOf(firstIdentity(b.name), b.url))} B | ${n0(wireOf(firstGzip(b.name), b.url))} B | ${n0(rtOf(firstIdentity(b.name), b.url))} B |`);
}
for (const b of opts.bundles) {
  const all = (run) => run?.requests?.reduce((s, q) => s + q.wire, 0);
  const reqs = firstIdentity(b.name)?.requests?.map((q) => `${q.path === "/" ? "/" : path.basename(q.path)}${q.status === 200 ? "" : ` ${q.status}`}`).join(", ");
  p(`| **total to first results, \`${b.name}\`** | ${mb(codeRaw + b.raw.length)} | ${mb(codeGz + b.gz.length)} | ${mb(all(firstIdentity(b.name)))} | ${mb(all(firstGzip(b.name)))} | |`);
  if (reqs) results.bundles[b.name].requestList = reqs;
}
p();
for (const b of opts.bundles) if (results.bundles[b.name].requestList) p(`Requests of a cold load (\`${b.name}\`, identity): ${results.bundles[b.name].requestList}.`);
p();

// Cold load.
p(`### Cold load: navigation start → first results (${opts.coldRuns} runs each; median (min–max), ms)`);
p();
p("Each run: a fresh browser context (empty HTTP cache, no compiled-wasm cache) with the cache disabled over CDP,");
p(`\`page.goto(/?bundle=…&q=${queries[0]})\`; times are \`performance.now()\` in the page (0 = navigation start). *ready* = \`createEngine\``);
p("resolved; *first results* = the first `engine.search({q, size: 10})` resolved and its titles are in the DOM.");
p("*first search* = its promise round trip, the WASM call in the worker (`tookMs`), and the forced layout of its titles.");
p("*download* and *Engine.load* are `engine.info` from the worker (download waits for the wasm compile too: they run in");
p("parallel); *bundle fetch* = Resource Timing of the bundle in the worker, request start → last byte.");
p();
p("| bundle | delivery | first results | ready | worker started | wasm fetched | bundle fetch | download | Engine.load | first search: round trip | in worker | results layout |");
p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const b of opts.bundles) {
  for (const [mode, runs] of Object.entries(results.bundles[b.name].cold)) {
    const col = (f) => range(runs.map(f).filter((x) => x != null));
    const wres = (run, url) => run.worker.resources.find((e) => e.name === url);
    const label = { identity: "node, identity", gzip: "node, gzip", serve: "`techmatch serve`" }[mode];
    p(
      `| ${b.name} | ${label} | **${col((r) => r.bench.marks.rendered)}** | ${col((r) => r.bench.marks.ready)} | ${col((r) => r.workerStart)} | ${col((r) => wres(r, "/pkg/techmatch_bg.wasm")?.end)} | ${col((r) => {
        const e = wres(r, b.url);
        return e && e.end - e.start;
      })} | ${col((r) => r.bench.info.downloadMs)} | ${col((r) => r.bench.info.openMs)} | ${col((r) => r.bench.marks.results - r.bench.marks.ready)} | ${col((r) => r.bench.first.tookMs)} | ${col((r) => r.bench.marks.rendered - r.bench.marks.inserted)} |`,
    );
  }
}
p();

// Warm latency.
p(`### Warm query latency (${n0(queries.length)} CSL keyword queries, \`engine.search({q, size: 10})\`, sequential)`);
p();
p(`After a cold load (node server, identity): one warm-up pass, then ${opts.warmPasses} measured passes. *Round trip* = the`);
p("promise in the page (postMessage → worker → structured clone back); *in worker* = `tookMs` (the WASM call only).");
p("Each pass is listed; the best p50 and best p95 are in bold.");
p();
p("| bundle | pass | round trip p50 | p95 | p99 | max | in worker p50 | p95 | p99 | pass wall time | queries with 0 hits |");
p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const b of opts.bundles) {
  const passes = results.bundles[b.name].warm.passes.slice(1);
  const best = (f, q) => Math.min(...passes.map((x) => pct(x[f], q)));
  passes.forEach((x, i) => {
    const cell = (f, q) => {
      const v = pct(x[f], q);
      return v === best(f, q) && q !== 0.99 ? `**${v.toFixed(2)}**` : v.toFixed(2);
    };
    p(`| ${b.name} | ${i + 1} | ${cell("rt", 0.5)} | ${cell("rt", 0.95)} | ${cell("rt", 0.99)} | ${Math.max(...x.rt).toFixed(1)} | ${cell("took", 0.5)} | ${cell("took", 0.95)} | ${cell("took", 0.99)} | ${(x.wall / 1000).toFixed(2)} s | ${x.zero} |`);
  });
}
p();

// Memory.
p("### Memory after load");
p();
p("After the first results of each cold run (median over the identity runs), and after the warm passes. JS heap of the");
p("page from CDP `Performance.getMetrics` (JSHeapUsedSize); of the worker from CDP `Runtime.getHeapUsage` on the worker");
p("target; *worker ArrayBuffers* = its `backingStorageSize` (the WASM memory plus downloaded bytes not yet collected);");
p("*WASM memory* = `memory.buffer.byteLength` of the engine's instance; *renderer PSS* = the renderer process");
p("(page + worker) from `/proc/PID/smaps_rollup`; *all Chromium* = PSS summed over every Chromium process.");
p();
p("| bundle | when | page JS heap | worker JS heap | worker ArrayBuffers | WASM memory | renderer PSS | all Chromium PSS |");
p("|---|---|---:|---:|---:|---:|---:|---:|");
for (const b of opts.bundles) {
  const r = results.bundles[b.name];
  const runs = r.cold.identity ?? Object.values(r.cold)[0];
  const row = (when, get) => {
    const m = (f) => median(runs.map((x) => get(x)[f]).filter((v) => v != null));
    p(`| ${b.name} | ${when} | ${mb(m("pageHeapUsed"))} | ${mb(m("workerHeapUsed"))} | ${mb(m("workerBackingStore"))} | ${mb(m("wasmBytes"))} | ${mb(m("rendererPss"))} | ${mb(m("chromiumPss"))} |`);
  };
  row("after load + first search", (x) => x.mem);
  row("same, after a forced GC", (x) => x.memGc);
  for (const [when, w] of [[`after ${opts.warmPasses + 1} × ${n0(queries.length)} queries`, r.warm.mem], ["same, after a forced GC", r.warm.memGc]]) {
    p(`| ${b.name} | ${when} | ${mb(w.pageHeapUsed)} | ${mb(w.workerHeapUsed)} | ${mb(w.workerBackingStore)} | ${mb(w.wasmBytes)} | ${mb(w.rendererPss)} | ${mb(w.chromiumPss)} |`);
  }
}
p();

// Main thread.
p("### Main thread");
p();
p("*Long tasks* = `PerformanceObserver({type: 'longtask', buffered: true})` registered in the page's first script (tasks");
p("≥ 50 ms), over every cold run (navigation → first results) and over the warm run (load + all passes). *Traced* =");
p(`one more load + ${n0(queries.length)} queries under Chrome tracing (category \`toplevel\`): the longest task of the page's`);
p("main thread and of the engine worker, whatever their length (tracing slows things a little). The page lays out a");
p("line of Chinese before it starts the engine: the first CJK layout loads the system's Chinese font, a long task any page");
p("showing Chinese pays once; it is counted apart (*CJK font warm-up*), and the cold-run columns count what follows.");
p();
p("| bundle | CJK font warm-up, cold runs | long tasks, cold runs | long tasks, warm run | traced: main-thread tasks | longest main-thread task | 5 longest main-thread tasks (what, ms after commit) | longest worker tasks |");
p("|---|---:|---:|---:|---:|---:|---|---|");
for (const b of opts.bundles) {
  const r = results.bundles[b.name];
  const runs = Object.values(r.cold).flat();
  const warmup = runs.flatMap((x) => x.page.longtasks.filter((t) => t.start < x.page.cjkReady));
  const coldLt = runs.flatMap((x) => x.page.longtasks.filter((t) => !(t.start < x.page.cjkReady)));
  const fmt = (lt) => (lt.length ? `${lt.length}, longest ${Math.max(...lt.map((t) => t.duration)).toFixed(0)} ms` : "none");
  const t = r.trace;
  const top = (list, n) => list.slice(0, n).map((x) => `${x.ms.toFixed(1)} (${x.what}, ${x.at.toFixed(0)})`).join("; ");
  p(`| ${b.name} | ${fmt(warmup)} | ${fmt(coldLt)} | ${fmt(r.warm.longtasks)} | ${t ? n0(t.main.count) : "–"} | ${t ? `**${t.main.top[0].ms.toFixed(1)} ms**` : "–"} | ${t ? top(t.main.top, 5) : "–"} | ${t ? top(t.worker.top, 3) : "–"} |`);
}
p();
const errs = Object.values(results.bundles).flatMap((r) => [...Object.values(r.cold).flat().flatMap((x) => x.errors), ...r.warm.errors]);
const isolated = Object.values(results.bundles).flatMap((r) => Object.entries(r.cold).map(([m, runs]) => `${m}: page ${runs[0].page.isolated}, worker ${runs[0].worker.isolated}`));
p(`Cross-origin isolated (timer resolution 5 µs when true, 100 µs otherwise): ${[...new Set(isolated)].join("; ")}.`);
p(`Page errors: ${errs.length ? errs.join("; ") : "none"}.`);
console.log(out.join("\n"));
