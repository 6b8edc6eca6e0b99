import AMDValues
import ByteLayout
import Crypto
import GuestDeviceABI
import SEVProvider
import SNPReport

/// MSG_KEY_REQ as the simulated firmware answers it: a 32-byte key that is a deterministic
/// function of the chip's secret, the root key chosen, the VMPL and every guest field the
/// request selects — so keys differ per VMPL, policy, measurement … selection, stay the same
/// across restarts, and never coincide between two state directories (two chips).
struct DerivedKeys: Sendable {
    /// Raw bytes: swift-crypto's SymmetricKey is not Sendable.
    let chipSecret: [UInt8]
    let guest: SEVProvider.Configuration

    typealias Request = SEVGuestABI.DerivedKeyRequest

    /// Bits of ROOT_KEY_SELECT the firmware defines: ROOT_KEY_SEL (bit 0) and KEY_SEL (bits 2:1).
    static let definedRootKeyBits: UInt32 = 0b111
    static let definedFieldBits: UInt64 = (1 << UInt64(Request.GuestField.allCases.count)) - 1

    /// The key, or `nil` where the firmware answers INVALID_PARAM: undefined bits, KEY_SEL 3, a
    /// VMPL more privileged than the guest's or above 3, a guest SVN or TCB above the guest's own.
    func key(for request: Request) -> [UInt8]? {
        let template = guest.template
        guard request.rootKeySelect & ~Self.definedRootKeyBits == 0,
            (request.rootKeySelect >> 1) & 0b11 != 0b11,
            request.guestFieldSelect & ~Self.definedFieldBits == 0,
            request.vmpl >= guest.guestVMPL, request.vmpl <= 3,
            request.guestSVN <= template.guestSVN,
            Self.isAtMost(request.tcbVersion, template.committedTCB)
        else { return nil }

        var material = Array("tsmfs simulated SNP derived key".utf8)
        material.appendLittleEndian(request.rootKeySelect)
        material.appendLittleEndian(request.vmpl)
        material.appendLittleEndian(request.guestFieldSelect)
        func selected(_ field: Request.GuestField) -> Bool { request.guestFieldSelect & (1 << UInt64(field.rawValue)) != 0 }
        if selected(.policy) { material.appendLittleEndian(template.policy) }
        if selected(.imageID) { material += template.imageID }
        if selected(.familyID) { material += template.familyID }
        if selected(.measurement) { material += template.measurement }
        if selected(.guestSVN) { material.appendLittleEndian(request.guestSVN) }
        if selected(.tcbVersion) { material.appendLittleEndian(request.tcbVersion) }
        return Array(HMAC<SHA256>.authenticationCode(for: material, using: SymmetricKey(data: chipSecret)))
    }

    /// Whether every security patch level in `encoded` is at most the one in `limit`.
    static func isAtMost(_ encoded: UInt64, _ limit: TCBVersion) -> Bool {
        var bytes: [UInt8] = []
        bytes.appendLittleEndian(encoded)
        let asked = TCBVersion(bytes: bytes[...])
        return asked.bootLoader <= limit.bootLoader && asked.tee <= limit.tee && asked.snp <= limit.snp
            && asked.microcode <= limit.microcode
    }
}
