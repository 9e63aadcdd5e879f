// The demo portal served for the browser tests (demo.test, desk.test): a copy of www/ per test with the bundles it
// needs, headless Chromium on it, and the records and bundles the tests use.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { FLAGS } from "../../bench/lib/browser-kit.mjs";
import { CLI, ROOT, chromium, cli, launchChromium, seedBundle, tmpdir } from "./helpers.mjs";

export const { executable, playwright, skip } = await chromium();

/** Records in the canonical schema whose texts carry script payloads among Chinese words. */
export function xssBundle() {
  const first = (f) => JSON.parse(fs.readFileSync(path.join(ROOT, f), "utf8").split("\n")[0]);
  const need = {
    ...first("seeds/needs.jsonl"),
    id: "N-XSS-0001",
    title: "<script>window.__xss=1</script>盐碱地改良需求",
    summary:
      '盐碱地 改良 <img src=x onerror="window.__xss=2"> 测试 <svg onload="window.__xss=3"><script>window.__xss=4</script></svg>',
    keywords: ["javascript:window.__xss=5", "盐碱地"],
    deadline: "2099-12-31",
  };
  const result = {
    ...first("seeds/results.jsonl"),
    id: "R-XSS-0001",
    title: "<img src=x onerror=window.__xss=6>盐碱地改良成果",
    summary: '盐碱地 改良 <a href="javascript:window.__xss=7">点我</a> <svg><animate onbegin="window.__xss=8"/></svg>',
    holder: "<b>恶意</b>单位",
  };
  // A spreadsheet formula as a title, a very long word and zero-width characters (bidirectional controls are
  // refused by the build: tests/suite/bad_input.rs).
  const formula = {
    ...first("seeds/results.jsonl"),
    id: "R-XSS-0002",
    title: '=HYPERLINK("http://evil","点我")盐碱地改良',
    summary: `盐碱地 改良 ${"超长词".repeat(120)} 零\u200B宽`,
  };
  const dir = tmpdir();
  const input = path.join(dir, "xss.jsonl");
  fs.writeFileSync(input, [need, result, formula].map((r) => JSON.stringify(r)).join("\n") + "\n");
  cli("build", input, "--out", dir);
  return { bundle: path.join(dir, "techmatch.bundle"), need, result, formula };
}

/** A copy of `www/` in a temporary folder with `bundles` ({name: file}) as its data, served by `techmatch serve` on
 *  a free port (each test its own site, so test files may run side by side); resolves with the base URL, the
 *  site's data folder and the process. */
function serveWww(bundles) {
  const site = tmpdir();
  fs.cpSync(path.join(ROOT, "www"), site, {
    recursive: true,
    filter: (f) => !f.startsWith(path.join(ROOT, "www/data")),
  });
  const data = path.join(site, "data");
  fs.mkdirSync(data, { recursive: true });
  for (const [name, file] of Object.entries(bundles)) fs.copyFileSync(file, path.join(data, name));
  return serveFolder(site).then((served) => ({ ...served, data }));
}

/** Serves folder `site` with `techmatch serve` on a free port; resolves with its base URL and the process. */
function serveFolder(site) {
  const server = spawn(CLI, ["serve", site, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    server.stdout.on("data", (chunk) => {
      const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(String(chunk));
      if (url) resolve({ base: url[0], server });
    });
    server.on("exit", (code) => reject(new Error(`techmatch serve exited with ${code}`)));
  });
}

/** Runs `fn({ page, base, data, problems })` in a new headless Chromium on the demo served with `bundle` as its
 *  bundle (and `extra` bundles beside it), or on folder `site` as it is; `problems` collects the page's errors. */
export async function withBrowser(
  fn,
  { bundle = seedBundle(), extra = {}, viewport = { width: 1280, height: 900 }, site } = {},
) {
  const { base, data, server } = site
    ? await serveFolder(site)
    : await serveWww({ "techmatch.bundle": bundle, ...extra });
  let browser;
  try {
    browser = await launchChromium(playwright, executable, FLAGS);
    const context = await browser.newContext({ acceptDownloads: true, viewport });
    const page = await context.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push(e.message));
    page.on(
      "console",
      (m) => m.type() === "error" && !/Failed to load resource.*404/.test(m.text()) && problems.push(m.text()),
    );
    await fn({ page, base, data, problems });
  } finally {
    await browser?.close();
    server.kill();
  }
}

export const status = (page) => page.textContent("tech-match >> .status");

/** The seed bundle without the seed results that mention `word` (but the first): the portal as
 *  it was before those results were published. */
export function seedBundleWithout(word) {
  const dir = tmpdir();
  const lines = fs
    .readFileSync(path.join(ROOT, "seeds/results.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim());
  const hits = lines.filter((l) => l.includes(word));
  const kept = lines.filter((l) => !hits.slice(1).includes(l));
  fs.writeFileSync(path.join(dir, "results.jsonl"), kept.join("\n") + "\n");
  cli("build", path.join(ROOT, "seeds/needs.jsonl"), path.join(dir, "results.jsonl"), "--out", dir);
  return { bundle: path.join(dir, "techmatch.bundle"), added: hits.length - 1 };
}

/** Saves a screenshot under test-artifacts/screenshots/. */
export async function shot(page, name) {
  const dir = path.join(ROOT, "test-artifacts/screenshots");
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: false });
}
