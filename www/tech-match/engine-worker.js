// The techmatch engine's Web Worker (a module worker started by engine.js): loads the WASM engine,
// opens the bundle — downloaded whole, or lazily: only the byte ranges each request needs, by
// HTTP Range — and answers requests off the main thread.
//
// Messages in:  {id, op: "load", url, loading: "auto"|"lazy"|"whole"}
//               | {id, op: "search"|"match"|"get"|"stats"|"transfer", args: [...]}
// Messages out: {id, ok: true, value} | {id, ok: false, error: {name, message}}
//               | {type: "progress", phase: "download"|"open", loaded, total}
//               | {type: "crashed", error: {name, message}} (the WASM instance trapped; the worker closes)
import init, { Engine } from "./pkg/techmatch.js";

/** Bundles up to this size are downloaded whole when loading is "auto" (see BENCHMARKS.md, "Lazy loading"). */
const WHOLE_UP_TO = 4 << 20;
/** The first request of a lazy load: the header and, on a bundle of a few thousand records, the whole opening. */
const FIRST_BYTES = 64 << 10;
/** Rounds of planned fetches per request before the engine fetches the rest itself. */
const MAX_ROUNDS = 8;

const wasmReady = init(); // fetched and compiled while the bundle downloads
wasmReady.catch(() => {}); // reported by load()
let engine = null;
let lazyUrl = null; // the bundle's URL while it is open lazily
let lazyVersion = null; // what identifies the version of the bundle open lazily: {size, etag, validator}

/** The bundle was replaced on the server while it was open lazily (a nightly rebuild written in
 *  place): its ranges would be read against the old header. The widget opens it again. */
class BundleChangedError extends Error {
  constructor(url, why) {
    super(`${url} changed on the server since it was opened (${why}); open it again`);
    this.name = "BundleChangedError";
  }
}

/** What identifies the version of the bundle `res` is from: its size, its ETag, and the validator
 *  to send as If-Range (a strong ETag, else Last-Modified; same origin only: a CDN elsewhere may not
 *  allow the header). */
function versionOf(url, res, size) {
  const etag = res.headers.get("ETag");
  const sameOrigin = new URL(url).origin === self.location.origin;
  const validator = etag && !etag.startsWith("W/") ? etag : res.headers.get("Last-Modified");
  return { size, etag, validator: sameOrigin ? validator : null };
}

/** The headers of a range request for the bundle open lazily. */
function rangeHeaders(range, version = lazyVersion) {
  return version?.validator ? { Range: range, "If-Range": version.validator } : { Range: range };
}

/** Throws BundleChangedError when `res` is not from the version of the bundle that was opened: a
 *  200 to If-Range, another ETag, another total size. */
function checkVersion(url, res, version = lazyVersion) {
  if (!version) return;
  if (res.status === 200 && version.validator) throw new BundleChangedError(url, "the server sent the whole new file");
  const etag = res.headers.get("ETag");
  if (etag && version.etag && etag !== version.etag)
    throw new BundleChangedError(url, `ETag ${version.etag} → ${etag}`);
  const total = /\/(\d+)$/.exec(res.headers.get("Content-Range") ?? "")?.[1];
  if (total && Number(total) !== version.size) throw new BundleChangedError(url, `${version.size} → ${total} bytes`);
}

const post = (msg) => self.postMessage(msg);

function fail(id, e) {
  // The engine's errors name their kind (BundleChangedError, BundleCorruptedError, RequestError, …).
  const error = e instanceof Error ? { name: e.name, message: e.message } : { name: "Error", message: String(e) };
  post({ id, ok: false, error });
  // A trap (a Rust panic aborts) leaves the instance's memory in an unknown state: it must not
  // answer again. The page starts a new engine.
  if (e instanceof WebAssembly.RuntimeError) {
    post({ type: "crashed", error });
    self.close();
  }
}

/** Bytes `start..end` of `url`, by a Range request. */
async function fetchRange(url, start, end) {
  const what = `bytes ${start}–${end} of ${url}`;
  let res;
  try {
    res = await fetch(url, { headers: rangeHeaders(`bytes=${start}-${end - 1}`) });
  } catch (e) {
    throw new Error(`cannot fetch ${what}: ${e.message}`);
  }
  checkVersion(url, res);
  if (res.status !== 206) throw new Error(`cannot fetch ${what}: HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.length !== end - start) throw new Error(`cannot fetch ${what}: received ${bytes.length} bytes`);
  return bytes;
}

/** Most ranges asked for in one request (a Range header of about 2 kB). */
const RANGES_PER_REQUEST = 96;
/** Whether to ask for several ranges in one request; off once the server has not answered them so. */
let multipart = true;

/** The ranges of a plan, supplied to `supply(start, bytes)` as they come: several in each request
 *  when the server answers multipart/byteranges (nginx, Apache, `techmatch serve`), else one each. */
async function fetchRanges(url, ranges, supply) {
  let rest = ranges;
  if (multipart && ranges.length > 1) {
    rest = [];
    const batches = [];
    for (let i = 0; i < ranges.length; i += RANGES_PER_REQUEST) batches.push(ranges.slice(i, i + RANGES_PER_REQUEST));
    for (const missed of await Promise.all(batches.map((b) => fetchMultipart(url, b, supply)))) rest.push(...missed);
  }
  await Promise.all(rest.map(async ([s, end]) => supply(s, await fetchRange(url, s, end))));
}

/** Asks for `ranges` in one request and supplies those the answer holds; returns the others. A
 *  server that answers with the whole file, or not in parts that hold the ranges, is not asked so again. */
async function fetchMultipart(url, ranges, supply) {
  const controller = new AbortController();
  let parts = null;
  try {
    const res = await fetch(url, {
      headers: rangeHeaders(`bytes=${ranges.map(([s, e]) => `${s}-${e - 1}`).join(",")}`),
      signal: controller.signal,
    });
    try {
      checkVersion(url, res);
    } catch (e) {
      controller.abort();
      throw e;
    }
    if (res.status !== 206) {
      controller.abort(); // a 200 carries the whole bundle
      if (res.ok) multipart = false;
      return ranges;
    }
    const boundary = /^multipart\/byteranges;.*boundary="?([^";]+)"?/i.exec(res.headers.get("Content-Type") ?? "")?.[1];
    const body = new Uint8Array(await res.arrayBuffer());
    const single = /^bytes (\d+)-\d+\//.exec(res.headers.get("Content-Range") ?? "");
    parts = boundary ? byteRanges(body, boundary) : single ? [[Number(single[1]), body]] : null;
  } catch (e) {
    if (e instanceof BundleChangedError) throw e;
    // Refused (a cross-origin host that does not allow this Range header) or cut off: one request per range.
  }
  const missed = parts
    ? ranges.filter(([s, e]) => {
        const part = parts.find(([at, bytes]) => at <= s && e <= at + bytes.length);
        if (part) supply(s, part[1].subarray(s - part[0], e - part[0]));
        return !part;
      })
    : ranges;
  if (missed.length) multipart = false;
  return missed;
}

/** The parts of a multipart/byteranges body as [start, bytes], or null when it is not well formed. */
function byteRanges(body, boundary) {
  const delimiter = new TextEncoder().encode(`--${boundary}`);
  const find = (what, from) => {
    for (let i = from; i + what.length <= body.length; i++) {
      let j = 0;
      while (j < what.length && body[i + j] === what[j]) j++;
      if (j === what.length) return i;
    }
    return -1;
  };
  const blank = new Uint8Array([13, 10, 13, 10]);
  const parts = [];
  for (let at = 0; ;) {
    at = find(delimiter, at);
    if (at < 0) return null;
    at += delimiter.length;
    if (body[at] === 45 && body[at + 1] === 45) return parts; // "--": the last delimiter
    const headEnd = find(blank, at);
    if (headEnd < 0) return null;
    const head = new TextDecoder().decode(body.subarray(at, headEnd));
    const range = /content-range:\s*bytes\s+(\d+)-(\d+)\//i.exec(head);
    if (!range) return null;
    const [start, length, from] = [Number(range[1]), Number(range[2]) + 1 - Number(range[1]), headEnd + 4];
    if (!(length > 0) || from + length > body.length) return null;
    parts.push([start, body.subarray(from, from + length)]);
    at = from + length;
  }
}

/** Reads a response body after `initial` bytes, reporting progress about every 64 KiB or 100 ms. */
async function readBody(res, total, initial = new Uint8Array(0)) {
  post({ type: "progress", phase: "download", loaded: initial.length, total });
  let buffer = new Uint8Array(Math.max(total, initial.length + (1 << 20)));
  buffer.set(initial);
  let loaded = initial.length;
  let reported = 0;
  let reportedAt = 0;
  const reader = res.body ? res.body.getReader() : null;
  let whole = reader ? null : new Uint8Array(await res.arrayBuffer());
  for (;;) {
    const { done, value } = reader ? await reader.read() : { done: !whole, value: whole };
    whole = null;
    if (done) break;
    if (loaded + value.length > buffer.length) {
      const grown = new Uint8Array(Math.max(buffer.length * 2, loaded + value.length));
      grown.set(buffer.subarray(0, loaded));
      buffer = grown;
    }
    buffer.set(value, loaded);
    loaded += value.length;
    const now = performance.now();
    if (loaded - reported >= 1 << 16 || now - reportedAt >= 100) {
      post({ type: "progress", phase: "download", loaded, total: total && Math.max(total, loaded) });
      reported = loaded;
      reportedAt = now;
    }
  }
  post({ type: "progress", phase: "download", loaded, total: loaded });
  return buffer.subarray(0, loaded);
}

function httpError(url, res) {
  return new Error(`cannot download the bundle ${url}: HTTP ${res.status} ${res.statusText}`.trim());
}

/** The whole bundle from a full (200) response. */
function wholeBody(url, res) {
  if (!res.ok) throw httpError(url, res);
  // With a Content-Encoding, Content-Length counts compressed bytes: the total is then unknown.
  const length = Number(res.headers.get("Content-Length"));
  return readBody(res, Number.isFinite(length) && length > 0 && !res.headers.get("Content-Encoding") ? length : 0);
}

/**
 * Opens the bundle at `url`: lazily when `loading` is "lazy", or "auto" and the bundle is larger
 * than WHOLE_UP_TO; otherwise (or when the server ignores Range) it is downloaded whole.
 * Resolves to the load's facts for engine.info.
 */
async function open(url, loading) {
  if (loading === "whole") {
    const [bytes] = await Promise.all([fetch(url).then((res) => wholeBody(url, res)), wasmReady]);
    return { bytes, lazy: false };
  }
  const first = await fetch(url, { headers: { Range: `bytes=0-${FIRST_BYTES - 1}` } });
  const size =
    first.status === 206 && !first.headers.get("Content-Encoding")
      ? Number(/\/(\d+)$/.exec(first.headers.get("Content-Range") ?? "")?.[1])
      : NaN;
  if (!(size > 0)) {
    if (
      first.ok &&
      first.status !== 206 &&
      (loading === "lazy" || Number(first.headers.get("Content-Length")) > WHOLE_UP_TO)
    ) {
      console.warn(
        `techmatch: ${url} is served without HTTP Range support (or compressed on the fly): downloading the whole bundle instead of the parts each search needs`,
      );
    }
    const [bytes] = await Promise.all([wholeBody(url, first), wasmReady]);
    return { bytes, lazy: false };
  }
  let prefix = new Uint8Array(await first.arrayBuffer());
  if (loading === "auto" && size <= WHOLE_UP_TO) {
    const rest = prefix.length < size ? await fetch(url, { headers: { Range: `bytes=${prefix.length}-` } }) : null;
    if (rest && rest.status !== 206) throw httpError(url, rest);
    const [bytes] = await Promise.all([rest ? readBody(rest, size, prefix) : prefix, wasmReady]);
    return { bytes, lazy: false };
  }
  await wasmReady;
  const version = versionOf(url, first, size);
  // The opening (header and hot section): the first answer may name only the header's end.
  for (let i = 0; i < 2; i++) {
    const need = Engine.openingLength(prefix) ?? 0;
    if (need <= prefix.length || need > size) break;
    const res = await fetch(url, { headers: rangeHeaders(`bytes=${prefix.length}-${need - 1}`, version) });
    checkVersion(url, res, version);
    if (res.status !== 206)
      throw new Error(`cannot fetch bytes ${prefix.length}–${need} of ${url}: HTTP ${res.status}`);
    prefix = await readBody(res, need, prefix);
  }
  return { prefix, size, lazy: true, version };
}

async function load(id, url, loading = "auto") {
  try {
    const started = performance.now();
    const opened = await open(url, loading);
    const downloaded = performance.now();
    const bytes = opened.lazy ? opened.prefix.length : opened.bytes.length;
    post({ type: "progress", phase: "open", loaded: bytes, total: bytes });
    engine?.free();
    engine = null;
    lazyUrl = null;
    lazyVersion = null;
    engine = opened.lazy
      ? Engine.openLazy(url, opened.size, opened.prefix, opened.version.validator ?? undefined)
      : Engine.load(opened.bytes);
    if (opened.lazy) [lazyUrl, lazyVersion] = [url, opened.version];
    const value = {
      bytes,
      size: opened.lazy ? opened.size : bytes,
      lazy: opened.lazy,
      downloadMs: downloaded - started,
      openMs: performance.now() - downloaded,
    };
    post({ id, ok: true, value });
  } catch (e) {
    fail(id, e);
  }
}

/** Answers a request; on a lazy bundle, fetches what the engine's plan names first, all at once. */
async function answer(op, args) {
  if (!engine) throw new Error("the engine has no bundle loaded");
  const e = engine;
  const plans = {
    search: () => e.planSearch(args[0]),
    match: () => e.planMatch(args[0], args[1]),
    get: () => e.planGet(args[0]),
  };
  if (lazyUrl && plans[op]) {
    const url = lazyUrl;
    let retried = false;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      let value;
      try {
        value = plans[op]();
      } catch (err) {
        // Bytes damaged on the way: the engine dropped the block that failed its check, and the
        // next round fetches it anew, once. Damaged again, the file itself is: the error stands.
        if (err?.name !== "BundleCorruptedError" || retried) throw err;
        retried = true;
        continue;
      }
      if (!value?.fetch) return value;
      await fetchRanges(url, value.fetch, (s, bytes) => e.supply(s, bytes));
    }
  }
  switch (op) {
    case "search":
      return e.search(args[0]);
    case "match":
      return e.match(args[0], args[1]);
    case "get":
      return e.get(args[0]);
    case "stats":
      return e.stats();
    case "transfer":
      return e.transfer();
    default:
      throw new Error(`unknown operation ${JSON.stringify(op)}`);
  }
}

async function run(id, op, args) {
  try {
    post({ id, ok: true, value: await answer(op, args) });
  } catch (e) {
    fail(id, e);
  }
}

self.onmessage = ({ data }) => {
  const { id, op, url, loading, args } = data ?? {};
  if (op === "load") load(id, url, loading);
  else run(id, op, args);
};
