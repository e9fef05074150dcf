# joblog.sh - shell client for joblogd (JSON-RPC 2.0 over a Unix socket).
#
# Source it from bash or dash (any POSIX sh with `local`):
#
#     . /path/to/joblog.sh
#     joblog_start my-job batchSize:=10 source=/data   # sets + exports JOBLOG_RUN_ID
#     joblog_trap                                      # finish the run on exit/signal
#     joblog_stage "Loading"
#     joblog_info "Found files" count:=42 dir=/data
#
# Needs only `socat` (plus coreutils `mktemp`/`mkfifo`/`rm`/`id` for rare
# one-time steps). JSON is built and escaped in pure shell. See README.md for
# the full reference; the short version:
#
#   k=v     context/params member with a JSON *string* value ("v", always)
#   k:=J    member with a raw JSON value J (number, true/false/null, {...}, [...], "...")
#
# Return codes of every function: 0 ok, 2 usage error (bad argument, no run),
# 3 the daemon answered a JSON-RPC error (JOBLOG_ERROR_CODE / JOBLOG_ERROR_MESSAGE
# are set). Reporting never fails a job: when the daemon is unreachable or the
# connection is lost, every function (joblog_start included) warns once on stderr
# ("joblog: daemon unreachable at SOCKET (REASON)") and returns 0; joblog_start then
# leaves JOBLOG_RUN_ID unset and the later calls do nothing. JOBLOG_STRICT=1 makes
# those failures return 1 instead (and warn every time).
# Refused notifications (a finished run, a bad value): the daemon counts them and
# answers the next `ping {"rejected":true}` with how many; joblog_flush (and,
# one-shot, each call)
# then warns "joblog: the daemon rejected N notification(s); last: REASON" and
# adds N to JOBLOG_REJECTED.
#
# Environment: JOBLOG_SOCKET (default $XDG_RUNTIME_DIR/joblogd.sock, else
# /tmp/joblogd-<uid>.sock), JOBLOG_RUN_ID (the run all calls write to),
# JOBLOG_PERSISTENT=1 (connect lazily and keep one connection),
# JOBLOG_TIMEOUT (seconds to wait for a response, default 30), JOBLOG_STRICT,
# JOBLOG_ACK=1 (send every call as a request: slower, but each call waits until
# stored and reports the daemon's errors),
# JOBLOG_TRIGGER / JOBLOG_SCOPE / JOBLOG_ALGORITHM_VERSION (joblog_start defaults),
# JOBLOG_FD_W / JOBLOG_FD_R (fds of the persistent connection, default 8 / 9).

# ---------------------------------------------------------------- state
# Sourcing the file again in the same shell keeps the state (and an open
# persistent connection).
if [ -z "${_JL_CTRL:-}" ]; then
	# Bytes 0x01..0x1f in order (the position of a byte in it is its value).
	_JL_CTRL=$(printf '\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017\020\021\022\023\024\025\026\027\030\031\032\033\034\035\036\037')
	_JL_SEQ=0
	_JL_PPID=
	_JL_WARNED=
	_JL_WARNED_RUN=
	_JL_DOWN=
	JOBLOG_REJECTED=0
	_JL_FINISHED=
	_JL_SIG=
	JOBLOG_RESPONSE=
	JOBLOG_ERROR_CODE=
	JOBLOG_ERROR_MESSAGE=
fi

# ---------------------------------------------------------------- JSON encoding
# _joblog_esc STRING: sets _JL_E to STRING as a JSON string literal (with quotes).
# Escapes " and \, \b \t \n \f \r, the other bytes < 0x20 as \u00XX; passes
# every other byte through (UTF-8 stays UTF-8; the daemon rejects invalid UTF-8).
_joblog_esc() {
	local s out pre rest c idx n hi lo
	s=$1
	case $s in
	*[\"\\$_JL_CTRL]*) ;;
	*) _JL_E="\"$s\""; return 0 ;;
	esac
	out=
	while :; do
		pre=${s%%[\"\\$_JL_CTRL]*}
		if [ "$pre" = "$s" ]; then
			out=$out$s
			break
		fi
		out=$out$pre
		s=${s#"$pre"}
		rest=${s#?}
		c=${s%"$rest"}
		s=$rest
		case $c in
		\") out=$out'\"' ;;
		\\) out=$out'\\' ;;
		*)
			idx=${_JL_CTRL%%"$c"*}
			n=$((${#idx} + 1))
			case $n in
			8) out=$out'\b' ;;
			9) out=$out'\t' ;;
			10) out=$out'\n' ;;
			12) out=$out'\f' ;;
			13) out=$out'\r' ;;
			*)
				hi=$((n / 16))
				lo=$((n % 16))
				case $lo in
				10) lo=a ;; 11) lo=b ;; 12) lo=c ;; 13) lo=d ;; 14) lo=e ;; 15) lo=f ;;
				esac
				out=$out'\u00'$hi$lo
				;;
			esac
			;;
		esac
	done
	_JL_E="\"$out\""
}

# _joblog_int VALUE [signed]: sets _JL_I to VALUE as a JSON integer (leading
# zeros removed); returns 2 when VALUE is not a decimal integer (>= 0 unless signed).
_joblog_int() {
	local v neg
	v=$1
	neg=
	if [ -n "${2:-}" ]; then
		case $v in -*) neg=-; v=${v#-} ;; esac
	fi
	case $v in
	'' | *[!0-9]*)
		_joblog_warn "not an integer${2:+ }${2:-}: '$1'"
		return 2
		;;
	esac
	while :; do
		case $v in 0?*) v=${v#0} ;; *) break ;; esac
	done
	[ "$v" = 0 ] && neg=
	_JL_I=$neg$v
	return 0
}

# _joblog_raw VALUE: checks VALUE looks like a JSON value for k:=VALUE.
_joblog_raw() {
	case $1 in
	true | false | null | \{*\} | \[*\] | \"*\") return 0 ;;
	[1-9] | [1-9][0-9] | [1-9][0-9][0-9] | [1-9][0-9][0-9][0-9]) return 0 ;;
	-[0-9]* | [0-9]*)
		case $1 in
		*[!0-9eE.+-]*) ;;
		-0[0-9]* | 0[0-9]*) ;;
		*) return 0 ;;
		esac
		;;
	esac
	_joblog_warn "not a JSON value: '$1' (use k=v for a string)"
	return 2
}

# _joblog_obj ARGS...: sets _JL_O to the members "k":"v" / "k":J (no braces) of
# k=v / k:=J arguments, comma separated.
_joblog_obj() {
	local kv k v out
	out=
	for kv in "$@"; do
		case $kv in
		*=*) ;;
		*)
			_joblog_warn "expected key=value or key:=json, got '$kv'"
			return 2
			;;
		esac
		k=${kv%%=*}
		v=${kv#*=}
		case $k in
		*:)
			k=${k%:}
			_joblog_raw "$v" || return 2
			# (the escaping fast path inlined: bash function calls are slow)
			case $k in *[\"\\$_JL_CTRL]*) _joblog_esc "$k"; k=$_JL_E ;; *) k="\"$k\"" ;; esac
			out=$out${out:+,}$k:$v
			;;
		*)
			case $k in *[\"\\$_JL_CTRL]*) _joblog_esc "$k"; k=$_JL_E ;; *) k="\"$k\"" ;; esac
			case $v in *[\"\\$_JL_CTRL]*) _joblog_esc "$v"; v=$_JL_E ;; *) v="\"$v\"" ;; esac
			out=$out${out:+,}$k:$v
			;;
		esac
	done
	_JL_O=$out
	return 0
}

# ---------------------------------------------------------------- plumbing
_joblog_warn() {
	printf 'joblog: %s\n' "$*" >&2
}

# Sets _JL_SOCKPATH (PROTOCOL.md section 1).
_joblog_sockpath() {
	if [ -n "${JOBLOG_SOCKET:-}" ]; then
		_JL_SOCKPATH=$JOBLOG_SOCKET
	elif [ -n "${XDG_RUNTIME_DIR:-}" ]; then
		_JL_SOCKPATH=$XDG_RUNTIME_DIR/joblogd.sock
	else
		if [ -z "${_JL_UID:-}" ]; then
			_JL_UID=$(id -u) || _JL_UID=0
		fi
		_JL_SOCKPATH=/tmp/joblogd-$_JL_UID.sock
	fi
}

# _joblog_why: sets _JL_WHY to why the socket cannot be reached (checked only
# after a failure, so it costs nothing when the daemon is there).
_joblog_why() {
	if [ ! -e "$_JL_SOCKPATH" ]; then
		_JL_WHY="no such file"
	elif [ ! -S "$_JL_SOCKPATH" ]; then
		_JL_WHY="not a socket"
	elif [ ! -w "$_JL_SOCKPATH" ]; then
		_JL_WHY="permission denied"
	else
		_JL_WHY="nobody listening"
	fi
}

# _joblog_down: the policy for a daemon that cannot be reached (or a connection
# lost): sets JOBLOG_ERROR_MESSAGE, warns once and returns 0; with
# JOBLOG_STRICT=1 warns every time and returns 1.
_joblog_down() {
	_joblog_sockpath
	_joblog_why
	JOBLOG_ERROR_CODE=
	JOBLOG_ERROR_MESSAGE="daemon unreachable at $_JL_SOCKPATH ($_JL_WHY)"
	if [ "${JOBLOG_STRICT:-0}" = 1 ]; then
		_joblog_warn "$JOBLOG_ERROR_MESSAGE"
		return 1
	fi
	_JL_DOWN=1
	if [ -z "$_JL_WARNED" ]; then
		_JL_WARNED=1
		_joblog_warn "$JOBLOG_ERROR_MESSAGE; reporting is off, the job goes on (further failures are silent)"
	fi
	return 0
}

# _joblog_rejected RESPONSE: warns when a ping's answer says notifications of
# this connection were refused, and adds their number to JOBLOG_REJECTED.
_joblog_rejected() {
	local n r
	case $1 in *'"rejected":'*) ;; *) return 0 ;; esac
	n=${1#*'"rejected":'}
	n=${n%%[,\}]*}
	case $n in '' | *[!0-9]* | 0) return 0 ;; esac
	r=${1#*'"lastRejection":"'}
	[ "$r" = "$1" ] && r= || r=${r%%\"*}
	JOBLOG_REJECTED=$((${JOBLOG_REJECTED:-0} + n))
	_joblog_warn "the daemon rejected $n notification(s); last: $r"
	return 0
}

# _joblog_at: sets _JL_AT to the `at` member (the time of the call, ms since
# the epoch) from bash's EPOCHREALTIME; empty in shells without it (dash): the
# shell client never buffers, so the daemon's own time is as good there.
_joblog_at() {
	local s f
	_JL_AT=
	case ${EPOCHREALTIME:-} in
	[0-9]*[.,][0-9][0-9][0-9]*)
		s=${EPOCHREALTIME%%[.,]*}
		f=${EPOCHREALTIME#*[.,]}
		f=${f%"${f#???}"}
		_JL_AT=",\"at\":$s$f"
		;;
	esac
}

# _joblog_runid: checks JOBLOG_RUN_ID; returns 2 when there is no usable run
# (silently when the daemon was found unreachable: joblog_start got no run).
_joblog_runid() {
	case ${JOBLOG_RUN_ID:-} in
	'' | *[!0-9]*)
		[ -n "$_JL_DOWN" ] && return 2
		if [ -z "$_JL_WARNED_RUN" ]; then
			_JL_WARNED_RUN=1
			_joblog_warn "no run: call joblog_start first (or export JOBLOG_RUN_ID)"
		fi
		return 2
		;;
	esac
	return 0
}

# Is there a persistent connection? (A dead one is noticed when a write fails
# with EPIPE or a read hits EOF; see _joblog_write.)
_joblog_connected() {
	[ -n "$_JL_PPID" ]
}

# _joblog_write LINE: writes LINE to the persistent connection, with SIGPIPE
# ignored for that one write only (so a dead socat gives EPIPE, not a dead
# job), then restores the PIPE disposition the script had at connect time.
_joblog_write() {
	local rc
	trap '' PIPE
	rc=0
	printf '%s\n' "$1" >&"$_JL_FDW" 2>/dev/null || rc=$?
	if [ -n "$_JL_PIPE_TRAP" ]; then
		eval "$_JL_PIPE_TRAP"
	else
		trap - PIPE
	fi
	return $rc
}

_joblog_drop_conn() {
	if [ -n "$_JL_PPID" ]; then
		eval "exec ${_JL_FDW}>&- ${_JL_FDR}<&-" 2>/dev/null
		kill "$_JL_PPID" 2>/dev/null
		_JL_PPID=
	fi
	return 0
}

# Connect lazily when JOBLOG_PERSISTENT=1.
# After a failed attempt it does not retry until joblog_connect is called.
_joblog_auto() {
	if [ "${JOBLOG_PERSISTENT:-0}" = 1 ] && [ -z "$_JL_PPID" ] && [ -z "${_JL_AUTO_FAILED:-}" ]; then
		_joblog_connect_ 2>/dev/null || _JL_AUTO_FAILED=1
	fi
	return 0
}

# _joblog_send LINE: writes one notification line. 0 ok, 1 transport failure.
_joblog_send() {
	[ -n "$_JL_PPID" ] || _joblog_auto
	if [ -n "$_JL_PPID" ]; then
		_joblog_write "$1" && return 0
		_joblog_drop_conn
	fi
	# One-shot: the line, then a ping on the same connection. socat returns
	# when the daemon closes the connection, i.e. after it answered the ping,
	# i.e. after the line is stored. Without the ping, the next call (a new
	# connection) could overtake it: joblogd orders messages only within a
	# connection. Costs ~0.5 ms on top of the ~3 ms of socat itself.
	# The ping's answer also says whether the daemon refused the line.
	local out
	_joblog_sockpath
	out=$(socat -t "${JOBLOG_TIMEOUT:-30}" - "UNIX-CONNECT:$_JL_SOCKPATH" 2>/dev/null <<_JL_EOF_
$1
{"jsonrpc":"2.0","method":"ping","params":{"rejected":true},"id":0}
_JL_EOF_
) || return 1
	case $out in
	*'"result":'*) _joblog_rejected "$out" ;;
	*) return 1 ;;
	esac
	return 0
}

# _joblog_notify LINE: a notification with the non-strict failure policy.
_joblog_notify() {
	if _joblog_send "$1"; then
		return 0
	fi
	_joblog_down
}

# _joblog_parse: classifies JOBLOG_RESPONSE. 0 result, 3 error (sets
# JOBLOG_ERROR_CODE/MESSAGE), 1 empty/garbage.
_joblog_parse() {
	local r
	case $JOBLOG_RESPONSE in
	*'"result":'*)
		return 0
		;;
	*'"error":'*)
		r=${JOBLOG_RESPONSE#*'"code":'}
		JOBLOG_ERROR_CODE=${r%%[,\}]*}
		r=${JOBLOG_RESPONSE#*'"message":"'}
		JOBLOG_ERROR_MESSAGE=${r%%\"*}
		return 3
		;;
	esac
	_joblog_why
	JOBLOG_ERROR_CODE=
	JOBLOG_ERROR_MESSAGE="daemon unreachable at ${_JL_SOCKPATH:-?} ($_JL_WHY)"
	return 1
}

# _joblog_request METHOD PARAMS: sends a request ({"jsonrpc":...,"id":N}),
# stores the response line in JOBLOG_RESPONSE. Returns as _joblog_parse.
_joblog_request() {
	local line id pat rc
	JOBLOG_RESPONSE=
	JOBLOG_ERROR_CODE=
	JOBLOG_ERROR_MESSAGE=
	_JL_SEQ=$((_JL_SEQ + 1))
	id=$_JL_SEQ
	line="{\"jsonrpc\":\"2.0\",\"method\":\"$1\"${2:+,\"params\":}${2:-},\"id\":$id}"
	_joblog_auto
	if _joblog_connected; then
		if _joblog_write "$line"; then
			pat="\"id\":$id"
			while IFS= read -r JOBLOG_RESPONSE <&"$_JL_FDR"; do
				case $JOBLOG_RESPONSE in
				*"$pat"[,\}]*)
					rc=0
					_joblog_parse || rc=$?
					[ "$1" = ping ] && _joblog_rejected "$JOBLOG_RESPONSE"
					return $rc
					;;
				esac
				# A line that answers no request of ours (e.g. -32004 for an
				# over-long notification, id null): report it, keep reading.
				_joblog_warn "daemon: $JOBLOG_RESPONSE"
			done
		fi
		_joblog_drop_conn
		_joblog_sockpath
		JOBLOG_RESPONSE=
		_joblog_parse
		return 1
	fi
	_joblog_sockpath
	# (`|| :`: a failed connect must not end a `set -e` script here.)
	JOBLOG_RESPONSE=$(socat -t "${JOBLOG_TIMEOUT:-30}" - "UNIX-CONNECT:$_JL_SOCKPATH" 2>/dev/null <<_JL_EOF_
$line
_JL_EOF_
) || :
	rc=0
	_joblog_parse || rc=$?
	[ "$1" = ping ] && _joblog_rejected "$JOBLOG_RESPONSE"
	return $rc
}

# _joblog_req METHOD PARAMS: _joblog_request plus an error message on stderr;
# an unreachable daemon is _joblog_down's (0 unless JOBLOG_STRICT=1).
_joblog_req() {
	local rc
	rc=0
	_joblog_request "$@" || rc=$?
	if [ $rc -eq 1 ]; then
		_joblog_down
		return
	fi
	if [ $rc -ne 0 ]; then
		_joblog_warn "$1: ${JOBLOG_ERROR_MESSAGE}${JOBLOG_ERROR_CODE:+ ($JOBLOG_ERROR_CODE)}"
	fi
	return $rc
}

# ---------------------------------------------------------------- connection
# joblog_connect: opens the persistent connection: one socat process between
# two fifos, held for the life of the script (the fifos are unlinked at once).
# Notifications are then a printf to a fd; requests read their line back.
joblog_connect() {
	_JL_AUTO_FAILED=
	_joblog_connect_ && return 0
	_joblog_down
}

_joblog_connect_() {
	local d
	if _joblog_connected; then
		return 0
	fi
	_JL_FDW=${JOBLOG_FD_W:-8}
	_JL_FDR=${JOBLOG_FD_R:-9}
	_joblog_sockpath
	# Nothing to connect to: fail at once (no socat, no fifos).
	[ -S "$_JL_SOCKPATH" ] || return 1
	d=$(mktemp -d "${TMPDIR:-/tmp}/joblog.XXXXXX") || return 1
	if ! mkfifo "$d/w" "$d/r"; then
		rm -rf "$d"
		return 1
	fi
	# The PIPE trap to restore after each write (see _joblog_write).
	_JL_PIPE_TRAP=
	local t line
	t=$(trap)
	while IFS= read -r line; do
		case $line in *" PIPE" | *" SIGPIPE") _JL_PIPE_TRAP=$line ;; esac
	done <<_JL_EOF_
$t
_JL_EOF_
	# socat is started from a subshell so it is not a child of this shell
	# (a plain `wait` in the job does not wait for it). It inherits neither
	# of our two fds.
	(
		socat -t "${JOBLOG_TIMEOUT:-30}" - "UNIX-CONNECT:$_JL_SOCKPATH" <"$d/w" >"$d/r" 2>/dev/null &
		echo $! >"$d/pid"
	)
	# Each open blocks until socat opened the other end.
	eval "exec ${_JL_FDW}>\"\$d/w\" ${_JL_FDR}<\"\$d/r\""
	IFS= read -r _JL_PPID <"$d/pid"
	rm -rf "$d"
	# Handshake: a ping proves the daemon is there.
	if ! _joblog_request ping; then
		_joblog_drop_conn
		return 1
	fi
	return 0
}

# joblog_disconnect: waits until everything sent is stored (a ping barrier),
# then closes the persistent connection. Safe to call when not connected.
joblog_disconnect() {
	local rc
	rc=0
	if _joblog_connected; then
		_joblog_req ping '{"rejected":true}' || rc=$?
		_joblog_drop_conn
	fi
	return $rc
}

# ---------------------------------------------------------------- raw calls
# joblog_call METHOD [PARAMS_JSON]: any request; the response line is left in
# JOBLOG_RESPONSE (and printed when JOBLOG_PRINT=1).
joblog_call() {
	[ $# -ge 1 ] || { _joblog_warn "usage: joblog_call METHOD [PARAMS_JSON]"; return 2; }
	local rc
	rc=0
	_joblog_request "$1" "${2:-}" || rc=$?
	if [ $rc -eq 1 ]; then
		rc=0
		_joblog_down || rc=$?
	fi
	[ "${JOBLOG_PRINT:-0}" = 1 ] && [ -n "$JOBLOG_RESPONSE" ] && printf '%s\n' "$JOBLOG_RESPONSE"
	return $rc
}

# joblog_notify METHOD [PARAMS_JSON]: any notification.
joblog_notify() {
	[ $# -ge 1 ] || { _joblog_warn "usage: joblog_notify METHOD [PARAMS_JSON]"; return 2; }
	_joblog_notify "{\"jsonrpc\":\"2.0\",\"method\":\"$1\"${2:+,\"params\":}${2:-}}"
}

# _joblog_n METHOD MEMBERS: a notification for the current run (a request
# when JOBLOG_ACK=1: then it waits until stored and reports daemon errors).
_joblog_n() {
	_joblog_runid || { [ "${JOBLOG_STRICT:-0}" = 1 ] && return 2; return 0; }
	# The time of the call, on log and progress methods (not addOutcome).
	_JL_AT=
	[ "$1" = addOutcome ] || _joblog_at
	if [ "${JOBLOG_ACK:-0}" = 1 ]; then
		_joblog_req "$1" "{\"jobRunId\":\"$JOBLOG_RUN_ID\"$_JL_AT${2:+,}${2:-}}"
		return
	fi
	_joblog_notify "{\"jsonrpc\":\"2.0\",\"method\":\"$1\",\"params\":{\"jobRunId\":\"$JOBLOG_RUN_ID\"$_JL_AT${2:+,}${2:-}}}"
}

# ---------------------------------------------------------------- job API
# joblog_start NAME [--trigger=T] [--scope=S] [--algorithm-version=V]
#              [--heartbeat-timeout-ms=N] [k=v | k:=json ...]
# Starts a run (params from k=v, pid = $$), exports JOBLOG_RUN_ID and prints the
# run id on stdout (as `joblog start` does; `>/dev/null` keeps the variable).
# With no daemon it warns once, leaves JOBLOG_RUN_ID unset and returns 0.
joblog_start() {
	local name trigger scope algo hb members
	[ $# -ge 1 ] || { _joblog_warn "usage: joblog_start NAME [k=v...]"; return 2; }
	name=$1
	shift
	trigger=${JOBLOG_TRIGGER:-}
	scope=${JOBLOG_SCOPE:-}
	algo=${JOBLOG_ALGORITHM_VERSION:-}
	hb=${JOBLOG_HEARTBEAT_TIMEOUT_MS:-}
	while [ $# -gt 0 ]; do
		case $1 in
		--trigger=*) trigger=${1#*=} ;;
		--scope=*) scope=${1#*=} ;;
		--algorithm-version=*) algo=${1#*=} ;;
		--heartbeat-timeout-ms=*) hb=${1#*=} ;;
		--) shift; break ;;
		*) break ;;
		esac
		shift
	done
	_joblog_esc "$name"
	members="\"jobName\":$_JL_E"
	if [ -n "$trigger" ]; then _joblog_esc "$trigger"; members="$members,\"trigger\":$_JL_E"; fi
	if [ -n "$scope" ]; then _joblog_esc "$scope"; members="$members,\"scope\":$_JL_E"; fi
	if [ -n "$algo" ]; then _joblog_esc "$algo"; members="$members,\"algorithmVersion\":$_JL_E"; fi
	_joblog_obj "$@" || return 2
	members="$members,\"params\":{$_JL_O},\"pid\":$$"
	if [ -n "$hb" ]; then
		_joblog_int "$hb" || return 2
		members="$members,\"heartbeatTimeoutMs\":$_JL_I"
	fi
	unset JOBLOG_RUN_ID
	_JL_FINISHED=
	_joblog_req startRun "{$members}" || return
	[ -n "$JOBLOG_RESPONSE" ] || return 0
	local r=${JOBLOG_RESPONSE#*'"jobRunId":"'}
	r=${r%%\"*}
	case $r in
	'' | *[!0-9]*)
		_joblog_warn "startRun: unexpected response: $JOBLOG_RESPONSE"
		return 1
		;;
	esac
	JOBLOG_RUN_ID=$r
	export JOBLOG_RUN_ID
	_JL_FINISHED=
	_JL_WARNED=
	_JL_WARNED_RUN=
	_JL_DOWN=
	printf '%s\n' "$r"
	return 0
}

# joblog_stage STAGE [MESSAGE]
joblog_stage() {
	local m
	[ $# -ge 1 ] || { _joblog_warn "usage: joblog_stage STAGE [MESSAGE]"; return 2; }
	_joblog_esc "$1"
	m="\"stage\":$_JL_E"
	if [ $# -ge 2 ]; then
		_joblog_esc "$2"
		m="$m,\"message\":$_JL_E"
	fi
	_joblog_n setStage "$m"
}

# joblog_total N [UNIT]
joblog_total() {
	local m
	[ $# -ge 1 ] || { _joblog_warn "usage: joblog_total N [UNIT]"; return 2; }
	_joblog_int "$1" || return 2
	m="\"total\":$_JL_I"
	if [ $# -ge 2 ]; then
		_joblog_esc "$2"
		m="$m,\"unit\":$_JL_E"
	fi
	_joblog_n setTotal "$m"
}

# joblog_inc [N]   (the daemon's default is 1; nothing is sent for it)
joblog_inc() {
	if [ $# -ge 1 ]; then
		_joblog_int "$1" || return 2
		_joblog_n incrementProgress "\"by\":$_JL_I"
	else
		_joblog_n incrementProgress ""
	fi
}

# joblog_progress N
joblog_progress() {
	[ $# -ge 1 ] || { _joblog_warn "usage: joblog_progress N"; return 2; }
	_joblog_int "$1" || return 2
	_joblog_n setProgress "\"current\":$_JL_I"
}

# joblog_log LEVEL MESSAGE [k=v | k:=json ...]
joblog_log() {
	local level m
	[ $# -ge 2 ] || { _joblog_warn "usage: joblog_log LEVEL MESSAGE [k=v...]"; return 2; }
	level=$1
	case $level in
	debug | info | milestone | warning | error) ;;
	*)
		_joblog_warn "unknown level '$level' (debug, info, milestone, warning, error)"
		return 2
		;;
	esac
	case $2 in *[\"\\$_JL_CTRL]*) _joblog_esc "$2"; m="\"message\":$_JL_E" ;; *) m="\"message\":\"$2\"" ;; esac
	shift 2
	if [ $# -gt 0 ]; then
		_joblog_obj "$@" || return 2
		m="$m,\"context\":{$_JL_O}"
	fi
	_joblog_n "$level" "$m"
}

joblog_debug() { joblog_log debug "$@"; }
joblog_info() { joblog_log info "$@"; }
joblog_milestone() { joblog_log milestone "$@"; }
joblog_warning() { joblog_log warning "$@"; }
joblog_error() { joblog_log error "$@"; }

# joblog_outcome KEY [N]   (N may be negative; default 1, not sent)
joblog_outcome() {
	local m
	[ $# -ge 1 ] || { _joblog_warn "usage: joblog_outcome KEY [N]"; return 2; }
	_joblog_esc "$1"
	m="\"key\":$_JL_E"
	if [ $# -ge 2 ]; then
		_joblog_int "$2" signed || return 2
		m="$m,\"count\":$_JL_I"
	fi
	_joblog_n addOutcome "$m"
}

# _joblog_rq METHOD MEMBERS: a request for the current run (nothing, and 0,
# when joblog_start found no daemon).
_joblog_rq() {
	_joblog_runid || { [ -n "$_JL_DOWN" ] && [ "${JOBLOG_STRICT:-0}" != 1 ] && return 0; return 2; }
	_joblog_req "$1" "{\"jobRunId\":\"$JOBLOG_RUN_ID\"${2:+,}${2:-}}"
}

# joblog_save_outcome: writes the counters into metadata.outcome (request).
joblog_save_outcome() {
	_joblog_rq saveOutcome ""
}

# joblog_summary: saves the outcome and logs the "Summary" milestone (request).
# The response line (with the outcome) is in JOBLOG_RESPONSE.
joblog_summary() {
	_joblog_rq logSummary ""
}

# joblog_finish [STATUS] [ERROR] [STACK]   STATUS: SUCCESS (default), FAILED, CANCELLED
joblog_finish() {
	local status m rc was
	status=${1:-SUCCESS}
	case $status in
	SUCCESS | FAILED | CANCELLED) ;;
	*)
		_joblog_warn "joblog_finish: status must be SUCCESS, FAILED or CANCELLED"
		return 2
		;;
	esac
	m="\"status\":\"$status\""
	if [ -n "${2:-}" ]; then
		_joblog_esc "$2"
		if [ -n "${3:-}" ]; then
			m="$m,\"error\":{\"message\":$_JL_E"
			_joblog_esc "$3"
			m="$m,\"stack\":$_JL_E}"
		else
			m="$m,\"error\":$_JL_E"
		fi
	fi
	_joblog_runid || { [ -n "$_JL_DOWN" ] && [ "${JOBLOG_STRICT:-0}" != 1 ] && return 0; return 2; }
	m="{\"jobRunId\":\"$JOBLOG_RUN_ID\",$m}"
	was=$_JL_PPID
	rc=0
	_joblog_request finishRun "$m" || rc=$?
	if [ $rc -eq 1 ] && [ -n "$was" ] && [ -z "$_JL_PPID" ]; then
		# The persistent connection died under the request (socat killed by
		# a signal to the process group, say): finish over a one-shot
		# connection. If the first attempt did land, this gets -32002.
		rc=0
		_joblog_request finishRun "$m" || rc=$?
	fi
	# Finished (by us or someone else): the exit trap must not finish it again.
	if [ $rc -eq 0 ] || [ "$JOBLOG_ERROR_CODE" = -32002 ]; then
		_JL_FINISHED=1
	fi
	case $rc in
	1) _joblog_down ;;
	3)
		_joblog_warn "finishRun: ${JOBLOG_ERROR_MESSAGE}${JOBLOG_ERROR_CODE:+ ($JOBLOG_ERROR_CODE)}"
		return 3
		;;
	esac
}

# joblog_flush: a ping barrier. Returns 0 once every message sent before it on
# this connection is stored. (In one-shot mode each call is its own
# connection; see README.md, "Ordering".)
joblog_flush() {
	_joblog_req ping '{"rejected":true}'
}

# joblog_cancel_requested: returns 0 once someone asked the run to stop
# (`joblog cancel ID`, cancelRun), else 1; sets JOBLOG_CANCEL_REASON. For loops:
#     while ...; do joblog_cancel_requested && break; ...; done
# It asks the daemon (getRun: one round trip, cheap on a persistent
# connection); once it said yes it stays yes without asking again. A script
# that never asks still stops: the daemon sends SIGTERM (joblog_trap finishes
# the run CANCELLED), then SIGKILL, after the canceller's grace.
joblog_cancel_requested() {
	local r
	[ -n "${_JL_CANCELLED:-}" ] && return 0
	[ -n "${JOBLOG_RUN_ID:-}" ] && [ "$JOBLOG_RUN_ID" != 0 ] || return 1
	_joblog_request getRun "{\"jobRunId\":\"$JOBLOG_RUN_ID\"}" || return 1
	case $JOBLOG_RESPONSE in
	*'"cancelRequestedAt":"'*)
		r=${JOBLOG_RESPONSE#*'"cancelReason":"'}
		case $r in "$JOBLOG_RESPONSE") r= ;; esac
		JOBLOG_CANCEL_REASON=${r%%\"*}
		_JL_CANCELLED=1
		return 0
		;;
	esac
	return 1
}

# joblog_trap: EXIT/INT/TERM traps that finish the run: SUCCESS on exit 0,
# FAILED with "exit code N" otherwise, CANCELLED with "interrupted by SIGINT" /
# "SIGTERM" on a signal (the script then exits 130 / 143). Replaces existing
# EXIT/INT/TERM traps; call joblog_exit_handler from your own trap instead if
# you need one.
joblog_trap() {
	trap 'joblog_exit_handler' EXIT
	trap '_JL_SIG=INT; exit 130' INT
	trap '_JL_SIG=TERM; exit 143' TERM
}

joblog_exit_handler() {
	local rc=$?
	trap - EXIT
	if [ -z "$_JL_FINISHED" ] && [ -n "${JOBLOG_RUN_ID:-}" ]; then
		# A barrier first: everything sent so far is stored before the run
		# is finished, and a connection that died (socat got the signal
		# too) is noticed here, so finishRun goes over a one-shot one.
		if _joblog_connected; then
			_joblog_request ping '{"rejected":true}' || :
		fi
		if [ -n "${_JL_CANCELLED:-}" ]; then
			joblog_finish CANCELLED "Cancelled${JOBLOG_CANCEL_REASON:+: $JOBLOG_CANCEL_REASON}" || :
		elif [ -n "$_JL_SIG" ]; then
			joblog_finish CANCELLED "interrupted by SIG$_JL_SIG" || :
		elif [ "$rc" -ne 0 ]; then
			joblog_finish FAILED "exit code $rc" || :
		else
			joblog_finish SUCCESS || :
		fi
	fi
	joblog_disconnect || :
	exit "$rc"
}
