#!/bin/sh
# Runs every test of the shell client, under bash and under dash.
#   Clients/shell/test.sh
# Needs socat, dash, bash and python3 (Scripts/test-all.sh installs them;
# without them it says what to install and exits 1). Starts its own joblogd on a temporary socket and database:
# $JOBLOGD_BIN, else <repo>/.build/debug/joblogd;
# without any binary the live tests are skipped (and said so).
# Last line: "N passed, N failed"; exit status 1 when anything failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

# ---- dependencies
missing=
command -v socat >/dev/null 2>&1 || missing="$missing socat"
command -v dash >/dev/null 2>&1 || missing="$missing dash"
command -v bash >/dev/null 2>&1 || missing="$missing bash"
command -v python3 >/dev/null 2>&1 || missing="$missing python3"
if [ -n "$missing" ]; then
	# Installing is Scripts/test-all.sh's job (install_missing), not this script's.
	echo "missing:$missing"
	echo "install them first (Scripts/test-all.sh does), e.g.: sudo apt-get install -y$missing"
	exit 1
fi

# ---- daemon
bin=${JOBLOGD_BIN:-}
if [ -z "$bin" ]; then
	for b in "$repo/.build/debug/joblogd"; do
		if [ -x "$b" ]; then bin=$b; break; fi
	done
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/joblog-shell-test.XXXXXX")
dpid=
cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

. "$here/tests/lib.sh"
T_SOCKET=
if [ -n "$bin" ] && [ -x "$bin" ]; then
	echo "# daemon: $bin"
	JOBLOGD_BIN=$bin
	export JOBLOGD_BIN
	if t_start_daemon "$tmp/shared"; then
		dpid=$T_DPID
		T_SOCKET=$tmp/shared/sock
	else
		echo "# the daemon did not come up; its log:"
		sed 's/^/#   /' "$tmp/shared/daemon.log" 2>/dev/null
		kill "$T_DPID" 2>/dev/null
		echo "0 passed, 1 failed"
		exit 1
	fi
else
	echo "# SKIP live tests: no joblogd binary${bin:+ ($bin is not executable)} (set JOBLOGD_BIN, or build .build/debug/joblogd)"
	bin=
fi

# ---- run
passed=0
failed=0
for sh in bash dash; do
	if ! "$sh" -n "$here/joblog.sh"; then
		echo "not ok - [$sh] joblog.sh does not parse"
		failed=$((failed + 1))
	fi
	mkdir -p "$tmp/$sh"
	T_SOCKET=$T_SOCKET JOBLOGD_BIN=$bin T_TMP=$tmp/$sh T_REPO=$repo \
		"$sh" "$here/tests/run_tests.sh" </dev/null >"$tmp/$sh.out" 2>&1
	cat "$tmp/$sh.out"
	line=$(grep '^# passed ' "$tmp/$sh.out" | tail -n 1)
	if [ -z "$line" ]; then
		echo "not ok - [$sh] the test runner did not finish"
		failed=$((failed + 1))
		continue
	fi
	set -- $line
	passed=$((passed + $3))
	failed=$((failed + $5))
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
