// DOM helpers of <tech-match>: elements built with text content only (record data is never HTML),
// each text isolated in its own direction and without bidirectional controls, highlighted text as
// <mark> around text nodes, CSV cells, badges, the local date.
import { trlLabel } from "./i18n.js";

const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/** `s` as a string without bidirectional embedding, override and isolate controls
 *  (U+202A–U+202E, U+2066–U+2069): a record cannot turn its text, or the page's, around. */
export function plain(s) {
  return String(s ?? "").replace(BIDI_CONTROLS, "");
}

/** A text node of `s`, without bidirectional controls. */
export function textNode(s) {
  return document.createTextNode(plain(s));
}

/** Creates an element with a class, a part, text content, attributes and children. An element
 *  given text takes its direction from that text (`dir="auto"`, which also isolates it). */
export function h(tag, { cls, part, text, attrs } = {}, ...children) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (part) e.setAttribute("part", part);
  if (text !== undefined && text !== null) {
    e.textContent = plain(text);
    e.dir = "auto";
  }
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : plain(v));
    }
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

/** A button of the widget: `cls` besides "btn", the part "button", `text`, more `attrs`. */
export function button(cls, text, attrs = {}) {
  return h("button", { cls: cls ? `btn ${cls}` : "btn", part: "button", text, attrs: { type: "button", ...attrs } });
}

/** A button that looks like a link (titles in lists). */
export function linkButton(cls, text) {
  return h("button", { cls: cls ? `linkish ${cls}` : "linkish", text, attrs: { type: "button" } });
}

/** Appends `text` to `parent` with the UTF-16 `ranges` wrapped in <mark>, as text nodes only
 *  (bidirectional controls dropped, `parent` isolated with `dir="auto"`). */
export function appendMarked(parent, text, ranges = []) {
  text = String(text ?? "");
  parent.dir = "auto";
  let at = 0;
  const sorted = [...(ranges ?? [])].filter((r) => Array.isArray(r) && r.length === 2).sort((a, b) => a[0] - b[0]);
  for (let [a, b] of sorted) {
    a = Math.max(at, Math.min(text.length, Number(a) | 0));
    b = Math.max(a, Math.min(text.length, Number(b) | 0));
    if (b <= a) continue;
    if (a > at) parent.append(textNode(text.slice(at, a)));
    const m = document.createElement("mark");
    m.textContent = plain(text.slice(a, b));
    parent.append(m);
    at = b;
  }
  if (at < text.length) parent.append(textNode(text.slice(at)));
  return parent;
}

/** One CSV cell: without bidirectional controls, spreadsheet formulas (= + - @, tab, CR)
 *  neutralised, quoted. */
export function csvCell(value) {
  let s = plain(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return `"${s.replace(/"/g, '""')}"`;
}

/** Today in the broker's time zone, YYYY-MM-DD. */
export function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** The badge naming a record's kind (need, result, challenge). */
export function kindBadge(t, kind) {
  return h("span", { cls: `badge kind-${kind}`, part: "badge", text: t.kindShort[kind] ?? kind });
}

/** The badge of a TRL range [min, max], or null without one. */
export function trlBadge(levels, lang) {
  const l = trlLabel(levels ?? [], lang);
  if (!l) return null;
  return h("span", { cls: "badge trl", part: "badge trl", text: l.text, attrs: { title: l.title } });
}

/** The owner, deadline and bounty line of record `r`: the meta of cards and of the detail. */
export function metaItems(t, lang, r) {
  const out = [];
  if (r.kind === "challenge" && r.bounty !== undefined && r.bounty !== null)
    out.push(h("span", { cls: "bounty", text: t.bounty(r.bounty) }));
  if (r.deadline && r.kind !== "result") {
    const past = r.deadline < today();
    out.push(
      h("span", { cls: past ? "expired" : "deadline", text: past ? t.expired(r.deadline) : t.deadline(r.deadline) }),
    );
  }
  if (r.owner) {
    const label = r.kind === "result" ? t.holder : t.owner;
    out.push(h("span", { cls: "owner", text: `${label}${lang === "en" ? ": " : "："}${r.owner}` }));
  }
  return out;
}
