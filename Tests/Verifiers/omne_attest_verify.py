#!/usr/bin/env python3
"""Verify an SEV-SNP report and its auxblob with third-party code: omne-attest (report signature,
ARK -> ASK -> VCEK RSA-PSS chain against a pinned ARK hash, chip id and TCB binding, policy) and,
independently, the `cryptography` package (VCEK ECDSA P-384 signature over bytes 0x000-0x29F).
omne-attest requires a VCEK's hwID, so a VLEK-signed report (ARK -> ASVK -> VLEK) is checked with
`cryptography` alone: the same chain, pin, signature, report_data and VMPL checks.

Usage: omne_attest_verify.py REPORT AUXBLOB ARK_SHA256_FILE NONCE_HEX MAX_VMPL
Prints one JSON object; exits 0 when every check passed.
"""
import hashlib
import json
import struct
import sys
import warnings

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
import omne_attest

GUIDS = {"63da758de6644564adc5f4b93be8accd": "vcek", "4ab7b379bbac4fe4a02f05aef327c782": "ask",
         "c0b406a4a80349529743" "3fb6014cd0ae": "ark", "a8074bc2a25a483eaae639c045a0b8a1": "vlek"}


def certificate_table(aux):
    certs, order, position = {}, [], 0
    while True:
        guid, offset, length = aux[position:position + 16], *struct.unpack("<II", aux[position + 16:position + 24])
        position += 24
        if guid == bytes(16) and offset == 0 and length == 0:
            return certs, order
        name = GUIDS[guid.hex()]
        certs[name] = aux[offset:offset + length]
        order.append(name)


def verify_chain_with_cryptography(leaf_der, intermediate_der, ark_der, pin):
    if hashlib.sha256(ark_der).digest() != pin:
        raise ValueError("the ARK does not match the pinned hash")
    ark, intermediate, leaf = (x509.load_der_x509_certificate(d) for d in (ark_der, intermediate_der, leaf_der))
    for subject, issuer in ((ark, ark), (intermediate, ark), (leaf, intermediate)):
        issuer.public_key().verify(subject.signature, subject.tbs_certificate_bytes,
                                   padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48), hashes.SHA384())


def main(report_path, aux_path, pin_path, nonce_hex, max_vmpl):
    warnings.simplefilter("ignore")  # AMD's VCEK serial 0 draws a cryptography deprecation warning
    report = open(report_path, "rb").read()
    out = {}
    try:
        certs, out["table_order"] = certificate_table(open(aux_path, "rb").read())
        pin = bytes.fromhex(open(pin_path).read().strip())
        policy = omne_attest.Policy(report_data=bytes.fromhex(nonce_hex), max_vmpl=int(max_vmpl))
        parsed = omne_attest.Report.parse(report)
        signer = "vlek" if "vlek" in certs else "vcek"
        if signer == "vcek":
            omne_attest.verify(report, certs["vcek"], certs["ask"], certs["ark"], pin, policy)
        else:
            verify_chain_with_cryptography(certs["vlek"], certs["ask"], certs["ark"], pin)
            assert parsed.report_data == policy.report_data, "report_data is not the nonce"
            assert parsed.vmpl <= policy.max_vmpl, "VMPL above the accepted level"
            assert (struct.unpack("<I", report[0x48:0x4C])[0] >> 2) & 7 == 1, "signer info does not say VLEK"
        vcek = x509.load_der_x509_certificate(certs[signer]).public_key()
        signature = encode_dss_signature(int.from_bytes(parsed.sig_r, "big"), int.from_bytes(parsed.sig_s, "big"))
        vcek.verify(signature, report[:0x2A0], ec.ECDSA(hashes.SHA384()))
        out["verified"] = True
        out["report"] = {
            "version": parsed.version, "guest_svn": parsed.guest_svn, "policy": parsed.policy, "vmpl": parsed.vmpl,
            "measurement": parsed.measurement.hex(), "host_data": parsed.host_data.hex(), "chip_id": parsed.chip_id.hex(),
            "report_data": parsed.report_data.hex(), "platform_info": parsed.platform_info,
            "reported_tcb": [parsed.reported_tcb.boot_loader, parsed.reported_tcb.tee, parsed.reported_tcb.snp,
                             parsed.reported_tcb.microcode],
            "cpuid": list(report[0x188:0x18B]),
            "family_id": parsed.family_id.hex(), "image_id": parsed.image_id.hex(),
            "id_key_digest": parsed.id_key_digest.hex(), "author_key_digest": parsed.author_key_digest.hex(),
            "report_id": parsed.report_id.hex(),
            "current_tcb": [parsed.current_tcb.boot_loader, parsed.current_tcb.tee, parsed.current_tcb.snp,
                            parsed.current_tcb.microcode],
            "committed_tcb": [parsed.committed_tcb.boot_loader, parsed.committed_tcb.tee, parsed.committed_tcb.snp,
                              parsed.committed_tcb.microcode],
            "launch_tcb": [parsed.launch_tcb.boot_loader, parsed.launch_tcb.tee, parsed.launch_tcb.snp,
                           parsed.launch_tcb.microcode],
            "firmware": list(report[0x1E8:0x1EB]) + list(report[0x1EC:0x1EF]),
            "signer_info": struct.unpack("<I", report[0x48:0x4C])[0],
        }
    except Exception as error:
        out["verified"] = False
        out["error"] = f"{type(error).__name__}: {error}"
    print(json.dumps(out))
    return 0 if out["verified"] else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
