#!/usr/bin/env bash
# Runs a command with tsmfs at the canonical path /sys/kernel/config, on a host that has no
# configfs there, without touching the host: a private mount namespace gets a tmpfs over
# /sys/kernel, an empty /sys/kernel/config, and tsmfs mounted on it. Everything disappears
# when the command exits; its exit status is passed through. Needs root (or CAP_SYS_ADMIN).
#
# Usage: examples/canonical-path.sh [TSMFS_MOUNT_OPTIONS…] -- COMMAND [ARGS…]
#   e.g. examples/canonical-path.sh --provider echo -- hexdump -C /sys/kernel/config/tsm/report/r/outblob
set -euo pipefail

tsmfs=${TSMFS:-tsmfs}
options=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do options+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "usage: $0 [tsmfs mount options] -- command [args]" >&2; exit 2; }

exec unshare --mount --propagation private -- bash -ec '
    tsmfs=$1; shift
    count=$1; shift
    options=("${@:1:$count}"); shift "$count"
    mount -t tmpfs -o mode=0755 tsmfs-sys-kernel /sys/kernel
    mkdir /sys/kernel/config
    "$tsmfs" mount "${options[@]}" /sys/kernel/config
    status=0
    "$@" || status=$?
    "$tsmfs" unmount --lazy /sys/kernel/config
    exit $status
' canonical-path "$tsmfs" "${#options[@]}" "${options[@]}" "$@"
