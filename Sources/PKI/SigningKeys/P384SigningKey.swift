import Crypto
import Foundation
import SwiftASN1
import X509

/// A P-384 signing key of a simulated root of trust (the DICE chain of the TDX quoting extension
/// signs ES384), signing as BoringSSL does or deterministically (RFC 6979) when the output must be
/// reproducible.
public struct P384SigningKey: Sendable {
    public let key: P384.Signing.PrivateKey
    public let deterministic: Bool

    public init(_ key: P384.Signing.PrivateKey, deterministic: Bool = false) {
        self.key = key
        self.deterministic = deterministic
    }

    public var publicKey: P384.Signing.PublicKey { key.publicKey }

    /// An ECDSA/SHA-384 signature over `data`, as r ‖ s (48 bytes each, big-endian).
    public func rawSignature(for data: some DataProtocol) throws -> [UInt8] {
        guard deterministic else { return Array(try key.signature(for: data).rawRepresentation) }
        return DeterministicECDSA.sign(data, with: key)
    }

    /// The key as swift-certificates signs with it (ecdsa-with-SHA384).
    public var certificatePrivateKey: Certificate.PrivateKey {
        deterministic ? Certificate.PrivateKey(DeterministicP384CertificateKey(key: key)) : Certificate.PrivateKey(key)
    }
}

/// Lets swift-certificates sign certificates with RFC 6979 P-384 signatures.
struct DeterministicP384CertificateKey: CustomPrivateKey, Sendable {
    let key: P384.Signing.PrivateKey

    static var defaultPEMDiscriminator: String { "PRIVATE KEY" }

    var publicKey: Certificate.PublicKey { Certificate.PublicKey(key.publicKey) }
    var defaultSignatureAlgorithm: Certificate.SignatureAlgorithm { .ecdsaWithSHA384 }
    var supportedSignatureAlgorithms: [Certificate.SignatureAlgorithm] { [.ecdsaWithSHA384] }

    func signSynchronously(
        bytes: some DataProtocol,
        signatureAlgorithm: Certificate.SignatureAlgorithm
    ) throws -> Certificate.Signature {
        let signature = try P384.Signing.ECDSASignature(rawRepresentation: DeterministicECDSA.sign(bytes, with: key))
        return try Certificate.Signature(
            signatureAlgorithm: .ecdsaWithSHA384,
            signatureBytes: ASN1BitString(bytes: ArraySlice(signature.derRepresentation)))
    }

    func serialize(into coder: inout DER.Serializer) throws {
        coder.serializeRawBytes(Array(key.derRepresentation))
    }

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.key.rawRepresentation == rhs.key.rawRepresentation }
    func hash(into hasher: inout Hasher) { hasher.combine(key.rawRepresentation) }
}
