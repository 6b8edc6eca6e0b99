/// A CBOR data item (RFC 8949) of the kinds attestation tokens use.
public indirect enum CBORValue: Equatable, Sendable {
    case unsigned(UInt64)
    /// The negative integer −1 − n.
    case negative(UInt64)
    case bytes([UInt8])
    case text(String)
    case array([CBORValue])
    /// Entries in the order given; ``CBOREncoder`` writes them in deterministic key order.
    case map([(key: CBORValue, value: CBORValue)])
    case tagged(UInt64, CBORValue)
    case bool(Bool)
    case null

    /// An integer of either sign.
    public static func int(_ value: Int64) -> CBORValue {
        value >= 0 ? .unsigned(UInt64(value)) : .negative(UInt64(-(value + 1)))
    }

    /// The integer, if this is one that fits an `Int64`.
    public var int: Int64? {
        switch self {
        case .unsigned(let value): value <= UInt64(Int64.max) ? Int64(value) : nil
        case .negative(let value): value <= UInt64(Int64.max) ? -1 - Int64(value) : nil
        default: nil
        }
    }

    public var bytesValue: [UInt8]? { if case .bytes(let bytes) = self { bytes } else { nil } }
    public var textValue: String? { if case .text(let text) = self { text } else { nil } }
    public var arrayValue: [CBORValue]? { if case .array(let items) = self { items } else { nil } }
    public var mapValue: [(key: CBORValue, value: CBORValue)]? { if case .map(let entries) = self { entries } else { nil } }

    /// The value under integer key `key` in a map.
    public subscript(key: Int64) -> CBORValue? {
        mapValue?.first { $0.key == .int(key) }?.value
    }

    public static func == (lhs: CBORValue, rhs: CBORValue) -> Bool {
        switch (lhs, rhs) {
        case (.unsigned(let a), .unsigned(let b)), (.negative(let a), .negative(let b)): a == b
        case (.bytes(let a), .bytes(let b)): a == b
        case (.text(let a), .text(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.map(let a), .map(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.tagged(let t, let a), .tagged(let u, let b)): t == u && a == b
        case (.bool(let a), .bool(let b)): a == b
        case (.null, .null): true
        default: false
        }
    }
}
