#!/bin/sh
# The user-sync scenario (Spec/scenario/USER-SYNC.md), call for call.
# Prints the run id on stdout (joblog_start does). Runs under sh/dash and bash.
#   JOBLOG_SOCKET=/path/to/sock sh Clients/shell/examples/user_sync.sh
#   JOBLOG_PERSISTENT=1 ... to send everything over one connection.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../joblog.sh"

# 1. startRun (request)
joblog_start user-sync --trigger=MANUAL --scope=system --algorithm-version=v1 batchSize:=10
# 2-7.
joblog_stage "Initializing"
joblog_info "Job started" batchSize:=10
joblog_stage "Loading users" "Loading from database"
joblog_total 10 users
joblog_milestone "Found 10 users to sync" found:=10
joblog_stage "Syncing users"
# 8.
synced=0
failed=0
i=1
while [ "$i" -le 10 ]; do
	joblog_debug "Syncing user $i" userId="$i"
	if [ "$i" -eq 4 ]; then
		joblog_outcome errors 1
		joblog_error "Failed to sync user 4" userId=4 error="Network timeout"
		failed=$((failed + 1))
	else
		joblog_outcome synced 1
		synced=$((synced + 1))
	fi
	if [ "$i" -eq 7 ]; then
		joblog_warning "User has invalid data" userId=7
	fi
	joblog_inc
	if [ $((i % 5)) -eq 0 ]; then
		joblog_info "Progress: $i/10" synced:=$synced failed:=$failed
	fi
	i=$((i + 1))
done
# 9-12.
joblog_stage "Finalizing"
joblog_milestone "Sync complete" total:=10 synced:=$synced failed:=$failed
joblog_summary
joblog_finish SUCCESS
joblog_disconnect
