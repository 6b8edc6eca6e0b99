#!/usr/bin/env python3
"""Verify a DCAP quote with the third-party dcap-qvl package against a given root and collateral.

Usage: dcap_qvl_verify.py QUOTE COLLATERAL_JSON ROOT_CA_DER
Prints one JSON object: {"verified": true, "result": <dcap-qvl's report>, "header": {...}}
or {"verified": false, "error": "..."}; exits 0 when verified, 1 otherwise.
"""
import json
import sys
import time

import dcap_qvl


def main(quote_path, collateral_path, root_path):
    quote = open(quote_path, "rb").read()
    out = {}
    try:
        header = dcap_qvl.parse_quote(quote).header
        out["header"] = {
            "version": header.version,
            "attestation_key_type": header.attestation_key_type,
            "tee_type": header.tee_type,
            "qe_vendor_id": header.qe_vendor_id.hex(),
        }
        collateral = dcap_qvl.QuoteCollateralV3.from_json(open(collateral_path).read())
        root = open(root_path, "rb").read()
        report = dcap_qvl.verify_with_root_ca(quote, collateral, root, int(time.time()))
        out["verified"] = True
        out["result"] = json.loads(report.to_json())
    except Exception as error:  # dcap-qvl reports every failure as an exception
        out["verified"] = False
        out["error"] = str(error)
    print(json.dumps(out))
    return 0 if out["verified"] else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
