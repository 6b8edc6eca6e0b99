#!/usr/bin/env bash
# TDX end to end: mount tsmfs with the tdx provider, take a quote for a fresh nonce with dd,
# look at it with hexdump, export the simulated root and collateral with tsmfs roots and
# tsmfs collateral, and verify the quote with the third-party verifier dcap-qvl.
#
# Usage: examples/tdx-end-to-end.sh [QUOTE_VERSION [BODY_TYPE]]    e.g. 4, or 5 3 (TDX 1.5 body)
# Needs root, /dev/fuse and dcap-qvl (make verifiers installs it in .venv).
set -euo pipefail

version=${1:-4}
body_type=${2:-2}

source "$(dirname "$0")/example-workspace.sh" tdx
needs_verifiers

cat > "$work/tsmfs.toml" <<CONFIG
[tsmfs]
provider = "tdx"
state_dir = "$work/state"
[tdx]
quote_version = $version
body_type = $body_type
CONFIG

set -x
"$tsmfs" mount --config "$work/tsmfs.toml" "$work/mnt"
report=$work/mnt/tsm/report/report0
mkdir "$report"
head -c 64 /dev/urandom > "$work/nonce"
dd if="$work/nonce" of="$report/inblob" bs=64 count=1 status=none
hexdump -C -n 64 "$report/outblob"
cat "$report/outblob" > "$work/quote.dat"
"$tsmfs" roots --config "$work/tsmfs.toml" --out "$work/trust"
"$tsmfs" collateral --config "$work/tsmfs.toml" --out "$work/trust"
"$python" - "$work" <<'VERIFY'
import sys, time
import dcap_qvl
work = sys.argv[1]
quote = open(f"{work}/quote.dat", "rb").read()
collateral = dcap_qvl.QuoteCollateralV3.from_json(open(f"{work}/trust/collateral.json").read())
root = open(f"{work}/trust/intel-sgx-root-ca.der", "rb").read()
report = dcap_qvl.verify_with_root_ca(quote, collateral, root, int(time.time()))
nonce = open(f"{work}/nonce", "rb").read()
assert nonce.hex() in report.to_json(), "REPORTDATA is not the nonce"
print(f"dcap-qvl: quote v{quote[0]} ({len(quote)} bytes) verified, status {report.status}")
VERIFY
{ set +x; } 2>/dev/null
