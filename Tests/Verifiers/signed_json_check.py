#!/usr/bin/env python3
"""Checks a PCS JSON body ({"tcbInfo":…,"signature":…} or {"enclaveIdentity":…,"signature":…}) the
way the strictest clients do, with the cryptography package alone: the signature (hex r‖s) is ECDSA
P-256/SHA-256 over the exact bytes of the inner object, by the first certificate of the issuer
chain, which the chain's second certificate (the root) signs; and the body re-serialised compactly
is byte for byte the one received (dcap-qvl verifies the re-serialisation).

usage: signed_json_check.py BODY CHAIN_PEM
Prints one JSON object: the inner object's id and version, and named checks; exits 0 only when all hold.
"""
import json
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def main(body_path, chain_path):
    body = open(body_path, "rb").read()
    chain = x509.load_pem_x509_certificates(open(chain_path, "rb").read())
    parsed = json.loads(body)
    key = "tcbInfo" if "tcbInfo" in parsed else "enclaveIdentity"
    start = body.index(b":", body.index(key.encode())) + 1
    end = body.rindex(b',"signature":')
    inner = body[start:end]
    signature = bytes.fromhex(parsed["signature"])
    checks = {}
    try:
        chain[0].public_key().verify(
            encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")),
            inner, ec.ECDSA(hashes.SHA256()))
        checks["signed by the chain's signing certificate"] = True
    except Exception:
        checks["signed by the chain's signing certificate"] = False
    try:
        chain[1].public_key().verify(chain[0].signature, chain[0].tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
        checks["the root signs the signing certificate"] = True
    except Exception:
        checks["the root signs the signing certificate"] = False
    checks["compact re-serialisation is the body"] = json.dumps(parsed, separators=(",", ":")).encode() == body
    print(json.dumps({"id": parsed[key]["id"], "version": parsed[key]["version"], "checks": checks}))
    return 0 if all(checks.values()) else 1


sys.exit(main(*sys.argv[1:3]))
