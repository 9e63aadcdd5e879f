#!/usr/bin/env bash
# Sets techmatch up and runs the demo: builds the CLI, the index from seeds/, the WASM engine,
# then serves the demo portal on 127.0.0.1 and prints its URL. Needs Rust (rustup) and Node.js/npm;
# installs the rest itself (wasm32 target, wasm-bindgen-cli, npm packages).
#   PORT=8080 (default) picks the port.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release
target/release/techmatch build seeds/needs.jsonl seeds/results.jsonl --out index
bash scripts/build-wasm.sh
mkdir -p www/data
cp index/techmatch.bundle www/data/techmatch.bundle
exec target/release/techmatch serve www --port "${PORT:-8080}"
