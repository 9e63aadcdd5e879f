//! Clock: today's date, from the system natively and from JavaScript's `Date` in the browser.

/// Days since 1970-01-01 (UTC) today.
#[cfg(not(target_arch = "wasm32"))]
pub fn today() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    (secs / 86_400) as i64
}

/// Days since 1970-01-01 (UTC) today.
#[cfg(target_arch = "wasm32")]
pub fn today() -> i64 {
    (js_sys::Date::now() / 86_400_000.0).floor() as i64
}
