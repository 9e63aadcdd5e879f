// <tech-match>: an embeddable search-and-match widget for technology needs and research results.
//
//   <script type="module" src="tech-match.js"></script>
//   <tech-match src="data/techmatch.bundle" lang="zh" mode="both" page-size="20" open-only></tech-match>
//
// Attributes: src (the bundle, relative to the page), lang (zh | en), mode (needs | results | both),
// page-size (1–100), open-only (start with "open only" ticked), loading (auto | lazy | whole: how the
// bundle is fetched, see engine.js; auto fetches large bundles part by part with HTTP Range).
// API: el.search(q) → Promise<response>, el.matchFor(id) → Promise<match hits>, el.shortlist (a copy),
// el.shortlistCsv() → the CSV text, el.exportShortlist() downloads it, el.savedSearches → [{label, search,
// newCount}] (searches the broker saved, with the records new since the last look at each).
// Events (bubbling, composed): tm-select {id, record}, tm-shortlist-change {shortlist}, tm-error {error, message, phase}.
// Theming: --tm-* custom properties and ::part() (root, searchbar, input, status, chips, chip, facets,
// list, card, card-title, snippet, badge, trl, meta, detail, matches, match, score-bar, reasons,
// saved, shortlist, button, error). The screen lives in the URL hash (#tm.q=…&tm.id=…&tm.view=match).
//
// Safety: every piece of record data is inserted as a text node or through textContent; the
// widget never assigns innerHTML, never builds URLs or attributes that execute from record data.
import { createEngine } from "./engine.js";
import { STRINGS, TRL_NAMES, reasonText, trlLabel, valueName } from "./tech-match-i18n.js";
import { SEEN_LIMIT, SavedSearches, signature, unseen } from "./tech-match-saved.js";

const FACETS = ["kind", "industries", "fields", "result_type", "modes", "region"];
const TRANSLATED_FACETS = new Set(["modes", "result_type"]);
const HASH_PREFIX = "tm.";
const DEBOUNCE_MS = 150;
const FACET_VALUES_SHOWN = 8; // per facet before "more"

/** Creates an element with a class, a part and text content. */
function h(tag, { cls, part, text, attrs } = {}, ...children) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (part) e.setAttribute("part", part);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (attrs) for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : String(v));
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

/** Appends `text` to `parent` with the UTF-16 `ranges` wrapped in <mark>, as text nodes only. */
export function appendMarked(parent, text, ranges = []) {
  text = String(text ?? "");
  let at = 0;
  const sorted = [...(ranges ?? [])].filter((r) => Array.isArray(r) && r.length === 2).sort((a, b) => a[0] - b[0]);
  for (let [a, b] of sorted) {
    a = Math.max(at, Math.min(text.length, Number(a) | 0));
    b = Math.max(a, Math.min(text.length, Number(b) | 0));
    if (b <= a) continue;
    if (a > at) parent.append(document.createTextNode(text.slice(at, a)));
    const m = document.createElement("mark");
    m.textContent = text.slice(a, b);
    parent.append(m);
    at = b;
  }
  if (at < text.length) parent.append(document.createTextNode(text.slice(at)));
  return parent;
}

/** One CSV cell: neutralises spreadsheet formulas (= + - @, tab, CR) and quotes. */
export function csvCell(value) {
  let s = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return `"${s.replace(/"/g, '""')}"`;
}

function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

class TechMatch extends HTMLElement {
  static observedAttributes = ["src", "lang", "mode", "page-size", "open-only"];

  constructor() {
    super();
    this._shadow = this.attachShadow({ mode: "open" });
    this._engine = null;
    this._loading = null;
    this._gen = 0; // generation of the newest search
    this._matchGen = 0;
    this._records = new Map(); // id → public record (engine.get cache)
    this._expanded = new Set(); // facets showing all their values
    this._state = this._defaultState();
    this._last = null; // last search response
    this._debounce = 0;
    this._onHash = () => this._applyHash();
  }

  // ---------------------------------------------------------------- attributes and state

  get _lang() {
    const l = (this.getAttribute("lang") || document.documentElement.lang || "zh").toLowerCase();
    return l.startsWith("en") ? "en" : "zh";
  }
  get _t() {
    return STRINGS[this._lang];
  }
  get _mode() {
    const m = this.getAttribute("mode");
    return m === "needs" || m === "results" ? m : "both";
  }
  get _pageSize() {
    const n = Number.parseInt(this.getAttribute("page-size") ?? "20", 10);
    return Number.isFinite(n) ? Math.min(100, Math.max(1, n)) : 20;
  }
  /** localStorage key of this bundle's `what` (shortlist, saved searches). */
  _storeKey(what) {
    return `techmatch.${what}:${new URL(this.getAttribute("src") || "", document.baseURI).pathname}`;
  }
  get _storageKey() {
    return this._storeKey("shortlist");
  }
  get _saved() {
    return new SavedSearches(this._storeKey("saved"));
  }

  _defaultState() {
    return { q: "", filters: {}, trlMin: 0, trlMax: 0, open: this.hasAttribute("open-only"), page: 1, id: "", view: "list" };
  }

  connectedCallback() {
    if (!this._built) {
      this._build();
      this._built = true;
    }
    window.addEventListener("hashchange", this._onHash);
    this._applyHash(false);
    this._renderShortlist();
    this._renderSaved();
    if (!this._engine && !this._loading) this._load();
  }

  disconnectedCallback() {
    window.removeEventListener("hashchange", this._onHash);
  }

  attributeChangedCallback(name, old, value) {
    if (!this._built || old === value) return;
    if (name === "src") {
      this._engine?.terminate();
      this._engine = null;
      this._records.clear();
      this._savedNew = null;
      this._renderShortlist();
      this._renderSaved();
      this._load();
    } else if (name === "lang") {
      this._relabel();
      this._renderShortlist();
      this._renderSaved();
      if (!this._engine && this._loadError && !this._loading) this._showLoadError(this._loadError);
      this._renderAll();
    } else if (name === "open-only" && !this._hashHas("open")) {
      this._state.open = value !== null;
      this._refresh();
    } else {
      this._refresh();
    }
  }

  // ---------------------------------------------------------------- public API

  /** Runs a search for `q` (keeping filters); resolves with the engine's response. */
  async search(q = "") {
    this._state.q = String(q);
    this._state.page = 1;
    this._state.id = "";
    this._state.view = "list";
    this._els.input.value = this._state.q;
    this._writeHash();
    return this._runSearch();
  }

  /** Opens record `id` and its matches; resolves with the match hits. */
  async matchFor(id) {
    this._state.id = String(id);
    this._state.view = "match";
    this._writeHash(true);
    return this._showDetail();
  }

  /** Saved searches: [{label, search: {q, filters, trlMin, trlMax, open}, newCount}]; newCount is
   *  null until the engine has counted. */
  get savedSearches() {
    return this._saved.list().map((e) => ({ label: e.label, search: structuredClone(e.search), newCount: this._savedNew?.get(e.sig) ?? null }));
  }

  /** The shortlist: [{id, kind, title, for, score, reasons, note, added}] (a copy). */
  get shortlist() {
    return this._readShortlist().map((e) => ({ ...e, reasons: [...(e.reasons ?? [])] }));
  }

  /** The shortlist as CSV text: UTF-8 BOM, CRLF lines, formula cells neutralised. */
  shortlistCsv() {
    const t = this._t;
    const rows = [t.csv];
    for (const e of this._readShortlist()) {
      rows.push([e.id, t.kindShort[e.kind] ?? e.kind, e.title, e.for ?? "", e.score === undefined || e.score === null ? "" : Number(e.score).toFixed(1), (e.reasons ?? []).join(t.reasonJoin), e.note ?? ""]);
    }
    return "\uFEFF" + rows.map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
  }

  /** Downloads the shortlist as techmatch-shortlist-YYYY-MM-DD.csv. */
  exportShortlist() {
    const blob = new Blob([this.shortlistCsv()], { type: "text/csv;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const a = h("a", { attrs: { href: url, download: `techmatch-shortlist-${today()}.csv` } });
    this._shadow.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  // ---------------------------------------------------------------- building the screen

  _build() {
    const root = this._shadow;
    root.append(h("link", { attrs: { rel: "stylesheet", href: new URL("./tech-match.css", import.meta.url).href } }));
    const els = (this._els = {});
    els.root = h("div", { cls: "root", part: "root" });

    els.form = h("form", { cls: "searchbar", part: "searchbar", attrs: { role: "search" } });
    els.input = h("input", { part: "input", attrs: { type: "search", autocomplete: "off", enterkeyhint: "search" } });
    els.searchBtn = h("button", { cls: "btn primary", part: "button", attrs: { type: "submit" } });
    els.saveBtn = h("button", { cls: "btn save-search", part: "button", attrs: { type: "button" } });
    els.saveBtn.addEventListener("click", () => this._saveSearch());
    els.form.append(els.input, els.searchBtn, els.saveBtn);
    els.form.addEventListener("submit", (e) => {
      e.preventDefault();
      clearTimeout(this._debounce);
      this._state.q = els.input.value;
      this._state.page = 1;
      this._toList();
    });
    els.input.addEventListener("input", () => {
      clearTimeout(this._debounce);
      this._debounce = setTimeout(() => {
        this._state.q = els.input.value;
        this._state.page = 1;
        this._toList();
      }, DEBOUNCE_MS);
    });
    els.input.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && els.input.value) {
        e.preventDefault();
        els.input.value = "";
        els.input.dispatchEvent(new Event("input"));
      } else if (e.key === "ArrowDown" && this._state.view === "list") {
        const first = els.list.querySelector(".card-title");
        if (first) {
          e.preventDefault();
          first.focus();
        }
      }
    });

    els.progress = h("progress", { cls: "progress", attrs: { max: 1 } });
    els.status = h("p", { cls: "status", part: "status", attrs: { role: "status", "aria-live": "polite" } });
    els.chips = h("div", { cls: "chips", part: "chips", attrs: { role: "group" } });
    els.error = h("div", { cls: "error", part: "error", attrs: { role: "alert", hidden: true } });

    els.facetsToggle = h("button", { cls: "btn facets-toggle", part: "button", attrs: { type: "button", "aria-expanded": "false" } });
    els.facets = h("aside", { cls: "facets collapsed", part: "facets", attrs: { id: "tm-facets" } });
    els.facetsToggle.setAttribute("aria-controls", "tm-facets");
    els.facetsToggle.addEventListener("click", () => {
      const open = els.facets.classList.toggle("collapsed") === false;
      els.facetsToggle.setAttribute("aria-expanded", String(open));
    });

    els.main = h("section", { cls: "main" });
    els.listWrap = h("div", { cls: "list-wrap" });
    els.list = h("ul", { cls: "list", part: "list" });
    els.list.addEventListener("keydown", (e) => this._listKeys(e));
    els.empty = h("div", { cls: "empty", attrs: { hidden: true } });
    els.pager = h("nav", { cls: "pager" });
    els.listWrap.append(els.list, els.empty, els.pager);
    els.detail = h("article", { cls: "detail", part: "detail", attrs: { hidden: true, tabindex: "-1" } });
    els.detail.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        this._back();
      }
    });
    els.main.append(els.listWrap, els.detail);

    els.layout = h("div", { cls: "layout" }, h("div", {}, els.facetsToggle, els.facets), els.main);

    els.saved = h("details", { cls: "saved", part: "saved" });
    els.shortlist = h("details", { cls: "shortlist", part: "shortlist" });
    els.root.append(els.form, els.progress, els.status, els.error, els.chips, els.layout, els.saved, els.shortlist);
    root.append(els.root);
    this._relabel();
  }

  /** Sets the interface strings that do not depend on data. */
  _relabel() {
    const t = this._t;
    const els = this._els;
    els.root.setAttribute("lang", this._lang === "en" ? "en" : "zh-CN");
    els.form.setAttribute("aria-label", t.searchLabel);
    els.input.placeholder = t.placeholder;
    els.input.setAttribute("aria-label", t.searchLabel);
    els.searchBtn.textContent = t.searchButton;
    els.saveBtn.textContent = `☆ ${t.saveSearch}`;
    els.chips.setAttribute("aria-label", t.activeFilters);
    els.facets.setAttribute("aria-label", t.filters);
    els.facetsToggle.textContent = t.filters;
    els.list.setAttribute("aria-label", t.results);
  }

  // ---------------------------------------------------------------- loading

  async _load() {
    const els = this._els;
    const t = () => this._t;
    const src = this.getAttribute("src");
    els.error.hidden = true;
    els.layout.hidden = true;
    els.chips.hidden = true;
    els.progress.hidden = false;
    els.progress.removeAttribute("value");
    els.status.textContent = t().loading;
    const loading = (this._loading = createEngine(src || "techmatch.bundle", {
      loading: ["lazy", "whole"].includes(this.getAttribute("loading")) ? this.getAttribute("loading") : "auto",
      onProgress: ({ phase, loaded, total }) => {
        if (this._loading !== loading) return;
        if (phase === "open") {
          els.status.textContent = t().opening;
          return;
        }
        if (total) {
          els.progress.max = total;
          els.progress.value = loaded;
        }
        els.status.textContent = t().downloading(total ? `${Math.round((100 * loaded) / total)}%` : `${(loaded / 1048576).toFixed(1)} MB`);
      },
    }));
    try {
      const engine = await loading;
      if (this._loading !== loading) return engine.terminate();
      this._engine = engine;
      this._loading = null;
      this._loadError = null;
      els.progress.hidden = true;
      els.layout.hidden = false;
      els.chips.hidden = false;
      this._renderAll();
      this._countSaved();
    } catch (e) {
      if (this._loading !== loading) return;
      this._loading = null;
      els.progress.hidden = true;
      els.status.textContent = "";
      this._showLoadError(e);
      this._emit("tm-error", { error: e, message: e.message, phase: "load" });
    }
  }

  /** After an engine error: a dead engine (its worker failed) gives way to the error screen, whose
   *  retry starts a new one; a live engine keeps answering. */
  _checkEngine(error) {
    if (!this._engine || this._engine.alive) return;
    this._engine = null;
    this._records.clear();
    this._els.layout.hidden = true;
    this._els.chips.hidden = true;
    this._showLoadError(error);
  }

  _showLoadError(error) {
    const t = this._t;
    const els = this._els;
    const retry = h("button", { cls: "btn primary", part: "button", text: t.retry, attrs: { type: "button" } });
    retry.addEventListener("click", () => this._load());
    els.error.replaceChildren(h("h2", { text: t.errorTitle }), h("p", { text: t.errorHelp }), retry, h("details", {}, h("summary", { text: t.details }), h("code", { text: error?.message ?? String(error) })));
    els.error.hidden = false;
    this._loadError = error;
    retry.focus();
  }

  // ---------------------------------------------------------------- URL state

  _hashParams() {
    return new URLSearchParams(location.hash.replace(/^#/, ""));
  }
  _hashHas(key) {
    return this._hashParams().has(HASH_PREFIX + key);
  }

  /** Reads the screen from the URL hash (keys prefixed "tm."; other keys are left alone). */
  _applyHash(run = true) {
    const p = this._hashParams();
    const get = (k) => p.get(HASH_PREFIX + k);
    const s = this._defaultState();
    s.q = get("q") ?? "";
    for (const f of FACETS) {
      const v = p.getAll(HASH_PREFIX + f);
      if (v.length) s.filters[f] = v;
    }
    const trl = /^(\d)-(\d)$/.exec(get("trl") ?? "");
    if (trl) [s.trlMin, s.trlMax] = [Number(trl[1]), Number(trl[2])];
    if (get("open") !== null) s.open = get("open") === "1";
    s.page = Math.max(1, Number.parseInt(get("page") ?? "1", 10) || 1);
    s.id = get("id") ?? "";
    s.view = s.id ? (get("view") === "match" ? "match" : "detail") : "list";
    const same = JSON.stringify(s) === JSON.stringify(this._state);
    this._state = s;
    if (this._els) this._els.input.value = s.q;
    if (run && !same) this._renderAll();
  }

  /** Writes the screen into the URL hash, keeping the page's own hash keys. */
  _writeHash(push = false) {
    const p = this._hashParams();
    for (const k of [...p.keys()]) if (k.startsWith(HASH_PREFIX)) p.delete(k);
    const s = this._state;
    const set = (k, v) => p.append(HASH_PREFIX + k, v);
    if (s.q) set("q", s.q);
    for (const f of FACETS) for (const v of s.filters[f] ?? []) set(f, v);
    if (s.trlMin || s.trlMax) set("trl", `${s.trlMin || 1}-${s.trlMax || 9}`);
    if (s.open !== this.hasAttribute("open-only")) set("open", s.open ? "1" : "0");
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

  // ---------------------------------------------------------------- search

  /** The engine request for screen state `s` (by default the current page of the current screen). */
  _request(s = this._state, size = this._pageSize, page = s.page) {
    const req = { q: s.q, size, page, open: s.open, filters: {} };
    for (const [k, v] of Object.entries(s.filters)) if (v?.length) req.filters[k] = [...v];
    if (this._mode === "needs") req.kind = "needs";
    if (this._mode === "results") req.kind = "result";
    if (s.trlMin || s.trlMax) req.trl = { min: s.trlMin || 1, max: s.trlMax || 9 };
    return req;
  }

  _toList() {
    this._state.id = "";
    this._state.view = "list";
    this._writeHash();
    this._renderAll();
  }

  /** Re-runs the search after a filter change (page 1). */
  _refresh() {
    this._state.page = 1;
    this._writeHash();
    this._runSearch();
  }

  _renderAll() {
    if (!this._engine) return;
    this._renderChips();
    const detail = !!this._state.id;
    this._els.listWrap.hidden = detail;
    this._els.detail.hidden = !detail;
    this._runSearch();
    if (detail) this._showDetail();
  }

  async _runSearch() {
    if (!this._engine) return null;
    const gen = ++this._gen;
    const req = this._request();
    this._renderChips();
    let res;
    try {
      res = await this._engine.search(req);
    } catch (e) {
      if (e.name === "AbortError" || gen !== this._gen) return null;
      this._els.status.textContent = `${this._t.errorSearch}: ${e.message}`;
      this._emit("tm-error", { error: e, message: e.message, phase: "search" });
      this._checkEngine(e);
      return null;
    }
    if (gen !== this._gen) return null; // superseded
    this._last = res;
    this._renderResults(res);
    return res;
  }

  _renderResults(res) {
    const t = this._t;
    const els = this._els;
    els.status.textContent = (res.partial ? t.partial : t.count)(res.total, res.tookMs.toFixed(1));
    this._renderFacets(res.facets);
    els.list.replaceChildren();
    els.empty.hidden = res.hits.length > 0;
    if (!res.hits.length) {
      els.empty.replaceChildren(h("h3", { text: t.emptyTitle }), h("ul", {}, ...t.emptyHelp.map((x) => h("li", { text: x }))));
    }
    for (const hit of res.hits) els.list.append(this._card(hit));
    // Pager.
    const pages = Math.max(1, Math.ceil(res.total / this._pageSize));
    els.pager.replaceChildren();
    if (pages > 1) {
      const prev = h("button", { cls: "btn", part: "button", text: t.prev, attrs: { type: "button" } });
      const next = h("button", { cls: "btn", part: "button", text: t.next, attrs: { type: "button" } });
      prev.disabled = this._state.page <= 1;
      next.disabled = this._state.page >= pages;
      prev.addEventListener("click", () => this._goPage(this._state.page - 1));
      next.addEventListener("click", () => this._goPage(this._state.page + 1));
      els.pager.append(prev, h("span", { text: t.page(this._state.page, pages) }), next);
    }
    // Owner, deadline and bounty are on the records, not the hits: fetch them (cached).
    const gen = this._gen;
    for (const hit of res.hits) {
      this._record(hit.id).then((r) => {
        if (gen !== this._gen || !r) return;
        const card = [...els.list.children].find((c) => c.dataset.id === hit.id);
        if (card) card.querySelector(".meta").replaceChildren(...this._metaItems(r));
      });
    }
  }

  _goPage(p) {
    this._state.page = p;
    this._writeHash();
    this._runSearch().then(() => this._els.list.querySelector(".card-title")?.focus());
  }

  async _record(id) {
    if (this._records.has(id)) return this._records.get(id);
    const p = this._engine.get(id).catch(() => null);
    this._records.set(id, p);
    return p;
  }

  _kindBadge(kind) {
    return h("span", { cls: `badge kind-${kind}`, part: "badge", text: this._t.kindShort[kind] ?? kind });
  }

  _trlBadge(levels) {
    const l = trlLabel(levels ?? [], this._lang);
    if (!l) return null;
    return h("span", { cls: "badge trl", part: "badge trl", text: l.text, attrs: { title: l.title } });
  }

  _card(hit) {
    const li = h("li", { cls: "card", part: "card" });
    li.dataset.id = hit.id;
    const title = h("button", { cls: "card-title", part: "card-title", attrs: { type: "button" } });
    appendMarked(title, hit.title, hit.title_highlights);
    title.addEventListener("click", () => this._open(hit.id));
    const head = h("div", { cls: "card-head" }, this._kindBadge(hit.kind), title);
    const snippet = appendMarked(h("p", { cls: "snippet", part: "snippet" }), hit.snippet, hit.highlights);
    const tags = h("div", { cls: "tags" });
    const trl = this._trlBadge(hit.tags?.trl);
    if (trl) tags.append(trl);
    for (const k of ["industries", "fields", "result_type", "modes", "region"]) {
      for (const v of hit.tags?.[k] ?? []) tags.append(h("span", { cls: "tag", text: TRANSLATED_FACETS.has(k) ? valueName(v, this._lang) : v }));
    }
    li.append(head, snippet, tags, h("div", { cls: "meta", part: "meta" }));
    return li;
  }

  _metaItems(r) {
    const t = this._t;
    const out = [];
    if (r.kind === "challenge" && r.bounty !== undefined && r.bounty !== null) out.push(h("span", { cls: "bounty", text: t.bounty(r.bounty) }));
    if (r.deadline && r.kind !== "result") {
      const past = r.deadline < today();
      out.push(h("span", { cls: past ? "expired" : "deadline", text: past ? t.expired(r.deadline) : t.deadline(r.deadline) }));
    }
    if (r.owner) out.push(h("span", { cls: "owner", text: `${r.kind === "result" ? t.holder : t.owner}：${r.owner}`.replace("：", this._lang === "en" ? ": " : "：") }));
    return out;
  }

  _listKeys(e) {
    const titles = [...this._els.list.querySelectorAll(".card-title")];
    const i = titles.indexOf(this._shadow.activeElement);
    if (i < 0) return;
    let j = -1;
    if (e.key === "ArrowDown") j = Math.min(titles.length - 1, i + 1);
    else if (e.key === "ArrowUp") {
      if (i === 0) {
        e.preventDefault();
        this._els.input.focus();
        return;
      }
      j = i - 1;
    } else if (e.key === "Home") j = 0;
    else if (e.key === "End") j = titles.length - 1;
    if (j >= 0) {
      e.preventDefault();
      titles[j].focus();
    }
  }

  // ---------------------------------------------------------------- facets and chips

  _renderFacets(facets) {
    const t = this._t;
    const els = this._els;
    const s = this._state;
    const focused = this._shadow.activeElement?.dataset?.key;
    els.facets.replaceChildren();
    for (const field of FACETS) {
      if (field === "kind" && this._mode !== "both") continue;
      const counts = { ...(facets?.[field] ?? {}) };
      for (const v of s.filters[field] ?? []) counts[v] ??= 0; // a ticked value stays visible
      const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      if (!entries.length) continue;
      const fs = h("fieldset", {}, h("legend", { text: t.facet[field] }));
      const ticked = new Set(s.filters[field] ?? []);
      const all = this._expanded.has(field) || entries.length <= FACET_VALUES_SHOWN + 2;
      const shown = all ? entries : entries.filter(([v], i) => i < FACET_VALUES_SHOWN || ticked.has(v));
      for (const [value, n] of shown) {
        const cb = h("input", { attrs: { type: "checkbox" } });
        cb.checked = (s.filters[field] ?? []).includes(value);
        cb.dataset.key = `${field}\u0000${value}`;
        cb.addEventListener("change", () => this._toggleFilter(field, value, cb.checked));
        const label = h("label", {}, cb, h("span", { text: this._valueLabel(field, value) }), h("span", { cls: "count", text: String(n) }));
        fs.append(label);
      }
      if (entries.length > FACET_VALUES_SHOWN + 2) {
        const more = h("button", { cls: "linkish more", text: all ? t.fewer : t.more(entries.length), attrs: { type: "button", "aria-expanded": String(all) } });
        more.dataset.key = `more\u0000${field}`;
        more.addEventListener("click", () => {
          if (all) this._expanded.delete(field);
          else this._expanded.add(field);
          this._renderFacets(this._last?.facets);
        });
        fs.append(more);
      }
      els.facets.append(fs);
    }
    // TRL range.
    const names = TRL_NAMES[this._lang];
    const trlSelect = (which, label) => {
      const sel = h("select", { attrs: { "aria-label": `${t.trl} ${label}` } });
      sel.dataset.key = `trl${which}`;
      sel.append(h("option", { text: t.any, attrs: { value: "0" } }));
      for (let i = 1; i <= 9; i++) sel.append(h("option", { text: `${i} · ${names[i - 1]}`, attrs: { value: String(i) } }));
      sel.value = String(which === "min" ? s.trlMin : s.trlMax);
      sel.addEventListener("change", () => {
        const v = Number(sel.value);
        if (which === "min") s.trlMin = v;
        else s.trlMax = v;
        if (s.trlMin && s.trlMax && s.trlMin > s.trlMax) [s.trlMin, s.trlMax] = [s.trlMax, s.trlMin];
        this._refresh();
      });
      return h("label", {}, h("span", { text: label }), sel);
    };
    els.facets.append(h("fieldset", {}, h("legend", { text: t.trl }), h("div", { cls: "trl-row" }, trlSelect("min", t.trlMin), trlSelect("max", t.trlMax))));
    // Open only.
    const open = h("input", { attrs: { type: "checkbox" } });
    open.checked = s.open;
    open.dataset.key = "open";
    open.addEventListener("change", () => {
      s.open = open.checked;
      this._refresh();
    });
    els.facets.append(h("fieldset", {}, h("label", {}, open, h("span", { text: t.openOnly }))));
    if (focused) [...els.facets.querySelectorAll("input, select, button")].find((x) => x.dataset.key === focused)?.focus();
  }

  _valueLabel(field, value) {
    if (field === "kind") return this._t.kind[value] ?? value;
    return TRANSLATED_FACETS.has(field) ? valueName(value, this._lang) : value;
  }

  _toggleFilter(field, value, on) {
    const set = new Set(this._state.filters[field] ?? []);
    if (on) set.add(value);
    else set.delete(value);
    if (set.size) this._state.filters[field] = [...set];
    else delete this._state.filters[field];
    this._refresh();
  }

  _renderChips() {
    const t = this._t;
    const s = this._state;
    const chips = [];
    const chip = (label, remove) => {
      const b = h("button", { cls: "chip", part: "chip", text: label, attrs: { type: "button", "aria-label": t.removeFilter(label) } });
      b.addEventListener("click", () => {
        remove();
        this._refresh();
        (this._els.chips.querySelector(".chip") ?? this._els.input).focus();
      });
      chips.push(b);
    };
    for (const f of FACETS) for (const v of s.filters[f] ?? []) chip(`${t.facet[f]}: ${this._valueLabel(f, v)}`, () => this._toggleFilterSilently(f, v));
    if (s.trlMin || s.trlMax) chip(`TRL ${s.trlMin || 1}–${s.trlMax || 9}`, () => ((s.trlMin = 0), (s.trlMax = 0)));
    if (s.open) chip(t.openOnly, () => (s.open = false));
    if (chips.length > 1) {
      const clear = h("button", { cls: "btn", part: "button", text: t.clearAll, attrs: { type: "button" } });
      clear.addEventListener("click", () => {
        s.filters = {};
        s.trlMin = s.trlMax = 0;
        s.open = false;
        this._refresh();
        this._els.input.focus();
      });
      chips.push(clear);
    }
    this._els.chips.replaceChildren(...chips);
  }

  _toggleFilterSilently(field, value) {
    const rest = (this._state.filters[field] ?? []).filter((v) => v !== value);
    if (rest.length) this._state.filters[field] = rest;
    else delete this._state.filters[field];
  }

  // ---------------------------------------------------------------- detail and matches

  _open(id) {
    this._returnFocus = id;
    this._state.id = id;
    this._state.view = "detail";
    this._writeHash(true);
    this._els.listWrap.hidden = true;
    this._els.detail.hidden = false;
    this._showDetail();
  }

  _back() {
    const id = this._returnFocus ?? this._state.id;
    this._state.id = "";
    this._state.view = "list";
    this._writeHash(true);
    this._els.detail.hidden = true;
    this._els.listWrap.hidden = false;
    const card = [...this._els.list.children].find((c) => c.dataset.id === id);
    (card?.querySelector(".card-title") ?? this._els.input).focus();
  }

  async _showDetail() {
    if (!this._engine) return null;
    const t = this._t;
    const id = this._state.id;
    const els = this._els;
    els.listWrap.hidden = true;
    els.detail.hidden = false;
    const gen = ++this._matchGen;
    const r = await this._record(id);
    if (gen !== this._matchGen) return null;
    const back = h("button", { cls: "btn", part: "button", text: `← ${t.back}`, attrs: { type: "button" } });
    back.addEventListener("click", () => this._back());
    if (!r) {
      els.detail.replaceChildren(back, h("p", { text: t.notFound(id) }));
      return null;
    }
    this._emit("tm-select", { id, record: r });
    const title = h("h2", { text: r.title, attrs: { id: "tm-detail-title" } });
    els.detail.setAttribute("aria-labelledby", "tm-detail-title");
    const head = h("div", { cls: "tags" }, this._kindBadge(r.kind));
    const trl = this._trlBadge(r.trl_min ? [r.trl_min, r.trl_max ?? r.trl_min] : null);
    if (trl) head.append(trl);
    const meta = h("div", { cls: "meta", part: "meta" }, ...this._metaItems(r));
    const dl = h("dl");
    const row = (label, value) => {
      if (value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length)) return;
      dl.append(h("dt", { text: label }), h("dd", { text: Array.isArray(value) ? value.join(t.listJoin) : value }));
    };
    const L = t.fieldsLabel;
    row(L.id, r.id);
    row(L.summary, r.summary);
    row(L.problem, r.problem);
    row(L.key_requirements, r.key_requirements);
    row(L.expected_outcome, r.expected_outcome);
    row(L.advantages, r.advantages);
    row(L.keywords, r.keywords);
    row(L.industries, r.industries);
    row(L.fields, r.fields);
    row(L.result_type, r.result_type && valueName(r.result_type, this._lang));
    row(r.kind === "result" ? L.modes_result : L.modes_need, (r.modes ?? []).map((m) => valueName(m, this._lang)));
    if (r.trl_min) row(L.trl, trlLabel([r.trl_min, r.trl_max ?? r.trl_min], this._lang)?.title);
    row(L.region, r.region_name ?? r.province);
    if (r.budget_band) row(t.budget("").trim(), r.budget_band);
    if (r.price !== undefined && r.price !== null) row(t.price("").replace(/\s.*$/, ""), t.price(r.price).replace(/^\S+\s/, ""));
    row(L.ipr, (r.ipr ?? []).map((i) => `${i.type}（${i.status}）`));
    row(L.inventors, r.inventors);
    row(L.published, r.published);
    row(L.deadline, r.deadline);

    const matchBtn = h("button", { cls: "btn primary", part: "button", text: t.findMatches, attrs: { type: "button" } });
    matchBtn.addEventListener("click", () => {
      this._state.view = "match";
      this._writeHash(true);
      this._renderMatches(r, matchesBox);
    });
    const slBtn = this._shortlistButton({ id: r.id, kind: r.kind, title: r.title });
    const matchesBox = h("section", { cls: "matches", part: "matches", attrs: { "aria-live": "polite" } });
    els.detail.replaceChildren(back, head, title, meta, h("div", { cls: "actions" }, matchBtn, slBtn), dl, matchesBox);
    if (this._state.view === "match") return this._renderMatches(r, matchesBox);
    if (!this._shadow.activeElement || this._shadow.activeElement === document.body) back.focus();
    else if (!els.detail.contains(this._shadow.activeElement)) back.focus();
    return null;
  }

  async _renderMatches(source, box) {
    const t = this._t;
    const gen = ++this._matchGen;
    box.replaceChildren(h("h3", { text: t.matchesFor(source.kind), attrs: { id: "tm-matches-title" } }), h("p", { cls: "status", text: t.matching }));
    box.setAttribute("aria-labelledby", "tm-matches-title");
    let res;
    try {
      res = await this._engine.match({ id: source.id }, { size: 10 });
    } catch (e) {
      if (gen !== this._matchGen) return null;
      box.lastChild.textContent = e.message;
      this._emit("tm-error", { error: e, message: e.message, phase: "match" });
      this._checkEngine(e);
      return null;
    }
    if (gen !== this._matchGen) return null;
    const ol = h("ol");
    for (const m of res.hits) ol.append(this._matchItem(source, m));
    box.replaceChildren(box.firstChild, res.hits.length ? ol : h("p", { text: t.noMatches }));
    ol.querySelector(".match-title")?.focus();
    return res.hits;
  }

  _matchItem(source, m) {
    const t = this._t;
    const li = h("li", { cls: "match", part: "match" });
    li.dataset.id = m.id;
    const title = h("button", { cls: "linkish match-title", text: m.title, attrs: { type: "button" } });
    title.addEventListener("click", () => this._open(m.id));
    const fill = h("span", { cls: "score-fill" });
    fill.style.width = `${Math.max(0, Math.min(100, m.score))}%`; // CSSOM, allowed under style-src 'self'
    const bar = h("span", { cls: "score-bar", part: "score-bar", attrs: { role: "meter", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": m.score.toFixed(1), "aria-label": t.score } }, fill);
    const reasons = h("ul", { cls: "reasons", part: "reasons" });
    const texts = [];
    for (const r of m.reasons) {
      const text = reasonText(r, this._lang);
      texts.push(`${text} (${r.contribution >= 0 ? "+" : ""}${r.contribution.toFixed(1)})`);
      reasons.append(h("li", { cls: r.contribution < 0 ? "neg" : "" }, document.createTextNode(text), h("span", { cls: "pts", text: `${r.contribution >= 0 ? "+" : "−"}${Math.abs(r.contribution).toFixed(1)}` })));
    }
    const sl = this._shortlistButton({ id: m.id, kind: m.kind, title: m.title, for: source.id, score: Number(m.score.toFixed(1)), reasons: texts });
    li.append(h("div", { cls: "match-head" }, this._kindBadge(m.kind), title, h("span", { cls: "score" }, bar, document.createTextNode(m.score.toFixed(1))), sl), reasons);
    return li;
  }

  // ---------------------------------------------------------------- saved searches

  /** Ids of the records (at most SEEN_LIMIT) that the search of screen state `s` finds. */
  async _idsOf(s) {
    const res = await this._engine.search(this._request(s, SEEN_LIMIT, 1), { background: true });
    return res.hits.map((x) => x.id);
  }

  /** A short name for a search: its query and active filters. */
  _searchLabel(s) {
    const parts = [];
    if (s.q.trim()) parts.push(`“${s.q.trim()}”`);
    for (const f of FACETS) for (const v of s.filters[f] ?? []) parts.push(this._valueLabel(f, v));
    if (s.trlMin || s.trlMax) parts.push(`TRL ${s.trlMin || 1}–${s.trlMax || 9}`);
    if (s.open) parts.push(this._t.openOnly);
    return parts.join(" · ") || this._t.allRecords;
  }

  /** Saves the current search with the records it finds now (so none of them count as new). */
  async _saveSearch() {
    if (!this._engine) return;
    const state = structuredClone(this._state);
    try {
      const ids = await this._idsOf(state);
      this._saved.save(state, this._searchLabel(state), ids);
    } catch (e) {
      this._emit("tm-error", { error: e, message: e.message, phase: "saved" });
      return;
    }
    (this._savedNew ??= new Map()).set(signature(state), 0);
    this._els.saved.open = true;
    this._renderSaved();
  }

  /** Counts, for every saved search, the records it finds now that it had not found before. */
  async _countSaved() {
    const counts = new Map();
    for (const e of this._saved.list()) {
      try {
        counts.set(e.sig, unseen(e, await this._idsOf(e.search)).length);
      } catch {
        // A saved search the engine refuses (edited storage, another bundle's facets) stays uncounted.
      }
    }
    this._savedNew = counts;
    this._renderSaved();
  }

  /** Shows the saved search `entry` and marks its records as seen. */
  _openSaved(entry) {
    const s = Object.assign(this._defaultState(), structuredClone(entry.search));
    this._state = s;
    this._els.input.value = s.q;
    this._writeHash(true);
    this._renderAll();
    this._idsOf(s)
      .then((ids) => {
        this._saved.markSeen(entry.sig, ids);
        this._savedNew?.set(entry.sig, 0);
        this._renderSaved();
      })
      .catch((e) => this._emit("tm-error", { error: e, message: e.message, phase: "saved" }));
  }

  _renderSaved() {
    const t = this._t;
    const els = this._els;
    if (!els) return;
    const list = this._saved.list();
    const fresh = (e) => this._savedNew?.get(e.sig) ?? 0;
    const total = list.reduce((n, e) => n + fresh(e), 0);
    const summary = h("summary", { text: `${t.savedSearches} (${list.length})` });
    if (total) summary.append(" ", h("span", { cls: "new", text: t.newSince(total) }));
    const ul = h("ul");
    for (const e of list) {
      const open = h("button", { cls: "linkish", text: e.label, attrs: { type: "button" } });
      open.addEventListener("click", () => this._openSaved(e));
      const remove = h("button", { cls: "btn", part: "button", text: t.removeSaved, attrs: { type: "button", "aria-label": `${t.removeSaved}: ${e.label}` } });
      remove.addEventListener("click", () => {
        this._saved.remove(e.sig);
        this._renderSaved();
        els.saved.querySelector("summary").focus();
      });
      const info = h("div", {}, open, fresh(e) ? h("span", { cls: "new", text: t.newSince(fresh(e)) }) : null, h("small", { cls: "visited", text: t.lastViewed(String(e.visited ?? "").slice(0, 10)) }));
      ul.append(h("li", {}, info, remove));
    }
    const wasOpen = els.saved.open;
    els.saved.replaceChildren(summary, list.length ? ul : h("p", { cls: "status", text: t.savedEmpty }));
    els.saved.open = wasOpen;
  }

  // ---------------------------------------------------------------- shortlist

  _readShortlist() {
    try {
      const v = JSON.parse(localStorage.getItem(this._storageKey) ?? "[]");
      return Array.isArray(v) ? v.filter((e) => e && typeof e.id === "string") : [];
    } catch {
      return [];
    }
  }

  _writeShortlist(list) {
    try {
      localStorage.setItem(this._storageKey, JSON.stringify(list));
    } catch (e) {
      this._emit("tm-error", { error: e, message: e.message, phase: "shortlist" });
    }
    this._renderShortlist();
    this._emit("tm-shortlist-change", { shortlist: this.shortlist });
  }

  _key(e) {
    return `${e.id}\u0000${e.for ?? ""}`;
  }

  _shortlistButton(entry) {
    const t = this._t;
    const b = h("button", { cls: "btn sl-toggle", part: "button", attrs: { type: "button" } });
    const sync = () => {
      const on = this._readShortlist().some((e) => this._key(e) === this._key(entry));
      b.textContent = on ? `★ ${t.inShortlist}` : `☆ ${t.addShortlist}`;
      b.setAttribute("aria-pressed", String(on));
    };
    b.addEventListener("click", () => {
      const list = this._readShortlist();
      const i = list.findIndex((e) => this._key(e) === this._key(entry));
      if (i >= 0) list.splice(i, 1);
      else list.push({ ...entry, note: "", added: new Date().toISOString() });
      this._writeShortlist(list);
      sync();
    });
    b._sync = sync;
    sync();
    return b;
  }

  _renderShortlist() {
    const t = this._t;
    const els = this._els;
    if (!els) return;
    const list = this._readShortlist();
    const wasOpen = els.shortlist.open;
    const ul = h("ul");
    list.forEach((e, i) => {
      const title = h("button", { cls: "linkish", text: e.title, attrs: { type: "button" } });
      title.addEventListener("click", () => this._open(e.id));
      const info = h("div", {}, this._kindBadge(e.kind), document.createTextNode(" "), title, e.score !== undefined && e.score !== null ? h("span", { cls: "score", text: ` ${Number(e.score).toFixed(1)}` }) : null);
      const remove = h("button", { cls: "btn", part: "button", text: t.removeShortlist, attrs: { type: "button", "aria-label": `${t.removeShortlist}: ${e.title}` } });
      remove.addEventListener("click", () => {
        const cur = this._readShortlist();
        cur.splice(i, 1);
        this._writeShortlist(cur);
        els.shortlist.querySelector(".sl-export")?.focus();
      });
      const note = h("input", { attrs: { type: "text", "aria-label": `${t.note}: ${e.title}`, placeholder: t.note } });
      note.value = e.note ?? "";
      note.addEventListener("change", () => {
        const cur = this._readShortlist();
        const k = cur.findIndex((x) => this._key(x) === this._key(e));
        if (k >= 0) {
          cur[k].note = note.value;
          try {
            localStorage.setItem(this._storageKey, JSON.stringify(cur));
          } catch {}
          this._emit("tm-shortlist-change", { shortlist: this.shortlist });
        }
      });
      ul.append(h("li", {}, info, remove, note));
    });
    const exp = h("button", { cls: "btn primary sl-export", part: "button", text: t.exportCsv, attrs: { type: "button" } });
    exp.disabled = !list.length;
    exp.addEventListener("click", () => this.exportShortlist());
    const clear = h("button", { cls: "btn", part: "button", text: t.clearShortlist, attrs: { type: "button" } });
    clear.disabled = !list.length;
    clear.addEventListener("click", () => this._writeShortlist([]));
    els.shortlist.replaceChildren(h("summary", { text: `${t.shortlist} (${list.length})` }), list.length ? ul : h("p", { cls: "status", text: t.shortlistEmpty }), h("div", { cls: "actions" }, exp, clear));
    els.shortlist.open = wasOpen;
    for (const b of this._shadow.querySelectorAll(".sl-toggle")) b._sync?.();
  }

  _emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }
}

if (!customElements.get("tech-match")) customElements.define("tech-match", TechMatch);
export { TechMatch };
