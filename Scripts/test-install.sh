#!/usr/bin/env bash
# Checks Scripts/install.sh and Scripts/uninstall.sh in a temporary DESTDIR, with the binaries
# already built (JOBLOGD_BIN's directory, default .build/debug): system and --user installs,
# the units' ExecStart pointed at the prefix, modes, --version, and a clean uninstall.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(dirname "${JOBLOGD_BIN:-$PWD/.build/debug/joblogd}")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
fail() { echo "test-install: $*" >&2; exit 1; }

DESTDIR="$stage/sys" bash Scripts/install.sh --binaries "$bin" --prefix /opt/joblogd >"$stage/out" 2>&1 ||
    { cat "$stage/out"; fail "system install failed"; }
s="$stage/sys"
for f in opt/joblogd/bin/joblogd opt/joblogd/bin/joblog; do
    [ -x "$s/$f" ] || fail "$f missing or not executable"
    [ "$(stat -c %a "$s/$f")" = 755 ] || fail "$f mode $(stat -c %a "$s/$f")"
done
for u in joblogd.socket joblogd.service; do
    [ "$(stat -c %a "$s/opt/joblogd/lib/systemd/system/$u")" = 644 ] || fail "$u missing or not 0644"
done
grep -q '^ExecStart=/opt/joblogd/bin/joblogd ' "$s/opt/joblogd/lib/systemd/system/joblogd.service" ||
    fail "ExecStart not pointed at the prefix"
grep -q '^ListenStream=/run/joblogd/joblogd.sock$' "$s/opt/joblogd/lib/systemd/system/joblogd.socket" ||
    fail "socket path"
v1=$("$s/opt/joblogd/bin/joblogd" --version) || fail "joblogd --version failed"
v2=$("$s/opt/joblogd/bin/joblog" --version) || fail "joblog --version failed"
[ -n "$v1" ] && [ "$v1" = "$v2" ] || fail "versions differ: joblogd $v1, joblog $v2"
[ -z "$(find "$s" -path "$s/opt" -prune -o -type f -print)" ] || fail "files outside the prefix: $(find "$s" -type f)"

home="$stage/home"
mkdir -p "$home"
HOME="$home" XDG_DATA_HOME="" DESTDIR="$stage/usr" bash Scripts/install.sh --user --binaries "$bin" \
    >"$stage/out" 2>&1 || { cat "$stage/out"; fail "--user install failed"; }
u="$stage/usr$home"
[ -x "$u/.local/bin/joblogd" ] && [ -x "$u/.local/bin/joblog" ] || fail "--user binaries"
grep -q "^ExecStart=$home/.local/bin/joblogd --socket %t/joblogd.sock$" \
    "$u/.local/share/systemd/user/joblogd.service" || fail "--user ExecStart"
grep -q '^ListenStream=%t/joblogd.sock$' "$u/.local/share/systemd/user/joblogd.socket" || fail "--user socket"

DESTDIR="$stage/sys" bash Scripts/uninstall.sh --prefix /opt/joblogd >/dev/null
HOME="$home" XDG_DATA_HOME="" DESTDIR="$stage/usr" bash Scripts/uninstall.sh --user >/dev/null
left=$(find "$stage/sys" "$stage/usr" -type f)
[ -z "$left" ] || fail "left after uninstall: $left"

if bash Scripts/install.sh --bogus >/dev/null 2>&1; then fail "an unknown argument was accepted"; fi
echo "test-install: ok (system and --user installs staged, versions $v1, uninstalled cleanly)"
