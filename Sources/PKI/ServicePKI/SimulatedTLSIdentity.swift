import Crypto
import Foundation
import SigningKeys
import SimulatedPKI
import SwiftASN1
import X509

/// The TLS identity of the simulated vendor services: a CA whose name says it is simulated, and a
/// server certificate for every host name the services answer as. Keys live in the state
/// directory and the certificates are rebuilt from them the same way every time (fixed validity,
/// serials from the keys, RFC 6979 signatures), so a CA a client was told to trust once stays
/// trusted across restarts.
public struct SimulatedTLSIdentity: Sendable {
    public let ca: Certificate
    public let server: Certificate
    public let serverKey: P256.Signing.PrivateKey

    public static let caCommonName = "tsmfs Simulated TLS CA"
    static let notBefore = Date(timeIntervalSince1970: 1_735_689_600)  // 2025-01-01
    static let notAfter = Date(timeIntervalSince1970: 2_524_607_999)  // 2049-12-31

    public static func load(from store: KeyStore, hostNames: [String], addresses: [[UInt8]] = [[127, 0, 0, 1]]) throws
        -> SimulatedTLSIdentity
    {
        let caKey = try store.signingKey("tls-ca")
        let serverKey = try store.signingKey("tls-server")
        let signer = SigningKey(caKey.key, deterministic: true)
        let caName = try DistinguishedName {
            CommonName(caCommonName)
            OrganizationName("tsmfs simulation")
        }
        let caPublicKey = Certificate.PublicKey(caKey.publicKey)
        let caIdentifier = SubjectKeyIdentifier(hash: caPublicKey)
        let ca = try Certificate(
            version: .v3, serialNumber: serial(caPublicKey), publicKey: caPublicKey, notValidBefore: notBefore,
            notValidAfter: notAfter, issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                caIdentifier
            }, issuerPrivateKey: signer.certificatePrivateKey)
        let serverPublicKey = Certificate.PublicKey(serverKey.publicKey)
        let serverName = try DistinguishedName {
            CommonName("tsmfs simulated vendor services")
            OrganizationName("tsmfs simulation")
        }
        let names =
            hostNames.map { GeneralName.dnsName($0) }
            + addresses.map { GeneralName.ipAddress(ASN1OctetString(contentBytes: ArraySlice($0))) }
        let server = try Certificate(
            version: .v3, serialNumber: serial(serverPublicKey), publicKey: serverPublicKey, notValidBefore: notBefore,
            notValidAfter: notAfter, issuer: caName, subject: serverName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
                SubjectKeyIdentifier(hash: serverPublicKey)
                AuthorityKeyIdentifier(keyIdentifier: caIdentifier.keyIdentifier)
            }, issuerPrivateKey: signer.certificatePrivateKey)
        return SimulatedTLSIdentity(ca: ca, server: server, serverKey: serverKey.key)
    }

    /// A positive serial taken from the key, so the same key always gives the same certificate.
    static func serial(_ key: Certificate.PublicKey) -> Certificate.SerialNumber {
        var bytes = Array(SHA256.hash(data: Array(key.subjectPublicKeyInfoBytes)).prefix(16))
        bytes[0] &= 0x7F
        return Certificate.SerialNumber(bytes: ArraySlice(bytes))
    }

    public var caPEM: String { get throws { try CertificateIssuer.pem(ca) } }
    public var caDER: [UInt8] { get throws { try CertificateIssuer.der(ca) } }
    public var serverDER: [UInt8] { get throws { try CertificateIssuer.der(server) } }
}
