#!/usr/bin/env bash
# The test suite under AddressSanitizer, ThreadSanitizer and valgrind memcheck.
#
#   scripts/sanitizers.sh [asan] [tsan] [valgrind]     (default: all three)
#
# Each tool builds the library's unit tests and the integration tests (not the doc tests, not
# loom-tests) in its own target directory (target-asan, target-tsan; valgrind's build is the
# plain one in target), then runs every test binary on its own, so the summary names the
# binary that failed. A tool that is not installed is skipped, and the skip is printed; a skip
# is not a failure. Prints "N passed, N failed" (binaries) and exits non-zero on a failure.
#
# - ASan: `cargo +nightly`, -Zsanitizer=address. LeakSanitizer is on (ASan's default on
#   x86_64 Linux), so a task cell or runtime that is never freed fails the run.
# - TSan: `cargo +nightly -Zbuild-std`, -Zsanitizer=thread. std is rebuilt with TSan from the
#   `rust-src` component (installed here if missing, as .ci/run installs rustfmt). Without it,
#   std's own synchronisation is invisible to TSan — a contended `Mutex` acquires inside std's
#   compiled code, `Arc` frees after an uninstrumented fence — and every test binary reports
#   races *in tourbillon's frames* (data behind a `Mutex`, `Arc`-owned state), which could only
#   be silenced by suppressing tourbillon itself. So without `rust-src` TSan is skipped, and
#   says so. scripts/tsan.supp holds the few reports that are not tourbillon's, each justified.
# - valgrind memcheck: the stable debug test binaries, --leak-check=full, every integration
#   test binary but one (see VALGRIND_SKIP below); the unit tests are left to ASan.
#
# Teeth (seeded bugs, each tried once and reverted; every tool failed the run):
#   TSan      local.rs: the owner's `tail` store Release -> Relaxed: data race on the stolen
#             slot in `steal_into` (runtime, time, http_server, alloc).
#   ASan      waker.rs: `clone_waker` without its `ref_inc`: heap-use-after-free (8 binaries).
#   valgrind  raw.rs: `drop_reference` never frees the last reference: definitely lost
#             (8 binaries).
#
# Environment:
#   SANITIZER_TOOLS   tools to run (same as the arguments), e.g. "asan tsan"
#   CARGO_NIGHTLY     the nightly toolchain name (default: nightly)
#   VALGRIND_TARGET_DIR  where valgrind's (uninstrumented) test build goes (default: target)
#   SANITIZER_TIMEOUT  seconds one test binary may run before it is killed and counted failed
#                      (default: 600; the slowest, under valgrind, takes about a minute). A hang
#                      is a failure with a name, not a CI run that never ends: a test binary
#                      once hung under TSan (a worker stranded a task; see idle.rs rule 4).
set -uo pipefail
cd "$(dirname "$0")/.."

TARGET=x86_64-unknown-linux-gnu
NIGHTLY=${CARGO_NIGHTLY:-nightly}
TOOLS=${*:-${SANITIZER_TOOLS:-asan tsan valgrind}}

passed=0
failed=0
skipped=0
failures=()

note() { printf '\n--- %s ---\n' "$*"; }

# `build <toolchain> <cargo test args...>`: builds the tests with --no-run and prints one test
# executable per line (from cargo's JSON messages). Returns non-zero if the build failed.
build() {
    local toolchain=$1 json
    shift
    json=$(cargo "+$toolchain" test -p tourbillon --lib --tests --no-run --message-format=json "$@") ||
        return 1
    # With --lib --tests every artifact that has an executable is a test binary (build scripts
    # and libraries report `"executable":null`). sed rather than jq: one tool fewer to install.
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' <<<"$json"
}

# `run_one <tool> <binary> <command...>`: runs one test binary, counts the outcome.
run_one() {
    local tool=$1 bin=$2 start=$SECONDS rc
    shift 2
    printf '%-9s %-28s ' "$tool" "$(basename "$bin" | sed 's/-[0-9a-f]*$//')"
    # -k: a binary that ignores SIGTERM (a worker stuck in a futex) gets SIGKILL 10 s later.
    timeout -k 10 "${SANITIZER_TIMEOUT:-600}" "$@" >"$LOG_DIR/$tool-$(basename "$bin").log" 2>&1
    rc=$?
    [ $rc -eq 124 ] || [ $rc -eq 137 ] && echo "(killed after ${SANITIZER_TIMEOUT:-600} s: hung)" \
        >>"$LOG_DIR/$tool-$(basename "$bin").log"
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1))
        printf 'ok      %3ds\n' $((SECONDS - start))
    else
        failed=$((failed + 1))
        failures+=("$tool $(basename "$bin")")
        printf 'FAILED  %3ds (exit %d)\n' $((SECONDS - start)) $rc
        # The report is what CI readers need: show its head and the test harness's verdict.
        grep -E -m 60 -A 40 '^(\(killed after|==[0-9]+==ERROR|WARNING: ThreadSanitizer|==[0-9]+== (Invalid|Conditional|Use of|Syscall param|.*definitely lost)|SUMMARY|failures:|thread .* panicked)' \
            "$LOG_DIR/$tool-$(basename "$bin").log" | head -150
        echo "(full log: $LOG_DIR/$tool-$(basename "$bin").log)"
    fi
}

skip() {
    skipped=$((skipped + 1))
    echo "SKIPPED $1: $2"
}

have_nightly() {
    cargo "+$NIGHTLY" --version >/dev/null 2>&1
}

LOG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tourbillon-sanitizers.XXXXXX")

# === AddressSanitizer (+ LeakSanitizer) ===

run_asan() {
    note "AddressSanitizer"
    if ! have_nightly; then
        skip asan "no '$NIGHTLY' toolchain (cargo +$NIGHTLY): ASan needs -Zsanitizer"
        return
    fi
    local start=$SECONDS bins
    if ! bins=$(RUSTFLAGS="-Zsanitizer=address" \
        build "$NIGHTLY" --target "$TARGET" --target-dir target-asan); then
        failed=$((failed + 1))
        failures+=("asan build")
        return
    fi
    echo "built in $((SECONDS - start))s"
    for bin in $bins; do
        # detect_stack_use_after_return: catches a waker or future pointing into a dead frame.
        ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1" \
            run_one asan "$bin" "$bin"
    done
}

# === ThreadSanitizer ===

run_tsan() {
    note "ThreadSanitizer"
    if ! have_nightly; then
        skip tsan "no '$NIGHTLY' toolchain (cargo +$NIGHTLY): TSan needs -Zsanitizer"
        return
    fi
    if ! rustup "+$NIGHTLY" component list --installed 2>/dev/null | grep -q '^rust-src'; then
        echo "installing rust-src for $NIGHTLY (-Zbuild-std needs std's source)"
        rustup component add rust-src --toolchain "$NIGHTLY" >/dev/null 2>&1 || true
    fi
    if ! rustup "+$NIGHTLY" component list --installed 2>/dev/null | grep -q '^rust-src'; then
        skip tsan "no rust-src for $NIGHTLY: std cannot be instrumented (see the header)"
        return
    fi
    local start=$SECONDS bins
    if ! bins=$(RUSTFLAGS="-Zsanitizer=thread" \
        build "$NIGHTLY" -Zbuild-std --target "$TARGET" --target-dir target-tsan); then
        failed=$((failed + 1))
        failures+=("tsan build")
        return
    fi
    echo "built in $((SECONDS - start))s"
    for bin in $bins; do
        # halt_on_error: the first report fails the binary (exit 66), so a passing run had
        # none. second_deadlock_stack: both stacks of a lock-order report.
        TSAN_OPTIONS="suppressions=$PWD/scripts/tsan.supp:halt_on_error=1:second_deadlock_stack=1" \
            run_one tsan "$bin" "$bin"
    done
}

# === valgrind memcheck ===

# Every integration test binary runs under valgrind but these, each for a stated reason:
# - net_emfile: valgrind emulates RLIMIT_NOFILE. When a new descriptor is over the soft limit
#   the kernel's accept4 has already succeeded; valgrind closes the descriptor and returns
#   EMFILE, so the queued connections the test accepts afterwards are gone and it waits forever.
#   (It runs under ASan and TSan.)
# - reliability: for the same reason (its out-of-descriptors scenario lowers RLIMIT_NOFILE and
#   waits for the queued connections); it also counts the process's CPU ticks against a bound
#   made for native speed. (It runs under ASan and TSan.)
# The library's unit tests are left to ASan, which finds the same memory errors far faster.
VALGRIND_SKIP="net_emfile reliability"

run_valgrind() {
    note "valgrind memcheck"
    if ! command -v valgrind >/dev/null 2>&1; then
        skip valgrind "valgrind is not installed"
        return
    fi
    local start=$SECONDS bins name
    # The plain debug build, in the plain target dir: .ci/run's `cargo test --workspace` has
    # just built these very binaries, so in CI this costs nothing (set VALGRIND_TARGET_DIR to
    # build elsewhere).
    if ! bins=$(build stable --target-dir "${VALGRIND_TARGET_DIR:-target}"); then
        failed=$((failed + 1))
        failures+=("valgrind build")
        return
    fi
    echo "built in $((SECONDS - start))s"
    for bin in $bins; do
        name=$(basename "$bin" | sed 's/-[0-9a-f]*$//')
        if [ "$name" = tourbillon ] || [[ " $VALGRIND_SKIP " == *" $name "* ]]; then
            continue
        fi
        # Leaks: "definitely" and "indirectly" lost fail the run. "Possibly lost" does not: at
        # exit it is the DTVs and `Thread` handles of threads still running (the test harness's
        # and the tests' detached server threads), reachable only through interior pointers.
        # --fair-sched=yes: valgrind runs one thread at a time; a fair lock keeps a spinning
        # thread from starving the one it waits for.
        run_one valgrind "$bin" valgrind --quiet --leak-check=full \
            --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
            --error-exitcode=1 --fair-sched=yes "$bin"
    done
}

total_start=$SECONDS
for tool in $TOOLS; do
    case $tool in
        asan) run_asan ;;
        tsan) run_tsan ;;
        valgrind) run_valgrind ;;
        *)
            echo "unknown tool '$tool' (expected asan, tsan, valgrind)" >&2
            exit 2
            ;;
    esac
done

echo
for failure in "${failures[@]}"; do
    echo "FAILED: $failure"
done
echo "sanitizers: $passed passed, $failed failed, $skipped tools skipped ($((SECONDS - total_start))s; logs in $LOG_DIR)"
[ "$failed" -eq 0 ]
