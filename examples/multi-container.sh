#!/usr/bin/env bash
# Several containers attesting at once through one tsmfs mount: each bubblewrap container creates
# its own report entry, writes its own nonce and checks that the quote it reads carries that nonce
# and that the generation counted exactly its own write — entries are isolated even under
# concurrency. Then two containers each get their own tsmfs instance (their own simulated
# identity and keys) with one command each: tsmfs exec ... -- bwrap ...
#
# Usage: examples/multi-container.sh [CONTAINERS]   (default 4; needs root, /dev/fuse and bwrap)
set -euo pipefail
source "$(dirname "$0")/example-workspace.sh" multi
containers=${1:-4}

container() {   # container NAME CONFIG_ROOT
    bwrap --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64 \
          --proc /proc --dev /dev --tmpfs /tmp --tmpfs /sys --dir /sys/kernel \
          --bind "$2" /sys/kernel/config --unshare-pid -- /bin/bash -ec '
        report=/sys/kernel/config/tsm/report/'"$1"'
        mkdir $report
        head -c 64 /dev/urandom > /tmp/nonce
        dd if=/tmp/nonce of=$report/inblob bs=64 count=1 status=none
        [ "$(cat $report/generation)" = 1 ] || { echo "'"$1"': generation moved by someone else" >&2; exit 1; }
        dd if=$report/outblob bs=1 skip=568 count=64 status=none | cmp -s - /tmp/nonce \
            || { echo "'"$1"': quote is not for this nonce" >&2; exit 1; }
        [ "$(cat $report/generation)" = 1 ] || { echo "'"$1"': reading moved the generation" >&2; exit 1; }
        rmdir $report
        echo "'"$1"': own entry, own nonce, generation 1"'
}

"$tsmfs" mount --provider tdx --state-dir "$work/state" -o allow_other "$work/mnt"
pids=()
for index in $(seq 1 "$containers"); do
    container "container$index" "$work/mnt" & pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
echo "$containers containers attested concurrently through one mount"

# One instance per container: its own state directory, hence its own simulated platform keys.
for index in 1 2; do
    "$tsmfs" exec --provider tdx --state-dir "$work/state-$index" -- \
        bash -c "$(declare -f container); container own$index /sys/kernel/config"
    "$tsmfs" roots --provider tdx --state-dir "$work/state-$index" --out "$work/roots-$index"
done
if cmp -s "$work/roots-1/intel-sgx-root-ca.der" "$work/roots-2/intel-sgx-root-ca.der"; then
    echo "two instances share a root of trust" >&2; exit 1
fi
echo "two per-container instances, each with its own simulated root of trust"
