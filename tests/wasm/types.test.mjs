// The TypeScript declarations of the WASM engine (www/tech-match/pkg/techmatch.d.ts, generated from
// the Rust types by tsify): every type the Engine's methods name is declared, and the answers the
// engine gives have exactly the fields their interfaces declare.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import test from "node:test";

import { ROOT, seedBundle, wasm } from "./helpers.mjs";

const DTS = fs.readFileSync(path.join(ROOT, "www/tech-match/pkg/techmatch.d.ts"), "utf8");
const BUILTIN = new Set([
  "Engine",
  "Uint8Array",
  "ArrayBuffer",
  "Record",
  "Symbol",
  "Promise",
  "Response",
  "URL",
  "RequestInfo",
  "BufferSource",
  "WebAssembly",
  "InitInput",
  "InitOutput",
  "SyncInitInput",
  "Memory",
  "Module",
]);

/** The declared fields of interface `name`: {field: optional?}. */
function fields(name) {
  const m = new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`).exec(DTS);
  assert.ok(m, `interface ${name} is declared`);
  const body = m[1].replace(/\/\*\*[\s\S]*?\*\//g, "");
  return Object.fromEntries([...body.matchAll(/^\s{4}(\w+)(\??):/gm)].map(([, k, q]) => [k, q === "?"]));
}

/** `value`'s keys fit type `name` ("A" or "A & B"): none undeclared, every required one present. */
function fits(value, name) {
  const declared = Object.assign({}, ...name.split(" & ").map(fields));
  for (const k of Object.keys(value)) assert.ok(k in declared, `${name} declares ${k}`);
  for (const [k, optional] of Object.entries(declared)) if (!optional) assert.ok(k in value, `${name}.${k} is present`);
}

test("every type the Engine's methods name is declared", () => {
  const engine = /export class Engine \{([\s\S]*?)\n\}/.exec(DTS)[1].replace(/\/\*\*[\s\S]*?\*\//g, "");
  const named = new Set([...engine.matchAll(/\b[A-Z]\w*\b/g)].map((m) => m[0]).filter((n) => !BUILTIN.has(n)));
  assert.ok(named.has("SearchResponse") && named.has("MatchRequest") && named.has("Fetch"), [...named].join(", "));
  for (const n of named) assert.match(DTS, new RegExp(`export (interface|type) ${n}\\b`), `${n} is declared`);
});

test("answers have the fields their interfaces declare", async () => {
  const { Engine } = await wasm();
  const engine = Engine.load(fs.readFileSync(seedBundle()));
  const res = engine.search({ q: "盐碱地 改良", size: 3 });
  fits(res, "SearchResponse & Took");
  assert.equal(typeof res.tookMs, "number");
  fits(res.hits[0], "Hit");
  const matched = engine.match({ id: res.hits[0].id }, { size: 3 });
  fits(matched, "MatchResponse & Took");
  fits(matched.hits[0], "MatchHit");
  fits(matched.hits[0].reasons[0], "Reason");
  fits(engine.get(res.hits[0].id), "PublicRecord");
  const stats = engine.stats();
  fits(stats, "Stats");
  fits(stats.counts, "Counts");
  fits(stats.files[0], "FileEntry");
});
