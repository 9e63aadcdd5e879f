// The demo portal as a broker uses it, in headless Chromium: served by `techmatch serve` on
// 127.0.0.1 under its strict Content-Security-Policy, it loads the seeds bundle in the worker,
// answers a typed query with highlighted hits, filters by a facet, and shows matches with reasons.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import test from "node:test";

import { CLI, ROOT, seedBundle } from "./helpers.mjs";

const executable = [process.env.CHROMIUM, "/usr/lib/chromium/chromium", "/usr/bin/chromium"].find((p) => p && fs.existsSync(p));
const playwright = await import("playwright-core").catch(() => null);
const skip = !executable ? "no Chromium found (set CHROMIUM)" : !playwright ? "playwright-core is not installed (npm install)" : false;

/** Starts `techmatch serve www` on a free port; resolves with its base URL and the process. */
function serveWww() {
  fs.mkdirSync(path.join(ROOT, "www/data"), { recursive: true });
  fs.copyFileSync(seedBundle(), path.join(ROOT, "www/data/techmatch.bundle"));
  const server = spawn(CLI, ["serve", path.join(ROOT, "www"), "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    server.stdout.on("data", (chunk) => {
      const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(String(chunk));
      if (url) resolve({ base: url[0], server });
    });
    server.on("exit", (code) => reject(new Error(`techmatch serve exited with ${code}`)));
  });
}

test("the demo page searches, filters and matches in the worker", { skip, timeout: 120_000 }, async () => {
  const { base, server } = await serveWww();
  const browser = await playwright.chromium.launch({
    executablePath: executable,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
  try {
    const page = await browser.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    await page.goto(base);
    await page.waitForFunction(() => document.querySelectorAll("#hits > li").length > 0, null, { timeout: 30_000 });

    await page.fill("#q", "盐碱地 改良");
    await page.waitForFunction(() => document.querySelector("#status").textContent.startsWith("共") && document.querySelector("#hits mark"), null, { timeout: 10_000 });
    const first = await page.$eval("#hits > li", (li) => ({ title: li.querySelector(".title").textContent, marks: [...li.querySelectorAll("mark")].map((m) => m.textContent) }));
    assert.match(first.title, /盐碱/);
    assert.ok(first.marks.some((m) => /盐碱|改良/.test(m)), `highlights: ${first.marks}`);
    const total = Number(/共 (\d+) 条/.exec(await page.textContent("#status"))[1]);

    // Tick the first industry facet: the total shrinks to its count.
    const facet = await page.$("#facets label:has-text('现代农业')");
    const count = Number(/\((\d+)\)/.exec(await facet.textContent())[1]);
    await facet.click();
    await page.waitForFunction((n) => document.querySelector("#status").textContent.includes(`共 ${n} 条`), count, { timeout: 10_000 });
    assert.ok(count <= total);

    // Find matches for the first hit: ranked counterparts with their reasons.
    await page.click("#hits > li .title");
    await page.waitForFunction(() => document.querySelectorAll("#match-hits .reasons li").length > 0, null, { timeout: 10_000 });
    const reasons = await page.$$eval("#match-hits > li:first-child .reasons li", (lis) => lis.map((l) => l.textContent));
    assert.ok(reasons.some((r) => r.startsWith("匹配词")), reasons.join(" | "));
    assert.deepEqual(problems, [], "no errors on the page (CSP included)");
  } finally {
    await browser.close();
    server.kill();
  }
});
