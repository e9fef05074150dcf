#!/bin/sh
# Reporting without `joblog run`: the script starts and finishes its own run
# (for a script that cannot be wrapped, e.g. one sourced by another).
#
#     sh Examples/shell/standalone.sh /srv/backups
#
# The EXIT trap writes the summary and finishes the run whichever way the
# script ends: SUCCESS, CANCELLED on SIGINT/SIGTERM, FAILED otherwise. Without
# a daemon, `joblog start` fails (one message) and run id 0 makes every other
# `joblog` call do nothing.
set -eu
dir=${1:-.}

JOBLOG_RUN_ID=$(joblog start checksum --pid $$ --param dir="$dir") || JOBLOG_RUN_ID=0
export JOBLOG_RUN_ID
finish() {
	code=$?
	trap - EXIT
	trap '' INT TERM # let the reporting below complete
	joblog summary || true
	case $code in
	0) joblog finish ;;
	130 | 143) joblog finish --status CANCELLED --error "interrupted (exit code $code)" ;;
	*) joblog finish --error "exit code $code" ;;
	esac
	exit "$code"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

joblog stage "Listing" "Listing the files of $dir"
if [ ! -d "$dir" ]; then
	joblog error "No such directory" --ctx dir="$dir"
	exit 2
fi
files=$(find "$dir" -maxdepth 1 -type f | sort)
joblog total "$(printf '%s' "$files" | grep -c '' || true)" files

joblog stage "Checksumming"
printf '%s\n' "$files" | while IFS= read -r file; do
	[ -n "$file" ] || continue
	sum=$(cksum <"$file" | cut -d' ' -f1)
	joblog debug "Checksummed $(basename "$file")" --ctx file="$file" --ctx cksum="$sum"
	joblog outcome checked
	joblog inc
done
