import ByteLayout
import EchoProvider
import ProviderKit
import Testing

@Suite struct EchoReportTests {
    @Test func layoutRoundTrips() throws {
        let request = ReportRequest(
            inblob: [1, 2, 3], privlevel: 2, serviceProvider: Array("svsm".utf8),
            serviceGUID: Array(0..<16), serviceManifestVersion: 7, generation: 9)
        let blobs = EchoReport(request: request, serial: 42).blobs
        #expect(blobs.outblob.count == 0x80 + 4)
        #expect(Array(blobs.outblob[0..<8]) == Array("TSMECHO1".utf8))
        #expect(blobs.outblob.loadLittleEndian(UInt32.self, at: EchoReport.Offset.privlevel) == 2)
        #expect(blobs.outblob.loadLittleEndian(UInt64.self, at: EchoReport.Offset.generation) == 9)
        #expect(blobs.outblob.loadLittleEndian(UInt64.self, at: EchoReport.Offset.serial) == 42)
        #expect(Array(blobs.outblob[0x40..<0x43]) == [1, 2, 3])
        #expect(blobs.outblob[0x43..<0x80].allSatisfy { $0 == 0 })
        let parsed = try #require(EchoReport(outblob: blobs.outblob))
        #expect(parsed == EchoReport(request: request, serial: 42))
        #expect(blobs.auxblob == Array("TSMEAUX1".utf8) + [42, 0, 0, 0, 0, 0, 0, 0])
        #expect(blobs.manifestblob == Array("TSMEMAN1".utf8) + [42, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func unwrittenServiceProviderIsMarked() throws {
        let blobs = EchoReport(request: ReportRequest(inblob: [9]), serial: 1).blobs
        #expect(blobs.outblob.count == 0x80)
        #expect(blobs.outblob.loadLittleEndian(UInt32.self, at: EchoReport.Offset.serviceProviderLength) == .max)
        #expect(EchoReport(outblob: blobs.outblob)?.request.serviceProvider == nil)
    }

    @Test func rejectsForeignBlobs() {
        #expect(EchoReport(outblob: []) == nil)
        #expect(EchoReport(outblob: [UInt8](repeating: 0, count: 0x80)) == nil)
        var truncated = EchoReport(request: ReportRequest(inblob: [1], serviceProvider: [1, 2]), serial: 1).blobs.outblob
        truncated.removeLast()
        #expect(EchoReport(outblob: truncated) == nil)
    }

    @Test func configuredFailureAndProfile() {
        var configuration = EchoProvider.Configuration()
        configuration.failure = .ioError
        configuration.profile = .tdx
        let provider = EchoProvider(configuration: configuration)
        #expect(throws: ProviderError.self) { try provider.generateReport(for: ReportRequest(inblob: [1])) }
        #expect(provider.isVisible(.outblob) && !provider.isVisible(.auxblob))
        #expect(provider.generationCount == 0)
    }
}
