import Crypto
import Foundation
import SwiftASN1
import X509

/// A P-256 signing key of a simulated root of trust, signing either as BoringSSL does (random
/// nonces, optionally presigned in batches) or deterministically (RFC 6979) when the output must be
/// reproducible.
public struct SigningKey: Sendable {
    public let key: P256.Signing.PrivateKey
    public let deterministic: Bool
    /// Shared by the copies of a presigning key.
    let presignatures: Presignatures?

    public init(_ key: P256.Signing.PrivateKey, deterministic: Bool = false) {
        self.init(key, deterministic: deterministic, presignatures: nil)
    }

    private init(_ key: P256.Signing.PrivateKey, deterministic: Bool, presignatures: Presignatures?) {
        self.key = key
        self.deterministic = deterministic
        self.presignatures = presignatures
    }

    /// This key, signing from nonces prepared in batches in the background: for a key that signs
    /// all the time (a TD's attestation key), where it moves most of each signature's cost off the
    /// signing path and makes what is left cheaper. A deterministic key stays as it is.
    public func presigning() -> SigningKey {
        guard !deterministic, presignatures == nil else { return self }
        return SigningKey(key, deterministic: false, presignatures: Presignatures(key: key))
    }

    public var publicKey: P256.Signing.PublicKey { key.publicKey }

    /// An ECDSA/SHA-256 signature over `data`.
    @inlinable
    public func signature(for data: some DataProtocol) throws -> P256.Signing.ECDSASignature {
        try P256.Signing.ECDSASignature(rawRepresentation: Data(rawSignature(for: data)))
    }

    /// r‖s, 64 bytes, over `data`: what evidence carries. Inlinable, so the message is hashed
    /// for the caller's concrete type: hashing through the generic DataProtocol interface, and
    /// the detour through ECDSASignature's Data, each cost more than the rest of a presigned
    /// signature.
    @inlinable
    public func rawSignature(for data: some DataProtocol) throws -> [UInt8] {
        if deterministic { return DeterministicECDSA.sign(Array(data), with: key) }
        return try rawSignature(forDigest: SHA256.hash(data: data))
    }

    /// r‖s for a message with this SHA-256 digest: from a presignature when one is ready.
    @usableFromInline
    func rawSignature(forDigest digest: SHA256Digest) throws -> [UInt8] {
        if let presigned = presignatures?.signature(forDigest: digest) { return presigned }
        return Array(try key.signature(for: digest).rawRepresentation)
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
