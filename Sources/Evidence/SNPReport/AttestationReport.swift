import ProviderKit

/// The SEV-SNP ATTESTATION_REPORT (SNP ABI, 0x4A0 bytes, little-endian), versions 2, 3 and 5.
/// The VCEK (or VLEK) signs bytes 0x000–0x29F with ECDSA P-384/SHA-384; R and S are stored
/// little-endian in 72-byte fields.
public struct AttestationReport: Equatable, Sendable {
    public static let size = 0x4A0
    public static let signedSize = 0x2A0

    /// Field offsets from the start of the report.
    public enum Offset {
        public static let version = 0x000
        public static let guestSVN = 0x004
        public static let policy = 0x008
        public static let familyID = 0x010
        public static let imageID = 0x020
        public static let vmpl = 0x030
        public static let signatureAlgorithm = 0x034
        public static let currentTCB = 0x038
        public static let platformInfo = 0x040
        public static let signerInfo = 0x048
        public static let reportData = 0x050
        public static let measurement = 0x090
        public static let hostData = 0x0C0
        public static let idKeyDigest = 0x0E0
        public static let authorKeyDigest = 0x110
        public static let reportID = 0x140
        public static let reportIDMA = 0x160
        public static let reportedTCB = 0x180
        public static let cpuidFamily = 0x188
        public static let cpuidModel = 0x189
        public static let cpuidStepping = 0x18A
        public static let chipID = 0x1A0
        public static let committedTCB = 0x1E0
        public static let currentBuild = 0x1E8
        public static let currentMinor = 0x1E9
        public static let currentMajor = 0x1EA
        public static let committedBuild = 0x1EC
        public static let committedMinor = 0x1ED
        public static let committedMajor = 0x1EE
        public static let launchTCB = 0x1F0
        public static let launchMitigationVector = 0x1F8
        public static let currentMitigationVector = 0x200
        public static let signatureR = 0x2A0
        public static let signatureS = 0x2E8
    }

    /// ECDSA P-384 with SHA-384.
    public static let signatureAlgorithmECDSAP384: UInt32 = 1
    /// Guest policy bit 17, reserved and always set.
    public static let policyReservedOne: UInt64 = 1 << 17

    /// Which key signs, as the signer info field records it.
    public enum SigningKey: UInt32, Sendable { case vcek = 0, vlek = 1 }

    public var version: UInt32 = 3
    public var guestSVN: UInt32 = 0
    public var policy: UInt64 = 0x30000
    public var familyID = [UInt8](repeating: 0, count: 16)
    public var imageID = [UInt8](repeating: 0, count: 16)
    public var vmpl: UInt32 = 0
    public var currentTCB = TCBVersion(bootLoader: 0, tee: 0, snp: 0, microcode: 0)
    public var platformInfo: UInt64 = 0
    public var signingKey = SigningKey.vcek
    public var authorKeyEnabled = false
    public var reportData = [UInt8](repeating: 0, count: 64)
    public var measurement = [UInt8](repeating: 0, count: 48)
    public var hostData = [UInt8](repeating: 0, count: 32)
    public var idKeyDigest = [UInt8](repeating: 0, count: 48)
    public var authorKeyDigest = [UInt8](repeating: 0, count: 48)
    public var reportID = [UInt8](repeating: 0, count: 32)
    public var reportIDMA = [UInt8](repeating: 0xFF, count: 32)
    public var reportedTCB = TCBVersion(bootLoader: 0, tee: 0, snp: 0, microcode: 0)
    /// CPUID family, model, stepping (v3 and later).
    public var cpuid: (family: UInt8, model: UInt8, stepping: UInt8) = (0x19, 0x01, 0x01)
    public var chipID = [UInt8](repeating: 0, count: 64)
    public var committedTCB = TCBVersion(bootLoader: 0, tee: 0, snp: 0, microcode: 0)
    /// Firmware version (build, minor, major), current and committed (v3 and later).
    public var currentFirmware: (build: UInt8, minor: UInt8, major: UInt8) = (0, 0, 0)
    public var committedFirmware: (build: UInt8, minor: UInt8, major: UInt8) = (0, 0, 0)
    public var launchTCB = TCBVersion(bootLoader: 0, tee: 0, snp: 0, microcode: 0)
    /// Mitigation vectors (v5).
    public var launchMitigationVector: UInt64 = 0
    public var currentMitigationVector: UInt64 = 0
    /// Big-endian P-384 scalars; empty until signed.
    public var signatureR: [UInt8] = []
    public var signatureS: [UInt8] = []

    public init() {}

    /// The bytes the VCEK signs (0x000–0x29F).
    public var signedBytes: [UInt8] { Array(bytes.prefix(Self.signedSize)) }

    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.size)
        func put(_ value: [UInt8], _ offset: Int) { out.replaceSubrange(offset..<offset + value.count, with: value) }
        out.storeLittleEndian(version, at: Offset.version)
        out.storeLittleEndian(guestSVN, at: Offset.guestSVN)
        out.storeLittleEndian(policy, at: Offset.policy)
        put(familyID, Offset.familyID)
        put(imageID, Offset.imageID)
        out.storeLittleEndian(vmpl, at: Offset.vmpl)
        out.storeLittleEndian(Self.signatureAlgorithmECDSAP384, at: Offset.signatureAlgorithm)
        put(currentTCB.bytes, Offset.currentTCB)
        out.storeLittleEndian(platformInfo, at: Offset.platformInfo)
        out.storeLittleEndian((authorKeyEnabled ? 1 : 0) | signingKey.rawValue << 2, at: Offset.signerInfo)
        put(reportData, Offset.reportData)
        put(measurement, Offset.measurement)
        put(hostData, Offset.hostData)
        put(idKeyDigest, Offset.idKeyDigest)
        put(authorKeyDigest, Offset.authorKeyDigest)
        put(reportID, Offset.reportID)
        put(reportIDMA, Offset.reportIDMA)
        put(reportedTCB.bytes, Offset.reportedTCB)
        if version >= 3 {
            put([cpuid.family, cpuid.model, cpuid.stepping], Offset.cpuidFamily)
            put([currentFirmware.build, currentFirmware.minor, currentFirmware.major], Offset.currentBuild)
            put([committedFirmware.build, committedFirmware.minor, committedFirmware.major], Offset.committedBuild)
        }
        put(chipID, Offset.chipID)
        put(committedTCB.bytes, Offset.committedTCB)
        put(launchTCB.bytes, Offset.launchTCB)
        if version >= 5 {
            out.storeLittleEndian(launchMitigationVector, at: Offset.launchMitigationVector)
            out.storeLittleEndian(currentMitigationVector, at: Offset.currentMitigationVector)
        }
        if !signatureR.isEmpty {
            put(Array(signatureR.reversed()), Offset.signatureR)
            put(Array(signatureS.reversed()), Offset.signatureS)
        }
        return out
    }

    public init(parsing bytes: [UInt8]) throws(ReportFormatError) {
        guard bytes.count == Self.size else { throw ReportFormatError("a report is 1184 bytes, not \(bytes.count)") }
        func field(_ offset: Int, _ count: Int) -> [UInt8] { Array(bytes[offset..<offset + count]) }
        version = bytes.loadLittleEndian(UInt32.self, at: Offset.version)
        guard (2...5).contains(version) else { throw ReportFormatError("unsupported report version \(version)") }
        guard bytes.loadLittleEndian(UInt32.self, at: Offset.signatureAlgorithm) == Self.signatureAlgorithmECDSAP384 else {
            throw ReportFormatError("signature algorithm is not ECDSA P-384")
        }
        guestSVN = bytes.loadLittleEndian(UInt32.self, at: Offset.guestSVN)
        policy = bytes.loadLittleEndian(UInt64.self, at: Offset.policy)
        familyID = field(Offset.familyID, 16)
        imageID = field(Offset.imageID, 16)
        vmpl = bytes.loadLittleEndian(UInt32.self, at: Offset.vmpl)
        currentTCB = TCBVersion(bytes: bytes[Offset.currentTCB..<Offset.currentTCB + 8])
        platformInfo = bytes.loadLittleEndian(UInt64.self, at: Offset.platformInfo)
        let signer = bytes.loadLittleEndian(UInt32.self, at: Offset.signerInfo)
        authorKeyEnabled = signer & 1 != 0
        guard let key = SigningKey(rawValue: (signer >> 2) & 7) else { throw ReportFormatError("unknown signing key") }
        signingKey = key
        reportData = field(Offset.reportData, 64)
        measurement = field(Offset.measurement, 48)
        hostData = field(Offset.hostData, 32)
        idKeyDigest = field(Offset.idKeyDigest, 48)
        authorKeyDigest = field(Offset.authorKeyDigest, 48)
        reportID = field(Offset.reportID, 32)
        reportIDMA = field(Offset.reportIDMA, 32)
        reportedTCB = TCBVersion(bytes: bytes[Offset.reportedTCB..<Offset.reportedTCB + 8])
        cpuid = (bytes[Offset.cpuidFamily], bytes[Offset.cpuidModel], bytes[Offset.cpuidStepping])
        chipID = field(Offset.chipID, 64)
        committedTCB = TCBVersion(bytes: bytes[Offset.committedTCB..<Offset.committedTCB + 8])
        currentFirmware = (bytes[Offset.currentBuild], bytes[Offset.currentMinor], bytes[Offset.currentMajor])
        committedFirmware = (bytes[Offset.committedBuild], bytes[Offset.committedMinor], bytes[Offset.committedMajor])
        launchTCB = TCBVersion(bytes: bytes[Offset.launchTCB..<Offset.launchTCB + 8])
        launchMitigationVector = bytes.loadLittleEndian(UInt64.self, at: Offset.launchMitigationVector)
        currentMitigationVector = bytes.loadLittleEndian(UInt64.self, at: Offset.currentMitigationVector)
        signatureR = Array(field(Offset.signatureR, 48).reversed())
        signatureS = Array(field(Offset.signatureS, 48).reversed())
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.bytes == rhs.bytes }
}

/// A byte string that is not a well-formed report or certificate table.
public struct ReportFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
