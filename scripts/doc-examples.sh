#!/usr/bin/env bash
# Checks that every public item of tourbillon has a code example in its docs (STYLE.md rule 13).
#
#   scripts/doc-examples.sh
#
# rustdoc's JSON output is nightly-only, so this builds the docs with `cargo +nightly` in its own
# target dir (target-doc-json, so the stable build stays warm), then lists the public items whose
# docs have no code block (scripts/doc_examples.py) and exits 1 if there is any. That the
# examples run and compile without warnings is `cargo test --doc`'s job.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET_DIR="${DOC_JSON_TARGET_DIR:-target-doc-json}"
cargo +nightly rustdoc --quiet --lib --target-dir "$TARGET_DIR" \
    -- -Z unstable-options --output-format json
python3 scripts/doc_examples.py "$TARGET_DIR/doc/tourbillon.json"
