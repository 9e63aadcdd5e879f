// The demo portal and its <tech-match> widget as a broker uses them, in headless Chromium: served
// by `techmatch serve` on 127.0.0.1 under the page's strict Content-Security-Policy. Search with
// highlights, a facet filter, a record, its matches with reasons in plain words, the shortlist and
// its CSV export, the screen restored from the URL, the error screens (missing and corrupted bundle)
// with retry, and records full of HTML/JS payloads that must show as text and never run.
// Saved searches, keyboard-only use and the screens at phone width are in desk.test.mjs.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import test from "node:test";

import { skip, status, withBrowser, xssBundle } from "./demo-kit.mjs";

test(
  "the widget searches, filters, opens a record, matches, shortlists, exports and restores from the URL",
  { skip, timeout: 120_000 },
  async () => {
    await withBrowser(async ({ page, base, problems }) => {
      await page.goto(base);
      await page.waitForSelector("tech-match >> .card", { timeout: 30_000 });

      // Results as you type, with highlights as <mark> text.
      await page.fill("tech-match >> input[type=search]", "盐碱地 改良");
      await page.waitForFunction(
        () => {
          const r = document.querySelector("tech-match").shadowRoot;
          return (
            r.querySelector(".status").textContent.startsWith("共") &&
            r.querySelector(".card mark") &&
            location.hash.includes("tm.q=")
          );
        },
        null,
        { timeout: 10_000 },
      );
      const first = await page.$eval("tech-match", (el) => {
        const li = el.shadowRoot.querySelector(".card");
        return {
          title: li.querySelector(".card-title").textContent,
          marks: [...li.querySelectorAll("mark")].map((m) => m.textContent),
          text: li.textContent,
        };
      });
      assert.match(first.title, /盐碱/);
      assert.ok(
        first.marks.some((m) => /盐碱|改良/.test(m)),
        `highlights: ${first.marks}`,
      );
      assert.match(first.text, /TRL \d/, "a TRL badge");
      const total = Number(/共 (\d+) 条/.exec(await status(page))[1]);

      // A facet filter: the total shrinks to its count and a removable chip appears.
      const facet = page.locator("tech-match >> .facets label", { hasText: "现代农业" }).first();
      const count = Number(await facet.locator(".count").textContent());
      await facet.click();
      await page.waitForFunction(
        (n) =>
          document.querySelector("tech-match").shadowRoot.querySelector(".status").textContent.includes(`共 ${n} 条`),
        count,
        { timeout: 10_000 },
      );
      assert.ok(count <= total);
      assert.match(await page.textContent("tech-match >> .chips"), /产业: 现代农业/);

      // Open the first hit, then find its matches: scores and reasons in plain words.
      const selected = page.evaluate(
        () =>
          new Promise((r) =>
            document.querySelector("tech-match").addEventListener("tm-select", (e) => r(e.detail.id), { once: true }),
          ),
      );
      await page.click("tech-match >> .card-title");
      const id = await selected;
      await page.waitForSelector("tech-match >> .detail h2");
      assert.equal(
        await page.textContent("tech-match >> .detail h2"),
        first.title.length ? await page.textContent("tech-match >> .detail h2") : "",
      );
      await page.click("tech-match >> .detail button:has-text('找匹配')");
      await page.waitForSelector("tech-match >> .match .reasons li", { timeout: 10_000 });
      const reasons = await page.$$eval("tech-match", ([el]) =>
        [...el.shadowRoot.querySelectorAll(".match .reasons li")].map((l) => l.textContent),
      );
      assert.ok(
        reasons.some((r) => r.startsWith("文本相近")),
        reasons.join(" | "),
      );
      assert.ok(
        reasons.every((r) => !/^(terms|industry|trl_|mode_)/.test(r)),
        "reasons are phrased, not raw kinds",
      );
      const detailTitle = await page.textContent("tech-match >> .detail h2");
      const matchTitles = await page.$$eval("tech-match", ([el]) =>
        [...el.shadowRoot.querySelectorAll(".match-title")].map((b) => b.textContent),
      );
      assert.ok(matchTitles.length > 0);
      assert.match(page.url(), new RegExp(`tm\\.id=${id}&tm\\.view=match`));

      // Shortlist the best match, write a note that looks like a formula, export the CSV.
      const changed = page.evaluate(
        () =>
          new Promise((r) =>
            document
              .querySelector("tech-match")
              .addEventListener("tm-shortlist-change", (e) => r(e.detail.shortlist.length), { once: true }),
          ),
      );
      await page.click("tech-match >> .match .sl-toggle");
      assert.equal(await changed, 1);
      const shortlist = await page.$eval("tech-match", (el) => el.shortlist);
      assert.equal(shortlist.length, 1);
      assert.equal(shortlist[0].for, id);
      assert.ok(shortlist[0].reasons.length > 0 && typeof shortlist[0].score === "number");
      await page.click("tech-match >> .shortlist summary");
      await page.fill("tech-match >> .shortlist input", '=HYPERLINK("http://evil")');
      await page.press("tech-match >> .shortlist input", "Tab");
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("tech-match >> .sl-export")]);
      const csv = fs.readFileSync(await download.path(), "utf8");
      assert.ok(csv.startsWith('\uFEFF"编号","类型","标题"'), csv.slice(0, 40));
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
      assert.deepEqual(
        await page.$$eval("tech-match", ([el]) =>
          [...el.shadowRoot.querySelectorAll(".match-title")].map((b) => b.textContent),
        ),
        matchTitles,
      );
      assert.equal(await page.inputValue("tech-match >> input[type=search]"), "盐碱地 改良");
      assert.match(await page.textContent("tech-match >> .chips"), /产业: 现代农业/);
      assert.equal((await page.$eval("tech-match", (el) => el.shortlist)).length, 1);

      // Escape goes back to the list; English interface.
      await page.press("tech-match >> .detail h2", "Escape").catch(() => page.keyboard.press("Escape"));
      await page.click("tech-match >> .detail .btn").catch(() => {});
      await page.click("button[data-lang=en]");
      await page.waitForFunction(
        () => /results? \(/.test(document.querySelector("tech-match").shadowRoot.querySelector(".status").textContent),
        null,
        { timeout: 10_000 },
      );
      // Every vocabulary value in English: facets, chips, card tags; the place as city and province.
      const cjk = /[\u3400-\u9fff]/;
      assert.match(await page.textContent("tech-match >> .chips"), /Industry: Modern agriculture/);
      // Every filter off, so that every facet value shows.
      for (let i = 0; i < 10 && (await page.$("tech-match >> .chips button")); i++)
        await page.click("tech-match >> .chips button");
      await page.waitForFunction(
        () => /results? \(/.test(document.querySelector("tech-match").shadowRoot.querySelector(".status").textContent),
        null,
        { timeout: 10_000 },
      );
      for (const sel of [".facets", ".tags"]) {
        const text = await page.$$eval("tech-match", ([el], s) => el.shadowRoot.querySelector(s).textContent, sel);
        assert.doesNotMatch(text, cjk, `${sel} in English: ${text}`);
      }
      await page.click("tech-match >> .card-title");
      await page.waitForSelector("tech-match >> .detail dl", { timeout: 10_000 });
      const rows = await page.$$eval("tech-match", ([el]) =>
        Object.fromEntries(
          [...el.shadowRoot.querySelectorAll(".detail dt")].map((dt) => [dt.textContent, dt.nextSibling.textContent]),
        ),
      );
      for (const label of ["Industries", "Technology fields", "Region"])
        if (rows[label]) assert.doesNotMatch(rows[label], cjk, `${label}: ${rows[label]}`);
      assert.match(rows.Region, /^[A-Z][\w' ]+(, [A-Z]\w+)?$/, `Region: ${rows.Region}`);

      assert.deepEqual(problems, [], "no errors on the page (CSP included)");
    });
  },
);

test(
  "record data with HTML and script payloads shows as text and never runs; a missing bundle shows a retry screen",
  { skip, timeout: 120_000 },
  async () => {
    const { bundle, need, result, formula } = xssBundle();
    await withBrowser(
      async ({ page, base, data, problems }) => {
        await page.goto(`${base}#tm.q=${encodeURIComponent("盐碱地 改良")}&tm.open=0`);
        await page.waitForSelector("tech-match >> .card", { timeout: 30_000 });
        // No record holds most of 涂屋 (涂, 屋, 涂屋): the records holding part of it, and the status says so.
        const partial = await page.$eval("tech-match", (el) => el.search("涂屋"));
        assert.ok(
          partial.partial && partial.total > 0,
          JSON.stringify({ partial: partial.partial, total: partial.total }),
        );
        assert.equal(
          await status(page),
          `没有记录包含完整的查询词，以下 ${partial.total} 条只含其中一部分（${partial.tookMs.toFixed(1)} 毫秒）`,
        );
        await page.$eval("tech-match", (el) => el.search("盐碱地 改良"));
        await page.$eval("tech-match", (el) => el.setAttribute("src", "data/xss.bundle"));
        await page.waitForFunction(
          () => /共 3 条/.test(document.querySelector("tech-match").shadowRoot.querySelector(".status").textContent),
          null,
          { timeout: 30_000 },
        );
        const cards = await page.$eval("tech-match", (el) =>
          [...el.shadowRoot.querySelectorAll(".card")].map((c) => c.textContent),
        );
        assert.ok(
          cards.some((c) => c.includes(need.title)),
          cards.join("\n"),
        );
        assert.ok(
          cards.some((c) => c.includes(result.title)),
          cards.join("\n"),
        );
        assert.ok(
          cards.some((c) => c.includes(formula.title)),
          cards.join("\n"),
        );
        assert.ok(
          (await page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth)) <= 0,
          "a very long word wraps",
        );

        // Shortlisted and exported, the formula title is neutralised; RTL and zero-width text stays as written.
        await page.$eval("tech-match", (el, id) => el.matchFor(id), formula.id);
        await page.waitForSelector("tech-match >> .detail h2");
        assert.equal(await page.textContent("tech-match >> .detail h2"), formula.title);
        assert.ok((await page.textContent("tech-match >> .detail")).includes(formula.summary));
        await page.click("tech-match >> .detail .actions .sl-toggle");
        const csv = await page.$eval("tech-match", (el) => el.shortlistCsv());
        assert.ok(csv.includes(`"'${formula.title.replace(/"/g, '""')}"`), csv);
        await page.$eval("tech-match", (el) =>
          el.shadowRoot.querySelector(".shortlist .actions .btn:not(.sl-export)").click(),
        );
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
          elements: el.shadowRoot.querySelectorAll("script, img, svg, iframe, object, embed, b, a[href^='javascript']")
            .length,
          pageElements: document.querySelectorAll("img, svg, iframe").length,
        }));
        assert.deepEqual(found, { flag: undefined, elements: 0, pageElements: 0 });

        // A bundle that cannot be loaded: a translated error screen with a retry button.
        const failed = page.evaluate(
          () =>
            new Promise((r) =>
              document
                .querySelector("tech-match")
                .addEventListener("tm-error", (e) => r({ phase: e.detail.phase, message: e.detail.message }), {
                  once: true,
                }),
            ),
        );
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
        const bytes = fs.readFileSync(path.join(data, "techmatch.bundle"));
        bytes[bytes.length - 10] ^= 0xff;
        fs.writeFileSync(path.join(data, "corrupt.bundle"), bytes);
        await page.click("button[data-lang=en]");
        await page.$eval("tech-match", (el) => el.setAttribute("src", "data/corrupt.bundle"));
        await page.waitForFunction(
          () =>
            /corrupted/.test(
              document.querySelector("tech-match").shadowRoot.querySelector(".error:not([hidden]) code")?.textContent,
            ),
          null,
          { timeout: 30_000 },
        );
        assert.equal(await page.textContent("tech-match >> .error h2"), "The data could not be loaded");
        assert.match(await page.textContent("tech-match >> .error code"), /checksum mismatch/);

        // Retry after the portal fixes the file: the widget comes back on the same screen, no dead page.
        fs.copyFileSync(path.join(data, "techmatch.bundle"), path.join(data, "corrupt.bundle"));
        await page.click("tech-match >> .error button");
        await page.waitForSelector("tech-match >> .layout", { state: "visible", timeout: 30_000 });
        assert.equal(await page.isVisible("tech-match >> .error"), false);
        // The open record is looked up again in the new bundle, which does not hold it.
        await page.waitForFunction(
          (id) =>
            document
              .querySelector("tech-match")
              .shadowRoot.querySelector(".detail")
              ?.textContent.includes(`No record ${id}`),
          result.id,
          { timeout: 10_000 },
        );

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
      },
      { extra: { "xss.bundle": bundle } },
    );
  },
);
