import AMDPKI
import ByteLayout
import Foundation
import IntelPKI
import ProviderKit
import SEVProvider
import SNPSigning
import SimulatedPKI
import SystemPackage
import TDXProvider
import TestDirectories
import Testing

/// Each simulated host or firmware fault reaches the client as the errno the kernel driver
/// returns for it, and a report is a function of its request — tested in-process, no mount.
@Suite struct ProviderFaultTests {
    static let nonce = [UInt8](repeating: 0x5A, count: 64)

    static func temporaryStore(_ name: String) -> KeyStore {
        let directory = makeTemporaryDirectory("tsmfs-\(name)")
        return KeyStore(directory: directory)
    }

    static let intelPKI: SimulatedIntelPKI = try! SimulatedIntelPKI.load(from: temporaryStore("intel"), platform: TDXPlatform())
    static let amdPKI: SimulatedAMDPKI = {
        let configuration = SEVProvider.Configuration()
        return try! SimulatedAMDPKI.load(
            from: temporaryStore("amd"), productLine: configuration.productLine,
            chipID: configuration.template.chipID,
            reportedTCB: configuration.template.reportedTCB)
    }()

    static func tdx(_ configure: (inout TDXProvider.FaultSimulation) -> Void = { _ in }) throws -> TDXProvider {
        var configuration = TDXProvider.Configuration()
        configure(&configuration.faults)
        return try TDXProvider(configuration: configuration, pki: intelPKI)
    }

    static func sev(vmpl: UInt32 = 0, _ configure: (inout SEVProvider.FaultSimulation) -> Void = { _ in }) -> SEVProvider {
        var configuration = SEVProvider.Configuration()
        configuration.guestVMPL = vmpl
        configure(&configuration.faults)
        return SEVProvider(configuration: configuration, pki: amdPKI, svsm: nil)
    }

    static func errno(_ provider: some ReportProvider, _ request: ReportRequest) -> Errno? {
        do {
            _ = try provider.generateReport(for: request)
            return nil
        } catch {
            return error.errno
        }
    }

    @Test func tdxFaultsAreTheDriversErrno() throws {
        #expect(Self.errno(try Self.tdx(), ReportRequest(inblob: [1, 2, 3])) == .invalidArgument)
        #expect(Self.errno(try Self.tdx { $0.serviceUnavailable = true }, ReportRequest(inblob: Self.nonce)) == .ioError)
        // Kernels before 7.1: a failed GetQuote is an empty outblob, not an error.
        let old = try Self.tdx {
            $0.serviceUnavailable = true
            $0.emptyOutblobOnFailure = true
        }
        #expect(try old.generateReport(for: ReportRequest(inblob: Self.nonce)).outblob.isEmpty)
        // A timed-out request leaves the buffer with the host: EIO, then EBUSY for every later one.
        let timingOut = try Self.tdx { $0.timeout = true }
        #expect(Self.errno(timingOut, ReportRequest(inblob: Self.nonce)) == .ioError)
        #expect(Self.errno(timingOut, ReportRequest(inblob: Self.nonce)) == .resourceBusy)
        #expect(Self.errno(timingOut, ReportRequest(inblob: [1])) == .resourceBusy)  // EBUSY comes before the length check
    }

    @Test func sevFaultsAreTheDriversErrno() {
        #expect(Self.errno(Self.sev(), ReportRequest(inblob: [1])) == .invalidArgument)
        #expect(
            Self.errno(Self.sev { $0.vmpckDisabled = true }, ReportRequest(inblob: Self.nonce)) == .inappropriateIOCTLForDevice)
        #expect(Self.errno(Self.sev { $0.hostBusy = true }, ReportRequest(inblob: Self.nonce)) == .timedOut)
        #expect(Self.errno(Self.sev { $0.invalidParameters = true }, ReportRequest(inblob: Self.nonce)) == .invalidArgument)
        // A VMPL more privileged than the guest's own, and an SVSM request where there is no SVSM.
        #expect(Self.errno(Self.sev(vmpl: 2), ReportRequest(inblob: Self.nonce, privlevel: 1)) == .invalidArgument)
        #expect(
            Self.errno(Self.sev(), ReportRequest(inblob: Self.nonce, serviceProvider: Array("svsm".utf8))) == .invalidArgument)
        #expect(
            Self.errno(Self.sev(), ReportRequest(inblob: Self.nonce, serviceProvider: Array("other".utf8))) == .invalidArgument)
    }

    @Test func sevWithoutCertificatesHasAnEmptyAuxblob() throws {
        let report = try Self.sev { $0.noCertificates = true }.generateReport(for: ReportRequest(inblob: Self.nonce))
        #expect(report.outblob.count == 0x4A0 && report.auxblob.isEmpty)
    }

    @Test func reportsAreAFunctionOfTheirRequest() throws {
        // The core drops cached reports over its cap only because the providers promise this: the
        // same request, with what the first generation asked to keep, gives the same bytes.
        let tdx = try Self.tdx()
        let sev = Self.sev()
        #expect(tdx.rebuildsReportsExactly && sev.rebuildsReportsExactly)
        for provider in [tdx, sev] as [any ReportProvider] {
            var request = ReportRequest(inblob: Self.nonce, generation: 3, serial: 9)
            let first = try provider.generateReport(for: request)
            request.rebuildMaterial = first.rebuildMaterial
            #expect(try provider.generateReport(for: request) == first, "\(provider.name)")
            var other = request
            other.inblob[0] ^= 1
            #expect(try provider.generateReport(for: other).outblob != first.outblob, "\(provider.name)")
        }
        // A TDX quote keeps its attestation-key signature (random nonces), an SNP report nothing.
        #expect(try tdx.generateReport(for: ReportRequest(inblob: Self.nonce)).rebuildMaterial.count == 64)
        #expect(try sev.generateReport(for: ReportRequest(inblob: Self.nonce)).rebuildMaterial.isEmpty)
    }

    @Test func theDefaultConfigurationIsTheServedChip() {
        // tsmfs mount with an empty [sev] section serves exactly SEVProvider.Configuration().
        let template = SEVProvider.Configuration().template
        #expect(template.version == 3 && template.policy == 0x30000 && template.platformInfo == 1)
        #expect(template.reportedTCB.bytes == [4, 0, 0, 0, 0, 0, 22, 0xD5])
        #expect(template.chipID.first == 0xC0)
        #expect(template.cpuid == (0x19, 0x01, 0x01))
        var genoa = SEVProvider.Configuration()
        genoa.productLine = .genoa
        #expect(genoa.template.cpuid == AMDProductLine.genoa.cpuid)
    }
}
