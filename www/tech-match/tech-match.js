// <tech-match>: an embeddable search-and-match widget for technology needs and research results.
//
//   <script type="module" src="tech-match/tech-match.js"></script>
//   <tech-match src="data/techmatch.bundle" lang="zh" mode="both" page-size="20" open-only></tech-match>
//
// Attributes: src (the bundle, relative to the page), lang (zh | en), mode (needs | results | both),
// page-size (1–100), open-only (start with "open only" ticked), loading (auto | lazy | whole: how the
// bundle is fetched, see engine.js; auto fetches large bundles part by part with HTTP Range),
// portal-name (heads the printed recommendation).
// API: el.search(q) → Promise<response>, el.matchFor(id) → Promise<match hits>, el.shortlist (a copy),
// el.shortlistCsv() → the CSV text, el.exportShortlist() downloads it, el.savedSearches → [{label, search,
// newCount}] (searches the broker saved, with the records new since the last look at each).
// Events (bubbling, composed): tm-select {id, record}, tm-shortlist-change {shortlist}, tm-error {error, message, phase},
// tm-contact {id, kind, title, for} (the broker or visitor asked to make contact: the portal's form takes over).
// Theming: --tm-* custom properties and ::part() (root, searchbar, input, status, chips, chip, facets,
// list, card, card-title, snippet, badge, trl, meta, detail, matches, match, score-bar, reasons,
// saved, shortlist, button, error). The screen lives in the URL hash (url-state.js).
//
// This file is the element: attributes, the public API, loading, searching, and the wiring of its
// parts (results.js, filters.js, detail.js, shortlist.js, saved.js). The element hands the parts a
// context (language, state, engine, records) and renders them; the parts send what the broker did
// back as events on the context's bus ("open", "back", "page", "refresh", "view", "open-saved", "export").
//
// Safety: every piece of record data is inserted as a text node or through textContent; the
// widget never assigns innerHTML, never builds URLs or attributes that execute from record data.
import { createEngine } from "./engine.js";
import { STRINGS } from "./i18n.js";
import { button, h } from "./dom.js";
import { defaultState, hashHas, readHash, writeHash } from "./url-state.js";
import { Results } from "./results.js";
import { Chips, Facets } from "./filters.js";
import { Detail } from "./detail.js";
import { Shortlist } from "./shortlist.js";
import { SavedPanel } from "./saved.js";

const DEBOUNCE_MS = 150;

class TechMatch extends HTMLElement {
  static observedAttributes = ["src", "lang", "mode", "page-size", "open-only"];

  constructor() {
    super();
    this._shadow = this.attachShadow({ mode: "open" });
    this._engine = null;
    this._loading = null;
    this._gen = 0; // generation of the newest search
    this._records = new Map(); // id → public record (engine.get cache)
    this._state = defaultState(this.hasAttribute("open-only"));
    this._debounce = 0;
    this._onHash = () => this._applyHash();
    this._bus = new EventTarget();
  }

  // ---------------------------------------------------------------- attributes

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

  connectedCallback() {
    if (!this._built) {
      this._build();
      this._built = true;
    }
    window.addEventListener("hashchange", this._onHash);
    this._applyHash(false);
    this._shortlist.render();
    this._saved.render();
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
      this._shortlist.render();
      this._saved.reset();
      this._load();
    } else if (name === "lang") {
      this._relabel();
      this._shortlist.render();
      this._saved.render();
      if (!this._engine && this._loadError && !this._loading) this._showLoadError(this._loadError);
      this._renderAll();
    } else if (name === "open-only" && !hashHas("open")) {
      this._state.open = value !== null;
      this._refresh();
    } else {
      this._refresh();
    }
  }

  // ---------------------------------------------------------------- public API

  /** Runs a search for `q` (keeping filters); resolves with the engine's response. */
  async search(q = "") {
    Object.assign(this._state, { q: String(q), page: 1, id: "", view: "list" });
    this._els.input.value = this._state.q;
    this._writeHash();
    return this._runSearch();
  }

  /** Opens record `id` and its matches; resolves with the match hits. */
  async matchFor(id) {
    Object.assign(this._state, { id: String(id), view: "match" });
    this._writeHash(true);
    return this._showDetail();
  }

  /** Saved searches: [{label, search: {q, filters, trlMin, trlMax, open}, newCount}]; newCount is
   *  null until the engine has counted. */
  get savedSearches() {
    return this._saved.entries();
  }

  /** The shortlist: [{id, kind, title, for, score, reasons, note, added}] (a copy). */
  get shortlist() {
    return this._shortlist.copy();
  }

  /** The shortlist as CSV text: UTF-8 BOM, CRLF lines, formula cells neutralised. */
  shortlistCsv() {
    return this._shortlist.csv();
  }

  /** Downloads the shortlist as techmatch-shortlist-YYYY-MM-DD.csv. */
  exportShortlist() {
    this._shortlist.download(this._shadow);
  }

  // ---------------------------------------------------------------- building the screen

  /** What the parts see of the element, and the bus they send on. */
  _context() {
    const el = this;
    return {
      get t() {
        return el._t;
      },
      get lang() {
        return el._lang;
      },
      get mode() {
        return el._mode;
      },
      get pageSize() {
        return el._pageSize;
      },
      get portalName() {
        return el.getAttribute("portal-name") ?? "";
      },
      get state() {
        return el._state;
      },
      get engine() {
        return el._engine;
      },
      root: this._shadow,
      record: (id) => this._record(id),
      request: (s, size, page) => this._request(s, size, page),
      focused: () => this._shadow.activeElement,
      focusInput: () => this._els.input.focus(),
      emit: (name, detail) => this._emit(name, detail),
      failed: (error, phase) => this._failed(error, phase),
      send: (type, detail) => this._bus.dispatchEvent(new CustomEvent(type, { detail })),
    };
  }

  _build() {
    const ctx = this._context();
    this._results = new Results(ctx);
    this._facets = new Facets(ctx);
    this._chips = new Chips(ctx);
    this._shortlist = new Shortlist(ctx, () => this._storeKey("shortlist"));
    this._detail = new Detail(ctx, this._shortlist);
    this._saved = new SavedPanel(ctx, () => this._storeKey("saved"));
    this._wire();

    const els = (this._els = {});
    els.root = h("div", { cls: "root", part: "root" });
    els.form = h("form", { cls: "searchbar", part: "searchbar", attrs: { role: "search" } });
    els.input = h("input", {
      part: "input",
      attrs: { type: "search", autocomplete: "off", enterkeyhint: "search", maxlength: "2000" },
    });
    els.searchBtn = h("button", { cls: "btn primary", part: "button", attrs: { type: "submit" } });
    els.saveBtn = button("save-search");
    els.saveBtn.addEventListener("click", () => this._saved.save());
    els.form.append(els.input, els.searchBtn, els.saveBtn);
    const typed = () => {
      clearTimeout(this._debounce);
      Object.assign(this._state, { q: els.input.value, page: 1 });
      this._toList();
    };
    els.form.addEventListener("submit", (e) => {
      e.preventDefault();
      typed();
    });
    els.input.addEventListener("input", () => {
      clearTimeout(this._debounce);
      this._debounce = setTimeout(typed, DEBOUNCE_MS);
    });
    els.input.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && els.input.value) {
        e.preventDefault();
        els.input.value = "";
        els.input.dispatchEvent(new Event("input"));
      } else if (e.key === "ArrowDown" && this._state.view === "list" && this._results.focusFirst()) {
        e.preventDefault();
      }
    });

    els.progress = h("progress", { cls: "progress", attrs: { max: 1 } });
    els.status = h("p", { cls: "status", part: "status", attrs: { role: "status", "aria-live": "polite" } });
    els.error = h("div", { cls: "error", part: "error", attrs: { role: "alert", hidden: true } });
    els.layout = h(
      "div",
      { cls: "layout" },
      this._facets.el,
      h("section", { cls: "main" }, this._results.el, this._detail.el),
    );
    els.root.append(
      els.form,
      els.progress,
      els.status,
      els.error,
      this._chips.el,
      els.layout,
      this._saved.el,
      this._shortlist.el,
    );
    const sheet = (file, media) =>
      h("link", { attrs: { rel: "stylesheet", media, href: new URL(file, import.meta.url).href } });
    this._shadow.append(sheet("./tech-match.css"), sheet("./panels.css"), sheet("./print.css", "print"), els.root);
    this._relabel();
  }

  /** What the parts send: the broker's moves between screens. */
  _wire() {
    const on = (type, fn) => this._bus.addEventListener(type, (e) => fn(e.detail ?? {}));
    on("open", ({ id }) => this._open(id));
    on("back", () => this._back());
    on("refresh", () => this._refresh());
    on("export", () => this.exportShortlist());
    on("view", ({ view }) => {
      this._state.view = view;
      this._writeHash(true);
    });
    on("page", ({ page }) => {
      this._state.page = page;
      this._writeHash();
      this._runSearch().then(() => this._results.focusFirst());
    });
    on("open-saved", ({ state }) => {
      this._state = Object.assign(defaultState(this.hasAttribute("open-only")), state);
      this._els.input.value = this._state.q;
      this._writeHash(true);
      this._renderAll();
    });
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
    for (const part of [this._chips, this._facets, this._results]) part.relabel();
  }

  _showScreen(loaded) {
    this._els.layout.hidden = !loaded;
    this._chips.el.hidden = !loaded;
  }

  // ---------------------------------------------------------------- loading

  async _load() {
    const els = this._els;
    const t = () => this._t;
    const src = this.getAttribute("src");
    els.error.hidden = true;
    this._showScreen(false);
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
        els.status.textContent = t().downloading(
          total ? `${Math.round((100 * loaded) / total)}%` : `${(loaded / 1048576).toFixed(1)} MB`,
        );
      },
    }));
    try {
      const engine = await loading;
      if (this._loading !== loading) return engine.terminate();
      this._engine = engine;
      this._loading = null;
      this._loadError = null;
      els.progress.hidden = true;
      this._showScreen(true);
      this._renderAll();
      this._shortlist.render();
      this._saved.count();
    } catch (e) {
      if (this._loading !== loading) return;
      this._loading = null;
      els.progress.hidden = true;
      els.status.textContent = "";
      this._showLoadError(e);
      this._emit("tm-error", { error: e, message: e.message, phase: "load" });
    }
  }

  /** After an engine error in `phase`: tells the page; a bundle replaced on the server is opened
   *  again; a dead engine (its worker failed) gives way to the error screen, whose retry starts a
   *  new one; a live engine keeps answering. */
  _failed(error, phase) {
    this._emit("tm-error", { error, message: error.message, phase });
    if (error.name === "BundleChangedError" && this._engine && !this._loading) {
      // The portal published a new bundle in place while this page had the old one open lazily:
      // open the new one and show the same screen from it.
      this._engine.terminate();
      this._engine = null;
      this._records.clear();
      this._load();
      return;
    }
    if (!this._engine || this._engine.alive) return;
    this._engine = null;
    this._records.clear();
    this._showScreen(false);
    this._showLoadError(error);
  }

  _showLoadError(error) {
    const t = this._t;
    const retry = button("primary", t.retry);
    retry.addEventListener("click", () => this._load());
    const details = h(
      "details",
      {},
      h("summary", { text: t.details }),
      h("code", { text: error?.message ?? String(error) }),
    );
    this._els.error.replaceChildren(h("h2", { text: t.errorTitle }), h("p", { text: t.errorHelp }), retry, details);
    this._els.error.hidden = false;
    this._loadError = error;
    retry.focus();
  }

  // ---------------------------------------------------------------- URL state

  /** Reads the screen from the URL hash; `run` renders it when it changed. */
  _applyHash(run = true) {
    const s = readHash(defaultState(this.hasAttribute("open-only")));
    const same = JSON.stringify(s) === JSON.stringify(this._state);
    this._state = s;
    if (this._els) this._els.input.value = s.q;
    if (run && !same) this._renderAll();
  }

  _writeHash(push = false) {
    writeHash(this._state, this.hasAttribute("open-only"), push);
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
    Object.assign(this._state, { id: "", view: "list" });
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
    this._chips.render();
    this._showDetailPane(!!this._state.id);
    this._runSearch();
    if (this._state.id) this._showDetail();
  }

  async _runSearch() {
    if (!this._engine) return null;
    const gen = ++this._gen;
    const req = this._request();
    this._chips.render();
    let res;
    try {
      res = await this._engine.search(req);
    } catch (e) {
      if (e.name === "AbortError" || gen !== this._gen) return null;
      this._els.status.textContent = `${this._t.errorSearch}: ${e.message}`;
      this._failed(e, "search");
      return null;
    }
    if (gen !== this._gen) return null; // superseded
    this._els.status.textContent = (res.partial ? this._t.partial : this._t.count)(res.total, res.tookMs.toFixed(1));
    this._facets.render(res.facets);
    this._results.render(res);
    return res;
  }

  async _record(id) {
    if (this._records.has(id)) return this._records.get(id);
    if (!this._engine) return null; // not loaded yet: asked again once it is
    const p = this._engine.get(id).catch(() => null);
    this._records.set(id, p);
    return p;
  }

  // ---------------------------------------------------------------- detail

  _showDetailPane(on) {
    this._results.el.hidden = on;
    this._detail.el.hidden = !on;
  }

  async _showDetail() {
    if (!this._engine) return null;
    this._showDetailPane(true);
    return this._detail.show();
  }

  _open(id) {
    this._returnFocus = id;
    Object.assign(this._state, { id, view: "detail" });
    this._writeHash(true);
    this._showDetail();
  }

  _back() {
    const id = this._returnFocus ?? this._state.id;
    Object.assign(this._state, { id: "", view: "list" });
    this._writeHash(true);
    this._showDetailPane(false);
    if (!this._results.focusCard(id)) this._els.input.focus();
  }

  _emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }
}

if (!customElements.get("tech-match")) customElements.define("tech-match", TechMatch);
export { TechMatch };
