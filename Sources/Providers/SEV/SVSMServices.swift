import ByteLayout
import Crypto
import Foundation
import ProviderKit

/// What an SVSM (Secure VM Service Module) running at VMPL0 attests for a guest at a lower
/// VMPL: its services' manifest, bound into REPORT_DATA as SHA-512(nonce ‖ manifest)
/// (SVSM specification 58019, §7).
public struct SVSMServices: Sendable {
    /// The services manifest's own GUID, at the head of the table.
    public static let manifestGUID = "63849ebb-3d92-4670-a1ff-58f9c94b87bb"
    /// The vTPM service.
    public static let vTPMGUID = "c476f1eb-0123-45a5-9641-b4e7dde5bfe3"

    /// The vTPM's manifest: the public area of its endorsement key.
    public let vTPMManifest: [UInt8]

    public init(endorsementKey: P256.Signing.PublicKey) {
        vTPMManifest = Self.endorsementKeyPublicArea(endorsementKey)
    }

    /// All services: a GUID table (header GUID, total length, entry count; then per service
    /// GUID, offset from the table start and length; then the data), GUIDs in the kernel's
    /// little-endian `guid_t` order, integers little-endian.
    public var allServicesManifest: [UInt8] {
        let services = [(Self.vTPMGUID, vTPMManifest)]
        let headerSize = (1 + services.count) * 24
        var table = guidBytes(Self.manifestGUID)
        table.appendLittleEndian(UInt32(headerSize + services.reduce(0) { $0 + $1.1.count }))
        table.appendLittleEndian(UInt32(services.count))
        var offset = headerSize
        for (guid, data) in services {
            table += guidBytes(guid)
            table.appendLittleEndian(UInt32(offset))
            table.appendLittleEndian(UInt32(data.count))
            offset += data.count
        }
        return table + services.flatMap(\.1)
    }

    /// The manifest of the service `guid` (kernel `guid_t` bytes), or `nil` for an unknown service.
    public func singleServiceManifest(_ guid: [UInt8]) -> [UInt8]? {
        guid == guidBytes(Self.vTPMGUID) ? vTPMManifest : nil
    }

    /// TPMT_PUBLIC of an ECC NIST P-256 endorsement key with the TPM 2.0 EK template (big-endian,
    /// as the TPM marshals it).
    static func endorsementKeyPublicArea(_ key: P256.Signing.PublicKey) -> [UInt8] {
        var area: [UInt8] = []
        func u16(_ value: UInt16) { area += [UInt8(value >> 8), UInt8(value & 0xFF)] }
        func u32(_ value: UInt32) { area += (0..<4).map { UInt8((value >> (24 - 8 * $0)) & 0xFF) } }
        u16(0x0023)  // type: TPM_ALG_ECC
        u16(0x000B)  // nameAlg: SHA-256
        u32(0x0003_00B2)  // fixedTPM, fixedParent, sensitiveDataOrigin, adminWithPolicy, restricted, decrypt
        let endorsementPolicy: [UInt8] = [
            0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xB3, 0xF8, 0x1A, 0x90, 0xCC, 0x8D,
            0x46, 0xA5, 0xD7, 0x24, 0xFD, 0x52, 0xD7, 0x6E, 0x06, 0x52, 0x0B, 0x64,
            0xF2, 0xA1, 0xDA, 0x1B, 0x33, 0x14, 0x69, 0xAA,
        ]
        u16(UInt16(endorsementPolicy.count))
        area += endorsementPolicy
        u16(0x0006)
        u16(128)
        u16(0x0043)  // symmetric: AES-128-CFB
        u16(0x0010)  // scheme: TPM_ALG_NULL
        u16(0x0003)  // curveID: TPM_ECC_NIST_P256
        u16(0x0010)  // kdf: TPM_ALG_NULL
        let point = Array(key.rawRepresentation)
        u16(32)
        area += point[0..<32]
        u16(32)
        area += point[32..<64]
        return area
    }
}

/// The kernel's `guid_t` bytes of one of the GUID constants above.
func guidBytes(_ text: String) -> [UInt8] {
    [UInt8](guid: text)!.guidTOrder
}
