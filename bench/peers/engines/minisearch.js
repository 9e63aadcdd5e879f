// bench/peers adapter for MiniSearch 7: the serialised index (one JSON file) loaded on the main thread,
// with the CJK tokenizer of cjk.js and the options of options.js.
import MiniSearch from "/vendor/minisearch.js";
import { tokenize } from "/peers/cjk.js";
import { MINI_OPTIONS, MINI_SEARCH } from "/peers/engines/options.js";

export async function open(base) {
  const json = await (await fetch(`${base}/index.json`)).text();
  const ms = MiniSearch.loadJSON(json, { ...MINI_OPTIONS, tokenize, searchOptions: MINI_SEARCH });
  return {
    search: async (q) =>
      ms
        .search(q)
        .slice(0, 10)
        .map((r) => ({ id: r.id, title: r.title })),
    rank: async (q, k) =>
      ms
        .search(q)
        .slice(0, k)
        .map((r) => r.id),
  };
}
