#!/usr/bin/env bash
# Runs every test of techmatch: the Rust suite, the core built for wasm32, and the WASM engine under
# node (including native/WASM parity on the CSL benchmark). Installs what it needs, like run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust: unit and integration tests"
cargo test --all-targets

echo "== WASM engine: build (the core compiled for wasm32-unknown-unknown)"
bash scripts/build-wasm.sh

echo "== WASM engine under node, parity with the native CLI"
cargo build --release
target/release/techmatch build seeds/needs.jsonl seeds/results.jsonl --out index
node --test tests/wasm/
