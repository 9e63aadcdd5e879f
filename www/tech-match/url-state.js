// The screen of <tech-match> in the URL hash: query, filters, TRL range, open only, page, record
// and view under keys prefixed "tm." (#tm.q=…&tm.id=…&tm.view=match), so a link shares the screen.
// The page's own hash keys are left alone.
import { FACETS } from "./i18n.js";

const PREFIX = "tm.";

function params() {
  return new URLSearchParams(location.hash.replace(/^#/, ""));
}

/** The screen state with nothing chosen; `open` is whether "open only" starts ticked. */
export function defaultState(open) {
  return { q: "", filters: {}, trlMin: 0, trlMax: 0, open, page: 1, id: "", view: "list" };
}

/** Whether the hash sets `key`. */
export function hashHas(key) {
  return params().has(PREFIX + key);
}

/** The screen state the hash describes, starting from `defaults` for what it leaves out. */
export function readHash(defaults) {
  const p = params();
  const get = (k) => p.get(PREFIX + k);
  const s = defaults;
  s.q = get("q") ?? "";
  for (const f of FACETS) {
    const v = p.getAll(PREFIX + f);
    if (v.length) s.filters[f] = v;
  }
  const trl = /^(\d)-(\d)$/.exec(get("trl") ?? "");
  if (trl) [s.trlMin, s.trlMax] = [Number(trl[1]), Number(trl[2])];
  if (get("open") !== null) s.open = get("open") === "1";
  s.page = Math.max(1, Number.parseInt(get("page") ?? "1", 10) || 1);
  s.id = get("id") ?? "";
  s.view = s.id ? (get("view") === "match" ? "match" : "detail") : "list";
  return s;
}

/** Writes state `s` into the hash (a history entry when `push`); `openDefault` is not written. */
export function writeHash(s, openDefault, push = false) {
  const p = params();
  for (const k of [...p.keys()]) if (k.startsWith(PREFIX)) p.delete(k);
  const set = (k, v) => p.append(PREFIX + k, v);
  if (s.q) set("q", s.q);
  for (const f of FACETS) for (const v of s.filters[f] ?? []) set(f, v);
  if (s.trlMin || s.trlMax) set("trl", `${s.trlMin || 1}-${s.trlMax || 9}`);
  if (s.open !== openDefault) set("open", s.open ? "1" : "0");
  if (s.page > 1) set("page", String(s.page));
  if (s.id) {
    set("id", s.id);
    if (s.view === "match") set("view", "match");
  }
  const hash = p.toString();
  const url = `${location.pathname}${location.search}${hash ? `#${hash}` : ""}`;
  if (url === `${location.pathname}${location.search}${location.hash}`) return;
  history[push ? "pushState" : "replaceState"](history.state, "", url);
}
