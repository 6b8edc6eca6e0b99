#!/usr/bin/env python3
"""dcap-qvl in its online mode, unmodified: fetch the collateral for a quote from a PCCS or PCS URL
(or, given "default", from dcap-qvl's default PCCS, https://pccs.phala.network), then verify the quote
against a given root with it.

Usage: dcap_qvl_online.py QUOTE ROOT_CA_DER (PCCS_URL | default | pcs)
Prints {"verified": true, "status": "...", "advisories": [...]} or {"verified": false, "error": "..."}.

dcap-qvl 0.7.0's async binding runs a tokio runtime whose worker threads can crash (SIGSEGV in
tokio-rt-worker) while the interpreter finalises after the fetch; the verdict is flushed first and
the process leaves without finalising, so that crash cannot eat it.
"""
import asyncio
import json
import os
import sys
import time

import dcap_qvl


async def fetch(quote, where):
    if where == "default":
        return await dcap_qvl.get_collateral(dcap_qvl.PHALA_PCCS_URL, quote)
    if where == "pcs":
        return await dcap_qvl.get_collateral_from_pcs(quote)
    return await dcap_qvl.get_collateral(where, quote)


def main(quote_path, root_path, where):
    quote = open(quote_path, "rb").read()
    root = open(root_path, "rb").read()
    try:
        collateral = asyncio.run(fetch(quote, where))
        report = json.loads(dcap_qvl.verify_with_root_ca(quote, collateral, root, int(time.time())).to_json())
        out = {"verified": True, "status": report.get("status"), "advisories": report.get("advisory_ids", [])}
    except Exception as error:  # dcap-qvl reports every failure as an exception
        out = {"verified": False, "error": str(error)}
    print(json.dumps(out))
    return 0 if out["verified"] else 1


if __name__ == "__main__":
    status = main(*sys.argv[1:4])
    sys.stdout.flush()
    os._exit(status)
