#!/usr/bin/env bash
# Checks Spec/openrpc.json against Method.swift, PROTOCOL.md and the conformance
# vectors; with JOBLOGD_BIN set to a daemon binary, also against a live daemon.
# Usage: Spec/test.sh [pytest args...]   (from any directory)
set -eu
cd "$(dirname "$0")/.."
if ! python3 -c 'import jsonschema, pytest' 2>/dev/null; then
    echo "Spec/test.sh: needs the Python packages jsonschema and pytest:" \
        "python3 -m pip install jsonschema pytest (Scripts/test-all.sh does)" >&2
    exit 1
fi
export PYTHONDONTWRITEBYTECODE=1
exec python3 -m pytest -q -rs -p no:cacheprovider Spec/tests "$@"
