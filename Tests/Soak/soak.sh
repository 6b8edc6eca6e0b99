#!/usr/bin/env bash
# Soak test (not part of make test): CLIENTS shell clients cycle attestations through one tsmfs
# mount for DURATION seconds — mkdir, dd a nonce into inblob, read generation, cat outblob,
# check the quote carries the nonce, rmdir — while the daemon's RSS and open descriptors are
# sampled every 10 seconds. Prints a table and a summary; exits 1 if any cycle failed.
#
# Usage: Tests/Soak/soak.sh [DURATION_SECONDS [CLIENTS [PROVIDER]]]    defaults: 600 16 tdx
# Environment: TSMFS (the tsmfs binary; default .build/release/tsmfs)
set -euo pipefail

duration=${1:-600}
clients=${2:-16}
provider=${3:-tdx}
here=$(cd "$(dirname "$0")/../.." && pwd)
tsmfs=${TSMFS:-$here/.build/release/tsmfs}
work=$(mktemp -d /tmp/tsmfs-soak.XXXXXX)
mkdir "$work/mnt" "$work/counts"
cleanup() { "$tsmfs" unmount --lazy "$work/mnt" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"$tsmfs" mount --provider "$provider" --state-dir "$work/state" "$work/mnt"
daemon=$(pgrep -f -- "--ready-fd 3 .*$work/mnt" | head -1)
# Where the nonce sits in the evidence: REPORTDATA of a v4 quote, REPORT_DATA of an SNP report.
case $provider in tdx) offset=568 ;; sev) offset=80 ;; *) offset=64 ;; esac

client() {   # client ID: cycle until the deadline, counting successes and failures
    local id=$1 deadline=$2 cycles=0 errors=0 entry=$work/mnt/tsm/report/soak$1
    local nonce=$work/nonce$id
    while [ "$(date +%s)" -lt "$deadline" ]; do
        head -c 64 /dev/urandom > "$nonce"
        if mkdir "$entry" && dd if="$nonce" of="$entry/inblob" bs=64 count=1 status=none \
           && [ "$(cat "$entry/generation")" = 1 ] \
           && dd if="$entry/outblob" bs=1 skip=$offset count=64 status=none 2>/dev/null | cmp -s - "$nonce" \
           && rmdir "$entry"; then
            cycles=$((cycles + 1))
        else
            errors=$((errors + 1))
            rmdir "$entry" 2>/dev/null || true
        fi
    done
    echo "$cycles $errors" > "$work/counts/$id"
}

deadline=$(( $(date +%s) + duration ))
for id in $(seq 1 "$clients"); do client "$id" "$deadline" & done

printf '%8s %10s %8s\n' seconds rss_kib open_fds
start=$(date +%s)
peak=0
while [ "$(date +%s)" -lt "$deadline" ]; do
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$daemon/status")
    fds=$(ls "/proc/$daemon/fd" | wc -l)
    [ "$rss" -gt "$peak" ] && peak=$rss
    printf '%8d %10d %8d\n' $(( $(date +%s) - start )) "$rss" "$fds"
    sleep 10
done
wait
cycles=$(awk '{c += $1} END {print c}' "$work"/counts/*)
errors=$(awk '{e += $2} END {print e}' "$work"/counts/*)
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$daemon/status")
fds=$(ls "/proc/$daemon/fd" | wc -l)
echo "provider $provider, $clients clients, ${duration}s: $cycles cycles ($(( cycles / duration ))/s), $errors errors," \
     "peak RSS ${peak} KiB, final RSS ${rss} KiB, open fds $fds"
[ "$errors" -eq 0 ]
