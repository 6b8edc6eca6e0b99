import AMDPKI
import Crypto
import Foundation
import ProviderKit
import SNPReport
import SystemPackage
import Synchronization

/// The `sev_guest` provider: each report is an SEV-SNP ATTESTATION_REPORT signed by the
/// simulated chip's VCEK, with the ARK/ASK/VCEK certificate table as auxblob.
public final class SEVProvider: ReportProvider {
    public struct Configuration: Sendable {
        /// The guest's report fields; report_data, vmpl and the signature are filled per request.
        public var template = AttestationReport()
        /// The VMPL the guest kernel runs at: `privlevel_floor`, and lower privlevels are refused.
        public var guestVMPL: UInt32 = 0
        public var faults = FaultSimulation()
        public init() {}
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
    private let vcek: VCEKSigner

    public init(configuration: Configuration, pki: SimulatedAMDPKI) {
        self.configuration = configuration
        self.pki = pki
        self.vcek = VCEKSigner(pki.vcekKey)
    }

    public var name: String { "sev_guest" }
    public var privlevelFloor: UInt32 { configuration.guestVMPL }

    public func isVisible(_ attribute: ReportAttribute) -> Bool {
        (configuration.guestVMPL == 0 ? AttributeProfile.sev : .sevSVSM).contains(attribute)
    }

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
        // The firmware refuses a VMPL more privileged than the guest's own (SEV_RET_INVALID_PARAM).
        if faults.invalidParameters || request.privlevel < configuration.guestVMPL {
            throw ProviderError(.invalidArgument, "firmware rejected the report request (VMPL \(request.privlevel))")
        }
        var report = configuration.template
        report.reportData = request.inblob
        report.vmpl = request.privlevel
        do {
            try vcek.sign(&report)
        } catch {
            throw ProviderError(.ioError, "report signing failed: \(error)")
        }
        return GeneratedReport(outblob: report.bytes, auxblob: faults.noCertificates ? [] : pki.certificateTable.bytes)
    }
}

/// Signs reports with the VCEK. `@unchecked Sendable`: swift-crypto 3 keys are immutable
/// values not yet marked Sendable; signing does not mutate them.
final class VCEKSigner: @unchecked Sendable {
    let key: P384.Signing.PrivateKey
    init(_ key: P384.Signing.PrivateKey) { self.key = key }

    /// ECDSA P-384/SHA-384 over bytes 0x000–0x29F.
    func sign(_ report: inout AttestationReport) throws {
        let signature = Array(try key.signature(for: report.signedBytes).rawRepresentation)
        report.signatureR = Array(signature[0..<48])
        report.signatureS = Array(signature[48..<96])
    }
}
