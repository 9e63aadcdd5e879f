//! WASM: the engine's JavaScript API (wasm-bindgen): load a bundle, then search, match, get and stats, with the native answers.
//!
//! ```js
//! import init, { Engine } from "./pkg/techmatch.js";
//! await init();
//! const engine = Engine.load(new Uint8Array(await (await fetch("techmatch.bundle")).arrayBuffer()));
//! engine.search({ q: "盐碱地 改良", kind: "result", filters: { industries: ["现代农业"] }, size: 10 });
//! engine.match({ id: "N-2026-0001" }, { size: 5 });
//! ```
//!
//! A large bundle need not be downloaded whole: `Engine.openLazy(url, size, prefix, validator)` opens it
//! from its opening (`Engine.openingLength`), and `planSearch` / `planMatch` /
//! `planGet` answer, or name the byte ranges to fetch and `supply` first; www/tech-match/engine-worker.js
//! drives that loop with concurrent `fetch` calls. Reads nobody planned for fall back to a
//! synchronous `Range` request through `XMLHttpRequest` ([`fetch`]), which only a worker may make.
//!
//! Every method returns a result or throws a JavaScript `Error` whose message says what is
//! wrong; none panics on any input. Requests are read the way the native CLI reads JSON
//! (`JSON.stringify`, then the core's serde types with `deny_unknown_fields`), so an unknown or
//! mistyped field is an error naming it, and a request means exactly what it means natively.
//! Answers are plain objects (maps become objects, not `Map`s).

use serde::{Deserialize, Serialize};
use tantivy::directory::OwnedBytes;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

mod fetch;

use crate::bundle::{self, BlockCache, Bundle};
use crate::engine::MatchRequest;
use crate::engine::{self, Planned, SearchRequest};
use crate::Error;
use fetch::HttpRanges;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str);
    /// `performance.now()`: present in browsers, workers and node.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Byte ranges `[start, end)` a lazily opened bundle needs before it can answer.
#[derive(Serialize, tsify_next::Tsify)]
struct Fetch {
    fetch: Vec<[u64; 2]>,
}

/// How long the engine took for an answer, in milliseconds (`performance.now()`).
#[derive(Serialize, tsify_next::Tsify)]
struct Took {
    #[serde(rename = "tookMs")]
    took_ms: f64,
}

/// The message of a thrown JavaScript value.
pub(crate) fn js_message(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "request failed".into())
}

/// A JavaScript number as a byte offset or length.
fn offset(n: f64, what: &str) -> Result<u64, JsValue> {
    if n.fract() == 0.0 && (0.0..=9_007_199_254_740_991.0).contains(&n) {
        Ok(n as u64)
    } else {
        Err(request_error(&format!(
            "{what} must be a whole number of bytes, found {n}"
        )))
    }
}

/// A lazy answer for JavaScript: the answer, or `{fetch: [[start, end], …]}`.
fn planned_to_js<T: Serialize>(planned: Planned<T>, started: f64) -> Result<JsValue, JsValue> {
    match planned {
        Planned::Done(answer) => with_took(to_js(&answer)?, started),
        Planned::Fetch(ranges) => to_js(&Fetch {
            fetch: ranges.iter().map(|r| [r.start, r.end]).collect(),
        }),
    }
}

/// Logs a panic's message and place to the console before the module traps (wasm32 aborts on panic).
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|info| console_error(&format!("techmatch panicked: {info}")))));
}

/// A JavaScript `Error` whose `name` says what kind of error it is.
fn thrown(name: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name(name);
    error.into()
}

/// The JavaScript `Error` for `e`: its message, and a `name` by kind that a page can act on —
/// `BundleChangedError` (open the bundle again), `BundleCorruptedError` (a lazily read block
/// that failed its check is fetched anew on the next request), `RequestError`, `NotFoundError`, …
fn js_error(e: Error) -> JsValue {
    let name = match &e {
        Error::NotABundle | Error::Version { .. } | Error::Incompatible(_) | Error::Unreadable(_) => "BundleError",
        Error::Truncated { .. } => "BundleTruncatedError",
        Error::Corrupted(_) => "BundleCorruptedError",
        Error::Fetch(_) => "FetchError",
        Error::Changed(_) => "BundleChangedError",
        Error::Request(_) | Error::Input(_) => "RequestError",
        Error::NotFound(_) => "NotFoundError",
        Error::Index(_) => "IndexError",
    };
    thrown(name, &e.to_string())
}

/// A request the engine cannot take, in the caller's words.
fn request_error(message: &str) -> JsValue {
    thrown("RequestError", message)
}

/// Serialises an answer as plain JSON-compatible objects.
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| thrown("Error", &e.to_string()))
}

/// Reads a request object as the CLI reads JSON. `undefined`/`null` is `{}`; whatever
/// `JSON.stringify` rejects (cycles, BigInt, throwing getters) is an error, not an exception
/// from inside the engine.
fn from_js<T: for<'de> Deserialize<'de>>(value: &JsValue, what: &str) -> Result<T, JsValue> {
    if value.is_undefined() || value.is_null() {
        return serde_json::from_str("{}").map_err(|e| js_error(Error::Request(format!("{what}: {e}"))));
    }
    if !value.is_object() || js_sys::Array::is_array(value) || value.is_function() {
        let found = if js_sys::Array::is_array(value) {
            "an array".to_string()
        } else {
            format!("a {}", value.js_typeof().as_string().unwrap_or_default())
        };
        return Err(js_error(Error::Request(format!(
            "{what}: expected an object, found {found}"
        ))));
    }
    let json = js_sys::JSON::stringify(value)
        .map_err(|e| {
            let why = e
                .dyn_ref::<js_sys::Error>()
                .map_or_else(|| "cannot be read as JSON".to_string(), |e| String::from(e.message()));
            js_error(Error::Request(format!("{what}: {why}")))
        })?
        .as_string()
        .unwrap_or_else(|| "{}".into());
    serde_json::from_str(&replace_lone_surrogates(&json)).map_err(|e| {
        // The position in the JSON text means nothing to a JavaScript caller.
        let msg = e.to_string();
        let msg = msg
            .strip_suffix(&format!(" at line {} column {}", e.line(), e.column()))
            .unwrap_or(&msg);
        js_error(Error::Request(format!("{what}: {msg}")))
    })
}

/// Replaces the `\uD800`–`\uDFFF` escapes of `JSON.stringify` output by `\uFFFD`. It writes such an
/// escape only for a lone surrogate (pairs come out as the character itself), which JavaScript
/// strings may hold and serde_json rejects: text pasted with half an emoji still searches.
fn replace_lone_surrogates(json: &str) -> std::borrow::Cow<'_, str> {
    if !json.contains("\\ud") {
        return json.into();
    }
    let mut out = String::with_capacity(json.len());
    let mut rest = json;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let escape = rest.get(at..at + 6).unwrap_or(&rest[at..]);
        let lone = escape.len() == 6
            && escape.starts_with("\\ud")
            && matches!(escape.as_bytes()[3], b'8'..=b'9' | b'a'..=b'f');
        let taken = if lone {
            6
        } else {
            1 + rest[at + 1..].chars().next().map_or(0, char::len_utf8)
        };
        out.push_str(if lone { "\\ufffd" } else { &rest[at..at + taken] });
        rest = &rest[at + taken..];
    }
    out.push_str(rest);
    out.into()
}

/// Adds `tookMs` to an answer object.
fn with_took(answer: JsValue, started: f64) -> Result<JsValue, JsValue> {
    let took = to_js(&Took {
        took_ms: performance_now() - started,
    })?;
    let answer: &js_sys::Object = answer.unchecked_ref();
    Ok(js_sys::Object::assign(answer, took.unchecked_ref()).into())
}

/// A search request object, or just the query text.
fn search_request(req: &JsValue) -> Result<SearchRequest, JsValue> {
    match req.as_string() {
        Some(q) => Ok(SearchRequest {
            q,
            ..SearchRequest::default()
        }),
        None => from_js(req, "search"),
    }
}

/// A match request with the options of `match`'s second argument merged in.
fn match_request(req: &JsValue, opts: &JsValue) -> Result<MatchRequest, JsValue> {
    let mut req: MatchRequest = from_js(req, "match")?;
    let opts: MatchOptions = from_js(opts, "match options")?;
    if let Some(size) = opts.size {
        req.size = size;
    }
    Ok(req)
}

/// The second argument of `match`: options merged into the request.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct MatchOptions {
    size: Option<usize>,
}

/// An opened bundle. Create it with `Engine.load(bytes)`; it only reads, never writes.
#[wasm_bindgen]
pub struct Engine {
    inner: engine::Engine,
}

#[wasm_bindgen]
impl Engine {
    /// Verifies and opens a bundle from a `Uint8Array` or `ArrayBuffer` (copied once into the
    /// engine's memory). Throws with the bundle error's message: not a bundle, other format
    /// version, truncated download, corrupted file.
    pub fn load(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] bytes: &JsValue,
    ) -> Result<Engine, JsValue> {
        install_panic_hook();
        let array = if let Some(a) = bytes.dyn_ref::<js_sys::Uint8Array>() {
            a.clone()
        } else if let Some(b) = bytes.dyn_ref::<js_sys::ArrayBuffer>() {
            js_sys::Uint8Array::new(b)
        } else {
            return Err(request_error(
                "Engine.load: expected the bundle as a Uint8Array or an ArrayBuffer",
            ));
        };
        let bundle = Bundle::parse(OwnedBytes::new(array.to_vec())).map_err(js_error)?;
        let inner = engine::Engine::open(bundle).map_err(js_error)?;
        Ok(Engine { inner })
    }

    /// How many bytes from the start of a bundle to fetch before `openLazy` (its opening: header
    /// and hot section), given its first bytes: ask again with that many when the answer is
    /// larger than `prefix` (the first answer may be only the header's end); `undefined` from
    /// fewer than 20 bytes.
    #[wasm_bindgen(js_name = openingLength)]
    pub fn opening_length(prefix: &[u8]) -> Option<f64> {
        bundle::opening_len(prefix).map(|n| n as f64)
    }

    /// Opens the bundle at `url` lazily: `size` is its length in bytes, `prefix` its first bytes,
    /// through its `openingLength` (anything missing is fetched now, synchronously). `validator`
    /// (the first answer's strong ETag or Last-Modified) goes with every later request as
    /// `If-Range`, so that a bundle replaced on the server is an error, not bytes of another file.
    #[wasm_bindgen(js_name = openLazy)]
    pub fn open_lazy(url: String, size: f64, prefix: &[u8], validator: Option<String>) -> Result<Engine, JsValue> {
        install_panic_hook();
        let size = offset(size, "size")?;
        let cache = BlockCache::new(Box::new(HttpRanges { url, validator }), size);
        cache
            .supply(0, prefix)
            .map_err(|e| request_error(&format!("openLazy: {e}")))?;
        let bundle = Bundle::lazy(cache).map_err(js_error)?;
        let inner = engine::Engine::open(bundle).map_err(js_error)?;
        Ok(Engine { inner })
    }

    /// Stores fetched bytes of a lazily opened bundle: one response, starting at `start`.
    pub fn supply(&self, start: f64, bytes: &[u8]) -> Result<(), JsValue> {
        let cache = self
            .inner
            .cache()
            .ok_or_else(|| request_error("supply: the bundle was loaded whole"))?;
        cache
            .supply(offset(start, "start")?, bytes)
            .map_err(|e| request_error(&format!("supply: {e}")))
    }

    /// `{ranges, bytes, held}` of a lazily opened bundle (see `Transfer`), or `null`.
    #[wasm_bindgen(unchecked_return_type = "Transfer | null")]
    pub fn transfer(&self) -> Result<JsValue, JsValue> {
        to_js(&self.inner.transfer())
    }

    /// Full-text search with filters, facets and paging: a `SearchRequest` object (or just the
    /// query text as a string). Answers `{total, hits, facets, tookMs}`.
    #[wasm_bindgen(unchecked_return_type = "SearchResponse & Took")]
    pub fn search(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SearchRequest | string")] req: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let started = performance_now();
        let res = self.inner.search(&search_request(req)?).map_err(js_error)?;
        with_took(to_js(&res)?, started)
    }

    /// `search`, or `{fetch: [[start, end], …]}`: the byte ranges a lazy bundle needs first.
    #[wasm_bindgen(js_name = planSearch, unchecked_return_type = "(SearchResponse & Took) | Fetch")]
    pub fn plan_search(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SearchRequest | string")] req: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let started = performance_now();
        let req = search_request(req)?;
        planned_to_js(
            self.inner
                .planned(|| self.inner.warm_search(&req), || self.inner.search(&req))
                .map_err(js_error)?,
            started,
        )
    }

    /// Ranks the other side for `{id}` or `{text, tags}`, with reasons; `opts` (`{size}`) is
    /// merged in. Answers `{hits, tookMs}`.
    #[wasm_bindgen(js_name = match, unchecked_return_type = "MatchResponse & Took")]
    pub fn match_records(
        &self,
        #[wasm_bindgen(unchecked_param_type = "MatchRequest")] req: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "{ size?: number } | undefined")] opts: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let started = performance_now();
        let res = self.inner.match_records(&match_request(req, opts)?).map_err(js_error)?;
        with_took(to_js(&res)?, started)
    }

    /// `match`, or `{fetch: [[start, end], …]}` (see `planSearch`).
    #[wasm_bindgen(js_name = planMatch, unchecked_return_type = "(MatchResponse & Took) | Fetch")]
    pub fn plan_match(
        &self,
        #[wasm_bindgen(unchecked_param_type = "MatchRequest")] req: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "{ size?: number } | undefined")] opts: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let started = performance_now();
        let req = match_request(req, opts)?;
        planned_to_js(
            self.inner
                .planned(|| self.inner.warm_match(&req), || self.inner.match_records(&req))
                .map_err(js_error)?,
            started,
        )
    }

    /// Top ids and scores for plain query text, no filters (the ranking `techmatch eval` measures).
    /// Answers `[{id, score}]`.
    #[wasm_bindgen(unchecked_return_type = "{ id: string; score: number }[]")]
    pub fn rank(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] q: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "number | undefined")] limit: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let q = q
            .as_string()
            .ok_or_else(|| request_error("rank: the query must be a string"))?;
        let limit = match limit.as_f64() {
            None if limit.is_undefined() || limit.is_null() => 10,
            Some(n) if n.fract() == 0.0 && (1.0..=engine::MAX_PAGE_SIZE as f64).contains(&n) => n as usize,
            _ => {
                return Err(request_error(&format!(
                    "rank: limit must be a whole number from 1 to {}",
                    engine::MAX_PAGE_SIZE
                )))
            }
        };
        #[derive(Serialize)]
        struct Ranked {
            id: String,
            score: f32,
        }
        let ranked: Vec<Ranked> = self
            .inner
            .rank(&q, limit)
            .map_err(js_error)?
            .into_iter()
            .map(|(id, score)| Ranked { id, score })
            .collect();
        to_js(&ranked)
    }

    /// The public record with this id, or `null`.
    #[wasm_bindgen(unchecked_return_type = "PublicRecord | null")]
    pub fn get(&self, #[wasm_bindgen(unchecked_param_type = "string")] id: &JsValue) -> Result<JsValue, JsValue> {
        let id = id
            .as_string()
            .ok_or_else(|| request_error("get: the id must be a string"))?;
        to_js(&self.inner.get(&id).map_err(js_error)?)
    }

    /// `get`, or `{fetch: [[start, end], …]}` (see `planSearch`).
    #[wasm_bindgen(js_name = planGet, unchecked_return_type = "PublicRecord | null | Fetch")]
    pub fn plan_get(&self, #[wasm_bindgen(unchecked_param_type = "string")] id: &JsValue) -> Result<JsValue, JsValue> {
        let id = id
            .as_string()
            .ok_or_else(|| request_error("get: the id must be a string"))?;
        match self.inner.planned(|| {}, || self.inner.get(&id)).map_err(js_error)? {
            Planned::Done(record) => to_js(&record),
            fetch => planned_to_js(fetch, 0.0),
        }
    }

    /// Format version, counts, facet vocabularies with counts, and the bundle's file table.
    #[wasm_bindgen(unchecked_return_type = "Stats")]
    pub fn stats(&self) -> Result<JsValue, JsValue> {
        to_js(&self.inner.stats().map_err(js_error)?)
    }
}
