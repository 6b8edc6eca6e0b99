import AMDPKI
import AMDValues
import ByteLayout
import Crypto
import Foundation
import ProviderKit
import SNPReport
import SNPSigning
import Synchronization
import SystemPackage

/// The `sev_guest` provider: each report is an SEV-SNP ATTESTATION_REPORT signed by the
/// simulated chip's VCEK, with the ARK/ASK/VCEK certificate table as auxblob.
public final class SEVProvider: ReportProvider {
    /// The simulated guest and platform. `Configuration()` is the one `tsmfs mount --provider sev`
    /// serves when `[sev]` sets nothing; every setting overrides one of these values.
    public struct Configuration: Sendable {
        /// The guest's report fields; report_data, vmpl and the signature are filled per request.
        public var template = Configuration.defaultTemplate
        /// The product line: its CPUID bytes go into v3+ reports, and it selects the ARK/ASK pair.
        public var productLine = AMDProductLine.milan {
            didSet { template.cpuid = productLine.cpuid }
        }
        /// The VMPL the guest kernel runs at: `privlevel_floor`, and lower privlevels are refused.
        public var guestVMPL: UInt32 = 0
        public var faults = FaultSimulation()
        public init() {}

        /// A v3 report of a Milan guest at a stable TCB: current = committed = reported = launch =
        /// the VCEK's (boot loader 4, TEE 0, SNP 22, microcode 0xD5), firmware 1.55.3, policy 0x30000.
        public static let defaultTemplate: AttestationReport = {
            var report = AttestationReport()
            report.version = 3
            report.policy = 0x30000
            report.platformInfo = 0x1
            report.cpuid = AMDProductLine.milan.cpuid
            report.measurement = Array(repeating: 0x4D, count: 48)
            report.reportID = Array(repeating: 0x1D, count: 32)
            // The first byte is neither 02 nor 04, which hwID sniffers would read as DER.
            report.chipID = (0..<64).map { UInt8(0xC0 ^ $0) }
            let tcb = TCBVersion(bootLoader: 4, tee: 0, snp: 22, microcode: 0xD5)
            (report.currentTCB, report.committedTCB, report.reportedTCB, report.launchTCB) = (tcb, tcb, tcb, tcb)
            report.currentFirmware = (build: 3, minor: 55, major: 1)
            report.committedFirmware = report.currentFirmware
            return report
        }()
    }

    /// Firmware and host behaviour the sev-guest driver turns into errno values.
    public struct FaultSimulation: Sendable, Equatable {
        /// The firmware rejects the request (SEV_RET_INVALID_PARAM): EINVAL.
        public var invalidParameters = false
        /// The VMPCK was wiped after a firmware error: ENOTTY for every later report.
        public var vmpckDisabled = false
        /// The host keeps throttling the guest: ETIMEDOUT once the driver's 60 s retry window ends.
        public var hostBusy = false
        /// The host supplies no certificates: auxblob reads empty.
        public var noCertificates = false
        public var latencyMilliseconds: UInt32 = 0
        public init() {}
    }

    public let configuration: Configuration
    public let pki: SimulatedAMDPKI
    /// The SVSM's services, when the guest runs under one (VMPL above 0).
    public let svsm: SVSMServices?
    private let signer: ReportSigner
    /// The certificate table, built once and shared by every report (copy-on-write).
    private let certificateTable: Blob

    public init(configuration: Configuration, pki: SimulatedAMDPKI, svsm: SVSMServices?) {
        self.configuration = configuration
        self.pki = pki
        self.svsm = configuration.guestVMPL > 0 ? svsm : nil
        self.signer = ReportSigner(pki: pki)
        self.certificateTable = Blob(signer.certificateTable.bytes)
    }

    /// The certificate table the host hands out (configfs auxblob, the extended report's
    /// certificates): none when the host is set to supply none.
    public var hostCertificates: Blob { configuration.faults.noCertificates ? .empty : certificateTable }

    public var name: String { "sev_guest" }
    public var privlevelFloor: UInt32 { configuration.guestVMPL }

    public func isVisible(_ attribute: ReportAttribute) -> Bool {
        (configuration.guestVMPL == 0 ? AttributeProfile.sev : .sevSVSM).contains(attribute)
    }

    /// Reports are signed with deterministic nonces and carry nothing else that varies.
    public var rebuildsReportsExactly: Bool { true }

    public func generateReport(for request: ReportRequest) throws(ProviderError) -> GeneratedReport {
        let faults = configuration.faults
        if faults.latencyMilliseconds > 0 { usleep(faults.latencyMilliseconds * 1000) }
        guard request.inblob.count == 64 else {
            throw ProviderError(.invalidArgument, "SNP REPORT_DATA must be 64 bytes, inblob has \(request.inblob.count)")
        }
        if faults.vmpckDisabled {
            throw ProviderError(.inappropriateIOCTLForDevice, "the VMPCK is disabled; no report until the guest reboots")
        }
        if faults.hostBusy {
            throw ProviderError(.timedOut, "the host kept the request throttled past the 60 s retry window")
        }
        if faults.invalidParameters {
            throw ProviderError(.invalidArgument, "firmware rejected the report request (SEV_RET_INVALID_PARAM)")
        }
        let certificates = hostCertificates
        if let serviceProvider = request.serviceProvider {
            return try svsmReport(request, serviceProvider: serviceProvider, certificates: certificates)
        }
        // The firmware refuses a VMPL more privileged than the guest's own.
        guard request.privlevel >= configuration.guestVMPL else {
            throw ProviderError(
                .invalidArgument,
                "firmware rejected a report for VMPL \(request.privlevel) "
                    + "from a guest at VMPL \(configuration.guestVMPL)")
        }
        return GeneratedReport(
            outblob: Blob(try signedReport(reportData: request.inblob, vmpl: request.privlevel)),
            auxblob: certificates)
    }

    /// The kernel's SVSM path: the SVSM at VMPL0 reports on its services, with REPORT_DATA =
    /// SHA-512(nonce ‖ manifest); the manifest becomes manifestblob.
    private func svsmReport(
        _ request: ReportRequest, serviceProvider: [UInt8],
        certificates: Blob
    ) throws(ProviderError) -> GeneratedReport {
        guard serviceProvider == Array("svsm".utf8) else {
            throw ProviderError(.invalidArgument, "service_provider must be \"svsm\"")
        }
        guard let svsm else {
            throw ProviderError(.invalidArgument, "the guest does not run under an SVSM (guest_vmpl is 0)")
        }
        let manifest: [UInt8]
        if request.serviceGUID.allSatisfy({ $0 == 0 }) {
            manifest = svsm.allServicesManifest
        } else {
            // SVSM_ATTEST_SINGLE_SERVICE: a known service at manifest version 0, else INVALID_PARAMETER.
            guard request.serviceManifestVersion == 0, let single = svsm.singleServiceManifest(request.serviceGUID) else {
                throw ProviderError(.invalidArgument, "the SVSM has no such service or manifest version")
            }
            manifest = single
        }
        let binding = Array(SHA512.hash(data: request.inblob + manifest))
        return GeneratedReport(
            outblob: Blob(try signedReport(reportData: binding, vmpl: 0)), auxblob: certificates,
            manifestblob: Blob(manifest))
    }

    private func signedReport(reportData: [UInt8], vmpl: UInt32) throws(ProviderError) -> [UInt8] {
        var report = configuration.template
        report.reportData = reportData
        report.vmpl = vmpl
        do {
            try signer.sign(&report)
            return try report.bytes
        } catch {
            throw ProviderError(.ioError, "report signing failed: \(error)")
        }
    }
}
