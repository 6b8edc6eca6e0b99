import EchoProvider
import ProviderKit
import SystemPackage
import TSMConfig

/// The providers `--provider` accepts.
public enum ProviderChoice: String, CaseIterable, Sendable {
    case tdx, sev, cca, echo, none

    public static let defaultChoice = ProviderChoice.echo

    public var help: String {
        switch self {
        case .tdx: "Intel TDX: DCAP quotes from a simulated Intel root, provider reads tdx_guest"
        case .sev: "AMD SEV-SNP: VCEK-signed reports from a simulated AMD root, provider reads sev_guest"
        case .cca: "Arm CCA: realm attestation tokens under a simulated CPAK, provider reads arm_cca_guest"
        case .echo: "diagnostic: outblob echoes the request (the default)"
        case .none: "no TSM driver registered: mkdir in report/ fails with ENXIO"
        }
    }
}

/// The `[echo]` section of the configuration file.
public enum EchoSettings {
    public static func read(_ section: ConfigSection) throws(ConfigError) -> EchoProvider.Configuration {
        var configuration = EchoProvider.Configuration()
        if let name = try section.string("name") { configuration.name = name }
        if let profile = try section.choice("attributes", from: AttributeProfile.allCases.map(\.rawValue)) {
            configuration.profile = AttributeProfile(rawValue: profile)!
        }
        if let floor = try section.integer("privlevel_floor", as: UInt32.self, in: 0...3) {
            configuration.privlevelFloor = floor
        }
        configuration.failure = try section.parsed(
            "fail_with",
            expected: "an errno name such as \"EIO\" ("
                + Errno.reportErrorsByName.keys.sorted().joined(separator: ", ") + ")"
        ) { Errno(reportErrorName: $0) }
        if let latency = try section.integer("latency_ms", as: UInt32.self, in: 0...600_000) {
            configuration.latencyMilliseconds = latency
        }
        try section.finish()
        return configuration
    }
}
