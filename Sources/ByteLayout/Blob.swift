/// Report bytes as a sequence of segments. Arrays are copy-on-write, so a segment that many
/// reports include (the certification data every quote from one key carries, an SNP certificate
/// table) is stored once however many reports are cached.
public struct Blob: Sendable, Equatable {
    public private(set) var segments: [[UInt8]]
    public let count: Int

    public init(_ bytes: [UInt8]) {
        self.init(segments: [bytes])
    }

    public init(segments: [[UInt8]]) {
        self.segments = segments.filter { !$0.isEmpty }
        self.count = segments.reduce(0) { $0 + $1.count }
    }

    public static let empty = Blob(segments: [])

    public var isEmpty: Bool { count == 0 }

    /// The bytes, contiguous (a copy when there is more than one segment).
    public var bytes: [UInt8] { segments.count == 1 ? segments[0] : Array(segments.joined()) }

    /// Calls `body` with the pieces of segments that hold bytes `offset ..< offset + length`.
    public func withRange<R>(at offset: Int, length: Int, _ body: ([UnsafeRawBufferPointer]) -> R) -> R {
        var pieces: [(segment: Int, range: Range<Int>)] = []
        var start = max(0, offset)
        let end = min(count, offset + max(0, length))
        var base = 0
        for (index, segment) in segments.enumerated() where start < end {
            let segmentEnd = base + segment.count
            if start < segmentEnd {
                let upper = min(end, segmentEnd)
                pieces.append((index, (start - base)..<(upper - base)))
                start = upper
            }
            base = segmentEnd
        }
        // Every piece's pointer must stay valid until `body` returns: each level of the recursion
        // holds one segment's bytes open and appends to the same array, built once.
        var pointers: [UnsafeRawBufferPointer] = []
        pointers.reserveCapacity(pieces.count)
        return withPointers(pieces[...], &pointers, body)
    }

    private func withPointers<R>(
        _ pieces: ArraySlice<(segment: Int, range: Range<Int>)>, _ collected: inout [UnsafeRawBufferPointer],
        _ body: ([UnsafeRawBufferPointer]) -> R
    ) -> R {
        guard let first = pieces.first else { return body(collected) }
        return segments[first.segment].withUnsafeBytes { buffer in
            collected.append(UnsafeRawBufferPointer(rebasing: buffer[first.range]))
            return withPointers(pieces.dropFirst(), &collected, body)
        }
    }

    public static func == (lhs: Blob, rhs: Blob) -> Bool { lhs.count == rhs.count && lhs.bytes == rhs.bytes }
}
