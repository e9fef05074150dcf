#!/usr/bin/env bash
# Installs joblogd and joblog with their systemd units.
#
#   sudo Scripts/install.sh            system instance: /usr/local/bin, units in
#                                      /usr/local/lib/systemd/system, a `joblog` group
#   Scripts/install.sh --user          user instance, no root: ~/.local/bin, units in
#                                      ~/.local/share/systemd/user
# Options:
#   --prefix DIR      install binaries into DIR/bin (default /usr/local, or ~/.local with --user)
#   --binaries DIR    take joblogd and joblog from DIR instead of building them
#   DESTDIR=/stage    (environment) stage everything under /stage, for packaging and tests:
#                     no group is created and systemd is not told
# Without --binaries it builds a release with the Swift runtime linked in statically
# (`swift build -c release --static-swift-stdlib`), so the binaries run without a Swift toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

user=0
prefix=""
binaries=""
while [ $# -gt 0 ]; do
    case "$1" in
    --user) user=1 ;;
    --prefix) prefix=${2:?--prefix needs a directory}; shift ;;
    --prefix=*) prefix=${1#--prefix=} ;;
    --binaries) binaries=${2:?--binaries needs a directory}; shift ;;
    --binaries=*) binaries=${1#--binaries=} ;;
    -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
    esac
    shift
done
destdir=${DESTDIR:-}

if [ "$user" = 1 ]; then
    : "${HOME:?HOME is not set}"
    [ -n "$prefix" ] || prefix="$HOME/.local"
    unitdir="${XDG_DATA_HOME:-$HOME/.local/share}/systemd/user"
    units="$root/Scripts/systemd/user"
else
    [ -n "$prefix" ] || prefix=/usr/local
    if [ "$prefix" = /usr ]; then unitdir=/usr/lib/systemd/system; else unitdir="$prefix/lib/systemd/system"; fi
    units="$root/Scripts/systemd"
    if [ -z "$destdir" ] && [ "$(id -u)" != 0 ]; then
        echo "install.sh: a system install needs root (sudo $0), or use --user, or DESTDIR=" >&2
        exit 77
    fi
fi

if [ -z "$binaries" ]; then
    echo "building a release (static Swift runtime)..."
    swift build -c release --static-swift-stdlib --product joblogd
    swift build -c release --static-swift-stdlib --product joblog
    binaries=$(swift build -c release --show-bin-path)
fi
for b in joblogd joblog; do
    [ -x "$binaries/$b" ] || { echo "install.sh: no $binaries/$b" >&2; exit 66; }
done

bindir="$prefix/bin"
install -d -m 0755 "$destdir$bindir" "$destdir$unitdir"
install -m 0755 "$binaries/joblogd" "$destdir$bindir/joblogd"
install -m 0755 "$binaries/joblog" "$destdir$bindir/joblog"
echo "installed $destdir$bindir/joblogd and joblog ($("$destdir$bindir/joblogd" --version))"

# The units name /usr/local/bin (system) or %h/.local/bin (user): point them at $bindir.
for unit in joblogd.socket joblogd.service; do
    sed -e "s#/usr/local/bin/joblogd#$bindir/joblogd#g" -e "s#%h/.local/bin/joblogd#$bindir/joblogd#g" \
        "$units/$unit" >"$destdir$unitdir/$unit.tmp"
    chmod 0644 "$destdir$unitdir/$unit.tmp"
    mv "$destdir$unitdir/$unit.tmp" "$destdir$unitdir/$unit"
done
echo "installed $destdir$unitdir/joblogd.socket and joblogd.service"

if [ -n "$destdir" ]; then
    echo "staged under $destdir: create the joblog group (system instance) and reload systemd on the target"
    exit 0
fi
if [ "$user" = 0 ] && ! getent group joblog >/dev/null; then
    groupadd --system joblog
    echo "created the group joblog: add the users whose jobs report (usermod -aG joblog NAME)"
fi
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    if [ "$user" = 1 ]; then
        systemctl --user daemon-reload || true
        echo "next: systemctl --user enable --now joblogd.socket"
    else
        systemctl daemon-reload
        echo "next: systemctl enable --now joblogd.socket"
    fi
else
    echo "systemd is not running here: start joblogd by hand, or reload systemd where it runs"
fi
