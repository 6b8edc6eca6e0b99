import CBOR

/// The claim keys of the CCA platform and realm tokens (Arm RMM DEN0137 §A.7, IETF
/// draft-ffm-rats-cca-token).
public enum ClaimKey {
    public static let challenge: Int64 = 10
    public static let profile: Int64 = 265
    public static let instanceID: Int64 = 256
    public static let lifecycle: Int64 = 2395
    public static let implementationID: Int64 = 2396
    public static let softwareComponents: Int64 = 2399
    public static let verificationService: Int64 = 2400
    public static let configuration: Int64 = 2401
    public static let platformHashAlgorithm: Int64 = 2402
    public static let personalizationValue: Int64 = 44235
    public static let realmHashAlgorithm: Int64 = 44236
    public static let rakPublicKey: Int64 = 44237
    public static let rim: Int64 = 44238
    public static let rems: Int64 = 44239
    public static let rakHashAlgorithm: Int64 = 44240
    /// Token collection keys.
    public static let platformToken: Int64 = 44234
    public static let realmToken: Int64 = 44241
}

/// A measured platform software component (a map in claim 2399).
public struct SoftwareComponent: Equatable, Sendable {
    public var type: String
    public var measurement: [UInt8]
    public var version: String
    public var signerID: [UInt8]
    public var hashAlgorithm: String

    public init(type: String, measurement: [UInt8], version: String, signerID: [UInt8], hashAlgorithm: String) {
        self.type = type
        self.measurement = measurement
        self.version = version
        self.signerID = signerID
        self.hashAlgorithm = hashAlgorithm
    }

    var cbor: CBORValue {
        .map([
            (.int(1), .text(type)), (.int(2), .bytes(measurement)), (.int(4), .text(version)), (.int(5), .bytes(signerID)),
            (.int(6), .text(hashAlgorithm)),
        ])
    }

    init(parsing value: CBORValue) throws(TokenFormatError) {
        guard let type = value[1]?.textValue, let measurement = value[2]?.bytesValue else {
            throw .claim(key: ClaimKey.softwareComponents, "a component needs a type (1) and a measurement (2)")
        }
        self.init(
            type: type, measurement: measurement, version: value[4]?.textValue ?? "", signerID: value[5]?.bytesValue ?? [],
            hashAlgorithm: value[6]?.textValue ?? "")
    }
}

/// The CCA platform token's claims, signed by the CPAK.
public struct PlatformClaims: Equatable, Sendable {
    public var profile: String
    /// Hash of the realm token's RAK public key claim, with the realm's RAK hash algorithm.
    public var challenge: [UInt8]
    public var implementationID: [UInt8]
    /// UEID: 0x01 ‖ 32 bytes.
    public var instanceID: [UInt8]
    public var configuration: [UInt8]
    public var lifecycle: UInt64
    public var softwareComponents: [SoftwareComponent]
    public var verificationService: String
    public var hashAlgorithm: String

    public init(
        profile: String, challenge: [UInt8], implementationID: [UInt8], instanceID: [UInt8], configuration: [UInt8],
        lifecycle: UInt64, softwareComponents: [SoftwareComponent], verificationService: String, hashAlgorithm: String
    ) {
        self.profile = profile
        self.challenge = challenge
        self.implementationID = implementationID
        self.instanceID = instanceID
        self.configuration = configuration
        self.lifecycle = lifecycle
        self.softwareComponents = softwareComponents
        self.verificationService = verificationService
        self.hashAlgorithm = hashAlgorithm
    }

    public var cbor: CBORValue {
        .map([
            (.int(ClaimKey.profile), .text(profile)), (.int(ClaimKey.challenge), .bytes(challenge)),
            (.int(ClaimKey.implementationID), .bytes(implementationID)), (.int(ClaimKey.instanceID), .bytes(instanceID)),
            (.int(ClaimKey.configuration), .bytes(configuration)), (.int(ClaimKey.lifecycle), .unsigned(lifecycle)),
            (.int(ClaimKey.softwareComponents), .array(softwareComponents.map(\.cbor))),
            (.int(ClaimKey.verificationService), .text(verificationService)),
            (.int(ClaimKey.platformHashAlgorithm), .text(hashAlgorithm)),
        ])
    }

    public init(parsing value: CBORValue) throws(TokenFormatError) {
        let claims = try ClaimReader(value)
        self.init(
            profile: try claims.text(ClaimKey.profile), challenge: try claims.bytes(ClaimKey.challenge),
            implementationID: try claims.bytes(ClaimKey.implementationID), instanceID: try claims.bytes(ClaimKey.instanceID),
            configuration: try claims.bytes(ClaimKey.configuration), lifecycle: try claims.unsigned(ClaimKey.lifecycle),
            softwareComponents: try claims.array(ClaimKey.softwareComponents).map { (item) throws(TokenFormatError) in
                try SoftwareComponent(parsing: item)
            },
            verificationService: try claims.text(ClaimKey.verificationService),
            hashAlgorithm: try claims.text(ClaimKey.platformHashAlgorithm))
    }
}

/// The CCA realm token's claims, signed by the RAK.
public struct RealmClaims: Equatable, Sendable {
    /// The relying party's challenge (the inblob, zero-padded to 64 bytes).
    public var challenge: [UInt8]
    public var personalizationValue: [UInt8]
    public var hashAlgorithm: String
    /// The RAK public key as claim 44237 carries it (a raw point, or a COSE_Key).
    public var rakPublicKey: [UInt8]
    public var rim: [UInt8]
    public var rems: [[UInt8]]
    public var rakHashAlgorithm: String
    /// Absent in tokens before the 2023 profiles.
    public var profile: String?

    public init(
        challenge: [UInt8], personalizationValue: [UInt8], hashAlgorithm: String, rakPublicKey: [UInt8], rim: [UInt8],
        rems: [[UInt8]], rakHashAlgorithm: String, profile: String?
    ) {
        self.challenge = challenge
        self.personalizationValue = personalizationValue
        self.hashAlgorithm = hashAlgorithm
        self.rakPublicKey = rakPublicKey
        self.rim = rim
        self.rems = rems
        self.rakHashAlgorithm = rakHashAlgorithm
        self.profile = profile
    }

    public var cbor: CBORValue {
        var entries: [(key: CBORValue, value: CBORValue)] = [
            (.int(ClaimKey.challenge), .bytes(challenge)), (.int(ClaimKey.personalizationValue), .bytes(personalizationValue)),
            (.int(ClaimKey.realmHashAlgorithm), .text(hashAlgorithm)), (.int(ClaimKey.rakPublicKey), .bytes(rakPublicKey)),
            (.int(ClaimKey.rim), .bytes(rim)), (.int(ClaimKey.rems), .array(rems.map { .bytes($0) })),
            (.int(ClaimKey.rakHashAlgorithm), .text(rakHashAlgorithm)),
        ]
        if let profile { entries.append((.int(ClaimKey.profile), .text(profile))) }
        return .map(entries)
    }

    public init(parsing value: CBORValue) throws(TokenFormatError) {
        let claims = try ClaimReader(value)
        let challenge = try claims.bytes(ClaimKey.challenge)
        let rems = try claims.array(ClaimKey.rems)
        guard rems.count == 4, rems.allSatisfy({ $0.bytesValue != nil }) else {
            throw .claim(key: ClaimKey.rems, "must be four byte strings")
        }
        self.init(
            challenge: challenge, personalizationValue: try claims.bytes(ClaimKey.personalizationValue),
            hashAlgorithm: try claims.text(ClaimKey.realmHashAlgorithm), rakPublicKey: try claims.bytes(ClaimKey.rakPublicKey),
            rim: try claims.bytes(ClaimKey.rim), rems: rems.map { $0.bytesValue! },
            rakHashAlgorithm: try claims.text(ClaimKey.rakHashAlgorithm), profile: value[ClaimKey.profile]?.textValue)
    }
}

/// Typed access to a claims map, each failure naming the claim.
struct ClaimReader {
    let value: CBORValue

    init(_ value: CBORValue) throws(TokenFormatError) {
        guard value.mapValue != nil else { throw .claim(key: 0, "the claims are not a map") }
        self.value = value
    }

    func bytes(_ key: Int64) throws(TokenFormatError) -> [UInt8] {
        guard let bytes = value[key]?.bytesValue else { throw .claim(key: key, "missing or not a byte string") }
        return bytes
    }

    func text(_ key: Int64) throws(TokenFormatError) -> String {
        guard let text = value[key]?.textValue else { throw .claim(key: key, "missing or not a text string") }
        return text
    }

    func unsigned(_ key: Int64) throws(TokenFormatError) -> UInt64 {
        guard case .unsigned(let number)? = value[key] else { throw .claim(key: key, "missing or not an unsigned integer") }
        return number
    }

    func array(_ key: Int64) throws(TokenFormatError) -> [CBORValue] {
        guard let items = value[key]?.arrayValue else { throw .claim(key: key, "missing or not an array") }
        return items
    }
}
