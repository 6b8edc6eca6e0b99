import Foundation
import Glibc

/// One device request as its clients make it: TDX_CMD_GET_REPORT0 on /dev/tdx_guest, or
/// SNP_GET_EXT_REPORT on /dev/sev-guest with a certificate buffer already sized (the second
/// call of the negotiation, which is what a client repeats).
struct DeviceRoundTrip {
    let device: String
    let provider: String

    static let getReport0: UInt = 0xC440_5401
    static let snpGetExtReport: UInt = 0xC020_5302

    /// Returns a closure doing one round trip on a descriptor of its own; `nil` if the device
    /// cannot be opened.
    func makeCall() -> (() -> Bool)? {
        let descriptor = open(device, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        if provider == "tdx" {
            let request = UnsafeMutableRawBufferPointer.allocate(byteCount: 1088, alignment: 8)
            request.initializeMemory(as: UInt8.self, repeating: 7)
            return { ioctl(descriptor, Self.getReport0, request.baseAddress!) == 0 }
        }
        // snp_ext_report_req, snp_report_resp, 16 KiB of certificate buffer, snp_guest_request_ioctl.
        let extended = UnsafeMutableRawBufferPointer.allocate(byteCount: 112, alignment: 8)
        let response = UnsafeMutableRawBufferPointer.allocate(byteCount: 4000, alignment: 8)
        let certificates = UnsafeMutableRawBufferPointer.allocate(byteCount: 16384, alignment: 4096)
        let guest = UnsafeMutableRawBufferPointer.allocate(byteCount: 32, alignment: 8)
        extended.initializeMemory(as: UInt8.self, repeating: 0)
        extended.storeBytes(
            of: UInt64(UInt(bitPattern: certificates.baseAddress!)).littleEndian, toByteOffset: 96, as: UInt64.self)
        extended.storeBytes(of: UInt32(16384).littleEndian, toByteOffset: 104, as: UInt32.self)
        return {
            guest.initializeMemory(as: UInt8.self, repeating: 0)
            guest.storeBytes(of: 1, toByteOffset: 0, as: UInt8.self)
            guest.storeBytes(of: UInt64(UInt(bitPattern: extended.baseAddress!)).littleEndian, toByteOffset: 8, as: UInt64.self)
            guest.storeBytes(of: UInt64(UInt(bitPattern: response.baseAddress!)).littleEndian, toByteOffset: 16, as: UInt64.self)
            return ioctl(descriptor, Self.snpGetExtReport, guest.baseAddress!) == 0
        }
    }
}
