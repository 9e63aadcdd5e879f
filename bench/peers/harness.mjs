// The browser side of bench/peers: serves a snapshot of the engines' code and the built indexes on
// 127.0.0.1 (byte-counting server, gzip like a static host), drives headless Chromium through
// bench/peers/page.html and measures each engine: cold load to first results with the bytes it took,
// bytes for the next queries, warm latency, memory, long tasks, and ranked ids for quality.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";

import {
  CHROMIUM,
  chromiumProcesses,
  FLAGS,
  measuredPage,
  nodeServer,
  pkgFiles,
  require,
  ROOT,
  workerCdp,
} from "../lib/browser-kit.mjs";

const { chromium } = require("playwright-core");

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".css": "text/css",
};
// Pagefind's index files are gzip at rest (Pagefind inflates them itself): served as they are.
const PRECOMPRESSED = /\.(pf_\w+|pagefind)$/;

/**
 * What the page may load, snapshot at start so concurrent rebuilds of www/tech-match/pkg change nothing:
 * `/` the page, `/peers/…` cjk.js and the adapters, `/vendor/…` the peers' libraries, `/engine.js`,
 * `/engine-worker.js`, `/pkg/…` techmatch's engine, and `/site/CORPUS/ENGINE/…` the built indexes.
 * Files are read and gzipped (-9) once and kept: the page's code now, the indexes on first request or
 * through preload().
 */
export function snapshot(siteDir) {
  const snap = fs.mkdtempSync(path.join(os.tmpdir(), "techmatch-peers-"));
  process.on("exit", () => fs.rmSync(snap, { recursive: true, force: true }));
  const copies = {
    "/": "bench/peers/page.html",
    "/peers/cjk.js": "bench/peers/cjk.js",
    "/vendor/minisearch.js": "node_modules/minisearch/dist/es/index.js",
    "/vendor/flexsearch.js": "node_modules/flexsearch/dist/flexsearch.bundle.module.min.mjs",
    "/engine.js": "www/tech-match/engine.js",
    "/engine-worker.js": "www/tech-match/engine-worker.js",
  };
  for (const f of pkgFiles()) copies[`/${f}`] = `www/tech-match/${f}`;
  for (const f of fs.readdirSync(path.join(ROOT, "bench/peers/engines")))
    copies[`/peers/engines/${f}`] = `bench/peers/engines/${f}`;
  const files = new Map();
  for (const [url, src] of Object.entries(copies)) {
    const dest = path.join(snap, url === "/" ? "index.html" : url);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(path.join(ROOT, src), dest);
    files.set(url, dest);
  }
  const cache = new Map();
  const resolve = (pathname) => {
    if (!cache.has(pathname)) {
      let file = files.get(pathname);
      if (!file && pathname.startsWith("/site/")) {
        file = path.join(siteDir, path.normalize(pathname.slice(6)));
        if (!file.startsWith(siteDir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) file = null;
      }
      if (!file) return null;
      const raw = fs.readFileSync(file);
      cache.set(pathname, {
        raw,
        gz: PRECOMPRESSED.test(file) ? null : zlib.gzipSync(raw, { level: 9 }),
        type: TYPES[path.extname(file)] ?? "application/octet-stream",
      });
    }
    return cache.get(pathname);
  };
  for (const url of files.keys()) resolve(url);
  return resolve;
}

/** Reads and compresses every file of `siteDir`/`corpus` now, so that no measured run waits for it. */
export function preload(resolve, siteDir, corpus) {
  for (const e of fs.readdirSync(path.join(siteDir, corpus), { recursive: true, withFileTypes: true })) {
    if (e.isFile()) resolve(`/site/${path.relative(siteDir, path.join(e.parentPath, e.name))}`);
  }
}

export async function launch() {
  if (!CHROMIUM) throw new Error("no Chromium found (set CHROMIUM=/path/to/chrome)");
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

export const serve = (resolve) => nodeServer(resolve, "gzip");

// Injected before the page's own scripts: every main-thread long task (≥ 50 ms).
const LONGTASKS = () => {
  window.__longtasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longtasks.push(e.duration);
  }).observe({ type: "longtask", buffered: true });
};

const WORKERS = { techmatch: "/engine-worker.js", pagefind: "/pagefind-worker.js" };

/** Opens ENGINE on CORPUS in a fresh context; resolves when the first results are rendered. */
export async function openPage(browser, server, { engine, corpus, q }, { cacheDisabled = true } = {}) {
  const { context, page, errors, cdp } = await measuredPage(browser, { cacheDisabled, initScript: LONGTASKS });
  server.reset();
  await page.goto(
    `${server.origin}/?engine=${engine}&base=${encodeURIComponent(`/site/${corpus}/${engine}`)}&q=${encodeURIComponent(q)}`,
    { waitUntil: "commit", timeout: 600_000 },
  );
  await page.waitForFunction(() => window.__bench, null, { timeout: 600_000, polling: 50 });
  const bench = await page.evaluate(() => window.__bench);
  if (!bench.ok) throw new Error(`${engine} on ${corpus}: ${bench.error}`);
  return { context, page, cdp, bench, errors };
}

/** Page JS heap, the engine worker's JS heap (techmatch, Pagefind), renderer PSS. */
async function memory(bs, engine, { cdp }) {
  const metrics = Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
  const ws = WORKERS[engine] ? await workerCdp(bs, WORKERS[engine]) : null;
  const workerHeap = ws ? (await ws.send("Runtime.getHeapUsage")).usedSize : 0;
  await ws?.detach();
  const renderer = chromiumProcesses()
    .filter((p) => p.type === "renderer")
    .sort((a, b) => b.pss - a.pss)[0];
  return {
    pageHeap: metrics.JSHeapUsedSize,
    workerHeap,
    heap: metrics.JSHeapUsedSize + workerHeap,
    rendererPss: renderer?.pss,
  };
}

const wire = (server) => server.requests.reduce((s, r) => s + r.wire, 0);

/** Resource Timing transferSize of the page and its workers (techmatch's and Pagefind's). */
async function resourceBytes(page) {
  const sum = () =>
    performance.getEntriesByType("resource").reduce((s, e) => s + e.transferSize, 0) +
    (performance.getEntriesByType("navigation")[0]?.transferSize ?? 0);
  let total = await page.evaluate(sum);
  for (const w of page.workers())
    total += await w.evaluate(() => performance.getEntriesByType("resource").reduce((s, e) => s + e.transferSize, 0));
  return total;
}

/**
 * One cold load (empty cache, cache disabled) of `engine` on `corpus`: times, wire bytes to first
 * results, memory, long tasks; then `next` queries in turn and the bytes each fetched.
 */
export async function coldRun(browser, bs, server, { engine, corpus, queries, next = [] }) {
  const opened = await openPage(browser, server, { engine, corpus, q: queries[0] });
  const { page, bench, context } = opened;
  const firstBytes = wire(server);
  const firstRequests = server.requests.length;
  const rtBytes = await resourceBytes(page);
  const mem = await memory(bs, engine, opened);
  server.reset();
  const perQuery = []; // wire bytes of each next query
  for (const q of next) {
    const before = wire(server);
    await page.evaluate((q) => window.engine.search(q), q);
    perQuery.push(wire(server) - before);
  }
  const nextBytes = wire(server);
  const longtasks = await page.evaluate(() => window.__longtasks);
  await context.close();
  return {
    marks: bench.marks,
    firstIds: bench.ids,
    firstBytes,
    firstRequests,
    rtBytes,
    nextBytes,
    nextRequests: server.requests.length,
    perQuery,
    mem,
    longtasks,
    errors: opened.errors,
  };
}

/** A warm page per engine: {page, close}. Latency passes run through timedPass. */
export async function warmPage(browser, server, { engine, corpus, q }) {
  const opened = await openPage(browser, server, { engine, corpus, q }, { cacheDisabled: false });
  return { ...opened, close: () => opened.context.close() };
}

/** Sequential searches (top 10 with titles), each timed in the page: ms per query. */
export async function timedPass(page, queries) {
  return page.evaluate(async (qs) => {
    const times = [];
    for (const q of qs) {
      const t0 = performance.now();
      await window.engine.search(q);
      times.push(performance.now() - t0);
    }
    return times;
  }, queries);
}

/** Each query asked twice in a row, the second timed: ms per repeated query (a broker going back). */
export async function repeatPass(page, queries) {
  return page.evaluate(async (qs) => {
    const times = [];
    for (const q of qs) {
      await window.engine.search(q);
      const t0 = performance.now();
      await window.engine.search(q);
      times.push(performance.now() - t0);
    }
    return times;
  }, queries);
}

/** Ranked ids (top `k`) for every query, in the page; Pagefind's hashes are mapped by the caller. */
export async function rankAll(page, queries, k = 100) {
  return page.evaluate(
    async ({ qs, k }) => {
      const out = [];
      for (const q of qs) out.push(await window.engine.rank(q, k));
      return out;
    },
    { qs: queries, k },
  );
}

/** Longest main-thread long task seen by the page so far (0 when none reached 50 ms). */
export const longestTask = async (page) => Math.max(0, ...(await page.evaluate(() => window.__longtasks)));
