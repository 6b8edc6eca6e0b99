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
