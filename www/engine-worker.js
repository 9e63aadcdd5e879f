// The techmatch engine's Web Worker (a module worker started by engine.js): loads the WASM engine,
// downloads the bundle with progress, and answers requests off the main thread.
//
// Messages in:  {id, op: "load", url} | {id, op: "search"|"match"|"get"|"stats", args: [...]}
// Messages out: {id, ok: true, value} | {id, ok: false, error: {name, message}}
//               | {type: "progress", phase: "download"|"open", loaded, total}
import init, { Engine } from "./pkg/techmatch.js";

const wasmReady = init(); // fetched and compiled while the bundle downloads
wasmReady.catch(() => {}); // reported by load()
let engine = null;

const post = (msg) => self.postMessage(msg);

function fail(id, e) {
  const error = e instanceof Error ? { name: e.name, message: e.message } : { name: "Error", message: String(e) };
  post({ id, ok: false, error });
}

/** Downloads `url`, reporting progress about every 64 KiB or 100 ms. */
async function download(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`cannot download the bundle ${url}: HTTP ${res.status} ${res.statusText}`.trim());
  // With a Content-Encoding, Content-Length counts compressed bytes: the total is then unknown.
  const length = Number(res.headers.get("Content-Length"));
  const total = Number.isFinite(length) && length > 0 && !res.headers.get("Content-Encoding") ? length : 0;
  post({ type: "progress", phase: "download", loaded: 0, total });
  if (!res.body) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    post({ type: "progress", phase: "download", loaded: bytes.length, total: bytes.length });
    return bytes;
  }
  const reader = res.body.getReader();
  let buffer = new Uint8Array(total || 1 << 20);
  let loaded = 0;
  let reported = 0;
  let reportedAt = 0;
  for (;;) {
    const { done, value } = await reader.read();
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

async function load(id, url) {
  try {
    const started = performance.now();
    const [bytes] = await Promise.all([download(url), wasmReady]);
    const downloaded = performance.now();
    post({ type: "progress", phase: "open", loaded: bytes.length, total: bytes.length });
    engine?.free();
    engine = Engine.load(bytes);
    const opened = performance.now();
    post({ id, ok: true, value: { bytes: bytes.length, downloadMs: downloaded - started, openMs: opened - downloaded } });
  } catch (e) {
    fail(id, e);
  }
}

function run(id, op, args) {
  try {
    if (!engine) throw new Error("the engine has no bundle loaded");
    let value;
    switch (op) {
      case "search":
        value = engine.search(args[0]);
        break;
      case "match":
        value = engine.match(args[0], args[1]);
        break;
      case "get":
        value = engine.get(args[0]);
        break;
      case "stats":
        value = engine.stats();
        break;
      default:
        throw new Error(`unknown operation ${JSON.stringify(op)}`);
    }
    post({ id, ok: true, value });
  } catch (e) {
    fail(id, e);
  }
}

self.onmessage = ({ data }) => {
  const { id, op, url, args } = data ?? {};
  if (op === "load") load(id, url);
  else run(id, op, args);
};
