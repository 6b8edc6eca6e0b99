import Crypto
import Foundation
import SigningKeys
import SwiftASN1
import X509

/// An empty X.509 v2 certificate revocation list signed with ECDSA-P256/SHA-256, with the
/// CRL Number and Authority Key Identifier extensions verifiers require. swift-certificates
/// has no CRL type, so the DER is assembled here.
public enum CRLBuilder {
    static let ecdsaWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 2]
    static let crlNumber: ASN1ObjectIdentifier = [2, 5, 29, 20]

    public static func emptyCRL(issuer: DistinguishedName, issuerKey: SigningKey,
                                authorityKeyIdentifier: [UInt8], number: Int,
                                thisUpdate: Date, nextUpdate: Date) throws -> [UInt8] {
        var numberValue = DER.Serializer()
        try numberValue.serialize(number)
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence) { list in
            try list.serialize(1)   // version: v2
            try writeSignatureAlgorithm(&list)
            try list.serialize(issuer)
            try list.serialize(try utcTime(thisUpdate))
            try list.serialize(try utcTime(nextUpdate))
            // No revokedCertificates: nothing is revoked.
            try list.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { wrapper in
                try wrapper.appendConstructedNode(identifier: .sequence) { extensions in
                    try extensions.serialize(Certificate.Extension(oid: crlNumber, critical: false,
                                                                   value: ArraySlice(numberValue.serializedBytes)))
                    try extensions.serialize(Certificate.Extension(
                        AuthorityKeyIdentifier(keyIdentifier: ArraySlice(authorityKeyIdentifier)), critical: false))
                }
            }
        }
        let tbsBytes = tbs.serializedBytes
        let signature = try issuerKey.signature(for: tbsBytes).derRepresentation
        var crl = DER.Serializer()
        try crl.appendConstructedNode(identifier: .sequence) { outer in
            outer.serializeRawBytes(tbsBytes)
            try writeSignatureAlgorithm(&outer)
            try outer.serialize(ASN1BitString(bytes: ArraySlice(signature)))
        }
        return crl.serializedBytes
    }

    private static func writeSignatureAlgorithm(_ serializer: inout DER.Serializer) throws {
        try serializer.appendConstructedNode(identifier: .sequence) { try $0.serialize(ecdsaWithSHA256) }
    }

    /// `date` as an ASN.1 UTCTime (valid through 2049).
    public static func utcTime(_ date: Date) throws -> UTCTime {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        return try UTCTime(year: parts.year!, month: parts.month!, day: parts.day!,
                           hours: parts.hour!, minutes: parts.minute!, seconds: parts.second!)
    }
}
