/// The TCG PC Client event types a TDVF + GRUB + Linux boot logs (values from the TCG PC Client
/// Platform Firmware Profile, as edk2's `UefiTcgPlatform.h` defines them).
public enum EventType: UInt32, Sendable, CaseIterable {
    case postCode = 0x1
    case noAction = 0x3
    case separator = 0x4
    case eventTag = 0x6
    case platformConfigFlags = 0xA
    case ipl = 0xD
    case efiVariableDriverConfig = 0x8000_0001
    case efiVariableBoot = 0x8000_0002
    case efiBootServicesApplication = 0x8000_0003
    case efiGPTEvent = 0x8000_0006
    case efiAction = 0x8000_0007
    case efiPlatformFirmwareBlob2 = 0x8000_000A
    case efiHandoffTables2 = 0x8000_000B
    case efiVariableBoot2 = 0x8000_000C
    case efiVariableAuthority = 0x8000_00E0
}

/// The CC measurement register index an event names (UEFI 2.10 §38.4.1): 0 is MRTD, 1–4 are
/// RTMR0–3. Firmware logs only 1–3; RTMR3 belongs to user space and never appears in CCEL.
public enum MeasurementIndex {
    public static let rtmr0: UInt32 = 1
    public static let rtmr1: UInt32 = 2
    public static let rtmr2: UInt32 = 3
    /// The end of the log: firmware fills the unused log area with 0xFF bytes.
    public static let endOfLog: UInt32 = 0xFFFF_FFFF
}
