// Junk in, Error or answer out: no input makes the WASM engine trap, hang or stop answering.
import assert from "node:assert/strict";
import fs from "node:fs";
import test from "node:test";

import { seedBundle, throwsError, wasm } from "./helpers.mjs";

const mod = await wasm();
const { Engine } = mod;
const { memory } = await mod.default(); // already initialised: answers its exports
const engine = Engine.load(fs.readFileSync(seedBundle()));
const reference = () => {
  const r = engine.search({ q: "盐碱地 改良", filters: { region: ["河北省"] } });
  delete r.tookMs;
  return r;
};
const before = reference();

/** Calls `fn`; passes on an answer or an Error, fails on anything else thrown (a trap is a WebAssembly.RuntimeError). */
function survives(fn, what) {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof Error, `${what}: threw a non-Error ${e}`);
    assert.ok(!(e instanceof WebAssembly.RuntimeError), `${what}: the engine trapped: ${e.message}`);
    assert.ok(e.message.length > 0, `${what}: an Error without a message`);
    return e;
  }
  return null;
}

test("huge strings", () => {
  const huge = "盐碱地改良".repeat(400_000); // 2 M characters
  const words = Array.from({ length: 50_000 }, (_, i) => `w${i}`).join(" ");
  for (const q of [
    huge,
    words,
    "a".repeat(5_000_000),
    '"'.repeat(100_000),
    "-".repeat(100_000),
    "\u0000\uffff\ud800\udfff".repeat(10_000),
    "\ud800 lone surrogate",
  ]) {
    // Over the query's bound (2000 characters, 64 words) it is an Error naming q; under it, an answer.
    const expected = [...q].length > 2000 ? /q: at most 2000 characters/ : null;
    for (const [what, fn] of [
      ["search", () => engine.search({ q })],
      ["search string", () => engine.search(q)],
    ]) {
      const error = survives(fn, what);
      if (expected) assert.match(error?.message ?? "an answer", expected, what);
      else assert.equal(error, null, what);
    }
    survives(() => engine.match({ text: q }), "match text");
    survives(() => engine.get(q), "get");
  }
  // A lone surrogate (half an emoji) reads as U+FFFD, in an object as in a plain string.
  const strip = (r) => (delete r.tookMs, r);
  const replaced = strip(engine.search({ q: "盐碱\ufffd地 \ufffd" }));
  assert.deepEqual(strip(engine.search({ q: "盐碱\ud800地 \udfff" })), replaced);
  assert.deepEqual(strip(engine.search("盐碱\ud800地 \udfff")), replaced);
  survives(
    () => engine.search({ q: "x", filters: { region: Array.from({ length: 20_000 }, (_, i) => `r${i}`) } }),
    "20k filter values",
  );
  survives(
    () => engine.match({ text: "盐碱地", tags: { industries: Array(20_000).fill("现代农业") } }),
    "20k industries",
  );
});

test("malformed filters and wrong types are Errors naming the field", () => {
  const cases = [
    [{ filters: "region=北京市" }, /invalid type: string "region=北京市", expected a map/],
    [{ filters: { region: "北京市" } }, /invalid type: string "北京市", expected a sequence/],
    [{ filters: { region: [1] } }, /invalid type: integer `1`, expected a string/],
    [{ filters: { region: null } }, /invalid type: null, expected a sequence/],
    [{ filters: [["region", ["北京市"]]] }, /invalid type: sequence, expected a map/],
    [{ filters: { colour: ["red"] } }, /filters: unknown field "colour"/],
    [{ trl: 5 }, /invalid type: integer `5`, expected struct TrlRange/],
    [{ trl: { min: 0 } }, /trl: need 1 ≤ min ≤ max ≤ 9, found 0–9/],
    [{ trl: { min: 9, max: 1 } }, /trl: need 1 ≤ min ≤ max ≤ 9/],
    [{ trl: { min: "a" } }, /invalid type: string "a", expected u8/],
    [{ trl: { lo: 1 } }, /unknown field `lo`/],
    [{ q: {} }, /invalid type: map, expected a string/],
    [{ q: null }, /invalid type: null, expected a string/],
    [{ q: 5 }, /invalid type: integer `5`, expected a string/],
    [{ kind: "xyz" }, /kind: must be need, challenge, needs or result, found "xyz"/],
    [{ kind: 1 }, /invalid type: integer `1`, expected a string/],
    [{ open: "yes" }, /invalid type: string "yes", expected a boolean/],
    [{ sort: 1 }, /expected value|invalid type/],
    [{ today: "2026-02-30", open: true }, /today: not a date in YYYY-MM-DD form: "2026-02-30"/],
    [{ size: 0 }, /size: must be from 1 to 1000, found 0/],
    [{ size: 1e9 }, /size: must be from 1 to 1000, found 1000000000/],
    [{ size: 1e20 }, /size/],
    [{ size: -1 }, /invalid value: integer `-1`, expected usize/],
    [{ size: 2.5 }, /invalid type: floating point `2.5`, expected usize/],
    [{ size: "10" }, /invalid type: string "10", expected usize/],
    [{ size: NaN }, /invalid type: null, expected usize/],
    [{ size: Infinity }, /invalid type: null, expected usize/],
    [{ page: 1e9 }, /page 1000000000 is out of range/],
    [{ page: -1 }, /expected usize/],
    [{ Q: "x" }, /unknown field `Q`, expected one of `q`, `kind`/],
    [42, /search: expected an object, found a number/],
    [true, /search: expected an object, found a boolean/],
    [[1, 2], /search: expected an object, found an array/],
    [() => 1, /search: expected an object, found a function/],
    [Symbol("q"), /search: expected an object, found a symbol/],
    [10n, /search: expected an object, found a bigint/],
    [{ q: 10n }, /search: .*BigInt/],
  ];
  for (const [req, pattern] of cases) {
    throwsError(
      () => engine.search(req),
      pattern,
      `search(${String(JSON.stringify(req, (_, v) => (typeof v === "bigint" ? `${v}n` : v)))})`,
    );
  }
  assert.deepEqual(engine.search(undefined).total, 232);
  assert.deepEqual(engine.search(null).total, 232);
  assert.equal(engine.search({ page: 0 }).hits.length, 10, "page 0 is page 1");
  assert.equal(engine.search({ size: 1000 }).hits.length, 232);
  for (const size of [0, 1e9, -1, 1.5]) throwsError(() => engine.match({ id: "N-2026-0001", size }), /size/);
});

test("deep pages answer no hits, the total and the facets, without growing the memory", () => {
  const first = engine.search({ q: "技术", size: 1000 });
  delete first.tookMs;
  const grown = memory.buffer.byteLength;
  for (const [page, size] of [
    [233, 1],
    [4000, 1000],
    [100_000, 1000],
    [4_294_967, 1000],
    [400_000_000, 10],
    [2 ** 31, 2],
  ]) {
    const res = engine.search({ q: "技术", page, size });
    assert.equal(res.hits.length, 0, `page ${page} × ${size}`);
    assert.equal(res.total, first.total);
    assert.deepEqual(res.facets, first.facets);
  }
  throwsError(() => engine.search({ page: 2 ** 32, size: 1000 }), /page|usize/);
  throwsError(() => engine.search({ page: 4_294_969, size: 1000 }), /page 4294969 is out of range/);
  assert.ok(
    memory.buffer.byteLength - grown < 4 << 20,
    `memory grew from ${grown} to ${memory.buffer.byteLength} bytes`,
  );
  assert.equal(engine.search({ page: 232, size: 1, sort: "date" }).hits.length, 1, "the last record is still there");
});

test("hostile objects: cycles, throwing getters, proxies, toJSON", () => {
  const cyclic = { q: "x" };
  cyclic.self = cyclic;
  throwsError(() => engine.search(cyclic), /search: .*circular/i);
  const getter = {
    get q() {
      throw new Error("boom");
    },
  };
  throwsError(() => engine.search(getter), /search: boom/);
  const proxy = new Proxy(
    {},
    {
      ownKeys() {
        throw new TypeError("no keys");
      },
    },
  );
  throwsError(() => engine.search(proxy), /search: no keys/);
  throwsError(
    () =>
      engine.search({
        toJSON() {
          throw new RangeError("nope");
        },
      }),
    /search: nope/,
  );
  assert.equal(engine.search({ toJSON: () => ({ q: "盐碱地", size: 2 }) }).hits.length, 2);
  assert.equal(engine.search(Object.create({ q: "inherited is ignored" })).total, 232);
  throwsError(
    () => engine.search(new Date(0)),
    /search: invalid type: string "1970-01-01T00:00:00.000Z", expected struct SearchRequest/,
  );
});

test("random requests: always an answer or an Error", () => {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const scalars = [
    undefined,
    null,
    true,
    false,
    0,
    1,
    -1,
    3,
    9,
    10,
    1000,
    1001,
    2 ** 32,
    2 ** 53,
    -0,
    1.5,
    NaN,
    Infinity,
    "",
    "盐碱地",
    "need",
    "result",
    "needs",
    "date",
    "deadline",
    "relevance",
    "2026-11-21",
    "0000-00-00",
    "北京市",
    "N-2026-0001",
    "\ud800",
    "x".repeat(3000),
  ];
  const keys = [
    "q",
    "kind",
    "filters",
    "trl",
    "open",
    "sort",
    "page",
    "size",
    "today",
    "id",
    "text",
    "tags",
    "side",
    "industries",
    "fields",
    "modes",
    "region",
    "min",
    "max",
    "trl_min",
    "trl_max",
    "deadline",
    "x",
  ];
  const value = (depth) => {
    const r = rnd();
    if (depth > 2 || r < 0.55) return pick(scalars);
    if (r < 0.75) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
    return object(depth + 1);
  };
  const object = (depth) =>
    Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, () => [pick(keys), value(depth)]));
  let answers = 0;
  let errors = 0;
  for (let i = 0; i < 3000; i++) {
    const req = rnd() < 0.9 ? object(0) : value(0);
    const opts = rnd() < 0.5 ? undefined : value(1);
    for (const call of [
      () => engine.search(req),
      () => engine.match(req, opts),
      () => engine.get(req),
      () => engine.rank(req, opts),
    ]) {
      if (survives(call, `#${i} ${JSON.stringify(req)}`)) errors++;
      else answers++;
    }
  }
  assert.ok(answers > 100 && errors > 100, `${answers} answers, ${errors} errors`);
});

test("a forged header length near 2^32 is an Error, loaded whole or lazily (no 32-bit wrap)", () => {
  const good = fs.readFileSync(seedBundle());
  for (const len of [0xfffffff0, 0xffffffff, 0xffffffec, 0x80000000]) {
    const forged = Buffer.from(good);
    forged.writeUInt32LE(len, 12);
    const what = `header length ${len.toString(16)}`;
    const e = survives(() => Engine.load(forged), `${what}, whole`);
    assert.match(e?.message ?? "", /truncated/, `${what}, whole`);
    assert.equal(Engine.openingLength(forged.subarray(0, 64)), 20 + len, `${what}: the opening it names`);
    const lazy = survives(
      () => Engine.openLazy("http://127.0.0.1:9/none.bundle", forged.length, forged.subarray(0, 16384)),
      `${what}, lazily`,
    );
    assert.ok(lazy, `${what}, lazily: refused`);
  }
});

test("a byte damaged on the way to a lazy engine is a BundleCorruptedError, and the block is fetched anew", () => {
  const good = fs.readFileSync(seedBundle());
  const lazy = Engine.openLazy(
    "http://127.0.0.1:9/none.bundle",
    good.length,
    good.subarray(0, Engine.openingLength(good)),
  );
  const req = { q: "激光 熔覆", size: 20 };
  const strip = (r) => (delete r.tookMs, r);
  const whole = strip(engine.search(req));
  let damaged = 0;
  for (let round = 0; round < 12; round++) {
    let plan;
    try {
      plan = lazy.planSearch(req);
    } catch (e) {
      assert.equal(e.name, "BundleCorruptedError", e.message);
      assert.match(e.message, /bytes \d+–\d+ \((files|check table)\) do not match their checksum/);
      damaged++;
      continue;
    }
    if (!plan.fetch) {
      assert.deepEqual(strip(plan), whole);
      break;
    }
    plan.fetch.forEach(([start, end], i) => {
      const bytes = Uint8Array.from(good.subarray(start, end));
      if (round === 0 && i === 0) bytes[0] ^= 0x04; // a block the plan asked for
      lazy.supply(start, bytes);
    });
  }
  assert.equal(damaged, 1, "the damaged round is reported once");
  lazy.free();
});

test("the engine's Errors name their kind", () => {
  const name = (fn) => survives(fn, "")?.name;
  assert.equal(
    name(() => Engine.load(new Uint8Array([1, 2, 3]))),
    "BundleError",
  );
  assert.equal(
    name(() => Engine.load(fs.readFileSync(seedBundle()).subarray(0, 5000))),
    "BundleTruncatedError",
  );
  assert.equal(
    name(() => engine.search({ q: "x", size: 0 })),
    "RequestError",
  );
  assert.equal(
    name(() => engine.match({ id: "N-0000-none" })),
    "NotFoundError",
  );
});

test("the engine answers as before after all of it", () => {
  assert.deepEqual(reference(), before);
  assert.equal(engine.stats().records, 232);
});
