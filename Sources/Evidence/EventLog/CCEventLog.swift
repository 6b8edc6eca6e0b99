import ByteLayout
import Crypto

/// The TCG crypto-agile log TDVF writes in the CCEL log area: the Spec ID event in the legacy
/// SHA-1 format, then ``LoggedEvent``s, then 0xFF up to the area's minimum length, as TDVF fills
/// the area with 0xFF before logging (clients stop at an index of 0xFFFFFFFF).
public struct CCEventLog: Sendable, Equatable {
    /// TPM_ALG_SHA384, the only bank TDVF logs.
    public static let sha384AlgorithmID: UInt16 = 0x000C
    /// edk2's PcdTcgLogAreaMinLen.
    public static let defaultAreaLength = 0x10000

    public var events: [LoggedEvent]

    public init(events: [LoggedEvent]) { self.events = events }

    public enum LayoutError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The events do not fit in the log area.
        case overflow(needed: Int, area: Int)

        public var description: String {
            switch self {
            case .overflow(let needed, let area):
                "the boot log needs \(needed) bytes but the log area holds \(area)"
            }
        }
    }

    /// The first event: EV_NO_ACTION in the SHA-1 format, MR index 1 as TDVF writes it (PCR 0 maps
    /// to RTMR0), carrying TCG_EfiSpecIdEvent: "Spec ID Event03", spec 2.0 errata 0, UINTN of 64
    /// bits, one algorithm (SHA-384, 48 bytes), no vendor information.
    public static var specIDEvent: [UInt8] {
        var specID = Array("Spec ID Event03".utf8) + [0]
        specID.appendLittleEndian(UInt32(0))  // platform class
        specID += [0, 2, 0, 2]  // minor, major, errata, uintnSize (2: 64-bit)
        specID.appendLittleEndian(UInt32(1))
        specID.appendLittleEndian(sha384AlgorithmID)
        specID.appendLittleEndian(UInt16(48))
        specID.append(0)  // vendorInfoSize
        var event: [UInt8] = []
        event.appendLittleEndian(MeasurementIndex.rtmr0)
        event.appendLittleEndian(EventType.noAction.rawValue)
        event += [UInt8](repeating: 0, count: 20)
        event.appendLittleEndian(UInt32(specID.count))
        return event + specID
    }

    /// The log as written: Spec ID event, events, and 0xFF up to `areaLength`.
    public func bytes(areaLength: Int = defaultAreaLength) throws(LayoutError) -> [UInt8] {
        var out = Self.specIDEvent
        for event in events { out += event.bytes }
        // At least one terminating index must fit, or clients read past the area.
        guard out.count + 4 <= areaLength else { throw .overflow(needed: out.count + 4, area: areaLength) }
        return out + [UInt8](repeating: 0xFF, count: areaLength - out.count)
    }

    /// RTMR0–2 as the log's replay gives them: each register starts at zero and is extended, in log
    /// order, with every digest of its index (EV_NO_ACTION events extend nothing).
    public var replayedRegisters: [[UInt8]] {
        var registers = [[UInt8]](repeating: [UInt8](repeating: 0, count: 48), count: 3)
        for event in events where event.type != .noAction {
            guard (1...3).contains(event.index) else { continue }
            let register = Int(event.index) - 1
            registers[register] = Array(SHA384.hash(data: registers[register] + event.digest))
        }
        return registers
    }
}
