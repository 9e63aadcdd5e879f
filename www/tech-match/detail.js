// The detail of one record in <tech-match>: its public fields, "find matches", and the matches
// with their score bar and reasons in plain words, each one shortlistable; "contact" on the record
// and on each match (the tm-contact event: the portal takes over), and "print recommendation",
// which prints the record and its matches as a report (print.css). Sends "open" {id}, "back" and
// "view" {view: "match"} to the element.
import { placeName, reasonText, trlLabel, valueName } from "./i18n.js";
import { button, h, kindBadge, linkButton, metaItems, textNode, today, trlBadge } from "./dom.js";

/** The rows of the detail list: [label key, value of record `r`]. */
function rows(t, lang, r) {
  const L = t.fieldsLabel;
  const trl = r.trl_min ? [r.trl_min, r.trl_max ?? r.trl_min] : null;
  const out = [
    [L.id, r.id],
    [L.summary, r.summary],
    [L.problem, r.problem],
    [L.key_requirements, r.key_requirements],
    [L.expected_outcome, r.expected_outcome],
    [L.advantages, r.advantages],
    [L.keywords, r.keywords],
    [L.industries, (r.industries ?? []).map((v) => valueName("industries", v, lang))],
    [L.fields, (r.fields ?? []).map((v) => valueName("fields", v, lang))],
    [L.result_type, r.result_type && valueName("result_type", r.result_type, lang)],
    [r.kind === "result" ? L.modes_result : L.modes_need, (r.modes ?? []).map((m) => valueName("modes", m, lang))],
    [L.trl, trl && trlLabel(trl, lang)?.title],
    [L.region, placeName(r, lang)],
    [t.budget("").trim(), r.budget_band],
    [
      t.price("").replace(/\s.*$/, ""),
      r.price !== undefined && r.price !== null ? t.price(r.price).replace(/^\S+\s/, "") : null,
    ],
    [L.ipr, (r.ipr ?? []).map((i) => `${valueName("ipr", i.type, lang)}${t.paren(valueName("ipr", i.status, lang))}`)],
    [L.inventors, r.inventors],
    [L.published, r.published],
    [L.deadline, r.deadline],
  ];
  return out.filter(([, v]) => v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && !v.length));
}

export class Detail {
  /** `shortlist`: the Shortlist part, whose buttons the detail and the matches carry. */
  constructor(ctx, shortlist) {
    this.ctx = ctx;
    this.shortlist = shortlist;
    this._gen = 0; // generation of the newest detail or match request
    this.el = h("article", { cls: "detail", part: "detail", attrs: { hidden: true, tabindex: "-1" } });
    this.el.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        this.ctx.send("back");
      }
    });
  }

  /** Shows the record of the state's id (and its matches when the view is "match"); resolves
   *  with the match hits, or null. */
  async show() {
    const { t, lang, state } = this.ctx;
    const id = state.id;
    const gen = ++this._gen;
    const r = await this.ctx.record(id);
    if (gen !== this._gen) return null;
    const back = button("", `← ${t.back}`);
    back.addEventListener("click", () => this.ctx.send("back"));
    if (!r) {
      this.el.replaceChildren(back, h("p", { text: t.notFound(id) }));
      return null;
    }
    this.ctx.emit("tm-select", { id, record: r });
    const title = h("h2", { text: r.title, attrs: { id: "tm-detail-title" } });
    this.el.setAttribute("aria-labelledby", "tm-detail-title");
    const head = h(
      "div",
      { cls: "tags" },
      kindBadge(t, r.kind),
      trlBadge(r.trl_min ? [r.trl_min, r.trl_max ?? r.trl_min] : null, lang),
    );
    const meta = h("div", { cls: "meta", part: "meta" }, ...metaItems(t, lang, r));
    const dl = h("dl");
    for (const [label, value] of rows(t, lang, r))
      dl.append(h("dt", { text: label }), h("dd", { text: Array.isArray(value) ? value.join(t.listJoin) : value }));
    const matches = h("section", { cls: "matches", part: "matches", attrs: { "aria-live": "polite" } });
    const find = button("primary", t.findMatches);
    find.addEventListener("click", () => {
      this.ctx.send("view", { view: "match" });
      this._matches(r, matches);
    });
    const keep = this.shortlist.button({ id: r.id, kind: r.kind, title: r.title });
    const report = h(
      "div",
      { cls: "report-head" },
      h("strong", { text: this.ctx.portalName || t.reportOf }),
      h("span", { text: `${t.reportTitle(r.kind)} · ${today()}` }),
    );
    this.el.replaceChildren(
      report,
      back,
      head,
      title,
      meta,
      h("div", { cls: "actions" }, find, keep, this._contact(r, null)),
      dl,
      matches,
    );
    if (state.view === "match") return this._matches(r, matches);
    const focused = this.ctx.focused();
    if (!focused || focused === document.body || !this.el.contains(focused)) back.focus();
    return null;
  }

  async _matches(source, box) {
    const t = this.ctx.t;
    const gen = ++this._gen;
    box.replaceChildren(
      h("h3", { text: t.matchesFor(source.kind), attrs: { id: "tm-matches-title" } }),
      h("p", { cls: "status", text: t.matching }),
    );
    box.setAttribute("aria-labelledby", "tm-matches-title");
    let res;
    try {
      res = await this.ctx.engine.match({ id: source.id }, { size: 10 });
    } catch (e) {
      if (gen !== this._gen) return null;
      box.lastChild.textContent = e.message;
      this.ctx.failed(e, "match");
      return null;
    }
    if (gen !== this._gen) return null;
    const ol = h("ol", {}, ...res.hits.map((m) => this._match(source, m)));
    const print = button("print", t.printReport);
    print.addEventListener("click", () => window.print());
    box.replaceChildren(
      box.firstChild,
      res.hits.length ? ol : h("p", { text: t.noMatches }),
      h("div", { cls: "actions" }, print),
    );
    ol.querySelector(".match-title")?.focus();
    return res.hits;
  }

  _match(source, m) {
    const { t, lang } = this.ctx;
    const li = h("li", { cls: "match", part: "match" });
    li.dataset.id = m.id;
    const title = linkButton("match-title", m.title);
    title.addEventListener("click", () => this.ctx.send("open", { id: m.id }));
    const fill = h("span", { cls: "score-fill" });
    fill.style.width = `${Math.max(0, Math.min(100, m.score))}%`; // CSSOM, allowed under style-src 'self'
    const bar = h(
      "span",
      {
        cls: "score-bar",
        part: "score-bar",
        attrs: {
          role: "meter",
          "aria-valuemin": "0",
          "aria-valuemax": "100",
          "aria-valuenow": m.score.toFixed(1),
          "aria-label": t.score,
        },
      },
      fill,
    );
    const reasons = h("ul", { cls: "reasons", part: "reasons" });
    const texts = [];
    for (const r of m.reasons) {
      const text = reasonText(r, lang);
      const c = r.contribution;
      texts.push(`${text} (${c >= 0 ? "+" : ""}${c.toFixed(1)})`);
      reasons.append(
        h(
          "li",
          { cls: c < 0 ? "neg" : "", attrs: { dir: "auto" } },
          textNode(text),
          h("span", { cls: "pts", text: `${c >= 0 ? "+" : "−"}${Math.abs(c).toFixed(1)}` }),
        ),
      );
    }
    const keep = this.shortlist.button({
      id: m.id,
      kind: m.kind,
      title: m.title,
      for: source.id,
      score: Number(m.score.toFixed(1)),
      reasons: texts,
    });
    li.append(
      h(
        "div",
        { cls: "match-head" },
        kindBadge(t, m.kind),
        title,
        h("span", { cls: "score" }, bar, textNode(m.score.toFixed(1))),
        keep,
        this._contact(m, source.id),
      ),
      reasons,
    );
    return li;
  }

  /** The "contact" button of record `r` (found for record `forId`, or null): fires tm-contact
   *  {id, kind, title, for} and does nothing else; the portal answers with its own form. */
  _contact(r, forId) {
    const b = button("contact", this.ctx.t.contact, { "aria-label": `${this.ctx.t.contact}: ${r.title}` });
    b.addEventListener("click", () =>
      this.ctx.emit("tm-contact", { id: r.id, kind: r.kind, title: r.title, for: forId }),
    );
    return b;
  }
}
