#!/usr/bin/env bash
# hostile.sh — issue 15's two hostile-client scenarios against the release http-server
# (tourbillon, and with --tokio its tokio twin), each on a free port of 127.0.0.1:
#
#   scripts/hostile.sh [--tokio] [--slow-clients N (300)] [--flood-clients N (250)]
#
#   flood  the server started under `ulimit -n 128`, FLOOD connections held for 3 s: its CPU
#          share while out of descriptors, and whether it answers once they leave;
#   slow   the server at its default timeouts (header 10 s), SLOW clients dripping one header
#          byte every 2 s, one fast client timing a request every 50 ms: how many slow clients
#          are closed within 20 s, and the fast client's worst latency.
#
# scripts/hostile.py does the clients and prints one line per scenario; this script fails if
# either scenario does (see its thresholds there).
set -euo pipefail

cd "$(dirname "$0")/.."

EXAMPLE=http-server
SLOW=300
FLOOD=250
while [ $# -gt 0 ]; do
    case "$1" in
        --tokio) EXAMPLE=http-server-tokio ;;
        --slow-clients) SLOW="$2"; shift ;;
        --flood-clients) FLOOD="$2"; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done

cargo build --release --example "$EXAMPLE" >/dev/null 2>&1 ||
    cargo build --release --example "$EXAMPLE"
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
BIN="$TARGET_DIR/release/examples/$EXAMPLE"
LOG=$(mktemp -t hostile-XXXXXX.log)

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
SERVER=""
trap '[ -z "$SERVER" ] || kill "$SERVER" 2>/dev/null || true' EXIT
# Starts the server on a free port (with the descriptor limit $1) and waits until it accepts.
start() {
    PORT=$(free_port)
    (ulimit -n "$1"; exec "$BIN" "127.0.0.1:$PORT") >>"$LOG" 2>&1 &
    SERVER=$!
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return
        sleep 0.1
    done
    echo "the server did not start; see $LOG" >&2
    exit 1
}
stop() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""; }

status=0
echo "$EXAMPLE:"
start 128
python3 scripts/hostile.py flood "127.0.0.1:$PORT" --pid "$SERVER" --clients "$FLOOD" || status=1
stop
start 4096
python3 scripts/hostile.py slow "127.0.0.1:$PORT" --clients "$SLOW" || status=1
stop
echo "server log: $LOG ($(wc -l <"$LOG") lines)"
exit $status
