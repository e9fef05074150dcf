#!/bin/sh
# Builds libjoblog and runs every test of the C client.
#   Clients/c/test.sh
# - needs gcc/make, libjansson-dev, valgrind, socat, python3 (Scripts/test-all.sh
#   installs them; without them it says what to install and exits 1);
# - builds with make into build/;
# - offline: unit tests and the conformance matcher's self-test;
# - live (needs a joblogd: $JOBLOGD_BIN, else
#   <repo>/.build/debug/joblogd; skipped, and said so, without one): the
#   user-sync example (static and shared library builds) checked with
#   Spec/scenario/check_user_sync.py, test_live (also kills and restarts a
#   daemon of its own), and the conformance vectors, each file on a fresh
#   daemon with an empty database;
# - every test program runs under valgrind --leak-check=full.
# Last line: "N passed, N failed"; exit status 1 when anything failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$here" || exit 1

# ---- dependencies
missing=
command -v cc >/dev/null 2>&1 || missing="$missing gcc"
command -v make >/dev/null 2>&1 || missing="$missing make"
if ! { pkg-config --exists jansson 2>/dev/null || [ -f /usr/include/jansson.h ]; }; then
	missing="$missing libjansson-dev"
fi
command -v valgrind >/dev/null 2>&1 || missing="$missing valgrind"
command -v python3 >/dev/null 2>&1 || missing="$missing python3"
if [ -n "$missing" ]; then
	# Installing is Scripts/test-all.sh's job (install_missing), not this script's.
	echo "missing:$missing"
	echo "install them first (Scripts/test-all.sh does), e.g.: sudo apt-get install -y$missing"
	exit 1
fi

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "not ok - $1"; }

# ---- build
if make -s all >build.log 2>&1; then
	pass "build (make all)"
else
	cat build.log
	fail "build (make all)"
	rm -f build.log
	echo "$passed passed, $failed failed"
	exit 1
fi
if grep -q 'warning' build.log; then
	grep 'warning' build.log
	fail "build without warnings"
else
	pass "build without warnings"
fi
rm -f build.log

tmp=$(mktemp -d "${TMPDIR:-/tmp}/joblog-c-test.XXXXXX")
dpid=
cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

VG="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99"

# run NAME COMMAND...: runs a test program under valgrind, adds up its
# "# passed N failed M" line; a valgrind error or a crash is one more failure.
run() {
	local name=$1 rc line
	shift
	$VG "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	grep -v -e '^ok' -e '^# passed ' "$tmp/out"
	line=$(grep '^# passed ' "$tmp/out" | tail -n 1)
	if [ -n "$line" ]; then
		set -- $line
		passed=$((passed + $3))
		failed=$((failed + $5))
		echo "# $name: $3 passed, $5 failed"
	fi
	if [ $rc -eq 99 ]; then
		cat "$tmp/err"
		fail "$name: valgrind found errors"
	elif [ -z "$line" ]; then
		cat "$tmp/err"
		fail "$name: exited $rc without a summary"
	else
		pass "$name: clean under valgrind (exit $rc)"
	fi
}

# start_daemon DIR: starts the daemon on DIR/sock; sets dpid.
start_daemon() {
	local i=0
	mkdir -p "$1"
	"$bin" --socket "$1/sock" --db "$1/db.sqlite" --http off 2>"$1/daemon.log" &
	dpid=$!
	while [ $i -lt 200 ]; do
		if [ -S "$1/sock" ] && printf '{"jsonrpc":"2.0","method":"ping","id":0}\n' |
			python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read()); s.shutdown(1); sys.exit(0 if b"protocolVersion" in s.recv(4096) else 1)' "$1/sock" 2>/dev/null; then
			return 0
		fi
		sleep 0.05
		i=$((i + 1))
	done
	echo "# the daemon did not come up:"
	sed 's/^/#   /' "$1/daemon.log"
	return 1
}

stop_daemon() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	dpid=
	return 0
}

# ---- offline
run "unit tests" build/test_unit
run "conformance matcher self-test" build/conformance --selftest

# ---- live
bin=${JOBLOGD_BIN:-}
if [ -z "$bin" ]; then
	for b in "$repo/.build/debug/joblogd"; do
		if [ -x "$b" ]; then bin=$b; break; fi
	done
fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
	echo "# SKIP live tests: no joblogd binary${bin:+ ($bin is not executable)} (set JOBLOGD_BIN, or build .build/debug/joblogd)"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
fi
echo "# daemon: $bin"

if start_daemon "$tmp/shared"; then
	sock=$tmp/shared/sock
	for ex in user_sync user_sync_shared; do
		if rid=$(JOBLOG_SOCKET=$sock $VG build/$ex 2>"$tmp/err"); then
			pass "$ex: ran under valgrind, run $rid"
			if out=$(python3 "$repo/Spec/scenario/check_user_sync.py" --socket "$sock" --run "$rid" 2>&1); then
				pass "$ex: check_user_sync.py: $out"
			else
				echo "$out" | sed 's/^/#   /'
				fail "$ex: check_user_sync.py"
			fi
		else
			cat "$tmp/err"
			fail "$ex: exited non-zero"
		fi
	done
	run "live tests" build/test_live "$sock" "$bin"
	stop_daemon
else
	fail "shared daemon starts"
	stop_daemon
fi

for f in "$repo"/Spec/conformance/*.jsonl; do
	n=$(basename "$f" .jsonl)
	if start_daemon "$tmp/conf-$n"; then
		run "conformance $n" build/conformance "$tmp/conf-$n/sock" "$f"
	else
		fail "conformance $n: daemon starts"
	fi
	stop_daemon
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
