// Builds every engine's static index from the same records for bench/peers: techmatch (the CLI's
// bundle), Pagefind (Node API, addCustomRecord with language "zh"), MiniSearch and FlexSearch (indexed
// in node with the CJK tokenizer of cjk.js, serialised to one JSON file the page fetches).
// Each engine gets DIR/ENGINE/; build() returns its build wall time and file bytes.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

import { Document } from "flexsearch";
import MiniSearch from "minisearch";
import * as pagefind from "pagefind";

import { tokenize } from "./cjk.js";
import { FLEX_OPTIONS, MINI_OPTIONS } from "./engines/options.js";

export const ENGINES = ["techmatch", "pagefind", "minisearch", "flexsearch"];

/** The records of a JSONL file (blank lines skipped). */
export function readJsonl(file) {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

/**
 * The text a peer indexes, the same as techmatch's fields: title, keywords, and a body of summary
 * (a CSL paper's abstract), problem, key requirements, expected outcome and advantages.
 */
export function peerRecord(r) {
  const body = [r.summary ?? r.abstract, r.problem, r.key_requirements, r.expected_outcome, r.advantages]
    .filter(Boolean)
    .join("\n");
  return { id: r.id ?? r.docid, title: r.title, keywords: (r.keywords ?? []).join("；"), body };
}

const dirBytes = (dir) => {
  let raw = 0;
  let files = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    raw += fs.statSync(path.join(e.parentPath, e.name)).size;
    files++;
  }
  return { raw, files };
};

async function buildPagefind(records, dir) {
  const { index, errors } = await pagefind.createIndex({ forceLanguage: "zh" });
  if (!index) throw new Error(`pagefind: ${errors.join("; ")}`);
  for (let i = 0; i < records.length; i += 500) {
    const added = await Promise.all(
      records.slice(i, i + 500).map((r) =>
        index.addCustomRecord({
          url: `/r/${r.id}`,
          content: [r.title, r.keywords, r.body].filter(Boolean).join("\n"),
          language: "zh",
          meta: { title: r.title },
        }),
      ),
    );
    const bad = added.find((a) => a.errors?.length);
    if (bad) throw new Error(`pagefind: ${bad.errors.join("; ")}`);
  }
  const written = await index.writeFiles({ outputPath: dir });
  if (written.errors?.length) throw new Error(`pagefind: ${written.errors.join("; ")}`);
  await index.deleteIndex();
  // Its prebuilt search UIs are not part of a search: the page uses pagefind.js alone.
  for (const f of fs.readdirSync(dir))
    if (/^pagefind-(component-ui|modular-ui|ui|highlight)\./.test(f)) fs.rmSync(path.join(dir, f));
}

/**
 * Pagefind answers with fragment hashes; the harness maps them back to record ids from the fragments
 * themselves (gzip, "pagefind_dcd" + JSON with the url), outside what the page loads.
 */
export function pagefindIds(dir) {
  const ids = {};
  for (const f of fs.readdirSync(path.join(dir, "fragment"))) {
    const text = zlib.gunzipSync(fs.readFileSync(path.join(dir, "fragment", f))).toString("utf8");
    ids[f.replace(/\.pf_fragment$/, "")] = JSON.parse(text.slice(text.indexOf("{"))).url.replace(/^\/r\//, "");
  }
  return ids;
}

function buildMini(records, dir) {
  const ms = new MiniSearch({ ...MINI_OPTIONS, tokenize });
  ms.addAll(records);
  fs.writeFileSync(path.join(dir, "index.json"), JSON.stringify(ms));
}

async function buildFlex(records, dir) {
  const index = new Document({ ...FLEX_OPTIONS, encode: tokenize });
  for (const r of records) index.add(r);
  const parts = {};
  await index.export((key, data) => {
    parts[key] = data;
  });
  fs.writeFileSync(path.join(dir, "index.json"), JSON.stringify(parts));
}

/**
 * Builds `engine`'s index of `inputs` (JSONL files; `maps` techmatch `--map` arguments for them) into
 * `dir`/`engine`/. techmatch builds first, with --skip-invalid; the peers index exactly the records it
 * kept. Returns {engine, ms, raw, files, records}.
 */
export async function build(engine, { inputs, maps = [], dir, cli }) {
  const out = path.join(dir, engine);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const kept = () => {
    const skipped = new Set(JSON.parse(fs.readFileSync(path.join(dir, "skipped.json"), "utf8")));
    return inputs
      .flatMap(readJsonl)
      .map(peerRecord)
      .filter((r) => !skipped.has(r.id));
  };
  const t0 = performance.now();
  if (engine === "techmatch") {
    const args = ["build", ...inputs, "--skip-invalid", "--out", out, ...maps.flatMap((m) => ["--map", m])];
    const { status, stderr, error } = spawnSync(cli, args, {
      encoding: "utf8",
      stdio: ["ignore", "ignore", "pipe"],
      maxBuffer: 256 << 20,
    });
    if (status !== 0) throw new Error(`${cli} ${args.join(" ")}: ${error ?? stderr}`);
    const ms = performance.now() - t0;
    // Problems are listed as `file:line: id: field: reason`.
    const skipped = [...new Set([...stderr.matchAll(/^[^\n]*?:\d+: ([^:\s]+): /gm)].map((m) => m[1]))];
    fs.writeFileSync(path.join(dir, "skipped.json"), JSON.stringify(skipped));
    const header = JSON.parse(
      execFileSync(cli, ["inspect", path.join(out, "techmatch.bundle"), "--json"], { encoding: "utf8" }),
    );
    return { engine, ms, ...dirBytes(out), records: header.records, skipped };
  }
  const records = kept();
  const t1 = performance.now();
  if (engine === "pagefind") await buildPagefind(records, out);
  else if (engine === "minisearch") buildMini(records, out);
  else if (engine === "flexsearch") await buildFlex(records, out);
  else throw new Error(`unknown engine ${engine}`);
  const ms = performance.now() - t1;
  if (engine === "pagefind") fs.writeFileSync(path.join(dir, "pagefind-ids.json"), JSON.stringify(pagefindIds(out)));
  return { engine, ms, ...dirBytes(out), records: records.length };
}

/** Stops Pagefind's indexing service (it keeps node alive otherwise). */
export const closeBuilders = () => pagefind.close();
