import CBOR
import CCAProvider
import CCASigning
import CCAToken
import Crypto
import ProviderKit
import SystemPackage
import Testing

/// The token layout, its signatures and binding, and the provider's driver rules, in-process.
@Suite struct CCATokenTests {
    static let platformKey = TokenSigner.PlatformKey.es384(P384.Signing.PrivateKey())
    static let challenge = (0..<48).map { UInt8($0) }

    static func provider(_ configure: (inout CCAProvider.Configuration) -> Void = { _ in }) -> CCAProvider {
        var configuration = CCAProvider.Configuration()
        configure(&configuration)
        return CCAProvider(configuration: configuration, platformKey: platformKey)
    }

    static func token(_ provider: CCAProvider, _ inblob: [UInt8] = challenge) throws -> AttestationToken {
        try AttestationToken(parsing: try provider.generateReport(for: ReportRequest(inblob: inblob)).outblob)
    }

    static func verifies(_ message: COSESign1, _ key: P384.Signing.PublicKey) -> Bool {
        guard let signature = try? P384.Signing.ECDSASignature(rawRepresentation: message.signature) else { return false }
        return key.isValidSignature(signature, for: message.toBeSigned)
    }

    @Test func tokensAreSignedAndBound() throws {
        let provider = Self.provider()
        let token = try Self.token(provider)
        #expect(token.collection == .tokenCollection)
        guard case .es384(let cpak) = Self.platformKey else { return }
        #expect(Self.verifies(token.platform, cpak.publicKey))
        #expect(Self.verifies(token.realm, provider.signer.realmKey.publicKey))
        #expect(token.platform.algorithm == .es384 && token.realm.algorithm == .es384)
        let realm = try RealmClaims(parsing: try CBORDecoder.decode(token.realm.payload))
        let platform = try PlatformClaims(parsing: try CBORDecoder.decode(token.platform.payload))
        #expect(realm.challenge == Self.challenge + [UInt8](repeating: 0, count: 16))
        #expect(platform.challenge == Array(SHA256.hash(data: realm.rakPublicKey)))
        #expect(realm.profile == "tag:arm.com,2023:realm#1.0.0")
        #expect(platform.instanceID == CCAProvider.instanceID(of: Self.platformKey))
        // A COSE_Key (kty EC2, crv P-384) in the 2023 profile.
        let key = try CBORDecoder.decode(realm.rakPublicKey)
        #expect(key[1] == .int(2) && key[-1] == .int(2) && key[-2]?.bytesValue?.count == 48)

        var tampered = token
        tampered.platform.payload[10] ^= 1
        #expect(!Self.verifies(tampered.platform, cpak.publicKey))
        #expect(try Self.token(provider).bytes == token.bytes, "one request, one token (RFC 6979)")
    }

    @Test func theOtherFormsRoundTrip() throws {
        let provider = Self.provider {
            $0.collection = .cmw
            $0.profile = .legacy
            $0.realm.profile = nil
            $0.platform.profile = CCAProvider.Profile.legacy.platformProfile
        }
        let bytes = try provider.generateReport(for: ReportRequest(inblob: Self.challenge)).outblob
        #expect(bytes.prefix(3) == [0xD9, 0x03, 0x8B], "tag 907")
        let token = try AttestationToken(parsing: bytes)
        #expect(token.collection == .cmw && token.bytes == bytes)
        let realm = try RealmClaims(parsing: try CBORDecoder.decode(token.realm.payload))
        #expect(realm.rakPublicKey.count == 97 && realm.rakPublicKey[0] == 0x04 && realm.profile == nil)
        let es256 = CCAProvider(configuration: CCAProvider.Configuration(), platformKey: .es256(P256.Signing.PrivateKey()))
        #expect(try Self.token(es256).platform.algorithm == .es256)
        #expect(try Self.token(es256).platform.signature.count == 64)
    }

    @Test func theDriversRulesAndFaults() throws {
        let provider = Self.provider()
        for length in [0, 1, 31] {
            #expect(throws: ProviderError.self) {
                try provider.generateReport(for: ReportRequest(inblob: [UInt8](repeating: 1, count: length)))
            }
        }
        #expect(try Self.token(provider, [UInt8](repeating: 1, count: 32)).realm.payload.count > 0)
        #expect(try Self.token(provider, [UInt8](repeating: 1, count: 64)).realm.payload.count > 0)
        #expect(provider.name == "arm_cca_guest" && provider.privlevelFloor == 0)
        #expect(ReportAttribute.allCases.allSatisfy(provider.isVisible), "no visibility callbacks: every attribute exists")
        func errno(_ configure: (inout CCAProvider.FaultSimulation) -> Void) -> Errno? {
            do {
                _ = try Self.provider { configure(&$0.faults) }.generateReport(for: ReportRequest(inblob: Self.challenge))
                return nil
            } catch { return error.errno }
        }
        #expect(errno { $0.rsiError = true } == .noSuchAddressOrDevice)
        #expect(errno { $0.tokenInitFailure = true } == .invalidArgument)
        let report = try provider.generateReport(for: ReportRequest(inblob: Self.challenge))
        #expect(report.auxblob.isEmpty && report.manifestblob.isEmpty)
    }

    @Test func malformedTokensAreRefusedWithTheirReason() throws {
        #expect(throws: TokenFormatError.notTokenCollection) {
            try AttestationToken(parsing: CBOREncoder.encode(.tagged(400, .map([]))))
        }
        #expect(throws: TokenFormatError.notTokenCollection) {
            try AttestationToken(parsing: CBOREncoder.encode(.tagged(399, .map([]))))
        }
        #expect(throws: TokenFormatError.notCOSESign1) { try COSESign1(parsing: CBOREncoder.encode(.tagged(18, .array([])))) }
        #expect(throws: TokenFormatError.cbor(.truncated(at: 0))) { try COSESign1(parsing: []) }
        #expect(throws: TokenFormatError.claim(key: 10, "missing or not a byte string")) {
            try RealmClaims(parsing: .map([(.int(10), .text("x"))]))
        }
    }
}
