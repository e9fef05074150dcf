#!/usr/bin/env bash
# Checks Spec/openrpc.json against Method.swift, PROTOCOL.md and the conformance
# vectors; with JOBLOGD_BIN set to a daemon binary, also against a live daemon.
# Usage: Spec/test.sh [pytest args...]   (from any directory)
set -eu
cd "$(dirname "$0")/.."
if ! python3 -c 'import jsonschema, pytest' 2>/dev/null; then
    python3 -m pip install -q jsonschema pytest
fi
export PYTHONDONTWRITEBYTECODE=1
exec python3 -m pytest -q -rs -p no:cacheprovider Spec/tests "$@"
