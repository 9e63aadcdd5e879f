// bench/peers adapter for FlexSearch 0.8: a Document index imported from its export (one JSON file) on
// the main thread, with the CJK tokenizer of cjk.js and the options of options.js.
import { Document } from "/vendor/flexsearch.js";
import { tokenize } from "/peers/cjk.js";
import { FLEX_OPTIONS, FLEX_SEARCH } from "/peers/engines/options.js";

export async function open(base) {
  const parts = await (await fetch(`${base}/index.json`)).json();
  const index = new Document({ ...FLEX_OPTIONS, encode: tokenize });
  for (const [key, data] of Object.entries(parts)) await index.import(key, data);
  // With merge, FlexSearch returns up to `limit` per field: cut the merged list.
  const find = (q, limit) => index.search(q, { ...FLEX_SEARCH, limit }).slice(0, limit);
  return {
    search: async (q) => find(q, 10).map((r) => ({ id: r.id, title: r.doc.title })),
    rank: async (q, k) => find(q, k).map((r) => r.id),
  };
}
