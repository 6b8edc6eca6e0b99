import Crypto
import Foundation
import SigningKeys
import SwiftASN1
import X509

/// X.509 v2 certificate revocation lists with the CRL Number and Authority Key Identifier
/// extensions verifiers require. swift-certificates has no CRL type, so the DER is assembled
/// here; the signature scheme is the caller's (ECDSA for Intel's CAs, RSASSA-PSS for AMD's).
public enum CRLBuilder {
    static let ecdsaWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 2]
    static let crlNumber: ASN1ObjectIdentifier = [2, 5, 29, 20]

    /// A CRL signed with ECDSA-P256/SHA-256 listing `revoked` (serials, big-endian bytes).
    public static func ecdsaCRL(
        issuer: DistinguishedName, issuerKey: SigningKey,
        authorityKeyIdentifier: [UInt8], number: Int,
        thisUpdate: Date, nextUpdate: Date, revoked: [[UInt8]] = []
    ) throws -> [UInt8] {
        try revocationList(
            issuer: issuer, authorityKeyIdentifier: authorityKeyIdentifier, number: number,
            thisUpdate: thisUpdate, nextUpdate: nextUpdate, revoked: revoked,
            algorithm: { try $0.appendConstructedNode(identifier: .sequence) { try $0.serialize(ecdsaWithSHA256) } },
            sign: { Array(try issuerKey.signature(for: $0).derRepresentation) })
    }

    /// A CRL listing `revoked` (certificate serial numbers, big-endian bytes) as revoked at
    /// `thisUpdate`. `algorithm` writes the signature AlgorithmIdentifier; `sign` signs the
    /// TBSCertList's DER and returns the BIT STRING's contents.
    public static func revocationList(
        issuer: DistinguishedName, authorityKeyIdentifier: [UInt8], number: Int,
        thisUpdate: Date, nextUpdate: Date, revoked: [[UInt8]],
        algorithm: (inout DER.Serializer) throws -> Void,
        sign: ([UInt8]) throws -> [UInt8]
    ) throws -> [UInt8] {
        var numberValue = DER.Serializer()
        try numberValue.serialize(number)
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence) { list in
            try list.serialize(1)  // version: v2
            try algorithm(&list)
            try list.serialize(issuer)
            try list.serialize(try utcTime(thisUpdate))
            try list.serialize(try utcTime(nextUpdate))
            // An empty revokedCertificates is left out, as RFC 5280 asks.
            if !revoked.isEmpty {
                try list.appendConstructedNode(identifier: .sequence) { entries in
                    for serial in revoked {
                        try entries.appendConstructedNode(identifier: .sequence) { entry in
                            try entry.serialize(ArraySlice(serial))
                            try entry.serialize(try utcTime(thisUpdate))
                        }
                    }
                }
            }
            try list.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { wrapper in
                try wrapper.appendConstructedNode(identifier: .sequence) { extensions in
                    try extensions.serialize(
                        Certificate.Extension(
                            oid: crlNumber, critical: false,
                            value: ArraySlice(numberValue.serializedBytes)))
                    try extensions.serialize(
                        Certificate.Extension(
                            AuthorityKeyIdentifier(keyIdentifier: ArraySlice(authorityKeyIdentifier)), critical: false))
                }
            }
        }
        let tbsBytes = tbs.serializedBytes
        let signature = try sign(tbsBytes)
        var crl = DER.Serializer()
        try crl.appendConstructedNode(identifier: .sequence) { outer in
            outer.serializeRawBytes(tbsBytes)
            try algorithm(&outer)
            try outer.serialize(ASN1BitString(bytes: ArraySlice(signature)))
        }
        return crl.serializedBytes
    }

    /// `date` as an ASN.1 UTCTime (valid through 2049).
    public static func utcTime(_ date: Date) throws -> UTCTime {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        return try UTCTime(
            year: parts.year!, month: parts.month!, day: parts.day!,
            hours: parts.hour!, minutes: parts.minute!, seconds: parts.second!)
    }
}
