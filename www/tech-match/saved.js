// Saved searches of <tech-match>: kept in localStorage per bundle, each with the ids of the records
// it found when the broker last looked, so the widget can say "N new since your last visit"; and
// their panel. Sends "open-saved" {state} to the element.
import { FACETS, valueLabel } from "./i18n.js";
import { button, h, linkButton } from "./dom.js";

/** How many ids of a saved search are remembered (the engine's largest page). */
export const SEEN_LIMIT = 1000;

/** The part of a screen state that defines a search: query, filters, TRL range, open only. */
export function searchOf(state) {
  const filters = {};
  for (const k of Object.keys(state.filters ?? {}).sort())
    if (state.filters[k]?.length) filters[k] = [...state.filters[k]].sort();
  return {
    q: String(state.q ?? "").trim(),
    filters,
    trlMin: state.trlMin || 0,
    trlMax: state.trlMax || 0,
    open: !!state.open,
  };
}

/** A stable key of a search: the same query and filters give the same key. */
export function signature(search) {
  return JSON.stringify(searchOf(search));
}

/** The saved searches of one bundle, in localStorage under `key`. */
export class SavedSearches {
  constructor(key) {
    this.key = key;
  }

  /** [{sig, search, label, seen: [ids], visited: ISO date}] — entries that fail to parse are dropped. */
  list() {
    try {
      const v = JSON.parse(localStorage.getItem(this.key) ?? "[]");
      return Array.isArray(v)
        ? v.filter((e) => e && typeof e.sig === "string" && e.search && Array.isArray(e.seen))
        : [];
    } catch {
      return [];
    }
  }

  /** Saves `state`'s search under `label` with the ids it finds now; an existing one is refreshed. */
  save(state, label, ids) {
    const search = searchOf(state);
    const sig = signature(search);
    const list = this.list().filter((e) => e.sig !== sig);
    list.push({ sig, search, label, seen: ids.slice(0, SEEN_LIMIT), visited: new Date().toISOString() });
    this._write(list);
    return sig;
  }

  /** Forgets the saved search `sig`. */
  remove(sig) {
    this._write(this.list().filter((e) => e.sig !== sig));
  }

  /** Records that the broker has now seen `ids` for the saved search `sig`. */
  markSeen(sig, ids) {
    const list = this.list();
    const e = list.find((x) => x.sig === sig);
    if (!e) return;
    e.seen = ids.slice(0, SEEN_LIMIT);
    e.visited = new Date().toISOString();
    this._write(list);
  }

  _write(list) {
    localStorage.setItem(this.key, JSON.stringify(list));
  }
}

/** The ids in `ids` that the saved search `entry` had not seen. */
export function unseen(entry, ids) {
  const seen = new Set(entry.seen);
  return ids.filter((id) => !seen.has(id));
}

/** A short name for a search: its query and active filters. */
function label(t, lang, s) {
  const parts = [];
  if (s.q.trim()) parts.push(`“${s.q.trim()}”`);
  for (const f of FACETS) for (const v of s.filters[f] ?? []) parts.push(valueLabel(f, v, lang));
  if (s.trlMin || s.trlMax) parts.push(`TRL ${s.trlMin || 1}–${s.trlMax || 9}`);
  if (s.open) parts.push(t.openOnly);
  return parts.join(" · ") || t.allRecords;
}

/** The saved-searches panel: save the current search, open one, remove one, and how many records
 *  each finds that the broker has not seen. */
export class SavedPanel {
  /** `storageKey()`: the localStorage key of the current bundle's saved searches. */
  constructor(ctx, storageKey) {
    this.ctx = ctx;
    this._storageKey = storageKey;
    this._fresh = null; // sig → records new since the last look; null until counted
    this.el = h("details", { cls: "saved", part: "saved" });
  }

  get store() {
    return new SavedSearches(this._storageKey());
  }

  /** The saved searches as the element's `savedSearches` gives them. */
  entries() {
    return this.store
      .list()
      .map((e) => ({ label: e.label, search: structuredClone(e.search), newCount: this._fresh?.get(e.sig) ?? null }));
  }

  /** Forgets the counts (another bundle). */
  reset() {
    this._fresh = null;
    this.render();
  }

  /** Ids of the records (at most SEEN_LIMIT) that the search of screen state `s` finds. */
  async _ids(s) {
    const res = await this.ctx.engine.search(this.ctx.request(s, SEEN_LIMIT, 1), { background: true });
    return res.hits.map((x) => x.id);
  }

  /** Saves the current search with the records it finds now (so none of them count as new). */
  async save() {
    if (!this.ctx.engine) return;
    const state = structuredClone(this.ctx.state);
    try {
      this.store.save(state, label(this.ctx.t, this.ctx.lang, state), await this._ids(state));
    } catch (e) {
      this.ctx.emit("tm-error", { error: e, message: e.message, phase: "saved" });
      return;
    }
    (this._fresh ??= new Map()).set(signature(state), 0);
    this.el.open = true;
    this.render();
  }

  /** Counts, for every saved search, the records it finds now that it had not found before. */
  async count() {
    const counts = new Map();
    for (const e of this.store.list()) {
      try {
        counts.set(e.sig, unseen(e, await this._ids(e.search)).length);
      } catch {
        // A saved search the engine refuses (edited storage, another bundle's facets) stays uncounted.
      }
    }
    this._fresh = counts;
    this.render();
  }

  /** Shows saved search `entry` and marks its records as seen. */
  _open(entry) {
    const state = structuredClone(entry.search);
    this.ctx.send("open-saved", { state });
    this._ids(this.ctx.state)
      .then((ids) => {
        this.store.markSeen(entry.sig, ids);
        this._fresh?.set(entry.sig, 0);
        this.render();
      })
      .catch((e) => this.ctx.emit("tm-error", { error: e, message: e.message, phase: "saved" }));
  }

  render() {
    const t = this.ctx.t;
    const list = this.store.list();
    const fresh = (e) => this._fresh?.get(e.sig) ?? 0;
    const total = list.reduce((n, e) => n + fresh(e), 0);
    const summary = h("summary", { text: `${t.savedSearches} (${list.length})` });
    if (total) summary.append(" ", h("span", { cls: "new", text: t.newSince(total) }));
    const ul = h("ul");
    for (const e of list) {
      const open = linkButton("", e.label);
      open.addEventListener("click", () => this._open(e));
      const remove = button("", t.removeSaved, { "aria-label": `${t.removeSaved}: ${e.label}` });
      remove.addEventListener("click", () => {
        this.store.remove(e.sig);
        this.render();
        this.el.querySelector("summary").focus();
      });
      const info = h(
        "div",
        {},
        open,
        fresh(e) ? h("span", { cls: "new", text: t.newSince(fresh(e)) }) : null,
        h("small", { cls: "visited", text: t.lastViewed(String(e.visited ?? "").slice(0, 10)) }),
      );
      ul.append(h("li", {}, info, remove));
    }
    const wasOpen = this.el.open;
    this.el.replaceChildren(summary, list.length ? ul : h("p", { cls: "status", text: t.savedEmpty }));
    this.el.open = wasOpen;
  }
}
