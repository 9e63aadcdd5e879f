// The techmatch engine for pages: a promise API over a module Web Worker (engine-worker.js) that runs
// the WASM engine, so the main thread stays free while a bundle opens and queries run.
//
//   import { createEngine } from "./engine.js";
//   const engine = await createEngine("techmatch.bundle", { onProgress: (p) => bar(p.loaded, p.total) });
//   const { total, hits, facets, tookMs } = await engine.search({ q: "盐碱地 改良", kind: "result" });
//   const { hits: pairs } = await engine.match({ id: "N-2026-0001" }, { size: 5 });
//
// A newer search supersedes an older one still pending: the older promise rejects with an
// error named "AbortError" (ignore those). Engine errors reject with an Error and its message.

/** An error named "AbortError", as fetch() rejects with when aborted. */
function abortError(message) {
  if (typeof DOMException === "function") return new DOMException(message, "AbortError");
  const e = new Error(message);
  e.name = "AbortError";
  return e;
}

function toError({ name, message }) {
  const e = new Error(message);
  if (name && name !== "Error") e.name = name;
  return e;
}

/**
 * Starts the engine's worker, downloads and opens the bundle at `bundleUrl`.
 *
 * @param {string | URL} bundleUrl - relative to the page
 * @param {{ onProgress?: (p: {phase: "download" | "open", loaded: number, total: number}) => void,
 *           loading?: "auto" | "lazy" | "whole", workerUrl?: string | URL }} [options] - `total` is 0
 *   while the size is unknown; `loading`: "whole" downloads the bundle before the first search,
 *   "lazy" fetches only the byte ranges each request needs (HTTP Range), "auto" (default) is
 *   lazy for bundles over 4 MiB. Without Range support on the server, the bundle comes whole.
 * @returns {Promise<{search, match, get, stats, terminate, info}>} resolves once the bundle is open,
 *   rejects with the bundle's error (not a bundle, other version, truncated, corrupted, HTTP error)
 */
export async function createEngine(bundleUrl, { onProgress, loading = "auto", workerUrl } = {}) {
  const base = globalThis.document?.baseURI ?? globalThis.location?.href;
  const url = new URL(bundleUrl, base).href;
  const worker = new Worker(workerUrl ?? new URL("./engine-worker.js", import.meta.url), {
    type: "module",
    name: "techmatch-engine",
  });
  const pending = new Map(); // id → {resolve, reject}
  let nextId = 1;
  let dead = null;
  // Searches: at most one in the worker at a time; of those waiting, only the newest is kept.
  let searchInWorker = 0; // id of the search the worker is running, 0 when none
  let heldSearch = null; // {id, args} waiting for the worker
  let latestSearch = 0; // id of the newest search asked for

  const die = (error) => {
    dead ??= error;
    for (const { reject } of pending.values()) reject(dead);
    pending.clear();
    heldSearch = null;
  };

  const settle = (id, ok, value) => {
    const waiting = pending.get(id);
    if (!waiting) return; // superseded, or the engine died
    pending.delete(id);
    if (ok) waiting.resolve(value);
    else waiting.reject(value);
  };

  const send = (id, op, args, extra = {}) => {
    try {
      worker.postMessage({ id, op, args, ...extra });
      return true;
    } catch (e) {
      // A request that cannot be cloned (functions, symbols): an Error, like any bad request.
      settle(id, false, new Error(`invalid request: ${e.message}`));
      return false;
    }
  };

  const sendHeldSearch = () => {
    while (heldSearch && !searchInWorker) {
      const { id, args } = heldSearch;
      heldSearch = null;
      if (send(id, "search", args)) searchInWorker = id;
    }
  };

  worker.onmessage = ({ data }) => {
    if (data.type === "crashed") {
      worker.terminate();
      return die(
        new Error(`the techmatch engine stopped after an internal error (${data.error.message}); start it again`),
      );
    }
    if (data.type === "progress") {
      try {
        onProgress?.({ phase: data.phase, loaded: data.loaded, total: data.total });
      } catch (e) {
        setTimeout(() => {
          throw e;
        });
      }
      return;
    }
    if (data.id === searchInWorker) {
      searchInWorker = 0;
      sendHeldSearch();
    }
    settle(data.id, data.ok, data.ok ? data.value : toError(data.error));
  };
  worker.onerror = (event) => {
    event.preventDefault?.();
    die(
      new Error(`the techmatch engine worker failed: ${event.message || "could not start (is tech-match/pkg built?)"}`),
    );
  };
  worker.onmessageerror = () => die(new Error("the techmatch engine worker sent an unreadable message"));

  // `supersede`: a search the user typed, which replaces the previous one; background searches
  // (counts, exports) run in turn and are never cancelled.
  const call = (op, args, extra, supersede = false) =>
    new Promise((resolve, reject) => {
      if (dead) return reject(dead);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      if (!supersede) return void send(id, op, args, extra);
      // The older search, running or held, is superseded: its promise rejects now.
      settle(latestSearch, false, abortError("superseded by a newer search"));
      latestSearch = id;
      heldSearch = { id, args };
      sendHeldSearch();
    });

  let info;
  try {
    info = await call("load", undefined, { url, loading });
  } catch (e) {
    worker.terminate();
    throw e;
  }

  return {
    /** How the bundle opened: {bytes fetched, size of the bundle, lazy, downloadMs, openMs}. */
    info,
    /** Full-text search: resolves to {total, hits, facets, tookMs}. A newer search supersedes it,
     *  unless `background` is set (a background search neither supersedes nor is superseded). */
    search: (req, { background = false } = {}) => call("search", [req], undefined, !background),
    /** Match by {id} or {text, tags}; `opts` ({size}) is merged in. Resolves to {hits, tookMs}. */
    match: (req, opts) => call("match", [req, opts]),
    /** The public record with this id, or null. */
    get: (id) => call("get", [id]),
    /** Counts, facet vocabularies, file table. */
    stats: () => call("stats", []),
    /** For a lazily opened bundle, {ranges, bytes, held}: byte ranges and bytes fetched so far (the load
     *  included), bytes the block cache holds; else null. */
    transfer: () => call("transfer", []),
    /** False once the worker has failed or been terminated: every call rejects from then on. */
    get alive() {
      return !dead;
    },
    /** Stops the worker; pending and later calls reject. */
    terminate() {
      worker.terminate();
      die(new Error("the techmatch engine was terminated"));
    },
  };
}
