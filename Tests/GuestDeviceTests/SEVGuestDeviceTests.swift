import ByteLayout
import GuestDeviceABI
import GuestSurface
import ProviderKit
import SEVGuest
import SEVProvider
import SNPReport
import SystemPackage
import Testing

/// The sev-guest driver's ioctls, in-process against a fake address space: the checks in the
/// driver's order, exitinfo2 and the certificate-length negotiation.
@Suite struct SEVGuestDeviceTests {
    typealias ABI = SEVGuestABI
    static let secret = [UInt8](repeating: 0x42, count: 32)
    static let nonce = (0..<64).map { UInt8($0) }

    struct Call {
        var memory = FakeMemory()
        var device: SEVGuestDevice

        init(_ provider: SEVProvider = Fixtures.sev(), secret: [UInt8] = SEVGuestDeviceTests.secret) {
            device = SEVGuestDevice(provider: provider, chipSecret: secret)
        }

        /// One ioctl with the 32-byte structure the kernel copied in; returns the result and it as copied back.
        func ioctl(_ command: UInt32, _ request: ABI.GuestRequest) -> (Int32, ABI.GuestRequest) {
            let outcome = device.ioctl(command, argument: 0x1000, input: request.bytes(), memory: memory)
            return (outcome.result, ABI.GuestRequest(parsing: outcome.output) ?? request)
        }
    }

    @Test func extendedReportNegotiatesTheCertificateLength() throws {
        let call = Call()
        let requestAddress = call.memory.map(
            try ABI.ExtendedReportRequest(
                report: ABI.ReportRequest(userData: Self.nonce, vmpl: 0), certificatesAddress: 0, certificatesLength: 0
            ).bytes)
        let response = call.memory.map(zeros: ABI.ReportResponse.size)
        let request = ABI.GuestRequest(requestData: requestAddress, responseData: response)

        let (first, answered) = call.ioctl(ABI.getExtReport, request)
        #expect(first == -Errno.ioError.rawValue)
        #expect(answered.exitInfo2 == ABI.vmmErrorInvalidLength)
        let asked = try ABI.ExtendedReportRequest(parsing: call.memory.bytes(at: requestAddress))
        #expect(asked.certificatesLength > 0 && Int(asked.certificatesLength) % ABI.pageSize == 0)

        let certificates = call.memory.map(zeros: Int(asked.certificatesLength))
        var extended = asked
        extended.certificatesAddress = certificates
        _ = try call.memory.write(extended.bytes, at: requestAddress)
        let (second, final) = call.ioctl(ABI.getExtReport, request)
        #expect(second == 0)
        #expect(final.exitInfo2 == 0 || final.exitInfo2 == request.exitInfo2, "exitinfo2 is copied back only when non-zero")
        let report = try AttestationReport(parsing: try ABI.ReportResponse(parsing: call.memory.bytes(at: response)).report)
        #expect(report.reportData == Self.nonce)
        let table = try CertificateTable(parsing: call.memory.bytes(at: certificates))
        #expect(table.entries.map(\.kind) == [.ark, .ask, .vcek])
    }

    @Test func theDriversOwnChecksComeFirst() throws {
        let call = Call()
        let report = call.memory.map(try ABI.ReportRequest(userData: Self.nonce, vmpl: 0).bytes)
        let response = call.memory.map(zeros: ABI.ReportResponse.size)
        #expect(
            call.ioctl(ABI.getReport, ABI.GuestRequest(messageVersion: 0, requestData: report, responseData: response)).0
                == -Errno.invalidArgument.rawValue)
        #expect(
            call.ioctl(ABI.getReport, ABI.GuestRequest(requestData: 0, responseData: response)).0 == -Errno.invalidArgument
                .rawValue)
        #expect(
            call.ioctl(ABI.getReport, ABI.GuestRequest(requestData: report, responseData: 0)).0 == -Errno.invalidArgument.rawValue
        )
        #expect(
            call.ioctl(ABI.getReport, ABI.GuestRequest(requestData: 0x20, responseData: response)).0 == -Errno.badAddress.rawValue
        )
        #expect(
            call.ioctl(ABI.getReport, ABI.GuestRequest(requestData: report, responseData: 0x20)).0 == -Errno.badAddress.rawValue)
        // An unknown command still has its structure read and exitinfo2 (0xff) copied back.
        let argument = call.memory.map(ABI.GuestRequest(requestData: report, responseData: response).bytes())
        let unknown = call.device.ioctl(0xC020_5310, argument: argument, input: [], memory: call.memory)
        #expect(unknown.result == -Errno.inappropriateIOCTLForDevice.rawValue)
        #expect(ABI.GuestRequest(parsing: call.memory.bytes(at: argument))?.exitInfo2 == ABI.exitInfoUnset)
        let direct = call.device.ioctl(0x5401, argument: 0, input: [], memory: call.memory)
        #expect(direct.result == -Errno.badAddress.rawValue, "the driver copies 32 bytes from the argument before anything")
    }

    @Test func certificateBuffersTheDriverRefuses() throws {
        let call = Call()
        let response = call.memory.map(zeros: ABI.ReportResponse.size)
        let buffer = call.memory.map(zeros: 3 * ABI.pageSize)
        func extended(length: UInt32, address: UInt64) throws -> Int32 {
            let request = call.memory.map(
                try ABI.ExtendedReportRequest(
                    report: ABI.ReportRequest(userData: Self.nonce, vmpl: 0), certificatesAddress: address,
                    certificatesLength: length
                ).bytes)
            return call.ioctl(ABI.getExtReport, ABI.GuestRequest(requestData: request, responseData: response)).0
        }
        #expect(try extended(length: 4097, address: buffer) == -Errno.invalidArgument.rawValue)
        #expect(try extended(length: 5 * 4096, address: buffer) == -Errno.invalidArgument.rawValue)
        #expect(try extended(length: 4096, address: 0xFFFF_FFFF_8100_0000) == -Errno.badAddress.rawValue)
        // A page the host cannot fill is too short: the driver reports the length needed.
        #expect(try extended(length: 4096, address: buffer) == -Errno.ioError.rawValue)
        #expect(try extended(length: 3 * 4096, address: buffer) == 0)
    }

    @Test func aVMPLTheFirmwareRefusesIsAStatusNotAnError() throws {
        let call = Call(Fixtures.sev(vmpl: 2))
        let response = call.memory.map(zeros: ABI.ReportResponse.size)
        for (vmpl, status) in [(UInt32(0), ABI.statusInvalidParameter), (2, 0), (3, 0), (4, ABI.statusInvalidParameter)] {
            let request = call.memory.map(try ABI.ReportRequest(userData: Self.nonce, vmpl: vmpl).bytes)
            #expect(call.ioctl(ABI.getReport, ABI.GuestRequest(requestData: request, responseData: response)).0 == 0)
            let answer = try ABI.ReportResponse(parsing: call.memory.bytes(at: response))
            #expect(answer.status == status, "vmpl \(vmpl)")
            if status == 0 { #expect(try AttestationReport(parsing: answer.report).vmpl == vmpl) }
        }
    }

    @Test func faultsReachTheDeviceAsTheDriverReportsThem() throws {
        for (fault, errno, exitInfo) in [
            (
                { (faults: inout SEVProvider.FaultSimulation) in faults.vmpckDisabled = true }, Errno.inappropriateIOCTLForDevice,
                UInt64(0xFF)
            ),
            ({ (faults: inout SEVProvider.FaultSimulation) in faults.hostBusy = true }, Errno.timedOut, UInt64(2) << 32),
        ] {
            let call = Call(Fixtures.sev { fault(&$0.faults) })
            let request = call.memory.map(try ABI.ReportRequest(userData: Self.nonce, vmpl: 0).bytes)
            let response = call.memory.map(zeros: ABI.ReportResponse.size)
            let (result, answered) = call.ioctl(ABI.getReport, ABI.GuestRequest(requestData: request, responseData: response))
            #expect(result == -errno.rawValue)
            #expect(answered.exitInfo2 == exitInfo)
        }
    }

    func derivedKey(_ call: Call, _ request: ABI.DerivedKeyRequest) throws -> ABI.DerivedKeyResponse {
        let address = call.memory.map(request.bytes)
        let response = call.memory.map(zeros: ABI.DerivedKeyResponse.size)
        #expect(call.ioctl(ABI.getDerivedKey, ABI.GuestRequest(requestData: address, responseData: response)).0 == 0)
        return try ABI.DerivedKeyResponse(parsing: call.memory.bytes(at: response))
    }

    @Test func derivedKeysFollowEverySelectedField() throws {
        let call = Call(Fixtures.sev(vmpl: 1))
        let base = ABI.DerivedKeyRequest(guestFieldSelect: 0b1001, vmpl: 1)
        let key = try derivedKey(call, base)
        #expect(key.status == 0)
        #expect(try derivedKey(call, base) == key, "deterministic")
        var variants: [ABI.DerivedKeyRequest] = []
        for change in [
            { (r: inout ABI.DerivedKeyRequest) in r.vmpl = 2 }, { $0.guestFieldSelect = 0b0001 },
            { $0.guestFieldSelect = 0b1011 },
            { $0.rootKeySelect = 1 }, { $0.guestFieldSelect |= 1 << 5 },
        ] {
            var variant = base
            change(&variant)
            variants.append(variant)
        }
        let keys = try variants.map { try derivedKey(call, $0).key } + [key.key]
        #expect(Set(keys).count == keys.count, "each selection gives its own key")
        let otherChip = Call(Fixtures.sev(vmpl: 1), secret: [UInt8](repeating: 0x43, count: 32))
        #expect(try derivedKey(otherChip, base).key != key.key)
        for refused in [
            ABI.DerivedKeyRequest(vmpl: 0), ABI.DerivedKeyRequest(vmpl: 4),
            ABI.DerivedKeyRequest(guestFieldSelect: 1 << 6, vmpl: 1),
            ABI.DerivedKeyRequest(rootKeySelect: 0b110, vmpl: 1), ABI.DerivedKeyRequest(vmpl: 1, guestSVN: 1),
            ABI.DerivedKeyRequest(vmpl: 1, tcbVersion: UInt64(0xFF) << 56),
        ] {
            let answer = try derivedKey(call, refused)
            #expect(answer.status == ABI.statusInvalidParameter, "\(refused)")
            #expect(answer.key == [UInt8](repeating: 0, count: 32))
        }
    }

    @Test func reportsAreTheConfigfsProvidersReports() throws {
        let provider = Fixtures.sev()
        let call = Call(provider)
        let request = call.memory.map(try ABI.ReportRequest(userData: Self.nonce, vmpl: 1).bytes)
        let response = call.memory.map(zeros: ABI.ReportResponse.size)
        _ = call.ioctl(ABI.getReport, ABI.GuestRequest(requestData: request, responseData: response))
        let configfs = try provider.generateReport(for: ReportRequest(inblob: Self.nonce, privlevel: 1))
        #expect(try ABI.ReportResponse(parsing: call.memory.bytes(at: response)).report == configfs.outblob)
    }
}
