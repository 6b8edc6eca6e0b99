import Crypto
import Foundation
import IntelPKI
import ProviderKit
import SigningKeys
import Synchronization
import SystemPackage
import TDXQuote
import TDXSigning

/// The `tdx_guest` provider: each report is a DCAP TD quote signed by a per-boot attestation
/// key, certified by the simulated platform's PCK, whose chain ends at the simulated root.
public final class TDXProvider: ReportProvider {
    public struct Configuration: Sendable {
        public var identity = TDIdentity()
        public var format = TDQuote.Format.v4
        public var faults = FaultSimulation()
        public init() {}
    }

    /// How a real host can fail a guest's GetQuote, and which kernel the guest runs.
    public struct FaultSimulation: Sendable, Equatable {
        /// The host has no quoting service (GET_QUOTE_SERVICE_UNAVAILABLE).
        public var serviceUnavailable = false
        /// The host never completes the request: the kernel gives up after its 30 s timeout.
        public var timeout = false
        /// Kernels before 7.1 turn a failed GetQuote into an empty outblob instead of EIO.
        public var emptyOutblobOnFailure = false
        /// Time every quote takes, in milliseconds, plus up to `latencyJitterMilliseconds` more.
        public var latencyMilliseconds: UInt32 = 0
        public var latencyJitterMilliseconds: UInt32 = 0
        public init() {}
    }

    public let configuration: Configuration
    public let pki: SimulatedIntelPKI
    /// RTMR0…3, shared with /dev/tdx_guest and the tsm-mr files.
    public let registers: MeasurementRegisters
    private let signer: QuoteSigner
    /// The shared GetQuote buffer still owned by the host after a timed-out request.
    private let bufferInFlight = Atomic<Bool>(false)

    /// - Parameter attestationKey: the per-boot key; a fresh one unless reproducibility is wanted.
    public init(
        configuration: Configuration, pki: SimulatedIntelPKI,
        attestationKey: SigningKey = SigningKey(P256.Signing.PrivateKey())
    ) throws {
        self.configuration = configuration
        self.pki = pki
        self.registers = MeasurementRegisters(initial: configuration.identity.rtmrs)
        let platform = pki.platform
        var qeReport = EnclaveReport()
        qeReport.cpuSVN = platform.sgxTCBComponents
        qeReport.miscSelect = platform.qeMiscSelect
        qeReport.attributes = platform.qeAttributes
        qeReport.mrEnclave = platform.qeMREnclave
        qeReport.mrSigner = platform.qeMRSigner
        qeReport.isvProdID = platform.qeISVProdID
        qeReport.isvSVN = platform.qeISVSVN
        // RFC 6979 nonces: a quote is a function of its body, so a dropped cache rebuilds byte for byte.
        let quotingKey = SigningKey(attestationKey.key, deterministic: true)
        signer = try QuoteSigner(
            attestationKey: quotingKey, pckKey: pki.pck.key, qeReport: qeReport,
            pckCertificateChain: Array(try pki.pckCertificateChainPEM.utf8))
    }

    public var name: String { "tdx_guest" }
    public var privlevelFloor: UInt32 { 0 }

    public func isVisible(_ attribute: ReportAttribute) -> Bool {
        AttributeProfile.tdx.contains(attribute)
    }

    /// Quotes are signed with deterministic nonces and carry nothing else that varies.
    public var rebuildsReportsExactly: Bool { true }

    /// The RTMRs at the start of a generation: guests extend them, and a rebuilt quote must
    /// show the values its generation saw.
    public func capturePlatformState() -> [UInt8] { MeasurementRegisters.flatten(registers.snapshot) }

    public func generateReport(for request: ReportRequest) throws(ProviderError) -> GeneratedReport {
        let faults = configuration.faults
        // tdx_report_new(): a buffer the host still owns fails before anything else.
        if bufferInFlight.load(ordering: .acquiring) {
            throw ProviderError(.resourceBusy, "a timed-out GetQuote still owns the quote buffer")
        }
        guard request.inblob.count == 64 else {
            throw ProviderError(.invalidArgument, "TDX REPORTDATA must be 64 bytes, inblob has \(request.inblob.count)")
        }
        let delay =
            faults.latencyMilliseconds
            + (faults.latencyJitterMilliseconds > 0
                ? UInt32.random(in: 0...faults.latencyJitterMilliseconds) : 0)
        if delay > 0 { usleep(delay * 1000) }
        if faults.timeout {
            bufferInFlight.store(true, ordering: .releasing)
            return try failedQuote("GetQuote timed out (the host never completed it)")
        }
        if faults.serviceUnavailable {
            return try failedQuote("the host's quoting service is unavailable")
        }
        do {
            return GeneratedReport(
                outblob: try signer.quoteSegments(
                    body: body(
                        reportData: request.inblob,
                        rtmrs: MeasurementRegisters.unflatten(request.platformState) ?? registers.snapshot),
                    format: configuration.format))
        } catch {
            throw ProviderError(.ioError, "quote signing failed: \(error)")
        }
    }

    /// v7.1 kernels fail with EIO; earlier ones return an empty outblob.
    private func failedQuote(_ reason: String) throws(ProviderError) -> GeneratedReport {
        if configuration.faults.emptyOutblobOnFailure { return GeneratedReport(outblob: []) }
        throw ProviderError(.ioError, reason)
    }

    /// The TD report body for this TD on this platform, with the RTMRs as they are now unless
    /// `rtmrs` pins them.
    public func body(reportData: [UInt8], rtmrs: [[UInt8]]? = nil) -> TDReportBody {
        let platform = pki.platform
        let identity = configuration.identity
        var body = TDReportBody()
        body.teeTCBSVN = platform.teeTCBSVN
        body.mrSeam = platform.mrSeam
        body.mrSignerSeam = platform.mrSignerSeam
        body.seamAttributes = platform.seamAttributes
        body.tdAttributes = identity.tdAttributes
        body.xfam = identity.xfam
        body.mrTD = identity.mrTD
        body.mrConfigID = identity.mrConfigID
        body.mrOwner = identity.mrOwner
        body.mrOwnerConfig = identity.mrOwnerConfig
        body.rtmrs = rtmrs ?? registers.snapshot
        body.reportData = reportData
        body.teeTCBSVN2 = platform.teeTCBSVN2
        body.mrServiceTD = identity.mrServiceTD
        return body
    }
}

extension TDXProvider {
    /// The TDREPORT `TDG.MR.REPORT` would give the TD now, before its hashes and MAC are filled
    /// in (TDXSigning's ReportMAC does that): the fields a quote generated at the same moment shows.
    public func tdReport(reportData: [UInt8]) -> TDReport {
        var report = TDReport()
        report.cpuSVN = pki.platform.sgxTCBComponents
        report.body = body(reportData: reportData)
        if configuration.format.bodyKind == .tdx15 {
            report.reportVersion = 1
            report.validFields = TDReport.validTDX15
        } else {
            // A TDX 1.0 module has neither field: both read as reserved zeros.
            report.body.teeTCBSVN2 = [UInt8](repeating: 0, count: 16)
            report.body.mrServiceTD = [UInt8](repeating: 0, count: 48)
        }
        return report
    }
}
