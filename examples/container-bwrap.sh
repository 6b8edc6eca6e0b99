#!/usr/bin/env bash
# A container getting its own TDX quote through a bind mount: tsmfs is mounted once on the host
# with -o allow_other at a config-root directory, and a bubblewrap container sees that directory
# at /sys/kernel/config, where unmodified clients look. Inside, root takes a quote the kernel
# documentation's way, and an unprivileged user can read evidence but not request it (EACCES on
# inblob), as with the kernel's configfs. Docker and podman take the same bind:
#     docker run -v DIR:/sys/kernel/config ...   podman run -v DIR:/sys/kernel/config ...
#
# Usage: examples/container-bwrap.sh      (needs root, /dev/fuse and bwrap)
set -euo pipefail
source "$(dirname "$0")/example-workspace.sh" container

set -x
"$tsmfs" mount --provider tdx --state-dir "$work/state" -o allow_other "$work/mnt"
bwrap --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64 \
      --proc /proc --dev /dev --tmpfs /tmp --tmpfs /sys --dir /sys/kernel \
      --bind "$work/mnt" /sys/kernel/config --unshare-pid --unshare-uts --hostname container \
      -- /bin/bash -ec '
    report=/sys/kernel/config/tsm/report/$(hostname)
    mkdir $report
    cat $report/provider
    head -c 64 /dev/urandom > /tmp/nonce
    dd if=/tmp/nonce of=$report/inblob bs=64 count=1 status=none
    cat $report/generation
    hexdump -C -n 48 $report/outblob
    dd if=$report/outblob bs=1 skip=568 count=64 status=none | cmp - /tmp/nonce
    echo "REPORTDATA is this container'"'"'s nonce"
    setpriv --reuid=65534 --regid=65534 --clear-groups head -c 4 $report/outblob | hexdump -C
    if setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "printf x > $report/inblob" 2>/dev/null; then
        echo "an unprivileged user could write inblob" >&2; exit 1
    fi
    echo "unprivileged user: outblob readable, inblob refused (EACCES)"
    rmdir $report'
{ set +x; } 2>/dev/null
