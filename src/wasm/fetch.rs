//! Range fetching (WASM): a synchronous HTTP `Range` request for the bundle bytes that no plan
//! foresaw. Browsers allow synchronous requests in workers only, where blocking costs the page
//! nothing; www/ fetches planned ranges concurrently instead.

use std::io;
use std::ops::Range;

use wasm_bindgen::JsValue;
use web_sys::{XmlHttpRequest, XmlHttpRequestResponseType};

use super::js_message;
use crate::bundle::RangeSource;
use crate::Error;

/// A lazily opened bundle's bytes on a web server.
pub(super) struct HttpRanges {
    pub(super) url: String,
    /// The version opened (`If-Range`): another version answers 200, the whole new file.
    pub(super) validator: Option<String>,
}

impl RangeSource for HttpRanges {
    fn fetch(&self, range: Range<u64>) -> io::Result<Vec<u8>> {
        let what = format!("bytes {}–{} of {}", range.start, range.end, self.url);
        let fail = |why: String| io::Error::other(Error::Fetch(format!("{what}: {why}")));
        let js = |e: JsValue| fail(js_message(&e));
        let xhr = XmlHttpRequest::new().map_err(|_| fail("no XMLHttpRequest here".into()))?;
        xhr.open_with_async("GET", &self.url, false).map_err(js)?;
        xhr.set_response_type(XmlHttpRequestResponseType::Arraybuffer);
        let header = format!("bytes={}-{}", range.start, range.end.saturating_sub(1));
        xhr.set_request_header("Range", &header).map_err(js)?;
        if let Some(v) = &self.validator {
            xhr.set_request_header("If-Range", v).map_err(js)?;
        }
        xhr.send().map_err(js)?;
        let status = xhr.status().map_err(js)?;
        if status == 200 && self.validator.is_some() {
            return Err(io::Error::other(Error::Changed(format!(
                "asked for {what}, the server sent the whole new file"
            ))));
        }
        if status != 206 {
            let why = if status == 200 {
                " (the server ignores Range)"
            } else {
                ""
            };
            return Err(fail(format!("HTTP {status}{why}")));
        }
        let bytes = js_sys::Uint8Array::new(&xhr.response().map_err(js)?).to_vec();
        if bytes.len() as u64 != range.end - range.start {
            return Err(fail(format!("received {} bytes", bytes.len())));
        }
        Ok(bytes)
    }
}
