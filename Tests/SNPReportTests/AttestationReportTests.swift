import AMDValues
import ByteLayout
import SNPReport
import Testing

@Suite struct AttestationReportTests {
    static func sample(version: UInt32) -> AttestationReport {
        var report = AttestationReport()
        report.version = version
        report.guestSVN = 7
        report.policy = 0x30000
        report.vmpl = 2
        let tcb = TCBVersion(bootLoader: 3, tee: 0, snp: 8, microcode: 0xD2)
        report.currentTCB = tcb
        report.reportedTCB = tcb
        report.committedTCB = tcb
        report.launchTCB = tcb
        report.reportData = (0..<64).map { UInt8($0) }
        report.measurement = Array(repeating: 0xAB, count: 48)
        report.chipID = (0..<64).map { UInt8(255 - $0) }
        report.cpuid = (0x19, 0x01, 0x01)
        report.currentFirmware = (3, 55, 1)
        report.committedFirmware = (3, 55, 1)
        report.launchMitigationVector = 0x11
        report.currentMitigationVector = 0x22
        report.signatureR = (0..<48).map { UInt8($0) }
        report.signatureS = (0..<48).map { UInt8(100 + $0) }
        return report
    }

    @Test(arguments: [UInt32(2), 3, 5])
    func roundTripsAtTheABIOffsets(_ version: UInt32) throws {
        let report = Self.sample(version: version)
        let bytes = try report.bytes
        #expect(bytes.count == 0x4A0)
        #expect(bytes.loadLittleEndian(UInt32.self, at: 0x00) == version)
        #expect(bytes.loadLittleEndian(UInt64.self, at: 0x08) == 0x30000)
        #expect(bytes.loadLittleEndian(UInt32.self, at: 0x30) == 2)
        #expect(bytes.loadLittleEndian(UInt32.self, at: 0x34) == 1)
        #expect(Array(bytes[0x50..<0x90]) == report.reportData)
        #expect(Array(bytes[0x180..<0x188]) == [3, 0, 0, 0, 0, 0, 8, 0xD2])
        #expect(Array(bytes[0x1A0..<0x1E0]) == report.chipID)
        #expect(Array(bytes[0x188..<0x18B]) == (version >= 3 ? [0x19, 0x01, 0x01] : [0, 0, 0]))
        #expect(bytes.loadLittleEndian(UInt64.self, at: 0x1F8) == (version >= 5 ? 0x11 : 0))
        // R and S little-endian, zero-padded to 72 bytes.
        #expect(Array(bytes[0x2A0..<0x2D0]) == Array(report.signatureR.reversed()))
        #expect(bytes[0x2D0..<0x2E8].allSatisfy { $0 == 0 })
        #expect(Array(bytes[0x2E8..<0x318]) == Array(report.signatureS.reversed()))
        #expect(bytes[0x330...].allSatisfy { $0 == 0 })
        #expect(try AttestationReport(parsing: bytes).bytes == bytes)
        #expect(try report.signedBytes == Array(bytes[0..<0x2A0]))
    }

    @Test func rejectsMalformedReports() throws {
        #expect(throws: ReportFormatError.wrongSize(100)) { try AttestationReport(parsing: [UInt8](repeating: 0, count: 100)) }
        let good = try Self.sample(version: 3).bytes
        var bytes = good
        bytes[0] = 9
        #expect(throws: ReportFormatError.unsupportedVersion(9)) { try AttestationReport(parsing: bytes) }
        bytes = good
        bytes[0x34] = 2
        #expect(throws: ReportFormatError.unsupportedSignatureAlgorithm(2)) { try AttestationReport(parsing: bytes) }
        bytes = good
        bytes[0x48] = 3 << 2
        #expect(throws: ReportFormatError.unknownSigningKey(3)) { try AttestationReport(parsing: bytes) }
    }

    @Test func aFieldOfTheWrongWidthIsRefusedByName() {
        // Each would once have spilled into the next field or been silently cut short.
        var report = Self.sample(version: 3)
        report.reportData = [UInt8](repeating: 1, count: 65)
        #expect(throws: LayoutError.wrongWidth(field: "report_data", expected: 64, actual: 65)) { try report.bytes }
        report = Self.sample(version: 3)
        report.chipID = [1, 2, 3]
        #expect(throws: LayoutError.wrongWidth(field: "chip_id", expected: 64, actual: 3)) { try report.bytes }
        report = Self.sample(version: 5)
        report.signatureS = [UInt8](repeating: 9, count: 49)
        #expect(throws: LayoutError.wrongWidth(field: "signature_s", expected: 48, actual: 49)) { try report.signedBytes }
    }

    @Test func certificateTableFollowsTheGHCBLayout() throws {
        let table = CertificateTable([(.ark, [1, 2, 3]), (.ask, [4, 5]), (.vcek, [6])])
        let bytes = table.bytes
        #expect(Array(bytes[0..<4]) == [0xC0, 0xB4, 0x06, 0xA4])
        #expect(bytes.loadLittleEndian(UInt32.self, at: 16) == 96)
        #expect(bytes.loadLittleEndian(UInt32.self, at: 20) == 3)
        #expect(bytes[72..<96].allSatisfy { $0 == 0 })
        #expect(Array(bytes[96...]) == [1, 2, 3, 4, 5, 6])
        let parsed = try CertificateTable(parsing: bytes)
        #expect(parsed.certificate(.vcek) == [6] && parsed.certificate(.ask) == [4, 5] && parsed.certificate(.vlek) == nil)
        #expect(CertificateTable.Kind.vcek.guid.prefix(4) == [0x63, 0xDA, 0x75, 0x8D])
        #expect(throws: ReportFormatError.tableWithoutTerminator) { try CertificateTable(parsing: Array(bytes.prefix(20))) }
        var unknown = bytes
        unknown[0] ^= 0xFF
        #expect(throws: ReportFormatError.unknownCertificateGUID(Array(unknown[0..<16]))) {
            try CertificateTable(parsing: unknown)
        }
        var outside = bytes
        outside.storeLittleEndian(UInt32(1000), at: 20)
        #expect(throws: ReportFormatError.certificateOutOfBounds(offset: 96, length: 1000, tableSize: bytes.count)) {
            try CertificateTable(parsing: outside)
        }
    }
}
