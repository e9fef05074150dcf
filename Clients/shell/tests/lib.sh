# Helpers for the shell client's tests (sourced by run_tests.sh; POSIX sh).
# Output: "ok - NAME" / "not ok - NAME" lines, then "# passed N failed M".

T_PASS=0
T_FAIL=0
T_SH=${BASH_VERSION:+bash}
T_SH=${T_SH:-sh}

t_pass() {
	T_PASS=$((T_PASS + 1))
	printf 'ok - [%s] %s\n' "$T_SH" "$1"
}

t_fail() {
	T_FAIL=$((T_FAIL + 1))
	printf 'not ok - [%s] %s\n' "$T_SH" "$1"
	shift
	[ $# -gt 0 ] && printf '#   %s\n' "$@"
	return 0
}

# t_eq NAME EXPECTED ACTUAL
t_eq() {
	if [ "$2" = "$3" ]; then
		t_pass "$1"
	else
		t_fail "$1" "expected: [$2]" "actual:   [$3]"
	fi
}

# t_true NAME COMMAND...: passes when COMMAND succeeds.
t_true() {
	local name=$1
	shift
	if "$@"; then t_pass "$name"; else t_fail "$name" "command failed: $*"; fi
}

t_summary() {
	printf '# passed %d failed %d\n' "$T_PASS" "$T_FAIL"
}

# t_py EXPR: evaluates a Python expression with r = the JSON on stdin, prints it
# (strings raw, everything else as compact JSON).
t_py() {
	python3 -c '
import json, sys
r = json.loads(sys.stdin.buffer.read())
v = eval(sys.argv[1])
sys.stdout.write(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))
' "$1"
}

# t_rpc SOCKET LINE: one raw request, prints the response line.
t_rpc() {
	printf '%s\n' "$2" | socat -t 30 - "UNIX-CONNECT:$1"
}

# t_run_field SOCKET RUN EXPR: getRun, then EXPR on r (the response).
t_run_field() {
	t_rpc "$1" "{\"jsonrpc\":\"2.0\",\"method\":\"getRun\",\"params\":{\"jobRunId\":\"$2\"},\"id\":1}" | t_py "$3"
}

# t_wait_socket SOCKET: polls (up to ~10 s) until the daemon answers a ping.
t_wait_socket() {
	local i=0
	while [ $i -lt 200 ]; do
		if [ -S "$1" ] && t_rpc "$1" '{"jsonrpc":"2.0","method":"ping","id":0}' 2>/dev/null | grep -q protocolVersion; then
			return 0
		fi
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# t_start_daemon DIR: starts $JOBLOGD_BIN on DIR/sock, DIR/db.sqlite; sets T_DPID.
t_start_daemon() {
	mkdir -p "$1"
	"$JOBLOGD_BIN" --socket "$1/sock" --db "$1/db.sqlite" --http off 2>>"$1/daemon.log" &
	T_DPID=$!
	t_wait_socket "$1/sock"
}

t_stop_daemon() {
	if [ -n "${1:-}" ]; then
		kill "$1" 2>/dev/null
		wait "$1" 2>/dev/null
	fi
	return 0
}
