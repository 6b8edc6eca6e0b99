import AMDPKI
import CCAProvider
import CCASigning
import ConfigfsTSM
import Crypto
import DICEPKI
import EchoProvider
import Foundation
import GuestSurface
import IntelPKI
import ProviderKit
import SEVGuest
import SEVProvider
import SigningKeys
import SimulatedPKI
import TDXGuest
import TDXProvider
import TSMConfig

/// Builds what a configuration describes: the provider with its simulated root of trust, the guest
/// surface (devices, registers) over it, and the PKI that `tsmfs roots` and `tsmfs collateral`
/// export. The command-line tool and the benchmark build through it, so both serve the same thing
/// for the same configuration.
public struct ProviderAssembly: Sendable {
    public let configFile: ConfigFile
    public let provider: ProviderChoice
    public let stateDirectory: String
    public let owner: Ownership
    /// The deterministic seed every simulated key derives from, if reproducible output is wanted.
    public let seed: [UInt8]?
    /// The Linux version whose guest ABI is served.
    public let kernel: KernelProfile

    public init(
        configFile: ConfigFile, provider: ProviderChoice, stateDirectory: String, owner: Ownership, seed: [UInt8]?,
        kernel: KernelProfile = .newest
    ) {
        self.configFile = configFile
        self.provider = provider
        self.stateDirectory = stateDirectory
        self.owner = owner
        self.seed = seed
        self.kernel = kernel
    }

    /// Why a configuration cannot be assembled into what was asked.
    public struct AssemblyError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The key store of one provider's simulated root of trust.
    public func keyStore(_ provider: String) -> KeyStore {
        KeyStore(directory: "\(stateDirectory)/\(provider)", seed: seed)
    }

    /// The `[tdx]` and `[tdx.boot]` settings.
    public func tdxSettings() throws -> TDXSettings.Settings {
        try TDXSettings.read(configFile.section("tdx"), boot: configFile.section("tdx.boot"), kernel: kernel)
    }

    /// The simulated Intel PKI for the configured platform.
    public func intelPKI() throws -> (SimulatedIntelPKI, TDXProvider.Configuration) {
        let settings = try tdxSettings()
        return (try SimulatedIntelPKI.load(from: keyStore("tdx"), platform: settings.platform), settings.configuration)
    }

    /// The DICE chain of the configured platform (the TDX quoting extension).
    public func dicePKI(_ platform: TDXPlatform) throws -> SimulatedDICEPKI {
        try SimulatedDICEPKI.load(from: keyStore("tdx"), platformIdentity: platform.fmspc + platform.platformInstanceID)
    }

    /// The simulated AMD PKI of the configured product line, with a VCEK for the configured chip.
    public func amdPKI() throws -> (SimulatedAMDPKI, SEVSettings.Settings) {
        let sev = try SEVSettings.read(configFile.section("sev"))
        let pki = try SimulatedAMDPKI.load(
            from: keyStore("sev"), productLine: sev.configuration.productLine, chipID: sev.configuration.template.chipID,
            reportedTCB: sev.configuration.template.reportedTCB, signer: sev.signer, hardwareID: sev.hardwareID)
        return (pki, sev)
    }

    /// The CCA platform key (CPAK) of the configured algorithm, and the `[cca]` settings.
    public func ccaPlatform() throws -> (TokenSigner.PlatformKey, CCASettings.Settings) {
        let cca = try CCASettings.read(configFile.section("cca"))
        let store = keyStore("cca")
        let key: TokenSigner.PlatformKey =
            cca.platformAlgorithm == .es256
            ? .es256(try store.signingKey("cpak-p256").key) : .es384(try store.p384Key("cpak-p384"))
        return (key, cca)
    }

    /// The provider of the configuration's `[<provider>]` section (nil for `none`).
    public func makeProvider() throws -> (any ReportProvider)? {
        switch provider {
        case .sev:
            let (pki, sev) = try amdPKI()
            let endorsementKey = try keyStore("sev").signingKey("vtpm-endorsement-key").publicKey
            return SEVProvider(configuration: sev.configuration, pki: pki, svsm: SVSMServices(endorsementKey: endorsementKey))
        case .cca:
            guard kernel.hasArmCCAProvider else {
                throw AssemblyError(
                    description:
                        "Linux \(kernel) has no arm_cca_guest provider (it arrived in 6.13): choose kernel 6.13 or later")
            }
            let (platformKey, cca) = try ccaPlatform()
            // A fresh RAK every boot, unless output must be reproducible.
            let realmKey = seed == nil ? P384.Signing.PrivateKey() : try keyStore("cca").p384Key("rak")
            return CCAProvider(configuration: cca.configuration, platformKey: platformKey, realmKey: realmKey)
        case .none:
            return nil
        case .echo:
            return EchoProvider(configuration: try EchoSettings.read(configFile.section("echo")))
        case .tdx:
            let (pki, configuration) = try intelPKI()
            // A fresh key every boot, unless output must be reproducible.
            let attestationKey =
                seed == nil
                ? SigningKey(P256.Signing.PrivateKey())
                : try keyStore("tdx").signingKey("attestation-key")
            return try TDXProvider(
                configuration: configuration, pki: pki, attestationKey: attestationKey,
                dice: configuration.quoting == .dice ? try dicePKI(pki.platform) : nil)
        }
    }

    /// The devices and sysfs registers of `provider`'s guest, owned like the configfs tree.
    public func guestSurface(of provider: (any ReportProvider)?) throws -> SurfaceTree {
        let placements: [(path: String, content: SurfaceTree.Content)]
        switch provider {
        case let tdx as TDXProvider:
            // The TDREPORT MAC key stays on the simulated platform, as the real one stays in the CPU.
            let macKey = Array(try keyStore("tdx").signingKey("tdreport-mac-key").key.rawRepresentation)
            placements =
                TDXGuestSurface.placements(
                    provider: tdx, macKey: macKey, measurementRegisters: kernel.hasMeasurementRegisters)
                + FirmwareTables.placements(tdx.configuration.bootEventLog)
        case let sev as SEVProvider:
            let chipSecret = Array(try keyStore("sev").signingKey("chip-secret").key.rawRepresentation)
            placements = SEVGuestSurface.placements(provider: sev, chipSecret: chipSecret)
        default:
            throw AssemblyError(
                description:
                    "provider \(self.provider.rawValue) has no guest devices: --devices needs --provider tdx or --provider sev")
        }
        return SurfaceTree(placements, uid: owner.uid, gid: owner.gid, now: Int(time(nil)))
    }
}

/// The ACPI files a TD's firmware leaves: the CCEL table and its log area, 0400 as sysfs shows
/// ACPI tables (/sys/firmware/acpi/tables/data/ since Linux 6.4, older than every profile).
enum FirmwareTables {
    static let directory = "sys/firmware/acpi/tables"

    /// Taken from the provider's configuration, so the files are the log its RTMRs replay and the
    /// boot is read (and its files measured) once.
    static func placements(_ boot: TDXProvider.BootEventLog) -> [(path: String, content: SurfaceTree.Content)] {
        [
            (path: "\(directory)/CCEL", content: .firmwareTable(boot.table)),
            (path: "\(directory)/data/CCEL", content: .firmwareTable(boot.log)),
        ]
    }
}
