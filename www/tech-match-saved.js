// Saved searches of <tech-match>: kept in localStorage per bundle, each with the ids of the records
// it found when the broker last looked, so the widget can say "N new since your last visit".

/** How many ids of a saved search are remembered (the engine's largest page). */
export const SEEN_LIMIT = 1000;

/** The part of a screen state that defines a search: query, filters, TRL range, open only. */
export function searchOf(state) {
  const filters = {};
  for (const k of Object.keys(state.filters ?? {}).sort()) if (state.filters[k]?.length) filters[k] = [...state.filters[k]].sort();
  return { q: String(state.q ?? "").trim(), filters, trlMin: state.trlMin || 0, trlMax: state.trlMax || 0, open: !!state.open };
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
      return Array.isArray(v) ? v.filter((e) => e && typeof e.sig === "string" && e.search && Array.isArray(e.seen)) : [];
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
