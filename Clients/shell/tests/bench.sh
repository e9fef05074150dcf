#!/bin/sh
# Per-call cost of the shell client: bench.sh SOCKET [N]
# Prints one line per (mode, call kind) with microseconds per call.
# Runs in whatever shell executes it (sh/dash or bash).
sock=$1
n=${2:-200}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../joblog.sh"
JOBLOG_SOCKET=$sock
export JOBLOG_SOCKET
now_us() { t=$(date +%s%N); echo $((t / 1000)); }
shell=${BASH_VERSION:+bash}; shell=${shell:-sh}
joblog_start bench >/dev/null || exit 1
for mode in oneshot persistent; do
	if [ $mode = persistent ]; then joblog_connect || exit 1; fi
	t0=$(now_us); i=0
	while [ $i -lt $n ]; do joblog_inc; i=$((i + 1)); done
	joblog_flush; t1=$(now_us)
	i=0
	while [ $i -lt $n ]; do joblog_info "message $i" i:=$i; i=$((i + 1)); done
	joblog_flush; t2=$(now_us)
	i=0
	while [ $i -lt $n ]; do joblog_flush; i=$((i + 1)); done
	t3=$(now_us)
	echo "$shell $mode notification(joblog_inc) $(((t1 - t0) / n)) us/call"
	echo "$shell $mode notification(joblog_info+context) $(((t2 - t1) / n)) us/call"
	echo "$shell $mode acknowledged(joblog_flush=ping) $(((t3 - t2) / n)) us/call"
	if [ $mode = persistent ]; then joblog_disconnect; fi
done
joblog_finish SUCCESS
