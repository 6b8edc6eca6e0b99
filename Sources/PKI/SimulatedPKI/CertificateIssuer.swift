import Crypto
import Foundation
import SigningKeys
import SwiftASN1
import X509

/// A certificate authority of a simulated PKI: its certificate and the key that signs with it.
public struct CertificateAuthority: Sendable {
    public let certificate: Certificate
    public let key: SigningKey

    public init(certificate: Certificate, key: SigningKey) {
        self.certificate = certificate
        self.key = key
    }

    /// The Subject Key Identifier other certificates and CRLs name this authority by.
    public var keyIdentifier: [UInt8] {
        Self.keyIdentifier(of: certificate.publicKey)
    }

    static func keyIdentifier(of publicKey: Certificate.PublicKey) -> [UInt8] {
        Array(SubjectKeyIdentifier(hash: publicKey).keyIdentifier)
    }
}

/// Certificate helpers shared by the simulated roots of trust.
public enum CertificateIssuer {
    /// The CRL Distribution Points extension with one URI (swift-certificates has no type for it).
    public static func crlDistributionPoint(_ uri: String) throws -> Certificate.Extension {
        var value = DER.Serializer()
        value.appendConstructedNode(identifier: .sequence) { points in
            points.appendConstructedNode(identifier: .sequence) { point in
                point.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) {
                    name in
                    name.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) {
                        fullName in
                        fullName.appendPrimitiveNode(identifier: ASN1Identifier(tagWithNumber: 6, tagClass: .contextSpecific)) {
                            $0.append(contentsOf: Array(uri.utf8))
                        }
                    }
                }
            }
        }
        return Certificate.Extension(oid: [2, 5, 29, 31], critical: false, value: ArraySlice(value.serializedBytes))
    }

    /// DER of a certificate.
    public static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    /// PEM of a certificate, newline-terminated.
    public static func pem(_ certificate: Certificate) throws -> String {
        try certificate.serializeAsPEM().pemString + "\n"
    }
}
