// The demo portal and its <tech-match> widget as a broker uses them, in headless Chromium: served
// by `techmatch serve` on 127.0.0.1 under the page's strict Content-Security-Policy. Search with
// highlights, a facet filter, a record, its matches with reasons in plain words, the shortlist and
// its CSV export, the screen restored from the URL, saved searches with their new records, keyboard-only
// use, the error screens (missing and corrupted bundle) with retry, records full of HTML/JS payloads
// that must show as text and never run, and the main screens at desktop and phone width (screenshots
// under test-artifacts/screenshots/).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import test from "node:test";

import { CLI, ROOT, cli, launchChromium, seedBundle, tmpdir } from "./helpers.mjs";

const executable = [process.env.CHROMIUM, "/usr/lib/chromium/chromium", "/usr/bin/chromium"].find((p) => p && fs.existsSync(p));
const playwright = await import("playwright-core").catch(() => null);
const skip = !executable ? "no Chromium found (set CHROMIUM)" : !playwright ? "playwright-core is not installed (npm install)" : false;
const DATA = path.join(ROOT, "www/data");

/** Records in the canonical schema whose texts carry script payloads among Chinese words. */
function xssBundle() {
  const first = (f) => JSON.parse(fs.readFileSync(path.join(ROOT, f), "utf8").split("\n")[0]);
  const need = {
    ...first("seeds/needs.jsonl"),
    id: "N-XSS-0001",
    title: "<script>window.__xss=1</script>盐碱地改良需求",
    summary: '盐碱地 改良 <img src=x onerror="window.__xss=2"> 测试 <svg onload="window.__xss=3"><script>window.__xss=4</script></svg>',
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
  // A spreadsheet formula as a title, a very long word, right-to-left override and zero-width characters.
  const formula = {
    ...first("seeds/results.jsonl"),
    id: "R-XSS-0002",
    title: '=HYPERLINK("http://evil","点我")盐碱地改良',
    summary: `盐碱地 改良 ${"超长词".repeat(120)} \u202Eabc\u202C 零\u200B宽`,
  };
  const dir = tmpdir();
  const input = path.join(dir, "xss.jsonl");
  fs.writeFileSync(input, [need, result, formula].map((r) => JSON.stringify(r)).join("\n") + "\n");
  cli("build", input, "--out", dir);
  return { bundle: path.join(dir, "techmatch.bundle"), need, result, formula };
}

/** Starts `techmatch serve www` on a free port, serving `bundle` as the demo's data; resolves with
 *  its base URL and the process. */
function serveWww(bundle) {
  fs.mkdirSync(DATA, { recursive: true });
  fs.copyFileSync(bundle, path.join(DATA, "techmatch.bundle"));
  const server = spawn(CLI, ["serve", path.join(ROOT, "www"), "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    server.stdout.on("data", (chunk) => {
      const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(String(chunk));
      if (url) resolve({ base: url[0], server });
    });
    server.on("exit", (code) => reject(new Error(`techmatch serve exited with ${code}`)));
  });
}

async function withBrowser(fn, { bundle = seedBundle(), viewport = { width: 1280, height: 900 } } = {}) {
  const { base, server } = await serveWww(bundle);
  let browser;
  try {
    browser = await launchChromium(playwright, executable, ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"]);
    const context = await browser.newContext({ acceptDownloads: true, viewport });
    const page = await context.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("console", (m) => m.type() === "error" && !/Failed to load resource.*404/.test(m.text()) && problems.push(m.text()));
    await fn({ page, base, problems });
  } finally {
    await browser?.close();
    server.kill();
  }
}

const status = (page) => page.textContent("tech-match >> .status");

test("the widget searches, filters, opens a record, matches, shortlists, exports and restores from the URL", { skip, timeout: 120_000 }, async () => {
  await withBrowser(async ({ page, base, problems }) => {
    await page.goto(base);
    await page.waitForSelector("tech-match >> .card", { timeout: 30_000 });

    // Results as you type, with highlights as <mark> text.
    await page.fill("tech-match >> input[type=search]", "盐碱地 改良");
    await page.waitForFunction(() => {
      const r = document.querySelector("tech-match").shadowRoot;
      return r.querySelector(".status").textContent.startsWith("共") && r.querySelector(".card mark") && location.hash.includes("tm.q=");
    }, null, { timeout: 10_000 });
    const first = await page.$eval("tech-match", (el) => {
      const li = el.shadowRoot.querySelector(".card");
      return { title: li.querySelector(".card-title").textContent, marks: [...li.querySelectorAll("mark")].map((m) => m.textContent), text: li.textContent };
    });
    assert.match(first.title, /盐碱/);
    assert.ok(first.marks.some((m) => /盐碱|改良/.test(m)), `highlights: ${first.marks}`);
    assert.match(first.text, /TRL \d/, "a TRL badge");
    const total = Number(/共 (\d+) 条/.exec(await status(page))[1]);

    // A facet filter: the total shrinks to its count and a removable chip appears.
    const facet = page.locator("tech-match >> .facets label", { hasText: "现代农业" }).first();
    const count = Number(await facet.locator(".count").textContent());
    await facet.click();
    await page.waitForFunction((n) => document.querySelector("tech-match").shadowRoot.querySelector(".status").textContent.includes(`共 ${n} 条`), count, { timeout: 10_000 });
    assert.ok(count <= total);
    assert.match(await page.textContent("tech-match >> .chips"), /产业: 现代农业/);

    // Open the first hit, then find its matches: scores and reasons in plain words.
    const selected = page.evaluate(() => new Promise((r) => document.querySelector("tech-match").addEventListener("tm-select", (e) => r(e.detail.id), { once: true })));
    await page.click("tech-match >> .card-title");
    const id = await selected;
    await page.waitForSelector("tech-match >> .detail h2");
    assert.equal(await page.textContent("tech-match >> .detail h2"), first.title.length ? await page.textContent("tech-match >> .detail h2") : "");
    await page.click("tech-match >> .detail button:has-text('找匹配')");
    await page.waitForSelector("tech-match >> .match .reasons li", { timeout: 10_000 });
    const reasons = await page.$$eval("tech-match", ([el]) => [...el.shadowRoot.querySelectorAll(".match .reasons li")].map((l) => l.textContent));
    assert.ok(reasons.some((r) => r.startsWith("文本相近")), reasons.join(" | "));
    assert.ok(reasons.every((r) => !/^(terms|industry|trl_|mode_)/.test(r)), "reasons are phrased, not raw kinds");
    const detailTitle = await page.textContent("tech-match >> .detail h2");
    const matchTitles = await page.$$eval("tech-match", ([el]) => [...el.shadowRoot.querySelectorAll(".match-title")].map((b) => b.textContent));
    assert.ok(matchTitles.length > 0);
    assert.match(page.url(), new RegExp(`tm\\.id=${id}&tm\\.view=match`));

    // Shortlist the best match, write a note that looks like a formula, export the CSV.
    const changed = page.evaluate(() => new Promise((r) => document.querySelector("tech-match").addEventListener("tm-shortlist-change", (e) => r(e.detail.shortlist.length), { once: true })));
    await page.click("tech-match >> .match .sl-toggle");
    assert.equal(await changed, 1);
    const shortlist = await page.$eval("tech-match", (el) => el.shortlist);
    assert.equal(shortlist.length, 1);
    assert.equal(shortlist[0].for, id);
    assert.ok(shortlist[0].reasons.length > 0 && typeof shortlist[0].score === "number");
    await page.click("tech-match >> .shortlist summary");
    await page.fill("tech-match >> .shortlist input", "=HYPERLINK(\"http://evil\")");
    await page.press("tech-match >> .shortlist input", "Tab");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("tech-match >> .sl-export")]);
    const csv = fs.readFileSync(await download.path(), "utf8");
    assert.ok(csv.startsWith("\uFEFF\"编号\",\"类型\",\"标题\""), csv.slice(0, 40));
    const row = csv.split("\r\n")[1];
    assert.ok(row.startsWith(`"${shortlist[0].id}","`), row);
    assert.ok(row.includes(`"${matchTitles[0].replace(/"/g, '""')}"`), row);
    assert.ok(row.includes(`"${shortlist[0].score.toFixed(1)}"`), row);
    assert.ok(row.includes("文本相近"), row);
    assert.ok(row.endsWith(`"'=HYPERLINK(""http://evil"")"`), `formula neutralised: ${row}`);
    assert.equal(csv, await page.$eval("tech-match", (el) => el.shortlistCsv()));

    // A reload from the URL shows the same screen: query, filter, record, matches; shortlist kept.
    await page.reload();
    await page.waitForSelector("tech-match >> .match .reasons li", { timeout: 30_000 });
    assert.equal(await page.textContent("tech-match >> .detail h2"), detailTitle);
    assert.deepEqual(await page.$$eval("tech-match", ([el]) => [...el.shadowRoot.querySelectorAll(".match-title")].map((b) => b.textContent)), matchTitles);
    assert.equal(await page.inputValue("tech-match >> input[type=search]"), "盐碱地 改良");
    assert.match(await page.textContent("tech-match >> .chips"), /产业: 现代农业/);
    assert.equal((await page.$eval("tech-match", (el) => el.shortlist)).length, 1);

    // Escape goes back to the list; English interface.
    await page.press("tech-match >> .detail h2", "Escape").catch(() => page.keyboard.press("Escape"));
    await page.click("tech-match >> .detail .btn").catch(() => {});
    await page.click("button[data-lang=en]");
    await page.waitForFunction(() => /results? \(/.test(document.querySelector("tech-match").shadowRoot.querySelector(".status").textContent), null, { timeout: 10_000 });

    assert.deepEqual(problems, [], "no errors on the page (CSP included)");
  });
});

test("record data with HTML and script payloads shows as text and never runs; a missing bundle shows a retry screen", { skip, timeout: 120_000 }, async () => {
  const { bundle, need, result, formula } = xssBundle();
  fs.copyFileSync(bundle, path.join(DATA, "xss.bundle"));
  await withBrowser(async ({ page, base, problems }) => {
    await page.goto(`${base}#tm.q=${encodeURIComponent("盐碱地 改良")}&tm.open=0`);
    await page.waitForSelector("tech-match >> .card", { timeout: 30_000 });
    // No record holds most of 涂屋 (涂, 屋, 涂屋): the records holding part of it, and the status says so.
    const partial = await page.$eval("tech-match", (el) => el.search("涂屋"));
    assert.ok(partial.partial && partial.total > 0, JSON.stringify({ partial: partial.partial, total: partial.total }));
    assert.equal(await status(page), `没有记录包含查询词的大部分，以下 ${partial.total} 条只含其中一部分（${partial.tookMs.toFixed(1)} 毫秒）`);
    await page.$eval("tech-match", (el) => el.search("盐碱地 改良"));
    await page.$eval("tech-match", (el) => el.setAttribute("src", "data/xss.bundle"));
    await page.waitForFunction(() => /共 3 条/.test(document.querySelector("tech-match").shadowRoot.querySelector(".status").textContent), null, { timeout: 30_000 });
    const cards = await page.$eval("tech-match", (el) => [...el.shadowRoot.querySelectorAll(".card")].map((c) => c.textContent));
    assert.ok(cards.some((c) => c.includes(need.title)), cards.join("\n"));
    assert.ok(cards.some((c) => c.includes(result.title)), cards.join("\n"));
    assert.ok(cards.some((c) => c.includes(formula.title)), cards.join("\n"));
    assert.ok((await page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth)) <= 0, "a very long word wraps");

    // Shortlisted and exported, the formula title is neutralised; RTL and zero-width text stays as written.
    await page.$eval("tech-match", (el, id) => el.matchFor(id), formula.id);
    await page.waitForSelector("tech-match >> .detail h2");
    assert.equal(await page.textContent("tech-match >> .detail h2"), formula.title);
    assert.ok((await page.textContent("tech-match >> .detail")).includes(formula.summary));
    await page.click("tech-match >> .detail .actions .sl-toggle");
    const csv = await page.$eval("tech-match", (el) => el.shortlistCsv());
    assert.ok(csv.includes(`"'${formula.title.replace(/"/g, '""')}"`), csv);
    await page.$eval("tech-match", (el) => el.shadowRoot.querySelector(".shortlist .actions .btn:not(.sl-export)").click());
    // Open both records and the match view: every text field goes on screen.
    for (const id of [need.id, result.id]) {
      await page.$eval("tech-match", (el, id) => el.matchFor(id), id);
      await page.waitForSelector("tech-match >> .detail h2");
    }
    const detail = await page.textContent("tech-match >> .detail");
    assert.ok(detail.includes(result.summary), detail);
    assert.ok(detail.includes("<b>恶意</b>单位"), detail);
    await page.waitForTimeout(500);
    const found = await page.$eval("tech-match", (el) => ({
      flag: window.__xss,
      elements: el.shadowRoot.querySelectorAll("script, img, svg, iframe, object, embed, b, a[href^='javascript']").length,
      pageElements: document.querySelectorAll("img, svg, iframe").length,
    }));
    assert.deepEqual(found, { flag: undefined, elements: 0, pageElements: 0 });

    // A bundle that cannot be loaded: a translated error screen with a retry button.
    const failed = page.evaluate(() => new Promise((r) => document.querySelector("tech-match").addEventListener("tm-error", (e) => r({ phase: e.detail.phase, message: e.detail.message }), { once: true })));
    await page.$eval("tech-match", (el) => el.setAttribute("src", "data/missing.bundle"));
    await page.waitForSelector("tech-match >> .error:not([hidden])", { timeout: 30_000 });
    const event = await failed;
    assert.equal(event.phase, "load");
    assert.match(event.message, /HTTP 404/);
    assert.match(await page.textContent("tech-match >> .error h2"), /数据加载失败/);
    assert.match(await page.textContent("tech-match >> .error"), /HTTP 404/);
    await page.click("tech-match >> .error button");
    await page.waitForSelector("tech-match >> .error:not([hidden])", { timeout: 30_000 });

    // A corrupted bundle (one flipped byte at the end of its data) says so, in English too.
    const bytes = fs.readFileSync(path.join(DATA, "techmatch.bundle"));
    bytes[bytes.length - 10] ^= 0xff;
    fs.writeFileSync(path.join(DATA, "corrupt.bundle"), bytes);
    await page.click("button[data-lang=en]");
    await page.$eval("tech-match", (el) => el.setAttribute("src", "data/corrupt.bundle"));
    await page.waitForFunction(() => /corrupted/.test(document.querySelector("tech-match").shadowRoot.querySelector(".error:not([hidden]) code")?.textContent), null, { timeout: 30_000 });
    assert.equal(await page.textContent("tech-match >> .error h2"), "The data could not be loaded");
    assert.match(await page.textContent("tech-match >> .error code"), /checksum mismatch/);

    // Retry after the portal fixes the file: the widget comes back on the same screen, no dead page.
    fs.copyFileSync(path.join(DATA, "techmatch.bundle"), path.join(DATA, "corrupt.bundle"));
    await page.click("tech-match >> .error button");
    await page.waitForSelector("tech-match >> .layout", { state: "visible", timeout: 30_000 });
    assert.equal(await page.isVisible("tech-match >> .error"), false);
    // The open record is looked up again in the new bundle, which does not hold it.
    await page.waitForFunction((id) => document.querySelector("tech-match").shadowRoot.querySelector(".detail")?.textContent.includes(`No record ${id}`), result.id, { timeout: 10_000 });

    // The engine's worker dies (as on a trap inside WASM): the next search shows the error screen,
    // and its retry starts a new engine.
    await page.$eval("tech-match", (el) => el._engine.terminate());
    await page.$eval("tech-match", (el) => el.search("盐碱地"));
    await page.waitForSelector("tech-match >> .error:not([hidden])", { timeout: 10_000 });
    assert.match(await page.textContent("tech-match >> .error code"), /terminated/);
    await page.click("tech-match >> .error button");
    await page.waitForSelector("tech-match >> .card mark", { timeout: 30_000 });
    assert.equal(await page.isVisible("tech-match >> .error"), false);
    assert.deepEqual(problems, [], "no errors on the page (CSP included)");
  });
  for (const f of ["xss.bundle", "corrupt.bundle"]) fs.rmSync(path.join(DATA, f), { force: true });
});

/** The seed bundle without the seed results that mention `word` (but the first): the portal as
 *  it was before those results were published. */
function seedBundleWithout(word) {
  const dir = tmpdir();
  const lines = fs.readFileSync(path.join(ROOT, "seeds/results.jsonl"), "utf8").split("\n").filter((l) => l.trim());
  const hits = lines.filter((l) => l.includes(word));
  const kept = lines.filter((l) => !hits.slice(1).includes(l));
  fs.writeFileSync(path.join(dir, "results.jsonl"), kept.join("\n") + "\n");
  cli("build", path.join(ROOT, "seeds/needs.jsonl"), path.join(dir, "results.jsonl"), "--out", dir);
  return { bundle: path.join(dir, "techmatch.bundle"), added: hits.length - 1 };
}

test("a saved search tells the broker how many records are new since the last look", { skip, timeout: 120_000 }, async () => {
  const before = seedBundleWithout("盐碱");
  assert.ok(before.added >= 2, "the seeds hold several 盐碱 results");
  await withBrowser(
    async ({ page, base, problems }) => {
      const saved = () => page.$eval("tech-match", (el) => el.savedSearches);
      await page.goto(`${base}#tm.q=${encodeURIComponent("盐碱")}&tm.kind=result&tm.open=0`);
      await page.waitForSelector("tech-match >> .card", { timeout: 30_000 });
      await page.click("tech-match >> .save-search");
      await page.waitForSelector("tech-match >> .saved li", { timeout: 10_000 });
      assert.deepEqual(await saved(), [{ label: "“盐碱” · 科技成果", search: { q: "盐碱", filters: { kind: ["result"] }, trlMin: 0, trlMax: 0, open: false }, newCount: 0 }]);

      // The portal publishes the missing results; the broker comes back to another screen.
      fs.copyFileSync(seedBundle(), path.join(DATA, "techmatch.bundle"));
      await page.goto(`${base}#tm.q=${encodeURIComponent("激光")}`);
      await page.reload();
      await page.waitForFunction((n) => document.querySelector("tech-match").savedSearches[0]?.newCount === n, before.added, { timeout: 30_000 });
      assert.match(await page.textContent("tech-match >> .saved summary"), new RegExp(`${before.added} 条新记录`));

      // Opening it shows its screen and marks the records seen.
      await page.click("tech-match >> .saved summary");
      await page.click("tech-match >> .saved li .linkish");
      await page.waitForFunction(() => document.querySelector("tech-match").savedSearches[0]?.newCount === 0, null, { timeout: 10_000 });
      assert.equal(await page.inputValue("tech-match >> input[type=search]"), "盐碱");
      assert.match(page.url(), /tm\.q=%E7%9B%90%E7%A2%B1/);
      assert.match(await page.textContent("tech-match >> .chips"), /类型: 科技成果/);
      await page.reload();
      await page.waitForSelector("tech-match >> .card", { timeout: 30_000 });
      await page.waitForFunction(() => document.querySelector("tech-match").savedSearches[0]?.newCount === 0, null, { timeout: 10_000 });

      // Deleting it empties the list.
      await page.click("tech-match >> .saved summary");
      await page.click("tech-match >> .saved li .btn");
      assert.deepEqual(await saved(), []);
      assert.deepEqual(problems, []);
    },
    { bundle: before.bundle },
  );
});

test("keyboard only: type, arrow to a card, open it, find matches, Escape back to the same card", { skip, timeout: 120_000 }, async () => {
  await withBrowser(async ({ page, base, problems }) => {
    await page.goto(base);
    await page.waitForSelector("tech-match >> .card", { timeout: 30_000 });
    const focused = () => page.evaluate(() => {
      const a = document.querySelector("tech-match").shadowRoot.activeElement;
      return a ? { tag: a.tagName, cls: a.className, text: a.textContent, type: a.type ?? "" } : null;
    });
    // Tab from the page's start reaches the search box (after the portal's header links and buttons).
    for (let i = 0; i < 12 && (await focused())?.type !== "search"; i++) await page.keyboard.press("Tab");
    assert.equal((await focused())?.type, "search", "Tab reaches the widget's search box");
    await page.keyboard.type("膜分离");
    await page.keyboard.press("Enter");
    // The query's own results: their titles carry highlights (the list before had none).
    await page.waitForSelector("tech-match >> .card-title mark", { timeout: 10_000 });
    await page.keyboard.press("ArrowDown");
    const first = await focused();
    assert.equal(first.cls, "card-title");
    await page.keyboard.press("ArrowDown");
    const second = await focused();
    assert.equal(second.cls, "card-title");
    assert.notEqual(second.text, first.text, "ArrowDown moves to the next card");
    await page.keyboard.press("Enter");
    await page.waitForSelector("tech-match >> .detail h2");
    assert.equal(await page.textContent("tech-match >> .detail h2"), second.text);
    // Tab to "找匹配", Enter: the matches come and the first match title has the focus.
    for (let i = 0; i < 6 && (await focused())?.text !== "找匹配"; i++) await page.keyboard.press("Tab");
    assert.equal((await focused())?.text, "找匹配");
    await page.keyboard.press("Enter");
    await page.waitForSelector("tech-match >> .match .reasons li", { timeout: 10_000 });
    await page.waitForFunction(() => document.querySelector("tech-match").shadowRoot.activeElement?.classList.contains("match-title"), null, { timeout: 5_000 });
    await page.keyboard.press("Escape");
    await page.waitForSelector("tech-match >> .detail", { state: "hidden" });
    assert.deepEqual(await focused(), second, "Escape returns to the card that was opened");
    // ARIA: the search form, the result list and the status line are labelled for screen readers.
    const aria = await page.$eval("tech-match", (el) => {
      const r = el.shadowRoot;
      return [r.querySelector("form").getAttribute("role"), r.querySelector("input").getAttribute("aria-label"), r.querySelector(".list").getAttribute("aria-label"), r.querySelector(".status").getAttribute("role")];
    });
    assert.deepEqual(aria, ["search", "搜索技术需求与科技成果", "搜索结果", "status"]);
    assert.deepEqual(problems, []);
  });
});

/** Saves a screenshot under test-artifacts/screenshots/. */
async function shot(page, name) {
  const dir = path.join(ROOT, "test-artifacts/screenshots");
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: false });
}

for (const [device, viewport] of [["desktop", { width: 1280, height: 900 }], ["phone", { width: 360, height: 740 }]]) {
  test(`the main screens fit a ${device} (${viewport.width} px) and are saved as screenshots`, { skip, timeout: 120_000 }, async () => {
    await withBrowser(
      async ({ page, base, problems }) => {
        const overflow = () => page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);
        await page.goto(`${base}#tm.q=${encodeURIComponent("盐碱地 改良")}`);
        await page.waitForSelector("tech-match >> .card mark", { timeout: 30_000 });
        assert.ok((await overflow()) <= 0, "no horizontal scrolling on the result list");
        await page.locator("tech-match >> .searchbar").scrollIntoViewIfNeeded();
        await shot(page, `${device}-search`);
        if (device === "phone") {
          assert.equal(await page.isVisible("tech-match >> .facets"), false, "facets fold away on a phone");
          await page.click("tech-match >> .facets-toggle");
          assert.equal(await page.isVisible("tech-match >> .facets"), true);
          assert.ok((await overflow()) <= 0, "no horizontal scrolling with the facets open");
        }
        // Long facets show their top values and a "show all" button.
        const fieldsFacet = page.locator("tech-match >> .facets fieldset", { hasText: "技术领域" });
        const before = await fieldsFacet.locator("label").count();
        await fieldsFacet.locator(".more").click();
        assert.ok((await fieldsFacet.locator("label").count()) > before, "show all reveals more values");
        await fieldsFacet.locator(".more").click();
        assert.equal(await fieldsFacet.locator("label").count(), before, "show fewer folds them again");
        await page.click("tech-match >> .card-title");
        await page.click("tech-match >> .detail button:has-text('找匹配')");
        await page.waitForSelector("tech-match >> .match .reasons li", { timeout: 10_000 });
        assert.ok((await overflow()) <= 0, "no horizontal scrolling on the match view");
        await page.locator("tech-match >> .matches").scrollIntoViewIfNeeded();
        await shot(page, `${device}-matches`);
        assert.deepEqual(problems, []);
      },
      { viewport },
    );
  });
}
