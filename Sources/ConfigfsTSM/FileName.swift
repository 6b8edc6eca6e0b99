import ByteLayout
import ProviderKit

#if canImport(Glibc)
    import Glibc
#endif

/// A directory entry name exactly as the kernel passed it: bytes, compared as bytes.
///
/// configfs compares names with `strcmp`, so `é` as one code point and as `e` plus a combining
/// accent are two entries, and a name that is not UTF-8 is neither repaired nor rejected.
/// Swift's `String` would do both (canonical equivalence, replacement characters), which is
/// why names never pass through it between FUSE and the tree.
///
/// Every lookup, mkdir and rmdir makes one, so names of up to ``inlineCapacity`` bytes (entry
/// names clients choose, every attribute name) are held in the value itself rather than in an
/// array allocated and freed per request.
public struct FileName: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The longest name held without an allocation.
    public static let inlineCapacity = 32

    /// Room for ``inlineCapacity`` bytes, compared a word at a time.
    private struct Words: Equatable, Sendable {
        var first: UInt64 = 0, second: UInt64 = 0, third: UInt64 = 0, fourth: UInt64 = 0
    }

    private enum Storage: Sendable {
        /// `count` bytes at the start of `bytes`, the rest zero.
        case inline(bytes: Words, count: UInt8)
        /// Longer than ``inlineCapacity``: never used for a name that fits inline, so equal
        /// names always have equal storage.
        case array([UInt8])
    }

    private let storage: Storage

    /// The name's bytes, copied out of the raw buffer: any byte but `/` and NUL, as the VFS
    /// hands them over.
    public init(_ bytes: UnsafeRawBufferPointer) {
        if bytes.count <= Self.inlineCapacity {
            var inline = Words()
            withUnsafeMutableBytes(of: &inline) { $0.copyMemory(from: bytes) }
            storage = .inline(bytes: inline, count: UInt8(bytes.count))
        } else {
            storage = .array(Array(bytes))
        }
    }

    public init(bytes: some Sequence<UInt8>) {
        let array = Array(bytes)
        self = array.withUnsafeBytes { FileName($0) }
    }

    /// The UTF-8 bytes of `text`.
    public init(_ text: String) { self.init(bytes: text.utf8) }

    public init(stringLiteral value: String) { self.init(value) }

    /// The bytes of a NUL-terminated C string.
    public init(cString: UnsafePointer<CChar>) {
        self.init(UnsafeRawBufferPointer(start: cString, count: strlen(cString)))
    }

    /// Calls `body` with the name's bytes.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch storage {
        case .inline(let bytes, let count):
            try withUnsafeBytes(of: bytes) { try body(UnsafeRawBufferPointer(start: $0.baseAddress, count: Int(count))) }
        case .array(let bytes):
            try bytes.withUnsafeBytes(body)
        }
    }

    /// The name's bytes, as an array.
    public var bytes: [UInt8] { withBytes { Array($0) } }

    public var count: Int {
        switch storage {
        case .inline(_, let count): Int(count)
        case .array(let bytes): bytes.count
        }
    }

    public static func == (lhs: FileName, rhs: FileName) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case (.inline(let left, let leftCount), .inline(let right, let rightCount)): leftCount == rightCount && left == right
        case (.array(let left), .array(let right)): left == right
        default: false
        }
    }

    /// The bytes hashed in one call (a synthesised hash would feed them one at a time).
    public func hash(into hasher: inout Hasher) {
        withBytes { hasher.combine(bytes: $0) }
    }

    /// For logs and messages, escaped: any user who can create an entry chooses its name.
    public var description: String { bytes.escapedForLog }

    /// Calls `body` with the name as a NUL-terminated C string.
    public func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        try (bytes + [0]).withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }
}

extension ReportAttribute {
    /// The attribute whose file name is exactly these bytes.
    init?(fileName name: FileName) {
        guard let match = Self.byFileName[name] else { return nil }
        self = match
    }

    /// Every attribute by its name's bytes: each lookup of an attribute file asks, so it is one
    /// hash rather than a string built and compared per attribute.
    private static let byFileName = Dictionary(uniqueKeysWithValues: allCases.map { (FileName($0.fileName), $0) })
}
