// Bounded requests in the WASM engine: over a bound, an Error naming the field and the limit (in
// the plan methods too); the costliest allowed requests grow the memory by less than 64 MiB.
import assert from "node:assert/strict";
import fs from "node:fs";
import test from "node:test";

import { worstRequests } from "../../bench/lib/worst.mjs";
import { seedBundle, throwsError, wasm } from "./helpers.mjs";

const mod = await wasm();
const { memory } = await mod.default(); // already initialised: answers its exports
const bytes = fs.readFileSync(seedBundle());
const engine = mod.Engine.load(bytes);
const strip = (r) => (delete r.tookMs, r);

test("the costliest allowed requests answer within 64 MiB of WASM memory", () => {
  engine.search({ q: "盐碱地 改良" });
  const before = memory.buffer.byteLength;
  for (const [name, method, req] of worstRequests()) {
    const answer = engine[method](req);
    assert.ok(Array.isArray(answer.hits), name);
  }
  const grown = memory.buffer.byteLength - before;
  assert.ok(grown < 64 << 20, `the memory grew by ${grown} bytes`);
});

test("over a bound, search, match and their plans are Errors naming the field and the limit", () => {
  const many = Array.from({ length: 101 }, (_, i) => `v${i}`);
  const searches = [
    [{ q: "盐".repeat(2001) }, /q: at most 2000 characters, found 2001$/],
    [{ q: Array(65).fill("盐碱地").join(" ") }, /q: at most 64 words, found 65$/],
    [{ filters: { region: many } }, /filters\.region: at most 100 different values, found 101$/],
    [{ filters: { fields: ["x".repeat(201)] } }, /filters\.fields: at most 200 characters, found 201$/],
    [{ kind: "x".repeat(201) }, /kind: at most 200 characters/],
  ];
  for (const [req, pattern] of searches) {
    throwsError(() => engine.search(req), pattern, JSON.stringify(req).slice(0, 60));
    throwsError(() => engine.planSearch(req), pattern, `planSearch ${JSON.stringify(req).slice(0, 60)}`);
  }
  const matches = [
    [{ text: "盐".repeat(8001) }, /text: at most 8000 characters, found 8001$/],
    [{ text: "盐碱地", tags: { industries: many } }, /tags\.industries: at most 100 different values, found 101$/],
    [{ text: "盐碱地", tags: { modes: many } }, /tags\.modes: at most 100 different values/],
    [{ id: "N".repeat(201) }, /id: at most 200 characters/],
  ];
  for (const [req, pattern] of matches) {
    throwsError(() => engine.match(req), pattern, JSON.stringify(req).slice(0, 60));
    throwsError(() => engine.planMatch(req), pattern, `planMatch ${JSON.stringify(req).slice(0, 60)}`);
  }
  throwsError(() => engine.rank("盐".repeat(2001)), /q: at most 2000 characters/);
});

test("repeated values are folded: 100,000 copies of one filter value answer as the value once", () => {
  const before = memory.buffer.byteLength;
  const once = strip(engine.search({ q: "盐碱地", filters: { region: ["河北省"] } }));
  const repeated = strip(engine.search({ q: "盐碱地", filters: { region: Array(100_000).fill("河北省") } }));
  assert.ok(once.total > 0);
  assert.deepEqual(repeated, once);
  const text = "盐碱地改良 土壤修复";
  assert.deepEqual(
    strip(engine.match({ text, tags: { industries: Array(100_000).fill("现代农业") } })),
    strip(engine.match({ text, tags: { industries: ["现代农业"] } })),
  );
  const grown = memory.buffer.byteLength - before;
  assert.ok(grown < 64 << 20, `the memory grew by ${grown} bytes`);
});
