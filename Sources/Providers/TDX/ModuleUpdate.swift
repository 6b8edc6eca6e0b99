import DICEPKI
import Foundation
import TDXSigning

/// A runtime update of the simulated TDX module, as a TD-preserving module update: the TD keeps
/// running (its RTMRs and everything it was built with stay), the module's TCB changes, and the
/// quoting extension is initialised again (TDH.QUOTE.INIT), which renews the quoting key.
public struct ModuleUpdate: Sendable {
    /// The new module's SVN (TEE_TCB_SVN byte 0); `nil` keeps it.
    public var svn: UInt8?
    /// The new module's measurement; `nil` keeps it.
    public var mrSeam: [UInt8]?
    /// Whether the new module image has the quoting feature (TDX_FEATURES0 bit 50).
    public var hasQuoting = true
    /// How long the TD stays paused while the module is replaced (at most ``maximumDuration``).
    public var duration: Duration = .zero

    /// The longest pause an update may ask for: a TD paused longer would see its own timeouts fire.
    public static let maximumDuration: Duration = .seconds(60)

    public init(svn: UInt8? = nil, mrSeam: [UInt8]? = nil, hasQuoting: Bool = true, duration: Duration = .zero) {
        self.svn = svn
        self.mrSeam = mrSeam
        self.hasQuoting = hasQuoting
        self.duration = duration
    }
}

/// What an update changed.
public struct ModuleUpdateResult: Sendable, Equatable {
    public var previousSVN: UInt8
    public var svn: UInt8
    public var mrSeam: [UInt8]
    public var quoteSize: Int
    public var maxQuoteSize: Int
    /// How many module loads the TD has seen (1 before the first update).
    public var generation: Int
}

/// Why an update (or a start) was refused.
public enum ModuleUpdateError: Error, Equatable, Sendable, CustomStringConvertible {
    case quoteTooLarge(size: Int, maximum: Int)
    case wouldDropQuoting
    case noDICEChain
    case invalidMeasurement(Int)
    case signing(String)
    case durationTooLong(Duration)
    /// The daemon is stopping: the update was abandoned and the TD runs on under the old module.
    case interrupted

    public var description: String {
        switch self {
        case .quoteTooLarge(let size, let maximum):
            "the new module's quotes would be \(size) bytes, more than the \(maximum)-byte quote buffer fixed when the TD started "
                + "(a compatible update must not raise the maximum quote size)"
        case .wouldDropQuoting:
            "the new module has no quoting feature: the TD would lose attestation, so the update is refused"
        case .noDICEChain: "DICE quoting needs the simulated DICE chain (tdx quoting = \"dice\" without its PKI)"
        case .invalidMeasurement(let count): "MRSEAM must be 48 bytes, not \(count)"
        case .signing(let reason): "the new module could not initialise quoting: \(reason)"
        case .durationTooLong(let duration):
            "a pause of \(duration) is longer than the \(ModuleUpdate.maximumDuration) an update may take"
        case .interrupted: "the daemon is stopping: the update was abandoned and the old module stays"
        }
    }
}

extension TDXProvider {
    /// Replaces the simulated module. Generations that started before keep the old module; those
    /// that start while the update runs wait for it (the TD is paused) and get the new one.
    ///
    /// `isStopping` is asked during the pause: when it answers true (the daemon got SIGTERM) the
    /// update is abandoned at once, so nothing waits behind it.
    public func updateModule(_ update: ModuleUpdate, isStopping: @Sendable () -> Bool = { false }) throws(ModuleUpdateError)
        -> ModuleUpdateResult
    {
        guard update.hasQuoting else { throw .wouldDropQuoting }
        guard update.duration <= ModuleUpdate.maximumDuration else { throw .durationTooLong(update.duration) }
        if let mrSeam = update.mrSeam, mrSeam.count != 48 { throw .invalidMeasurement(mrSeam.count) }
        return try withModules { (modules: inout [Module]) throws(ModuleUpdateError) -> ModuleUpdateResult in
            let current = modules.last!
            var next = current
            if let svn = update.svn {
                next.teeTCBSVN[0] = svn
                next.teeTCBSVN2[0] = svn
            }
            if let mrSeam = update.mrSeam { next.mrSeam = mrSeam }
            do {
                if case .dice = current.signer, let dice {
                    next.signer = .dice(try DICEQuoteSigner(pki: dice, module: next.diceIdentity, generation: modules.count))
                }
            } catch {
                throw .signing("\(error)")
            }
            let size: Int
            do {
                next = try next.preparingSignedPart(launch: launchModule, configuration: configuration, platform: pki.platform)
                size = try Self.quoteSize(next, launch: launchModule, configuration: configuration, platform: pki.platform)
            } catch { throw .signing("\(error)") }
            guard size <= maxQuoteSize else { throw .quoteTooLarge(size: size, maximum: maxQuoteSize) }
            let clock = ContinuousClock()
            let end = clock.now + update.duration
            while clock.now < end {
                if isStopping() { throw .interrupted }
                // Short steps, so a stop is seen within one of them.
                let remaining = (end - clock.now).components
                Thread.sleep(forTimeInterval: min(0.02, Double(remaining.seconds) + Double(remaining.attoseconds) / 1e18))
            }
            modules.append(next)
            return ModuleUpdateResult(
                previousSVN: current.teeTCBSVN2[0], svn: next.teeTCBSVN2[0], mrSeam: next.mrSeam, quoteSize: size,
                maxQuoteSize: maxQuoteSize, generation: modules.count)
        }
    }
}
