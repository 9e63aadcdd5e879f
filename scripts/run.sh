#!/usr/bin/env bash
# Sets techmatch up and runs the demo: builds the CLI, the index from seeds/, the WASM engine,
# then serves the demo portal on 127.0.0.1 and prints its URL. Needs Rust (rustup) and Node.js/npm;
# installs the rest itself (wasm32 target, wasm-bindgen-cli, npm packages). The WASM engine builds
# in the background while the CLI builds (its log: target/build-wasm.log). Prints what each step took.
#   PORT=8080 (default) picks the port.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib.sh

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
mkdir -p target
step "WASM engine: build started in the background (target/build-wasm.log)"
bash scripts/build-wasm.sh >target/build-wasm.log 2>&1 &
wasm_job=$!

step "The CLI: cargo build --release"
cargo build --release

step "The index from seeds/"
target/release/techmatch build seeds/needs.jsonl seeds/results.jsonl --out index

step "WASM engine: waiting for the background build"
wait_job "$wasm_job" target/build-wasm.log scripts/build-wasm.sh
grep '^build-wasm:' target/build-wasm.log

mkdir -p www/data
cp index/techmatch.bundle www/data/techmatch.bundle
step "The demo (set up in $((SECONDS - started)) s)"
exec target/release/techmatch serve www --port "${PORT:-8080}"
