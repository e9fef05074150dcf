#!/usr/bin/env bash
# Instructions the daemon executes per ingested `info` and per `incrementProgress`, counted by
# callgrind on the release build (see BENCHMARKS.md). Usage: Scripts/instructions.sh [COUNT]
# (default 100000 events each). Needs valgrind (apt-get install valgrind), objcopy and cc.
set -eu
cd "$(dirname "$0")/.."
count=${1:-100000}
if [ ! -x .build/release/joblogd ] || [ ! -x .build/release/joblog-bench ] || [ "${REBUILD:-1}" = 1 ]; then
    flock /tmp/swiftbuild.lock swift build -c release --product joblogd
    flock /tmp/swiftbuild.lock swift build -c release --product joblog-bench
fi
exec .build/release/joblog-bench --instructions --instruction-count "$count" --joblogd .build/release/joblogd
