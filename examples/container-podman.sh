#!/usr/bin/env bash
# Podman containers attesting through tsmfs, with the exact flags that work on a host without an
# image registry and without configfs (rootful podman; see "Containers" in docs/deployment.md for docker and
# rootless engines):
#   * the container's root is a directory built from Debian's busybox-static (--rootfs);
#   * these hosts have no /sys/kernel/config to bind onto, so a directory holding an empty config/
#     is bound over /sys/kernel first, then the tsmfs config root at /sys/kernel/config;
#   * crun refuses this cgroup layout (--runtime runc --cgroup-manager=cgroupfs), and podman's
#     default ulimits exceed the hard limits here (explicit --ulimit).
# It runs, in turn: the kernel documentation's flow in one container; two containers attesting at
# once through one mount, each checking that its quote carries its own nonce; two tsmfs instances with
# different roots, a container each, each quote verifying only against its own instance's roots; and a
# container with the whole guest surface (configfs, /dev/tdx_guest, the measurement registers) in which
# Intel's libtdx_attest reports, extends and quotes.
#
# Usage: examples/container-podman.sh      (needs root, /dev/fuse, podman, runc, busybox-static, PyPI once)
# Exits 77, saying why in one line, where podman cannot start a container at all.
set -euo pipefail
source "$(dirname "$0")/example-workspace.sh" podman

busybox=$(command -v busybox || true)
if ! command -v podman >/dev/null || ! command -v runc >/dev/null || [ -z "$busybox" ]; then
    echo "SKIP: podman, runc or busybox is not installed (apt-get install podman runc busybox-static)"
    exit 77
fi
if ldd "$busybox" >/dev/null 2>&1; then
    echo "$(basename "$0"): $busybox is dynamically linked; a container root needs busybox-static" >&2
    exit 1
fi
needs_verifiers dk_tee_attestation dk-tee-attestation

# A container root: busybox and its applets, and the mountpoints podman binds onto.
rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,proc,sys,dev,tmp,etc,run}
cp "$busybox" "$rootfs/bin/busybox"
for applet in $("$busybox" --list | grep -vx busybox); do ln -sf busybox "$rootfs/bin/$applet"; done
# What goes over /sys/kernel: an empty config/ for the tsmfs config root to be bound on.
mkdir -p "$work/kernel/config"
podman_run=(podman --cgroup-manager=cgroupfs --runtime runc run --rm --network=none --tmpfs /tmp
            --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 -v "$work/kernel:/sys/kernel")
if ! probe=$("${podman_run[@]}" --rootfs "$rootfs" /bin/true 2>&1); then
    echo "SKIP: podman cannot start a container here: $(echo "$probe" | tail -n 1)"
    exit 77
fi

"$tsmfs" mount --provider tdx --state-dir "$work/state" -o allow_other "$work/mnt"

echo "== the kernel documentation's flow in a podman container"
"${podman_run[@]}" -v "$work/mnt:/sys/kernel/config" --hostname c0 --rootfs "$rootfs" /bin/sh -ec '
    report=/sys/kernel/config/tsm/report/$(hostname)
    mkdir $report
    echo "provider $(cat $report/provider) generation $(cat $report/generation)"
    head -c 64 /dev/urandom > /tmp/nonce
    dd if=/tmp/nonce of=$report/inblob bs=64 count=1 2>/dev/null
    echo "generation after inblob $(cat $report/generation)"
    hexdump -C $report/outblob | head -n 2
    dd if=$report/outblob bs=1 skip=568 count=64 2>/dev/null | cmp - /tmp/nonce
    rmdir $report
    echo "kernel flow: REPORTDATA is the container'"'"'s nonce"'

echo "== two containers attesting at once through one mount"
for name in c1 c2; do
    "${podman_run[@]}" -v "$work/mnt:/sys/kernel/config" --hostname $name --rootfs "$rootfs" /bin/sh -ec '
        report=/sys/kernel/config/tsm/report/$(hostname)
        mkdir $report
        for round in 1 2 3 4 5; do
            head -c 64 /dev/urandom > /tmp/nonce
            dd if=/tmp/nonce of=$report/inblob bs=64 count=1 2>/dev/null
            dd if=$report/outblob bs=1 skip=568 count=64 2>/dev/null | cmp - /tmp/nonce
        done
        test "$(cat $report/generation)" = 5
        rmdir $report
        echo "container $(hostname): 5 quotes, each with its own nonce"' > "$work/$name.out" &
done
for job in $(jobs -p); do wait "$job"; done
cat "$work/c1.out" "$work/c2.out"

echo "== per-container identity: two tsmfs instances, different roots"
for name in a b; do
    mkdir "$work/mnt-$name"
    "$tsmfs" mount --provider tdx --state-dir "$work/state-$name" -o allow_other "$work/mnt-$name"
    "$tsmfs" roots --provider tdx --state-dir "$work/state-$name" --out "$work/trust-$name" >/dev/null
    "$tsmfs" collateral --provider tdx --state-dir "$work/state-$name" --out "$work/trust-$name" >/dev/null
    "${podman_run[@]}" -v "$work/mnt-$name:/sys/kernel/config" -v "$work:/out" --hostname "$name" --rootfs "$rootfs" \
        /bin/sh -ec 'r=/sys/kernel/config/tsm/report/q; mkdir $r
                     head -c 64 /dev/urandom | dd of=$r/inblob bs=64 count=1 2>/dev/null
                     cat $r/outblob > /out/quote-$(hostname).dat; rmdir $r'
done
# dcap-qvl's verdict (True/False) on quote-$1.dat against the roots and collateral in trust$2.
verdict() { "$python" "$here/Tests/Verifiers/dcap_qvl_verify.py" "$work/quote-$1.dat" "$work/trust$2/collateral.json" \
                "$work/trust$2/intel-sgx-root-ca.der" | "$python" -c 'import json,sys; print(json.load(sys.stdin)["verified"])'; }
echo "quote a with roots a: $(verdict a -a), with roots b: $(verdict a -b)"
echo "quote b with roots b: $(verdict b -b), with roots a: $(verdict b -a)"
[ "$(verdict a -a)$(verdict b -b)$(verdict a -b)$(verdict b -a)" = TrueTrueFalseFalse ]
echo "identity: each container's quote verifies with its own instance's roots only"
"$tsmfs" unmount "$work/mnt-a"; "$tsmfs" unmount "$work/mnt-b"

echo "== the whole guest surface in a container: libtdx_attest"
"$tsmfs" unmount "$work/mnt"
"$tsmfs" mount --provider tdx --state-dir "$work/state" --devices "$work/devices" -o allow_other "$work/mnt"
"$tsmfs" roots --provider tdx --state-dir "$work/state" --out "$work/trust" >/dev/null
"$tsmfs" collateral --provider tdx --state-dir "$work/state" --out "$work/trust" >/dev/null
# The agent runs the project's python (its virtualenv and the interpreter it was made from, read-only,
# at the same paths) over the host's /usr; sysfs inside gets the measurements directory at the
# kernel's path (libtdx_attest is pointed at it: there is no /sys/class/misc link here).
interpreter=$("$python" -c 'import sys; print(sys.base_prefix)')
environment=$(cd "$(dirname "$python")/.." && pwd)
agent=$work/agent-rootfs
mkdir -p "$agent"/{proc,sys,dev,tmp,usr,run,out} "$work/agent-sys/kernel/config" "$work/agent-sys/devices/virtual/misc/tdx_guest"
ln -s usr/bin "$agent/bin"; ln -s usr/lib "$agent/lib"; ln -s usr/lib64 "$agent/lib64"
misc=sys/devices/virtual/misc/tdx_guest
podman --cgroup-manager=cgroupfs --runtime runc run --rm --network=none \
    --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
    -v /usr:/usr:ro -v "$here:$here:ro" -v "$interpreter:$interpreter:ro" -v "$environment:$environment:ro" -v "$work:/out" --tmpfs /tmp \
    -v "$work/agent-sys:/sys" -v "$work/mnt:/sys/kernel/config" \
    -v "$work/devices/$misc:/$misc" \
    -v "$work/devices/dev/tdx_guest:/dev/tdx_guest" \
    -e DCAP_TDX_RTMR_SYSFS_PATH=/$misc/measurements \
    --rootfs "$agent" "$python" "$here/Tests/Verifiers/tdx_dcap_client.py" \
    "$(printf 'd0%.0s' $(seq 64))" "$(printf 'a2%.0s' $(seq 48))" "$(printf 'a3%.0s' $(seq 48))" /out/agent-quote.dat \
    > "$work/agent.json"
"$python" - "$work/agent.json" <<'PYTHON'
import json, sys
calls = json.load(open(sys.argv[1]))
failed = [call for call in ("get_report", "extend2", "extend3", "get_quote") if calls[call]]
if failed:
    sys.exit(f"libtdx_attest failed in the container: {failed}")
print("devices: libtdx_attest in a container: get_report, extend, get_quote succeeded")
PYTHON
cp "$work/agent-quote.dat" "$work/quote-agent.dat"
[ "$(verdict agent "")" = True ]
echo "devices: the container's quote verifies with dcap-qvl"
