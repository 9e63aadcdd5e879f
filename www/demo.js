// The demo portal: search, facet filters and "find matches" over the seeds bundle.
// Every record field is inserted as text (textContent / text nodes), never as HTML.
import { createEngine } from "./engine.js";

const $ = (id) => document.getElementById(id);
const status = $("status");
const filters = {};
let engine;

/** Appends `text` to `parent` with the UTF-16 `ranges` wrapped in <mark>. */
function appendMarked(parent, text, ranges = []) {
  let at = 0;
  for (const [a, b] of ranges) {
    parent.append(document.createTextNode(text.slice(at, a)));
    const m = document.createElement("mark");
    m.textContent = text.slice(a, b);
    parent.append(m);
    at = b;
  }
  parent.append(document.createTextNode(text.slice(at)));
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

const FACET_NAMES = { kind: "类型", industries: "产业", fields: "技术领域", result_type: "成果类型", modes: "合作/转化方式", region: "地区" };
const REASON_NAMES = {
  terms: "匹配词", industry: "同产业", field: "同领域", trl_fit: "成熟度相符", trl_miss: "成熟度不符",
  mode_fit: "合作方式相容", mode_conflict: "合作方式冲突", open: "需求有效", expired: "需求已截止", region: "同地区",
};

function renderFacets(facets) {
  const box = $("facets");
  box.replaceChildren();
  for (const [field, label] of Object.entries(FACET_NAMES)) {
    const counts = facets[field] ?? {};
    if (!Object.keys(counts).length) continue;
    box.append(el("h3", "", label));
    for (const [value, n] of Object.entries(counts).sort((a, b) => b[1] - a[1])) {
      const l = el("label");
      const cb = document.createElement("input");
      cb.type = "checkbox";
      cb.checked = (filters[field] ?? []).includes(value);
      cb.addEventListener("change", () => {
        const list = new Set(filters[field] ?? []);
        cb.checked ? list.add(value) : list.delete(value);
        filters[field] = [...list];
        run();
      });
      l.append(cb, document.createTextNode(` ${value} (${n})`));
      box.append(l);
    }
  }
}

function tagLine(tags) {
  const line = el("div", "tags");
  for (const [k, values] of Object.entries(tags)) {
    for (const v of values) line.append(el("span", "", k === "trl" ? `TRL ${v}` : v));
  }
  return line;
}

async function showMatches(hit) {
  const list = $("match-hits");
  $("matches").hidden = false;
  $("match-title").textContent = `为「${hit.title}」匹配${hit.kind === "result" ? "需求" : "成果"}`;
  list.replaceChildren(el("li", "", "匹配中…"));
  try {
    const res = await engine.match({ id: hit.id }, { size: 10 });
    list.replaceChildren();
    for (const m of res.hits) {
      const li = el("li");
      li.append(el("span", "score", m.score.toFixed(1)), el("strong", "", m.title));
      const reasons = el("ul", "reasons");
      for (const r of m.reasons) {
        const item = el("li", r.contribution < 0 ? "neg" : "", `${REASON_NAMES[r.kind] ?? r.kind} ${r.contribution >= 0 ? "+" : ""}${r.contribution.toFixed(1)}：${r.detail}`);
        reasons.append(item);
      }
      li.append(reasons);
      list.append(li);
    }
  } catch (e) {
    list.replaceChildren(el("li", "neg", e.message));
  }
}

async function run() {
  if (!engine) return;
  const req = { q: $("q").value, open: $("open").checked, size: 20, filters: { ...filters } };
  if ($("kind").value) req.kind = $("kind").value;
  let res;
  try {
    res = await engine.search(req);
  } catch (e) {
    if (e.name !== "AbortError") status.textContent = e.message;
    return;
  }
  status.textContent = `共 ${res.total} 条（${res.tookMs.toFixed(1)} ms）`;
  renderFacets(res.facets);
  const list = $("hits");
  list.replaceChildren();
  for (const h of res.hits) {
    const li = el("li");
    const title = el("button", "title");
    appendMarked(title, h.title, h.title_highlights);
    title.addEventListener("click", () => showMatches(h));
    const snippet = el("p", "snippet");
    appendMarked(snippet, h.snippet, h.highlights);
    li.append(el("span", "score", h.kind === "result" ? "成果" : h.kind === "challenge" ? "揭榜" : "需求"), title, snippet, tagLine(h.tags));
    list.append(li);
  }
}

let timer;
$("q").addEventListener("input", () => {
  clearTimeout(timer);
  timer = setTimeout(run, 120);
});
$("search").addEventListener("submit", (e) => {
  e.preventDefault();
  run();
});
$("kind").addEventListener("change", run);
$("open").addEventListener("change", run);

try {
  engine = await createEngine("data/techmatch.bundle", {
    onProgress: ({ loaded, total }) => {
      status.textContent = total ? `正在下载索引 ${Math.round((100 * loaded) / total)}%` : `正在下载索引 ${loaded} B`;
    },
  });
  run();
} catch (e) {
  status.textContent = `索引无法加载：${e.message}`;
}
