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
        deterministic ? Certificate.PrivateKey(DeterministicCertificateKey(.p256(key))) : Certificate.PrivateKey(key)
    }
}

/// Lets swift-certificates sign certificates with RFC 6979 signatures, on either curve the simulated
/// roots use (P-256 with SHA-256, P-384 with SHA-384).
struct DeterministicCertificateKey: CustomPrivateKey, Sendable {
    enum Key: Sendable {
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
    }

    let key: Key

    init(_ key: Key) { self.key = key }

    static var defaultPEMDiscriminator: String { "PRIVATE KEY" }

    var publicKey: Certificate.PublicKey {
        switch key {
        case .p256(let key): Certificate.PublicKey(key.publicKey)
        case .p384(let key): Certificate.PublicKey(key.publicKey)
        }
    }

    var defaultSignatureAlgorithm: Certificate.SignatureAlgorithm {
        if case .p256 = key { return .ecdsaWithSHA256 }
        return .ecdsaWithSHA384
    }

    var supportedSignatureAlgorithms: [Certificate.SignatureAlgorithm] { [defaultSignatureAlgorithm] }

    private var rawRepresentation: Data {
        switch key {
        case .p256(let key): key.rawRepresentation
        case .p384(let key): key.rawRepresentation
        }
    }

    func signSynchronously(
        bytes: some DataProtocol,
        signatureAlgorithm: Certificate.SignatureAlgorithm
    ) throws -> Certificate.Signature {
        let der: Data
        switch key {
        case .p256(let key):
            der = try P256.Signing.ECDSASignature(rawRepresentation: DeterministicECDSA.sign(bytes, with: key)).derRepresentation
        case .p384(let key):
            der = try P384.Signing.ECDSASignature(rawRepresentation: DeterministicECDSA.sign(bytes, with: key)).derRepresentation
        }
        return try Certificate.Signature(
            signatureAlgorithm: defaultSignatureAlgorithm, signatureBytes: ASN1BitString(bytes: ArraySlice(der)))
    }

    func serialize(into coder: inout DER.Serializer) throws {
        switch key {
        case .p256(let key): coder.serializeRawBytes(Array(key.derRepresentation))
        case .p384(let key): coder.serializeRawBytes(Array(key.derRepresentation))
        }
    }

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.rawRepresentation == rhs.rawRepresentation }
    func hash(into hasher: inout Hasher) { hasher.combine(rawRepresentation) }
}
