import ProviderKit
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

    @Test func sharedSegmentsAreStoredOnce() {
        let shared = [UInt8](repeating: 7, count: 4096)
        let first = Blob(segments: [[1], shared])
        let second = Blob(segments: [[2], shared])
        let a = first.segments[1].withUnsafeBufferPointer { $0.baseAddress }
        let b = second.segments[1].withUnsafeBufferPointer { $0.baseAddress }
        #expect(a == b)
        #expect(GeneratedReport(outblob: first).outblob.count == 4097)
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
}
