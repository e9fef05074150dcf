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
    out=$(JOBLOG_SEED=$seed JOBLOG_CRASH_ITERATIONS=$kills swift test --skip-build --filter CrashTests 2>&1)
    status=$?
    summary=$(printf '%s\n' "$out" | grep '^crash:' || true)
    echo "round $round/$rounds seed $seed: $([ $status = 0 ] && echo ok || echo FAILED) in $(($(date +%s) - start)) s; ${summary#crash: }"
    if [ $status != 0 ]; then
        failed=$((failed + 1))
        printf '%s\n' "$out" | grep -E '✘|Expectation failed' | head -20
    fi
done
echo "$((rounds - failed)) rounds passed, $failed failed ($((kills * rounds)) kills)"
[ "$failed" = 0 ]
