#!/usr/bin/env bash
# Removes what Scripts/install.sh installed: stops and disables the units, removes them and
# the binaries. Keeps the runs (the database) and the joblog group unless --purge.
#
#   sudo Scripts/uninstall.sh [--prefix DIR] [--purge]
#   Scripts/uninstall.sh --user [--prefix DIR] [--purge]
#   DESTDIR=/stage (environment): remove from a staged tree; systemd is not told
set -euo pipefail

user=0
prefix=""
purge=0
while [ $# -gt 0 ]; do
    case "$1" in
    --user) user=1 ;;
    --prefix) prefix=${2:?--prefix needs a directory}; shift ;;
    --prefix=*) prefix=${1#--prefix=} ;;
    --purge) purge=1 ;;
    -h | --help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "uninstall.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
    esac
    shift
done
destdir=${DESTDIR:-}

if [ "$user" = 1 ]; then
    : "${HOME:?HOME is not set}"
    [ -n "$prefix" ] || prefix="$HOME/.local"
    unitdir="${XDG_DATA_HOME:-$HOME/.local/share}/systemd/user"
    systemctl=(systemctl --user)
    data="${XDG_DATA_HOME:-$HOME/.local/share}/joblogd"
else
    [ -n "$prefix" ] || prefix=/usr/local
    if [ "$prefix" = /usr ]; then unitdir=/usr/lib/systemd/system; else unitdir="$prefix/lib/systemd/system"; fi
    systemctl=(systemctl)
    data="/var/lib/private/joblogd /var/lib/joblogd"
    if [ -z "$destdir" ] && [ "$(id -u)" != 0 ]; then
        echo "uninstall.sh: a system uninstall needs root (sudo $0), or use --user, or DESTDIR=" >&2
        exit 77
    fi
fi

live=0
if [ -z "$destdir" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then live=1; fi
if [ "$live" = 1 ]; then
    "${systemctl[@]}" disable --now joblogd.socket joblogd.service 2>/dev/null || true
fi
rm -f "$destdir$unitdir/joblogd.socket" "$destdir$unitdir/joblogd.service"
rm -f "$destdir$prefix/bin/joblogd" "$destdir$prefix/bin/joblog"
echo "removed the units from $destdir$unitdir and the binaries from $destdir$prefix/bin"
if [ "$live" = 1 ]; then "${systemctl[@]}" daemon-reload || true; fi

if [ "$purge" = 1 ]; then
    for d in $data; do rm -rf "$destdir$d"; done
    if [ "$user" = 0 ] && [ -z "$destdir" ] && getent group joblog >/dev/null; then groupdel joblog; fi
    echo "purged the runs ($data)"
else
    echo "kept the runs ($data) and the joblog group; --purge removes them"
fi
