// Shared by the WASM engine's node tests: loads www/tech-match/pkg (built by scripts/build-wasm.sh), runs the
// native CLI (TECHMATCH_BIN, else target/release/techmatch), and builds the bundles both sides read.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { CHROMIUM } from "../../bench/lib/browser-kit.mjs";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = process.env.TECHMATCH_BIN || path.join(ROOT, "target/release/techmatch");
export const CSL = path.resolve(ROOT, "../shared/data/csl");
export const TODAY = "2026-11-21";

const PKG = path.join(ROOT, "www/tech-match/pkg/techmatch.js");

/** The wasm-bindgen module, initialised (the same files the browser loads). */
export async function wasm() {
  if (!fs.existsSync(PKG)) {
    throw new Error(`${PKG} is missing: run scripts/build-wasm.sh first`);
  }
  const mod = await import(PKG);
  await mod.default({ module_or_path: fs.readFileSync(path.join(ROOT, "www/tech-match/pkg/techmatch_bg.wasm")) });
  return mod;
}

/** Runs the native CLI and returns its standard output. */
export function cli(...args) {
  if (!fs.existsSync(CLI)) {
    throw new Error(`${CLI} is missing: run cargo build --release first`);
  }
  return execFileSync(CLI, args, { encoding: "utf8", maxBuffer: 256 << 20, stdio: ["ignore", "pipe", "pipe"] });
}

/** A fresh temporary directory, removed when the process exits. */
export function tmpdir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "techmatch-wasm-"));
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Builds the seed bundle (72 needs, 160 results) with the native CLI; returns its path. */
export function seedBundle() {
  const out = tmpdir();
  cli("build", path.join(ROOT, "seeds/needs.jsonl"), path.join(ROOT, "seeds/results.jsonl"), "--out", out);
  return path.join(out, "techmatch.bundle");
}

/** Builds the CSL evaluation bundle, or returns null when ../shared/data/csl is absent. */
export function cslBundle() {
  const corpus = path.join(CSL, "eval_corpus.jsonl");
  if (!fs.existsSync(corpus)) return null;
  const out = tmpdir();
  cli("build", corpus, "--map", path.join(ROOT, "seeds/maps/csl.toml"), "--out", out);
  return path.join(out, "techmatch.bundle");
}

/** Seed record ids, needs first. */
export function seedIds() {
  const ids = [];
  for (const f of ["seeds/needs.jsonl", "seeds/results.jsonl"]) {
    for (const line of fs.readFileSync(path.join(ROOT, f), "utf8").split("\n")) {
      if (line.trim()) ids.push(JSON.parse(line).id);
    }
  }
  return ids;
}

/** Asserts that `fn` throws a JavaScript Error whose message matches `pattern`. */
export function throwsError(fn, pattern, what = "") {
  let thrown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown !== undefined, `${what}: expected an Error, got a result`);
  assert.ok(
    thrown instanceof Error,
    `${what}: expected an Error, got ${Object.prototype.toString.call(thrown)} ${thrown}`,
  );
  if (pattern) assert.match(thrown.message, pattern, what);
  return thrown;
}

/** Two f32 scores agree within a relative 1e-4 (they come from the same f32 arithmetic). */
export function closeScore(a, b) {
  return Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Deep equality where numbers agree within closeScore; the path of the first difference, or null. */
export function diff(a, b, at = "$") {
  if (typeof a === "number" && typeof b === "number") return closeScore(a, b) ? null : `${at}: ${a} ≠ ${b}`;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return `${at}: array vs non-array`;
    if (a.length !== b.length) return `${at}: length ${a.length} ≠ ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = diff(a[i], b[i], `${at}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    if (ka.join() !== kb.join()) return `${at}: keys ${ka} ≠ ${kb}`;
    for (const k of ka) {
      const d = diff(a[k], b[k], `${at}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return Object.is(a, b) ? null : `${at}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`;
}

/** Chromium (bench/lib/browser-kit's CHROMIUM) and playwright-core for the browser tests, or why those tests are skipped (CHROMIUM=/path chooses). */
export async function chromium() {
  const executable = CHROMIUM;
  const playwright = await import("playwright-core").catch(() => null);
  const skip = !executable
    ? "no Chromium found (set CHROMIUM)"
    : !playwright
      ? "playwright-core is not installed (npm install)"
      : false;
  return { executable, playwright, skip };
}

/** Headless Chromium through playwright-core, started once more when it dies while starting (a
 *  crash at start-up, seen on CI machines, is not what the tests test; a second one fails). */
export async function launchChromium(playwright, executablePath, args) {
  try {
    return await playwright.chromium.launch({ executablePath, args });
  } catch (e) {
    if (!/has been closed|SIGSEGV|exitCode/.test(e.message)) throw e;
    return playwright.chromium.launch({ executablePath, args });
  }
}
