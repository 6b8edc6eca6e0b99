import ByteLayout
import Crypto

/// One TCG_PCR_EVENT2 of a TDX log: one SHA-384 digest (TDVF logs no other bank).
public struct LoggedEvent: Sendable, Equatable {
    /// The CC measurement register index (``MeasurementIndex``): register = index − 1.
    public var index: UInt32
    public var type: EventType
    public var digest: [UInt8]
    public var data: [UInt8]

    public init(index: UInt32, type: EventType, digest: [UInt8], data: [UInt8]) {
        self.index = index
        self.type = type
        self.digest = digest
        self.data = data
    }

    /// An event whose digest is the SHA-384 of its own data (separators, EFI actions, Secure Boot
    /// variables).
    public init(index: UInt32, type: EventType, measuringItsData data: [UInt8]) {
        self.init(index: index, type: type, digest: Array(SHA384.hash(data: data)), data: data)
    }

    /// TCG_PCR_EVENT2: index, type, digest count 1, SHA-384's algorithm ID and digest, size, data.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4 + 4 + 4 + 2 + 48 + 4 + data.count)
        out.appendLittleEndian(index)
        out.appendLittleEndian(type.rawValue)
        out.appendLittleEndian(UInt32(1))
        out.appendLittleEndian(CCEventLog.sha384AlgorithmID)
        out += digest
        out.appendLittleEndian(UInt32(data.count))
        out += data
        return out
    }
}
