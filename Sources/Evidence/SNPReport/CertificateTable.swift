import AMDValues
import ByteLayout

/// The GHCB extended-report certificate table, as configfs-tsm's `auxblob` carries it:
/// 24-byte entries (GUID in RFC 4122 byte order, offset and length from the table's start,
/// little-endian) ended by an all-zero entry, then the certificates (DER).
public struct CertificateTable: Equatable, Sendable {
    public static let entrySize = 24

    /// The GUIDs of the GHCB specification.
    public enum Kind: String, CaseIterable, Sendable {
        case ark = "c0b406a4-a803-4952-9743-3fb6014cd0ae"
        case ask = "4ab7b379-bbac-4fe4-a02f-05aef327c782"
        case vcek = "63da758d-e664-4564-adc5-f4b93be8accd"
        case vlek = "a8074bc2-a25a-483e-aae6-39c045a0b8a1"

        /// The entry that holds `key`'s certificate.
        public init(_ key: EndorsementKey) { self = key == .vcek ? .vcek : .vlek }

        /// The GUID's bytes in RFC 4122 order: the hex digits as the string reads.
        public var guid: [UInt8] { [UInt8](guid: rawValue)! }
    }

    public var entries: [(kind: Kind, certificate: [UInt8])]

    public init(_ entries: [(kind: Kind, certificate: [UInt8])]) {
        self.entries = entries
    }

    public var bytes: [UInt8] {
        var offset = (entries.count + 1) * Self.entrySize
        var table: [UInt8] = []
        for entry in entries {
            table += entry.kind.guid
            table.appendLittleEndian(UInt32(offset))
            table.appendLittleEndian(UInt32(entry.certificate.count))
            offset += entry.certificate.count
        }
        table += [UInt8](repeating: 0, count: Self.entrySize)
        return table + entries.flatMap(\.certificate)
    }

    public init(parsing bytes: [UInt8]) throws(ReportFormatError) {
        var entries: [(Kind, [UInt8])] = []
        var position = 0
        while true {
            guard position + Self.entrySize <= bytes.count else { throw .tableWithoutTerminator }
            let guid = Array(bytes[position..<position + 16])
            let offset = Int(bytes.loadLittleEndian(UInt32.self, at: position + 16))
            let length = Int(bytes.loadLittleEndian(UInt32.self, at: position + 20))
            position += Self.entrySize
            if guid.allSatisfy({ $0 == 0 }) && offset == 0 && length == 0 { break }
            guard let kind = Kind.allCases.first(where: { $0.guid == guid }) else { throw .unknownCertificateGUID(guid) }
            guard offset + length <= bytes.count else {
                throw .certificateOutOfBounds(offset: offset, length: length, tableSize: bytes.count)
            }
            entries.append((kind, Array(bytes[offset..<offset + length])))
        }
        self.entries = entries
    }

    /// The certificate of `kind`, if present.
    public func certificate(_ kind: Kind) -> [UInt8]? {
        entries.first { $0.kind == kind }?.certificate
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.bytes == rhs.bytes }
}
