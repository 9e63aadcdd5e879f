// www/tech-match/engine.js in a real browser (headless Chromium via playwright-core): the worker downloads with
// progress and opens the bundle, answers as the WASM engine does in node, supersedes older searches
// with an AbortError, rejects bad bundles and bad requests with Errors, and keeps the main thread free.
// Skipped when Chromium or playwright-core is absent (CHROMIUM=/path/to/chrome to choose one).
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import test from "node:test";
import zlib from "node:zlib";

import { rangeReply } from "../../bench/lib/browser-kit.mjs";
import { chromium, cslBundle, launchChromium, ROOT, seedBundle, wasm } from "./helpers.mjs";

const WIDGET = path.join(ROOT, "www/tech-match");

const { executable, playwright, skip } = await chromium();

const TYPES = {
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".html": "text/html",
  ".bundle": "application/octet-stream",
};

/** What `/r/NAME` and `/1/NAME` do to Range requests (see serve): answer, fail or cut short; requests and
 *  file bytes they answered. */
const ranges = { fail: false, short: false, requests: 0, bytes: 0 };

/** Serves a Range request as a static host does (rangeReply): several ranges in one multipart response,
 *  or, when `multi` is false, the whole file for them as hosts without multipart do; 503 or half the
 *  bytes when told to fail. */
function serveRange(req, res, body, multi) {
  let header = req.headers.range ?? "";
  // Hosts without multipart answer several ranges with the whole file, or with the first range only.
  if (multi === "first") header = header.split(",")[0];
  const reply = multi || !header.includes(",") ? rangeReply(header, body) : null;
  ranges.requests += 1;
  if (!reply)
    return res
      .writeHead(200, {
        "Content-Type": "application/octet-stream",
        "Content-Length": body.length,
        "Accept-Ranges": "bytes",
      })
      .end(body);
  if (ranges.fail) return res.writeHead(503).end("unavailable");
  const sent = ranges.short ? reply.body.subarray(0, reply.body.length >> 1) : reply.body;
  ranges.bytes += ranges.short ? sent.length : reply.payload;
  res.writeHead(reply.status, { ...reply.headers, "Content-Length": sent.length });
  res.end(sent);
}

/** Serves www/tech-match/ and test bundles on 127.0.0.1: `/b/NAME` plain (no Range), `/slow/NAME` in delayed chunks,
 *  `/chunked/NAME` without Content-Length, `/r/NAME` with Range requests, `/1/NAME` and `/first/NAME`
 *  with one range per request only (see `ranges`, `serveRange`). */
function serve(bundles) {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://x");
    const [, mode, name] = url.pathname.split("/");
    if (["r", "1", "first"].includes(mode)) {
      if (!bundles[name]) return res.writeHead(404).end("not found");
      return serveRange(req, res, bundles[name], { r: true, 1: false, first: "first" }[mode]);
    }
    if (["b", "slow", "chunked"].includes(mode)) {
      const body = bundles[name];
      if (!body) return res.writeHead(404).end("not found");
      const headers = { "Content-Type": "application/octet-stream" };
      if (mode !== "chunked") headers["Content-Length"] = body.length;
      res.writeHead(200, headers);
      if (mode === "b") return res.end(body);
      for (let at = 0; at < body.length; at += 256 << 10) {
        res.write(body.subarray(at, at + (256 << 10)));
        await new Promise((r) => setTimeout(r, mode === "slow" ? 20 : 1));
      }
      return res.end();
    }
    const file = path.join(WIDGET, url.pathname === "/" ? "test.html" : path.normalize(url.pathname));
    if (url.pathname === "/" || url.pathname === "/test.html") {
      return res
        .writeHead(200, { "Content-Type": "text/html" })
        .end("<!doctype html><meta charset=utf-8><title>engine test</title>");
    }
    if (!file.startsWith(WIDGET) || !fs.existsSync(file)) return res.writeHead(404).end("not found");
    res
      .writeHead(200, { "Content-Type": TYPES[path.extname(file)] ?? "application/octet-stream" })
      .end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/**
 * `bundle` with byte `at` of its first file flipped and the checksums made right again: a forged
 * bundle that passes every check and makes tantivy panic inside the engine (each of these flips
 * makes a search panic natively; see the offsets in tests/suite/robustness.rs).
 */
function forged(bundle) {
  const headerEnd = 20 + bundle.readUInt32LE(12);
  const header = JSON.parse(bundle.subarray(20, headerEnd).toString("utf8"));
  const file = header.files[0];
  for (const at of [
    698, 699, 719, 720, 721, 749, 750, 820, 827, 828, 858, 859, 909, 910, 936, 937, 972, 973, 1023, 1024,
  ]) {
    const out = Buffer.from(bundle);
    out[file.offset + (at % file.len)] ^= 0xff;
    file.crc32 = zlib.crc32(out.subarray(file.offset, file.offset + file.len));
    // A checksum with fewer digits is made up by spaces (JSON allows them); more would move the files.
    const text = JSON.stringify(header);
    if (text.length > headerEnd - 20) continue;
    const json = Buffer.from(text.padEnd(headerEnd - 20));
    json.copy(out, 20);
    out.writeUInt32LE(zlib.crc32(json), 16);
    return out;
  }
  throw new Error("no forged bundle fits the header's length");
}

test("engine.js in Chromium", { skip, timeout: 120_000 }, async (t) => {
  const seeds = fs.readFileSync(seedBundle());
  const csl = cslBundle();
  const future = Buffer.from(seeds);
  const version = seeds.readUInt32LE(8);
  future.writeUInt32LE(version + 1, 8);
  const bundles = {
    "seeds.bundle": seeds,
    "truncated.bundle": seeds.subarray(0, seeds.length >> 1),
    "future.bundle": future,
    "junk.bundle": Buffer.from("PK\u0003\u0004 a zip file, not a bundle"),
    "forged.bundle": forged(seeds),
  };
  if (csl) bundles["csl.bundle"] = fs.readFileSync(csl);
  const server = await serve(bundles);
  const origin = `http://127.0.0.1:${server.address().port}`;
  t.after(() => server.close());
  const browser = await launchChromium(playwright, executable, ["--no-sandbox"]);
  t.after(() => browser.close());
  const page = await browser.newPage();
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(e));
  await page.goto(`${origin}/test.html`);

  // The node engine's answers, to compare with.
  const { Engine } = await wasm();
  const reference = Engine.load(seeds);
  const whole = csl ? Engine.load(bundles["csl.bundle"]) : null;
  const strip = (r) => {
    delete r.tookMs;
    return r;
  };
  const requests = [
    { q: "盐碱地 改良" },
    { q: "催化", kind: "result", filters: { region: ["北京市"] }, size: 3 },
    { kind: "needs", sort: "deadline", size: 20 },
  ];

  await t.test("loads with progress, then answers as the engine in node does", async () => {
    const out = await page.evaluate(async (requests) => {
      const { createEngine } = await import("/engine.js");
      const progress = [];
      const engine = await createEngine("/slow/seeds.bundle", { onProgress: (p) => progress.push(p) });
      const answers = [];
      for (const r of requests) answers.push(await engine.search(r));
      const match = await engine.match({ id: "N-2026-0001", today: "2026-11-21" }, { size: 4 });
      const record = await engine.get("N-2026-0001");
      const missing = await engine.get("nope");
      const stats = await engine.stats();
      engine.terminate();
      const afterTerminate = await engine.stats().then(
        () => "resolved",
        (e) => e.message,
      );
      return { progress, info: engine.info, answers, match, record, missing, stats, afterTerminate };
    }, requests);
    const downloads = out.progress.filter((p) => p.phase === "download");
    assert.ok(downloads.length >= 3, `${downloads.length} progress events`);
    assert.ok(
      downloads.every((p, i) => i === 0 || p.loaded >= downloads[i - 1].loaded),
      "progress only grows",
    );
    assert.ok(
      downloads.every((p) => p.total === seeds.length),
      "Content-Length is the total",
    );
    assert.equal(downloads.at(-1).loaded, seeds.length);
    assert.equal(out.progress.at(-1).phase, "open");
    assert.equal(out.info.bytes, seeds.length);
    out.answers.forEach((a, i) => {
      assert.equal(typeof a.tookMs, "number");
      assert.deepEqual(strip(a), strip(reference.search(requests[i])));
    });
    assert.deepEqual(strip(out.match), strip(reference.match({ id: "N-2026-0001", today: "2026-11-21" }, { size: 4 })));
    assert.deepEqual(out.record, reference.get("N-2026-0001"));
    assert.equal(out.missing, null);
    assert.deepEqual(out.stats, reference.stats());
    assert.match(out.afterTerminate, /terminated/);
  });

  await t.test("without Content-Length the total is 0 until the end", async () => {
    const progress = await page.evaluate(async () => {
      const { createEngine } = await import("/engine.js");
      const progress = [];
      const engine = await createEngine("/chunked/seeds.bundle", { onProgress: (p) => progress.push(p) });
      engine.terminate();
      return progress;
    });
    const downloads = progress.filter((p) => p.phase === "download");
    assert.ok(downloads.slice(0, -1).every((p) => p.total === 0));
    assert.deepEqual(downloads.at(-1), { phase: "download", loaded: seeds.length, total: seeds.length });
  });

  await t.test("a newer search supersedes older pending ones; engine errors reject with Errors", async () => {
    const out = await page.evaluate(async () => {
      const { createEngine } = await import("/engine.js");
      const engine = await createEngine("/b/seeds.bundle");
      const settled = await Promise.allSettled([
        engine.search({ q: "激光" }),
        engine.search({ q: "激光 打标" }),
        engine.search({ q: "盐碱地" }),
      ]);
      const describe = (s) =>
        s.status === "fulfilled"
          ? { ok: s.value.hits[0]?.title }
          : { name: s.reason.name, message: s.reason.message, isError: s.reason instanceof Error };
      const errors = [];
      for (const call of [
        () => engine.search({ size: 0 }),
        () => engine.search({ filters: { colour: ["red"] } }),
        () => engine.match({ id: "nope" }),
        () => engine.search({ q: "x", f() {} }),
        () => engine.get(42),
      ]) {
        errors.push(
          await call().then(
            (value) => ({ status: "fulfilled", value }),
            (reason) => ({ status: "rejected", reason }),
          ),
        );
      }
      // Matches and gets are never superseded.
      const parallel = await Promise.all([
        engine.match({ id: "N-2026-0001" }),
        engine.match({ id: "R-2026-0043" }),
        engine.get("N-2026-0001"),
      ]);
      engine.terminate();
      return {
        settled: settled.map(describe),
        errors: errors.map(describe),
        parallel: parallel.map((p) => p && (p.hits?.length ?? p.id)),
      };
    });
    assert.deepEqual(
      out.settled.slice(0, 2).map((s) => s.name),
      ["AbortError", "AbortError"],
    );
    assert.ok(out.settled[0].isError, "an AbortError is an Error");
    assert.match(out.settled[2].ok, /盐碱地/);
    assert.deepEqual(
      out.errors.map((e) => e.isError),
      [true, true, true, true, true],
    );
    assert.match(out.errors[0].message, /size: must be from 1 to 1000, found 0/);
    assert.match(out.errors[1].message, /filters: unknown field "colour"/);
    assert.match(out.errors[2].message, /no record with id "nope"/);
    assert.match(out.errors[3].message, /invalid request: .*could not be cloned/);
    assert.match(out.errors[4].message, /get: the id must be a string/);
    assert.deepEqual(out.parallel, [10, 10, "N-2026-0001"]);
  });

  await t.test("bad bundles and bad URLs reject createEngine with the reason", async () => {
    const out = await page.evaluate(async () => {
      const { createEngine } = await import("/engine.js");
      const messages = {};
      for (const name of ["truncated", "future", "junk", "missing"]) {
        messages[name] = await createEngine(`/b/${name}.bundle`).then(
          () => "loaded",
          (e) => e.message,
        );
      }
      return messages;
    });
    assert.match(out.truncated, /bundle is truncated: \d+ bytes of \d+ \(download incomplete\?\)/);
    assert.match(
      out.future,
      new RegExp(`bundle format version ${version + 1} is not supported: this engine reads version ${version}`),
    );
    assert.match(out.junk, /not a techmatch bundle/);
    assert.match(out.missing, /cannot download the bundle .*missing\.bundle: HTTP 404/);
  });

  await t.test("a trap inside the WASM engine fails that request and ends the engine; a new one works", async () => {
    const out = await page.evaluate(async () => {
      const { createEngine } = await import("/engine.js");
      const engine = await createEngine("/b/forged.bundle");
      const trapped = await engine.search({ q: "技术 涂层" }).then(
        () => "answered",
        (e) => ({ name: e.name, message: e.message }),
      );
      const after = await engine.stats().then(
        () => "answered",
        (e) => e.message,
      );
      const alive = engine.alive;
      const fresh = await createEngine("/b/seeds.bundle");
      const total = (await fresh.search({ q: "技术 涂层" })).total;
      fresh.terminate();
      return { trapped, after, alive, total };
    });
    assert.equal(out.trapped.name, "RuntimeError", JSON.stringify(out.trapped));
    assert.match(out.after, /the techmatch engine stopped after an internal error \(.+\); start it again/);
    assert.equal(out.alive, false);
    assert.ok(out.total > 0);
  });

  await t.test(
    "a lazily opened bundle answers as the whole one, fetching a fraction of it",
    { skip: !csl && "../shared/data/csl is absent" },
    async () => {
      const cslBytes = bundles["csl.bundle"];
      const queries = fs
        .readFileSync(path.join(ROOT, "../shared/data/csl/queries_keyword.tsv"), "utf8")
        .trim()
        .split("\n")
        .slice(0, 40)
        .map((l) => l.split("\t")[1]);
      const requests = [
        ...queries.map((q) => ({ q, size: 10 })),
        { q: "数值模拟", filters: { fields: ["计算机科学与技术"] }, sort: "date", size: 5 },
        { q: "遥感 -土壤", page: 2 },
      ];
      const warnings = [];
      const onConsole = (m) => m.type() === "warning" && warnings.push(m.text());
      page.on("console", onConsole);
      ranges.requests = ranges.bytes = 0;
      const out = await page.evaluate(async (requests) => {
        const { createEngine } = await import("/engine.js");
        const engine = await createEngine("/r/csl.bundle");
        const opened = await engine.transfer();
        const answers = [];
        for (const r of requests) answers.push(await engine.search(r));
        const match = await engine.match({ id: "d00002", today: "2026-11-21" }, { size: 5 });
        const record = await engine.get("d00002");
        const stats = await engine.stats();
        const fetched = await engine.transfer();
        for (const r of requests.slice(0, 10)) await engine.search(r);
        const again = await engine.transfer();
        engine.terminate();
        return { info: engine.info, opened, fetched, again, answers, match, record, stats };
      }, requests);
      const served = ranges.bytes;
      const other = await page.evaluate(async () => {
        const { createEngine } = await import("/engine.js");
        const seeds = await createEngine("/r/seeds.bundle");
        const ignored = await createEngine("/b/csl.bundle", { loading: "lazy" });
        seeds.terminate();
        ignored.terminate();
        return { seeds: seeds.info, ignored: ignored.info };
      });
      assert.equal(out.info.lazy, true, "CSL (over 4 MiB) opens lazily by default");
      assert.equal(out.info.size, cslBytes.length);
      assert.ok(out.opened.bytes < 100_000, `opening fetched ${out.opened.bytes} bytes`);
      out.answers.forEach((a, i) =>
        assert.deepEqual(strip(a), strip(whole.search(requests[i])), JSON.stringify(requests[i])),
      );
      assert.deepEqual(strip(out.match), strip(whole.match({ id: "d00002", today: "2026-11-21" }, { size: 5 })));
      assert.deepEqual(out.record, whole.get("d00002"));
      assert.deepEqual(out.stats, whole.stats());
      assert.ok(out.fetched.bytes < cslBytes.length / 2, `${out.fetched.bytes} of ${cslBytes.length} bytes fetched`);
      assert.deepEqual(out.again, out.fetched, "repeated searches are answered from fetched blocks");
      // The cache holds what the requests fetched, not the opening's header and hot section again.
      assert.ok(
        out.fetched.held > 0 && out.fetched.held < out.fetched.bytes - out.opened.bytes + 65_536,
        JSON.stringify(out),
      );
      assert.equal(served, out.fetched.bytes, "the engine counts what the server sent");
      assert.equal(other.seeds.lazy, false, "a small bundle comes whole");
      assert.equal(other.ignored.lazy, false, "without Range support the bundle comes whole");
      assert.ok(
        warnings.some((w) => /without HTTP Range support/.test(w)),
        `warnings: ${warnings}`,
      );
      page.off("console", onConsole);
    },
  );

  await t.test(
    "a plan's ranges come in one multipart request per round, or one request each from a host without multipart",
    { skip: !csl && "../shared/data/csl is absent" },
    async () => {
      const queries = fs
        .readFileSync(path.join(ROOT, "../shared/data/csl/queries_keyword.tsv"), "utf8")
        .trim()
        .split("\n")
        .slice(40, 70)
        .map((l) => l.split("\t")[1]);
      const run = async (base) => {
        ranges.requests = ranges.bytes = 0;
        const out = await page.evaluate(
          async ({ base, queries }) => {
            const { createEngine } = await import("/engine.js");
            const engine = await createEngine(`/${base}/csl.bundle`, { loading: "lazy" });
            const answers = [];
            for (const q of queries) answers.push(await engine.search({ q, size: 10 }));
            answers.push(await engine.match({ id: "d00002", today: "2026-11-21" }, { size: 5 }));
            const fetched = await engine.transfer();
            engine.terminate();
            return { answers, fetched };
          },
          { base, queries },
        );
        return { ...out, requests: ranges.requests, served: ranges.bytes };
      };
      const [multi, single, first] = [await run("r"), await run("1"), await run("first")];
      const expected = [
        ...queries.map((q) => whole.search({ q, size: 10 })),
        whole.match({ id: "d00002", today: "2026-11-21" }, { size: 5 }),
      ];
      for (const got of [multi, single, first]) {
        got.answers.forEach((a, i) => assert.deepEqual(strip(a), strip(expected[i]), `answer ${i}`));
        assert.equal(got.served, got.fetched.bytes, "the engine counts the file bytes the server sent");
      }
      assert.equal(multi.fetched.bytes, single.fetched.bytes, "the same blocks either way");
      assert.equal(first.fetched.bytes, single.fetched.bytes, "a host that answers the first range only");
      assert.ok(
        first.requests > 3 * multi.requests,
        `${first.requests} requests from a host answering the first range only`,
      );
      // 31 requests in at most five rounds each, plus the opening; one request per range otherwise.
      assert.ok(multi.requests <= 2 + 5 * 31, `${multi.requests} requests with multipart`);
      assert.ok(
        single.requests > 3 * multi.requests,
        `${single.requests} requests without multipart, ${multi.requests} with`,
      );
    },
  );

  await t.test(
    "a failed or short range fetch fails that request; the next one works",
    { skip: !csl && "../shared/data/csl is absent" },
    async () => {
      const call = (what) =>
        page.evaluate(async (what) => {
          globalThis.lazyEngine ??= await (
            await import("/engine.js")
          ).createEngine("/r/csl.bundle", { loading: "lazy" });
          return globalThis.lazyEngine.search({ q: what }).then(
            (r) => ({ total: r.total }),
            (e) => ({ error: e.message }),
          );
        }, what);
      ranges.fail = false;
      await call("预热");
      ranges.fail = true;
      assert.match((await call("有限元 分析")).error, /cannot fetch bytes \d+–\d+ of .*csl\.bundle: HTTP 503/);
      ranges.fail = false;
      ranges.short = true;
      assert.match((await call("遥感 影像")).error, /cannot fetch bytes .*received \d+ bytes/);
      ranges.short = false;
      for (const q of ["有限元 分析", "遥感 影像"]) assert.equal((await call(q)).total, whole.search({ q }).total);
      await page.evaluate(() => globalThis.lazyEngine.terminate());
    },
  );

  await t.test(
    "the main thread stays free while the CSL bundle opens and 300 queries run",
    { skip: !csl && "../shared/data/csl is absent" },
    async (t) => {
      const out = await page.evaluate(async () => {
        const { createEngine } = await import("/engine.js");
        let last = performance.now();
        let worstGap = 0;
        const timer = setInterval(() => {
          const now = performance.now();
          worstGap = Math.max(worstGap, now - last);
          last = now;
        }, 5);
        const started = performance.now();
        const engine = await createEngine("/b/csl.bundle");
        const loaded = performance.now() - started;
        const words = [
          "数值模拟",
          "可持续发展",
          "图书馆",
          "深度学习",
          "土壤",
          "遥感",
          "催化剂",
          "区块链",
          "教育",
          "经济增长",
        ];
        const took = [];
        const t0 = performance.now();
        for (let i = 0; i < 300; i++)
          took.push((await engine.search({ q: `${words[i % 10]} ${words[(i * 7) % 10]}`, size: 10 })).tookMs);
        const roundTrip = (performance.now() - t0) / 300;
        clearInterval(timer);
        engine.terminate();
        took.sort((a, b) => a - b);
        return { loaded, info: engine.info, worstGap, roundTrip, p50: took[150], p95: took[285] };
      });
      t.diagnostic(
        `Chromium: CSL createEngine ${out.loaded.toFixed(0)} ms (download ${out.info.downloadMs.toFixed(0)} ms, Engine.load ${out.info.openMs.toFixed(0)} ms); search in worker p50 ${out.p50.toFixed(2)} ms p95 ${out.p95.toFixed(2)} ms, round trip ${out.roundTrip.toFixed(2)} ms; longest main-thread gap ${out.worstGap.toFixed(0)} ms`,
      );
      assert.ok(out.worstGap < 250, `the main thread was blocked for ${out.worstGap} ms`);
    },
  );

  assert.deepEqual(pageErrors, []);
});
