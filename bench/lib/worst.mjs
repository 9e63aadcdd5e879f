// The costliest requests the engine's bounds allow (src/engine/request.rs): what bench/bounds.mjs
// times and tests/wasm/bounds.test.mjs holds to a memory budget. Each is a [name, method, request].
const QUERY_CHARS = 2000;
const QUERY_WORDS = 64;
const TAG_VALUES = 100;
const VALUE_CHARS = 200;
const MATCH_CHARS = 8000;
const TAG_FIELDS = ["kind", "industries", "fields", "result_type", "modes", "region", "lang"];

const cjk = "盐碱地改良土壤修复新材料涂层耐高温电池储能智能制造机器人视觉检测算法催化剂氢能";
/** `n` characters cycling through `alphabet` from `start`. */
const text = (alphabet, n, start = 0) =>
  Array.from({ length: n }, (_, i) => alphabet[(start + i) % alphabet.length]).join("");

/** 64 words of 2000 characters in all: long CJK words (many uni- and bigrams each). */
function cjkQuery() {
  const per = Math.floor((QUERY_CHARS - (QUERY_WORDS - 1)) / QUERY_WORDS);
  return Array.from({ length: QUERY_WORDS }, (_, i) => text(cjk, per, i * 7)).join(" ");
}

/** 64 English words, phrases and exclusions of 2000 characters in all. */
function mixedQuery() {
  const words = ["coating", "battery", "robot", "catalyst", "hydrogen", "vision", "storage", "soil"];
  const parts = Array.from({ length: QUERY_WORDS }, (_, i) => {
    const w = words[i % words.length] + "x".repeat(20);
    return i % 3 === 0 ? `"${w} ${words[(i + 1) % words.length]}"` : i % 3 === 1 ? `-${w}` : w;
  });
  return parts.join(" ").slice(0, QUERY_CHARS);
}

/** Every tag field with 100 different values of 200 characters (the first one real). */
function fullFilters(real) {
  return Object.fromEntries(
    TAG_FIELDS.map((f) => [
      f,
      [real[f] ?? "x", ...Array.from({ length: TAG_VALUES - 1 }, (_, i) => text(cjk, VALUE_CHARS, i))],
    ]),
  );
}

const many = (first) => [first, ...Array.from({ length: TAG_VALUES - 1 }, (_, i) => text(cjk, VALUE_CHARS, i))];

export function worstRequests() {
  const real = { kind: "result", industries: "新材料", region: "河北省", lang: "zh" };
  return [
    ["search: 64 CJK words", "search", { q: cjkQuery(), size: 1000 }],
    ["search: 64 English words, phrases, exclusions", "search", { q: mixedQuery(), size: 1000 }],
    [
      "search: full query, every filter with 100 values, TRL, open",
      "search",
      { q: cjkQuery(), filters: fullFilters(real), trl: { min: 1, max: 9 }, open: true, size: 1000 },
    ],
    [
      "search: no text, every filter with 100 values, sorted by deadline",
      "search",
      { filters: fullFilters(real), sort: "deadline", size: 1000 },
    ],
    [
      "search: one filter value 100,000 times (folded)",
      "search",
      { q: "盐碱地", filters: { region: Array(100_000).fill("河北省") }, size: 1000 },
    ],
    [
      "match: 8000 characters, 100 values per tag list",
      "match",
      {
        text: text(cjk, MATCH_CHARS),
        tags: { industries: many("新材料"), fields: many("x"), modes: many("转让"), trl_min: 1, trl_max: 9 },
        size: 1000,
      },
    ],
    [
      "match: 8000 characters of English",
      "match",
      { text: text("coating battery robot catalyst hydrogen vision storage soil ", MATCH_CHARS), size: 1000 },
    ],
  ];
}
