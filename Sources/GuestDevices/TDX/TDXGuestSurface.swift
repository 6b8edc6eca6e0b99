import GuestSurface
import TDXProvider

/// Everything a TDX guest has beyond configfs-tsm, as surface tree placements.
public enum TDXGuestSurface {
    public static func placements(provider: TDXProvider, macKey: [UInt8]) -> [(path: String, content: SurfaceTree.Content)] {
        [(path: "dev/tdx_guest", content: .device(TDXGuestDevice(provider: provider, macKey: macKey)))]
            + MeasurementFiles.all(of: provider).map {
                (path: "\(MeasurementFiles.directory)/\($0.name)", content: .register($0))
            }
            + [(path: MeasurementFiles.classLink.path, content: .symlink(MeasurementFiles.classLink.target))]
    }
}
