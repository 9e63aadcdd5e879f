// Range answers written twice, once per language: `techmatch serve` (src/tools/serve.rs) for the demo and
// `rangeReply` (bench/lib/browser-kit.mjs) for the browser tests and benchmarks. This test asks both the
// same Range headers over the same file and requires the same status, headers and bytes.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { BOUNDARY, MAX_RANGES, rangeReply } from "../../bench/lib/browser-kit.mjs";
import { CLI } from "./helpers.mjs";

const HEADERS = [
  undefined,
  "bytes=0-99",
  "bytes=900-",
  "bytes=-100",
  "bytes=990-2000",
  "bytes=0-1, 5-6,2000-",
  "bytes= 3 - 7 ,10-12",
  "bytes=0-0,999-999,500-510",
  "bytes=10-20,15-30,31-40,0-3",
  "bytes=0-,0-",
  "bytes=1000-",
  "bytes=5-1",
  "bytes=0-1,x",
  "bytes=-",
  "items=0-1",
  `bytes=${Array(MAX_RANGES).fill("0-1").join(",")}`,
  `bytes=${Array(MAX_RANGES + 1)
    .fill("0-1")
    .join(",")}`,
];

/** Starts `techmatch serve DIR` on a free port; resolves to {origin, stop}. */
function startServe(dir) {
  const child = spawn(CLI, ["serve", dir, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`techmatch serve exited with ${code}: ${out}`)));
    child.stdout.on("data", (d) => {
      out += d;
      const m = /at (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) resolve({ origin: m[1], stop: () => child.kill() });
    });
  });
}

function get(url, range) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: range === undefined ? {} : { Range: range } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
  });
}

test("techmatch serve and rangeReply give the same answer to every Range header", { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-multipart-"));
  const file = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7 + 3) % 256));
  fs.writeFileSync(path.join(dir, "x.bundle"), file);
  const server = await startServe(dir);
  try {
    for (const header of HEADERS) {
      const served = await get(`${server.origin}/x.bundle`, header);
      const reply = rangeReply(header, file) ?? { status: 200, headers: {}, body: file };
      const what = `Range: ${header === undefined ? "(none)" : header.slice(0, 40)}`;
      assert.equal(served.status, reply.status, what);
      assert.equal(served.headers["content-range"], reply.headers["Content-Range"], what);
      if (reply.status === 206) assert.equal(served.headers["content-type"], reply.headers["Content-Type"], what);
      assert.ok(
        served.body.equals(reply.body),
        `${what}: the bodies differ (${served.body.length} and ${reply.body.length} bytes)`,
      );
    }
    // The multipart case really was multipart, with the shared boundary.
    const multi = await get(`${server.origin}/x.bundle`, "bytes=0-1,5-6");
    assert.equal(multi.headers["content-type"], `multipart/byteranges; boundary=${BOUNDARY}`);
  } finally {
    server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
