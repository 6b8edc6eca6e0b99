import Crypto
import Foundation
import SwiftASN1
import X509

/// A P-256 signing key of a simulated root of trust, signing either as BoringSSL does (random
/// nonces) or deterministically (RFC 6979) when the output must be reproducible.
public struct SigningKey: Sendable {
    public let key: P256.Signing.PrivateKey
    public let deterministic: Bool

    public init(_ key: P256.Signing.PrivateKey, deterministic: Bool = false) {
        self.key = key
        self.deterministic = deterministic
    }

    public var publicKey: P256.Signing.PublicKey { key.publicKey }

    /// An ECDSA/SHA-256 signature over `data`.
    public func signature(for data: some DataProtocol) throws -> P256.Signing.ECDSASignature {
        guard deterministic else { return try key.signature(for: data) }
        return try P256.Signing.ECDSASignature(rawRepresentation: DeterministicECDSA.sign(data, with: key))
    }

    /// The key as swift-certificates signs with it.
    public var certificatePrivateKey: Certificate.PrivateKey {
        deterministic ? Certificate.PrivateKey(DeterministicCertificateKey(key: key)) : Certificate.PrivateKey(key)
    }
}

/// Lets swift-certificates sign certificates with RFC 6979 signatures.
struct DeterministicCertificateKey: CustomPrivateKey, Sendable {
    let key: P256.Signing.PrivateKey

    static var defaultPEMDiscriminator: String { "PRIVATE KEY" }

    var publicKey: Certificate.PublicKey { Certificate.PublicKey(key.publicKey) }
    var defaultSignatureAlgorithm: Certificate.SignatureAlgorithm { .ecdsaWithSHA256 }
    var supportedSignatureAlgorithms: [Certificate.SignatureAlgorithm] { [.ecdsaWithSHA256] }

    func signSynchronously(
        bytes: some DataProtocol,
        signatureAlgorithm: Certificate.SignatureAlgorithm
    ) throws -> Certificate.Signature {
        let signature = try P256.Signing.ECDSASignature(rawRepresentation: DeterministicECDSA.sign(bytes, with: key))
        return try Certificate.Signature(
            signatureAlgorithm: .ecdsaWithSHA256,
            signatureBytes: ASN1BitString(bytes: ArraySlice(signature.derRepresentation)))
    }

    func serialize(into coder: inout DER.Serializer) throws {
        coder.serializeRawBytes(Array(key.derRepresentation))
    }

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.key.rawRepresentation == rhs.key.rawRepresentation }
    func hash(into hasher: inout Hasher) { hasher.combine(key.rawRepresentation) }
}
