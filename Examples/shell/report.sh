#!/bin/sh
# A shell job that reports its stages, progress, logs and outcome to joblogd.
# `joblog run` starts the run, exports JOBLOG_RUN_ID and JOBLOG_SOCKET, and
# finishes the run with the script's exit code (and writes the summary):
#
#     joblog run --name log-report --param dir=/var/log -- sh Examples/shell/report.sh /var/log
#
# Every `joblog` call returns once the daemon has stored it; under `set -e` a
# refused call stops the script. REPORT_DELAY=1 slows it down, to watch it
# with `joblog watch`.
set -eu
dir=${1:-.}
delay=${REPORT_DELAY:-0}

joblog stage "Scanning" "Looking for *.log files in $dir"
count=$(($(find "$dir" -maxdepth 1 -type f -name '*.log' | wc -l)))
joblog total "$count" files
joblog milestone "Found $count log files" --ctx dir="$dir" --ctx count="$count"

joblog stage "Summarizing"
find "$dir" -maxdepth 1 -type f -name '*.log' | sort | while IFS= read -r file; do
	lines=$(($(wc -l <"$file")))
	if [ "$lines" -gt 0 ]; then
		errors=$(grep -ci error "$file" || true)
		joblog info "Summarized $(basename "$file")" --ctx file="$file" --ctx lines="$lines" --ctx errors="$errors"
		joblog outcome summarized
	else
		joblog warning "Empty log file $(basename "$file")" --ctx file="$file"
		joblog outcome empty
	fi
	joblog inc
	sleep "$delay"
done

joblog milestone "Report complete"
