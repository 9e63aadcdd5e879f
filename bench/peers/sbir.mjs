// Long English need texts through `techmatch eval --mode match` for the bench/peers report: the SBIR
// topics (../shared/data/sbir/topics_sample.jsonl, title + description) matched against a mixed bundle
// (the seeds, Chinese and English, plus 20,000 synthetic Chinese records). There are no judgements:
// the report gives score distributions and a few examples with their reasons.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { pct, ROOT } from "../lib/browser-kit.mjs";
import { readJsonl } from "./build.mjs";

const SYNTH = 20000;

export function sbirReport({ cli, work, log }) {
  const synth = path.join(work, `synth${SYNTH}.jsonl`);
  if (!fs.existsSync(synth))
    execFileSync("python3", [path.join(ROOT, "bench/synth.py"), "--records", String(SYNTH), "--out", synth], {
      stdio: "inherit",
    });
  const inputs = [path.join(ROOT, "seeds/needs.jsonl"), path.join(ROOT, "seeds/results.jsonl"), synth];
  const dir = path.join(work, "sbir-mixed");
  execFileSync(cli, ["build", ...inputs, "--out", dir], { stdio: ["ignore", "ignore", "inherit"] });
  const bundle = path.join(dir, "techmatch.bundle");
  const records = new Map(inputs.flatMap(readJsonl).map((r) => [r.id, r]));
  const results = [...records.values()].filter((r) => r.kind === "result");

  const topics = readJsonl(path.resolve(ROOT, "../shared/data/sbir/topics_sample.jsonl"));
  const text = (t) => `${t.topic_name ?? ""} ${t.description ?? ""}`.replace(/\s+/g, " ").trim();
  const qfile = path.join(work, "sbir-queries.tsv");
  fs.writeFileSync(qfile, topics.map((t) => `${t.id}\t${text(t)}\n`).join(""));
  const runFile = path.join(work, "sbir.trec");
  const evalOut = execFileSync(
    cli,
    ["eval", bundle, "--mode", "match", "--queries", qfile, "--run", runFile, "--limit", "10"],
    { encoding: "utf8" },
  ).trim();
  log(`sbir: ${evalOut}`);

  const runs = new Map(topics.map((t) => [t.id, []]));
  for (const line of fs.readFileSync(runFile, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const [qid, , id, , score] = line.split(" ");
    runs.get(qid).push({ id, score: Number(score) });
  }
  const top = [...runs.values()].map((hits) => hits[0]).filter(Boolean);
  const top1 = top.map((h) => h.score);
  const lengths = topics.map((t) => text(t).length);
  const english = top.filter((h) => records.get(h.id)?.lang === "en").length;
  const md = [];
  const p = (s = "") => md.push(s);
  const q = (xs, digits = 1) => [0.1, 0.25, 0.5, 0.75, 0.9].map((k) => pct(xs, k).toFixed(digits)).join(" / ");
  p(`### Long English needs: SBIR topics through \`techmatch eval --mode match\``);
  p();
  p(
    `${topics.length.toLocaleString("en-US")} SBIR topics (title + description, ${q(lengths, 0)} characters at p10/p25/p50/p75/p90) as`,
  );
  p(
    `free-text needs against a mixed bundle of ${records.size.toLocaleString("en-US")} records: the seeds (72 needs, 160 results, 8 of them in`,
  );
  p(
    `English) and ${SYNTH.toLocaleString("en-US")} synthetic Chinese records (\`bench/synth.py\`), ${results.length.toLocaleString("en-US")} results in all. No judgements exist: these are`,
  );
  p("distributions and examples, a smoke check of long-query behaviour.");
  p();
  p(`- \`techmatch eval\`: ${evalOut.replace(/\n/g, "; ")}.`);
  p(`- Topics with at least one match: ${top.length} of ${topics.length}; without: ${topics.length - top.length}.`);
  p(
    `- Score of the best match (0–100), p10/p25/p50/p75/p90: ${q(top1)}; of the 10th: ${q([...runs.values()].filter((h) => h.length >= 10).map((h) => h[9].score))}.`,
  );
  const bins = Array.from(
    { length: 10 },
    (_, i) => top1.filter((s) => s >= i * 10 && (s < (i + 1) * 10 || (i === 9 && s <= 100))).length,
  );
  p(`- Best-match scores by band 0–10, 10–20, …, 90–100: ${bins.join(", ")}.`);
  p(
    `- Best match in English (one of the 8 English seed results): ${english} of ${top.length}; Chinese: ${top.length - english}.`,
  );
  p();
  // Examples: the best-scored topic, the median one, and the lowest with a match.
  const order = [...runs].filter(([, h]) => h.length).sort((a, b) => b[1][0].score - a[1][0].score);
  const examples = [order[0], order[Math.floor(order.length / 2)], order.at(-1)];
  p("| need (SBIR topic) | best matches: score, title, reasons |");
  p("|---|---|");
  for (const [qid] of examples) {
    const t = topics.find((x) => x.id === qid);
    const m = JSON.parse(
      execFileSync(cli, ["match", bundle, "--text", text(t), "--limit", "3", "--json"], { encoding: "utf8" }),
    );
    const cell = m.hits
      .map(
        (h) =>
          `${h.score.toFixed(1)} ${h.title} (${h.reasons.map((r) => `${r.kind}: ${r.detail}`.slice(0, 80)).join("; ")})`,
      )
      .join("<br>");
    p(`| \`${qid}\` ${t.topic_name} | ${cell.replace(/\|/g, "\\|")} |`);
  }
  p();
  return { evalOut, top1, bins, english, markdown: md };
}
