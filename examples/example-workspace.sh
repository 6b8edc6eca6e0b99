# Sourced by the examples: a scratch directory with an empty mountpoint, removed (and the mount
# detached) when the example exits, and the tools the examples run.
#   TSMFS   the tsmfs binary (default: tsmfs on PATH, else the one make builds)
#   PYTHON  a python with the verifiers (default: the project's .venv, set up on first use)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tsmfs=${TSMFS:-$(command -v tsmfs || ls "$here/.build/release/tsmfs" "$here/.build/debug/tsmfs" 2>/dev/null | head -n 1)}
if [ -z "$tsmfs" ]; then
    echo "$(basename "$0"): no tsmfs binary: run 'make release' in $here (or set TSMFS=/path/to/tsmfs)" >&2
    exit 1
fi
python=${PYTHON:-$here/.venv/bin/python}
# The verifiers live in the project's virtualenv; an example that verifies evidence creates it
# the first time (it needs PyPI), exactly as 'make test' does.
# An example that also drives Intel's DCAP library names its module and package:
#     needs_verifiers dk_tee_attestation dk-tee-attestation
needs_verifiers() {
    "$python" -c "import dcap_qvl, omne_attest, cryptography${1:+, $1}" 2>/dev/null && return 0
    if [ -n "${PYTHON:-}" ]; then
        echo "$(basename "$0"): $PYTHON lacks the verifiers: pip install dcap-qvl omne-attest cryptography${2:+ $2}" >&2
        exit 1
    fi
    echo "$(basename "$0"): setting up the third-party verifiers in $here/.venv (make verifiers)" >&2
    make -C "$here" --no-print-directory --quiet verifiers >&2 || {
        echo "$(basename "$0"): could not set up the verifiers: run 'make verifiers' in $here as root" >&2
        exit 1
    }
}
work=$(mktemp -d "/tmp/tsmfs-$1-example.XXXXXX")
mkdir "$work/mnt"
cleanup() { "$tsmfs" unmount --lazy "$work/mnt" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
