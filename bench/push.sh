#!/usr/bin/env bash
# Push-list benchmark: `techmatch push` for the open needs of the synthetic corpus (100,000 records
# by default) with their best 5 results, as XLSX and as CSV, on every core and on one core
# (taskset): wall time, peak RSS, rows. Markdown table on stdout, progress on stderr.
#
#   bench/push.sh                      # 100,000 records
#   SYNTH_RECORDS=20000 bench/push.sh  # a smaller corpus
#
# Writes only under $BENCH_TMP (default /tmp/techmatch-bench). Needs cargo, python3, GNU time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
T="${BENCH_TMP:-/tmp/techmatch-bench}"
N="${SYNTH_RECORDS:-100000}"
TODAY="${TODAY:-2026-11-21}"
mkdir -p "$T/bin"
log() { printf '[push.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

cd "$ROOT"
log "cargo build --release"
cargo build --release >"$T/cargo.log" 2>&1 || { cat "$T/cargo.log" >&2; exit 1; }
cp target/release/techmatch "$T/bin/techmatch-push"
TM="$T/bin/techmatch-push"

SYNTH="$T/synth$N.jsonl"
if [ ! -s "$SYNTH" ]; then
  log "generating $N synthetic records"
  python3 bench/synth.py --records "$N" --out "$SYNTH"
fi
BUNDLE_DIR="$T/push$N"
log "building the bundle"
"$TM" build "$SYNTH" --out "$BUNDLE_DIR" >/dev/null 2>&1
BUNDLE="$BUNDLE_DIR/techmatch.bundle"

echo "| output | cores | wall (s) | peak RSS (MiB) | open needs | rows | file (kB) |"
echo "|---|---|---|---|---|---|---|"
for fmt in xlsx csv; do
  for cores in all one; do
    out="$T/push$N.$fmt"
    rm -f "$out"
    pin=()
    if [ "$cores" = one ]; then pin=(taskset -c 0); fi
    log "push → $fmt on $cores core(s)"
    /usr/bin/time -f '%e %M' -o "$T/push.t" "${pin[@]}" "$TM" push "$BUNDLE" --open --top 5 --today "$TODAY" \
      --out "$out" 2>"$T/push.log"
    read -r wall rss <"$T/push.t"
    line=$(grep 'pairs for' "$T/push.log")
    rows=$(echo "$line" | awk '{ print $1 }')
    records=$(echo "$line" | awk '{ print $4 }')
    kb=$(($(wc -c <"$out") / 1024))
    n=$([ "$cores" = one ] && echo 1 || nproc)
    echo "| $fmt | $n | $wall | $((rss / 1024)) | $records | $rows | $kb |"
  done
done
