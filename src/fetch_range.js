// The WASM engine's fallback for bundle bytes that no plan foresaw (src/wasm.rs): a synchronous
// HTTP Range request. Browsers allow synchronous requests in workers only, where blocking costs
// the page nothing; www/engine-worker.js fetches planned ranges concurrently instead.

/** Bytes `start..end` of the file at `url`; throws an Error naming the range and the failure. */
export function fetchRangeSync(url, start, end) {
  const what = `bytes ${start}–${end} of ${url}`;
  if (typeof XMLHttpRequest !== "function") throw new Error(`cannot fetch ${what}: no XMLHttpRequest here`);
  const xhr = new XMLHttpRequest();
  xhr.open("GET", url, false);
  xhr.responseType = "arraybuffer";
  xhr.setRequestHeader("Range", `bytes=${start}-${end - 1}`);
  try {
    xhr.send();
  } catch (e) {
    throw new Error(`cannot fetch ${what}: ${e.message}`);
  }
  if (xhr.status !== 206) throw new Error(`cannot fetch ${what}: HTTP ${xhr.status}${xhr.status === 200 ? " (the server ignores Range)" : ""}`);
  const bytes = new Uint8Array(xhr.response);
  if (bytes.length !== end - start) throw new Error(`cannot fetch ${what}: received ${bytes.length} bytes`);
  return bytes;
}
