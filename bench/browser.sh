#!/usr/bin/env bash
# Browser benchmark of the WASM engine: builds the CLI, the WASM engine and the bundles it measures
# (CSL 4,758 papers and a synthetic corpus), then runs bench/browser.mjs in headless Chromium.
#
#   bench/browser.sh                         # markdown tables on stdout, progress on stderr
#   SYNTH_RECORDS=20000 COLD_RUNS=3 WARM_PASSES=2 bench/browser.sh   # a smaller run
#
# Writes only under $BENCH_TMP (default /tmp/techmatch-bench); reads ../shared read-only.
# Needs what scripts/test.sh installs: the wasm toolchain, npm packages, Debian's chromium.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared}"
T="${BENCH_TMP:-/tmp/techmatch-bench}"
SYNTH_RECORDS="${SYNTH_RECORDS:-100000}"
mkdir -p "$T"
log() { printf '[browser.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
cd "$ROOT"

log "cargo build --release; scripts/build-wasm.sh"
cargo build --release >&2
bash scripts/build-wasm.sh >&2
TM=target/release/techmatch

log "bundles: CSL eval corpus, synthetic $SYNTH_RECORDS"
"$TM" build "$SHARED/data/csl/eval_corpus.jsonl" --map seeds/maps/csl.toml --out "$T/browser-csl" >&2
if [ ! -s "$T/synth$SYNTH_RECORDS.jsonl" ]; then
  python3 bench/synth.py --records "$SYNTH_RECORDS" --out "$T/synth$SYNTH_RECORDS.jsonl" >&2
fi
"$TM" build "$T/synth$SYNTH_RECORDS.jsonl" --out "$T/browser-synth" >&2

node bench/browser.mjs \
  --bundle "csl=$T/browser-csl/techmatch.bundle" \
  --bundle "synth$((SYNTH_RECORDS / 1000))k=$T/browser-synth/techmatch.bundle" \
  --queries "$SHARED/data/csl/queries_keyword.tsv" \
  --cold-runs "${COLD_RUNS:-5}" --warm-passes "${WARM_PASSES:-3}" \
  --cli "$TM" --json "$T/browser.json"
