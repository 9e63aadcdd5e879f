// bench/peers adapter for Pagefind 1.6: its own pagefind.js (search in Pagefind's worker, index chunks
// and fragments fetched as needed); titles need each hit's fragment (`data()`).
export async function open(base) {
  const pagefind = await import(`${base}/pagefind.js`);
  await pagefind.options({ basePath: `${base}/` });
  await pagefind.init();
  return {
    search: async (q) => {
      const { results } = await pagefind.search(q);
      const top = await Promise.all(results.slice(0, 10).map((r) => r.data()));
      return top.map((d) => ({ id: d.url.replace(/^.*\/r\//, ""), title: d.meta.title }));
    },
    /** Fragment hashes; the harness maps them to record ids (build.mjs pagefindIds). */
    rank: async (q, k) => (await pagefind.search(q)).results.slice(0, k).map((r) => r.id),
  };
}
