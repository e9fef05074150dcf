#!/usr/bin/env bash
# Soak test: an hour (by default) of mixed traffic against a fresh joblogd, with
# 100 watchers and pruning running; prints the daemon's RSS, open descriptors,
# database size, throughput and request latency (p50/p99/max) every minute, and
# checks at the end that the daemon is alive, answered without errors, and that
# PRAGMA integrity_check says ok. Not part of CI.
#
#   Scripts/soak.sh [--duration SECONDS] [--rate MSGS_PER_S] [--watchers N] [--interval SECONDS] ...
#   Scripts/soak.sh --help                      all options (Scripts/soak.py)
#
# The daemon is $JOBLOGD_BIN, else .build/release/joblogd when built, else .build/debug/joblogd.
# Example, 3 minutes with a row every 30 s: Scripts/soak.sh --duration 180 --interval 30
set -eu
cd "$(dirname "$0")/.."
bin=${JOBLOGD_BIN:-}
if [ -z "$bin" ]; then
    if [ -x .build/release/joblogd ]; then bin=.build/release/joblogd; else bin=.build/debug/joblogd; fi
fi
if [ ! -x "$bin" ]; then
    swift build --product joblogd
    bin=.build/debug/joblogd
fi
echo "daemon: $bin"
exec python3 Scripts/soak.py --daemon "$bin" "$@"
