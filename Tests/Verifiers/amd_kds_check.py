#!/usr/bin/env python3
"""Check what AMD's KDS encodings promise, with the `cryptography` package alone: the VCEK's hwID
extension (1.3.6.1.4.1.3704.1.4) against the report's CHIP_ID, byte for byte, and the product line's
CRL (DER, issued by the ARK, signed RSASSA-PSS SHA-384 with MGF1-SHA-384 and a 48-byte salt).

Usage: amd_kds_check.py REPORT AUXBLOB TRUST_DIR LINE
Prints one JSON object; exits 0 when it could check everything (the verdicts are in the JSON).
"""
import json
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from omne_attest_verify import certificate_table  # noqa: E402  the GHCB table walk

HWID = x509.ObjectIdentifier("1.3.6.1.4.1.3704.1.4")
RSASSA_PSS = x509.ObjectIdentifier("1.2.840.113549.1.1.10")
CHIP_ID = slice(0x1A0, 0x1E0)

report, aux = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
trust, line = sys.argv[3], sys.argv[4]
certs, _ = certificate_table(aux)
result = {}
if "vcek" in certs:
    vcek = x509.load_der_x509_certificate(certs["vcek"])
    hwid = vcek.extensions.get_extension_for_oid(HWID).value.value
    result["hwid"] = hwid.hex()
    result["chip_id"] = report[CHIP_ID].hex()
    result["hwid_equals_chip_id"] = hwid == report[CHIP_ID]

ark = x509.load_der_x509_certificate(open(f"{trust}/{line}/ark.der", "rb").read())
crl = x509.load_der_x509_crl(open(f"{trust}/{line}/crl.der", "rb").read())
assert x509.load_pem_x509_crl(open(f"{trust}/{line}/crl.pem", "rb").read()) == crl, "crl.pem differs from crl.der"
result["crl_issuer_is_ark"] = crl.issuer == ark.subject
result["crl_algorithm_is_pss"] = crl.signature_algorithm_oid == RSASSA_PSS
try:
    ark.public_key().verify(crl.signature, crl.tbs_certlist_bytes,
                            padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48), hashes.SHA384())
    result["crl_signature_valid"] = True
except Exception as error:  # any failure is a verdict, not a crash
    result["crl_signature_valid"] = False
    result["crl_signature_error"] = repr(error)
result["crl_revoked"] = sorted(format(entry.serial_number, "x") for entry in crl)
result["crl_has_number_and_aki"] = all(
    any(extension.oid == oid for extension in crl.extensions)
    for oid in (x509.oid.ExtensionOID.CRL_NUMBER, x509.oid.ExtensionOID.AUTHORITY_KEY_IDENTIFIER))
print(json.dumps(result))
