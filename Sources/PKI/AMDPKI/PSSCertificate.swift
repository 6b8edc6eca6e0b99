import Crypto
import Foundation
import SimulatedPKI
import SwiftASN1
import X509
import _CryptoExtras

/// X.509 certificates signed with RSASSA-PSS (SHA-384, MGF1-SHA-384, salt 48), as AMD's KDS
/// issues them. swift-certificates cannot sign PSS, so the TBSCertificate is assembled here
/// and signed with `_CryptoExtras`; the AlgorithmIdentifier bytes match AMD's exactly.
enum PSSCertificate {
    static let rsassaPSS: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 10]
    static let sha384: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 2]
    static let mgf1: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 8]

    static func contextTag(_ number: UInt) -> ASN1Identifier { ASN1Identifier(tagWithNumber: number, tagClass: .contextSpecific) }

    static func writeAlgorithm(_ serializer: inout DER.Serializer) throws {
        try serializer.appendConstructedNode(identifier: .sequence) { algorithm in
            try algorithm.serialize(rsassaPSS)
            try algorithm.appendConstructedNode(identifier: .sequence) { parameters in
                try parameters.appendConstructedNode(identifier: contextTag(0)) { hash in
                    try hash.appendConstructedNode(identifier: .sequence) {
                        try $0.serialize(sha384)
                        try $0.serialize(ASN1Null())
                    }
                }
                try parameters.appendConstructedNode(identifier: contextTag(1)) { mask in
                    try mask.appendConstructedNode(identifier: .sequence) { function in
                        try function.serialize(mgf1)
                        try function.appendConstructedNode(identifier: .sequence) {
                            try $0.serialize(sha384)
                            try $0.serialize(ASN1Null())
                        }
                    }
                }
                try parameters.serialize(48, explicitlyTaggedWithIdentifier: contextTag(2))  // salt length
                try parameters.serialize(1, explicitlyTaggedWithIdentifier: contextTag(3))  // trailer field
            }
        }
    }

    /// A DER certificate issued by `signer`.
    static func issue(
        serial: [UInt8], issuer: DistinguishedName, subject: DistinguishedName,
        notBefore: Date, notAfter: Date, publicKey: Certificate.PublicKey,
        extensions: [Certificate.Extension], signer: _RSA.Signing.PrivateKey
    ) throws -> [UInt8] {
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence) { certificate in
            try certificate.serialize(2, explicitlyTaggedWithIdentifier: contextTag(0))  // v3
            try certificate.serialize(ArraySlice(serial))
            try writeAlgorithm(&certificate)
            try certificate.serialize(issuer)
            try certificate.appendConstructedNode(identifier: .sequence) { validity in
                try validity.serialize(try CRLBuilder.utcTime(notBefore))
                try validity.serialize(try CRLBuilder.utcTime(notAfter))
            }
            try certificate.serialize(subject)
            try certificate.serialize(publicKey)
            try certificate.appendConstructedNode(identifier: contextTag(3)) { wrapper in
                try wrapper.appendConstructedNode(identifier: .sequence) { list in
                    for item in extensions { try list.serialize(item) }
                }
            }
        }
        let tbsBytes = tbs.serializedBytes
        let signature = try signer.signature(for: SHA384.hash(data: tbsBytes), padding: .PSS)
        var out = DER.Serializer()
        try out.appendConstructedNode(identifier: .sequence) { certificate in
            certificate.serializeRawBytes(tbsBytes)
            try writeAlgorithm(&certificate)
            try certificate.serialize(ASN1BitString(bytes: ArraySlice(signature.rawRepresentation)))
        }
        return out.serializedBytes
    }
}
