#!/usr/bin/env bash
# Builds and runs every loom model in loom-tests/ (release, --cfg loom, own target dir).
#
#   scripts/loom.sh                 # LOOM_MAX_PREEMPTIONS=2, as CI
#   LOOM_MAX_PREEMPTIONS=3 scripts/loom.sh
#   scripts/loom.sh injector task   # only these model files (loom-tests/tests/NAME.rs)
#   scripts/loom.sh -- close        # only models whose test name contains "close"
#
# Prints one line per model (result, interleavings explored, time) and ends with
# "N passed, N failed"; exits non-zero if any model failed or the build broke.
set -uo pipefail
cd "$(dirname "$0")/.."

export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-2}"
export RUSTFLAGS="--cfg loom ${RUSTFLAGS:-}"
export RUST_BACKTRACE="${RUST_BACKTRACE:-0}"
TARGET_DIR="${LOOM_TARGET_DIR:-target-loom}"
log="$(mktemp -t loom-XXXXXX.log)"

# Arguments naming a model file select it; anything after `--` filters test names.
files=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  if [ ! -f "loom-tests/tests/$1.rs" ]; then
    echo "no model file loom-tests/tests/$1.rs" >&2
    exit 2
  fi
  files+=(--test "$1")
  shift
done
[ "${1:-}" = "--" ] && shift

echo "loom models: LOOM_MAX_PREEMPTIONS=$LOOM_MAX_PREEMPTIONS, target dir $TARGET_DIR (log: $log)"
if ! cargo test -p loom-tests --release --target-dir "$TARGET_DIR" "${files[@]}" --no-run 2>&1 | tail -n 3; then
  echo "0 passed, 1 failed (build)"
  exit 1
fi

start=$(date +%s)
# One test at a time, so each model's "loom: N iterations" line follows its own name.
cargo test -p loom-tests --release --target-dir "$TARGET_DIR" "${files[@]}" --no-fail-fast \
  -- --test-threads=1 --nocapture "$@" \
  >"$log" 2>&1
status=$?
end=$(date +%s)

# Per-model lines: "test NAME ... " (maybe followed by the model's own output) then ok/FAILED.
results=$(awk '
  /^     Running / { prevfile = file; file = $2; sub(/.*\//, "", file); sub(/\.rs.*/, "", file) }
  /^test [^ ]+ \.\.\. / {
    name = $2; info = ""; rest = $0; sub(/^test [^ ]+ \.\.\. /, "", rest)
    if (rest == "ok" || rest == "FAILED") { printf "  %-7s %s::%s\n", rest, file, name; name = "" }
    else if (rest ~ /^loom: /) { info = rest }
    next
  }
  name != "" && /^loom: / { info = $0; next }
  /^     Running / && name != "" { printf "  %-7s %s::%s\n", "ABORTED", prevfile, name; name = "" }
  name != "" && /(^|[ .])(ok|FAILED)$/ {
    st = ($0 ~ /FAILED$/) ? "FAILED" : "ok"
    sub(/^loom: /, "", info)
    printf "  %-7s %s::%s  %s\n", st, file, name, info; name = ""
  }
  END { if (name != "") printf "  %-7s %s::%s\n", "ABORTED", file, name }
' "$log")
echo "$results"

passed=$(grep -c '^  ok ' <<<"$results")
failed=$(grep -cE '^  (FAILED|ABORTED) ' <<<"$results")
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1
fi
if [ "$failed" -ne 0 ]; then
  echo "failures (from $log):"
  grep -E -A3 "panicked at" "$log" | grep -v "^ *[0-9]*: \|^ *at " | head -n 40 | sed 's/^/    /'
fi
echo "loom wall time: $((end - start))s at LOOM_MAX_PREEMPTIONS=$LOOM_MAX_PREEMPTIONS"
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
