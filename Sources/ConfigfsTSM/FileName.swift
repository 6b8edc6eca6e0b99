import ByteLayout
import ProviderKit

/// A directory entry name exactly as the kernel passed it: bytes, compared as bytes.
///
/// configfs compares names with `strcmp`, so `é` as one code point and as `e` plus a combining
/// accent are two entries, and a name that is not UTF-8 is neither repaired nor rejected.
/// Swift's `String` would do both (canonical equivalence, replacement characters), which is
/// why names never pass through it between FUSE and the tree.
public struct FileName: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The name's bytes: any byte but `/` and NUL, as the VFS hands them over.
    public let bytes: [UInt8]

    public init(bytes: some Sequence<UInt8>) { self.bytes = Array(bytes) }

    /// The UTF-8 bytes of `text`.
    public init(_ text: String) { self.bytes = Array(text.utf8) }

    public init(stringLiteral value: String) { self.init(value) }

    /// The bytes of a NUL-terminated C string.
    public init(cString: UnsafePointer<CChar>) {
        var length = 0
        while cString[length] != 0 { length += 1 }
        self.bytes = UnsafeRawBufferPointer(start: cString, count: length).map { $0 }
    }

    public var count: Int { bytes.count }

    /// The bytes hashed in one call: the synthesised hash fed them to the hasher one at a time,
    /// on every lookup of every request.
    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
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
