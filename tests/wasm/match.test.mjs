// match in WASM: both directions, by id and by free text, with reasons; options merged in.
import assert from "node:assert/strict";
import fs from "node:fs";
import test from "node:test";

import { seedBundle, throwsError, TODAY, wasm } from "./helpers.mjs";

const { Engine } = await wasm();
const engine = Engine.load(fs.readFileSync(seedBundle()));
const REASONS = new Set([
  "terms",
  "industry",
  "field",
  "trl_fit",
  "trl_miss",
  "mode_fit",
  "mode_conflict",
  "open",
  "expired",
  "region",
]);

function checkHits(res, side) {
  assert.equal(typeof res.tookMs, "number");
  for (const h of res.hits) {
    assert.ok(side.includes(h.kind), `${h.id} is a ${h.kind}`);
    assert.ok(h.score >= 0 && h.score <= 100);
    assert.equal(h.reasons[0].kind, "terms");
    for (const r of h.reasons) {
      assert.ok(REASONS.has(r.kind), r.kind);
      assert.equal(typeof r.detail, "string");
      assert.equal(typeof r.contribution, "number");
    }
    const sum = h.reasons.reduce((s, r) => s + r.contribution, 0);
    assert.ok(Math.abs(Math.min(100, Math.max(0, sum)) - h.score) < 1e-3, `${h.id}: reasons add up to the score`);
  }
  const scores = res.hits.map((h) => h.score);
  assert.deepEqual(
    scores,
    [...scores].sort((a, b) => b - a),
  );
}

test("a need finds results, with reasons", () => {
  const res = engine.match({ id: "N-2026-0001", today: TODAY });
  assert.equal(res.hits.length, 10);
  checkHits(res, ["result"]);
  assert.ok(res.hits[0].reasons.some((r) => r.kind === "industry"));
  assert.ok(res.hits[0].reasons[0].detail.length > 0, "the terms reason names matched phrases");
});

test("a result finds needs and challenges, with reasons", () => {
  const res = engine.match({ id: "R-2026-0043", today: TODAY, size: 5 });
  assert.equal(res.hits.length, 5);
  checkHits(res, ["need", "challenge"]);
  assert.ok(!res.hits.some((h) => h.id === "R-2026-0043"));
});

test("free text, both sides, with tags", () => {
  const asNeed = engine.match({
    text: "滨海盐碱地土壤改良 降盐 培肥",
    tags: {
      industries: ["现代农业"],
      trl_min: 5,
      trl_max: 9,
      modes: ["合作开发"],
      region: "130924",
      deadline: "2027-01-01",
    },
    today: TODAY,
  });
  checkHits(asNeed, ["result"]);
  assert.ok(asNeed.hits.length > 0);
  assert.ok(asNeed.hits[0].reasons.some((r) => r.kind === "open"));
  const asResult = engine.match({ text: "盐碱地改良剂", tags: { side: "result" }, today: TODAY });
  checkHits(asResult, ["need", "challenge"]);
  assert.ok(asResult.hits.length > 0);
  assert.deepEqual(engine.match({ text: "" }).hits, []);
  assert.deepEqual(engine.match({ text: "!!! ... ???" }).hits, []);
});

test("the second argument's size is merged in, and wins", () => {
  assert.equal(engine.match({ id: "N-2026-0001" }, { size: 3 }).hits.length, 3);
  assert.equal(engine.match({ id: "N-2026-0001", size: 8 }, { size: 2 }).hits.length, 2);
  assert.equal(engine.match({ id: "N-2026-0001", size: 4 }, {}).hits.length, 4);
  assert.equal(engine.match({ id: "N-2026-0001", size: 4 }, null).hits.length, 4);
  const a = engine.match({ id: "N-2026-0001", today: TODAY }, { size: 3 });
  const b = engine.match({ id: "N-2026-0001", today: TODAY, size: 3 });
  delete a.tookMs;
  delete b.tookMs;
  assert.deepEqual(a, b);
  throwsError(() => engine.match({ id: "N-2026-0001" }, { size: 0 }), /size: must be from 1 to 1000, found 0/);
  throwsError(() => engine.match({ id: "N-2026-0001" }, { limit: 3 }), /match options: unknown field `limit`/);
  throwsError(() => engine.match({ id: "N-2026-0001" }, 3), /match options: expected an object/);
});

test("bad match requests are Errors naming the problem", () => {
  throwsError(() => engine.match({ id: "nope" }), /no record with id "nope"/);
  throwsError(() => engine.match({}), /give either id or text/);
  throwsError(() => engine.match(), /give either id or text/);
  throwsError(() => engine.match({ id: "N-2026-0001", text: "x" }), /give either id or text/);
  throwsError(() => engine.match({ text: "x", tags: { side: "both" } }), /tags.side: must be need or result/);
  throwsError(() => engine.match({ text: "x", tags: { trl_min: 12 } }), /TRL must be from 1 to 9/);
  throwsError(() => engine.match({ text: "x", tags: { trl_min: 300 } }), /invalid value: integer `300`, expected u8/);
  throwsError(() => engine.match({ text: "x", tags: { colour: "red" } }), /unknown field `colour`/);
  throwsError(() => engine.match({ id: 5 }), /invalid type: integer `5`, expected a string/);
  throwsError(() => engine.match({ id: "N-2026-0001", today: "21.11.2026" }), /today: not a date in YYYY-MM-DD form/);
  throwsError(() => engine.match("N-2026-0001"), /match: expected an object, found a string/);
});
