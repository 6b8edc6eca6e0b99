import CBOR
import CCAToken
import Crypto
import Foundation

/// A CCA attestation token: the platform token signed by the trusted CPAK (`cpak.pem`), the realm
/// token signed by the RAK its claim 44237 carries, the platform challenge binding the two, and the
/// realm challenge against the expected one (zero-padded to 64).
public enum CCATokenVerifier {
    public static func verify(_ bytes: [UInt8], roots: TrustRoots, challenge: [UInt8]?) throws(VerificationFailure) -> Verdict {
        var checks: [String] = []
        let token: AttestationToken
        do { token = try AttestationToken(parsing: bytes) } catch { throw VerificationFailure("token layout", "\(error)") }
        let platform: PlatformClaims
        let realm: RealmClaims
        do {
            platform = try PlatformClaims(parsing: try CBORDecoder.decode(token.platform.payload))
            realm = try RealmClaims(parsing: try CBORDecoder.decode(token.realm.payload))
        } catch { throw VerificationFailure("claims", "\(error)") }
        checks.append("token layout")

        let pem = String(decoding: try roots.file("cpak.pem", check: "CPAK"), as: UTF8.self)
        let platformValid: Bool
        switch token.platform.algorithm {
        case .es384?:
            guard let key = try? P384.Signing.PublicKey(pemRepresentation: pem) else {
                throw VerificationFailure("platform signature", "the token is ES384 but cpak.pem is not a P-384 key")
            }
            platformValid =
                (try? P384.Signing.ECDSASignature(rawRepresentation: token.platform.signature))
                .map { key.isValidSignature($0, for: token.platform.toBeSigned) } ?? false
        case .es256?:
            guard let key = try? P256.Signing.PublicKey(pemRepresentation: pem) else {
                throw VerificationFailure("platform signature", "the token is ES256 but cpak.pem is not a P-256 key")
            }
            platformValid =
                (try? P256.Signing.ECDSASignature(rawRepresentation: token.platform.signature))
                .map { key.isValidSignature($0, for: token.platform.toBeSigned) } ?? false
        case nil:
            throw VerificationFailure("platform signature", "the protected header names no ES256/ES384 algorithm")
        }
        try require(platformValid, "platform signature", "not signed by the trusted CPAK", into: &checks)

        guard let rak = rakKey(realm.rakPublicKey) else {
            throw VerificationFailure("realm signature", "claim 44237 is neither a P-384 point nor a P-384 COSE_Key")
        }
        let realmValid =
            token.realm.algorithm == .es384
            && ((try? P384.Signing.ECDSASignature(rawRepresentation: token.realm.signature))
                .map { rak.isValidSignature($0, for: token.realm.toBeSigned) } ?? false)
        try require(realmValid, "realm signature", "not signed (ES384) by the RAK of claim 44237", into: &checks)
        let binding = Self.digest(realm.rakPublicKey, algorithm: realm.rakHashAlgorithm)
        try require(
            binding != nil && platform.challenge == binding, "platform-realm binding",
            "the platform challenge is not the \(realm.rakHashAlgorithm) of the RAK claim", into: &checks)
        if let challenge {
            let padded = challenge + [UInt8](repeating: 0, count: max(0, 64 - challenge.count))
            try require(realm.challenge == padded, "challenge", "the realm challenge differs from --report-data", into: &checks)
        }
        return Verdict(
            kind: .ccaToken, checks: checks,
            notes: ["collection \(token.collection.rawValue)", "realm profile \(realm.profile ?? "none (legacy)")"])
    }

    /// The digest a CCA hash-algorithm claim names, or nil for an algorithm the profile does not know.
    static func digest(_ bytes: [UInt8], algorithm: String) -> [UInt8]? {
        switch algorithm {
        case "sha-256": Array(SHA256.hash(data: bytes))
        case "sha-384": Array(SHA384.hash(data: bytes))
        case "sha-512": Array(SHA512.hash(data: bytes))
        default: nil
        }
    }

    static func rakKey(_ claim: [UInt8]) -> P384.Signing.PublicKey? {
        if claim.count == 97, claim[0] == 0x04 { return try? P384.Signing.PublicKey(x963Representation: claim) }
        guard let key = try? CBORDecoder.decode(claim), key[1] == .int(2), key[-1] == .int(2),
            let x = key[-2]?.bytesValue, let y = key[-3]?.bytesValue
        else { return nil }
        return try? P384.Signing.PublicKey(rawRepresentation: x + y)
    }
}
