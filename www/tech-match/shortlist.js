// The broker's shortlist in <tech-match>: records (and matches, with the need or result they were
// found for, their score and reasons) kept in localStorage per bundle, each with a note; the panel,
// the toggle buttons on the detail and the matches, and the CSV export. Sends "open" {id}.
import { button, csvCell, h, kindBadge, linkButton, plain, today } from "./dom.js";

/** An entry's identity: the record, and what it was found for. */
function key(e) {
  return `${e.id}\u0000${e.for ?? ""}`;
}

export class Shortlist {
  /** `storageKey()`: the localStorage key of the current bundle's shortlist. */
  constructor(ctx, storageKey) {
    this.ctx = ctx;
    this._storageKey = storageKey;
    this.el = h("details", { cls: "shortlist", part: "shortlist" });
  }

  /** The entries: [{id, kind, title, for, score, reasons, note, added}]. */
  read() {
    try {
      const v = JSON.parse(localStorage.getItem(this._storageKey()) ?? "[]");
      return Array.isArray(v) ? v.filter((e) => e && typeof e.id === "string") : [];
    } catch {
      return [];
    }
  }

  /** A copy of the entries, as the element's `shortlist` gives it. */
  copy() {
    return this.read().map((e) => ({ ...e, reasons: [...(e.reasons ?? [])] }));
  }

  /** Stores `list`; `render` also redraws the panel and the toggles. */
  _store(list, render = true) {
    try {
      localStorage.setItem(this._storageKey(), JSON.stringify(list));
    } catch (e) {
      this.ctx.emit("tm-error", { error: e, message: e.message, phase: "shortlist" });
    }
    if (render) this.render();
    this.ctx.emit("tm-shortlist-change", { shortlist: this.copy() });
  }

  /** The CSV text: UTF-8 BOM, CRLF lines, formula cells neutralised. */
  csv() {
    const t = this.ctx.t;
    const rows = [t.csv];
    for (const e of this.read()) {
      const score = e.score === undefined || e.score === null ? "" : Number(e.score).toFixed(1);
      rows.push([
        e.id,
        t.kindShort[e.kind] ?? e.kind,
        e.title,
        e.for ?? "",
        score,
        (e.reasons ?? []).join(t.reasonJoin),
        e.note ?? "",
      ]);
    }
    return "\uFEFF" + rows.map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
  }

  /** Downloads the CSV as techmatch-shortlist-YYYY-MM-DD.csv through a link appended to `root`. */
  download(root) {
    const blob = new Blob([this.csv()], { type: "text/csv;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const a = h("a", { attrs: { href: url, download: `techmatch-shortlist-${today()}.csv` } });
    root.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  /** A button that adds `entry` to the shortlist or takes it out, showing which. */
  button(entry) {
    const b = button("sl-toggle");
    b._sync = () => {
      const on = this.read().some((e) => key(e) === key(entry));
      b.textContent = on ? `★ ${this.ctx.t.inShortlist}` : `☆ ${this.ctx.t.addShortlist}`;
      b.setAttribute("aria-pressed", String(on));
    };
    b.addEventListener("click", () => {
      const list = this.read();
      const i = list.findIndex((e) => key(e) === key(entry));
      if (i >= 0) list.splice(i, 1);
      else list.push({ ...entry, note: "", added: new Date().toISOString() });
      this._store(list);
    });
    b._sync();
    return b;
  }

  /** Redraws the panel (keeping it open or closed) and every toggle on screen. */
  render() {
    const t = this.ctx.t;
    const list = this.read();
    const ul = h("ul", {}, ...list.map((e, i) => this._item(e, i)));
    const exp = button("primary sl-export", t.exportCsv);
    exp.disabled = !list.length;
    exp.addEventListener("click", () => this.ctx.send("export"));
    const clear = button("", t.clearShortlist);
    clear.disabled = !list.length;
    clear.addEventListener("click", () => this._store([]));
    const wasOpen = this.el.open;
    this.el.replaceChildren(
      h("summary", { text: `${t.shortlist} (${list.length})` }),
      list.length ? ul : h("p", { cls: "status", text: t.shortlistEmpty }),
      h("div", { cls: "actions" }, exp, clear),
    );
    this.el.open = wasOpen;
    for (const b of this.ctx.root.querySelectorAll(".sl-toggle")) b._sync?.();
  }

  _item(e, i) {
    const t = this.ctx.t;
    const title = linkButton("", e.title);
    title.addEventListener("click", () => this.ctx.send("open", { id: e.id }));
    const score =
      e.score !== undefined && e.score !== null
        ? h("span", { cls: "sl-score", text: `${t.score} ${Number(e.score).toFixed(1)}` })
        : null;
    // What the candidate was found for: the need's (or result's) title once the engine has it.
    const found = e.for ? h("span", { cls: "sl-for", text: t.foundFor(e.for) }) : null;
    if (found)
      this.ctx.record(e.for).then((r) => {
        if (r?.title) found.textContent = plain(t.foundFor(r.title));
      });
    const info = h("div", { cls: "sl-info" }, kindBadge(t, e.kind), title, score, found);
    const remove = button("", t.removeShortlist, { "aria-label": `${t.removeShortlist}: ${e.title}` });
    remove.addEventListener("click", () => {
      const cur = this.read();
      cur.splice(i, 1);
      this._store(cur);
      this.el.querySelector(".sl-export")?.focus();
    });
    const note = h("input", { attrs: { type: "text", "aria-label": `${t.note}: ${e.title}`, placeholder: t.note } });
    note.value = e.note ?? "";
    note.addEventListener("change", () => {
      const cur = this.read();
      const k = cur.findIndex((x) => key(x) === key(e));
      if (k < 0) return;
      cur[k].note = note.value;
      this._store(cur, false);
    });
    return h("li", {}, info, remove, note);
  }
}
