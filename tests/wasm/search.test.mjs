// search, get and stats in WASM: filters, disjunctive facets, paging, sorting, and the very answers of the native CLI.
import assert from "node:assert/strict";
import fs from "node:fs";
import test from "node:test";

import { cli, diff, seedBundle, throwsError, TODAY, wasm } from "./helpers.mjs";

const { Engine } = await wasm();
const path = seedBundle();
const engine = Engine.load(fs.readFileSync(path));

/** The same request through `techmatch search --json`. */
function native(req) {
  const args = ["search", "--json", "--limit", String(req.size ?? 10), "--page", String(req.page ?? 1)];
  if (req.kind) args.push("--kind", req.kind);
  for (const [field, values] of Object.entries(req.filters ?? {}))
    for (const v of values) args.push("--filter", `${field}=${v}`);
  if (req.trl) args.push("--trl", `${req.trl.min ?? ""}-${req.trl.max ?? ""}`);
  if (req.open) args.push("--open");
  if (req.sort) args.push("--sort", req.sort);
  if (req.today) args.push("--today", req.today);
  return JSON.parse(cli(...args, "--", path, req.q ?? ""));
}

test("free text finds records, best first, with snippets, highlights and tookMs", () => {
  const res = engine.search({ q: "盐碱地 改良" });
  assert.ok(res.total > 0 && res.hits.length === 10);
  assert.equal(typeof res.tookMs, "number");
  assert.ok(res.tookMs >= 0);
  const scores = res.hits.map((h) => h.score);
  assert.deepEqual(
    scores,
    [...scores].sort((a, b) => b - a),
  );
  const top = res.hits[0];
  assert.match(top.title + top.snippet, /盐碱/);
  for (const [a, b] of top.highlights) assert.match(top.snippet.slice(a, b), /盐|碱|改良/);
  assert.equal(Object.getPrototypeOf(top.tags), Object.prototype);
});

test("a string is the query text", () => {
  const a = engine.search("催化 加氢");
  const b = engine.search({ q: "催化 加氢" });
  delete a.tookMs;
  delete b.tookMs;
  assert.deepEqual(a, b);
});

test("filters: kind, tags (AND across fields, OR within), TRL, open; facets are disjunctive", () => {
  const all = engine.search({ q: "", size: 1 });
  assert.equal(all.total, 232);
  const results = engine.search({ kind: "result", size: 1 });
  assert.equal(results.total, 160);
  assert.deepEqual(results.facets.kind, all.facets.kind, "kind facet ignores the kind filter");
  const needs = engine.search({ kind: "needs", size: 1000 });
  assert.equal(needs.total, 72);
  assert.ok(needs.hits.every((h) => h.kind === "need" || h.kind === "challenge"));

  const oneRegion = engine.search({ filters: { region: ["北京市"] }, size: 1000 });
  const twoRegions = engine.search({ filters: { region: ["北京市", "天津市"] }, size: 1000 });
  assert.equal(oneRegion.total, all.facets.region["北京市"]);
  assert.equal(twoRegions.total, all.facets.region["北京市"] + all.facets.region["天津市"]);
  assert.deepEqual(oneRegion.facets.region, all.facets.region, "region facet ignores the region filter");
  assert.ok(oneRegion.hits.every((h) => h.tags.region.includes("北京市")));
  const both = engine.search({ kind: "result", filters: { region: ["北京市"], modes: ["转让"] }, size: 1000 });
  assert.ok(both.total > 0 && both.total < oneRegion.total);
  assert.ok(
    both.hits.every((h) => h.kind === "result" && h.tags.region.includes("北京市") && h.tags.modes.includes("转让")),
  );

  const trl = engine.search({ kind: "result", trl: { min: 7, max: 9 }, size: 1000 });
  assert.ok(trl.total > 0 && trl.total < 160);
  assert.ok(trl.hits.every((h) => Number(h.tags.trl.at(-1)) >= 7));

  const open = engine.search({ kind: "needs", open: true, today: TODAY, size: 1000 });
  assert.ok(open.total < 72);
  const later = engine.search({ kind: "needs", open: true, today: "2099-01-01", size: 1000 });
  assert.ok(later.total <= open.total);
});

test("paging and sorting", () => {
  const first = engine.search({ q: "技术", size: 5, page: 1 });
  const second = engine.search({ q: "技术", size: 5, page: 2 });
  const both = engine.search({ q: "技术", size: 10 });
  assert.deepEqual(
    [...first.hits, ...second.hits].map((h) => h.id),
    both.hits.map((h) => h.id),
  );
  const far = engine.search({ q: "技术", size: 10, page: 10_000 });
  assert.equal(far.hits.length, 0);
  assert.equal(far.total, both.total);
  const byDate = engine.search({ sort: "date", size: 20 });
  assert.equal(byDate.hits.length, 20);
  throwsError(() => engine.search({ sort: "random" }), /unknown variant `random`/);
});

test("get and stats", () => {
  const hit = engine.search({ q: "盐碱地", size: 1 }).hits[0];
  const record = engine.get(hit.id);
  assert.equal(record.id, hit.id);
  assert.equal(record.title, hit.title);
  assert.equal(engine.get("no such id"), null);
  assert.equal(engine.get(""), null);
  throwsError(() => engine.get(42), /get: the id must be a string/);
  throwsError(() => engine.get(undefined), /get: the id must be a string/);
  assert.equal(engine.stats().records, 232);
});

test("every answer equals the native CLI's, field for field", () => {
  const requests = [
    { q: "盐碱地 改良" },
    { q: "催化 加氢", kind: "result", size: 5 },
    { q: '"膳食纤维"', size: 3 },
    { q: "激光 -打标" },
    { q: "-激光" },
    { q: "PM2.5 检测", kind: "needs" },
    { q: "soil", size: 20 },
    { q: "技术", filters: { region: ["北京市", "天津市"], modes: ["转让"] } },
    { q: "技术", filters: { industries: ["新材料"] }, trl: { min: 4, max: 7 }, page: 2, size: 7 },
    { q: "", kind: "needs", open: true, today: TODAY, sort: "deadline", size: 50 },
    { q: "", sort: "date", size: 30 },
    { q: "材料", sort: "date", kind: "result" },
    { q: "芯片 封装 可靠性 测试 设备 国产化 替代 高精度" },
    { q: "no-such-word-anywhere" },
    { q: "技术", page: 30, size: 10 },
    { kind: "result", filters: { region: ["北京市"] }, page: 500, size: 1000 },
  ];
  for (const req of requests) {
    const mine = engine.search(req);
    delete mine.tookMs;
    const d = diff(mine, native(req));
    assert.equal(d, null, `${JSON.stringify(req)}: ${d}`);
  }
});

test("every example the search box suggests finds records, in both languages", async () => {
  const { STRINGS } = await import("../../www/tech-match/i18n.js");
  for (const [lang, s] of Object.entries(STRINGS)) {
    const examples = s.placeholder.split(/例如：|e\.g\. /)[1].split(/、|, /);
    assert.ok(examples.length >= 3, `${lang}: ${s.placeholder}`);
    for (const q of examples) {
      const res = engine.search({ q });
      assert.ok(res.total > 0 && !res.partial, `${lang} placeholder example ${q}: ${res.total} hits`);
    }
  }
});
