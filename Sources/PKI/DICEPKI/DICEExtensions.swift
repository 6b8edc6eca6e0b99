import SwiftASN1
import X509

/// The TCG DICE certificate extensions (TCG DICE Attestation Architecture, §6.1), DER-encoded by
/// hand: swift-certificates has no types for them. Both are non-critical, so strict RFC 5280 path
/// validators (Go's crypto/x509, pyca cryptography) that reject unknown critical extensions accept
/// the chain. tsmfs verify reads them with a decoder of its own.
public enum DICEExtensions {
    /// A measured layer: `DiceTcbInfo ::= SEQUENCE { vendor [0] UTF8String, model [1] UTF8String,
    /// version [2] UTF8String, svn [3] INTEGER, layer [4] INTEGER, fwids [6] SEQUENCE OF FWID, … }`
    /// with every field IMPLICIT-tagged and `FWID ::= SEQUENCE { hashAlg OID, digest OCTET STRING }`.
    public struct TcbInfo: Equatable, Sendable {
        public var vendor: String
        public var model: String
        public var version: String
        public var svn: Int
        public var layer: Int
        /// SHA-384 digests (the module measurement).
        public var fwids: [[UInt8]]

        public init(vendor: String, model: String, version: String, svn: Int, layer: Int, fwids: [[UInt8]]) {
            self.vendor = vendor
            self.model = model
            self.version = version
            self.svn = svn
            self.layer = layer
            self.fwids = fwids
        }

        public static let sha384: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 2]

        static func tag(_ number: UInt) -> ASN1Identifier { ASN1Identifier(tagWithNumber: number, tagClass: .contextSpecific) }

        public var der: [UInt8] {
            get throws {
                var serializer = DER.Serializer()
                try serializer.appendConstructedNode(identifier: .sequence) { info in
                    try ASN1UTF8String(vendor).serialize(into: &info, withIdentifier: Self.tag(0))
                    try ASN1UTF8String(model).serialize(into: &info, withIdentifier: Self.tag(1))
                    try ASN1UTF8String(version).serialize(into: &info, withIdentifier: Self.tag(2))
                    try svn.serialize(into: &info, withIdentifier: Self.tag(3))
                    try layer.serialize(into: &info, withIdentifier: Self.tag(4))
                    try info.appendConstructedNode(identifier: Self.tag(6)) { list in
                        for digest in fwids {
                            try list.appendConstructedNode(identifier: .sequence) { fwid in
                                try fwid.serialize(Self.sha384)
                                try fwid.serialize(ASN1OctetString(contentBytes: ArraySlice(digest)))
                            }
                        }
                    }
                }
                return serializer.serializedBytes
            }
        }

        public func certificateExtension() throws -> Certificate.Extension {
            Certificate.Extension(
                oid: [2, 23, 133, 5, 4, 1] as ASN1ObjectIdentifier, critical: false, value: ArraySlice(try der))
        }
    }

    /// `TcgUeid ::= SEQUENCE { ueid OCTET STRING }`: the device's universal entity id.
    public static func ueid(_ ueid: [UInt8]) throws -> Certificate.Extension {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) {
            try $0.serialize(ASN1OctetString(contentBytes: ArraySlice(ueid)))
        }
        return Certificate.Extension(
            oid: [2, 23, 133, 5, 4, 4] as ASN1ObjectIdentifier, critical: false, value: ArraySlice(serializer.serializedBytes))
    }

    public static let tcbInfoOID = [2, 23, 133, 5, 4, 1] as ASN1ObjectIdentifier
    public static let ueidOID = [2, 23, 133, 5, 4, 4] as ASN1ObjectIdentifier
}
