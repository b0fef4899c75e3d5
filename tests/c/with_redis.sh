#!/usr/bin/env bash
# Runs a command with a fresh redis-server of its own on 127.0.0.1 at a free port,
# exported as SF_TEST_REDIS_URL, and stops it whatever happens.
#
#   usage: tests/c/with_redis.sh command [args...]
set -euo pipefail

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" >"$dir/log" 2>&1 &
pid=$!
cleanup() {
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
    if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
        break
    fi
    sleep 0.1
done
export SF_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
echo "with_redis.sh: redis at $SF_TEST_REDIS_URL: $*"
"$@"
