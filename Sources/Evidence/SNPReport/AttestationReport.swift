import AMDValues
import ByteLayout

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

    /// The byte-string fields, named as the SNP ABI names them.
    public enum Fields {
        public static let familyID = Field("family_id", at: Offset.familyID, width: 16)
        public static let imageID = Field("image_id", at: Offset.imageID, width: 16)
        public static let currentTCB = Field("current_tcb", at: Offset.currentTCB, width: 8)
        public static let reportData = Field("report_data", at: Offset.reportData, width: 64)
        public static let measurement = Field("measurement", at: Offset.measurement, width: 48)
        public static let hostData = Field("host_data", at: Offset.hostData, width: 32)
        public static let idKeyDigest = Field("id_key_digest", at: Offset.idKeyDigest, width: 48)
        public static let authorKeyDigest = Field("author_key_digest", at: Offset.authorKeyDigest, width: 48)
        public static let reportID = Field("report_id", at: Offset.reportID, width: 32)
        public static let reportIDMA = Field("report_id_ma", at: Offset.reportIDMA, width: 32)
        public static let reportedTCB = Field("reported_tcb", at: Offset.reportedTCB, width: 8)
        public static let chipID = Field("chip_id", at: Offset.chipID, width: 64)
        public static let committedTCB = Field("committed_tcb", at: Offset.committedTCB, width: 8)
        public static let launchTCB = Field("launch_tcb", at: Offset.launchTCB, width: 8)
        /// R and S, each a P-384 scalar in a 72-byte little-endian field (the upper 24 bytes zero).
        public static let signatureR = Field("signature_r", at: Offset.signatureR, width: 48)
        public static let signatureS = Field("signature_s", at: Offset.signatureS, width: 48)
    }

    /// ECDSA P-384 with SHA-384.
    public static let signatureAlgorithmECDSAP384: UInt32 = 1
    /// Guest policy bit 17, reserved and always set.
    public static let policyReservedOne: UInt64 = 1 << 17

    public var version: UInt32 = 3
    public var guestSVN: UInt32 = 0
    public var policy: UInt64 = 0x30000
    public var familyID = [UInt8](repeating: 0, count: 16)
    public var imageID = [UInt8](repeating: 0, count: 16)
    public var vmpl: UInt32 = 0
    public var currentTCB = TCBVersion(bootLoader: 0, tee: 0, snp: 0, microcode: 0)
    public var platformInfo: UInt64 = 0
    public var signingKey = EndorsementKey.vcek
    public var authorKeyEnabled = false
    /// MASK_CHIP_KEY: the guest asked for CHIP_ID to be zeroed.
    public var maskChipKey = false
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
    public var signedBytes: [UInt8] {
        get throws(LayoutError) { Array(try bytes.prefix(Self.signedSize)) }
    }

    /// The 1184 bytes; a byte-string field of the wrong width is an error naming it, never a
    /// write into the next field.
    public var bytes: [UInt8] {
        get throws(LayoutError) {
            var out = [UInt8](repeating: 0, count: Self.size)
            out.storeLittleEndian(version, at: Offset.version)
            out.storeLittleEndian(guestSVN, at: Offset.guestSVN)
            out.storeLittleEndian(policy, at: Offset.policy)
            try out.write(familyID, to: Fields.familyID)
            try out.write(imageID, to: Fields.imageID)
            out.storeLittleEndian(vmpl, at: Offset.vmpl)
            out.storeLittleEndian(Self.signatureAlgorithmECDSAP384, at: Offset.signatureAlgorithm)
            try out.write(currentTCB.bytes, to: Fields.currentTCB)
            out.storeLittleEndian(platformInfo, at: Offset.platformInfo)
            out.storeLittleEndian(
                (authorKeyEnabled ? 1 : 0) | (maskChipKey ? 2 : 0) | signingKey.signerInfoValue << 2, at: Offset.signerInfo)
            try out.write(reportData, to: Fields.reportData)
            try out.write(measurement, to: Fields.measurement)
            try out.write(hostData, to: Fields.hostData)
            try out.write(idKeyDigest, to: Fields.idKeyDigest)
            try out.write(authorKeyDigest, to: Fields.authorKeyDigest)
            try out.write(reportID, to: Fields.reportID)
            try out.write(reportIDMA, to: Fields.reportIDMA)
            try out.write(reportedTCB.bytes, to: Fields.reportedTCB)
            if version >= 3 {
                out[Offset.cpuidFamily] = cpuid.family
                out[Offset.cpuidModel] = cpuid.model
                out[Offset.cpuidStepping] = cpuid.stepping
                (out[Offset.currentBuild], out[Offset.currentMinor], out[Offset.currentMajor]) = currentFirmware
                (out[Offset.committedBuild], out[Offset.committedMinor], out[Offset.committedMajor]) = committedFirmware
            }
            try out.write(chipID, to: Fields.chipID)
            try out.write(committedTCB.bytes, to: Fields.committedTCB)
            try out.write(launchTCB.bytes, to: Fields.launchTCB)
            if version >= 5 {
                out.storeLittleEndian(launchMitigationVector, at: Offset.launchMitigationVector)
                out.storeLittleEndian(currentMitigationVector, at: Offset.currentMitigationVector)
            }
            if !signatureR.isEmpty || !signatureS.isEmpty {
                try out.write(Array(signatureR.reversed()), to: Fields.signatureR)
                try out.write(Array(signatureS.reversed()), to: Fields.signatureS)
            }
            return out
        }
    }

    public init(parsing bytes: [UInt8]) throws(ReportFormatError) {
        guard bytes.count == Self.size else { throw .wrongSize(bytes.count) }
        version = bytes.loadLittleEndian(UInt32.self, at: Offset.version)
        guard (2...5).contains(version) else { throw .unsupportedVersion(version) }
        let algorithm = bytes.loadLittleEndian(UInt32.self, at: Offset.signatureAlgorithm)
        guard algorithm == Self.signatureAlgorithmECDSAP384 else { throw .unsupportedSignatureAlgorithm(algorithm) }
        guestSVN = bytes.loadLittleEndian(UInt32.self, at: Offset.guestSVN)
        policy = bytes.loadLittleEndian(UInt64.self, at: Offset.policy)
        familyID = bytes.read(Fields.familyID)
        imageID = bytes.read(Fields.imageID)
        vmpl = bytes.loadLittleEndian(UInt32.self, at: Offset.vmpl)
        currentTCB = TCBVersion(bytes: bytes.read(Fields.currentTCB)[...])
        platformInfo = bytes.loadLittleEndian(UInt64.self, at: Offset.platformInfo)
        let signer = bytes.loadLittleEndian(UInt32.self, at: Offset.signerInfo)
        authorKeyEnabled = signer & 1 != 0
        maskChipKey = signer & 2 != 0
        guard let key = EndorsementKey(signerInfoValue: (signer >> 2) & 7) else { throw .unknownSigningKey((signer >> 2) & 7) }
        signingKey = key
        guard signer >> 5 == 0 else { throw .reservedNonZero(field: "signer_info bits 31:5", offset: Offset.signerInfo) }
        for (field, range) in Self.mustBeZero(version: version) {
            if let offset = range.first(where: { bytes[$0] != 0 }) { throw .reservedNonZero(field: field, offset: offset) }
        }
        reportData = bytes.read(Fields.reportData)
        measurement = bytes.read(Fields.measurement)
        hostData = bytes.read(Fields.hostData)
        idKeyDigest = bytes.read(Fields.idKeyDigest)
        authorKeyDigest = bytes.read(Fields.authorKeyDigest)
        reportID = bytes.read(Fields.reportID)
        reportIDMA = bytes.read(Fields.reportIDMA)
        reportedTCB = TCBVersion(bytes: bytes.read(Fields.reportedTCB)[...])
        cpuid = (bytes[Offset.cpuidFamily], bytes[Offset.cpuidModel], bytes[Offset.cpuidStepping])
        chipID = bytes.read(Fields.chipID)
        committedTCB = TCBVersion(bytes: bytes.read(Fields.committedTCB)[...])
        currentFirmware = (bytes[Offset.currentBuild], bytes[Offset.currentMinor], bytes[Offset.currentMajor])
        committedFirmware = (bytes[Offset.committedBuild], bytes[Offset.committedMinor], bytes[Offset.committedMajor])
        launchTCB = TCBVersion(bytes: bytes.read(Fields.launchTCB)[...])
        launchMitigationVector = bytes.loadLittleEndian(UInt64.self, at: Offset.launchMitigationVector)
        currentMitigationVector = bytes.loadLittleEndian(UInt64.self, at: Offset.currentMitigationVector)
        signatureR = Array(bytes.read(Fields.signatureR).reversed())
        signatureS = Array(bytes.read(Fields.signatureS).reversed())
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { (try? lhs.bytes) == (try? rhs.bytes) }

    /// The reserved ranges of a report of `version`, which the firmware writes as zeros (SNP ABI,
    /// ATTESTATION_REPORT): the signed ones, the reserved bytes of each TCB_VERSION, and the unused
    /// upper bytes of R and S and the rest of the signature area. A parser that skipped them would let
    /// bytes change unnoticed.
    public static func mustBeZero(version: UInt32) -> [(field: String, range: Range<Int>)] {
        var ranges: [(String, Range<Int>)] = [("reserved 0x04C", 0x04C..<0x050)]
        for (name, offset) in [
            ("current_tcb", Offset.currentTCB), ("reported_tcb", Offset.reportedTCB), ("committed_tcb", Offset.committedTCB),
            ("launch_tcb", Offset.launchTCB),
        ] {
            ranges.append(("\(name) reserved bytes 2-5", offset + 2..<offset + 6))
        }
        if version >= 3 {
            ranges += [
                ("reserved 0x18B", 0x18B..<0x1A0), ("reserved 0x1EB", 0x1EB..<0x1EC), ("reserved 0x1EF", 0x1EF..<0x1F0),
            ]
        } else {
            ranges += [("reserved 0x188", 0x188..<0x1A0), ("reserved 0x1E8", 0x1E8..<0x1F0)]
        }
        ranges.append(version >= 5 ? ("reserved 0x208", 0x208..<0x2A0) : ("reserved 0x1F8", 0x1F8..<0x2A0))
        ranges += [
            ("signature_r upper bytes", Offset.signatureR + 48..<Offset.signatureS),
            ("signature_s upper bytes", Offset.signatureS + 48..<Offset.signatureS + 72),
            ("reserved signature area", Offset.signatureS + 72..<size),
        ]
        return ranges
    }
}

/// Why bytes are not a well-formed report or certificate table, or a report's fields do not fit.
public enum ReportFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A report must be exactly 0x4A0 bytes.
    case wrongSize(Int)
    case unsupportedVersion(UInt32)
    case unsupportedSignatureAlgorithm(UInt32)
    case unknownSigningKey(UInt32)
    /// The certificate table ends before its all-zero entry.
    case tableWithoutTerminator
    /// A certificate table entry with a GUID the GHCB specification does not define.
    case unknownCertificateGUID([UInt8])
    /// A certificate table entry pointing past the table's end.
    case certificateOutOfBounds(offset: Int, length: Int, tableSize: Int)
    /// A reserved (must-be-zero) byte or bit that is set.
    case reservedNonZero(field: String, offset: Int)

    public var description: String {
        switch self {
        case .wrongSize(let size): "a report is 1184 bytes, not \(size)"
        case .unsupportedVersion(let version): "unsupported report version \(version)"
        case .unsupportedSignatureAlgorithm(let algorithm): "signature algorithm \(algorithm) is not ECDSA P-384 (1)"
        case .unknownSigningKey(let key): "unknown signing key \(key)"
        case .tableWithoutTerminator: "certificate table has no terminator"
        case .unknownCertificateGUID(let guid): "unknown certificate GUID \(guid.hexString)"
        case .reservedNonZero(let field, let offset): "\(field) must be zero (byte 0x\(String(offset, radix: 16)) is not)"
        case .certificateOutOfBounds(let offset, let length, let size):
            "certificate at \(offset) (\(length) bytes) outside the \(size)-byte table"
        }
    }
}
