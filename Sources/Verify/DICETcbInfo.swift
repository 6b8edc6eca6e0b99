import SwiftASN1

/// A tcg-dice-TcbInfo extension (TCG DICE Attestation Architecture) as a verifier reads it:
/// `SEQUENCE { vendor [0] UTF8String, model [1], version [2], svn [3] INTEGER, layer [4] INTEGER,
/// index [5] INTEGER, fwids [6] SEQUENCE OF SEQUENCE { hashAlg OID, digest OCTET STRING }, … }`,
/// every field IMPLICIT and OPTIONAL. Written here, apart from the code that issues the chain.
struct DICETcbInfo: Equatable {
    static let oid: ASN1ObjectIdentifier = [2, 23, 133, 5, 4, 1]
    static let sha384: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 2]

    var vendor: String?
    var model: String?
    var version: String?
    var svn: Int?
    var layer: Int?
    /// (hash algorithm, digest) pairs.
    var fwids: [(algorithm: ASN1ObjectIdentifier, digest: [UInt8])] = []

    /// The SHA-384 FWIDs.
    var sha384Digests: [[UInt8]] { fwids.filter { $0.algorithm == Self.sha384 }.map(\.digest) }

    init(derEncoded bytes: [UInt8]) throws {
        func tag(_ number: UInt) -> ASN1Identifier { ASN1Identifier(tagWithNumber: number, tagClass: .contextSpecific) }
        var info = DICETcbInfo()
        try DER.sequence(try DER.parse(bytes), identifier: .sequence) { nodes in
            while let node = nodes.next() {
                switch node.identifier {
                case tag(0): info.vendor = String(try ASN1UTF8String(derEncoded: node, withIdentifier: tag(0)))
                case tag(1): info.model = String(try ASN1UTF8String(derEncoded: node, withIdentifier: tag(1)))
                case tag(2): info.version = String(try ASN1UTF8String(derEncoded: node, withIdentifier: tag(2)))
                case tag(3): info.svn = try Int(derEncoded: node, withIdentifier: tag(3))
                case tag(4): info.layer = try Int(derEncoded: node, withIdentifier: tag(4))
                case tag(6):
                    try DER.sequence(node, identifier: tag(6)) { list in
                        while let item = list.next() {
                            try DER.sequence(item, identifier: .sequence) { parts in
                                let algorithm = try ASN1ObjectIdentifier(derEncoded: &parts)
                                info.fwids.append((algorithm, Array(try ASN1OctetString(derEncoded: &parts).bytes)))
                            }
                        }
                    }
                default: continue
                }
            }
        }
        self = info
    }

    private init() {}

    static func == (lhs: DICETcbInfo, rhs: DICETcbInfo) -> Bool {
        (lhs.vendor, lhs.model, lhs.version, lhs.svn, lhs.layer) == (rhs.vendor, rhs.model, rhs.version, rhs.svn, rhs.layer)
            && lhs.fwids.map(\.digest) == rhs.fwids.map(\.digest) && lhs.fwids.map(\.algorithm) == rhs.fwids.map(\.algorithm)
    }
}
