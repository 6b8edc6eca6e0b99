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
        // One or two pieces are nearly every read (a report, or a quote's own part and the
        // certification data it shares): no recursion, no arrays built along the way.
        switch pieces.count {
        case 0:
            return body([])
        case 1:
            return segments[pieces[0].segment].withUnsafeBytes { body([UnsafeRawBufferPointer(rebasing: $0[pieces[0].range])]) }
        case 2:
            return segments[pieces[0].segment].withUnsafeBytes { first in
                segments[pieces[1].segment].withUnsafeBytes { second in
                    body([
                        UnsafeRawBufferPointer(rebasing: first[pieces[0].range]),
                        UnsafeRawBufferPointer(rebasing: second[pieces[1].range]),
                    ])
                }
            }
        default:
            return withPointers(pieces[...], [], body)
        }
    }

    private func withPointers<R>(
        _ pieces: ArraySlice<(segment: Int, range: Range<Int>)>, _ collected: [UnsafeRawBufferPointer],
        _ body: ([UnsafeRawBufferPointer]) -> R
    ) -> R {
        guard let first = pieces.first else { return body(collected) }
        return segments[first.segment].withUnsafeBytes { buffer in
            withPointers(pieces.dropFirst(), collected + [UnsafeRawBufferPointer(rebasing: buffer[first.range])], body)
        }
    }

    public static func == (lhs: Blob, rhs: Blob) -> Bool { lhs.count == rhs.count && lhs.bytes == rhs.bytes }
}
