/// Why bytes are not one well-formed CBOR item of the supported kinds.
public enum CBORError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated(at: Int)
    /// Indefinite lengths, reserved additional information, floats or simple values other than
    /// false/true/null.
    case unsupported(initialByte: UInt8, at: Int)
    case invalidUTF8(at: Int)
    case tooDeep(at: Int)
    /// A length beyond the bytes that remain.
    case lengthTooLarge(UInt64, at: Int)
    case trailingBytes(count: Int)
    /// A head whose argument fits a shorter form (RFC 8949 §4.2.1: one value, one encoding).
    case nonShortestHead(at: Int)
    /// A map key that appears twice in one map (RFC 8949 §5.6: such a map is not valid).
    case duplicateKey(at: Int)

    public var description: String {
        switch self {
        case .truncated(let offset): "CBOR truncated at byte \(offset)"
        case .unsupported(let byte, let offset): "unsupported CBOR item 0x\(String(byte, radix: 16)) at byte \(offset)"
        case .invalidUTF8(let offset): "CBOR text at byte \(offset) is not UTF-8"
        case .tooDeep(let offset): "CBOR nested too deeply at byte \(offset)"
        case .lengthTooLarge(let length, let offset): "CBOR length \(length) at byte \(offset) exceeds the data"
        case .trailingBytes(let count): "\(count) bytes after the CBOR item"
        case .nonShortestHead(let offset): "CBOR head at byte \(offset) is not in its shortest form"
        case .duplicateKey(let offset): "CBOR map key at byte \(offset) appears twice in its map"
        }
    }
}

/// Decodes one CBOR item from untrusted bytes: every length is checked against what remains before
/// anything is allocated, and nesting is bounded, so hostile input fails with a ``CBORError``.
/// Only well-formed, valid, shortest-form items are accepted: a signed item has one reading.
public struct CBORDecoder {
    public static let maximumDepth = 32

    private let bytes: [UInt8]
    private var position = 0

    public static func decode(_ bytes: [UInt8]) throws(CBORError) -> CBORValue {
        var decoder = CBORDecoder(bytes: bytes)
        let value = try decoder.item(depth: 0)
        guard decoder.position == bytes.count else { throw .trailingBytes(count: bytes.count - decoder.position) }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private mutating func byte() throws(CBORError) -> UInt8 {
        guard position < bytes.count else { throw .truncated(at: position) }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func take(_ count: UInt64) throws(CBORError) -> [UInt8] {
        guard count <= UInt64(bytes.count - position) else { throw .lengthTooLarge(count, at: position) }
        defer { position += Int(count) }
        return Array(bytes[position..<position + Int(count)])
    }

    private mutating func argument(_ initial: UInt8, at start: Int) throws(CBORError) -> UInt64 {
        let info = initial & 0x1F
        switch info {
        case 0..<24: return UInt64(info)
        case 24...27:
            let width = 1 << Int(info - 24)
            guard width <= bytes.count - position else { throw .truncated(at: bytes.count) }
            var value: UInt64 = 0
            for _ in 0..<width { value = value << 8 | UInt64(try byte()) }
            // The smallest value each width may carry: anything less had a shorter head.
            let floor: UInt64 = info == 24 ? 24 : 1 << (4 * UInt64(width))
            guard value >= floor else { throw .nonShortestHead(at: start) }
            return value
        default: throw .unsupported(initialByte: initial, at: start)
        }
    }

    private mutating func item(depth: Int) throws(CBORError) -> CBORValue {
        let start = position
        guard depth <= Self.maximumDepth else { throw .tooDeep(at: start) }
        let initial = try byte()
        let major = initial >> 5
        if major == 7 {
            switch initial {
            case 0xF4: return .bool(false)
            case 0xF5: return .bool(true)
            case 0xF6: return .null
            default: throw .unsupported(initialByte: initial, at: start)
            }
        }
        let value = try argument(initial, at: start)
        switch major {
        case 0: return .unsigned(value)
        case 1: return .negative(value)
        case 2: return .bytes(try take(value))
        case 3:
            let raw = try take(value)
            guard let text = String(validating: raw, as: UTF8.self) else { throw .invalidUTF8(at: start) }
            return .text(text)
        case 4:
            // Every item takes at least one byte: a count beyond the rest is a lie.
            guard value <= UInt64(bytes.count - position) else { throw .lengthTooLarge(value, at: start) }
            var items: [CBORValue] = []
            for _ in 0..<value { items.append(try item(depth: depth + 1)) }
            return .array(items)
        case 5:
            guard value <= UInt64(bytes.count - position) / 2 else { throw .lengthTooLarge(value, at: start) }
            var entries: [(key: CBORValue, value: CBORValue)] = []
            // With every head in shortest form, equal keys have equal bytes.
            var seenKeys = Set<ArraySlice<UInt8>>()
            for _ in 0..<value {
                let keyStart = position
                let key = try item(depth: depth + 1)
                guard seenKeys.insert(bytes[keyStart..<position]).inserted else { throw .duplicateKey(at: keyStart) }
                entries.append((key, try item(depth: depth + 1)))
            }
            return .map(entries)
        default:
            return .tagged(value, try item(depth: depth + 1))
        }
    }
}
