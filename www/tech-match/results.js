// The results list of <tech-match>: one card per hit (kind, highlighted title and snippet, tags,
// owner / deadline / bounty fetched from the record), the empty state, the pager, and arrow-key
// moves between titles. Sends "open" {id} and "page" {page} to the element.
import { valueName } from "./i18n.js";
import { appendMarked, button, h, kindBadge, metaItems, trlBadge } from "./dom.js";

const CARD_TAGS = ["industries", "fields", "result_type", "modes", "region"];

export class Results {
  /** `ctx`: what the element shares with its parts (see tech-match.js). */
  constructor(ctx) {
    this.ctx = ctx;
    this.list = h("ul", { cls: "list", part: "list" });
    this.list.addEventListener("keydown", (e) => this._keys(e));
    this.empty = h("div", { cls: "empty", attrs: { hidden: true } });
    this.pager = h("nav", { cls: "pager" });
    this.el = h("div", { cls: "list-wrap" }, this.list, this.empty, this.pager);
    this._shown = null; // the response on screen
  }

  relabel() {
    this.list.setAttribute("aria-label", this.ctx.t.results);
  }

  /** Shows search response `res`: cards, the empty state, the pager. */
  render(res) {
    const { t, state } = this.ctx;
    this._shown = res;
    this.list.replaceChildren(...res.hits.map((hit) => this._card(hit)));
    this.empty.hidden = res.hits.length > 0;
    if (!res.hits.length) {
      this.empty.replaceChildren(
        h("h3", { text: t.emptyTitle }),
        h("ul", {}, ...t.emptyHelp.map((x) => h("li", { text: x }))),
      );
    }
    const pages = Math.max(1, Math.ceil(res.total / this.ctx.pageSize));
    this.pager.replaceChildren();
    if (pages > 1) {
      const prev = button("", t.prev);
      const next = button("", t.next);
      prev.disabled = state.page <= 1;
      next.disabled = state.page >= pages;
      prev.addEventListener("click", () => this.ctx.send("page", { page: state.page - 1 }));
      next.addEventListener("click", () => this.ctx.send("page", { page: state.page + 1 }));
      this.pager.append(prev, h("span", { text: t.page(state.page, pages) }), next);
    }
    // Owner, deadline and bounty are on the records, not the hits: fetch them (cached).
    for (const hit of res.hits) {
      this.ctx.record(hit.id).then((r) => {
        if (this._shown !== res || !r) return;
        this._cardOf(hit.id)
          ?.querySelector(".meta")
          .replaceChildren(...metaItems(this.ctx.t, this.ctx.lang, r));
      });
    }
  }

  /** Focuses the first title; false when the list is empty. */
  focusFirst() {
    const first = this.list.querySelector(".card-title");
    first?.focus();
    return !!first;
  }

  /** Focuses the title of card `id`; false when it is not on screen. */
  focusCard(id) {
    const title = this._cardOf(id)?.querySelector(".card-title");
    title?.focus();
    return !!title;
  }

  _cardOf(id) {
    return [...this.list.children].find((c) => c.dataset.id === id);
  }

  _card(hit) {
    const { t, lang } = this.ctx;
    const li = h("li", { cls: "card", part: "card" });
    li.dataset.id = hit.id;
    const title = h("button", { cls: "card-title", part: "card-title", attrs: { type: "button" } });
    appendMarked(title, hit.title, hit.title_highlights);
    title.addEventListener("click", () => this.ctx.send("open", { id: hit.id }));
    const head = h("div", { cls: "card-head" }, kindBadge(t, hit.kind), title);
    const snippet = appendMarked(h("p", { cls: "snippet", part: "snippet" }), hit.snippet, hit.highlights);
    const tags = h("div", { cls: "tags" }, trlBadge(hit.tags?.trl, lang));
    for (const k of CARD_TAGS) {
      for (const v of hit.tags?.[k] ?? []) tags.append(h("span", { cls: "tag", text: valueName(k, v, lang) }));
    }
    li.append(head, snippet, tags, h("div", { cls: "meta", part: "meta" }));
    return li;
  }

  /** Arrow keys, Home and End move between titles; ArrowUp on the first goes back to the input. */
  _keys(e) {
    const titles = [...this.list.querySelectorAll(".card-title")];
    const i = titles.indexOf(this.ctx.focused());
    if (i < 0) return;
    let j = -1;
    if (e.key === "ArrowDown") j = Math.min(titles.length - 1, i + 1);
    else if (e.key === "ArrowUp") {
      if (i === 0) {
        e.preventDefault();
        this.ctx.focusInput();
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
}
