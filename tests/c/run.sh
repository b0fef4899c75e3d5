#!/usr/bin/env bash
# Runs a command against fresh emulators: starts `surefoot-emulator --api specala` and
# `--api pyai` on port 0, reads the URL each prints on its first stdout line, exports
# them (SF_TEST_SPECALA_URL, SF_TEST_PYAI_URL, and SPECALA_/PYAI_ BASE_URL + API_KEY for
# the examples), and the same two in their `--minimal` answer form
# (SF_TEST_SPECALA_MINIMAL_URL, SF_TEST_PYAI_MINIMAL_URL), runs the command, and stops
# every emulator whatever happens.
#
#   usage: tests/c/run.sh path/to/surefoot-emulator command [args...]
set -euo pipefail

emulator=$1
shift
# The first two emulators answer in the brief's format whatever the caller's environment.
unset SUREFOOT_EMULATOR_MINIMAL
work=$(mktemp -d)
pids=()

cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

# start NAME ARGS... : starts an emulator, sets URL to its base URL.
start() {
    local name=$1
    shift
    "$emulator" "$@" >"$work/$name.out" 2>"$work/$name.err" &
    pids+=($!)
    local pid=$!
    for _ in $(seq 1 300); do
        if [ -s "$work/$name.out" ] && URL=$(head -n 1 "$work/$name.out") && [[ $URL == http* ]]; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "run.sh: the $name emulator exited:" >&2
            cat "$work/$name.err" >&2
            exit 1
        fi
        sleep 0.1
    done
    echo "run.sh: the $name emulator printed no URL within 30 s" >&2
    exit 1
}

start specala --api specala --port 0 --transcriptions 300
export SF_TEST_SPECALA_URL=$URL SPECALA_BASE_URL=$URL SPECALA_API_KEY=spk_alpha_pro_0001
start pyai --api pyai --port 0
export SF_TEST_PYAI_URL=$URL PYAI_BASE_URL=$URL PYAI_API_KEY=pyai_sk_full_0001
# The same APIs in the minimal answer form (ids and a title, Unix-second timestamps,
# unknown members), for the tolerant-model tests.
start specala_minimal --api specala --port 0 --transcriptions 120 --no-rate-limits --minimal
export SF_TEST_SPECALA_MINIMAL_URL=$URL
start pyai_minimal --api pyai --port 0 --no-rate-limits --minimal
export SF_TEST_PYAI_MINIMAL_URL=$URL

echo "run.sh: specala at $SF_TEST_SPECALA_URL, pyai at $SF_TEST_PYAI_URL: $*"
"$@"
