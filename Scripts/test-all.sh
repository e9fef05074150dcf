#!/usr/bin/env bash
# Runs every test of joblogd: the Swift package (unit and end-to-end against the
# built daemon), the format lint, the client suites (shell, Python, C) and the
# benchmark harness in its quick mode. Installs what a fresh machine lacks.
# Ends with one line: "N passed, N failed" (suites).
set -u
cd "$(dirname "$0")/.."
root=$(pwd)

passed=0
failed=0
failures=()
step() {
    local name=$1
    shift
    echo
    echo "=== $name"
    if "$@"; then
        passed=$((passed + 1))
        echo "=== $name: ok"
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "=== $name: FAILED"
    fi
}

install_missing() {
    local missing=()
    command -v socat >/dev/null 2>&1 || missing+=(socat)
    [ -f /usr/include/jansson.h ] || missing+=(libjansson-dev)
    [ -f /usr/include/sqlite3.h ] || missing+=(libsqlite3-dev)
    command -v tmux >/dev/null 2>&1 || missing+=(tmux)
    command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
    command -v dash >/dev/null 2>&1 || missing+=(dash)
    command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
    # systemd-socket-activate and systemd-analyze, for the service tests (a package, not a running systemd).
    command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
    command -v cc >/dev/null 2>&1 || missing+=(gcc)
    command -v make >/dev/null 2>&1 || missing+=(make)
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
    # The benchmark's instruction counts (callgrind) strip a copy of the daemon and build a preload shim.
    command -v objcopy >/dev/null 2>&1 || missing+=(binutils)
    # PostgreSQL's server programs, for the PostgreSQL store's tests (a private cluster, see start_postgres).
    pg_bin >/dev/null || missing+=(postgresql)
    if [ ${#missing[@]} -gt 0 ]; then
        if [ "$(id -u)" = 0 ]; then
            echo "installing: ${missing[*]}"
            (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null 2>&1 ||
                { echo "apt-get install ${missing[*]} failed"; return 1; }
        else
            echo "missing: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}"
            return 1
        fi
    fi
    python3 -c 'import pytest' 2>/dev/null || python3 -m pip install -q pytest || return 1
    python3 -c 'import jsonschema' 2>/dev/null || python3 -m pip install -q jsonschema || return 1
    python3 -c 'import selenium' 2>/dev/null || python3 -m pip install -q selenium || return 1
    python3 -c 'import yaml' 2>/dev/null || python3 -m pip install -q PyYAML || return 1
    command -v schemathesis >/dev/null 2>&1 || python3 -m pip install -q schemathesis || return 1
}

# The directory of PostgreSQL's server programs (Debian keeps them off PATH).
pg_bin() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) "$(dirname "$(command -v initdb 2>/dev/null || echo /none/x)")"; do
        [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
    done
    return 1
}

# A private PostgreSQL cluster in a temporary directory on a free loopback port, as an unprivileged
# user (initdb refuses root); the tests find it through JOBLOG_TEST_POSTGRES_URL. Stopped at exit.
pg_dir=""
pg_user=""
start_postgres() {
    local bin port
    bin=$(pg_bin) || { echo "no initdb/pg_ctl"; return 1; }
    pg_dir=$(mktemp -d /tmp/joblog-ci-pg.XXXXXX)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    if [ "$(id -u)" = 0 ]; then
        pg_user=postgres
        id -u postgres >/dev/null 2>&1 || pg_user=nobody
        chown "$pg_user" "$pg_dir"
    fi
    as_pg "$bin/initdb" -D "$pg_dir/data" -U joblog --auth=trust -E UTF8 --locale=C -N >"$pg_dir/initdb.log" 2>&1 ||
        { cat "$pg_dir/initdb.log"; return 1; }
    as_pg "$bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
        -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start \
        >/dev/null || { cat "$pg_dir/server.log"; return 1; }
    export JOBLOG_TEST_POSTGRES_URL="postgres://joblog@127.0.0.1:$port/postgres"
    echo "PostgreSQL on 127.0.0.1:$port ($pg_dir)"
}
as_pg() {
    if [ -n "$pg_user" ]; then runuser -u "$pg_user" -- "$@"; else "$@"; fi
}
stop_postgres() {
    [ -n "$pg_dir" ] || return 0
    as_pg "$(pg_bin)/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1
    rm -rf "$pg_dir"
    pg_dir=""
}
trap stop_postgres EXIT

step "dependencies" install_missing
step "postgres: a private cluster for the PostgreSQL store's tests" start_postgres
step "swift build" swift build --build-tests
export JOBLOGD_BIN="$root/.build/debug/joblogd"
# The fleet suites (several daemons, a database restart, copy-store of 1,000,000 rows, TLS) run on their
# own, one test at a time: they wait on processes and threads, and beside the other suites on a
# 2-core machine they would hold the test process's few concurrency threads for minutes.
fleet_suites='CopyStore|CrossNode|DatabaseRestart|Fleet(LeaseFlag|NodeDeath|TwoNodes)Tests|PostgresTLSTests'
step "swift test" swift test --skip-build --skip "$fleet_suites"
step "swift test: the fleet suites on PostgreSQL, one at a time" \
    swift test --skip-build --no-parallel --filter "$fleet_suites"
step "install and uninstall scripts in a DESTDIR" bash Scripts/test-install.sh
step "DocC: JobLogClient documentation, broken links fail" swift package --disable-sandbox generate-documentation \
    --target JobLogClient --warnings-as-errors --output-path "$root/.build/docc"
step "swift format lint" swift format lint --strict -r Sources Tests Examples Package.swift
for client in shell python c; do
    if [ -x "Clients/$client/test.sh" ] || [ -f "Clients/$client/test.sh" ]; then
        step "client: $client" bash "Clients/$client/test.sh"
    fi
done
step "spec: openrpc.json against code, vectors and the live daemon" bash Spec/test.sh
step "conformance replay (Python replayer)" python3 Spec/conformance_replay.py --daemon "$JOBLOGD_BIN"
step "adversarial probes" python3 Scripts/adversarial.py --daemon "$JOBLOGD_BIN"
step "http: endpoints equal the socket, openapi.yaml via schemathesis" bash Spec/http_test.sh
step "browser: the web UI in headless chromium (screenshots in .build/browser-artifacts)" \
    env JOBLOG_BROWSER_ARTIFACTS="$root/.build/browser-artifacts" python3 -m pytest -q Tests/Browser
# The PostgreSQL store: the conformance vectors, the Spec's live checks, the Python client and the
# Swift end-to-end suites again, each test daemon on a fresh database of the private cluster
# (JOBLOG_TEST_STORE=postgres; TestDaemon and Spec/conformance_replay.py read it). Suites about the
# SQLite file itself skip on it with the reason (TestDaemon.sqliteOnlyReason).
# Every end-to-end suite (the real daemon over its socket): EndToEndTests, the CLI, the Swift
# client's job runner, the HTTP daemon tests. The Postgres* and fleet suites already ran above (they
# name their own databases).
pg_suites='EndToEndTests|CLITests|JobLogClientTests|DaemonHTTPTests|DaemonCancelTests'
pg_skip="PostgresStoreTests|PostgresNodeTests|$fleet_suites"
if [ -n "${JOBLOG_TEST_POSTGRES_URL:-}" ]; then
    step "postgres: conformance replay (Python replayer)" \
        python3 Spec/conformance_replay.py --daemon "$JOBLOGD_BIN" --postgres "$JOBLOG_TEST_POSTGRES_URL"
    step "postgres: spec live checks" env JOBLOG_TEST_STORE=postgres bash Spec/test.sh
    step "postgres: client: python" env JOBLOG_TEST_STORE=postgres bash Clients/python/test.sh
    step "postgres: swift end-to-end suites" \
        env JOBLOG_TEST_STORE=postgres swift test --skip-build --filter "$pg_suites" --skip "$pg_skip"
fi
if [ -f Sources/joblog-bench/Bench.swift ]; then
    step "benchmark (quick mode)" "$root/.build/debug/joblog-bench" --quick --joblogd "$JOBLOGD_BIN"
    if [ -n "${JOBLOG_TEST_POSTGRES_URL:-}" ]; then
        step "benchmark (quick mode, PostgreSQL store)" "$root/.build/debug/joblog-bench" --quick \
            --joblogd "$JOBLOGD_BIN" --store "$JOBLOG_TEST_POSTGRES_URL"
    fi
fi

echo
if [ ${#failures[@]} -gt 0 ]; then echo "failed: ${failures[*]}"; fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
