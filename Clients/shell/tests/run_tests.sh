#!/bin/sh
# The shell client's tests, run by the shell that executes this file:
#   bash tests/run_tests.sh   /   dash tests/run_tests.sh
# Environment (test.sh sets it): T_SOCKET (a live daemon's socket; empty =
# skip the live tests), JOBLOGD_BIN (for tests that need a daemon of their
# own), T_TMP (a scratch directory), T_REPO (the repository root).
# Needs python3 (to decode responses) and socat.

here=$(cd "$(dirname "$0")" && pwd)
T_REPO=${T_REPO:-$(cd "$here/../../.." && pwd)}
T_TMP=${T_TMP:-$(mktemp -d)}
JL=$here/../joblog.sh
. "$here/lib.sh"
. "$JL"
unset JOBLOG_RUN_ID JOBLOG_PERSISTENT JOBLOG_ACK JOBLOG_STRICT
if [ -n "${BASH_VERSION:-}" ]; then T_SHBIN=bash; else T_SHBIN=dash; fi
command -v "$T_SHBIN" >/dev/null 2>&1 || T_SHBIN=sh

# ====================================================================
# Offline: encoding
# ====================================================================
esc_case() { # NAME INPUT EXPECTED
	_joblog_esc "$2"
	t_eq "escape: $1" "$3" "$_JL_E"
}
esc_case "plain" 'hello world' '"hello world"'
esc_case "empty" '' '""'
esc_case "double quotes" 'say "hi"' '"say \"hi\""'
esc_case "backslashes" 'C:\path\to\new' '"C:\\path\\to\\new"'
esc_case "literal \\u0041" '\u0041' '"\\u0041"'
esc_case "only specials" '"\"\' '"\"\\\"\\"'
esc_case "newline" "a
b" '"a\nb"'
esc_case "CRLF" "$(printf 'a\r\nb')" '"a\r\nb"'
esc_case "tab" "$(printf 'a\tb')" '"a\tb"'
esc_case "backspace formfeed" "$(printf 'a\010b\014c')" '"a\bb\fc"'
esc_case "all control chars" "$(printf '\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017\020\021\022\023\024\025\026\027\030\031\032\033\034\035\036\037.')" \
	'"\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f."'
esc_case "DEL passes" "$(printf 'a\177b')" "\"$(printf 'a\177b')\""
esc_case "UTF-8 passes" '日本語 ünïcødé 😀' '"日本語 ünïcødé 😀"'
esc_case "U+2028 passes" "$(printf 'a\342\200\250b')" "\"$(printf 'a\342\200\250b')\""
esc_case "shell metachars" '$(rm -rf /) `x` $HOME * ? [a] ~ ; & | > < !' '"$(rm -rf /) `x` $HOME * ? [a] ~ ; & | > < !"'
esc_case "printf formats" '%s %d %% %n \n' '"%s %d %% %n \\n"'
esc_case "glob chars next to quotes" '*"?"[x]"' '"*\"?\"[x]\""'
esc_case "leading dash" '-n' '"-n"'
esc_case "trailing newlines kept" "a
" '"a\n"'

# Every string above must also survive a JSON parser byte for byte.
esc_roundtrip() { # NAME INPUT
	_joblog_esc "$2"
	if out=$(printf '%s' "$_JL_E" | EXP="$2" python3 -c '
import json, os, sys
got = json.loads(sys.stdin.buffer.read().decode("utf-8"))
exp = os.environb[b"EXP"].decode("utf-8")
sys.exit(0 if got == exp else 1)
' 2>&1); then t_pass "roundtrip: $1"; else t_fail "roundtrip: $1" "$out"; fi
}
esc_roundtrip "control chars and quotes" "$(printf '\001"\\\037\t\n\r\b\f x')"
esc_roundtrip "UTF-8" '日本語 😀 "q" \ '
big=$(printf '%0500d' 0 | tr 0 '"')
esc_roundtrip "500 quotes" "$big"

_joblog_int 007 && t_eq "int: leading zeros" 7 "$_JL_I"
_joblog_int 0 && t_eq "int: zero" 0 "$_JL_I"
_joblog_int -12 signed && t_eq "int: signed" -12 "$_JL_I"
_joblog_int -0 signed && t_eq "int: -0" 0 "$_JL_I"
_joblog_int -1 2>/dev/null; t_eq "int: negative refused" 2 $?
_joblog_int 1.5 2>/dev/null; t_eq "int: fraction refused" 2 $?
_joblog_int '' 2>/dev/null; t_eq "int: empty refused" 2 $?

_joblog_obj a=1 b:=2 'c d=x"y' e:='{"z":[1,2]}' f:=true g:=-1.5e3 h= 'i=a=b' && \
	t_eq "k=v object" '"a":"1","b":2,"c d":"x\"y","e":{"z":[1,2]},"f":true,"g":-1.5e3,"h":"","i":"a=b"' "$_JL_O"
_joblog_obj 'x:=not json' 2>/dev/null; t_eq "k:=v refuses a non-JSON value" 2 $?
_joblog_obj 'x:=007' 2>/dev/null; t_eq "k:=v refuses leading zeros" 2 $?
_joblog_obj 'novalue' 2>/dev/null; t_eq "k=v refuses an argument without =" 2 $?

# ====================================================================
# Offline: usage errors and a daemon that is not there
# ====================================================================
(
	JOBLOG_SOCKET=$T_TMP/nothing-here.sock
	unset JOBLOG_RUN_ID
	joblog_info "x" 2>/dev/null
	echo "norun=$?"
	JOBLOG_RUN_ID=5
	joblog_total abc 2>/dev/null
	echo "badint=$?"
	joblog_log fatal "m" 2>/dev/null
	echo "badlevel=$?"
	joblog_finish DONE 2>/dev/null
	echo "badstatus=$?"
	joblog_info "x" 2>"$T_TMP/warn1"
	echo "down-notify=$?"
	joblog_info "y" 2>>"$T_TMP/warn1"
	JOBLOG_STRICT=1 joblog_info "z" 2>/dev/null
	echo "down-strict=$?"
	joblog_flush 2>/dev/null
	echo "down-flush=$?"
	JOBLOG_STRICT=1 joblog_flush 2>/dev/null
	echo "down-flush-strict=$?"
	joblog_summary 2>/dev/null
	echo "down-summary=$?"
	joblog_finish 2>/dev/null
	echo "down-finish=$?"
	joblog_start job 2>/dev/null
	echo "down-start=$? run=${JOBLOG_RUN_ID:-none}"
	JOBLOG_STRICT=1 joblog_start job 2>/dev/null
	echo "down-start-strict=$?"
	joblog_connect 2>/dev/null
	echo "down-connect=$?"
	JOBLOG_PERSISTENT=1
	joblog_info "p" 2>/dev/null
	echo "down-persistent=$?"
) >"$T_TMP/offline.out" 2>&1
o=$(cat "$T_TMP/offline.out")
for kv in norun=0 badint=2 badlevel=2 badstatus=2 down-notify=0 down-strict=1 down-flush=0 down-flush-strict=1 \
	down-summary=0 down-finish=0 "down-start=0 run=none" down-start-strict=1 down-connect=0 down-persistent=0; do
	case "
$o
" in
	*"
$kv
"*) t_pass "offline: $kv" ;;
	*) t_fail "offline: $kv" "$o" ;;
	esac
done
t_eq "offline: a dead daemon is reported once" 1 "$(grep -c 'daemon unreachable' "$T_TMP/warn1")"
t_eq "offline: the warning names the socket and the reason" \
	"joblog: daemon unreachable at $T_TMP/nothing-here.sock (no such file); reporting is off, the job goes on (further failures are silent)" \
	"$(head -n 1 "$T_TMP/warn1")"

# The reason: not a socket, nobody listening.
: >"$T_TMP/plain-file"
out=$(JOBLOG_SOCKET=$T_TMP/plain-file JOBLOG_RUN_ID=1 "$T_SHBIN" -c '. "$1"; joblog_info x' sh "$JL" 2>&1)
t_eq "offline: reason for a plain file" "joblog: daemon unreachable at $T_TMP/plain-file (not a socket); reporting is off, the job goes on (further failures are silent)" "$out"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T_TMP/dead.sock"
out=$(JOBLOG_SOCKET=$T_TMP/dead.sock JOBLOG_RUN_ID=1 "$T_SHBIN" -c '. "$1"; joblog_info x' sh "$JL" 2>&1)
t_eq "offline: reason for a socket nobody listens on" "joblog: daemon unreachable at $T_TMP/dead.sock (nobody listening); reporting is off, the job goes on (further failures are silent)" "$out"

# Issue 19 #1: the client's own pattern, `set -eu` then joblog_start, with no
# daemon: the job runs to its end with its own exit code, one warning, in
# one-shot and persistent mode.
job='. "$1"
joblog_start nightly n:=1 >/dev/null
joblog_trap
joblog_connect
joblog_stage Copying
joblog_total 3 files
for f in a b c; do joblog_inc; joblog_info "copied $f" file=$f; done
joblog_outcome copied 3
joblog_save_outcome
joblog_summary
joblog_flush
echo "work done"
exit 7'
for p in 0 1; do
	start=$(date +%s%N)
	out=$(JOBLOG_PERSISTENT=$p JOBLOG_SOCKET=$T_TMP/nothing.sock "$T_SHBIN" -eu -c "$job" sh "$JL" 2>"$T_TMP/nodaemon.err")
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	t_eq "no daemon, set -eu, persistent=$p: the job runs to its own exit code" "work done 7" "$out $rc"
	t_eq "no daemon, set -eu, persistent=$p: one warning" 1 "$(grep -c . "$T_TMP/nodaemon.err")"
	# Issue 19 #14: no daemon costs at most 0.2 s (here for a whole job of 14 calls).
	if [ "$ms" -le 200 ]; then t_pass "no daemon, persistent=$p: the job took $ms ms (<= 200)"; else t_fail "no daemon, persistent=$p: the job took $ms ms (> 200)"; fi
done
# Without -e: the last call (joblog_summary) no longer becomes the exit code.
out=$(JOBLOG_SOCKET=$T_TMP/nothing.sock "$T_SHBIN" -c '. "$1"; joblog_start j >/dev/null; joblog_info x; joblog_summary' sh "$JL" 2>/dev/null)
t_eq "no daemon: a script ending in joblog_summary exits 0" 0 $?

# Default socket path (PROTOCOL.md section 1).
(unset JOBLOG_SOCKET; XDG_RUNTIME_DIR=/run/user/42; _joblog_sockpath; echo "$_JL_SOCKPATH") >"$T_TMP/sp1"
t_eq "socket: XDG_RUNTIME_DIR" /run/user/42/joblogd.sock "$(cat "$T_TMP/sp1")"
(unset JOBLOG_SOCKET XDG_RUNTIME_DIR; _joblog_sockpath; echo "$_JL_SOCKPATH") >"$T_TMP/sp2"
t_eq "socket: /tmp/joblogd-<uid>.sock" "/tmp/joblogd-$(id -u).sock" "$(cat "$T_TMP/sp2")"
(JOBLOG_SOCKET=/x/y; XDG_RUNTIME_DIR=/run/user/42; _joblog_sockpath; echo "$_JL_SOCKPATH") >"$T_TMP/sp3"
t_eq "socket: JOBLOG_SOCKET wins" /x/y "$(cat "$T_TMP/sp3")"

if [ -z "${T_SOCKET:-}" ]; then
	echo "# live tests skipped: no daemon (set JOBLOGD_BIN)"
	t_summary
	exit 0
fi

# ====================================================================
# Live
# ====================================================================
export JOBLOG_SOCKET=$T_SOCKET

# --- the user-sync example, one-shot and persistent, checked by the Spec script
for mode in 0 1; do
	rid=$(JOBLOG_PERSISTENT=$mode "$T_SHBIN" "$here/../examples/user_sync.sh" 2>"$T_TMP/us.err")
	rc=$?
	if [ $rc -eq 0 ] && [ -n "$rid" ]; then
		if out=$(python3 "$T_REPO/Spec/scenario/check_user_sync.py" --socket "$T_SOCKET" --run "$rid" 2>&1); then
			t_pass "user_sync.sh (persistent=$mode) run $rid: $out"
		else
			t_fail "user_sync.sh (persistent=$mode) run $rid" "$out"
		fi
	else
		t_fail "user_sync.sh (persistent=$mode) exited $rc" "$(cat "$T_TMP/us.err")"
	fi
done

# --- hostile strings through the daemon and back, in every mode
hostile_check() { # MODE-NAME STRING
	local got
	joblog_info "$2" "k=$2" "$2=key" >/dev/null 2>&1
	joblog_flush >/dev/null 2>&1
	joblog_call getLogs "{\"jobRunId\":\"$JOBLOG_RUN_ID\",\"limit\":1}"
	if got=$(printf '%s' "$JOBLOG_RESPONSE" | EXP="$2" python3 -c '
import json, os, sys
exp = os.environb[b"EXP"].decode("utf-8")
log = json.loads(sys.stdin.buffer.read())["result"]["logs"][0]
want = {"k": exp, exp: "key"}
if log["message"] != exp or log["context"] != want:
    print("message=%r context=%r" % (log["message"], log["context"]))
    sys.exit(1)
' 2>&1); then t_pass "hostile ($1): $(printf '%s' "$2" | head -c 24 | tr -c '[:print:]' '.')"; else t_fail "hostile ($1)" "$got"; fi
}
hostile_all() {
	hostile_check "$1" 'say "hi" \o/ C:\new\table'
	hostile_check "$1" "$(printf 'ctl \001\002\033[31m\037 tab\t cr\r nl\n end')"
	hostile_check "$1" "$(printf 'lines\n\n\nend\\')"
	hostile_check "$1" '日本語 ünïcødé 😀 ✓'
	hostile_check "$1" "$(printf 'LS\342\200\250PS\342\200\251')"
	hostile_check "$1" '$(rm -rf /) `id` $HOME * ? [a] ~ ; & | > < ! %s %d %%'
	hostile_check "$1" '\u0000 \" \\" {"json":"inside"}'
	hostile_check "$1" '-n'
	hostile_check "$1" ' '
}
joblog_start "hostile-oneshot" >/dev/null 2>&1
JOBLOG_ACK=1 hostile_all "one-shot, acknowledged"
hostile_all "one-shot"
joblog_finish >/dev/null 2>&1
joblog_start "hostile-persistent" >/dev/null 2>&1
joblog_connect
hostile_all "persistent"
joblog_finish >/dev/null 2>&1
joblog_disconnect

# --- each call of the API lands as documented (persistent, then one-shot)
for mode in persistent one-shot; do
	joblog_start api-check --trigger=CRON --scope=tenant-1 --algorithm-version=v9 mode="$mode" n:=3 >/dev/null 2>&1
	rid=$JOBLOG_RUN_ID
	[ $mode = persistent ] && joblog_connect
	joblog_stage "Load" "loading now"
	joblog_total 40 files
	joblog_progress 10
	joblog_inc
	joblog_inc 4
	joblog_debug "d" a=1
	joblog_milestone "m"
	joblog_warning "w" n:=5 ok:=true
	joblog_error "e" nested:='{"x":[1,2]}'
	joblog_outcome copied
	joblog_outcome copied 4
	joblog_outcome retries -2
	joblog_save_outcome
	joblog_summary
	joblog_flush
	rc=$?
	t_eq "api ($mode): flush" 0 $rc
	run=$(t_run_field "$T_SOCKET" "$rid" 'r["result"]["run"]')
	got=$(printf '%s' "$run" | t_py '[r[k] for k in ("jobName","status","trigger","scope","algorithmVersion","currentStage","progressCurrent","progressTotal","unit","outcomeSummary","logCounts")] + [r["metadata"]["params"], r["metadata"]["outcome"]]')
	t_eq "api ($mode): stored run" "[\"api-check\",\"RUNNING\",\"CRON\",\"tenant-1\",\"v9\",\"Load\",15,40,\"files\",{\"copied\":5,\"retries\":-2},{\"debug\":1,\"info\":1,\"milestone\":2,\"warning\":1,\"error\":1},{\"mode\":\"$mode\",\"n\":3},{\"copied\":5,\"retries\":-2}]" "$got"
	got=$(printf '%s' "$run" | t_py 'r.get("pid", "absent")')
	t_eq "api ($mode): startRun recorded pid = \$\$" "$$" "$got"
	joblog_call getLogs "{\"jobRunId\":\"$rid\",\"afterId\":0}"
	got=$(printf '%s' "$JOBLOG_RESPONSE" | t_py '[[l["level"], l["message"], l["context"]] for l in r["result"]["logs"]][:5]')
	t_eq "api ($mode): log entries" '[["info","loading now",{"stage":"Load"}],["debug","d",{"a":"1"}],["milestone","m",{}],["warning","w",{"n":5,"ok":true}],["error","e",{"nested":{"x":[1,2]}}]]' "$got"
	joblog_finish FAILED "it broke" "at step 3"
	got=$(t_run_field "$T_SOCKET" "$rid" '[r["result"]["run"]["status"], r["result"]["run"]["error"]]')
	t_eq "api ($mode): finish with message and stack" '["FAILED",{"message":"it broke","stack":"at step 3"}]' "$got"
	joblog_finish SUCCESS 2>/dev/null
	rc=$?
	t_eq "api ($mode): second finish is -32002 (rc 3)" "3 -32002 run already finished" "$rc $JOBLOG_ERROR_CODE $JOBLOG_ERROR_MESSAGE"
	[ $mode = persistent ] && joblog_disconnect
done

# --- joblog_start prints the run id (issue 19 #11)
out=$(joblog_start prints-id 2>&1; joblog_finish >/dev/null 2>&1)
case $out in
'' | *[!0-9]*) t_fail "joblog_start prints the run id" "$out" ;;
*) t_eq "joblog_start prints the run id (and it is the run)" prints-id "$(t_run_field "$T_SOCKET" "$out" 'r["result"]["run"]["jobName"]')" ;;
esac

# --- the time of the call (issue 19 #5): bash sends `at` from EPOCHREALTIME
_joblog_at
if [ -n "${EPOCHREALTIME:-}" ]; then
	case $_JL_AT in
	,'"at":'[1-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]) t_pass "at: bash sends the call time in ms" ;;
	*) t_fail "at: bash sends the call time in ms" "$_JL_AT" ;;
	esac
else
	t_eq "at: a shell without EPOCHREALTIME sends none" "" "$_JL_AT"
fi

# --- a notification that is stored says nothing (issue 19 #2)
joblog_start quiet >/dev/null 2>&1
joblog_info "fine" 2>"$T_TMP/quiet.err"
joblog_flush 2>>"$T_TMP/quiet.err"
t_eq "stored notifications: no warning" "" "$(cat "$T_TMP/quiet.err")"
joblog_finish >/dev/null 2>&1

# --- refused notifications are reported (issue 19 #2)
for mode in one-shot persistent; do
	joblog_start rejected-$mode >/dev/null 2>&1
	rid=$JOBLOG_RUN_ID
	[ $mode = persistent ] && joblog_connect
	joblog_finish >/dev/null 2>&1
	JOBLOG_REJECTED=0
	joblog_info "too late" 2>"$T_TMP/rej.err"
	rc1=$?
	joblog_notify setTotal "{\"jobRunId\":\"$rid\",\"total\":\"10\"}" 2>>"$T_TMP/rej.err"
	joblog_flush 2>>"$T_TMP/rej.err"
	rc2=$?
	t_eq "rejected ($mode): calls still return 0" "0 0" "$rc1 $rc2"
	joblog_flush 2>"$T_TMP/rej2.err"
	t_eq "rejected ($mode): nothing refused since: no warning" "" "$(cat "$T_TMP/rej2.err")"
	t_eq "rejected ($mode): JOBLOG_REJECTED" 2 "$JOBLOG_REJECTED"
	t_true "rejected ($mode): a warning names the reason" grep -q 'joblog: the daemon rejected [12] notification(s); last: setTotal: invalid params (total: must be an integer)' "$T_TMP/rej.err"
	got=$(t_run_field "$T_SOCKET" "$rid" '[r["result"]["run"]["rejectedCount"], r["result"]["run"]["lastRejection"]]')
	t_eq "rejected ($mode): getRun counts them" '[2,"setTotal: invalid params (total: must be an integer)"]' "$got"
	[ $mode = persistent ] && joblog_disconnect
done
unset JOBLOG_RUN_ID

# --- errors surface: unknown run
(
	JOBLOG_RUN_ID=999999999
	joblog_summary 2>/dev/null
	echo "$? $JOBLOG_ERROR_CODE $JOBLOG_ERROR_MESSAGE"
	JOBLOG_ACK=1 joblog_info "to nowhere" 2>/dev/null
	echo "$? $JOBLOG_ERROR_CODE"
	joblog_info "to nowhere, notification" 2>/dev/null
	echo "$?"
) >"$T_TMP/unknown.out"
t_eq "unknown run: summary rc 3, code -32001; ACK info rc 3; notification rc 0" "3 -32001 unknown run
3 -32001
0" "$(cat "$T_TMP/unknown.out")"

# --- joblog_trap: exit codes and signals, one-shot and persistent
trap_case() { # NAME PERSISTENT BODY EXPECTED_STATUS EXPECTED_ERROR EXPECTED_RC
	local rc rid got
	JOBLOG_PERSISTENT=$2 "$T_SHBIN" -c ". \"\$1\"; joblog_start trap-test || exit 99; echo \"\$JOBLOG_RUN_ID\"; joblog_trap; joblog_info working; $3" sh "$JL" >"$T_TMP/trap.out" 2>"$T_TMP/trap.err"
	rc=$?
	rid=$(head -n 1 "$T_TMP/trap.out")
	got=$(t_run_field "$T_SOCKET" "$rid" '[r["result"]["run"]["status"], (r["result"]["run"]["error"] or {}).get("message")]' 2>&1)
	t_eq "trap ($1, persistent=$2)" "$6 [\"$4\",$5]" "$rc $got"
}
# A shell started with SIGINT ignored (a background job without job control)
# cannot trap it: skip the SIGINT cases there.
int_ignored=0
if [ -r /proc/$$/status ]; then
	m=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status)
	if [ -n "$m" ] && [ $((0x$m & 2)) -ne 0 ]; then
		int_ignored=1
		echo "# skipped: the SIGINT trap cases (SIGINT is ignored in this test shell)"
	fi
fi
for p in 0 1; do
	trap_case "exit 0" $p "exit 0" SUCCESS null 0
	trap_case "end of script" $p ":" SUCCESS null 0
	trap_case "exit 3" $p "exit 3" FAILED '"exit code 3"' 3
	trap_case "set -e failure" $p "set -e; false; echo not-here" FAILED '"exit code 1"' 1
	trap_case "SIGTERM" $p 'kill -TERM $$; sleep 0.1' CANCELLED '"interrupted by SIGTERM"' 143
	[ $int_ignored = 1 ] || trap_case "SIGINT" $p 'kill -INT $$; sleep 0.1' CANCELLED '"interrupted by SIGINT"' 130
	trap_case "explicit finish wins" $p "joblog_finish FAILED custom; exit 0" FAILED '"custom"' 0
done

# SIGTERM to the whole process group (socat included): the trap falls back to
# a one-shot connection to finish the run.
if command -v setsid >/dev/null 2>&1; then
	# setsid -w: a new session (its own process group), waiting for the child.
	JOBLOG_PERSISTENT=1 setsid -w "$T_SHBIN" -c '. "$1"; joblog_start trap-group || exit 99; echo "$JOBLOG_RUN_ID"; joblog_trap; joblog_info working; joblog_flush; echo "ready $$"; sleep 5' sh "$JL" >"$T_TMP/grp.out" 2>"$T_TMP/grp.err" &
	spid=$!
	i=0
	while [ $i -lt 100 ] && ! grep -q ready "$T_TMP/grp.out" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
	gpid=$(sed -n 's/^ready //p' "$T_TMP/grp.out")
	kill -TERM -"$gpid" 2>/dev/null
	wait "$spid"
	rc=$?
	rid=$(head -n 1 "$T_TMP/grp.out")
	got=$(t_run_field "$T_SOCKET" "$rid" '[r["result"]["run"]["status"], r["result"]["run"]["error"]["message"]]' 2>&1)
	t_eq "trap: SIGTERM to the process group (persistent)" '143 ["CANCELLED","interrupted by SIGTERM"]' "$rc $got"
fi

# --- persistent mode: `wait` in the job does not wait for socat
out=$(timeout 10 "$T_SHBIN" -c '. "$1"; joblog_connect || exit 9; sleep 0.1 & wait; joblog_flush && echo done; joblog_disconnect' sh "$JL" 2>&1)
t_eq "persistent: a plain wait returns" done "$out"

# --- persistent mode: a line over the daemon's limit gets an id-null -32004;
# the client skips it and the connection stays usable
joblog_start too-long >/dev/null 2>&1
joblog_connect
s=xxxxxxxxxxxxxxxx
i=0
while [ $i -lt 16 ]; do s=$s$s; i=$((i + 1)); done # 1 MiB
joblog_info "$s$s" 2>/dev/null
joblog_flush 2>"$T_TMP/long.err"
rc=$?
t_eq "persistent: flush after an over-long line" 0 $rc
t_true "persistent: the -32004 line is reported on stderr" grep -q -- -32004 "$T_TMP/long.err"
joblog_finish >/dev/null 2>&1
joblog_disconnect
unset s

# --- persistent mode: the daemon dies under the job
if [ -n "${JOBLOGD_BIN:-}" ]; then
	d=$T_TMP/dying
	if t_start_daemon "$d"; then
		out=$(JOBLOG_SOCKET=$d/sock timeout 20 "$T_SHBIN" -c '
			. "$1"
			joblog_start dying >/dev/null || exit 9
			joblog_connect || exit 8
			joblog_info before; joblog_flush || exit 7
			kill -9 "$2"; sleep 0.3
			i=0; while [ $i -lt 300 ]; do joblog_info "after $i" pad=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i + 1)); done
			echo "notify-ok"
			joblog_flush; echo "flush=$?"
			joblog_finish; echo "finish=$?"
		' sh "$JL" "$T_DPID" 2>"$T_TMP/dying.err")
		t_eq "persistent: daemon killed mid-run: no hang, no crash, job not failed" "notify-ok
flush=0
finish=0" "$out"
		t_eq "persistent: daemon killed mid-run: one warning" 1 "$(grep -c 'daemon unreachable' "$T_TMP/dying.err")"
		wait "$T_DPID" 2>/dev/null
	else
		t_fail "persistent: daemon killed mid-run (daemon did not start)"
	fi
fi

# --- the raw one-liners of README.md, exactly as written there
ol=$T_TMP/oneliners.sh
awk '/<!-- test:oneliners -->/{f=1; next} f && /^```sh/{g=1; next} g && /^```/{exit} g' "$here/../README.md" >"$ol"
if [ -s "$ol" ]; then
	out=$(cd "$T_TMP" && "$T_SHBIN" -e "$ol" 2>&1)
	rc=$?
	rid=$(printf '%s\n' "$out" | grep -o 'RUN=[0-9]*' | head -n 1)
	rid=${rid#RUN=}
	got=$(t_run_field "$T_SOCKET" "$rid" '[r["result"]["run"][k] for k in ("jobName","status","currentStage","progressCurrent","progressTotal")] + [r["result"]["run"]["logCounts"]["info"]]' 2>&1)
	t_eq "README one-liners run and store the run" '0 ["nightly-backup","SUCCESS","Copying",3,3,2]' "$rc $got"
else
	t_fail "README one-liners block not found"
fi

# --- cancel (issue 15): a persistent-mode loop over 1,000 items polls
# joblog_cancel_requested, stops within an item of cancelRun, and the trap
# finishes the run CANCELLED with the reason; counters exact
cf=$T_TMP/cancel.done
rm -f "$cf"
JOBLOG_PERSISTENT=1 "$T_SHBIN" -c '. "$1"; joblog_start sh-cancel >"$2.id" || exit 99; joblog_trap; joblog_total 1000 items
	i=0
	while [ $i -lt 1000 ]; do
		joblog_cancel_requested && break
		sleep 0.005; joblog_outcome processed; joblog_inc; i=$((i + 1)); echo "$i" >"$2.tmp"; mv "$2.tmp" "$2"
	done
	echo "$i" >"$2.final"' sh "$JL" "$cf" >"$T_TMP/cancel.out" 2>"$T_TMP/cancel.err" &
cpid=$!
i=0
cdone() { # the items done so far (0 before the first; the job replaces the file whole)
	local n
	n=$(cat "$cf" 2>/dev/null) || n=
	case $n in '' | *[!0-9]*) echo 0 ;; *) echo "$n" ;; esac
}
while [ $i -lt 600 ] && [ "$(cdone)" -lt 50 ]; do sleep 0.05; i=$((i + 1)); done
crid=$(cat "$cf.id")
t_rpc "$T_SOCKET" "{\"jsonrpc\":\"2.0\",\"method\":\"cancelRun\",\"params\":{\"jobRunId\":\"$crid\",\"reason\":\"sh stop\",\"graceMs\":60000},\"id\":1}" >/dev/null
asked=$(cdone)
wait "$cpid"
final=$(cat "$cf.final" 2>/dev/null || echo missing)
ok=no
case $final in *[!0-9]* | '') ;; *) [ "$final" -lt 1000 ] && [ $((final - asked)) -le 2 ] && ok=yes ;; esac
t_eq "cancel: the loop stopped within two items of the request ($asked -> $final)" yes "$ok"
got=$(t_run_field "$T_SOCKET" "$crid" '[r["result"]["run"]["status"], r["result"]["run"]["error"]["message"], r["result"]["run"]["progressCurrent"], r["result"]["run"]["outcomeSummary"].get("processed")]' 2>&1)
t_eq "cancel: CANCELLED with the reason, counters exact" "[\"CANCELLED\",\"Cancelled: sh stop\",$final,$final]" "$got"

t_summary
