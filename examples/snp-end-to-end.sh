#!/usr/bin/env bash
# SEV-SNP end to end: mount tsmfs with the sev provider, choose a VMPL through privlevel, take
# a report for a fresh nonce with dd, look at outblob and auxblob (the certificate table) with
# hexdump, export the simulated AMD roots with tsmfs roots, and verify report and chain with
# the third-party verifier omne-attest, pinning the exported ARK's SHA-256.
#
# Usage: examples/snp-end-to-end.sh [PRIVLEVEL [REPORT_VERSION]]    e.g. 2, or 0 5
# Needs root, /dev/fuse and omne-attest (make verifiers installs it in .venv).
set -euo pipefail

privlevel=${1:-2}
version=${2:-3}

source "$(dirname "$0")/example-workspace.sh" snp
needs_verifiers

cat > "$work/tsmfs.toml" <<CONFIG
[tsmfs]
provider = "sev"
state_dir = "$work/state"
[sev]
report_version = $version
CONFIG

set -x
"$tsmfs" mount --config "$work/tsmfs.toml" "$work/mnt"
report=$work/mnt/tsm/report/report0
mkdir "$report"
echo "$privlevel" > "$report/privlevel"
head -c 64 /dev/urandom > "$work/nonce"
dd if="$work/nonce" of="$report/inblob" bs=64 count=1 status=none
hexdump -C -n 64 "$report/outblob"
hexdump -C -n 96 "$report/auxblob"
cat "$report/outblob" > "$work/report.bin"
cat "$report/auxblob" > "$work/auxblob.bin"
"$tsmfs" roots --config "$work/tsmfs.toml" --out "$work/trust"
"$python" -W ignore - "$work" "$privlevel" <<'VERIFY'
import struct, sys
import omne_attest
work, privlevel = sys.argv[1], int(sys.argv[2])
report = open(f"{work}/report.bin", "rb").read()
aux = open(f"{work}/auxblob.bin", "rb").read()
certs, position = {}, 0
while aux[position:position + 24] != bytes(24):   # GHCB table: GUID, offset, length; zero entry ends it
    guid = aux[position:position + 16].hex()
    offset, length = struct.unpack("<II", aux[position + 16:position + 24])
    certs[guid] = aux[offset:offset + length]
    position += 24
vcek = certs["63da758de6644564adc5f4b93be8accd"]
ask = certs["4ab7b379bbac4fe4a02f05aef327c782"]
ark = certs["c0b406a4a8034952974" "33fb6014cd0ae"]
pin = bytes.fromhex(open(f"{work}/trust/Milan/ark.der.sha256").read())
nonce = open(f"{work}/nonce", "rb").read()
omne_attest.verify(report, vcek, ask, ark, pin, omne_attest.Policy(report_data=nonce, max_vmpl=privlevel))
parsed = omne_attest.Report.parse(report)
assert parsed.vmpl == privlevel
print(f"omne-attest: report v{parsed.version} at VMPL {parsed.vmpl} verified against the pinned ARK")
VERIFY
{ set +x; } 2>/dev/null
