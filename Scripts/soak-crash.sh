#!/usr/bin/env bash
# kill -9 soak: runs the CrashTests suite (4 clients streaming, kill -9 at a random
# point, restart, check that every acknowledged write is stored exactly once and
# that PRAGMA integrity_check says ok) for many more kills than CI does.
#
#   Scripts/soak-crash.sh [KILLS_PER_ROUND [ROUNDS]]     defaults: 100 kills, 5 rounds
#
# Each round uses a fresh daemon and database and prints its seed; replay a failing
# round with JOBLOG_SEED=<seed> JOBLOG_CRASH_ITERATIONS=<kills> swift test --skip-build --filter CrashTests.
# Not part of CI (Scripts/test-all.sh runs the suite with its default of 5 kills).
#
# Then the exactly-once crash loop (issue 14) of each client with sessions: one job streams
# 20,000 mixed messages while the daemon is kill -9ed EXACT_KILLS times (default 200; CI runs
# 20); every counter and every log entry must come out exactly as sent.
#
#   EXACT_KILLS=200 Scripts/soak-crash.sh
set -u
cd "$(dirname "$0")/.."
kills=${1:-100}
rounds=${2:-5}
if [ ! -x .build/debug/joblogd ] || [ ! -e .build/debug/joblogdPackageTests.xctest ]; then
    swift build --build-tests || exit 1
fi
failed=0
for round in $(seq 1 "$rounds"); do
    seed=$(od -An -N7 -tu8 /dev/urandom | tr -d ' ')
    start=$(date +%s)
    out=$(JOBLOG_SEED=$seed JOBLOG_CRASH_ITERATIONS=$kills swift test --skip-build --filter 'EndToEndTests.CrashTests' 2>&1)
    status=$?
    summary=$(printf '%s\n' "$out" | grep '^crash:' || true)
    echo "round $round/$rounds seed $seed: $([ $status = 0 ] && echo ok || echo FAILED) in $(($(date +%s) - start)) s; ${summary#crash: }"
    if [ $status != 0 ]; then
        failed=$((failed + 1))
        printf '%s\n' "$out" | grep -E '✘|Expectation failed' | head -20
    fi
done
echo "$((rounds - failed)) rounds passed, $failed failed ($((kills * rounds)) kills)"

exact=${EXACT_KILLS:-200}
export JOBLOGD_BIN=${JOBLOGD_BIN:-$PWD/.build/debug/joblogd}
exactly() {
    local name=$1
    shift
    local seed start status
    seed=$(od -An -N3 -tu4 /dev/urandom | tr -d ' ')
    start=$(date +%s)
    out=$(JOBLOG_SEED=$seed JOBLOG_EXACT_KILLS=$exact "$@" 2>&1)
    status=$?
    echo "exactly once, $name, $exact kills, seed $seed: $([ $status = 0 ] && echo ok || echo FAILED) in $(($(date +%s) - start)) s"
    if [ $status != 0 ]; then
        failed=$((failed + 1))
        printf '%s\n' "$out" | grep -E '✘|Expectation failed|assert|Error' | head -20
    fi
}
exactly swift swift test --skip-build --filter ExactlyOnceCrashTests
exactly python python3 -m pytest -q -x Clients/python/tests/test_exactly_once.py
if make -s -C Clients/c build/test_exactly_once >/dev/null 2>&1; then
    exactly c Clients/c/build/test_exactly_once "$JOBLOGD_BIN"
fi
[ "$failed" = 0 ]
