/// The attribute sets of the kernel's providers (the visibility callbacks of the kernel's tdx-guest.c and sev-guest.c), for providers that want to
/// present exactly one of them.
public enum AttributeProfile: String, CaseIterable, Sendable {
    /// Every attribute, like a provider without visibility callbacks (arm_cca_guest).
    case all
    /// tdx_guest: generation, provider, inblob, outblob.
    case tdx
    /// sev_guest with the guest at VMPL0: adds privlevel, privlevel_floor, auxblob.
    case sev
    /// sev_guest under an SVSM: adds the service_* attributes and manifestblob.
    case sevSVSM = "sev-svsm"

    public func contains(_ attribute: ReportAttribute) -> Bool {
        switch self {
        case .all:
            return true
        case .tdx:
            return [.generation, .provider, .inblob, .outblob].contains(attribute)
        case .sev:
            return [.generation, .provider, .privlevel, .privlevelFloor, .inblob, .outblob, .auxblob]
                .contains(attribute)
        case .sevSVSM:
            return true
        }
    }
}
