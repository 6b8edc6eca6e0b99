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
        deterministic ? Certificate.PrivateKey(DeterministicCertificateKey(.p384(key))) : Certificate.PrivateKey(key)
    }
}
