#!/usr/bin/env bash
# A container whose attestation agent uses the TDX *device* path: Intel's libtdx_attest (DCAP, from
# the dk-tee-attestation wheel) opens /dev/tdx_guest for a TDREPORT, extends RTMR 2 and 3 through
# /sys/class/misc/tdx_guest/measurements, then takes a quote through configfs-tsm. The host mounts
# tsmfs once with --devices; the container gets each piece bound at the kernel's path:
#     DIR/dev/tdx_guest                          -> /dev/tdx_guest
#     DIR/sys/devices/virtual/misc/tdx_guest     -> /sys/devices/virtual/misc/tdx_guest
#     the link /sys/class/misc/tdx_guest -> ../../devices/virtual/misc/tdx_guest
#     MOUNTPOINT (the configfs root)             -> /sys/kernel/config
# The quote is then verified on the host with dcap-qvl against the exported simulated roots.
#
# Usage: examples/container-devices-bwrap.sh      (needs root, /dev/fuse, bwrap and PyPI once)
set -euo pipefail
source "$(dirname "$0")/example-workspace.sh" devices
needs_verifiers dk_tee_attestation dk-tee-attestation

set -x
"$tsmfs" mount --provider tdx --state-dir "$work/state" --devices "$work/devices" -o allow_other "$work/mnt"
"$tsmfs" roots --provider tdx --state-dir "$work/state" --out "$work/trust" >/dev/null
"$tsmfs" collateral --provider tdx --state-dir "$work/state" --out "$work/trust" >/dev/null
misc=sys/devices/virtual/misc/tdx_guest
# The container's /tmp is its own: bind back the project and the python environment wherever they are.
environment=$(cd "$(dirname "$python")/.." && pwd)
bwrap --ro-bind / / --proc /proc --dev /dev --tmpfs /tmp --tmpfs /sys \
      --bind "$work/devices/dev/tdx_guest" /dev/tdx_guest \
      --bind "$work/devices/$misc" "/$misc" \
      --symlink ../../devices/virtual/misc/tdx_guest /sys/class/misc/tdx_guest \
      --dir /sys/kernel --bind "$work/mnt" /sys/kernel/config \
      --ro-bind "$here" "$here" --ro-bind "$environment" "$environment" --bind "$work" "$work" --unshare-pid --unshare-uts --hostname agent \
      -- "$python" "$here/Tests/Verifiers/tdx_dcap_client.py" \
         "$(printf 'c0%.0s' $(seq 64))" "$(printf 'a2%.0s' $(seq 48))" "$(printf 'a3%.0s' $(seq 48))" \
         "$work/quote.dat" > "$work/calls.json"
{ set +x; } 2>/dev/null
"$python" - "$work/calls.json" <<'PYTHON'
import json, sys
calls = json.load(open(sys.argv[1]))
for call in ("get_report", "extend2", "extend3", "get_quote"):
    print(f"{call}: 0x{calls[call]:x}")
    if calls[call]:
        sys.exit(f"libtdx_attest {call} failed")
print("rtmr2:sha384 in the container:", calls["rtmr2:sha384"][:32] + "...")
PYTHON
"$python" "$here/Tests/Verifiers/dcap_qvl_verify.py" "$work/quote.dat" "$work/trust/collateral.json" \
    "$work/trust/intel-sgx-root-ca.der"
echo
echo "the container's device-mode quote verifies with dcap-qvl"
