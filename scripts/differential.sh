#!/usr/bin/env bash
# The differential harness's long run: random programs run on tourbillon and on tokio, each in
# current-thread, multi-thread 1-worker and 2-worker flavors, and their observations compared
# (tests/differential.rs explains the programs and what is observed).
#
#   scripts/differential.sh                 # 1000 programs per flavor
#   scripts/differential.sh 5000            # as many as you like (PROPTEST_CASES)
#   DIFFERENTIAL_WITHOUT=block_on,pingpong scripts/differential.sh   # leave these ops out
#
# A failure prints the shrunk program and how the observations differ. Ends with the cargo test
# summary and the wall time; exits non-zero if any flavor failed.
set -uo pipefail
cd "$(dirname "$0")/.."

cases="${1:-1000}"
export PROPTEST_CASES="$cases"

cargo test --test differential --no-run || exit 1
echo "differential: $cases programs per flavor${DIFFERENTIAL_WITHOUT:+, without $DIFFERENTIAL_WITHOUT}"
start=$(date +%s)
cargo test --test differential
status=$?
echo "differential wall time: $(($(date +%s) - start))s for $cases programs per flavor"
exit "$status"
