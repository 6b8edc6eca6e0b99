#!/usr/bin/env python3
"""Checks an SEV-SNP report with what AMD's KDS answered for it, using the cryptography package
alone: the ASK (or ASVK) and the CRL signed by the trusted ARK (RSASSA-PSS, SHA-384), the VCEK
signed by the ASK, the VCEK's hwID and SPL extensions equal to the report's CHIP_ID and
REPORTED_TCB, and the report's ECDSA P-384 signature by the VCEK.

usage: kds_snp_check.py REPORT CERT_CHAIN_PEM VCEK_DER CRL_DER TRUSTED_ARK_PEM
Prints one JSON object of named checks; exits 0 only when all hold.
"""
import json
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def pss_verifies(issuer, signed, signature):
    try:
        issuer.public_key().verify(
            signature, signed, padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48), hashes.SHA384())
        return True
    except Exception:
        return False


def extension(certificate, dotted):
    for item in certificate.extensions:
        if item.oid.dotted_string == dotted:
            return item.value.value
    return None


def main(report_path, chain_path, vcek_path, crl_path, ark_path):
    report = open(report_path, "rb").read()
    chain = x509.load_pem_x509_certificates(open(chain_path, "rb").read())
    vcek = x509.load_der_x509_certificate(open(vcek_path, "rb").read())
    crl = x509.load_der_x509_crl(open(crl_path, "rb").read())
    ark = x509.load_pem_x509_certificate(open(ark_path, "rb").read())
    checks = {"the chain is the intermediate then the ARK": len(chain) == 2 and chain[1] == ark}
    intermediate = chain[0]
    checks["the ARK signs the intermediate"] = pss_verifies(ark, intermediate.tbs_certificate_bytes, intermediate.signature)
    checks["the intermediate signs the VCEK"] = pss_verifies(intermediate, vcek.tbs_certificate_bytes, vcek.signature)
    checks["the ARK signs the CRL"] = pss_verifies(ark, crl.tbs_certlist_bytes, crl.signature)
    checks["the CRL does not revoke the intermediate"] = crl.get_revoked_certificate_by_serial_number(intermediate.serial_number) is None
    chip_id = report[0x1A0:0x1E0]
    tcb = report[0x180:0x188]
    hwid = extension(vcek, "1.3.6.1.4.1.3704.1.4")
    checks["the VCEK's hwID is the report's CHIP_ID"] = hwid == chip_id or (hwid is not None and hwid[-64:] == chip_id)
    spl = {"1.3.6.1.4.1.3704.1.3.1": tcb[0], "1.3.6.1.4.1.3704.1.3.2": tcb[1], "1.3.6.1.4.1.3704.1.3.3": tcb[6],
           "1.3.6.1.4.1.3704.1.3.8": tcb[7]}
    checks["the VCEK's SPLs are the reported TCB"] = all(
        (value := extension(vcek, oid)) is not None and value[-1] == expected for oid, expected in spl.items())
    r = int.from_bytes(report[0x2A0:0x2A0 + 72], "little")
    s = int.from_bytes(report[0x2E8:0x2E8 + 72], "little")
    try:
        vcek.public_key().verify(encode_dss_signature(r, s), report[:0x2A0], ec.ECDSA(hashes.SHA384()))
        checks["the VCEK signs the report"] = True
    except Exception:
        checks["the VCEK signs the report"] = False
    print(json.dumps(checks, indent=1))
    return 0 if all(checks.values()) else 1


sys.exit(main(*sys.argv[1:6]))
