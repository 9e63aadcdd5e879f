// Shared pieces of the browser benchmarks (bench/browser.mjs, bench/peers/run.mjs): finding and flagging
// Chromium, a byte-counting static server on 127.0.0.1, CDP on a worker, Chromium process memory,
// percentiles, and the machine description.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The files of the built WASM engine a page loads, relative to `www` (`pkg/techmatch.js`,
 *  `pkg/techmatch_bg.wasm`, and the JavaScript snippets wasm-bindgen copies under `pkg/snippets/`). */
export function pkgFiles(www = path.join(ROOT, "www/tech-match")) {
  return fs
    .readdirSync(path.join(www, "pkg"), { recursive: true })
    .map((f) => path.join("pkg", f))
    .filter((f) => /\.(js|wasm)$/.test(f) && fs.statSync(path.join(www, f)).isFile());
}
export const require = createRequire(path.join(ROOT, "package.json"));

/** Chromium's executable (CHROMIUM overrides), or undefined. */
export const CHROMIUM = [
  process.env.CHROMIUM,
  "/usr/lib/chromium/chromium",
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
].find((p) => p && fs.existsSync(p));
export const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
];

export const loadavg = () => fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

/** The p-quantile (0 < p ≤ 1) of `xs`, nearest rank. */
export const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(p * s.length) - 1)];
};
export const median = (xs) => pct(xs, 0.5);

/** Most ranges one request may ask for, and the multipart boundary: both as `techmatch serve` has them. */
export const MAX_RANGES = 256;
export const BOUNDARY = "techmatch-byteranges-3f9c1e";

/**
 * The inclusive ranges `bytes=a-b`, `bytes=a-`, `bytes=-n` (or several, comma-separated) ask of a
 * file of `len` bytes, or null when none is satisfiable, the header is malformed or asks for more
 * than MAX_RANGES: the rules of `parse_ranges` in src/tools/serve.rs (tests/wasm/multipart.test.mjs
 * checks the two answer alike).
 */
export function parseRanges(header, len) {
  const spec = /^\s*bytes=(.*)$/s.exec(header ?? "")?.[1];
  if (spec === undefined || len === 0) return null;
  const pieces = spec.split(",");
  if (pieces.length > MAX_RANGES) return null;
  const out = [];
  for (const piece of pieces) {
    const m = /^\s*(\d*)\s*-\s*(\d*)\s*$/.exec(piece);
    if (!m || (m[1] === "" && m[2] === "")) return null;
    let start, end;
    if (m[1] === "") [start, end] = [Math.max(0, len - Number(m[2])), len - 1];
    else if (m[2] === "") [start, end] = [Number(m[1]), len - 1];
    else {
      [start, end] = [Number(m[1]), Number(m[2])];
      if (end < start) return null;
      end = Math.min(end, len - 1);
    }
    if (start <= end) out.push([start, end]);
  }
  return out.length ? out : null;
}

/**
 * The ranges to answer for what was asked, as `techmatch serve` (src/tools/serve.rs `coalesce`) and
 * nginx pick them: sorted, overlapping and adjacent ones merged; null (send the whole file) when the
 * asked ranges add up to more than the file.
 */
export function coalesce(spans, len) {
  if (spans.reduce((n, [s, e]) => n + e + 1 - s, 0) > len) return null;
  const out = [];
  for (const [s, e] of [...spans].sort((a, b) => a[0] - b[0] || a[1] - b[1])) {
    const last = out.at(-1);
    if (last && s <= last[1] + 1) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/**
 * A static host's answer to `Range` on a file of `body` bytes, as `techmatch serve` (and nginx) give
 * it: ranges coalesced (see coalesce; 200 with the whole file when they add up to more); one range → 206 with Content-Range; several → one 206 multipart/byteranges response; none
 * satisfiable → 416. No Range header → null (the whole file). Returns {status, headers, body,
 * payload} (payload: the file bytes it carries).
 */
export function rangeReply(header, body, type = "application/octet-stream") {
  if (header === undefined || header === null) return null;
  const asked = parseRanges(header, body.length);
  if (!asked)
    return { status: 416, headers: { "Content-Range": `bytes */${body.length}` }, body: Buffer.alloc(0), payload: 0 };
  const spans = coalesce(asked, body.length);
  if (!spans) return { status: 200, headers: {}, body, payload: body.length };
  const payload = spans.reduce((n, [s, e]) => n + e + 1 - s, 0);
  if (spans.length === 1) {
    const [[s, e]] = spans;
    return {
      status: 206,
      headers: { "Content-Type": type, "Content-Range": `bytes ${s}-${e}/${body.length}` },
      body: body.subarray(s, e + 1),
      payload,
    };
  }
  const parts = spans.flatMap(([s, e]) => [
    Buffer.from(`\r\n--${BOUNDARY}\r\nContent-Type: ${type}\r\nContent-Range: bytes ${s}-${e}/${body.length}\r\n\r\n`),
    body.subarray(s, e + 1),
  ]);
  parts.push(Buffer.from(`\r\n--${BOUNDARY}--\r\n`));
  return {
    status: 206,
    headers: { "Content-Type": `multipart/byteranges; boundary=${BOUNDARY}` },
    body: Buffer.concat(parts),
    payload,
  };
}

/**
 * A static server on 127.0.0.1 with a byte counter (wire bytes per response, headers included).
 * `resolve(pathname)` gives `{raw, gz?, type}` or null; in mode "gzip" a file with `gz` is sent with
 * Content-Encoding: gzip. A `Range` request for a file sent as is gets 206 and those bytes (several ranges in one
 * multipart response, see rangeReply),
 * as static hosts and CDNs answer. COOP/COEP headers make pages cross-origin isolated (5 µs timers).
 */
export function nodeServer(resolve, mode) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const socket = req.socket;
    const before = socket.bytesWritten;
    const file = resolve(decodeURIComponent(url.pathname));
    const headers = {
      "Cache-Control": "no-store",
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
    };
    let body = Buffer.alloc(0);
    let status = 404;
    if (file) {
      status = 200;
      body = file.raw;
      headers["Content-Type"] = file.type;
      const range = rangeReply(req.headers.range, body, file.type);
      if (mode === "gzip" && file.gz && /\bgzip\b/.test(req.headers["accept-encoding"] ?? "")) {
        body = file.gz;
        headers["Content-Encoding"] = "gzip";
        headers.Vary = "Accept-Encoding";
      } else if (range) {
        status = range.status;
        Object.assign(headers, range.headers);
        body = range.body;
      }
      headers["Accept-Ranges"] = "bytes";
    }
    headers["Content-Length"] = body.length;
    res.on("finish", () =>
      requests.push({ path: url.pathname, status, body: body.length, wire: socket.bytesWritten - before }),
    );
    res.writeHead(status, headers);
    res.end(req.method === "HEAD" ? undefined : body);
  });
  return new Promise((done) =>
    server.listen(0, "127.0.0.1", () =>
      done({
        mode,
        origin: `http://127.0.0.1:${server.address().port}`,
        requests,
        reset: () => (requests.length = 0),
        close: () => server.close(),
      }),
    ),
  );
}

/** PSS/RSS of the Chromium processes started by this node process. */
export function chromiumProcesses() {
  const children = new Map();
  for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(pid));
    } catch {}
  }
  const out = [];
  const queue = [process.pid];
  while (queue.length) {
    const pid = queue.shift();
    for (const c of children.get(pid) ?? []) {
      queue.push(c);
      try {
        // Processes forked by the zygote rewrite their command line into one space-separated string.
        const cmd = fs.readFileSync(`/proc/${c}/cmdline`, "utf8").split(/[\0 ]/);
        if (!/chrom/i.test(cmd[0])) continue;
        const type = cmd.includes("--top-chrome-webui")
          ? "browser-ui"
          : (cmd.find((a) => a.startsWith("--type="))?.slice(7) ?? "browser");
        const rollup = fs.readFileSync(`/proc/${c}/smaps_rollup`, "utf8");
        const kb = (k) => Number(rollup.match(new RegExp(`^${k}:\\s+(\\d+) kB`, "m"))?.[1] ?? 0);
        out.push({ pid: c, type, rss: kb("Rss") * 1024, pss: kb("Pss") * 1024 });
      } catch {}
    }
  }
  return out;
}

/** A CDP session on the worker whose URL ends with `suffix` (playwright has none for workers: attach from the browser). */
export async function workerCdp(bs, suffix = "/engine-worker.js") {
  const { targetInfos } = await bs.send("Target.getTargets");
  const target = targetInfos.find((t) => t.type === "worker" && t.url.endsWith(suffix));
  if (!target) return null;
  const { sessionId } = await bs.send("Target.attachToTarget", { targetId: target.targetId, flatten: false });
  let nextId = 0;
  const waiting = new Map();
  const onMessage = (ev) => {
    if (ev.sessionId !== sessionId) return;
    const m = JSON.parse(ev.message);
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.error) w.reject(new Error(`${m.error.message}`));
    else w.resolve(m.result);
  };
  bs.on("Target.receivedMessageFromTarget", onMessage);
  return {
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = ++nextId;
        waiting.set(id, { resolve, reject });
        bs.send("Target.sendMessageToTarget", { sessionId, message: JSON.stringify({ id, method, params }) }).catch(
          reject,
        );
      }),
    async detach() {
      bs.off("Target.receivedMessageFromTarget", onMessage);
      await bs.send("Target.detachFromTarget", { sessionId }).catch(() => {});
    },
  };
}

/** The commit measured, flagged when src/ or www/ has uncommitted changes. */
export function gitRev() {
  try {
    const h = execFileSync("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["-C", ROOT, "status", "--porcelain", "--", "src", "www", "Cargo.toml"], {
      encoding: "utf8",
    }).trim();
    return dirty ? `${h} + uncommitted changes in src/ or www/` : h;
  } catch {
    return "unknown";
  }
}

/** Markdown rows (`| what | value |`) describing CPU, memory and OS. */
export function machineRows() {
  const cpu = fs.readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/)?.[1] ?? "?";
  const osName = fs.readFileSync("/etc/os-release", "utf8").match(/PRETTY_NAME="(.*)"/)?.[1] ?? "?";
  return [
    `| CPU | ${cpu}, \`nproc\` = ${os.cpus().length} |`,
    `| Memory | ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB |`,
    `| OS | ${osName}, kernel ${os.release()} |`,
  ];
}

/** A fresh browser context and page for one measured load: page errors collected, the HTTP cache
 *  set over CDP, performance metrics on. `initScript` runs before the page's own scripts. */
export async function measuredPage(browser, { cacheDisabled = true, initScript } = {}) {
  const context = await browser.newContext();
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled });
  await cdp.send("Performance.enable");
  return { context, page, errors, cdp };
}
