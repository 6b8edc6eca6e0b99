#!/usr/bin/env bash
# Fault injection: what clients see when the host or firmware misbehaves, configured per mount.
# Each case mounts tsmfs with one fault switch and shows the error of the first outblob read,
# as the kernel reports it (the fault tables of docs/providers/ give the kernel behaviour each mirrors).
#
# Usage: examples/fault-injection.sh     (needs root and /dev/fuse)
set -euo pipefail
source "$(dirname "$0")/example-workspace.sh" faults

expect() {   # expect PROVIDER "SETTING" "EXPECTED ERROR TEXT"
    local provider=$1 setting=$2 expected=$3
    printf '[tsmfs]\nprovider = "%s"\nstate_dir = "%s"\n[%s]\n%s\n' "$provider" "$work/state" "$provider" "$setting" \
        > "$work/tsmfs.toml"
    "$tsmfs" mount --config "$work/tsmfs.toml" "$work/mnt"
    local report=$work/mnt/tsm/report/r
    mkdir "$report"
    head -c 64 /dev/zero > "$report/inblob"
    local result
    result=$(cat "$report/outblob" 2>&1 >/dev/null || true)
    "$tsmfs" unmount "$work/mnt"
    case $result in
        *"$expected"*) echo "$provider with $setting: cat: $expected" ;;
        *) echo "$provider with $setting: expected '$expected', got '$result'" >&2; exit 1 ;;
    esac
}

expect tdx 'quote_service = "unavailable"' "Input/output error"
expect tdx 'quote_timeout = true' "Input/output error"
expect sev 'invalid_params = true' "Invalid argument"
expect sev 'vmpck_disabled = true' "Inappropriate ioctl for device"
expect sev 'host_busy = true' "Connection timed out"
expect echo 'fail_with = "EBUSY"' "Device or resource busy"
echo "every fault reached the client as the kernel would report it"
