#!/usr/bin/env bash
# Runs every test of techmatch: the Rust suite, the core built for wasm32, and the WASM engine under
# node and in headless Chromium (including native/WASM parity on the CSL benchmark). Installs what it
# needs: the wasm32 target and wasm-bindgen-cli (via build-wasm.sh), npm packages, Debian's chromium
# and a Chinese font.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust: unit and integration tests"
cargo test --all-targets

echo "== WASM engine: build (the core compiled for wasm32-unknown-unknown)"
npm install --no-audit --no-fund --loglevel=error
bash scripts/build-wasm.sh

echo "== WASM engine under node and Chromium, parity with the native CLI"
# Chromium, and a Chinese font so the widget's screenshots show characters, not boxes.
if ! command -v chromium >/dev/null || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq chromium chromium-driver fonts-wqy-zenhei >/dev/null
  else
    echo "test.sh: the browser tests need: sudo apt-get install chromium chromium-driver fonts-wqy-zenhei" >&2
    exit 1
  fi
fi
cargo build --release
target/release/techmatch build seeds/needs.jsonl seeds/results.jsonl --out index
node --test tests/wasm/
