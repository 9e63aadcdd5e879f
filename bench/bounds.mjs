#!/usr/bin/env node
// The costliest requests the engine's bounds allow (bench/lib/worst.mjs), run by the WASM engine
// under node on one bundle: the WASM memory each one grows by (a fresh module per request) and its
// time on a fresh engine, first run and median of the next runs, beside a typical search in the same run.
//
//   node bench/bounds.mjs [--bundle index/techmatch.bundle] [--runs 5] [--pkg www/tech-match/pkg]
//
// --pkg: another build of the engine (an earlier commit's, to compare side by side).
//
// Needs www/tech-match/pkg (scripts/build-wasm.sh). Markdown on stdout.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { worstRequests } from "./lib/worst.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const bundle = path.resolve(arg("bundle", path.join(ROOT, "index/techmatch.bundle")));
const runs = Number(arg("runs", 5));
const pkg = path.resolve(arg("pkg", path.join(ROOT, "www/tech-match/pkg")));
const child = process.argv.includes("--child");

if (child) {
  // One request on a fresh module: prints {grownBytes, firstMs, medianMs}.
  const at = Number(arg("case"));
  const mod = await import(path.join(pkg, "techmatch.js"));
  const { memory } = await mod.default({ module_or_path: fs.readFileSync(path.join(pkg, "techmatch_bg.wasm")) });
  const bytes = fs.readFileSync(bundle);
  const [, method, req] = at < 0 ? ["", "search", { q: "盐碱地 改良" }] : worstRequests()[at];
  let grownBytes = 0;
  const times = [];
  for (let i = 0; i <= runs; i++) {
    // A new engine each time (the engine remembers its recent answers); its opening not timed.
    const engine = mod.Engine.load(bytes);
    engine.search({ q: "盐碱地 改良", size: 1 });
    const before = memory.buffer.byteLength;
    const t = performance.now();
    engine[method](req);
    times.push(performance.now() - t);
    if (i === 0) grownBytes = memory.buffer.byteLength - before;
    engine.free();
  }
  const rest = times.slice(1).sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      grownBytes,
      firstMs: times[0],
      medianMs: rest[Math.floor(rest.length / 2)],
    }),
  );
  process.exit(0);
}

const cases = [["typical: 盐碱地 改良", -1], ...worstRequests().map(([name], i) => [name, i])];
console.log(
  `Bundle: ${path.relative(ROOT, bundle)} (${fs.statSync(bundle).size} bytes); ${runs} runs after the first.`,
);
console.log(`Machine: ${os.cpus().length} × ${os.cpus()[0].model}, node ${process.version}\n`);
console.log("| request | WASM memory grown | first run | median |");
console.log("|---|---:|---:|---:|");
for (const [name, at] of cases) {
  const out = execFileSync(
    process.execPath,
    [
      fileURLToPath(import.meta.url),
      "--child",
      "--case",
      String(at),
      "--bundle",
      bundle,
      "--runs",
      String(runs),
      "--pkg",
      pkg,
    ],
    { encoding: "utf8" },
  );
  const r = JSON.parse(out);
  console.log(
    `| ${name} | ${(r.grownBytes / 2 ** 20).toFixed(1)} MiB | ${r.firstMs.toFixed(1)} ms | ${r.medianMs.toFixed(1)} ms |`,
  );
}
