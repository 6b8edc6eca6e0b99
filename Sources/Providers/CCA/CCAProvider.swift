import CBOR
import CCASigning
import CCAToken
import Crypto
import Foundation
import ProviderKit

/// The `arm_cca_guest` provider: each report is a CCA attestation token — a platform token signed
/// by the simulated platform's CPAK and a realm token signed by the realm's RAK, bound together —
/// exactly as the arm-cca-guest driver hands the RMM's token to configfs-tsm.
public final class CCAProvider: ReportProvider {
    /// Which claim profiles the tokens follow.
    public enum Profile: String, Sendable, CaseIterable {
        /// The 2023 profiles (RMM 1.0 EAC5, draft-ffm-rats-cca-token): profile claims in both tokens,
        /// the RAK as a COSE_Key.
        case p2023 = "2023"
        /// Earlier RMM tokens: platform profile "http://arm.com/CCA-SSD/1.0.0", no realm profile,
        /// the RAK as a raw point.
        case legacy

        public var platformProfile: String {
            self == .p2023 ? "tag:arm.com,2023:cca_platform#1.0.0" : "http://arm.com/CCA-SSD/1.0.0"
        }
        public var realmProfile: String? { self == .p2023 ? "tag:arm.com,2023:realm#1.0.0" : nil }
        public var rakEncoding: TokenSigner.RAKEncoding { self == .p2023 ? .coseKey : .rawPoint }
    }

    /// The simulated realm and platform. `Configuration()` is what `tsmfs mount --provider cca`
    /// serves when `[cca]` sets nothing.
    public struct Configuration: Sendable {
        public var profile = Profile.p2023
        public var collection = AttestationToken.Collection.tokenCollection
        /// The platform claims; the challenge is filled per token, and an empty instance id means
        /// "derive it from the CPAK" (0x01 ‖ SHA-256 of its public key).
        public var platform = PlatformClaims(
            profile: Profile.p2023.platformProfile, challenge: [],
            implementationID: Array("tsmfs simulated CCA platform v1".utf8) + [0],
            instanceID: [], configuration: [UInt8](repeating: 0xCF, count: 32), lifecycle: 0x3003,
            softwareComponents: ["BL", "M1", "M2", "RMM"].map { type in
                SoftwareComponent(
                    type: type, measurement: Array(SHA256.hash(data: Array("tsmfs \(type) image".utf8))), version: "1.0.0",
                    signerID: Configuration.firmwareSignerID, hashAlgorithm: "sha-256")
            },
            verificationService: "https://veraison.example/.well-known/veraison/verification", hashAlgorithm: "sha-256")
        /// The realm claims; challenge and RAK are filled per token.
        public var realm = RealmClaims(
            challenge: [], personalizationValue: [UInt8](repeating: 0, count: 64), hashAlgorithm: "sha-256", rakPublicKey: [],
            rim: Array(SHA256.hash(data: Array("tsmfs realm image".utf8))),
            rems: [[UInt8]](repeating: [UInt8](repeating: 0, count: 32), count: 4), rakHashAlgorithm: "sha-256",
            profile: Profile.p2023.realmProfile)
        public var faults = FaultSimulation()
        public init() {}

        /// The signer id of the simulated platform's firmware, in every software component it measures.
        public static let firmwareSignerID = Array(SHA256.hash(data: Array("tsmfs firmware signer".utf8)))

        /// The platform claims a platform with this CPAK reports (the instance id derived from it
        /// unless configured); what trust anchor stores name the platform by.
        public func platformClaims(for key: TokenSigner.PlatformKey) -> PlatformClaims {
            var claims = platform
            if claims.instanceID.isEmpty { claims.instanceID = CCAProvider.instanceID(of: key) }
            return claims
        }
    }

    /// How the RMM can fail the guest's RSI calls, as the driver reports it.
    public struct FaultSimulation: Sendable, Equatable {
        /// RSI_ATTESTATION_TOKEN_CONTINUE fails: ENXIO.
        public var rsiError = false
        /// RSI_ATTESTATION_TOKEN_INIT returns no token size: EINVAL.
        public var tokenInitFailure = false
        public var latencyMilliseconds: UInt32 = 0
        public init() {}
    }

    public let configuration: Configuration
    public let signer: TokenSigner
    private let platform: PlatformClaims

    /// - Parameter realmKey: the RAK, fresh per boot unless output must be reproducible.
    public init(
        configuration: Configuration, platformKey: TokenSigner.PlatformKey,
        realmKey: P384.Signing.PrivateKey = P384.Signing.PrivateKey()
    ) {
        self.configuration = configuration
        self.signer = TokenSigner(platformKey: platformKey, realmKey: realmKey, rakEncoding: configuration.profile.rakEncoding)
        self.platform = configuration.platformClaims(for: platformKey)
    }

    /// The UEID a platform with this CPAK reports: 0x01 (RAND type) ‖ SHA-256 of the public key.
    public static func instanceID(of key: TokenSigner.PlatformKey) -> [UInt8] {
        let (x, y) = key.coordinates
        return [0x01] + Array(SHA256.hash(data: [0x04] + x + y))
    }

    public var name: String { "arm_cca_guest" }
    public var privlevelFloor: UInt32 { 0 }

    /// Tokens are signed with deterministic nonces and carry nothing else that varies.
    public var rebuildsReportsExactly: Bool { true }

    public func generateReport(for request: ReportRequest) throws(ProviderError) -> GeneratedReport {
        let faults = configuration.faults
        if faults.latencyMilliseconds > 0 { usleep(faults.latencyMilliseconds * 1000) }
        guard (32...64).contains(request.inblob.count) else {
            throw ProviderError(.invalidArgument, "the CCA challenge must be 32 to 64 bytes, inblob has \(request.inblob.count)")
        }
        if faults.tokenInitFailure {
            throw ProviderError(.invalidArgument, "RSI_ATTESTATION_TOKEN_INIT returned no token size")
        }
        if faults.rsiError {
            throw ProviderError(.noSuchAddressOrDevice, "RSI_ATTESTATION_TOKEN_CONTINUE failed")
        }
        var realm = configuration.realm
        // The RMM zero-pads the challenge to 64 bytes.
        realm.challenge = request.inblob + [UInt8](repeating: 0, count: 64 - request.inblob.count)
        do throws(TokenSigningError) {
            let token = try signer.token(realm: realm, platform: platform, collection: configuration.collection)
            return GeneratedReport(outblob: token.bytes)
        } catch {
            throw ProviderError(.invalidArgument, "token signing failed: \(error)")
        }
    }
}
