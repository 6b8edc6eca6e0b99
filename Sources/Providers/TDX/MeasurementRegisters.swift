import Crypto
import Synchronization

/// The TD's runtime measurement registers RTMR0…RTMR3: one state shared by every way a guest
/// sees them — quotes through configfs-tsm, TDREPORTs from /dev/tdx_guest and the tsm-mr files
/// in sysfs. They start at the configured values when the daemon starts, as hardware's start
/// at zero on every boot, and only grow by extension.
public final class MeasurementRegisters: Sendable {
    public static let count = 4
    public static let width = 48

    /// Why an extension was refused, as `TDG.MR.RTMR.EXTEND` would refuse it.
    public enum ExtendError: Error, Equatable, Sendable {
        /// Not RTMR0…3, or data that is not 48 bytes (TDX_OPERAND_INVALID: the kernel's ENXIO).
        case invalidOperand
    }

    private let values: Mutex<[[UInt8]]>

    public init(initial: [[UInt8]]) {
        precondition(initial.count == Self.count && initial.allSatisfy { $0.count == Self.width })
        values = Mutex(initial)
    }

    /// All four registers, read at one instant.
    public var snapshot: [[UInt8]] { values.withLock { $0 } }

    /// RTMR[index] = SHA-384(RTMR[index] ‖ data), atomically.
    public func extend(_ index: Int, with data: [UInt8]) throws(ExtendError) {
        guard (0..<Self.count).contains(index), data.count == Self.width else { throw .invalidOperand }
        values.withLock { registers in
            registers[index] = Array(SHA384.hash(data: registers[index] + data))
        }
    }
}
