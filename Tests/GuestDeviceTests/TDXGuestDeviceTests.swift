import ByteLayout
import Crypto
import GuestDeviceABI
import GuestSurface
import ProviderKit
import SystemPackage
import TDXGuest
import TDXProvider
import TDXQuote
import TDXSigning
import Testing

/// /dev/tdx_guest and the tsm-mr registers against the provider's quotes: one RTMR state.
@Suite struct TDXGuestDeviceTests {
    static let macKey = [UInt8](repeating: 0x3C, count: 32)
    static let reportData = (0..<64).map { UInt8(255 - $0) }

    func tdReport(_ device: TDXGuestDevice, _ reportData: [UInt8] = reportData) throws -> [UInt8] {
        let input = reportData + [UInt8](repeating: 0, count: 1024)
        let outcome = device.ioctl(TDXGuestABI.getReport0, argument: 0x1000, input: input, memory: FakeMemory())
        #expect(outcome.result == 0)
        #expect(Array(outcome.output[0..<64]) == reportData)
        return Array(outcome.output[64...])
    }

    @Test func theTDReportShowsWhatAQuoteOfTheSameMomentShows() throws {
        let provider = try Fixtures.tdx()
        let device = TDXGuestDevice(provider: provider, macKey: Self.macKey)
        let bytes = try tdReport(device)
        #expect(ReportMAC(key: Self.macKey).isValid(bytes))
        let report = try TDReport(parsing: bytes)
        #expect(bytes[0] == TDReport.teeTypeTDX)
        #expect(report.body.reportData == Self.reportData)
        let quote = try TDQuote(parsing: try provider.generateReport(for: ReportRequest(inblob: Self.reportData)).outblob)
        #expect(report.body == quote.body)
        #expect(report.cpuSVN == Fixtures.intelPKI.platform.sgxTCBComponents)
        // The documented offsets: MRTD at 528, RTMR0…3 at 720/768/816/864, REPORTDATA at 128.
        #expect(Array(bytes[528..<576]) == provider.configuration.identity.mrTD)
        #expect(Array(bytes[128..<192]) == Self.reportData)

        var tampered = bytes
        tampered[720] ^= 1
        #expect(!ReportMAC(key: Self.macKey).isValid(tampered))
        #expect(!ReportMAC(key: [UInt8](repeating: 1, count: 32)).isValid(bytes))
    }

    @Test func anExtendIsSeenByTheRegisterFileTheTDReportAndTheNextQuote() throws {
        let provider = try Fixtures.tdx()
        let device = TDXGuestDevice(provider: provider, macKey: Self.macKey)
        let registers = MeasurementFiles.all(of: provider)
        let rtmr2 = try #require(registers.first { $0.name == "rtmr2:sha384" })
        let data = [UInt8](repeating: 0xEE, count: 48)
        let before = try rtmr2.value()
        #expect(try SysfsBinaryAttribute.write(rtmr2, data, at: 0) == 48)
        let expected = Array(SHA384.hash(data: before + data))
        #expect(try rtmr2.value() == expected)
        #expect(try TDReport(parsing: try tdReport(device)).body.rtmrs[2] == expected)
        let quote = try TDQuote(parsing: try provider.generateReport(for: ReportRequest(inblob: Self.reportData)).outblob)
        #expect(quote.body.rtmrs[2] == expected)
        #expect(
            registers.map(\.name).sorted() == [
                "mrconfigid", "mrowner", "mrownerconfig", "mrtd:sha384", "rtmr0:sha384", "rtmr1:sha384", "rtmr2:sha384",
                "rtmr3:sha384",
            ])
        #expect(registers.filter(\.isWritable).count == 4)
        #expect(throws: Errno.permissionDenied) { try registers.first { $0.name == "mrtd:sha384" }!.extend(with: data) }
    }

    @Test func aRebuiltQuoteShowsTheRegistersOfItsOwnGeneration() throws {
        let provider = try Fixtures.tdx()
        var request = ReportRequest(inblob: Self.reportData, serial: 7)
        request.platformState = provider.capturePlatformState()
        let generated = try provider.generateReport(for: request)
        let first = generated.outblob
        // A rebuild carries the snapshot and the signature the first generation kept.
        request.rebuildMaterial = generated.rebuildMaterial
        try provider.registers.extend(3, with: [UInt8](repeating: 1, count: 48))
        #expect(try provider.generateReport(for: request).outblob == first)
        request.platformState = provider.capturePlatformState()
        #expect(try provider.generateReport(for: request).outblob != first)
    }

    @Test func otherCommandsAreNotTheDevices() {
        let device = TDXGuestDevice(provider: try! Fixtures.tdx(), macKey: Self.macKey)
        for command: UInt32 in [0xC440_5402, 0x5401, 0xC010_5402] {
            #expect(
                device.ioctl(command, argument: 0, input: [], memory: FakeMemory()).result == -Errno.inappropriateIOCTLForDevice
                    .rawValue)
        }
        #expect(throws: MeasurementRegisters.ExtendError.invalidOperand) {
            try MeasurementRegisters(initial: [[UInt8]](repeating: [UInt8](repeating: 0, count: 48), count: 4)).extend(
                4, with: [UInt8](repeating: 0, count: 48))
        }
    }
}
