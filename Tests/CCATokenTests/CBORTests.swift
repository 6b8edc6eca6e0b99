import CBOR
import CBORFuzz
import Testing

/// The encoder against RFC 8949's examples and its deterministic rules; the decoder against
/// hostile bytes.
@Suite struct CBORTests {
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test(arguments: [
        (CBORValue.unsigned(0), "00"), (.unsigned(23), "17"), (.unsigned(24), "1818"), (.unsigned(100), "1864"),
        (.unsigned(1000), "1903e8"), (.unsigned(1_000_000), "1a000f4240"), (.unsigned(UInt64.max), "1bffffffffffffffff"),
        (.int(-1), "20"), (.int(-1000), "3903e7"), (.negative(UInt64.max), "3bffffffffffffffff"), (.bytes([]), "40"),
        (.bytes([1, 2, 3, 4]), "4401020304"), (.text("IETF"), "6449455446"), (.text("ü"), "62c3bc"),
        (
            .array([.unsigned(1), .array([.unsigned(2), .unsigned(3)]), .array([.unsigned(4), .unsigned(5)])]), "8301820203820405"
        ),
        (.map([(.unsigned(1), .unsigned(2)), (.unsigned(3), .unsigned(4))]), "a201020304"),
        (.tagged(1, .unsigned(1_363_896_240)), "c11a514b67b0"), (.bool(true), "f5"), (.bool(false), "f4"), (.null, "f6"),
    ])
    func encodesTheRFCExamples(_ value: CBORValue, _ expected: String) throws {
        #expect(Self.hex(CBOREncoder.encode(value)) == expected)
        #expect(try CBORDecoder.decode(CBOREncoder.encode(value)) == value)
    }

    @Test func mapKeysAreInTheOrderOfTheirEncodings() {
        // 10 → 0a, 265 → 190109, -1 → 20, "a" → 6161: bytewise, not by length first.
        let map = CBORValue.map([(.text("a"), .null), (.int(-1), .null), (.int(265), .null), (.int(10), .null)])
        #expect(Self.hex(CBOREncoder.encode(map)) == "a40af6190109f620f66161f6")
    }

    @Test func randomValuesRoundTrip() throws {
        var generator = SplitMix(seed: 0x7E57)
        for _ in 0..<500 {
            let value = CBORValue.random(&generator, depth: 0)
            let encoded = CBOREncoder.encode(value)
            let decoded = try CBORDecoder.decode(encoded)
            // The decoder keeps the encoded (sorted) order; encoding again is a fixed point.
            #expect(CBOREncoder.encode(decoded) == encoded)
        }
    }

    @Test(arguments: [
        ("", CBORError.truncated(at: 0)), ("18", .truncated(at: 1)), ("19ff", .truncated(at: 2)),
        ("43aabb", .lengthTooLarge(3, at: 1)),
        ("5bffffffffffffffff", .lengthTooLarge(UInt64.max, at: 9)), ("9bffffffffffffffff", .lengthTooLarge(UInt64.max, at: 0)),
        ("bbffffffffffffffff", .lengthTooLarge(UInt64.max, at: 0)), ("5f", .unsupported(initialByte: 0x5F, at: 0)),
        ("1c", .unsupported(initialByte: 0x1C, at: 0)), ("f93c00", .unsupported(initialByte: 0xF9, at: 0)),
        ("62c328", .invalidUTF8(at: 0)), ("0000", .trailingBytes(count: 1)),
    ])
    func hostileBytesFailWithTheirReason(_ hex: String, _ expected: CBORError) {
        let bytes = stride(from: 0, to: hex.count, by: 2).map {
            UInt8(hex[hex.index(hex.startIndex, offsetBy: $0)..<hex.index(hex.startIndex, offsetBy: $0 + 2)], radix: 16)!
        }
        #expect(throws: expected) { try CBORDecoder.decode(bytes) }
    }

    @Test func nestingIsBounded() {
        let deep = [UInt8](repeating: 0x81, count: 10_000) + [0x00]
        #expect(throws: CBORError.tooDeep(at: CBORDecoder.maximumDepth + 1)) { try CBORDecoder.decode(deep) }
        let tags = [UInt8](repeating: 0xC1, count: 100) + [0x00]
        #expect(throws: CBORError.tooDeep(at: CBORDecoder.maximumDepth + 1)) { try CBORDecoder.decode(tags) }
    }

    /// Random bytes: what decodes is one valid item whose deterministic re-encoding has its length
    /// and decodes to it (only map key order may differ); what does not is refused with an error whose
    /// position lies inside the input.
    @Test func randomGarbageGetsAConsistentVerdict() throws {
        var generator = SplitMix(seed: 0xBAD)
        var decoded = 0
        for _ in 0..<20_000 {
            let bytes = (0..<Int(generator.next() % 40)).map { _ in UInt8(truncatingIfNeeded: generator.next() & 0xFF) }
            do {
                let value = try CBORDecoder.decode(bytes)
                decoded += 1
                let encoded = CBOREncoder.encode(value)
                #expect(encoded.count == bytes.count, "\(bytes)")
                #expect(try CBORDecoder.decode(encoded) == value, "\(bytes)")
            } catch {
                switch error {
                case .truncated(let at), .unsupported(_, let at), .invalidUTF8(let at), .tooDeep(let at),
                    .lengthTooLarge(_, let at), .nonShortestHead(let at), .duplicateKey(let at):
                    #expect(at >= 0 && at <= bytes.count, "\(error) for \(bytes)")
                case .trailingBytes(let count):
                    #expect(count > 0 && count < bytes.count, "\(error) for \(bytes)")
                }
            }
        }
        #expect(decoded > 100, "the generator reached valid items too")
    }

    @Test func invalidItemsAreRefusedByName() {
        let cases: [([UInt8], CBORError)] = [
            ([0x18, 0x17], .nonShortestHead(at: 0)),  // 23 in a one-byte argument
            ([0x19, 0x00, 0xFF], .nonShortestHead(at: 0)),
            ([0x82, 0x1A, 0x00, 0x00, 0xFF, 0xFF, 0x00], .nonShortestHead(at: 1)),
            ([0xA2, 0x01, 0x02, 0x01, 0x03], .duplicateKey(at: 3)),
            ([0xA2, 0x61, 0x61, 0x00, 0x61, 0x61, 0x01], .duplicateKey(at: 4)),
            ([0x01, 0x02], .trailingBytes(count: 1)),
            ([0x5A, 0xFF, 0xFF, 0xFF, 0xFF], .lengthTooLarge(0xFFFF_FFFF, at: 5)),
            ([0x9F, 0xFF], .unsupported(initialByte: 0x9F, at: 0)),
        ]
        for (bytes, expected) in cases {
            #expect(throws: expected, "\(bytes)") { try CBORDecoder.decode(bytes) }
        }
    }
}
