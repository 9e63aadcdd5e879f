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
//! Every method returns a result or throws a JavaScript `Error` whose message says what is
//! wrong; none panics on any input. Requests are read the way the native CLI reads JSON
//! (`JSON.stringify`, then the core's serde types with `deny_unknown_fields`), so an unknown or
//! mistyped field is an error naming it, and a request means exactly what it means natively.
//! Answers are plain objects (maps become objects, not `Map`s).

use serde::{Deserialize, Serialize};
use tantivy::directory::OwnedBytes;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::bundle::Bundle;
use crate::matching::MatchRequest;
use crate::search::{self, SearchRequest};
use crate::Error;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str);
    /// `performance.now()`: present in browsers, workers and node.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Logs a panic's message and place to the console before the module traps (wasm32 aborts on panic).
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|info| console_error(&format!("techmatch panicked: {info}")))));
}

fn js_error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// Serialises an answer as plain JSON-compatible objects.
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(js_error)
}

/// Reads a request object as the CLI reads JSON. `undefined`/`null` is `{}`; whatever
/// `JSON.stringify` rejects (cycles, BigInt, throwing getters) is an error, not an exception
/// from inside the engine.
fn from_js<T: for<'de> Deserialize<'de>>(value: &JsValue, what: &str) -> Result<T, JsError> {
    if value.is_undefined() || value.is_null() {
        return serde_json::from_str("{}").map_err(|e| js_error(Error::Request(format!("{what}: {e}"))));
    }
    if !value.is_object() || js_sys::Array::is_array(value) || value.is_function() {
        let found = if js_sys::Array::is_array(value) { "an array".to_string() } else { format!("a {}", value.js_typeof().as_string().unwrap_or_default()) };
        return Err(js_error(Error::Request(format!("{what}: expected an object, found {found}"))));
    }
    let json = js_sys::JSON::stringify(value)
        .map_err(|e| {
            let why = e.dyn_ref::<js_sys::Error>().map_or_else(|| "cannot be read as JSON".to_string(), |e| String::from(e.message()));
            js_error(Error::Request(format!("{what}: {why}")))
        })?
        .as_string()
        .unwrap_or_else(|| "{}".into());
    serde_json::from_str(&replace_lone_surrogates(&json)).map_err(|e| {
        // The position in the JSON text means nothing to a JavaScript caller.
        let msg = e.to_string();
        let msg = msg.strip_suffix(&format!(" at line {} column {}", e.line(), e.column())).unwrap_or(&msg);
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
        let lone = escape.len() == 6 && escape.starts_with("\\ud") && matches!(escape.as_bytes()[3], b'8'..=b'9' | b'a'..=b'f');
        let taken = if lone { 6 } else { 1 + rest[at + 1..].chars().next().map_or(0, char::len_utf8) };
        out.push_str(if lone { "\\ufffd" } else { &rest[at..at + taken] });
        rest = &rest[at + taken..];
    }
    out.push_str(rest);
    out.into()
}

/// Adds `tookMs` to an answer object.
fn with_took(answer: JsValue, started: f64) -> Result<JsValue, JsError> {
    let took = performance_now() - started;
    js_sys::Reflect::set(&answer, &JsValue::from_str("tookMs"), &JsValue::from_f64(took)).map_err(|_| JsError::new("cannot set tookMs"))?;
    Ok(answer)
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
    inner: search::Engine,
}

#[wasm_bindgen]
impl Engine {
    /// Verifies and opens a bundle from a `Uint8Array` or `ArrayBuffer` (copied once into the
    /// engine's memory). Throws with the bundle error's message: not a bundle, other format
    /// version, truncated download, corrupted file.
    pub fn load(bytes: &JsValue) -> Result<Engine, JsError> {
        install_panic_hook();
        let array = if let Some(a) = bytes.dyn_ref::<js_sys::Uint8Array>() {
            a.clone()
        } else if let Some(b) = bytes.dyn_ref::<js_sys::ArrayBuffer>() {
            js_sys::Uint8Array::new(b)
        } else {
            return Err(JsError::new("Engine.load: expected the bundle as a Uint8Array or an ArrayBuffer"));
        };
        let bundle = Bundle::parse(OwnedBytes::new(array.to_vec())).map_err(js_error)?;
        let inner = search::Engine::open(bundle).map_err(js_error)?;
        Ok(Engine { inner })
    }

    /// Full-text search with filters, facets and paging: a `SearchRequest` object (or just the
    /// query text as a string). Answers `{total, hits, facets, tookMs}`.
    pub fn search(&self, req: &JsValue) -> Result<JsValue, JsError> {
        let started = performance_now();
        let req: SearchRequest = match req.as_string() {
            Some(q) => SearchRequest { q, ..SearchRequest::default() },
            None => from_js(req, "search")?,
        };
        let res = self.inner.search(&req).map_err(js_error)?;
        with_took(to_js(&res)?, started)
    }

    /// Ranks the other side for `{id}` or `{text, tags}`, with reasons; `opts` (`{size}`) is
    /// merged in. Answers `{hits, tookMs}`.
    #[wasm_bindgen(js_name = match)]
    pub fn match_records(&self, req: &JsValue, opts: &JsValue) -> Result<JsValue, JsError> {
        let started = performance_now();
        let mut req: MatchRequest = from_js(req, "match")?;
        let opts: MatchOptions = from_js(opts, "match options")?;
        if let Some(size) = opts.size {
            req.size = size;
        }
        let res = self.inner.match_records(&req).map_err(js_error)?;
        with_took(to_js(&res)?, started)
    }

    /// Top ids and scores for plain query text, no filters (the ranking `techmatch eval` measures).
    /// Answers `[{id, score}]`.
    pub fn rank(&self, q: &JsValue, limit: &JsValue) -> Result<JsValue, JsError> {
        let q = q.as_string().ok_or_else(|| JsError::new("rank: the query must be a string"))?;
        let limit = match limit.as_f64() {
            None if limit.is_undefined() || limit.is_null() => 10,
            Some(n) if n.fract() == 0.0 && (1.0..=search::MAX_PAGE_SIZE as f64).contains(&n) => n as usize,
            _ => return Err(JsError::new(&format!("rank: limit must be a whole number from 1 to {}", search::MAX_PAGE_SIZE))),
        };
        #[derive(Serialize)]
        struct Ranked {
            id: String,
            score: f32,
        }
        let ranked: Vec<Ranked> = self.inner.rank(&q, limit).map_err(js_error)?.into_iter().map(|(id, score)| Ranked { id, score }).collect();
        to_js(&ranked)
    }

    /// The public record with this id, or `null`.
    pub fn get(&self, id: &JsValue) -> Result<JsValue, JsError> {
        let id = id.as_string().ok_or_else(|| JsError::new("get: the id must be a string"))?;
        match self.inner.get(&id).map_err(js_error)? {
            Some(record) => to_js(&record),
            None => Ok(JsValue::NULL),
        }
    }

    /// Format version, counts, facet vocabularies with counts, and the bundle's file table.
    pub fn stats(&self) -> Result<JsValue, JsError> {
        to_js(&self.inner.stats().map_err(js_error)?)
    }
}
