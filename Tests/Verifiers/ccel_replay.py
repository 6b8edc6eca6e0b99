#!/usr/bin/env python3
"""An independent reader of a TDX boot event log, written from the ACPI CCEL table layout and
the TCG crypto-agile log format (TCG EFI Protocol §5.1/§5.2), sharing nothing with tsmfs.

usage: ccel_replay.py TABLE DATA   -> JSON: table fields, events, RTMR0-2 replayed

Exits 1 with a message on any rule a real client applies: table signature, length, checksum,
CC type (2 = TDX), LAML equal to the data's size; a Spec ID event declaring SHA-384 only; every
event's MR index 1-3 (RTMR3 is never in CCEL); the log ending at an index of 0xFFFFFFFF and
filled with 0xFF to the end of the area, as TDVF leaves it.
"""
import hashlib
import json
import struct
import sys


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def read_table(table, data_length):
    if len(table) != 56:
        fail(f"table is {len(table)} bytes, not 56")
    signature, length, revision, checksum = struct.unpack_from("<4sIBB", table, 0)
    if signature != b"CCEL" or length != 56:
        fail(f"table signature {signature!r} length {length}")
    if sum(table) % 256 != 0:
        fail("table checksum does not sum to zero")
    cc_type, cc_subtype = table[36], table[37]
    laml, lasa = struct.unpack_from("<QQ", table, 40)
    if cc_type != 2 or cc_subtype != 0:
        fail(f"CC type {cc_type}.{cc_subtype} is not TDX")
    if laml != data_length:
        fail(f"LAML {laml} but the log area file has {data_length} bytes")
    return {"revision": revision, "oem_id": table[10:16].decode(), "laml": laml, "lasa": lasa}


def read_log(data):
    # The Spec ID event, in the SHA-1 format.
    index, event_type = struct.unpack_from("<II", data, 0)
    digest = data[8:28]
    (size,) = struct.unpack_from("<I", data, 28)
    spec = data[32:32 + size]
    if event_type != 3 or digest != bytes(20) or not spec.startswith(b"Spec ID Event03\x00"):
        fail("the first event is not a Spec ID event")
    (count,) = struct.unpack_from("<I", spec, 24)
    algorithms = [struct.unpack_from("<HH", spec, 28 + 4 * i) for i in range(count)]
    if algorithms != [(0x000C, 48)]:
        fail(f"algorithms {algorithms}: TDVF logs SHA-384 only")
    vendor_size = spec[28 + 4 * count]
    if 29 + 4 * count + vendor_size != size:
        fail("Spec ID event size does not match its contents")
    position = 32 + size
    events = []
    while True:
        if position + 4 > len(data):
            fail("the log runs to the end of the area without an end marker")
        (index,) = struct.unpack_from("<I", data, position)
        if index == 0xFFFFFFFF:
            break
        event_type, digests = struct.unpack_from("<II", data, position + 4)
        position += 12
        values = {}
        for _ in range(digests):
            (algorithm,) = struct.unpack_from("<H", data, position)
            if algorithm != 0x000C:
                fail(f"digest algorithm {algorithm:#x} was not declared")
            values[algorithm] = data[position + 2:position + 50]
            position += 50
        (size,) = struct.unpack_from("<I", data, position)
        event_data = data[position + 4:position + 4 + size]
        position += 4 + size
        if index not in (1, 2, 3):
            fail(f"event {len(events)} names MR index {index}")
        events.append({"index": index, "type": event_type, "digest": values[0x000C].hex(), "data": event_data.hex()})
    if any(byte != 0xFF for byte in data[position:]):
        fail("the area after the last event is not 0xFF")
    return events


def replay(events):
    registers = [bytes(48)] * 3
    for event in events:
        if event["type"] == 3:  # EV_NO_ACTION extends nothing
            continue
        register = event["index"] - 1
        registers[register] = hashlib.sha384(registers[register] + bytes.fromhex(event["digest"])).digest()
    return [register.hex() for register in registers]


def main():
    if len(sys.argv) != 3:
        fail(__doc__)
    table = open(sys.argv[1], "rb").read()
    data = open(sys.argv[2], "rb").read()
    fields = read_table(table, len(data))
    events = read_log(data)
    print(json.dumps({"table": fields, "events": events, "rtmrs": replay(events)}))


main()
