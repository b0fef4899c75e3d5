#!/usr/bin/env bash
# Runs a command against a fresh replay server of the conformance vectors: starts
# `surefoot-replay tests/vectors --port 0`, exports its URL as SF_TEST_REPLAY_URL, runs
# the command, and stops the server whatever happens.
#
#   usage: tests/c/with_replay.sh path/to/surefoot-replay command [args...]
set -euo pipefail

replay=$1
shift
work=$(mktemp -d)
"$replay" tests/vectors --port 0 >"$work/out" 2>"$work/err" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 300); do
    if [ -s "$work/out" ] && URL=$(head -n 1 "$work/out") && [[ $URL == http* ]]; then
        break
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "with_replay.sh: the replay server exited:" >&2
        cat "$work/err" >&2
        exit 1
    fi
    sleep 0.1
done
if [[ ${URL:-} != http* ]]; then
    echo "with_replay.sh: the replay server printed no URL within 30 s" >&2
    exit 1
fi
export SF_TEST_REPLAY_URL=$URL
"$@"
