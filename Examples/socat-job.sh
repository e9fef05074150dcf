#!/bin/sh
# A complete job reported with nothing but printf and socat.
S=${JOBLOG_SOCKET:-/tmp/joblogd-$(id -u).sock}
rpc() { printf '%s\n' "$1" | socat - "UNIX-CONNECT:$S"; }

# startRun is a request: its answer carries the run id.
ID=$(rpc '{"jsonrpc":"2.0","id":1,"method":"startRun","params":{"jobName":"backup","params":{"target":"/srv"},"pid":'$$'}}' |
    sed 's/.*"jobRunId":"\([0-9]*\)".*/\1/')
echo "run id: $ID"

rpc '{"jsonrpc":"2.0","method":"setStage","params":{"jobRunId":'$ID',"stage":"Copying"}}'
rpc '{"jsonrpc":"2.0","method":"setTotal","params":{"jobRunId":'$ID',"total":3,"unit":"files"}}'
for f in a b c; do
    rpc '{"jsonrpc":"2.0","method":"info","params":{"jobRunId":'$ID',"message":"copied '$f'","context":{"file":"'$f'"}}}'
    rpc '{"jsonrpc":"2.0","method":"incrementProgress","params":{"jobRunId":'$ID'}}'
    rpc '{"jsonrpc":"2.0","method":"addOutcome","params":{"jobRunId":'$ID',"key":"copied"}}'
done
rpc '{"jsonrpc":"2.0","id":2,"method":"logSummary","params":{"jobRunId":'$ID'}}' >/dev/null
rpc '{"jsonrpc":"2.0","id":3,"method":"finishRun","params":{"jobRunId":'$ID',"status":"SUCCESS"}}'
