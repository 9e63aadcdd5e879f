#!/usr/bin/env bash
# Runs every test of techmatch: the Rust suite, the core built for wasm32, and the WASM engine under
# node and in headless Chromium (including native/WASM parity on the CSL benchmark). Installs what it
# needs: the wasm32 target and wasm-bindgen-cli (via build-wasm.sh), npm packages, Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust: unit and integration tests"
cargo test --all-targets

echo "== WASM engine: build (the core compiled for wasm32-unknown-unknown)"
npm install --no-audit --no-fund --loglevel=error
bash scripts/build-wasm.sh

echo "== WASM engine under node and Chromium, parity with the native CLI"
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "test.sh: the browser test needs Chromium: sudo apt-get install chromium chromium-driver" >&2
    exit 1
  fi
fi
cargo build --release
target/release/techmatch build seeds/needs.jsonl seeds/results.jsonl --out index
node --test tests/wasm/
