// The broker's desk in the demo portal, in headless Chromium: saved searches that count the records new since the
// last look, keyboard-only use, and the main screens at desktop and phone width (screenshots under
// test-artifacts/screenshots/).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import test from "node:test";

import { seedBundle } from "./helpers.mjs";
import { seedBundleWithout, shot, skip, withBrowser } from "./demo-kit.mjs";

test(
  "a saved search tells the broker how many records are new since the last look",
  { skip, timeout: 120_000 },
  async () => {
    const before = seedBundleWithout("盐碱");
    assert.ok(before.added >= 2, "the seeds hold several 盐碱 results");
    await withBrowser(
      async ({ page, base, data, problems }) => {
        const saved = () => page.$eval("tech-match", (el) => el.savedSearches);
        await page.goto(`${base}#tm.q=${encodeURIComponent("盐碱")}&tm.kind=result&tm.open=0`);
        await page.waitForSelector("tech-match >> .card", { timeout: 30_000 });
        await page.click("tech-match >> .save-search");
        await page.waitForSelector("tech-match >> .saved li", { timeout: 10_000 });
        assert.deepEqual(await saved(), [
          {
            label: "“盐碱” · 科技成果",
            search: { q: "盐碱", filters: { kind: ["result"] }, trlMin: 0, trlMax: 0, open: false },
            newCount: 0,
          },
        ]);

        // The portal publishes the missing results; the broker comes back to another screen.
        fs.copyFileSync(seedBundle(), path.join(data, "techmatch.bundle"));
        await page.goto(`${base}#tm.q=${encodeURIComponent("激光")}`);
        await page.reload();
        await page.waitForFunction(
          (n) => document.querySelector("tech-match").savedSearches[0]?.newCount === n,
          before.added,
          { timeout: 30_000 },
        );
        assert.match(await page.textContent("tech-match >> .saved summary"), new RegExp(`${before.added} 条新记录`));

        // Opening it shows its screen and marks the records seen.
        await page.click("tech-match >> .saved summary");
        await page.click("tech-match >> .saved li .linkish");
        await page.waitForFunction(() => document.querySelector("tech-match").savedSearches[0]?.newCount === 0, null, {
          timeout: 10_000,
        });
        assert.equal(await page.inputValue("tech-match >> input[type=search]"), "盐碱");
        assert.match(page.url(), /tm\.q=%E7%9B%90%E7%A2%B1/);
        assert.match(await page.textContent("tech-match >> .chips"), /类型: 科技成果/);
        await page.reload();
        await page.waitForSelector("tech-match >> .card", { timeout: 30_000 });
        await page.waitForFunction(() => document.querySelector("tech-match").savedSearches[0]?.newCount === 0, null, {
          timeout: 10_000,
        });

        // Deleting it empties the list.
        await page.click("tech-match >> .saved summary");
        await page.click("tech-match >> .saved li .btn");
        assert.deepEqual(await saved(), []);
        assert.deepEqual(problems, []);
      },
      { bundle: before.bundle },
    );
  },
);

test(
  "keyboard only: type, arrow to a card, open it, find matches, Escape back to the same card",
  { skip, timeout: 120_000 },
  async () => {
    await withBrowser(async ({ page, base, problems }) => {
      await page.goto(base);
      await page.waitForSelector("tech-match >> .card", { timeout: 30_000 });
      const focused = () =>
        page.evaluate(() => {
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
      await page.waitForFunction(
        () => document.querySelector("tech-match").shadowRoot.activeElement?.classList.contains("match-title"),
        null,
        { timeout: 5_000 },
      );
      await page.keyboard.press("Escape");
      await page.waitForSelector("tech-match >> .detail", { state: "hidden" });
      assert.deepEqual(await focused(), second, "Escape returns to the card that was opened");
      // ARIA: the search form, the result list and the status line are labelled for screen readers.
      const aria = await page.$eval("tech-match", (el) => {
        const r = el.shadowRoot;
        return [
          r.querySelector("form").getAttribute("role"),
          r.querySelector("input").getAttribute("aria-label"),
          r.querySelector(".list").getAttribute("aria-label"),
          r.querySelector(".status").getAttribute("role"),
        ];
      });
      assert.deepEqual(aria, ["search", "搜索技术需求与科技成果", "搜索结果", "status"]);
      assert.deepEqual(problems, []);
    });
  },
);

for (const [device, viewport] of [
  ["desktop", { width: 1280, height: 900 }],
  ["phone", { width: 360, height: 740 }],
]) {
  test(
    `the main screens fit a ${device} (${viewport.width} px) and are saved as screenshots`,
    { skip, timeout: 120_000 },
    async () => {
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
    },
  );
}
