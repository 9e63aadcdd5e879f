#!/usr/bin/env bash
# Builds the WASM engine into www/tech-match/pkg/ (ES module + .wasm for browsers, workers and node).
#
#   scripts/build-wasm.sh            release build, wasm-opt -Oz when binaryen is installed
#   NO_WASM_OPT=1 scripts/build-wasm.sh   skip wasm-opt
#
# Installs what it needs, once: the wasm32 target (rustup), wasm-bindgen-cli at exactly the
# version in Cargo.lock (cargo install, ~1.5 min), binaryen's wasm-opt (npm, into node_modules/).
# Prints what each step took.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
took() {
  echo "build-wasm: $1 in $((SECONDS - started)) s" >&2
  started=$SECONDS
}

out=www/tech-match/pkg
target=wasm32-unknown-unknown

# (a) The target.
if ! rustup target list --installed | grep -qx "$target"; then
  rustup target add "$target"
fi

# (b) wasm-bindgen-cli must match the wasm-bindgen crate of Cargo.lock exactly.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$want" ]; then
  echo "build-wasm: wasm-bindgen is not in Cargo.lock" >&2
  exit 1
fi
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
  echo "build-wasm: installing wasm-bindgen-cli $want (found: ${have:-none})" >&2
  # A debug build of the tool: it installs in a quarter of the time of a release build and writes
  # the same bytes (it runs for seconds on techmatch's module).
  # --force: the tool may be on record as installed while its binary is gone or another version.
  cargo install --debug --force wasm-bindgen-cli --version "$want"
  took "wasm-bindgen-cli installed"
fi

# (c) The library, without the CLI's dependencies, in the wasm profile (Cargo.toml: one codegen
# unit, fat LTO; its own folder, so that it can build while the CLI or the tests build).
cargo build --profile wasm --lib --no-default-features --target "$target"
wasm="target/$target/wasm/techmatch.wasm"
took "cargo build (wasm32)"

bg="$out/techmatch_bg.wasm"

# Unchanged since the last run (same compiled module, same wasm-opt choice): keep the pkg folder as it is.
stamp="$out/.source"
source_id="$(sha256sum "$wasm" | cut -d' ' -f1) wasm-opt:${NO_WASM_OPT:-yes}"
if [ -f "$bg" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$source_id" ]; then
  echo "build-wasm: $bg is up to date"
  exit 0
fi

# (d) JS bindings: one ES module for browsers, module workers and node (tests/wasm/).
rm -rf "$out"
wasm-bindgen --target web --out-dir "$out" "$wasm"
took "wasm-bindgen"

# (e) Shrink. binaryen comes from npm (package.json devDependencies).
if [ -n "${NO_WASM_OPT:-}" ]; then
  echo "$source_id" >"$stamp"
else
  if [ ! -x node_modules/.bin/wasm-opt ] && command -v npm >/dev/null; then
    npm install --no-audit --no-fund --loglevel=error >&2 || echo "build-wasm: npm install failed; skipping wasm-opt" >&2
  fi
  if [ -x node_modules/.bin/wasm-opt ]; then
    # Rust's wasm32 target emits these post-MVP features by default; wasm-opt must accept them.
    node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
      --enable-sign-ext --enable-mutable-globals --enable-multivalue --enable-reference-types \
      "$bg" -o "$bg.opt"
    mv "$bg.opt" "$bg"
    echo "$source_id" >"$stamp"
    took "wasm-opt -Oz"
  else
    echo "build-wasm: wasm-opt not available; the .wasm is not size-optimised" >&2
  fi
fi

# (f) Sizes.
size() { wc -c <"$1" | tr -d ' '; }
raw=$(size "$bg")
gz=$(gzip -9 -c "$bg" | wc -c | tr -d ' ')
if command -v brotli >/dev/null; then
  br=$(brotli -q 11 -c "$bg" | wc -c | tr -d ' ')
else
  br=$(node -e 'const z=require("zlib"),fs=require("fs");const b=fs.readFileSync(process.argv[1]);process.stdout.write(String(z.brotliCompressSync(b,{params:{[z.constants.BROTLI_PARAM_QUALITY]:11}}).length))' "$bg")
fi
js=$(size "$out/techmatch.js")
echo "build-wasm: $bg  raw $raw B  gzip $gz B  brotli $br B;  glue $out/techmatch.js $js B"
