import CBOR

/// A small deterministic generator, so failures replay.
public struct SplitMix: RandomNumberGenerator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension CBORValue {
    /// Any value the encoder supports, with map keys that are integers, text or bytes, unique.
    public static func random(_ generator: inout SplitMix, depth: Int) -> CBORValue {
        let leafKinds = 7
        let kind = Int(generator.next() % UInt64(depth >= 4 ? leafKinds : leafKinds + 3))
        func width() -> UInt64 {
            [0, 23, 24, 0xFF, 0x100, 0xFFFF, 0x1_0000, 0xFFFF_FFFF, 0x1_0000_0000, UInt64.max][Int(generator.next() % 10)]
        }
        switch kind {
        case 0: return .unsigned(generator.next() % 2 == 0 ? width() : generator.next() >> (generator.next() % 64))
        case 1: return .negative(generator.next() % 2 == 0 ? width() : generator.next() >> (generator.next() % 64))
        case 2: return .bytes((0..<Int(generator.next() % 300)).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
        case 3:
            let scalars = (0..<Int(generator.next() % 20)).compactMap { _ in
                Unicode.Scalar(UInt32(generator.next() % 0x11_0000))
            }
            return .text(String(String.UnicodeScalarView(scalars)))
        case 4: return .bool(generator.next() % 2 == 0)
        case 5: return .null
        case 6: return .int(Int64(bitPattern: generator.next()))
        case 7: return .array((0..<Int(generator.next() % 5)).map { _ in random(&generator, depth: depth + 1) })
        case 8:
            var entries: [(key: CBORValue, value: CBORValue)] = []
            var seen: [[UInt8]] = []
            for _ in 0..<Int(generator.next() % 5) {
                let key: CBORValue =
                    switch generator.next() % 3 {
                    case 0: .int(Int64(bitPattern: generator.next()) >> (generator.next() % 63))
                    case 1: .text("k\(generator.next() % 1000)")
                    default: .bytes([UInt8(truncatingIfNeeded: generator.next())])
                    }
                let encoded = CBOREncoder.encode(key)
                if seen.contains(encoded) { continue }
                seen.append(encoded)
                entries.append((key, random(&generator, depth: depth + 1)))
            }
            return .map(entries)
        default:
            // Heads of every width, avoiding tags decoders give meaning to (dates, bignums, stringrefs…).
            let tags: [UInt64] = [18, 200, 399, 907, 0x1_0000, 0xFFFF_FFFF, 0x1_0000_0000, UInt64.max]
            return .tagged(tags[Int(generator.next() % UInt64(tags.count))], random(&generator, depth: depth + 1))
        }
    }
}
