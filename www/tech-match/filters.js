// Filters of <tech-match>: the facet panel (values with counts, "more", the TRL range, open only)
// and the chips of the active filters. Both change the element's state and send "refresh".
import { FACETS, TRL_NAMES, valueLabel } from "./i18n.js";
import { button, h } from "./dom.js";

const VALUES_SHOWN = 8; // per facet before "more"

/** Removes `value` from `state`'s filter `field`, dropping the field when it empties. */
function untick(state, field, value) {
  const rest = (state.filters[field] ?? []).filter((v) => v !== value);
  if (rest.length) state.filters[field] = rest;
  else delete state.filters[field];
}

export class Facets {
  constructor(ctx) {
    this.ctx = ctx;
    this._expanded = new Set(); // facets showing all their values
    this._facets = null;
    this.panel = h("aside", { cls: "facets collapsed", part: "facets", attrs: { id: "tm-facets" } });
    this.toggle = button("facets-toggle", undefined, { "aria-expanded": "false", "aria-controls": "tm-facets" });
    this.toggle.addEventListener("click", () => {
      const open = this.panel.classList.toggle("collapsed") === false;
      this.toggle.setAttribute("aria-expanded", String(open));
    });
    this.el = h("div", {}, this.toggle, this.panel);
  }

  relabel() {
    this.panel.setAttribute("aria-label", this.ctx.t.filters);
    this.toggle.textContent = this.ctx.t.filters;
  }

  /** Shows the facet counts of a search response, keeping the focus on the control it was on. */
  render(facets) {
    const { t, state: s } = this.ctx;
    this._facets = facets;
    const focused = this.ctx.focused()?.dataset?.key;
    this.panel.replaceChildren();
    for (const field of FACETS) {
      if (field === "kind" && this.ctx.mode !== "both") continue;
      const fs = this._facet(field, facets?.[field]);
      if (fs) this.panel.append(fs);
    }
    this.panel.append(
      h(
        "fieldset",
        {},
        h("legend", { text: t.trl }),
        h("div", { cls: "trl-row" }, this._trlSelect("min", t.trlMin), this._trlSelect("max", t.trlMax)),
      ),
    );
    const open = h("input", { attrs: { type: "checkbox" } });
    open.checked = s.open;
    open.dataset.key = "open";
    open.addEventListener("change", () => {
      s.open = open.checked;
      this.ctx.send("refresh");
    });
    this.panel.append(h("fieldset", {}, h("label", {}, open, h("span", { text: t.openOnly }))));
    if (focused)
      [...this.panel.querySelectorAll("input, select, button")].find((x) => x.dataset.key === focused)?.focus();
  }

  _facet(field, found) {
    const { t, lang, state: s } = this.ctx;
    const counts = { ...(found ?? {}) };
    for (const v of s.filters[field] ?? []) counts[v] ??= 0; // a ticked value stays visible
    const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    if (!entries.length) return null;
    const fs = h("fieldset", {}, h("legend", { text: t.facet[field] }));
    const ticked = new Set(s.filters[field] ?? []);
    const all = this._expanded.has(field) || entries.length <= VALUES_SHOWN + 2;
    const shown = all ? entries : entries.filter(([v], i) => i < VALUES_SHOWN || ticked.has(v));
    for (const [value, n] of shown) {
      const cb = h("input", { attrs: { type: "checkbox" } });
      cb.checked = ticked.has(value);
      cb.dataset.key = `${field}\u0000${value}`;
      cb.addEventListener("change", () => {
        if (cb.checked) s.filters[field] = [...new Set([...(s.filters[field] ?? []), value])];
        else untick(s, field, value);
        this.ctx.send("refresh");
      });
      fs.append(
        h(
          "label",
          {},
          cb,
          h("span", { text: valueLabel(field, value, lang) }),
          h("span", { cls: "count", text: String(n) }),
        ),
      );
    }
    if (entries.length > VALUES_SHOWN + 2) {
      const more = h("button", {
        cls: "linkish more",
        text: all ? t.fewer : t.more(entries.length),
        attrs: { type: "button", "aria-expanded": String(all) },
      });
      more.dataset.key = `more\u0000${field}`;
      more.addEventListener("click", () => {
        if (all) this._expanded.delete(field);
        else this._expanded.add(field);
        this.render(this._facets);
      });
      fs.append(more);
    }
    return fs;
  }

  _trlSelect(which, label) {
    const { t, lang, state: s } = this.ctx;
    const names = TRL_NAMES[lang];
    const sel = h("select", { attrs: { "aria-label": `${t.trl} ${label}` } });
    sel.dataset.key = `trl${which}`;
    sel.append(h("option", { text: t.any, attrs: { value: "0" } }));
    for (let i = 1; i <= 9; i++)
      sel.append(h("option", { text: `${i} · ${names[i - 1]}`, attrs: { value: String(i) } }));
    sel.value = String(which === "min" ? s.trlMin : s.trlMax);
    sel.addEventListener("change", () => {
      const v = Number(sel.value);
      if (which === "min") s.trlMin = v;
      else s.trlMax = v;
      if (s.trlMin && s.trlMax && s.trlMin > s.trlMax) [s.trlMin, s.trlMax] = [s.trlMax, s.trlMin];
      this.ctx.send("refresh");
    });
    return h("label", {}, h("span", { text: label }), sel);
  }
}

export class Chips {
  constructor(ctx) {
    this.ctx = ctx;
    this.el = h("div", { cls: "chips", part: "chips", attrs: { role: "group" } });
  }

  relabel() {
    this.el.setAttribute("aria-label", this.ctx.t.activeFilters);
  }

  /** One chip per active filter, and "clear all" when there are several. */
  render() {
    const { t, lang, state: s } = this.ctx;
    const chips = [];
    const chip = (label, remove) => {
      const b = h("button", {
        cls: "chip",
        part: "chip",
        text: label,
        attrs: { type: "button", "aria-label": t.removeFilter(label) },
      });
      b.addEventListener("click", () => {
        remove();
        this.ctx.send("refresh");
        const next = this.el.querySelector(".chip");
        if (next) next.focus();
        else this.ctx.focusInput();
      });
      chips.push(b);
    };
    for (const f of FACETS)
      for (const v of s.filters[f] ?? []) chip(`${t.facet[f]}: ${valueLabel(f, v, lang)}`, () => untick(s, f, v));
    if (s.trlMin || s.trlMax) chip(`TRL ${s.trlMin || 1}–${s.trlMax || 9}`, () => ((s.trlMin = 0), (s.trlMax = 0)));
    if (s.open) chip(t.openOnly, () => (s.open = false));
    if (chips.length > 1) {
      const clear = button("", t.clearAll);
      clear.addEventListener("click", () => {
        s.filters = {};
        s.trlMin = s.trlMax = 0;
        s.open = false;
        this.ctx.send("refresh");
        this.ctx.focusInput();
      });
      chips.push(clear);
    }
    this.el.replaceChildren(...chips);
  }
}
