// Engine.load: a good bundle opens; every kind of bad bundle is a JavaScript Error naming the problem.
import assert from "node:assert/strict";
import fs from "node:fs";
import test from "node:test";

import { cli, seedBundle, throwsError, wasm } from "./helpers.mjs";

const { Engine } = await wasm();
const path = seedBundle();
const good = new Uint8Array(fs.readFileSync(path));

test("a good bundle loads; stats match the native inspect", () => {
  const engine = Engine.load(good);
  const stats = engine.stats();
  assert.equal(stats.records, 232);
  assert.deepEqual(stats.counts, { needs: 58, challenges: 14, results: 160 });
  assert.equal(stats.bundle_bytes, good.length);
  assert.equal(stats.facets.kind.result, 160);
  assert.equal(Object.getPrototypeOf(stats.facets), Object.prototype, "maps are plain objects");
  assert.deepEqual(stats, JSON.parse(cli("inspect", path, "--json")));
  engine.free();
});

test("an ArrayBuffer works as well as a Uint8Array, and the input is not kept", () => {
  const copy = good.slice();
  const engine = Engine.load(copy.buffer);
  copy.fill(0);
  assert.equal(engine.stats().records, 232);
  assert.equal(engine.search({ q: "盐碱地" }).hits.length > 0, true);
});

test("a truncated bundle says so, wherever it is cut", () => {
  for (const cut of [1, 7, 8, 19, 20, 100, 1000, good.length >> 1, good.length - 1]) {
    throwsError(
      () => Engine.load(good.subarray(0, cut)),
      /bundle is truncated: \d+ bytes of \d+ \(download incomplete\?\)/,
      `cut at ${cut}`,
    );
  }
});

test("a flipped byte is caught: in the header, the file table or a file", () => {
  const headerLen = new DataView(good.buffer, good.byteOffset).getUint32(12, true);
  const cases = [
    [0, /not a techmatch bundle/],
    [17, /bundle is corrupted: header checksum mismatch/],
    [20 + (headerLen >> 1), /bundle is corrupted: header checksum mismatch/],
    [20 + headerLen + 10, /bundle is corrupted: checksum mismatch in /],
    [good.length - 1, /bundle is corrupted: checksum mismatch in /],
    [good.length >> 1, /bundle is corrupted: checksum mismatch in /],
  ];
  for (const [at, pattern] of cases) {
    const bad = good.slice();
    bad[at] ^= 0x01;
    throwsError(() => Engine.load(bad), pattern, `flip at ${at}`);
  }
});

test("a bundle of a future format version names both versions", () => {
  const bad = good.slice();
  const version = new DataView(good.buffer).getUint32(8, true);
  new DataView(bad.buffer).setUint32(8, version + 1, true);
  throwsError(
    () => Engine.load(bad),
    new RegExp(
      `bundle format version ${version + 1} is not supported: this engine reads version ${version}; rebuild the bundle`,
    ),
  );
});

test("bytes that are no bundle, and values that are no bytes", () => {
  let seed = 7;
  const random = new Uint8Array(4096).map(() => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff);
  throwsError(() => Engine.load(random), /not a techmatch bundle/);
  throwsError(() => Engine.load(new Uint8Array(0)), /not a techmatch bundle/);
  throwsError(() => Engine.load(new TextEncoder().encode("PK\u0003\u0004 a zip file")), /not a techmatch bundle/);
  // Magic and version right, garbage after: still an Error, not a trap.
  const junk = new Uint8Array(4096).map((_, i) => (i * 31) & 0xff);
  junk.set(good.subarray(0, 12));
  throwsError(() => Engine.load(junk), /bundle is (truncated|corrupted)/);
  for (const value of [undefined, null, 42, "techmatch.bundle", [1, 2, 3], {}, new Uint16Array(4)]) {
    throwsError(() => Engine.load(value), /expected the bundle as a Uint8Array or an ArrayBuffer/, String(value));
  }
});

test("an engine keeps working after failed loads", () => {
  throwsError(() => Engine.load(new Uint8Array(10)), /not a techmatch bundle/);
  const engine = Engine.load(good);
  assert.ok(engine.search({ q: "催化" }).total > 0);
});
