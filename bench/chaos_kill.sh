#!/usr/bin/env bash
# Killed at any moment, at full size (`make chaos-kill`, part of `make bench`): the CLI
# integration tests crates/surefoot-cli/tests/kill.rs with 2,000 lines / documents and 20
# SIGKILL points each (seeded), release build in bench/target. They assert exactly 2,000
# jobs on the emulator and one complete result line per input line (`pyai submit`), and
# every document once, complete and byte-exact (`specala export`); this keeps their
# measurements (kills that landed, replays, faults, wall time) in bench/out/chaos-kill.jsonl.
#
#   SUREFOOT_KILL_LINES=2000 SUREFOOT_KILL_POINTS=20 SUREFOOT_KILL_SEED=17 bench/chaos_kill.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export SUREFOOT_KILL_LINES="${SUREFOOT_KILL_LINES:-2000}"
export SUREFOOT_KILL_POINTS="${SUREFOOT_KILL_POINTS:-20}"
export SUREFOOT_KILL_SEED="${SUREFOOT_KILL_SEED:-17}"
mkdir -p bench/out
log=bench/out/chaos-kill.log
CARGO_TARGET_DIR="${BENCH_TARGET:-$PWD/bench/target}" nice "${CARGO:-cargo}" test --release \
    -p surefoot-cli --test kill -- --nocapture --test-threads 1 | tee "$log"
sed -n 's/.*kill-summary //p' "$log" > bench/out/chaos-kill.jsonl
echo "chaos-kill: $(wc -l < bench/out/chaos-kill.jsonl) runs measured, bench/out/chaos-kill.jsonl"
