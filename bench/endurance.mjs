#!/usr/bin/env node
// Endurance of the browser engine: N mixed searches, matches and lookups (20,000 by default, some of
// them deliberately invalid) through www/tech-match/engine.js and its Web Worker in headless Chromium, on one
// bundle; every SAMPLE requests, after a forced garbage collection, the worker's JS heap and the WASM
// memory. Passes when no request fails unexpectedly, the worker never dies, and the JS heap stays
// within 10% of its level after the first 1,000 requests.
//
//   node bench/endurance.mjs --bundle /tmp/s/techmatch.bundle [--requests 20000] [--sample 500]
//        [--loading auto|lazy|whole] [--json out.json]
//
// The server answers HTTP Range requests as static hosts do, so `--loading auto` (the widget's
// default) opens a bundle over 4 MiB lazily; each sample then also records the fetched bytes the
// engine's block cache holds (`transfer().held`).
// Needs www/tech-match/pkg (scripts/build-wasm.sh), Chromium (CHROMIUM=… or Debian's) and playwright-core (npm).
// Markdown on stdout, progress on stderr; exit code 1 when it does not pass.
import fs from "node:fs";
import path from "node:path";

import { CHROMIUM, FLAGS, nodeServer, require, ROOT, workerCdp } from "./lib/browser-kit.mjs";

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const bundlePath = arg("bundle");
const REQUESTS = Number(arg("requests", 20_000));
const SAMPLE = Number(arg("sample", 500));
const LOADING = arg("loading", "auto");
const BASELINE = 1_000; // the heap level the rest is compared with
if (!bundlePath || !fs.existsSync(bundlePath)) {
  console.error(
    "usage: node bench/endurance.mjs --bundle PATH [--requests N] [--sample N] [--loading auto|lazy|whole] [--json OUT]",
  );
  process.exit(2);
}
const { chromium } = require("playwright-core");

// www/tech-match/ and the bundle on 127.0.0.1.
const TYPES = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };
const www = path.join(ROOT, "www/tech-match");
const bundle = fs.readFileSync(bundlePath);
const server = await nodeServer((pathname) => {
  if (pathname === "/bundle") return { raw: bundle, type: "application/octet-stream" };
  if (pathname === "/")
    return { raw: Buffer.from("<!doctype html><meta charset=utf-8><title>endurance</title>"), type: "text/html" };
  const file = path.join(www, path.normalize(pathname));
  if (!file.startsWith(www) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return null;
  return { raw: fs.readFileSync(file), type: TYPES[path.extname(file)] ?? "application/octet-stream" };
}, "identity");

const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
const page = await browser.newPage();
const pageErrors = [];
page.on("pageerror", (e) => pageErrors.push(e.message));
await page.goto(`${server.origin}/`);

const opened = await page.evaluate(async (loading) => {
  const { createEngine } = await import("/engine.js");
  window.engine = await createEngine("/bundle", { loading });
  const newest = await window.engine.search({ size: 20 });
  return { info: window.engine.info, stats: await window.engine.stats(), ids: newest.hits.map((h) => h.id) };
}, LOADING);
// The worker over CDP: its heap, a forced GC, and the WASM memory of its module.
const worker = await workerCdp(await browser.newBrowserCDPSession());
if (!worker) throw new Error("the engine's worker never showed up over CDP");

async function sample(done, elapsedMs) {
  await worker.send("HeapProfiler.collectGarbage");
  const heap = await worker.send("Runtime.getHeapUsage");
  const wasm = await worker.send("Runtime.evaluate", {
    expression: `import("./pkg/techmatch.js").then((m) => m.default()).then((w) => w.memory.buffer.byteLength)`,
    awaitPromise: true,
    returnByValue: true,
  });
  const held = (await page.evaluate(() => window.engine.transfer()))?.held ?? 0;
  return {
    requests: done,
    jsHeapUsed: heap.usedSize,
    jsHeapTotal: heap.totalSize,
    wasmMemory: wasm.result?.value,
    held,
    elapsedMs,
  };
}

// The request mix: words and ids from the bundle itself, filters, pages, sorts, matches both ways,
// lookups, and about 2% invalid requests that must be answered with an Error.
const vocabulary = Object.entries(opened.stats.facets).flatMap(([field, values]) =>
  Object.keys(values)
    .slice(0, 30)
    .map((v) => [field, v]),
);
const words = [
  "技术",
  "系统",
  "材料",
  "智能",
  "检测",
  "涂层",
  "电池",
  "传感器",
  "工艺",
  "装备",
  "节能",
  "数据",
  "控制",
  "生物",
  "催化",
  "激光",
  "AI",
  "sensor",
  "coating",
  "PM2.5",
];
let seed = 20260;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
function request(i) {
  const r = rnd();
  if (r < 0.02)
    return {
      op: "search",
      req: pick([{ size: 0 }, { trl: { min: 9, max: 1 } }, { filters: { colour: ["red"] } }, { kind: "xyz" }]),
      invalid: true,
    };
  if (r < 0.5) {
    const q = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(words)).join(" ");
    const req = { q, size: pick([10, 20, 50]), page: 1 + Math.floor(rnd() * 5) };
    if (rnd() < 0.4) {
      const [field, value] = pick(vocabulary);
      if (field !== "kind") req.filters = { [field]: [value] };
    }
    if (rnd() < 0.2) req.trl = { min: 1 + Math.floor(rnd() * 4), max: 5 + Math.floor(rnd() * 5) };
    if (rnd() < 0.2) req.sort = pick(["date", "deadline"]);
    if (rnd() < 0.1) req.kind = pick(["need", "result", "needs"]);
    return { op: "search", req };
  }
  if (r < 0.6)
    return {
      op: "search",
      req: { q: "", filters: { [pick(["industries", "region"])]: [pick(vocabulary)[1]] }, page: 1 + (i % 50) },
    };
  if (r < 0.85) return { op: "matchId" };
  if (r < 0.95)
    return {
      op: "match",
      req: { text: Array.from({ length: 6 }, () => pick(words)).join("，"), tags: { side: pick(["need", "result"]) } },
    };
  return { op: "getHit" };
}

const samples = [];
const unexpected = [];
let invalidAnswered = 0;
const started = Date.now();
let lastIds = opened.ids;
for (let done = 0; done < REQUESTS;) {
  const batch = Array.from({ length: Math.min(SAMPLE, REQUESTS - done) }, (_, k) => request(done + k));
  const result = await page.evaluate(
    async ({ batch, lastIds }) => {
      const errors = [];
      let invalid = 0;
      let ids = lastIds;
      for (const { op, req, invalid: bad } of batch) {
        try {
          if (op === "search") {
            const res = await window.engine.search(req);
            if (res.hits.length) ids = res.hits.map((h) => h.id);
          } else if (op === "match") await window.engine.match(req, { size: 10 });
          else if (op === "matchId") await window.engine.match({ id: ids[0] }, { size: 10 });
          else await window.engine.get(ids[ids.length - 1]);
          if (bad) errors.push(`invalid request answered: ${JSON.stringify(req)}`);
        } catch (e) {
          if (bad && e instanceof Error && e.message.startsWith("invalid request")) invalid++;
          else errors.push(`${op} ${JSON.stringify(req)}: ${e?.name}: ${e?.message}`);
        }
      }
      return { errors, invalid, ids };
    },
    { batch, lastIds },
  );
  lastIds = result.ids;
  unexpected.push(...result.errors);
  invalidAnswered += result.invalid;
  done += batch.length;
  samples.push(await sample(done, Date.now() - started));
  const s = samples.at(-1);
  console.error(
    `${done} requests, ${(s.elapsedMs / 1000).toFixed(0)} s: JS heap ${(s.jsHeapUsed / 2 ** 20).toFixed(2)} MiB, WASM ${(s.wasmMemory / 2 ** 20).toFixed(0)} MiB, cache ${(s.held / 2 ** 20).toFixed(1)} MiB, ${unexpected.length} unexpected errors`,
  );
  if (unexpected.length > 20) break;
}
await browser.close();
server.close();

const base = samples.find((s) => s.requests >= BASELINE) ?? samples[0];
const later = samples.filter((s) => s.requests > base.requests);
const maxHeap = Math.max(...later.map((s) => s.jsHeapUsed));
const minHeap = Math.min(...later.map((s) => s.jsHeapUsed));
const drift = (Math.max(maxHeap - base.jsHeapUsed, base.jsHeapUsed - minHeap) / base.jsHeapUsed) * 100;
const wasmGrowth = samples.at(-1).wasmMemory - base.wasmMemory;
const pass = unexpected.length === 0 && pageErrors.length === 0 && samples.at(-1).requests === REQUESTS && drift <= 10;
const mib = (b) => (b / 2 ** 20).toFixed(2);
console.log(
  `Bundle ${path.basename(bundlePath)}: ${opened.stats.records} records, ${mib(opened.info.size)} MiB, opened ${opened.info.lazy ? `lazily (${mib(opened.info.bytes)} MiB fetched)` : "whole"} in ${opened.info.openMs.toFixed(0)} ms`,
);
console.log(
  `${samples.at(-1).requests} requests in ${(samples.at(-1).elapsedMs / 1000).toFixed(1)} s; ${invalidAnswered} invalid requests answered with an Error; ${unexpected.length} unexpected errors; ${pageErrors.length} page errors`,
);
console.log(
  `JS heap of the worker after ${base.requests}: ${mib(base.jsHeapUsed)} MiB; later ${mib(minHeap)}–${mib(maxHeap)} MiB (largest drift ${drift.toFixed(1)}%); WASM memory ${mib(base.wasmMemory)} → ${mib(samples.at(-1).wasmMemory)} MiB (${wasmGrowth >= 0 ? "+" : ""}${mib(wasmGrowth)})`,
);
console.log(
  `\n| requests | JS heap used (MiB) | JS heap total (MiB) | WASM memory (MiB) | cache held (MiB) | elapsed (s) |\n|---:|---:|---:|---:|---:|---:|`,
);
for (const s of samples)
  console.log(
    `| ${s.requests} | ${mib(s.jsHeapUsed)} | ${mib(s.jsHeapTotal)} | ${mib(s.wasmMemory)} | ${mib(s.held)} | ${(s.elapsedMs / 1000).toFixed(1)} |`,
  );
console.log(`\n${pass ? "PASS" : "FAIL"}`);
for (const e of [...unexpected, ...pageErrors].slice(0, 20)) console.log(`- ${e}`);
const json = arg("json");
if (json)
  fs.writeFileSync(json, JSON.stringify({ samples, unexpected, pageErrors, invalidAnswered, drift, pass }, null, 1));
process.exit(pass ? 0 : 1);
