#!/usr/bin/env python3
"""An SEV-SNP device client written from the kernel's uapi header (include/uapi/linux/sev-guest.h),
as go-sev-guest and snpguest drive /dev/sev-guest: ioctls carrying pointers into this process.

Usage:
  snp_device_client.py DEVICE ext-report NONCE_HEX VMPL REPORT_OUT CERTS_OUT
      SNP_GET_EXT_REPORT with the certificate-length negotiation (first call without a buffer,
      then with the length the driver asked for); writes the report and the certificate table.
  snp_device_client.py DEVICE report NONCE_HEX VMPL REPORT_OUT
  snp_device_client.py DEVICE derived-key ROOT_KEY_SELECT FIELD_SELECT VMPL GUEST_SVN TCB_VERSION
  snp_device_client.py DEVICE hostile
      Calls the driver would refuse; prints the errno each one got.
  snp_device_client.py DEVICE stalled-report READY_FILE
      SNP_GET_REPORT whose request lies in a userfaultfd region nobody resolves, as a hostile caller
      would wedge a driver's copy_from_user; touches READY_FILE just before the call, prints the errno
      and how long the call took.
Prints one JSON object.
"""
import ctypes
import errno
import fcntl
import json
import os
import struct
import sys

SNP_GET_REPORT, SNP_GET_DERIVED_KEY, SNP_GET_EXT_REPORT = 0xC0205300, 0xC0205301, 0xC0205302


def guest_request(version, req, resp, exitinfo2=0):
    """struct snp_guest_request_ioctl: u8 msg_version, u64 req_data @8, u64 resp_data @16, u64 exitinfo2 @24."""
    return bytearray(struct.pack("<B7xQQQ", version, req, resp, exitinfo2))


def call(fd, command, arg):
    """Returns (errno or 0, the structure as the driver left it)."""
    try:
        fcntl.ioctl(fd, command, arg, True)
        return 0, arg
    except OSError as error:
        return error.errno, arg


def exitinfo2(arg):
    return struct.unpack_from("<Q", arg, 24)[0]


def report_request(nonce, vmpl):
    return ctypes.create_string_buffer(nonce + struct.pack("<I", vmpl) + bytes(28), 96)


def response_status(resp):
    status, size = struct.unpack_from("<II", resp.raw, 0)
    return status, resp.raw[0x20:0x20 + size]


def ext_report(fd, nonce, vmpl):
    req = ctypes.create_string_buffer(112)
    req.raw = bytes(report_request(nonce, vmpl).raw) + struct.pack("<QI4x", 0, 0)
    resp = ctypes.create_string_buffer(4000)
    first, arg = call(fd, SNP_GET_EXT_REPORT, guest_request(1, ctypes.addressof(req), ctypes.addressof(resp)))
    asked = struct.unpack_from("<I", req.raw, 104)[0]
    result = {"first_errno": first, "first_exitinfo2": exitinfo2(arg), "certs_len": asked}
    certs = ctypes.create_string_buffer(max(asked, 1))
    struct.pack_into("<QI", req, 96, ctypes.addressof(certs), asked)
    second, arg = call(fd, SNP_GET_EXT_REPORT, guest_request(1, ctypes.addressof(req), ctypes.addressof(resp)))
    status, report = response_status(resp)
    result.update({"second_errno": second, "status": status, "report_size": len(report)})
    return result, report, certs.raw[:asked]


def derived_key(fd, root, fields, vmpl, svn, tcb):
    req = ctypes.create_string_buffer(struct.pack("<I4xQIIQ", root, fields, vmpl, svn, tcb), 32)
    resp = ctypes.create_string_buffer(64)
    code, _ = call(fd, SNP_GET_DERIVED_KEY, guest_request(1, ctypes.addressof(req), ctypes.addressof(resp)))
    status = struct.unpack_from("<I", resp.raw, 0)[0]
    return {"errno": code, "status": status, "key": resp.raw[0x20:0x40].hex()}


def hostile(fd):
    req = report_request(bytes(64), 0)
    resp = ctypes.create_string_buffer(4000)
    good_req, good_resp = ctypes.addressof(req), ctypes.addressof(resp)
    ext = ctypes.create_string_buffer(112)
    certs = ctypes.create_string_buffer(8192)

    def ext_with(length, address):
        ext.raw = bytes(req.raw) + struct.pack("<QI4x", address, length)
        return call(fd, SNP_GET_EXT_REPORT, guest_request(1, ctypes.addressof(ext), good_resp))[0]

    results = {}
    try:
        fcntl.ioctl(fd, SNP_GET_REPORT, 0)
        results["null_argument"] = 0
    except OSError as error:
        results["null_argument"] = error.errno
    results["unknown_command"] = call(fd, 0xC0205399, guest_request(1, good_req, good_resp))[0]
    code, arg = call(fd, 0xC0205303, guest_request(1, good_req, good_resp))
    results["unknown_command_exitinfo2"] = exitinfo2(arg)
    results["message_version_zero"] = call(fd, SNP_GET_REPORT, guest_request(0, good_req, good_resp))[0]
    results["null_request"] = call(fd, SNP_GET_REPORT, guest_request(1, 0, good_resp))[0]
    results["null_response"] = call(fd, SNP_GET_REPORT, guest_request(1, good_req, 0))[0]
    results["garbage_request"] = call(fd, SNP_GET_REPORT, guest_request(1, 0x10, good_resp))[0]
    results["garbage_response"] = call(fd, SNP_GET_REPORT, guest_request(1, good_req, 0xFFFF800000000000))[0]
    results["kernel_request"] = call(fd, SNP_GET_EXT_REPORT, guest_request(1, 0xFFFFFFFF81000000, good_resp))[0]
    results["certs_unaligned"] = ext_with(4097, ctypes.addressof(certs))
    results["certs_oversized"] = ext_with(20480, ctypes.addressof(certs))
    results["certs_garbage_address"] = ext_with(8192, 0x10)
    results["certs_kernel_address"] = ext_with(8192, 0xFFFFFFFF81000000)
    results["certs_null_address"] = ext_with(8192, 0)
    results["certs_null_address_len"] = struct.unpack_from("<I", ext.raw, 104)[0]
    results["derived_key_below_vmpl"] = derived_key(fd, 0, 0, 0, 0, 0)
    results["derived_key_undefined_bits"] = derived_key(fd, 0, 1 << 40, 3, 0, 0)["status"]
    return results


def stalled_report(fd, ready_file):
    """req_data points at a page of a userfaultfd region (missing mode) that is never filled."""
    import mmap
    import time
    libc = ctypes.CDLL(None, use_errno=True)
    uffd = libc.syscall(323, os.O_CLOEXEC | os.O_NONBLOCK)  # __NR_userfaultfd on x86-64
    if uffd < 0:
        return {"error": f"userfaultfd: {os.strerror(ctypes.get_errno())}"}
    api = bytearray(struct.pack("<QQQ", 0xAA, 0, 0))
    fcntl.ioctl(uffd, 0xC018AA3F, api, True)  # UFFDIO_API
    region = mmap.mmap(-1, 4096)
    address = ctypes.addressof(ctypes.c_char.from_buffer(region))
    register = bytearray(struct.pack("<QQQQ", address, 4096, 1, 0))  # UFFDIO_REGISTER_MODE_MISSING
    fcntl.ioctl(uffd, 0xC020AA00, register, True)  # UFFDIO_REGISTER
    resp = ctypes.create_string_buffer(4000)
    open(ready_file, "w").close()
    started = time.monotonic()
    code, _ = call(fd, SNP_GET_REPORT, guest_request(1, address, ctypes.addressof(resp)))
    return {"errno": code, "seconds": round(time.monotonic() - started, 3)}


def main():
    device, command = sys.argv[1], sys.argv[2]
    fd = os.open(device, os.O_RDWR)
    if command == "ext-report":
        nonce, vmpl, report_out, certs_out = bytes.fromhex(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
        result, report, certs = ext_report(fd, nonce, vmpl)
        open(report_out, "wb").write(report)
        open(certs_out, "wb").write(certs)
    elif command == "report":
        nonce, vmpl, report_out = bytes.fromhex(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
        req, resp = report_request(nonce, vmpl), ctypes.create_string_buffer(4000)
        code, arg = call(fd, SNP_GET_REPORT, guest_request(1, ctypes.addressof(req), ctypes.addressof(resp)))
        status, report = response_status(resp)
        open(report_out, "wb").write(report)
        result = {"errno": code, "status": status, "exitinfo2": exitinfo2(arg), "report_size": len(report)}
    elif command == "derived-key":
        result = derived_key(fd, *(int(value, 0) for value in sys.argv[3:8]))
    elif command == "hostile":
        result = hostile(fd)
    elif command == "stalled-report":
        result = stalled_report(fd, sys.argv[3])
    else:
        raise SystemExit(__doc__)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
