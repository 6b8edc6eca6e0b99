#!/usr/bin/env python3
"""Appraise a TDX DCAP quote by Intel's rules (QVL, as docs/providers/tdx.md describes them), written
independently of tsmfs and of dcap-qvl, with the `cryptography` package for every signature.

Quote: QE vendor id, certification data type 6, SEAMATTRIBUTES zero, the quote signature by the
attestation key, the QE report signature by the PCK, the QE report binding the attestation key,
the PCK chain to the trusted root. Collateral: TCB info and QE identity signed by the TCB signing
certificate (chained to the root), ids, versions and nextUpdate. TCB info: FMSPC and PCE ID against
the PCK, the TDX module's MRSIGNER and attributes under their mask, the module identity
(TDX_<major>) and its level by TEE_TCB_SVN[0], the TCB level by the SGX components, the PCE SVN and
TEE_TCB_SVN. QE identity: MRSIGNER, ISVPRODID, MISCSELECT and ATTRIBUTES under their masks, the level
by ISVSVN.

Usage: intel_appraisal.py QUOTE TRUST_DIR   (TRUST_DIR from tsmfs roots + tsmfs collateral)
Prints {"failures": [...], "tcb_status", "module_status", "qe_status", "status"}; exits 0 when no
rule failed (an out-of-date TCB is a status, not a failure).
"""
import datetime
import hashlib
import json
import struct
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

INTEL_QE_VENDOR_ID = bytes.fromhex("939a7233f79c4ca9940a0db3957f0607")
SGX_EXTENSION = x509.ObjectIdentifier("1.2.840.113741.1.13.1")
STATUS_ORDER = ["UpToDate", "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded",
                "OutOfDate", "OutOfDateConfigurationNeeded", "Revoked"]
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def der(data, position=0):
    """One DER element at `position`: (tag, content bytes, next position)."""
    tag, length = data[position], data[position + 1]
    position += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[position:position + count], "big")
        position += count
    return tag, data[position:position + length], position + length


def der_children(content):
    position, children = 0, []
    while position < len(content):
        tag, value, position = der(content, position)
        children.append((tag, value))
    return children


def oid_text(content):
    first, arcs, value = content[0], [], 0
    arcs = [first // 40, first % 40]
    for byte in content[1:]:
        value = value << 7 | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    return ".".join(map(str, arcs))


def sgx_extension(pck):
    """FMSPC, PCE ID, PCE SVN and the 16 CPUSVN components from the PCK's SGX extension."""
    raw = pck.extensions.get_extension_for_oid(SGX_EXTENSION).value.value
    _, content, _ = der(raw)
    fields = {}
    for _, item in der_children(content):
        (_, oid), (tag, value) = der_children(item)[:2]
        name = oid_text(oid)
        if name == "1.2.840.113741.1.13.1.2":
            for _, component in der_children(value):
                (_, sub_oid), (_, sub_value) = der_children(component)[:2]
                fields[oid_text(sub_oid)] = sub_value
        else:
            fields[name] = value
    base = "1.2.840.113741.1.13.1.2."
    return {"fmspc": fields["1.2.840.113741.1.13.1.4"], "pceid": fields["1.2.840.113741.1.13.1.3"],
            "pcesvn": int.from_bytes(fields[base + "17"], "big"),
            "components": [int.from_bytes(fields[base + str(i)], "big") for i in range(1, 17)]}


def p256_verify(public_key, signature_rs, data):
    r, s = int.from_bytes(signature_rs[:32], "big"), int.from_bytes(signature_rs[32:64], "big")
    try:
        public_key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
        return True
    except Exception:
        return False


def raw_p256_key(raw):
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + raw)


def issued_by(child, parent):
    try:
        child.verify_directly_issued_by(parent)
        return True
    except Exception:
        return False


def parse_quote(quote):
    version = struct.unpack_from("<H", quote, 0)[0]
    header = quote[:48]
    if version == 5:
        body_type, body_size = struct.unpack_from("<HI", quote, 48)
        body_start = 54
    else:
        body_type, body_size, body_start = 2, 584, 48
    body = quote[body_start:body_start + body_size]
    signed = quote[:body_start + body_size]
    position = body_start + body_size
    signature_length = struct.unpack_from("<I", quote, position)[0]
    data = quote[position + 4:position + 4 + signature_length]
    signature, attestation_key = data[:64], data[64:128]
    cert_type, cert_size = struct.unpack_from("<HI", data, 128)
    certification = data[134:134 + cert_size]
    parsed = {"version": version, "header": header, "body": body, "body_type": body_type, "signed": signed,
              "signature": signature, "attestation_key": attestation_key, "cert_type": cert_type}
    if cert_type == 6:
        parsed["qe_report"] = certification[:384]
        parsed["qe_signature"] = certification[384:448]
        auth_size = struct.unpack_from("<H", certification, 448)[0]
        parsed["qe_auth"] = certification[450:450 + auth_size]
        inner = 450 + auth_size
        inner_type, inner_size = struct.unpack_from("<HI", certification, inner)
        parsed["inner_type"] = inner_type
        parsed["pck_chain"] = certification[inner + 6:inner + 6 + inner_size]
        check(inner + 6 + inner_size == len(certification), "certification data has trailing bytes")
    return parsed


def signed_json(path, key):
    """The JSON object under `key` in a PCS response, its exact bytes, and its signature."""
    text = open(path).read()
    start = text.index("{", text.index(f'"{key}":'))
    end = text.rindex(',"signature":')
    return json.loads(text[start:end]), text[start:end].encode(), bytes.fromhex(json.loads(text)["signature"])


def first_level(levels, matches):
    for level in levels:
        if matches(level):
            return level["tcbStatus"]
    return None


def main(quote_path, trust):
    quote = parse_quote(open(quote_path, "rb").read())
    header, body = quote["header"], quote["body"]
    now = datetime.datetime.now(datetime.timezone.utc)
    root = x509.load_der_x509_certificate(open(f"{trust}/intel-sgx-root-ca.der", "rb").read())

    # The quote.
    check(header[12:28] == INTEL_QE_VENDOR_ID, "QE vendor id is not Intel's")
    check(quote["cert_type"] == 6, f"certification data type {quote['cert_type']}, expected 6")
    check(quote.get("inner_type") == 5, "the QE certification data does not nest a PCK chain (type 5)")
    tee_tcb_svn, mr_signer_seam, seam_attributes = body[0:16], body[64:112], body[112:120]
    check(seam_attributes == bytes(8), "SEAMATTRIBUTES are not zero")
    check(p256_verify(raw_p256_key(quote["attestation_key"]), quote["signature"], quote["signed"]),
          "the quote signature does not verify with the attestation key")
    chain = x509.load_pem_x509_certificates(quote["pck_chain"])
    pck, platform_ca, chain_root = chain[0], chain[1], chain[-1]
    check(chain_root.public_bytes(serialization.Encoding.DER) ==
          root.public_bytes(serialization.Encoding.DER), "the PCK chain does not end at the trusted root")
    check(issued_by(pck, platform_ca) and issued_by(platform_ca, root), "the PCK chain does not verify")
    qe_report = quote["qe_report"]
    check(p256_verify(pck.public_key(), quote["qe_signature"], qe_report), "the QE report signature does not verify with the PCK")
    check(qe_report[320:352] == hashlib.sha256(quote["attestation_key"] + quote["qe_auth"]).digest()
          and qe_report[352:384] == bytes(32), "the QE report does not bind the attestation key")

    # Collateral signatures.
    tcb_chain = x509.load_pem_x509_certificates(open(f"{trust}/tcb-signing-chain.pem", "rb").read())
    tcb_signer = tcb_chain[0]
    names = tcb_signer.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
    check([n.value for n in names] == ["Intel SGX TCB Signing"], "the TCB signing certificate is not 'Intel SGX TCB Signing'")
    check(issued_by(tcb_signer, root), "the TCB signing certificate is not issued by the trusted root")
    tcb_info, tcb_bytes, tcb_signature = signed_json(f"{trust}/tcb-info.json", "tcbInfo")
    qe_identity, qe_bytes, qe_signature = signed_json(f"{trust}/qe-identity.json", "enclaveIdentity")
    check(p256_verify(tcb_signer.public_key(), tcb_signature, tcb_bytes), "the TCB info signature does not verify")
    check(p256_verify(tcb_signer.public_key(), qe_signature, qe_bytes), "the QE identity signature does not verify")

    # TCB info.
    pck_fields = sgx_extension(pck)
    check(tcb_info["id"] == "TDX" and tcb_info["version"] == 3, "TCB info is not a v3 TDX TCB info")
    check(datetime.datetime.fromisoformat(tcb_info["nextUpdate"].replace("Z", "+00:00")) > now, "TCB info expired")
    check(bytes.fromhex(tcb_info["fmspc"]) == pck_fields["fmspc"], "TCB info FMSPC differs from the PCK's")
    check(bytes.fromhex(tcb_info["pceId"]) == pck_fields["pceid"], "TCB info PCE ID differs from the PCK's")
    module = tcb_info["tdxModule"]
    check(bytes.fromhex(module["mrsigner"]) == mr_signer_seam, "TDX module MRSIGNER differs from MRSIGNERSEAM")
    check(bytes(a & m for a, m in zip(seam_attributes, bytes.fromhex(module["attributesMask"])))
          == bytes.fromhex(module["attributes"]), "SEAMATTRIBUTES under the module's mask differ from its attributes")
    module_status = "UpToDate"
    first_tdx_component = 0
    if tee_tcb_svn[1] > 0:
        first_tdx_component = 2
        identity_id = "TDX_%02X" % tee_tcb_svn[1]
        identities = [i for i in tcb_info.get("tdxModuleIdentities", []) if i["id"].upper() == identity_id]
        if check(len(identities) == 1, f"no TDX module identity {identity_id}"):
            identity = identities[0]
            check(bytes.fromhex(identity["mrsigner"]) == mr_signer_seam, "module identity MRSIGNER differs")
            check(bytes(a & m for a, m in zip(seam_attributes, bytes.fromhex(identity["attributesMask"])))
                  == bytes.fromhex(identity["attributes"]), "module identity attributes differ under their mask")
            module_status = first_level(identity["tcbLevels"], lambda level: level["tcb"]["isvsvn"] <= tee_tcb_svn[0])
            check(module_status is not None, "no module identity level for the TDX module's SVN")

    def tcb_matches(level):
        tcb = level["tcb"]
        return (all(c["svn"] <= pck_fields["components"][i] for i, c in enumerate(tcb["sgxtcbcomponents"]))
                and tcb["pcesvn"] <= pck_fields["pcesvn"]
                and all(c["svn"] <= tee_tcb_svn[i] for i, c in enumerate(tcb["tdxtcbcomponents"]) if i >= first_tdx_component))

    tcb_status = first_level(tcb_info["tcbLevels"], tcb_matches)
    check(tcb_status is not None, "no TCB level matches the platform")

    # QE identity.
    miscselect = struct.unpack_from("<I", qe_report, 16)[0]
    attributes, mrsigner = qe_report[48:64], qe_report[128:160]
    isvprodid, isvsvn = struct.unpack_from("<HH", qe_report, 256)
    check(qe_identity["id"] == "TD_QE" and qe_identity["version"] == 2, "QE identity is not a v2 TD_QE identity")
    check(datetime.datetime.fromisoformat(qe_identity["nextUpdate"].replace("Z", "+00:00")) > now, "QE identity expired")
    check(bytes.fromhex(qe_identity["mrsigner"]) == mrsigner, "QE MRSIGNER differs from the QE identity")
    check(qe_identity["isvprodid"] == isvprodid, "QE ISVPRODID differs from the QE identity")
    check(miscselect & int.from_bytes(bytes.fromhex(qe_identity["miscselectMask"]), "little")
          == int.from_bytes(bytes.fromhex(qe_identity["miscselect"]), "little"),
          "Quoting Enclave MISCSELECT does not match the QE identity under its mask")
    check(bytes(a & m for a, m in zip(attributes, bytes.fromhex(qe_identity["attributesMask"])))
          == bytes.fromhex(qe_identity["attributes"]),
          "Quoting Enclave attributes do not match the QE identity under its mask")
    qe_status = first_level(qe_identity["tcbLevels"], lambda level: level["tcb"]["isvsvn"] <= isvsvn)
    check(qe_status is not None, "no QE identity level for the QE's ISVSVN")

    statuses = [s for s in (tcb_status, module_status, qe_status) if s]
    print(json.dumps({"failures": failures, "tcb_status": tcb_status, "module_status": module_status,
                      "qe_status": qe_status, "body_type": quote["body_type"], "version": quote["version"],
                      "status": max(statuses, key=STATUS_ORDER.index) if statuses else None}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
