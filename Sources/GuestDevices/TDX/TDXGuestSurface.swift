import GuestSurface
import TDXProvider

/// Everything a TDX guest has beyond configfs-tsm, as surface tree placements.
public enum TDXGuestSurface {
    /// The device, its sysfs directory and class link, and — on kernels with tsm-mr (6.16) — the
    /// measurement register files in that directory.
    public static func placements(provider: TDXProvider, macKey: [UInt8], measurementRegisters: Bool = true) -> [(
        path: String, content: SurfaceTree.Content
    )] {
        let registers =
            measurementRegisters
            ? MeasurementFiles.all(of: provider).map {
                (path: "\(MeasurementFiles.directory)/\($0.name)", content: SurfaceTree.Content.register($0))
            }
            : []
        return [
            (path: "dev/tdx_guest", content: .device(TDXGuestDevice(provider: provider, macKey: macKey))),
            (path: MeasurementFiles.deviceDirectory, content: .directory),
        ]
            + registers
            + [(path: MeasurementFiles.classLink.path, content: .symlink(MeasurementFiles.classLink.target))]
    }
}
