#!/usr/bin/env python3
"""Drives Intel's CC Trusted API VM SDK (cctrusted-vm, unmodified) the way its own examples do:
initialise the confidential VM, read the boot event log, replay it, and read the RTMRs.
Prints JSON: the event count, the replayed registers by CC MR index, the measured RTMRs."""
import json
import logging
import sys

from cctrusted_base.api import CCTrustedApi
from cctrusted_base.tcg import TcgAlgorithmRegistry
from cctrusted_vm import CCTrustedVmSdk

logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
sdk = CCTrustedVmSdk.inst()
if sdk is None:
    print("cctrusted-vm could not initialise", file=sys.stderr)
    sys.exit(2)
events = sdk.get_cc_eventlog()
sha384 = TcgAlgorithmRegistry.TPM_ALG_SHA384
replayed = {
    str(index): bytes(values[sha384]).hex() for index, values in CCTrustedApi.replay_cc_eventlog(events).items()
}
measured = {
    str(index): bytes(sdk.get_cc_measurement([index, sha384]).digest(sha384).hash).hex() for index in range(4)
}
print(json.dumps({"events": len(events), "replayed": replayed, "measured": measured}))
