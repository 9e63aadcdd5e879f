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

import {
  CHROMIUM,
  chromiumProcesses,
  FLAGS,
  loadavg,
  measuredPage,
  median,
  nodeServer,
  pct,
  pkgFiles,
  require,
  ROOT,
  workerCdp,
} from "./lib/browser-kit.mjs";
import { report } from "./lib/browser-report.mjs";

const { chromium } = require("playwright-core");

// ---- arguments --------------------------------------------------------------------------------
const opts = {
  bundles: [],
  queries: path.resolve(ROOT, "../shared/data/csl/queries_keyword.tsv"),
  coldRuns: 5,
  warmPasses: 3,
  modes: ["identity", "gzip", "serve"],
  loading: "whole",
  cli: path.join(ROOT, "target/release/techmatch"),
  json: null,
  www: path.join(ROOT, "www/tech-match"),
  trace: true,
};
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
  {
    url: "/",
    file: "index.html",
    src: path.join(ROOT, "bench/browser.html"),
    what: "bench page (bench/browser.html)",
    type: "text/html; charset=utf-8",
  },
  {
    url: "/engine.js",
    file: "engine.js",
    src: path.join(opts.www, "engine.js"),
    what: "`engine.js`",
    type: "text/javascript; charset=utf-8",
  },
  {
    url: "/engine-worker.js",
    file: "engine-worker.js",
    src: path.join(opts.www, "engine-worker.js"),
    what: "`engine-worker.js`",
    type: "text/javascript; charset=utf-8",
  },
  {
    url: "/pkg/techmatch.js",
    file: "pkg/techmatch.js",
    src: path.join(opts.www, "pkg/techmatch.js"),
    what: "`pkg/techmatch.js` (wasm-bindgen glue)",
    type: "text/javascript; charset=utf-8",
  },
  {
    url: "/pkg/techmatch_bg.wasm",
    file: "pkg/techmatch_bg.wasm",
    src: path.join(opts.www, "pkg/techmatch_bg.wasm"),
    what: "`pkg/techmatch_bg.wasm`",
    type: "application/wasm",
  },
];
for (const f of pkgFiles(opts.www).filter((f) => !ASSETS.some((a) => a.file === f))) {
  ASSETS.push({
    url: `/${f}`,
    file: f,
    src: path.join(opts.www, f),
    what: `\`${f.replace(/snippets\/[^/]+\//, "snippets/…/")}\` (wasm-bindgen snippet)`,
    type: "text/javascript; charset=utf-8",
  });
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
  if (a.raw.length > 50e6)
    log(`gzip -9 of ${a.url}: ${a.raw.length} → ${a.gz.length} B in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
const FILES = new Map(
  [...ASSETS, ...opts.bundles.map((b) => ({ ...b, type: "application/octet-stream" }))].map((a) => [a.url, a]),
);

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
  const wasmBytes = await worker.evaluate(
    async (glue) => (await (await import(glue)).default()).memory.buffer.byteLength,
    `${origin}/pkg/techmatch.js`,
  );
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
      nav: {
        responseEnd: nav.responseEnd,
        transferSize: nav.transferSize,
        domContentLoaded: nav.domContentLoadedEventEnd,
      },
      resources: performance.getEntriesByType("resource").map((e) => ({
        name: new URL(e.name).pathname,
        start: e.startTime,
        end: e.responseEnd,
        transferSize: e.transferSize,
        encoded: e.encodedBodySize,
        decoded: e.decodedBodySize,
      })),
      longtasks: window.__longtasks,
      longtaskError: window.__longtaskError,
      cjkReady: window.__cjkReady,
    };
  });
  const workerSide = await worker.evaluate(() => ({
    timeOrigin: performance.timeOrigin,
    isolated: crossOriginIsolated,
    resources: performance.getEntriesByType("resource").map((e) => ({
      name: new URL(e.name).pathname,
      start: e.startTime,
      end: e.responseEnd,
      transferSize: e.transferSize,
      encoded: e.encodedBodySize,
      decoded: e.decodedBodySize,
    })),
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
    log(
      `  ${bundle.name}: ${p === 0 ? "warm-up pass" : `pass ${p}/${opts.warmPasses}`} in ${((Date.now() - t0) / 1000).toFixed(1)} s: round trip p50 ${median(pass.rt).toFixed(2)} ms p95 ${pct(pass.rt, 0.95).toFixed(2)} ms`,
    );
  }
  const mem = await memory(bs, server.origin, opened);
  await collectGarbage(bs, opened);
  const memGc = await memory(bs, server.origin, opened);
  const after = await page.evaluate(() => ({
    longtasks: window.__longtasks.filter((t) => !(t.start < window.__cjkReady)),
    isolated: crossOriginIsolated,
  }));
  await opened.context.close();
  return {
    bench: opened.bench,
    passes,
    mem,
    memGc,
    longtasks: after.longtasks,
    isolated: after.isolated,
    errors: opened.errors,
  };
}

/** Load + one pass of all queries under Chrome tracing: every main-thread and worker task, not only ≥ 50 ms. */
async function traceRun(browser, server, bundle) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await browser.startTracing(page, { categories: ["toplevel", "devtools.timeline", "v8.execute"] });
  await page.goto(
    `${server.origin}/?bundle=${encodeURIComponent(bundle.url)}&loading=${opts.loading}&q=${encodeURIComponent(queries[0])}`,
    { waitUntil: "commit" },
  );
  await page.waitForFunction(() => window.__bench, null, { timeout: 600_000, polling: 100 });
  await page.evaluate(async (queries) => {
    for (const q of queries) await window.engine.search({ q, size: 10 });
  }, queries);
  const raw = await browser.stopTracing();
  if (process.env.BENCH_TRACE_DIR)
    fs.writeFileSync(path.join(process.env.BENCH_TRACE_DIR, `${bundle.name}.trace.json`), raw);
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
      const inner = on
        .filter(
          (e) =>
            e !== t &&
            e.ts >= t.ts &&
            e.ts + e.dur <= t.ts + t.dur &&
            !/RunTask|PerformMicrotaskCheckpoint/.test(e.name),
        )
        .sort((a, b) => b.dur - a.dur)[0];
      const what = inner
        ? inner.name === "Receive mojo message"
          ? `mojo ${inner.args?.chrome_mojo_event_info?.mojo_interface_tag ?? ""}`.trim()
          : inner.name
        : "?";
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
for (const mode of opts.modes)
  servers.push(mode === "serve" ? await techmatchServe() : await nodeServer((p) => FILES.get(p), mode));
const results = { bundles: {}, chromium: browser.version() };
try {
  for (const bundle of opts.bundles) {
    const r = (results.bundles[bundle.name] = { cold: {}, raw: bundle.raw.length, gz: bundle.gz.length });
    for (const server of servers) {
      r.cold[server.mode] = [];
      for (let i = 0; i < opts.coldRuns; i++) {
        const run = await coldRun(browser, bs, server, bundle);
        r.cold[server.mode].push(run);
        log(
          `${bundle.name} cold ${server.mode} ${i + 1}/${opts.coldRuns}: first results at ${run.bench.marks.results.toFixed(0)} ms (download ${run.bench.info.downloadMs.toFixed(0)} ms, Engine.load ${run.bench.info.openMs.toFixed(0)} ms)`,
        );
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

console.log(report(results, opts, queries, ASSETS));
