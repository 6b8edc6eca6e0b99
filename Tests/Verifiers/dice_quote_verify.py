#!/usr/bin/env python3
"""Check a DICE-based TDX quote independently of tsmfs's code, from the format's description alone
(docs/evidence/tdx-dice-quote.md, itself written from google/go-tdx-guest's abi/dice.go): cbor2 parses
the CBOR Web Token by go-tdx-guest's rules and the specification form's stricter shape, `cryptography`
verifies the ES384 COSE signature over the Sig_structure and path-validates the DER certificates of the
x5bag to the DICE root `tsmfs roots` exported (RFC 5280 path building in its verifier, which refuses
unknown critical extensions), and the module certificate's tcg-dice-TcbInfo is read with a small DER walker.

Usage: dice_quote_verify.py QUOTE DICE_ROOT_DER [REPORT_DATA_HEX]
Prints one JSON object: the checks, every measurement go-tdx-guest extracts (origin and current), the
quoting key and the module's TcbInfo. Exits 0 when every check passed.
"""
import datetime
import io
import json
import sys

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, Store

# The DER walker of the independent Intel appraisal script beside this one.
from intel_appraisal import der_children, oid_text

TCB_INFO = x509.ObjectIdentifier("2.23.133.5.4.1")
SHA384_OID_CONTENT = bytes.fromhex("608648016503040202")
INTEL_PROFILE = "2.16.840.1.113741.1.16.1"
SUBMODULES = {
    "platform_tcb": "2.16.840.1.113741.1.13.2.1.0",
    "seam": "2.16.840.1.113741.1.13.2.8.0",
    "td": "2.16.840.1.113741.1.13.2.4.0",
    "service_td": "2.16.840.1.113741.1.13.2.7.0",
}


class FormatError(Exception):
    pass


def decode_alone(data, what):
    """One CBOR item with nothing after it, as go-tdx-guest decodes every embedded item."""
    stream = io.BytesIO(data)
    item = cbor2.CBORDecoder(stream).decode()
    if stream.tell() != len(data):
        raise FormatError(f"{what}: {len(data) - stream.tell()} bytes after the CBOR item")
    return item


def measurement_values(state, what):
    """The measurement-values map of tag 571 wrapping bstr-encoded concise evidence."""
    if not isinstance(state, cbor2.CBORTag) or state.tag != 571 or not isinstance(state.value, bytes):
        raise FormatError(f"{what}: not tag 571 around a byte string")
    evidence = decode_alone(state.value, what)
    triple = evidence[0][0][0]
    if not isinstance(triple, list) or len(triple) < 2 or not triple[1]:
        raise FormatError(f"{what}: no evidence triple with a measurement")
    values = triple[1][0][1]
    if not isinstance(values, dict):
        raise FormatError(f"{what}: the measurement values are not a map")
    return values


def digest(values, key, what):
    value = values[key]
    if isinstance(value, list) and len(value) == 2:
        value = value[1]
    if not isinstance(value, bytes) or len(value) != 48:
        raise FormatError(f"{what} (key {key}) is not a 48-byte digest")
    return value.hex()


def raw(values, key, width, what):
    value = values[key]
    if not isinstance(value, bytes) or len(value) != width:
        raise FormatError(f"{what} (key {key}) is not {width} bytes")
    return value.hex()


def svn(values, key, what):
    value = values[key]
    if not isinstance(value, list) or len(value) != 16 or any(not isinstance(v, int) or not 0 <= v <= 255 for v in value):
        raise FormatError(f"{what} (key {key}) is not 16 SVNs")
    return bytes(value).hex()


def parse(quote):
    item = decode_alone(quote, "quote")
    if isinstance(item, cbor2.CBORTag) and item.tag == 61:
        item = item.value
    if not isinstance(item, cbor2.CBORTag) or item.tag != 18 or not isinstance(item.value, list) or len(item.value) != 4:
        raise FormatError("not a COSE_Sign1 (tag 18, 4 elements)")
    protected, unprotected, payload, signature = item.value
    header = decode_alone(protected, "protected header")
    if header != {1: -35}:
        raise FormatError(f"protected header {header} is not {{1: -35}} (ES384)")
    certificates = unprotected.get(32)
    if not isinstance(certificates, list) or not certificates or not all(isinstance(c, bytes) and c for c in certificates):
        raise FormatError("the unprotected header has no x5bag (label 32) of DER certificates")
    if not isinstance(signature, bytes) or len(signature) != 96:
        raise FormatError("the signature is not 96 bytes")
    claims = decode_alone(payload, "payload")
    profile = claims.get(265)
    if not isinstance(profile, bytes) or oid_text(profile) != INTEL_PROFILE:
        raise FormatError(f"eat_profile is not the OID {INTEL_PROFILE} as a byte string")
    report_data = claims[-212]
    if not isinstance(report_data, bytes) or len(report_data) != 64:
        raise FormatError("report_data is not 64 bytes")
    submodules = claims[-11]
    if set(submodules) != set(SUBMODULES.values()):
        raise FormatError(f"submodule keys {sorted(submodules)} are not the specification's four")
    states = {}
    for name, oid in SUBMODULES.items():
        value = submodules[oid]
        if not isinstance(value, dict) or set(value) != {"0", "1"}:
            raise FormatError(f"submodule {oid} is not {{\"0\": origin, \"1\": current}}")
        states[name] = (measurement_values(value["0"], f"{name} origin"), measurement_values(value["1"], f"{name} current"))
    (tcb0, tcb1), (seam0, seam1), (td, td1), (service, service1) = (
        states["platform_tcb"], states["seam"], states["td"], states["service_td"])
    if td != td1 or service != service1:
        raise FormatError("the TD and Service TD states differ (both carry the values at the time of the quote)")
    measurements = {
        "tee_tcb_svn": svn(tcb0, -125, "tee_tcb_svn"), "tee_tcb_svn2": svn(tcb1, -125, "tee_tcb_svn2"),
        "seam_attributes": raw(seam0, -82, 8, "seam_attributes"), "mr_seam": digest(seam0, -83, "mr_seam"),
        "mr_signer_seam": digest(seam0, -84, "mr_signer_seam"),
        "td_attributes": raw(td, -82, 8, "td_attributes"), "xfam": raw(td, -201, 8, "xfam"),
        "mr_td": digest(td, -83, "mr_td"), "mr_config_id": digest(td, -203, "mr_config_id"),
        "mr_owner": digest(td, -204, "mr_owner"), "mr_owner_config": digest(td, -205, "mr_owner_config"),
        "rtmrs": [digest(td, -206 - i, f"rtmr{i}") for i in range(4)],
        "mr_service_td": digest(service, -210, "mr_service_td"), "report_data": report_data.hex(),
    }
    current_seam = {"seam_attributes": raw(seam1, -82, 8, "current seam_attributes"),
                    "mr_seam": digest(seam1, -83, "current mr_seam"),
                    "mr_signer_seam": digest(seam1, -84, "current mr_signer_seam")}
    return {"protected": protected, "payload": payload, "signature": signature, "certificates": certificates,
            "kid": unprotected.get(4), "content_type": unprotected.get(3), "issuer": claims.get(1),
            "measurements": measurements, "current_seam": current_seam, "cwt_tagged": quote[:2] == b"\xd8\x3d"}


def tcb_info(certificate):
    extension = certificate.extensions.get_extension_for_oid(TCB_INFO)
    (_, body), = der_children(extension.value.value)
    fields = {tag: value for tag, value in der_children(body)}
    fwids = [der_children(value) for _, value in der_children(fields.get(0xA6, b""))]
    return {
        "critical": extension.critical, "vendor": fields.get(0x80, b"").decode(), "model": fields.get(0x81, b"").decode(),
        "svn": int.from_bytes(fields.get(0x83, b"\0"), "big"),
        "fwids": [items[1][1].hex() for items in fwids if items[0][1] == SHA384_OID_CONTENT],
    }


def main():
    quote = open(sys.argv[1], "rb").read()
    root = x509.load_der_x509_certificate(open(sys.argv[2], "rb").read())
    report_data = bytes.fromhex(sys.argv[3]) if len(sys.argv) > 3 else None
    checks = {}
    try:
        parsed = parse(quote)
        checks["specification form by go-tdx-guest's rules"] = True
    except (FormatError, cbor2.CBORDecodeError, KeyError, IndexError, TypeError, AttributeError) as error:
        print(json.dumps({"checks": {"specification form by go-tdx-guest's rules": False}, "verified": False,
                          "error": f"{type(error).__name__}: {error}"}))
        sys.exit(1)
    certificates = [x509.load_der_x509_certificate(der) for der in parsed["certificates"]]
    subjects = {c.subject for c in certificates}
    leaves = [c for c in certificates if not any(o.issuer == c.subject and o != c for o in certificates)]
    checks["one end entity in the x5bag"] = len(leaves) == 1
    leaf = leaves[0]
    module = next(c for c in certificates if c.subject == leaf.issuer)
    checks["certificates are P-384 / ecdsa-with-SHA384"] = all(
        isinstance(c.public_key(), ec.EllipticCurvePublicKey) and c.public_key().curve.name == "secp384r1"
        and c.signature_hash_algorithm.name == "sha384" for c in certificates)
    verifier = (PolicyBuilder().store(Store([root])).time(datetime.datetime.now(datetime.timezone.utc))
                .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ExtensionPolicy.permit_all())
                .build_client_verifier())
    try:
        verified = verifier.verify(leaf, [c for c in certificates if c != leaf])
        checks["x5bag path-validates to the DICE root"] = verified.chain[-1] == root and len(verified.chain) == len(
            [c for c in certificates if c != root]) + 1
    except Exception as error:
        checks["x5bag path-validates to the DICE root"] = False
        print(f"path validation: {error}", file=sys.stderr)
    to_be_signed = cbor2.dumps(["Signature1", parsed["protected"], b"", parsed["payload"]])
    signature = parsed["signature"]
    r, s = int.from_bytes(signature[:48], "big"), int.from_bytes(signature[48:], "big")
    try:
        leaf.public_key().verify(encode_dss_signature(r, s), to_be_signed, ec.ECDSA(hashes.SHA384()))
        checks["COSE_Sign1 signed ES384 by the end entity"] = True
    except Exception:
        checks["COSE_Sign1 signed ES384 by the end entity"] = False
    info = tcb_info(module)
    measurements, current = parsed["measurements"], parsed["current_seam"]
    checks["DICE extensions are non-critical"] = not info["critical"]
    checks["module TcbInfo SVN = current tee_tcb_svn[0]"] = info["svn"] == bytes.fromhex(measurements["tee_tcb_svn2"])[0]
    checks["module TcbInfo FWID = current MRSEAM"] = info["fwids"] == [current["mr_seam"]]
    if report_data is not None:
        checks["report_data is the expected"] = measurements["report_data"] == report_data.hex()
    out = {"checks": checks, "verified": all(checks.values()), "measurements": measurements, "current_seam": current,
           "tcb_info": {k: v for k, v in info.items() if k != "critical"}, "issuer": parsed["issuer"],
           "content_type": parsed["content_type"], "kid": parsed["kid"].hex() if parsed["kid"] else None,
           "cwt_tagged": parsed["cwt_tagged"],
           "quoting_key": leaf.public_key().public_numbers().x.to_bytes(48, "big").hex(),
           "chain": [c.subject.rfc4514_string() for c in certificates], "root_in_bag": root.subject in subjects}
    print(json.dumps(out))
    sys.exit(0 if out["verified"] else 1)


if __name__ == "__main__":
    main()
