// The broker's hand-over in the demo portal, in headless Chromium: "contact" fires tm-contact and the portal's own
// form answers it, a match view prints as a one- or two-page recommendation without controls, the shortlist says
// each candidate's score and what it was found for, the TRL filter keeps its labels and controls in its column in
// both languages at phone and desktop width, and record text is isolated and free of bidirectional controls.
import assert from "node:assert/strict";
import test from "node:test";

import { csvCell, plain } from "../../www/tech-match/dom.js";
import { skip, withBrowser } from "./demo-kit.mjs";

const QUERY = encodeURIComponent("盐碱地 改良");

/** Opens the first card of the 盐碱地 search and its matches; resolves with the record's title. */
async function openMatches(page, base) {
  await page.goto(`${base}#tm.q=${QUERY}`);
  await page.waitForSelector("tech-match >> .card mark", { timeout: 30_000 });
  await page.click("tech-match >> .card-title");
  await page.click("tech-match >> .detail .actions button:has-text('找匹配')");
  await page.waitForSelector("tech-match >> .match .reasons li", { timeout: 10_000 });
  return page.textContent("tech-match >> .detail h2");
}

test("bidirectional controls never reach the screen or the CSV", () => {
  assert.equal(plain("png.\u202Eexe\u202C 标题\u2066x\u2069"), "png.exe 标题x");
  assert.equal(plain(null), "");
  assert.equal(csvCell("\u202E=cmd"), `"'=cmd"`, "a formula hidden behind an override is still neutralised");
  assert.equal(csvCell("右\u200F左"), `"右\u200F左"`, "marks that do not override stay");
});

test(
  "contact hands over to the portal's form; the match view prints as a recommendation report",
  { skip, timeout: 120_000 },
  async () => {
    await withBrowser(async ({ page, base, problems }) => {
      const title = await openMatches(page, base);
      const sourceId = await page.evaluate(() => decodeURIComponent(/tm\.id=([^&]+)/.exec(location.hash)[1]));

      // Contact on a match: the event names the match and what it was found for; the demo's form opens.
      await page.evaluate(() => {
        window.__contacts = [];
        document.querySelector("tech-match").addEventListener("tm-contact", (e) => window.__contacts.push(e.detail));
      });
      const match = page.locator("tech-match >> .match").first();
      const matchId = await match.getAttribute("data-id");
      const matchTitle = await match.locator(".match-title").textContent();
      await match.locator(".contact").click();
      const contacts = await page.evaluate(() => window.__contacts);
      assert.equal(contacts.length, 1);
      assert.equal(contacts[0].id, matchId);
      assert.equal(contacts[0].for, sourceId);
      assert.equal(contacts[0].title, matchTitle);
      assert.ok(["need", "challenge", "result"].includes(contacts[0].kind));
      assert.ok(await page.isVisible("dialog#contact"), "the portal's form opens");
      assert.match(await page.textContent("dialog#contact .about"), new RegExp(matchId));
      await page.fill("dialog#contact input[name=name]", "李经理");
      await page.fill("dialog#contact input[name=phone]", "13900000000");
      await page.click("dialog#contact button[value=send]");
      assert.ok(await page.isVisible("dialog#contact .sent"), "the form says it was received");
      await page.click("dialog#contact button[value=cancel]");
      assert.equal(await page.isVisible("dialog#contact"), false);
      // Contact on the record itself: no "for".
      await page.click("tech-match >> .detail > .actions .contact");
      assert.equal((await page.evaluate(() => window.__contacts))[1].for, null);
      await page.click("dialog#contact button[value=cancel]");

      // On paper: the report head (portal, kind of report, date), the record and its matches; no control.
      await page.emulateMedia({ media: "print" });
      const printed = await page.evaluate(() => {
        const root = document.querySelector("tech-match").shadowRoot;
        const shown = (e) => e.getClientRects().length > 0;
        const controls = [...root.querySelectorAll("button:not(.match-title), input, select, .facets, .list-wrap")];
        return {
          controls: controls.filter(shown).map((e) => e.outerHTML.slice(0, 80)),
          head: shown(root.querySelector(".report-head")) ? root.querySelector(".report-head").textContent : null,
          matches: [...root.querySelectorAll(".match")].filter(shown).length,
          portal: [".topbar", ".hero", "footer"].filter((s) => shown(document.querySelector(s))),
        };
      });
      assert.deepEqual(printed.controls, [], "no button, field, facet or list on paper");
      assert.deepEqual(printed.portal, [], "the portal's header and footer stay off the paper");
      assert.match(printed.head ?? "", /^科技大市场(科技成果|企业技术需求)推荐报告 · \d{4}-\d\d-\d\d$/);
      assert.ok(printed.matches >= 3, `the matches are printed (${printed.matches})`);
      const pdf = await page.pdf({ format: "A4", printBackground: true });
      const pages = (pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) ?? []).length;
      assert.ok(pages >= 1 && pages <= 2, `the report takes one or two A4 pages, not ${pages}`);
      await page.emulateMedia({ media: "screen" });
      assert.equal(await page.isVisible("tech-match >> .report-head"), false, "the report head is for paper only");

      // The shortlist says the score and, by title, what the candidate was found for.
      await match.locator(".sl-toggle").click();
      await page.click("tech-match >> .shortlist summary");
      const item = page.locator("tech-match >> .shortlist li").first();
      assert.match(await item.locator(".sl-score").textContent(), /^匹配度 \d+\.\d$/);
      await page.waitForFunction(
        (t) =>
          document.querySelector("tech-match").shadowRoot.querySelector(".shortlist .sl-for")?.textContent ===
          `匹配自：${t}`,
        title,
        { timeout: 5_000 },
      );
      assert.deepEqual(problems, []);
    });
  },
);

test("record text takes its own direction, isolated from the text around it", { skip, timeout: 120_000 }, async () => {
  await withBrowser(async ({ page, base, problems }) => {
    await openMatches(page, base);
    const notIsolated = await page.evaluate(() => {
      const root = document.querySelector("tech-match").shadowRoot;
      const sel = ".detail h2, .detail dd, .match-title, .reasons li, .owner";
      const els = [...root.querySelectorAll(sel)];
      return { count: els.length, bad: els.filter((e) => e.dir !== "auto").map((e) => e.className || e.tagName) };
    });
    assert.ok(notIsolated.count > 10, `record strings found: ${notIsolated.count}`);
    assert.deepEqual(notIsolated.bad, []);
    await page.click("tech-match >> .detail > .btn");
    await page.waitForSelector("tech-match >> .card", { timeout: 10_000 });
    const cards = await page.evaluate(() => {
      const root = document.querySelector("tech-match").shadowRoot;
      return [...root.querySelectorAll(".card-title, .snippet, .card .tag")].filter((e) => e.dir !== "auto").length;
    });
    assert.equal(cards, 0, "titles, snippets and tags of cards are isolated");
    assert.deepEqual(problems, []);
  });
});

for (const lang of ["zh", "en"]) {
  for (const [device, viewport] of [
    ["desktop", { width: 1280, height: 900 }],
    ["phone", { width: 360, height: 740 }],
  ]) {
    test(
      `the TRL filter keeps its labels whole and its controls in the column (${lang}, ${device})`,
      {
        skip,
        timeout: 120_000,
      },
      async () => {
        await withBrowser(
          async ({ page, base, problems }) => {
            await page.goto(`${base}#tm.q=${QUERY}`);
            await page.waitForSelector("tech-match >> .card", { timeout: 30_000 });
            if (lang === "en") await page.click("button[data-lang=en]");
            if (device === "phone") await page.click("tech-match >> .facets-toggle");
            const layout = await page.evaluate(() => {
              const root = document.querySelector("tech-match").shadowRoot;
              const row = root.querySelector(".trl-row");
              const box = row.closest("fieldset").getBoundingClientRect();
              const labels = [...row.querySelectorAll("span")].map((s) => {
                const r = s.getBoundingClientRect();
                return { text: s.textContent, lines: r.height < 2 * parseFloat(getComputedStyle(s).fontSize) ? 1 : 2 };
              });
              const out = [...row.querySelectorAll("select")]
                .map((s) => s.getBoundingClientRect())
                .filter((r) => r.left < box.left - 1 || r.right > box.right + 1).length;
              return { labels, out };
            });
            assert.equal(layout.labels.length, 2);
            for (const l of layout.labels) assert.equal(l.lines, 1, `"${l.text}" stays on one line`);
            assert.equal(layout.out, 0, "both selects stay inside the facet column");
            assert.deepEqual(problems, []);
          },
          { viewport },
        );
      },
    );
  }
}
