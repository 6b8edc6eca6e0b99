#!/usr/bin/env bash
# The configfs-tsm flow from the kernel's documentation (Documentation/ABI/testing/configfs-tsm-report),
# run against a tsmfs mount: create a report entry, write a 64-byte nonce to inblob, read the
# evidence from outblob, check that reading did not move the generation, remove the entry.
#
# Usage: examples/kernel-doc-flow.sh [CONFIG_ROOT]
#   CONFIG_ROOT is where tsmfs is mounted (default /sys/kernel/config).
set -euo pipefail

config_root=${1:-/sys/kernel/config}
report=$config_root/tsm/report/example-$$
nonce=$(mktemp)
trap 'rm -f "$nonce"; [ -d "$report" ] && rmdir "$report"' EXIT

if [ ! -d "$config_root/tsm/report" ]; then
    echo "kernel-doc-flow: no configfs-tsm at $config_root (mount tsmfs there first)" >&2
    exit 1
fi

set -x
mkdir "$report"
cat "$report/provider"
cat "$report/generation"
head -c 64 /dev/urandom > "$nonce"
dd if="$nonce" of="$report/inblob" bs=64 count=1 status=none
cat "$report/generation"
hexdump -C "$report/outblob"
cat "$report/generation"
rmdir "$report"
{ set +x; } 2>/dev/null
