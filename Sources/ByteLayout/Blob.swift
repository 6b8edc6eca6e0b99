/// Report bytes as a sequence of segments. Arrays are copy-on-write, so a segment that many
/// reports include (the certification data every quote from one key carries, an SNP certificate
/// table) is stored once however many reports are cached.
public struct Blob: Sendable, Equatable {
    /// The first segment, held directly: most blobs are one segment, and then a blob is that
    /// array alone, with no array of arrays to allocate and free per report.
    @usableFromInline let head: [UInt8]
    /// The segments after the first. Empty when `head` is.
    @usableFromInline let tail: [[UInt8]]
    public let count: Int

    public init(_ bytes: [UInt8]) {
        head = bytes
        tail = []
        count = bytes.count
    }

    public init(segments: [[UInt8]]) {
        var nonEmpty = segments.lazy.filter { !$0.isEmpty }.makeIterator()
        head = nonEmpty.next() ?? []
        tail = Array(IteratorSequence(nonEmpty))
        count = segments.reduce(0) { $0 + $1.count }
    }

    public static let empty = Blob([])

    /// The segments that hold bytes, in order; none of them is empty.
    public var segments: [[UInt8]] { head.isEmpty ? [] : [head] + tail }

    public var isEmpty: Bool { count == 0 }

    /// The bytes, contiguous (a copy when there is more than one segment).
    public var bytes: [UInt8] { tail.isEmpty ? head : Array(segments.joined()) }

    /// Calls `body` with the pieces of segments that hold bytes `offset ..< offset + length`.
    /// Inlinable, so that each read of a blob specialises it rather than going through generic code.
    @inlinable
    public func withRange<R>(
        at offset: Int, length: Int, _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) -> R
    ) -> R {
        let start = max(0, offset)
        let end = min(count, offset + max(0, length))
        guard start < end else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
        // One segment, as most reports have: one piece, nothing to collect.
        if tail.isEmpty {
            return head.withUnsafeBytes { bytes in
                withUnsafePointer(to: UnsafeRawBufferPointer(rebasing: bytes[start..<end])) {
                    body(UnsafeBufferPointer(start: $0, count: 1))
                }
            }
        }
        return withUnsafeTemporaryAllocation(of: UnsafeRawBufferPointer.self, capacity: 1 + tail.count) { collected in
            withPieces(segment: 0, skipping: start, remaining: end - start, collected, filled: 0, body)
        }
    }

    /// Collects the pieces from segment `index` on (0 is `head`) into `collected`, then calls
    /// `body`. Each level holds one segment's bytes open, so every piece stays valid until `body`
    /// returns.
    @inlinable
    func withPieces<R>(
        segment index: Int, skipping skip: Int, remaining: Int,
        _ collected: UnsafeMutableBufferPointer<UnsafeRawBufferPointer>, filled: Int,
        _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) -> R
    ) -> R {
        guard remaining > 0, index <= tail.count else {
            return body(UnsafeBufferPointer(rebasing: collected[..<filled]))
        }
        let segment = index == 0 ? head : tail[index - 1]
        guard skip < segment.count else {
            return withPieces(
                segment: index + 1, skipping: skip - segment.count, remaining: remaining, collected, filled: filled, body)
        }
        return segment.withUnsafeBytes { bytes in
            let taken = min(remaining, bytes.count - skip)
            collected.initializeElement(at: filled, to: UnsafeRawBufferPointer(rebasing: bytes[skip..<skip + taken]))
            return withPieces(
                segment: index + 1, skipping: 0, remaining: remaining - taken, collected, filled: filled + 1, body)
        }
    }

    public static func == (lhs: Blob, rhs: Blob) -> Bool { lhs.count == rhs.count && lhs.bytes == rhs.bytes }
}
