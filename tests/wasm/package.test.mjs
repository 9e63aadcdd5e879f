// The widget as the npm package a portal developer installs: `npm pack` of www/tech-match/ holds every
// file the element loads, installs into a new project, resolves through its `exports`, its declarations
// type-check a portal's code with tsc (and reject wrong uses), and the README's Vue 3 example runs
// from the installed package with Vue's browser build in Chromium.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import test from "node:test";

import { skip, withBrowser } from "./demo-kit.mjs";
import { ROOT, seedBundle, tmpdir } from "./helpers.mjs";

const WIDGET = path.join(ROOT, "www/tech-match");
const NAME = "techmatch-widget";

/** The files module `file` (relative to the widget) loads, itself included: static imports, the worker,
 *  the style sheets and the WASM engine, followed through every module. */
function loaded(file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  if (!file.endsWith(".js")) return seen;
  const src = fs.readFileSync(path.join(WIDGET, file), "utf8");
  const refs = [
    ...[...src.matchAll(/^import [^"]*"(\.[^"]+)";/gm)].map((m) => m[1]),
    ...[...src.matchAll(/new URL\("(\.[^"]+)", import\.meta\.url\)/g)].map((m) => m[1]),
    ...[...src.matchAll(/sheet\("(\.[^"]+)"/g)].map((m) => m[1]),
  ];
  if (file === "pkg/techmatch.js") refs.push("./techmatch_bg.wasm");
  for (const r of refs) loaded(path.posix.normalize(path.posix.join(path.posix.dirname(file), r)), seen);
  return seen;
}

/** Packs the widget and installs the tarball into a new project; returns the project folder and the
 *  packed file list. */
function installed() {
  const dir = tmpdir();
  const [packed] = JSON.parse(
    execFileSync("npm", ["pack", WIDGET, "--json", "--pack-destination", dir, "--loglevel=error"], {
      encoding: "utf8",
    }),
  );
  const project = path.join(dir, "portal");
  fs.mkdirSync(project);
  fs.writeFileSync(
    path.join(project, "package.json"),
    JSON.stringify({ name: "portal", private: true, type: "module" }),
  );
  execFileSync("npm", ["install", path.join(dir, packed.filename), "--no-audit", "--no-fund", "--offline"], {
    cwd: project,
    stdio: "ignore",
  });
  return { project, packed };
}

const { project, packed } = installed();

test("the package holds every file the element loads, at the version of the Rust crate", () => {
  const files = new Set(packed.files.map((f) => f.path));
  const needed = loaded("tech-match.js");
  assert.ok(needed.has("engine-worker.js") && needed.has("pkg/techmatch_bg.wasm") && needed.has("print.css"));
  for (const f of [...needed, "tech-match.d.ts", "pkg/techmatch.d.ts"]) assert.ok(files.has(f), `${f} is packed`);
  assert.ok(![...files].some((f) => f.startsWith("pkg/.")), "no build stamp packed");
  const crate = /^version = "([^"]+)"/m.exec(fs.readFileSync(path.join(ROOT, "Cargo.toml"), "utf8"))[1];
  assert.equal(packed.version, crate);
  assert.equal(packed.name, NAME);
});

test("the installed package resolves through its exports", () => {
  const resolve = (spec) =>
    execFileSync(
      process.execPath,
      ["--input-type=module", "-e", `console.log(import.meta.resolve(${JSON.stringify(spec)}))`],
      {
        cwd: project,
        encoding: "utf8",
      },
    ).trim();
  const home = `file://${fs.realpathSync(path.join(project, "node_modules", NAME))}/`;
  assert.equal(resolve(NAME), `${home}tech-match.js`);
  assert.equal(resolve(`${NAME}/engine`), `${home}engine.js`);
  assert.equal(resolve(`${NAME}/tech-match.css`), `${home}tech-match.css`);
  assert.equal(resolve(`${NAME}/pkg/techmatch_bg.wasm`), `${home}pkg/techmatch_bg.wasm`);
  assert.throws(() => resolve(`${NAME}/detail.js`), /not exported|ERR_PACKAGE_PATH_NOT_EXPORTED/);
});

test("the declarations type-check a portal's code and reject wrong uses", () => {
  const good = `import type { ShortlistEntry, TechMatch } from "${NAME}";
const el = document.querySelector("tech-match");
if (el) {
  const typed: TechMatch = el;
  el.addEventListener("tm-contact", (e) => console.log(e.detail.id, e.detail.kind, e.detail.for ?? ""));
  el.addEventListener("tm-select", (e) => console.log(e.detail.record.title));
  el.addEventListener("tm-error", (e) => console.log(e.detail.phase, e.detail.message));
  const list: ShortlistEntry[] = typed.shortlist;
  const csv: string = el.shortlistCsv();
  void el.search("盐碱地").then((res) => console.log(res?.total, res?.hits[0]?.title, res?.tookMs, list, csv));
  void el.matchFor("N-1").then((hits) => console.log(hits?.[0]?.score, hits?.[0]?.reasons[0]?.kind));
}
`;
  const wrong = [
    `document.querySelector("tech-match")?.addEventListener("tm-contact", (e) => e.detail.phone);`,
    `void document.querySelector("tech-match")?.search(42);`,
    `const n: number = document.querySelector("tech-match")!.shortlistCsv();`,
  ];
  const tsc = (source) => {
    fs.writeFileSync(path.join(project, "check.ts"), source);
    const args = ["--noEmit", "--strict", "--target", "es2022", "--module", "nodenext", "--moduleResolution"];
    try {
      execFileSync(
        process.execPath,
        [
          path.join(ROOT, "node_modules/typescript/bin/tsc"),
          ...args,
          "nodenext",
          "--lib",
          "es2022,esnext.disposable,dom",
          "check.ts",
        ],
        { cwd: project, encoding: "utf8" },
      );
      return "";
    } catch (e) {
      return e.stdout || String(e);
    }
  };
  assert.equal(tsc(good), "");
  for (const w of wrong) assert.match(tsc(`import "${NAME}";\n${w}\n`), /error TS/, w);
});

test("the README's Vue 3 example runs from the installed package", { skip, timeout: 120_000 }, async () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const vueSection = readme.slice(readme.indexOf("### From npm, and in a Vue 3 app"));
  const example = /```js\n([\s\S]*?)```/.exec(vueSection)[1];
  assert.match(example, /createApp/);
  // The portal's site: the example as its script, the installed package as /techmatch/, Vue's browser build.
  const site = path.join(project, "site");
  fs.mkdirSync(site);
  fs.cpSync(path.join(project, "node_modules", NAME), path.join(site, "techmatch"), { recursive: true });
  fs.copyFileSync(seedBundle(), path.join(site, "techmatch/techmatch.bundle"));
  fs.copyFileSync(path.join(ROOT, "node_modules/vue/dist/vue.esm-browser.prod.js"), path.join(site, "vue.js"));
  fs.writeFileSync(path.join(site, "app.js"), example);
  fs.writeFileSync(
    path.join(site, "index.html"),
    `<!doctype html><meta charset="utf-8"><title>Vue portal</title>
<script type="importmap">{"imports": {"vue": "./vue.js", "${NAME}": "./techmatch/tech-match.js"}}</script>
<div id="app"></div><script type="module" src="./app.js"></script>`,
  );
  await withBrowser(
    async ({ page, base, problems }) => {
      await page.goto(base);
      await page.waitForSelector("tech-match >> .card-title", { timeout: 60_000 });
      const res = await page.$eval("tech-match", (el) => el.search("盐碱地"));
      assert.ok(res.total > 0);
      await page.click("tech-match >> .card-title");
      await page.waitForSelector("#app .picked", { timeout: 10_000 });
      assert.equal(await page.textContent("#app .picked"), `已选：${res.hits[0].title}`);
      await page.click("tech-match >> .detail .actions .contact");
      await page.waitForSelector("#app .contact", { timeout: 10_000 });
      assert.equal(await page.textContent("#app .contact"), `对接：${res.hits[0].title}`);
      assert.deepEqual(problems, []);
    },
    { site },
  );
});
