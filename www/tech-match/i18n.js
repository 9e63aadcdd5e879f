// Interface strings of <tech-match> in Chinese and English, and the plain-words phrasing of match
// reasons. Record data is never translated (it is shown as written); enumerations are.
import { CITIES, EN_NAMES, PROVINCES } from "./names-en.js";

/** Names of the nine TRL levels (技术就绪水平, after GB/T 22900), index = level − 1 (src/core/taxonomy.rs). */
export const TRL_NAMES = {
  zh: [
    "基本原理发现",
    "技术概念/应用设想形成",
    "关键功能可行性验证",
    "实验室环境验证",
    "相关环境部件验证",
    "相关环境系统样机演示",
    "实际环境样机试验",
    "系统完成并定型",
    "实际应用/批量生产",
  ],
  en: [
    "Basic principles observed",
    "Technology concept formulated",
    "Key function proven feasible",
    "Validated in the laboratory",
    "Component validated in a relevant environment",
    "System prototype demonstrated in a relevant environment",
    "Prototype tested in the real environment",
    "System complete and qualified",
    "In actual use / mass production",
  ],
};

export const STRINGS = {
  zh: {
    placeholder: "搜索需求与成果，例如：盐碱地 改良、激光熔覆、PM2.5",
    searchLabel: "搜索技术需求与科技成果",
    searchButton: "搜索",
    loading: "正在加载数据…",
    downloading: (p) => `正在下载数据 ${p}`,
    opening: "正在打开索引…",
    count: (n, ms) => `共 ${n} 条结果（${ms} 毫秒）`,
    partial: (n, ms) => `没有记录包含完整的查询词，以下 ${n} 条只含其中一部分（${ms} 毫秒）`,
    searching: "搜索中…",
    emptyTitle: "没有找到匹配的记录",
    emptyHelp: [
      "换一个更短或更通用的词，例如“膜分离”而不是“陶瓷膜分离提纯工艺”。",
      "去掉部分筛选条件，或取消“仅看未截止”。",
      '用引号搜索确切短语，如 "激光熔覆"；用减号排除词，如 -焊接。',
    ],
    filters: "筛选",
    activeFilters: "已选筛选条件",
    clearAll: "清除全部",
    removeFilter: (label) => `移除筛选：${label}`,
    facet: {
      kind: "类型",
      industries: "产业",
      fields: "技术领域",
      result_type: "成果类型",
      modes: "合作/转化方式",
      region: "地区",
    },
    trl: "技术成熟度 (TRL)",
    trlMin: "最低",
    trlMax: "最高",
    any: "不限",
    openOnly: "仅看未截止",
    more: (n) => `显示全部 ${n} 项`,
    fewer: "收起",
    kind: { need: "技术需求", challenge: "揭榜挂帅", result: "科技成果" },
    kindShort: { need: "需求", challenge: "揭榜", result: "成果" },
    deadline: (d) => `截止 ${d}`,
    expired: (d) => `已截止 ${d}`,
    bounty: (b) => `榜额 ${fmtNumber(b, "zh")} 万元`,
    budget: (b) => `预算 ${b}`,
    price: (p) => (typeof p === "number" ? `价格 ${fmtNumber(p, "zh")} 万元` : `价格 ${p}`),
    owner: "发布方",
    holder: "持有方",
    prev: "上一页",
    next: "下一页",
    page: (p, n) => `第 ${p} / ${n} 页`,
    results: "搜索结果",
    back: "返回列表",
    findMatches: "找匹配",
    matchesFor: (kind) => (kind === "result" ? "匹配的技术需求" : "匹配的科技成果"),
    matching: "匹配中…",
    noMatches: "没有找到足够相关的对象。",
    score: "匹配度",
    contact: "我要对接",
    foundFor: (what) => `匹配自：${what}`,
    printReport: "打印推荐",
    reportOf: "技术交易平台",
    reportTitle: (kind) => (kind === "result" ? "企业技术需求推荐报告" : "科技成果推荐报告"),
    addShortlist: "加入候选",
    inShortlist: "已在候选",
    removeShortlist: "移出候选",
    shortlist: "候选清单",
    shortlistEmpty: "还没有候选。打开一条记录或匹配结果，点“加入候选”。",
    note: "备注",
    exportCsv: "导出 CSV",
    clearShortlist: "清空",
    saveSearch: "保存搜索",
    savedSearches: "已保存的搜索",
    savedEmpty: "还没有保存的搜索。设好关键词和筛选条件后点“保存搜索”，下次打开时会提示新增的记录。",
    newSince: (n) => `${n} 条新记录`,
    lastViewed: (d) => `上次查看 ${d}`,
    removeSaved: "删除",
    allRecords: "全部记录",
    fieldsLabel: {
      summary: "简介",
      problem: "存在问题",
      key_requirements: "技术指标要求",
      expected_outcome: "预期成效",
      advantages: "技术优势",
      keywords: "关键词",
      industries: "产业",
      fields: "技术领域",
      region: "地区",
      modes_need: "合作方式",
      modes_result: "转化方式",
      result_type: "成果类型",
      trl: "技术成熟度",
      published: "发布日期",
      deadline: "截止日期",
      ipr: "知识产权",
      inventors: "完成人",
      id: "编号",
    },
    errorTitle: "数据加载失败",
    errorHelp: "无法加载技术需求与成果数据。请检查网络后重试；如果问题持续，请联系网站管理员。",
    errorSearch: "搜索出错",
    retry: "重试",
    details: "技术细节",
    notFound: (id) => `找不到记录 ${id}`,
    csv: ["编号", "类型", "标题", "匹配对象", "匹配度", "匹配理由", "备注"],
    reasonJoin: "；",
    listJoin: "、",
    paren: (s) => `（${s}）`,
    reasons: {
      terms: (d) => (d ? `文本相近：都提到 ${d}` : "文本相近"),
      industry: (d) => `同属产业：${d}`,
      field: (d) => `同一技术领域：${d}`,
      trl_fit: (t) => (t ? `成熟度相符：成果 TRL ${t.level}（${t.name}）在需求可接受的 ${t.range} 之内` : "成熟度相符"),
      trl_miss: (t) => (t ? `成熟度不符：成果 TRL ${t.level}（${t.name}），需求要求 ${t.range}` : "成熟度不符"),
      mode_fit: (d) => `合作方式相容：${d}`,
      mode_conflict: (m) => (m ? `合作方式冲突：需求 ${m.need} / 成果 ${m.result}` : "合作方式冲突"),
      open: (d) => `需求仍在征集中（截止 ${d}）`,
      expired: (d) => `需求已截止（${d}）`,
      region: (d) => `同一地区：${d}`,
    },
  },
  en: {
    placeholder: "Search needs and results, e.g. silver sintering, cathodic protection, PM2.5",
    searchLabel: "Search technology needs and research results",
    searchButton: "Search",
    loading: "Loading data…",
    downloading: (p) => `Downloading data ${p}`,
    opening: "Opening the index…",
    count: (n, ms) => `${n} ${n === 1 ? "result" : "results"} (${ms} ms)`,
    partial: (n, ms) =>
      `No record holds your words whole; ${n} ${n === 1 ? "record holds" : "records hold"} some of them (${ms} ms)`,
    searching: "Searching…",
    emptyTitle: "No matching records",
    emptyHelp: [
      "Try a shorter or more general word.",
      "Remove some filters, or untick “Open only”.",
      'Quote an exact phrase ("laser cladding"); exclude a word with a minus (-welding).',
    ],
    filters: "Filters",
    activeFilters: "Active filters",
    clearAll: "Clear all",
    removeFilter: (label) => `Remove filter: ${label}`,
    facet: {
      kind: "Type",
      industries: "Industry",
      fields: "Technology field",
      result_type: "Result type",
      modes: "Cooperation / transfer mode",
      region: "Region",
    },
    trl: "Technology readiness (TRL)",
    trlMin: "From",
    trlMax: "To",
    any: "Any",
    openOnly: "Open only",
    more: (n) => `Show all ${n}`,
    fewer: "Show fewer",
    kind: { need: "Technology need", challenge: "Open challenge", result: "Research result" },
    kindShort: { need: "Need", challenge: "Challenge", result: "Result" },
    deadline: (d) => `Deadline ${d}`,
    expired: (d) => `Closed ${d}`,
    bounty: (b) => `Bounty CNY ${fmtNumber(b * 10000, "en")}`,
    budget: (b) => `Budget ${b}`,
    price: (p) => (typeof p === "number" ? `Price CNY ${fmtNumber(p * 10000, "en")}` : `Price ${p}`),
    owner: "Posted by",
    holder: "Held by",
    prev: "Previous",
    next: "Next",
    page: (p, n) => `Page ${p} of ${n}`,
    results: "Search results",
    back: "Back to the list",
    findMatches: "Find matches",
    matchesFor: (kind) => (kind === "result" ? "Matching technology needs" : "Matching research results"),
    matching: "Matching…",
    noMatches: "No sufficiently related counterparts found.",
    score: "Match score",
    contact: "Contact",
    foundFor: (what) => `found for: ${what}`,
    printReport: "Print recommendation",
    reportOf: "Technology market",
    reportTitle: (kind) => (kind === "result" ? "Recommended enterprise needs" : "Recommended research results"),
    addShortlist: "Add to shortlist",
    inShortlist: "On the shortlist",
    removeShortlist: "Remove from shortlist",
    shortlist: "Shortlist",
    shortlistEmpty: "Nothing shortlisted yet. Open a record or a match and press “Add to shortlist”.",
    note: "Note",
    exportCsv: "Export CSV",
    clearShortlist: "Clear",
    saveSearch: "Save search",
    savedSearches: "Saved searches",
    savedEmpty:
      "No saved searches yet. Set a query and filters, press “Save search”, and next time you will see what is new.",
    newSince: (n) => `${n} new`,
    lastViewed: (d) => `last viewed ${d}`,
    removeSaved: "Delete",
    allRecords: "All records",
    fieldsLabel: {
      summary: "Summary",
      problem: "Problem",
      key_requirements: "Key requirements",
      expected_outcome: "Expected outcome",
      advantages: "Advantages",
      keywords: "Keywords",
      industries: "Industries",
      fields: "Technology fields",
      region: "Region",
      modes_need: "Cooperation modes",
      modes_result: "Transfer modes",
      result_type: "Result type",
      trl: "Technology readiness",
      published: "Published",
      deadline: "Deadline",
      ipr: "Intellectual property",
      inventors: "Inventors",
      id: "ID",
    },
    errorTitle: "The data could not be loaded",
    errorHelp:
      "The technology needs and results could not be loaded. Check your connection and try again; if it keeps failing, contact the site's administrator.",
    errorSearch: "Search failed",
    retry: "Try again",
    details: "Technical details",
    notFound: (id) => `No record ${id}`,
    csv: ["id", "kind", "title", "matched_for", "score", "reasons", "note"],
    reasonJoin: "; ",
    listJoin: ", ",
    paren: (s) => ` (${s})`,
    reasons: {
      terms: (d) => (d ? `Similar text: both mention ${d}` : "Similar text"),
      industry: (d) => `Same industry: ${d}`,
      field: (d) => `Same technology field: ${d}`,
      trl_fit: (t) =>
        t
          ? `Maturity fits: the result is at TRL ${t.level} (${t.name}), within the need's ${t.range}`
          : "Maturity fits",
      trl_miss: (t) =>
        t
          ? `Maturity mismatch: the result is at TRL ${t.level} (${t.name}), the need asks for ${t.range}`
          : "Maturity mismatch",
      mode_fit: (d) => `Compatible cooperation mode: ${d}`,
      mode_conflict: (m) =>
        m ? `Cooperation mode conflict: need ${m.need} / result ${m.result}` : "Cooperation mode conflict",
      open: (d) => `The need is still open (deadline ${d})`,
      expired: (d) => `The need has closed (${d})`,
      region: (d) => `Same region: ${d}`,
    },
  },
};

function fmtNumber(n, lang) {
  return Number(n).toLocaleString(lang === "en" ? "en-US" : "zh-CN", { maximumFractionDigits: 2 });
}

/** The facets the widget shows and keeps in the URL, in display order. */
export const FACETS = ["kind", "industries", "fields", "result_type", "modes", "region"];

/** The label of facet value `value` of `field` (kinds by name, vocabularies translated). */
export function valueLabel(field, value, lang) {
  if (field === "kind") return (STRINGS[lang] ?? STRINGS.zh).kind[value] ?? value;
  return valueName(field, value, lang);
}

/** A controlled-vocabulary value of `field` (industries, fields, modes, result_type, ipr, region) in
 *  the interface language; a value outside the vocabulary stays as written. */
export function valueName(field, value, lang) {
  return lang === "en" ? (EN_NAMES[field]?.[value] ?? value) : value;
}

const PROVINCE_CODES = Object.entries(PROVINCES).map(([code, [zh]]) => [zh, code]);

/** The English name of a place written as records write it (河北省, 沧州市泊头市, 河北省沧州市,
 *  北京市海淀区) or as a region code (130900): "Cangzhou, Hebei", "Beijing"; null when the tables do
 *  not know it. */
function englishPlace(place) {
  let province = null;
  let city = null;
  if (/^\d{6}$/.test(place)) {
    province = place.slice(0, 2);
    city = place.slice(0, 4);
  } else {
    const [name, code] = PROVINCE_CODES.find(([zh]) => place.startsWith(zh)) ?? ["", null];
    const rest = place.slice(name.length);
    city = Object.keys(CITIES).find((c) => (!code || c.startsWith(code)) && rest.startsWith(CITIES[c][0])) ?? null;
    province = code ?? city?.slice(0, 2) ?? null;
  }
  const p = PROVINCES[province]?.[1];
  const c = CITIES[city]?.[1];
  if (!p) return null;
  return c && c !== p ? `${c}, ${p}` : p;
}

/** Where record `r` is, in `lang`: its region name as written, or in English its city and province. */
export function placeName(r, lang) {
  const written = r.region_name ?? r.province;
  if (lang !== "en") return written;
  return englishPlace(String(written ?? "")) ?? (r.region ? englishPlace(String(r.region)) : null) ?? written;
}

/** "TRL 6 · name" or "TRL 6–9" for a tags.trl list ([level] or [min, max]). */
export function trlLabel(levels, lang) {
  const names = TRL_NAMES[lang] ?? TRL_NAMES.zh;
  const [lo, hi = lo] = levels.map(Number);
  if (!lo) return null;
  if (lo === hi) return { text: `TRL ${lo} · ${names[lo - 1] ?? ""}`, title: names[lo - 1] ?? "" };
  return { text: `TRL ${lo}–${hi}`, title: `${names[lo - 1] ?? ""} – ${names[hi - 1] ?? ""}` };
}

/** A match reason in plain words, in `lang`. Unknown kinds fall back to their detail. */
export function reasonText(reason, lang) {
  const s = STRINGS[lang] ?? STRINGS.zh;
  const f = s.reasons[reason.kind];
  const d = String(reason.detail ?? "");
  const modes = (list) =>
    list
      .split(/,\s*/)
      .filter(Boolean)
      .map((m) => valueName("modes", m, lang))
      .join(s.listJoin);
  if (!f) return `${reason.kind}: ${d}`;
  switch (reason.kind) {
    case "trl_fit":
    case "trl_miss": {
      const m = /^TRL (\d)\s*\/\s*(\d)\s*[–-]\s*(\d)$/.exec(d);
      if (!m) return f(null);
      const names = TRL_NAMES[lang] ?? TRL_NAMES.zh;
      return f({
        level: m[1],
        name: names[Number(m[1]) - 1] ?? "",
        range: m[2] === m[3] ? `TRL ${m[2]}` : `TRL ${m[2]}–${m[3]}`,
      });
    }
    case "mode_conflict": {
      const parts = d.split(" / ");
      return f(parts.length === 2 ? { need: modes(parts[0]), result: modes(parts[1]) } : null);
    }
    case "mode_fit":
      return f(modes(d));
    case "terms":
      return f(
        d
          .split(/,\s*/)
          .filter(Boolean)
          .map((t) => `“${t}”`)
          .join(s.listJoin),
      );
    case "industry":
    case "field": {
      const field = reason.kind === "industry" ? "industries" : "fields";
      return f(
        d
          .split(/,\s*/)
          .map((v) => valueName(field, v, lang))
          .join(s.listJoin),
      );
    }
    case "region":
      return f(lang === "en" ? (englishPlace(d) ?? d) : d);
    default:
      return f(d);
  }
}
