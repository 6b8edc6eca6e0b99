import ByteLayout

/// Why bytes are not a well-formed quote, or a quote's fields do not fit its layout.
public enum QuoteFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes end at `offset` where more were needed.
    case truncated(at: Int)
    case unsupportedVersion(UInt16)
    case unsupportedBodyType(UInt16)
    /// A v5 body size that does not match its body type.
    case bodySizeMismatch(type: UInt16, size: UInt32)
    /// The signature data length field disagrees with the bytes that follow.
    case signatureDataLength(declared: Int, present: Int)
    /// Certification data of a type other than 6 (QE report).
    case notQEReportCertification(type: UInt16)
    /// Nested certification data of a type other than 5 (PEM PCK chain).
    case notPCKChain(type: UInt16)
    /// A certification data size field disagrees with the bytes present.
    case certificationDataSize(type: UInt16, declared: Int, present: Int)
    /// A field value of the wrong width.
    case layout(LayoutError)

    public var description: String {
        switch self {
        case .truncated(let offset): "quote truncated at byte \(offset)"
        case .unsupportedVersion(let version): "unsupported quote version \(version)"
        case .unsupportedBodyType(let type): "unsupported v5 body type \(type)"
        case .bodySizeMismatch(let type, let size): "v5 body size \(size) does not match type \(type)"
        case .signatureDataLength(let declared, let present): "signature data length \(declared) but \(present) bytes follow"
        case .notQEReportCertification(let type): "certification data type \(type) is not a QE report (6)"
        case .notPCKChain(let type): "nested certification data type \(type) is not a PCK chain (5)"
        case .certificationDataSize(let type, let declared, let present):
            "certification data type \(type) declares \(declared) bytes but \(present) are present"
        case .layout(let error): error.description
        }
    }
}

/// Sequential little-endian reading with bounds checks.
struct ByteReader {
    private let bytes: [UInt8]
    private(set) var position = 0

    init(_ bytes: some Collection<UInt8>) { self.bytes = Array(bytes) }

    var remaining: Int { bytes.count - position }

    mutating func take(_ count: Int) throws(QuoteFormatError) -> [UInt8] {
        guard count >= 0, count <= remaining else { throw .truncated(at: position + max(0, remaining)) }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    mutating func integer<T: FixedWidthInteger>(_ type: T.Type) throws(QuoteFormatError) -> T {
        try take(MemoryLayout<T>.size).loadLittleEndian(T.self, at: 0)
    }
}
