import ByteLayout
import Foundation
import Testing

@Suite struct BlobTests {
    @Test func rangesCrossSegmentBoundaries() {
        let blob = Blob(segments: [[1, 2, 3], [], [4, 5], [6, 7, 8, 9]])
        #expect(blob.count == 9 && blob.bytes == Array(1...9))
        for offset in 0...10 {
            for length in 0...10 {
                let read: [UInt8] = blob.withRange(at: offset, length: length) { pieces in pieces.flatMap { Array($0) } }
                let expected: [UInt8] = Array(Array(1...9).dropFirst(offset).prefix(length))
                #expect(read == expected, "offset \(offset) length \(length)")
            }
        }
    }

    /// A blob of one segment takes a path of its own; every shape must read the same bytes, and
    /// no piece handed out is ever empty.
    @Test(arguments: [[[UInt8]](), [[]], [[1]], [Array(1...9)], [[], Array(1...9), []], [[1, 2], [3]]])
    func everyShapeReadsItsBytes(_ segments: [[UInt8]]) {
        let blob = Blob(segments: segments)
        let all = segments.flatMap { $0 }
        #expect(blob.count == all.count && blob.bytes == all && blob.segments.allSatisfy { !$0.isEmpty })
        #expect(Blob(all) == blob)
        for offset in 0...all.count + 1 {
            for length in -1...all.count + 1 {
                var pieceCounts: [Int] = []
                let read: [UInt8] = blob.withRange(at: offset, length: length) { pieces in
                    pieceCounts = pieces.map(\.count)
                    return pieces.flatMap { Array($0) }
                }
                #expect(read == Array(all.dropFirst(max(0, offset)).prefix(max(0, length))), "offset \(offset) length \(length)")
                #expect(!pieceCounts.contains(0))
            }
        }
    }

    @Test func sharedSegmentsAreStoredOnce() {
        let shared = [UInt8](repeating: 7, count: 4096)
        let first = Blob(segments: [[1], shared])
        let second = Blob(segments: [[2], shared])
        let a = first.segments[1].withUnsafeBufferPointer { $0.baseAddress }
        let b = second.segments[1].withUnsafeBufferPointer { $0.baseAddress }
        #expect(a == b)
        #expect(first.bytes.count == 4097)
    }
}

@Suite struct HexBytesTests {
    @Test func decodesHexAndGUIDs() {
        #expect([UInt8](hex: "00aBff") == [0x00, 0xAB, 0xFF])
        #expect([UInt8](hex: "") == [])
        #expect([UInt8](hex: "abc") == nil && [UInt8](hex: "zz") == nil && [UInt8](hex: "+1") == nil)
        let guid = [UInt8](guid: "c476f1eb-0123-45a5-9641-b4e7dde5bfe3")
        #expect(guid?.prefix(4) == [0xC4, 0x76, 0xF1, 0xEB])
        #expect(guid?.guidTOrder.prefix(8) == [0xEB, 0xF1, 0x76, 0xC4, 0x23, 0x01, 0xA5, 0x45])
        #expect([UInt8](guid: "c476f1eb0123-45a5-9641-b4e7dde5bfe3-") == nil)
        #expect([UInt8](guid: "c476f1eb-0123-45a5-9641-b4e7dde5bfeg") == nil)
    }

    @Test func encodesInEitherCaseAndRoundTrips() {
        let bytes: [UInt8] = [0x00, 0x0F, 0xA0, 0xFF]
        #expect(bytes.hexString == "000fa0ff")
        #expect(bytes.upperHexString == "000FA0FF")
        for length in 0..<40 {
            let sample = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect([UInt8](hex: sample.hexString) == sample && [UInt8](hex: sample.upperHexString) == sample)
        }
    }
}

@Suite struct FieldTests {
    static let field = Field("nonce", at: 2, width: 4)

    @Test func writesExactlyTheFieldAndRefusesOtherWidths() throws {
        var layout = [UInt8](repeating: 0xEE, count: 8)
        try layout.write([1, 2, 3, 4], to: Self.field)
        #expect(layout == [0xEE, 0xEE, 1, 2, 3, 4, 0xEE, 0xEE])
        #expect(layout.read(Self.field) == [1, 2, 3, 4])
        for width in [0, 3, 5, 8] {
            var untouched = layout
            #expect(throws: LayoutError.wrongWidth(field: "nonce", expected: 4, actual: width)) {
                try untouched.write([UInt8](repeating: 9, count: width), to: Self.field)
            }
            #expect(untouched == layout, "a refused write must change nothing")
        }
        #expect(throws: LayoutError.wrongWidth(field: "nonce", expected: 4, actual: 1)) { try checkWidth([1], of: Self.field) }
        #expect("\(Self.field)" == "nonce (4 bytes at 0x2)")
    }

    /// A layout embedded in a larger one: the field lands at its offset from the layout's base.
    @Test func writesRelativeToABase() throws {
        var buffer = [UInt8](repeating: 0xEE, count: 10)
        try buffer.write([1, 2, 3, 4], to: Self.field, base: 3)
        #expect(buffer == [0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 1, 2, 3, 4, 0xEE])
        #expect(throws: LayoutError.wrongWidth(field: "nonce", expected: 4, actual: 2)) {
            try buffer.write([1, 2], to: Self.field, base: 3)
        }
    }

    @Test func littleEndianFieldsRoundTrip() {
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes.storeLittleEndian(UInt32(0x0102_0304), at: 3)
        #expect(Array(bytes[3..<7]) == [4, 3, 2, 1])
        #expect(bytes.loadLittleEndian(UInt32.self, at: 3) == 0x0102_0304)
        var appended: [UInt8] = []
        appended.appendLittleEndian(UInt16(0xBEEF))
        #expect(appended == [0xEF, 0xBE])
    }
}

@Suite struct JSONTextTests {
    @Test func stringLiteralsEscapeWhatJSONRequires() throws {
        let text = "a\"b\\c\nd\u{01}é"
        #expect(jsonString(text) == "\"a\\\"b\\\\c\\nd\\u0001é\"")
        let decoded = try JSONSerialization.jsonObject(with: Data(jsonString(text).utf8), options: .fragmentsAllowed) as? String
        #expect(decoded == text)
    }
}
