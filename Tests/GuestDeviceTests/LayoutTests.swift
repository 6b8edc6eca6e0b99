import ByteLayout
import GuestDeviceABI
import GuestSurface
import SystemPackage
import Testing

/// The uapi structures at their named offsets, round-tripped; and sysfs's binary attribute rules.
@Suite struct LayoutTests {
    typealias ABI = SEVGuestABI

    @Test func structuresRoundTripAtTheirOffsets() throws {
        let request = ABI.GuestRequest(messageVersion: 1, requestData: 0x1122, responseData: 0x3344, exitInfo2: 0x5566)
        let bytes = request.bytes()
        #expect(bytes.count == 32 && bytes[0] == 1 && bytes.loadLittleEndian(UInt64.self, at: 16) == 0x3344)
        #expect(ABI.GuestRequest(parsing: bytes) == request)

        let report = ABI.ReportRequest(userData: (0..<64).map { UInt8($0) }, vmpl: 3)
        let reportBytes = try report.bytes
        #expect(reportBytes.count == 96 && reportBytes.loadLittleEndian(UInt32.self, at: 64) == 3)
        #expect(try ABI.ReportRequest(parsing: reportBytes) == report)
        #expect(throws: LayoutError.wrongWidth(field: "user_data", expected: 64, actual: 3)) {
            try ABI.ReportRequest(userData: [1, 2, 3], vmpl: 0).bytes
        }

        let extended = ABI.ExtendedReportRequest(report: report, certificatesAddress: 0xABCD, certificatesLength: 8192)
        let extendedBytes = try extended.bytes
        #expect(extendedBytes.count == 112 && extendedBytes.loadLittleEndian(UInt32.self, at: 104) == 8192)
        #expect(try ABI.ExtendedReportRequest(parsing: extendedBytes) == extended)
        let patched = ABI.ExtendedReportRequest.replacingCertificatesLength(in: extendedBytes, with: 4096)
        #expect(try ABI.ExtendedReportRequest(parsing: patched).certificatesLength == 4096)

        let response = ABI.ReportResponse(status: 0x16, report: [9, 9, 9])
        #expect(response.bytes.count == 4000 && response.bytes[0x20] == 9)
        #expect(try ABI.ReportResponse(parsing: response.bytes) == response)

        let key = ABI.DerivedKeyRequest(rootKeySelect: 1, guestFieldSelect: 0x3F, vmpl: 2, guestSVN: 7, tcbVersion: 0x0102)
        #expect(key.bytes.count == 32 && key.bytes.loadLittleEndian(UInt64.self, at: 24) == 0x0102)
        #expect(try ABI.DerivedKeyRequest(parsing: key.bytes) == key)
        let keyResponse = ABI.DerivedKeyResponse(status: 0, key: [UInt8](repeating: 7, count: 32))
        #expect(try ABI.DerivedKeyResponse(parsing: try keyResponse.bytes) == keyResponse)
        #expect(IoctlNumber.size(ABI.getExtReport) == 32 && IoctlNumber.size(TDXGuestABI.getReport0) == 1088)
        #expect(IoctlNumber.copiesIn(TDXGuestABI.getReport0) && IoctlNumber.copiesOut(TDXGuestABI.getReport0))
    }

    final class Register: RegisterFile, @unchecked Sendable {
        var current = [UInt8](repeating: 1, count: 48)
        var extensions: [[UInt8]] = []
        let name = "rtmr0:sha384"
        let size = 48
        let isWritable = true
        func value() throws(Errno) -> [UInt8] { current }
        func extend(with data: [UInt8]) throws(Errno) { extensions.append(data) }
    }

    @Test func sysfsClampsReadsAndAllowsOnlyWholeWrites() throws {
        let register = Register()
        #expect(try SysfsBinaryAttribute.read(register, count: 4096, at: 0).count == 48)
        #expect(try SysfsBinaryAttribute.read(register, count: 16, at: 40).count == 8)
        #expect(try SysfsBinaryAttribute.read(register, count: 16, at: 48).isEmpty)
        #expect(try SysfsBinaryAttribute.read(register, count: 0, at: 0).isEmpty)

        #expect(throws: Errno.invalidArgument) {
            try SysfsBinaryAttribute.write(register, [UInt8](repeating: 2, count: 47), at: 0)
        }
        #expect(throws: Errno.invalidArgument) {
            try SysfsBinaryAttribute.write(register, [UInt8](repeating: 2, count: 47), at: 1)
        }
        #expect(throws: Errno.fileTooLarge) { try SysfsBinaryAttribute.write(register, [UInt8](repeating: 2, count: 48), at: 48) }
        #expect(register.extensions.isEmpty)
        // A longer write is clamped to the register: it extends with the first 48 bytes and is short.
        #expect(try SysfsBinaryAttribute.write(register, (0..<96).map { UInt8($0) }, at: 0) == 48)
        #expect(register.extensions == [(0..<48).map { UInt8($0) }])
        #expect(try SysfsBinaryAttribute.write(register, [], at: 0) == 0)
    }
}
