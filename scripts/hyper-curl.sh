#!/usr/bin/env bash
# hyper-curl.sh — the hyper server examples answer curl over HTTP/2 with prior knowledge
# (`curl --http2-prior-knowledge`, the h2c that h2load speaks too) and over HTTP/1.1.
#
#   scripts/hyper-curl.sh [SERVER...]     SERVER: hyper-server (default: both of) hyper-server-tokio
#
# Builds the examples of the tourbillon-hyper member (debug: this checks answers, not speed),
# starts each on a free port of 127.0.0.1, asks /plaintext and /json with both protocols and
# checks the protocol, status, content-type and body, then stops the server. Installs curl from
# Debian if it is missing. Ends with "N passed, N failed"; exits non-zero if any check failed.
set -euo pipefail

cd "$(dirname "$0")/.."

SERVERS=("$@")
[ ${#SERVERS[@]} -gt 0 ] || SERVERS=(hyper-server hyper-server-tokio)

log() { printf '[hyper-curl] %s\n' "$*" >&2; }

if ! command -v curl >/dev/null; then
    log "curl not found: installing it with apt-get"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq curl
fi
curl --version | grep -qw HTTP2 || { echo "this curl has no HTTP/2 support" >&2; exit 1; }

for server in "${SERVERS[@]}"; do
    log "building $server"
    cargo build -q -p tourbillon-hyper --example "$server"
done
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}
trap stop_server EXIT INT TERM

PASSED=0
FAILED=0
# check NAME PROTOCOL_FLAG PATH WANT_VERSION WANT_TYPE WANT_BODY
check() {
    local name=$1 flag=$2 path=$3 version=$4 type=$5 body=$6 out got
    out=$(mktemp)
    if got=$(curl -sS --max-time 5 "$flag" -o "$out" \
        -w '%{http_version} %{http_code} %{content_type}' "http://127.0.0.1:$PORT$path"); then
        if [ "$got" = "$version 200 $type" ] && [ "$(cat "$out")" = "$body" ]; then
            PASSED=$((PASSED + 1))
            log "ok    $name $flag $path: $got"
        else
            FAILED=$((FAILED + 1))
            log "FAIL  $name $flag $path: got '$got' and body '$(cat "$out")'"
        fi
    else
        FAILED=$((FAILED + 1))
        log "FAIL  $name $flag $path: curl failed"
    fi
    rm -f "$out"
}

for server in "${SERVERS[@]}"; do
    PORT=$(free_port)
    "$TARGET_DIR/debug/examples/$server" "127.0.0.1:$PORT" --threads 2 >/dev/null 2>&1 &
    SERVER_PID=$!
    waited=0
    until (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do
        sleep 0.05
        waited=$((waited + 1))
        if [ $waited -gt 200 ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
            log "FAIL  $server did not start on port $PORT"
            FAILED=$((FAILED + 1))
            stop_server
            continue 2
        fi
    done
    for flag in --http2-prior-knowledge --http1.1; do
        version=2; [ "$flag" = --http1.1 ] && version=1.1
        check "$server" "$flag" /plaintext "$version" text/plain 'Hello, World!'
        check "$server" "$flag" /json "$version" application/json '{"message":"Hello, World!"}'
    done
    stop_server
done

echo "hyper-curl: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
