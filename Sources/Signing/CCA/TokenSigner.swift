import CBOR
import CCAToken
import Crypto
import SigningKeys

/// What a CCA attestation token's signatures cover, and which key makes each — in one place:
///
/// * the **RAK** (realm attestation key, P-384, per boot) signs the realm token, whose claim 44237
///   carries the RAK's public key;
/// * the **CPAK** (CCA platform attestation key, P-384 or P-256, the platform's identity that
///   verifiers trust) signs the platform token, whose challenge is the hash of claim 44237 under
///   the algorithm claim 44240 names: that binds the realm token to the platform.
///
/// Both sign with RFC 6979 nonces, so a token is a function of its claims.
public struct TokenSigner: Sendable {
    /// The platform key and the COSE algorithm it signs with.
    public enum PlatformKey: Sendable {
        case es256(P256.Signing.PrivateKey)
        case es384(P384.Signing.PrivateKey)

        public var algorithm: COSESign1.Algorithm { if case .es256 = self { .es256 } else { .es384 } }
        /// The SubjectPublicKeyInfo in PEM, as verifiers' trust anchor stores take it.
        public var publicKeyPEM: String {
            switch self {
            case .es256(let key): key.publicKey.pemRepresentation
            case .es384(let key): key.publicKey.pemRepresentation
            }
        }
        /// The public point's coordinates.
        public var coordinates: (x: [UInt8], y: [UInt8]) {
            let raw: [UInt8] =
                switch self {
                case .es256(let key): Array(key.publicKey.rawRepresentation)
                case .es384(let key): Array(key.publicKey.rawRepresentation)
                }
            return (Array(raw.prefix(raw.count / 2)), Array(raw.suffix(raw.count / 2)))
        }
    }

    /// How claim 44237 encodes the RAK: a raw uncompressed point (RMM 1.0 tokens) or a COSE_Key
    /// (the 2023 realm profile).
    public enum RAKEncoding: String, Sendable {
        case rawPoint = "raw"
        case coseKey = "cose-key"
    }

    public let platformKey: PlatformKey
    public let realmKey: P384.Signing.PrivateKey
    public let rakEncoding: RAKEncoding

    public init(platformKey: PlatformKey, realmKey: P384.Signing.PrivateKey, rakEncoding: RAKEncoding) {
        self.platformKey = platformKey
        self.realmKey = realmKey
        self.rakEncoding = rakEncoding
    }

    /// Claim 44237 for this signer's RAK.
    public var rakPublicKeyClaim: [UInt8] {
        let raw = Array(realmKey.publicKey.rawRepresentation)
        switch rakEncoding {
        case .rawPoint: return [0x04] + raw
        case .coseKey:
            return CBOREncoder.encode(
                .map([
                    (.int(1), .int(2)), (.int(-1), .int(2)), (.int(-2), .bytes(Array(raw.prefix(48)))),
                    (.int(-3), .bytes(Array(raw.suffix(48)))),
                ]))
        }
    }

    /// The token for `realm` (challenge, measurements) on `platform`: fills the RAK claim and the
    /// platform challenge, then signs both.
    public func token(
        realm: RealmClaims, platform: PlatformClaims, collection: AttestationToken.Collection
    ) throws(TokenSigningError) -> AttestationToken {
        var realm = realm
        realm.rakPublicKey = rakPublicKeyClaim
        var platform = platform
        platform.challenge = try Self.hash(realm.rakPublicKey, algorithm: realm.rakHashAlgorithm)
        var realmToken = COSESign1(algorithm: .es384, payload: CBOREncoder.encode(realm.cbor))
        realmToken.signature = DeterministicECDSA.sign(realmToken.toBeSigned, with: realmKey)
        var platformToken = COSESign1(algorithm: platformKey.algorithm, payload: CBOREncoder.encode(platform.cbor))
        switch platformKey {
        case .es256(let key): platformToken.signature = DeterministicECDSA.sign(platformToken.toBeSigned, with: key)
        case .es384(let key): platformToken.signature = DeterministicECDSA.sign(platformToken.toBeSigned, with: key)
        }
        return AttestationToken(collection: collection, platform: platformToken, realm: realmToken)
    }

    /// The hash algorithms CCA claims name.
    public static let hashAlgorithms = ["sha-256", "sha-384", "sha-512"]

    public static func hash(_ bytes: [UInt8], algorithm: String) throws(TokenSigningError) -> [UInt8] {
        switch algorithm {
        case "sha-256": Array(SHA256.hash(data: bytes))
        case "sha-384": Array(SHA384.hash(data: bytes))
        case "sha-512": Array(SHA512.hash(data: bytes))
        default: throw .unknownHashAlgorithm(algorithm)
        }
    }
}

public enum TokenSigningError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownHashAlgorithm(String)

    public var description: String {
        switch self {
        case .unknownHashAlgorithm(let name): "unknown hash algorithm \"\(name)\" (expected sha-256, sha-384 or sha-512)"
        }
    }
}
