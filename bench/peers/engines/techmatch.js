// bench/peers adapter for techmatch: the WASM engine in its Web Worker (www/tech-match/engine.js), as a portal runs it.
import { createEngine } from "/engine.js";

export async function open(base) {
  const engine = await createEngine(`${base}/techmatch.bundle`);
  const hits = async (q, size) => (await engine.search({ q, size }, { background: true })).hits;
  return {
    /** Top 10 with titles, as a results list shows them. */
    search: async (q) => (await hits(q, 10)).map((h) => ({ id: h.id, title: h.title })),
    /** Ranked ids (quality). */
    rank: async (q, k) => (await hits(q, k)).map((h) => h.id),
  };
}
