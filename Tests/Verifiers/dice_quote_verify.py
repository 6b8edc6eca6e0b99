#!/usr/bin/env python3
"""Verify a DICE-based TDX quote (tsmfs's provisional layout, Sources/Evidence/TDXDICEQuote) with the
`cryptography` package alone, independent of tsmfs's code: parse the layout from its documented
offsets, path-validate the PEM chain to the DICE root `tsmfs roots` exported (RFC 5280 path
building in cryptography's verifier), check the quote signature with the leaf's key, and read the
module certificate's tcg-dice-TcbInfo (SVN, FWID) against the body's TEE_TCB_SVN and MRSEAM.

Usage: dice_quote_verify.py QUOTE DICE_ROOT_DER [REPORT_DATA_HEX]
Prints one JSON object; exits 0 when every check passed.
"""
import datetime
import json
import struct
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, Store

# The DER walker of the independent Intel appraisal script beside this one.
from intel_appraisal import der_children as der_items

TCB_INFO = x509.ObjectIdentifier("2.23.133.5.4.1")
SHA384_OID = bytes.fromhex("0609608648016503040202")


def tcb_info(certificate):
    extension = certificate.extensions.get_extension_for_oid(TCB_INFO).value.value
    (_, body), = der_items(extension)
    fields = {tag: value for tag, value in der_items(body)}
    fwids = [der_items(value) for _, value in der_items(fields.get(0xA6, b""))]
    return {
        "vendor": fields.get(0x80, b"").decode(), "model": fields.get(0x81, b"").decode(),
        "svn": int.from_bytes(fields.get(0x83, b"\0"), "big"),
        "fwids": [items[1][1].hex() for items in fwids if items[0][1] == SHA384_OID[2:]],
    }


def main():
    quote = open(sys.argv[1], "rb").read()
    root = x509.load_der_x509_certificate(open(sys.argv[2], "rb").read())
    report_data = bytes.fromhex(sys.argv[3]) if len(sys.argv) > 3 else None
    checks = {}
    version, key_type, tee_type = struct.unpack_from("<HHI", quote, 0)
    checks["header: version 4 or 5, ECDSA P-256 key, TDX"] = version in (4, 5) and key_type == 2 and tee_type == 0x81
    body_offset = 48 if version == 4 else 54
    body_size = 584 if version == 4 else struct.unpack_from("<I", quote, 50)[0]
    signed = quote[:body_offset + body_size]
    body = quote[body_offset:body_offset + body_size]
    position = body_offset + body_size
    (sig_len,) = struct.unpack_from("<I", quote, position)
    checks["signature data length covers the rest"] = sig_len == len(quote) - position - 4
    signature = quote[position + 4:position + 68]
    cert_type, cert_size = struct.unpack_from("<HI", quote, position + 68)
    chain = quote[position + 74:]
    checks["certification data is type 8 (DICE chain) of the declared size"] = cert_type == 8 and cert_size == len(chain)
    certificates = x509.load_pem_x509_certificates(chain)
    leaf, module = certificates[0], certificates[1]

    # The Web PKI's rules for CAs (basic constraints, key usage, key identifiers); the quoting-key
    # leaf is no TLS client, so its extensions are not judged by the Web PKI's.
    verifier = (PolicyBuilder().store(Store([root])).time(datetime.datetime.now(datetime.timezone.utc))
                .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ExtensionPolicy.permit_all())
                .build_client_verifier())
    try:
        verified = verifier.verify(leaf, certificates[1:])
        checks["chain path-validates to the DICE root"] = verified.chain[-1] == root
    except Exception as error:
        checks["chain path-validates to the DICE root"] = False
        print(f"path validation: {error}", file=sys.stderr)
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    try:
        leaf.public_key().verify(encode_dss_signature(r, s), signed, ec.ECDSA(hashes.SHA256()))
        checks["quote signed by the leaf (quoting key)"] = True
    except Exception:
        checks["quote signed by the leaf (quoting key)"] = False
    info = tcb_info(module)
    tee_tcb_svn, mr_seam = body[0:16], body[16:64]
    checks["module TcbInfo SVN = TEE_TCB_SVN[0]"] = info["svn"] == tee_tcb_svn[0]
    checks["module TcbInfo FWID = MRSEAM"] = info["fwids"] == [mr_seam.hex()]
    if report_data is not None:
        checks["REPORTDATA is the expected"] = body[0x208:0x248] == report_data
    out = {"checks": checks, "verified": all(checks.values()), "tcb_info": info,
           "quoting_key": leaf.public_key().public_numbers().x.to_bytes(32, "big").hex(),
           "chain": [c.subject.rfc4514_string() for c in certificates]}
    print(json.dumps(out))
    sys.exit(0 if out["verified"] else 1)


if __name__ == "__main__":
    main()
