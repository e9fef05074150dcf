#!/bin/sh
# Runs the whole test suite of the Python client, from any directory.
#   Clients/python/test.sh [pytest args...]
# The live tests need joblogd: $JOBLOGD_BIN,
# else .build/debug/joblogd (they are skipped, with the reason, without one).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-python3}
if ! "$py" -c 'import pytest' >/dev/null 2>&1; then
    # Installing is Scripts/test-all.sh's job (install_missing).
    echo "test.sh: pytest is missing: $py -m pip install pytest (Scripts/test-all.sh does)" >&2
    exit 1
fi
cd "$here"
exec "$py" -m pytest -q -rs -p no:cacheprovider "$@" tests
