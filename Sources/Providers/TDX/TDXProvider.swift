import ByteLayout
import Crypto
import DICEPKI
import Foundation
import IntelPKI
import ProviderKit
import SigningKeys
import Synchronization
import SystemPackage
import TDXDICEQuote
import TDXQuote
import TDXSigning

/// The `tdx_guest` provider: each report is a DCAP TD quote — signed by a per-boot attestation
/// key certified by the simulated platform's PCK (quoting "qe"), or by the TDX module's quoting
/// key certified through a DICE chain (quoting "dice"). The simulated TDX module can be updated
/// at run time (``updateModule(_:)``), as a TD-preserving module update does.
public final class TDXProvider: ReportProvider {
    /// Who produces quotes.
    public enum Quoting: String, Sendable, CaseIterable {
        /// Today's path: the SGX quoting enclave, a PCK certificate chain as certification data.
        case qe
        /// The TDX module's quoting extension: a DICE certificate chain in the quote itself.
        case dice
    }

    public struct Configuration: Sendable {
        public var identity = TDIdentity()
        public var format = TDQuote.Format.v4
        public var quoting = Quoting.qe
        /// The largest quote the guest's buffer takes, fixed when the TD is built (0: the first
        /// quote's size rounded up to a page, as the kernel sizes its buffer once).
        public var maxQuoteSize = 0
        public var faults = FaultSimulation()
        /// What the TD's firmware left: the ACPI CCEL table and its log area, which replay to the
        /// identity's RTMR0–2 (empty when no boot was described).
        public var bootEventLog = BootEventLog()
        public init() {}
    }

    /// The bytes of /sys/firmware/acpi/tables/CCEL and tables/data/CCEL.
    public struct BootEventLog: Sendable, Equatable {
        public var table: [UInt8] = []
        public var log: [UInt8] = []
        public init(table: [UInt8] = [], log: [UInt8] = []) {
            self.table = table
            self.log = log
        }
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
    public let dice: SimulatedDICEPKI?
    /// RTMR0…3, shared with /dev/tdx_guest and the tsm-mr files.
    public let registers: MeasurementRegisters
    /// The module the TD was launched under: a TDX 1.5 report's TEE_TCB_SVN and MRSEAM, and a DICE
    /// quote's origin state, stay its own across runtime updates.
    let launchModule: Module
    /// Every module the TD has run under, the current one last; a quote's generation names its
    /// module by index, so a quote rebuilt after an update is still its own module's.
    private let modules: Mutex<[Module]>
    /// The quote buffer's size, fixed at start.
    public let maxQuoteSize: Int
    /// The shared GetQuote buffer still owned by the host after a timed-out request.
    private let bufferInFlight = Atomic<Bool>(false)

    /// A loaded TDX module: its TCB, and its way of signing quotes.
    struct Module: Sendable {
        /// What a TDX 1.0 body's TEE_TCB_SVN shows while this module runs.
        var teeTCBSVN: [UInt8] { didSet { signedPart = nil } }
        /// This module's SVNs as TEE_TCB_SVN2 (TDX 1.5) and the DICE quote's current state show them.
        var teeTCBSVN2: [UInt8] { didSet { signedPart = nil } }
        var mrSeam: [UInt8] { didSet { signedPart = nil } }
        var signer: Signer
        /// The signed part of this module's QE quotes laid out but for RTMRs and REPORTDATA
        /// (``preparingSignedPart(launch:configuration:platform:)``); nil for DICE quoting, and
        /// again whenever a field above changes, so a stale one is never used.
        var signedPart: TDQuote.SignedPartTemplate?

        /// How the DICE chain names this module: SVN and major version from its TEE_TCB_SVN2
        /// bytes 0 and 1, the measurement as its FWID.
        var diceIdentity: SimulatedDICEPKI.ModuleIdentity {
            SimulatedDICEPKI.ModuleIdentity(svn: teeTCBSVN2[0], majorVersion: teeTCBSVN2[1], mrSeam: mrSeam)
        }

        /// A quote of `body` signed the way this module signs; a DICE quote's SEAM "1" is this module.
        func quote(body: TDReportBody, format: TDQuote.Format) throws -> Blob {
            try signedQuote(body: body, format: format, reusing: []).quote
        }

        /// This module with its signed part laid out for the TD's quotes, when it signs with the QE.
        func preparingSignedPart(launch: Module, configuration: Configuration, platform: TDXPlatform) throws -> Module {
            guard case .qe = signer else { return self }
            var prepared = self
            let body = TDXProvider.body(
                reportData: [UInt8](repeating: 0, count: 64), rtmrs: configuration.identity.rtmrs, module: self,
                launch: launch, configuration: configuration, platform: platform)
            prepared.signedPart = try TDQuote.SignedPartTemplate(
                header: QuoteHeader(version: configuration.format.version), format: configuration.format, body: body)
            return prepared
        }

        /// A quote with these RTMRs and REPORTDATA, and what a rebuild needs: from the laid-out
        /// signed part when there is one, otherwise from `body`, the whole body they belong to.
        func signedQuote(
            reportData: [UInt8], rtmrs: [[UInt8]], format: TDQuote.Format, reusing kept: [UInt8],
            body: () -> TDReportBody
        ) throws -> (quote: Blob, rebuildMaterial: [UInt8]) {
            if case .qe(let signer) = signer, let signedPart, signedPart.format == format {
                let signed = try signer.signedQuote(
                    signedBytes: try signedPart.signedBytes(rtmrs: rtmrs, reportData: reportData),
                    reusing: kept.isEmpty ? nil : kept)
                return (signed.quote, signed.signature)
            }
            return try signedQuote(body: body(), format: format, reusing: kept)
        }

        /// A quote, and what a rebuild needs to make the same bytes: a QE quote's signature (random
        /// nonces); DICE quotes are signed with RFC 6979 nonces and need nothing kept.
        func signedQuote(body: TDReportBody, format: TDQuote.Format, reusing kept: [UInt8]) throws -> (
            quote: Blob, rebuildMaterial: [UInt8]
        ) {
            switch signer {
            case .qe(let signer):
                let signed = try signer.signedQuote(body: body, format: format, reusing: kept.isEmpty ? nil : kept)
                return (signed.quote, signed.signature)
            case .dice(let signer):
                let running = SEAMMeasurements(attributes: body.seamAttributes, mrSeam: mrSeam, mrSignerSeam: body.mrSignerSeam)
                return (try signer.quoteSegments(claims: DICEClaims(body: body, currentSEAM: running)), [])
            }
        }
    }

    enum Signer: Sendable {
        case qe(QuoteSigner)
        case dice(DICEQuoteSigner)
    }

    /// - Parameter attestationKey: the per-boot key; a fresh one unless reproducibility is wanted.
    public init(
        configuration: Configuration, pki: SimulatedIntelPKI,
        attestationKey: SigningKey = SigningKey(P256.Signing.PrivateKey()), dice: SimulatedDICEPKI? = nil
    ) throws {
        self.configuration = configuration
        self.pki = pki
        self.dice = dice
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
        // A dropped cache rebuilds byte for byte from the signature kept with the request, so the
        // attestation key signs as it was made: random nonces, or RFC 6979 when output must be
        // reproducible across runs (a seeded key).
        let quotingKey = attestationKey
        let signer: Signer
        switch configuration.quoting {
        case .qe:
            signer = .qe(
                try QuoteSigner(
                    attestationKey: quotingKey, pckKey: pki.pck.key, qeReport: qeReport,
                    pckCertificateChain: Array(try pki.pckCertificateChainPEM.utf8)))
        case .dice:
            guard let dice else { throw ModuleUpdateError.noDICEChain }
            let identity = SimulatedDICEPKI.ModuleIdentity(
                svn: platform.teeTCBSVN2[0], majorVersion: platform.teeTCBSVN2[1], mrSeam: platform.mrSeam)
            signer = .dice(try DICEQuoteSigner(pki: dice, module: identity, generation: 0))
        }
        var module = Module(
            teeTCBSVN: platform.teeTCBSVN, teeTCBSVN2: platform.teeTCBSVN2, mrSeam: platform.mrSeam, signer: signer)
        module = try module.preparingSignedPart(launch: module, configuration: configuration, platform: platform)
        launchModule = module
        modules = Mutex([module])
        let firstSize = try Self.quoteSize(module, launch: module, configuration: configuration, platform: platform)
        maxQuoteSize = configuration.maxQuoteSize > 0 ? configuration.maxQuoteSize : (firstSize + 4095) / 4096 * 4096
        guard firstSize <= maxQuoteSize else { throw ModuleUpdateError.quoteTooLarge(size: firstSize, maximum: maxQuoteSize) }
    }

    /// Runs `body` with the module list locked: generations starting meanwhile wait.
    func withModules<R>(_ body: (inout [Module]) throws(ModuleUpdateError) -> R) throws(ModuleUpdateError) -> R {
        try modules.withLock { (modules: inout [Module]) throws(ModuleUpdateError) -> R in try body(&modules) }
    }

    /// The size of this module's quotes (all quotes of one module and format have one size).
    static func quoteSize(_ module: Module, launch: Module, configuration: Configuration, platform: TDXPlatform) throws
        -> Int
    {
        let body = body(
            reportData: [UInt8](repeating: 0, count: 64), rtmrs: configuration.identity.rtmrs, module: module, launch: launch,
            configuration: configuration, platform: platform)
        return try module.quote(body: body, format: configuration.format).count
    }

    /// Whether the TD's reports have the TDX 1.5 fields (TEE_TCB_SVN2, MRSERVICETD): a v5 quote
    /// with body type 3 asks for them, and so does DICE quoting, which only TDX 1.5 modules and
    /// later offer.
    public var reportsTDX15: Bool { Self.reportsTDX15(configuration) }

    static func reportsTDX15(_ configuration: Configuration) -> Bool {
        configuration.quoting == .dice || configuration.format.bodyKind == .tdx15
    }

    public var name: String { "tdx_guest" }
    public var privlevelFloor: UInt32 { 0 }

    public func isVisible(_ attribute: ReportAttribute) -> Bool {
        AttributeProfile.tdx.contains(attribute)
    }

    /// A quote is a function of its request, its platform snapshot and the signature kept with it.
    public var rebuildsReportsExactly: Bool { true }

    /// The RTMRs and the module at the start of a generation: guests extend the RTMRs and the host
    /// updates the module, and a rebuilt quote must show what its generation saw. While a module
    /// update runs this waits, as the TD is paused.
    public func capturePlatformState() -> (any PlatformSnapshot)? { currentState() }

    private func currentState() -> GenerationState {
        GenerationState(rtmrs: registers.snapshot, module: modules.withLock { $0.count - 1 })
    }

    /// What a generation saw: RTMR0…3 and the index of the module it ran under.
    struct GenerationState: PlatformSnapshot, Equatable {
        var rtmrs: [[UInt8]]
        var module: Int
    }

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
        // A request built outside a filesystem carries no state: use what is current.
        let state: GenerationState
        switch request.platformState {
        case nil: state = currentState()
        case let captured as GenerationState: state = captured
        case let other?: throw ProviderError(.ioError, "a platform state of another provider: \(type(of: other))")
        }
        let module = modules.withLock { $0[min(state.module, $0.count - 1)] }
        do {
            let signed = try module.signedQuote(
                reportData: request.inblob, rtmrs: state.rtmrs, format: configuration.format,
                reusing: request.rebuildMaterial
            ) { body(reportData: request.inblob, rtmrs: state.rtmrs, module: module) }
            var report = GeneratedReport(outblob: signed.quote)
            report.rebuildMaterial = signed.rebuildMaterial
            return report
        } catch {
            throw ProviderError(.ioError, "quote signing failed: \(error)")
        }
    }

    /// v7.1 kernels fail with EIO; earlier ones return an empty outblob.
    private func failedQuote(_ reason: String) throws(ProviderError) -> GeneratedReport {
        if configuration.faults.emptyOutblobOnFailure { return GeneratedReport(outblob: []) }
        throw ProviderError(.ioError, reason)
    }

    /// The TD report body for this TD on this platform, with the RTMRs and module as they are
    /// now unless pinned.
    public func body(reportData: [UInt8], rtmrs: [[UInt8]]? = nil) -> TDReportBody {
        body(reportData: reportData, rtmrs: rtmrs, module: modules.withLock { $0.last! })
    }

    func body(reportData: [UInt8], rtmrs: [[UInt8]]?, module: Module) -> TDReportBody {
        Self.body(
            reportData: reportData, rtmrs: rtmrs ?? registers.snapshot, module: module, launch: launchModule,
            configuration: configuration, platform: pki.platform)
    }

    /// The body as TDG.MR.REPORT fills it. A TDX 1.5 body keeps the launch module in TEE_TCB_SVN
    /// and MRSEAM and shows the running one in TEE_TCB_SVN2 (Intel's QVL advises a TD relaunch
    /// when the first is out of date and the second is not); a TDX 1.0 body has one TCB field, which
    /// shows the running module.
    static func body(
        reportData: [UInt8], rtmrs: [[UInt8]], module: Module, launch: Module, configuration: Configuration,
        platform: TDXPlatform
    ) -> TDReportBody {
        let identity = configuration.identity
        let tdx15 = reportsTDX15(configuration)
        var body = TDReportBody()
        body.teeTCBSVN = tdx15 ? launch.teeTCBSVN : module.teeTCBSVN
        body.mrSeam = tdx15 ? launch.mrSeam : module.mrSeam
        body.mrSignerSeam = platform.mrSignerSeam
        body.seamAttributes = platform.seamAttributes
        body.tdAttributes = identity.tdAttributes
        body.xfam = identity.xfam
        body.mrTD = identity.mrTD
        body.mrConfigID = identity.mrConfigID
        body.mrOwner = identity.mrOwner
        body.mrOwnerConfig = identity.mrOwnerConfig
        body.rtmrs = rtmrs
        body.reportData = reportData
        body.teeTCBSVN2 = module.teeTCBSVN2
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
        if reportsTDX15 {
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
