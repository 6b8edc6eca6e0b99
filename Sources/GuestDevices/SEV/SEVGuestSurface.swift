import GuestSurface
import SEVProvider

/// Everything an SEV-SNP guest has beyond configfs-tsm: the device.
public enum SEVGuestSurface {
    public static func placements(provider: SEVProvider, chipSecret: [UInt8]) -> [(path: String, content: SurfaceTree.Content)] {
        [(path: "dev/sev-guest", content: .device(SEVGuestDevice(provider: provider, chipSecret: chipSecret)))]
    }
}
