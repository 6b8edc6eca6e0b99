#!/usr/bin/env python3
"""Verify an Arm CCA attestation token with third-party code only: cbor2 decodes the collection and
the claims, pycose checks both COSE_Sign1 signatures (the platform token with the CPAK that
`tsmfs roots --provider cca` exported, the realm token with the RAK from claim 44237), and the
platform-to-realm binding, the challenge and the claim types are checked here.

Usage: cca_token_verify.py TOKEN TRUST_DIR CHALLENGE_HEX
Prints one JSON object; exits 0 when every check passed.
"""
import hashlib
import json
import sys

import cbor2
from cryptography.hazmat.primitives import serialization
from pycose.keys import EC2Key
from pycose.keys.curves import P256, P384
from pycose.messages import Sign1Message

HASHES = {"sha-256": hashlib.sha256, "sha-384": hashlib.sha384, "sha-512": hashlib.sha512}
B64 = __import__("base64")


def cose_key(x, y):
    return EC2Key(crv=P384 if len(x) == 48 else P256, x=x, y=y)


def rak_key(claim):
    if len(claim) == 97 and claim[0] == 4:
        return cose_key(claim[1:49], claim[49:]), "raw-point"
    key = cbor2.loads(claim)
    assert key[1] == 2 and key[-1] == 2, "RAK must be an EC2 P-384 COSE_Key"
    return cose_key(key[-2], key[-3]), "cose-key"


def verify(message, key):
    message.key = key
    try:
        return message.verify_signature()
    except Exception:
        return False


def main():
    token, trust, challenge = open(sys.argv[1], "rb").read(), sys.argv[2], bytes.fromhex(sys.argv[3])
    checks, out = {}, {}
    outer = cbor2.loads(token)
    checks["collection tag is 399 or 907"] = isinstance(outer, cbor2.CBORTag) and outer.tag in (399, 907)
    entries = outer.value
    if outer.tag == 907:
        checks["CMW records are [263, bstr]"] = all(entries[k][0] == 263 for k in (44234, 44241))
        entries = {k: entries[k][1] for k in (44234, 44241)}
    out["collection"] = outer.tag

    cpak = serialization.load_pem_public_key(open(trust + "/cpak.pem", "rb").read())
    numbers = cpak.public_numbers()
    size = (cpak.curve.key_size + 7) // 8
    cpak_key = cose_key(numbers.x.to_bytes(size, "big"), numbers.y.to_bytes(size, "big"))
    anchors = json.load(open(trust + "/cpak-trust-anchors.json"))
    unb64 = lambda text: B64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    checks["the JWK trust anchor is the same key"] = (
        unb64(anchors[0]["pkey"]["x"]) == numbers.x.to_bytes(size, "big")
        and unb64(anchors[0]["pkey"]["y"]) == numbers.y.to_bytes(size, "big"))

    platform_message = Sign1Message.decode(entries[44234])
    realm_message = Sign1Message.decode(entries[44241])
    checks["platform token signed by the CPAK"] = verify(platform_message, cpak_key)
    platform = cbor2.loads(platform_message.payload)
    realm = cbor2.loads(realm_message.payload)
    rak, rak_form = rak_key(realm[44237])
    checks["realm token signed by the RAK of claim 44237"] = verify(realm_message, rak)
    checks["realm token is ES384"] = cbor2.loads(realm_message.phdr_encoded)[1] == -35
    checks["platform token's algorithm fits the CPAK"] = cbor2.loads(platform_message.phdr_encoded)[1] == (-35 if size == 48 else -7)
    binding = HASHES[realm[44240]](realm[44237]).digest()
    checks["platform challenge = hash(RAK claim) under claim 44240"] = platform[10] == binding
    checks["realm challenge is the inblob, zero-padded to 64"] = realm[10] == challenge + bytes(64 - len(challenge))
    checks["instance id is the trust anchor's UEID"] = (
        len(platform[256]) == 33 and platform[256][0] == 1 and platform[256].hex() == anchors[0]["instance-id"])
    checks["implementation id (32 bytes) is the trust anchor's"] = (
        len(platform[2396]) == 32 and platform[2396].hex() == anchors[0]["implementation-id"])
    checks["platform claims have their types"] = (
        isinstance(platform[265], str) and isinstance(platform[2395], int) and isinstance(platform[2401], bytes)
        and isinstance(platform[2400], str) and platform[2402] in HASHES
        and all(isinstance(c[1], str) and isinstance(c[2], bytes) for c in platform[2399]))
    width = HASHES[realm[44236]]().digest_size
    checks["realm measurements are digests of the realm hash algorithm"] = (
        len(realm[44238]) == width and len(realm[44239]) == 4 and all(len(rem) == width for rem in realm[44239]))
    checks["personalization value is 64 bytes"] = len(realm[44235]) == 64
    out.update({
        "rak_form": rak_form, "platform_profile": platform[265], "realm_profile": realm.get(265),
        "lifecycle": platform[2395], "software_components": [c[1] for c in platform[2399]],
        "platform_algorithm": cbor2.loads(platform_message.phdr_encoded)[1],
        "rem0": realm[44239][0].hex(), "rim": realm[44238].hex(),
    })
    out["checks"] = checks
    out["verified"] = all(checks.values())
    print(json.dumps(out))
    sys.exit(0 if out["verified"] else 1)


if __name__ == "__main__":
    main()
