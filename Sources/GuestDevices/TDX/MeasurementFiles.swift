import GuestSurface
import SystemPackage
import TDXProvider

/// The tsm-mr files of the TDX guest driver (`tdx_mrs[]`): `rtmr0:sha384`…`rtmr3:sha384`
/// (live, writable: a write extends) and `mrtd:sha384`, `mrconfigid`, `mrowner`,
/// `mrownerconfig` (values fixed at TD build time).
public enum MeasurementFiles {
    /// The misc device's sysfs directory.
    public static let deviceDirectory = "sys/devices/virtual/misc/tdx_guest"
    /// The directory tsm-mr creates under the device.
    public static let directory = "\(deviceDirectory)/measurements"
    /// The class link the DCAP library reads through by default.
    public static let classLink = (path: "sys/class/misc/tdx_guest", target: "../../devices/virtual/misc/tdx_guest")

    public static func all(of provider: TDXProvider) -> [any RegisterFile] {
        let identity = provider.configuration.identity
        return [
            FixedRegister(name: "mrtd:sha384", bytes: identity.mrTD),
            FixedRegister(name: "mrconfigid", bytes: identity.mrConfigID),
            FixedRegister(name: "mrowner", bytes: identity.mrOwner),
            FixedRegister(name: "mrownerconfig", bytes: identity.mrOwnerConfig),
        ] + (0..<MeasurementRegisters.count).map { RuntimeRegister(index: $0, registers: provider.registers) }
    }
}

/// A register measured when the TD was built: read-only (0444).
struct FixedRegister: RegisterFile {
    let name: String
    let bytes: [UInt8]
    var size: Int { bytes.count }
    var isWritable: Bool { false }
    func value() throws(Errno) -> [UInt8] { bytes }
    func extend(with data: [UInt8]) throws(Errno) { throw .permissionDenied }
}

/// RTMR`index`: reads the shared state, a write of 48 bytes extends it (`TDG.MR.RTMR.EXTEND`).
struct RuntimeRegister: RegisterFile {
    let index: Int
    let registers: MeasurementRegisters
    var name: String { "rtmr\(index):sha384" }
    var size: Int { MeasurementRegisters.width }
    var isWritable: Bool { true }
    func value() throws(Errno) -> [UInt8] { registers.snapshot[index] }
    func extend(with data: [UInt8]) throws(Errno) {
        do throws(MeasurementRegisters.ExtendError) {
            try registers.extend(index, with: data)
        } catch {
            throw .noSuchAddressOrDevice  // TDX_OPERAND_INVALID, as tdx_mcall_extend_rtmr maps it
        }
    }
}
