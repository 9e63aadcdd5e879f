#!/usr/bin/env bash
# Runs every test of techmatch: formatting and lints, the Rust suite, the core built for wasm32, and
# the WASM engine under node and in headless Chromium (including native/WASM parity on the CSL
# benchmark). Installs what it needs: the wasm32 target and wasm-bindgen-cli (via build-wasm.sh), npm
# packages, Debian's chromium, a Chinese font, PostgreSQL and MariaDB. Prints how long each step took.
#
# The WASM engine builds in the background while the Rust tests build and run: its one-codegen-unit
# build is mostly one core's work, the tests use both. Its log is target/build-wasm.log.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib.sh

step "Style: cargo fmt --check, prettier --check (www/, tests/wasm/, bench/)"
cargo fmt --check
npm install --no-audit --no-fund --loglevel=error
npx prettier --check --log-level warn .
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

step "WASM engine: build started in the background (target/build-wasm.log)"
mkdir -p target
bash scripts/build-wasm.sh >target/build-wasm.log 2>&1 &
wasm_job=$!

step "Chromium, a Chinese font, PostgreSQL and MariaDB, in the background (target/apt.log)"
# A Chinese font so the widget's screenshots show characters, not boxes; the database servers for
# the database-source tests (each test starts its own in a temporary folder, and stops it).
have_databases() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v mariadbd >/dev/null; }
browser_job=
if ! command -v chromium >/dev/null || ! fc-list :lang=zh 2>/dev/null | grep -q . || ! have_databases; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver \
      fonts-wqy-zenhei postgresql mariadb-server) >target/apt.log 2>&1 &
    browser_job=$!
  else
    echo "test.sh: the browser and database tests need: sudo apt-get install chromium chromium-driver fonts-wqy-zenhei postgresql mariadb-server" >&2
    exit 1
  fi
fi

step "Rust: unit and integration tests (built while the packages install)"
cargo test --all-targets --no-run
if [ -n "$browser_job" ]; then
  wait_job "$browser_job" target/apt.log "installing chromium, postgresql and mariadb-server"
  browser_job=
fi
# Installed, so the database-source tests must run, not skip.
TECHMATCH_REQUIRE_DATABASES=1 cargo test --all-targets

step "Lints: cargo clippy, native and wasm32"
cargo clippy --all-targets -- -D warnings
cargo clippy --lib --no-default-features --target wasm32-unknown-unknown -- -D warnings

step "WASM engine: waiting for the background build"
wait_job "$wasm_job" target/build-wasm.log scripts/build-wasm.sh
grep '^build-wasm:' target/build-wasm.log

step "The seeds bundle, built by the CLI that cargo test built (what the browser tests compare the WASM engine with)"
# The test profile's CLI answers as the release one does (same code; no fast-math) and costs no
# second native build. The committed index/ must come out byte for byte.
export TECHMATCH_BIN="$PWD/target/debug/techmatch"
"$TECHMATCH_BIN" build seeds/needs.jsonl seeds/results.jsonl --out index
if git rev-parse --git-dir >/dev/null 2>&1 && ! git diff --exit-code --stat -- index/; then
  echo "test.sh: index/ differs from the committed seeds bundle" >&2
  exit 1
fi

step "WASM engine under node and Chromium, parity with the native CLI"
node --test tests/wasm/

echo "== all tests passed in $((SECONDS - started)) s"
