#!/usr/bin/env python3
"""Drives Intel's libtdx_attest (DCAP, as shipped in the dk-tee-attestation wheel), unmodified,
the way attestation agents call it: tdx_att_get_report, tdx_att_extend on RTMR 2 and 3, then
tdx_att_get_quote. Run it where /dev/tdx_guest, the tsm-mr files and configfs-tsm are at their
kernel paths (tsmfs exec --provider tdx).

Usage: tdx_dcap_client.py REPORT_DATA_HEX EXTEND2_HEX EXTEND3_HEX QUOTE_OUT
Prints one JSON object: each call's return code, the TDREPORT, and the RTMRs as sysfs shows them.
"""
import ctypes
import glob
import json
import os
import sys

import dk_tee_attestation  # noqa: F401  (the wheel that carries the library)

LIBRARY = glob.glob(os.path.join(os.path.dirname(dk_tee_attestation.__file__), "..", "dk_tee_attestation.libs", "libtdx_attest*.so*"))[0]
# Where libtdx_attest extends, and so where the registers are read back.
MEASUREMENTS = os.environ.get("DCAP_TDX_RTMR_SYSFS_PATH", "/sys/class/misc/tdx_guest/measurements")


class RTMREvent(ctypes.Structure):
    """tdx_rtmr_event_t, packed: version, rtmr_index, extend_data[48], event_type, event_data_size."""
    _pack_ = 1
    _fields_ = [("version", ctypes.c_uint32), ("rtmr_index", ctypes.c_uint64), ("extend_data", ctypes.c_uint8 * 48),
                ("event_type", ctypes.c_uint32), ("event_data_size", ctypes.c_uint32)]


def main():
    report_data, extend2, extend3, quote_out = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3]), sys.argv[4]
    lib = ctypes.CDLL(LIBRARY)
    data = (ctypes.c_uint8 * 64)(*report_data)
    report = (ctypes.c_uint8 * 1024)()
    result = {"get_report": lib.tdx_att_get_report(data, report)}
    result["tdreport"] = bytes(report).hex()
    for index, value in ((2, extend2), (3, extend3)):
        event = RTMREvent(1, index, (ctypes.c_uint8 * 48)(*value), 0, 0)
        result[f"extend{index}"] = lib.tdx_att_extend(ctypes.byref(event))
    quote = ctypes.POINTER(ctypes.c_uint8)()
    size = ctypes.c_uint32()
    key_id = (ctypes.c_uint8 * 16)()
    result["get_quote"] = lib.tdx_att_get_quote(data, None, 0, key_id, ctypes.byref(quote), ctypes.byref(size), 0)
    if result["get_quote"] == 0:
        with open(quote_out, "wb") as out:
            out.write(ctypes.string_at(quote, size.value))
        lib.tdx_att_free_quote(quote)
    for name in sorted(os.listdir(MEASUREMENTS)):
        with open(os.path.join(MEASUREMENTS, name), "rb") as register:
            result[name] = register.read().hex()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
