# Sourced by the end-to-end examples: a scratch directory with an empty mountpoint, removed (and
# the mount detached) when the example exits, and the tools the examples run.
#   TSMFS   the tsmfs binary (default: tsmfs on PATH)
#   PYTHON  a python with the verifiers (default: the project's .venv from make verifiers)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tsmfs=${TSMFS:-tsmfs}
python=${PYTHON:-$here/.venv/bin/python}
work=$(mktemp -d "/tmp/tsmfs-$1-example.XXXXXX")
mkdir "$work/mnt"
cleanup() { "$tsmfs" unmount --lazy "$work/mnt" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
