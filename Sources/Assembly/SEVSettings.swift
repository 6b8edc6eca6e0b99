import AMDPKI
import AMDValues
import ByteLayout
import Foundation
import ProviderKit
import SEVProvider
import SNPReport
import TSMConfig

/// The `[sev]` section of the configuration file: the product line, the guest's report
/// fields, its VMPL and the firmware/host faults to simulate. Every value has a default.
public enum SEVSettings {
    public struct Settings: Sendable {
        public var configuration: SEVProvider.Configuration
        public var signer: EndorsementKey
        public var hardwareID: SimulatedAMDPKI.HardwareIDEncoding
        /// Serial numbers (big-endian bytes) the product line's CRL lists as revoked.
        public var revokedSerials: [[UInt8]]
    }

    public static func read(_ section: ConfigSection) throws(ConfigError) -> Settings {
        // Every value starts as the provider's own default; a setting overrides it.
        var configuration = SEVProvider.Configuration()
        configuration.productLine =
            try section.parsed("product_line", expected: "Milan or Genoa") {
                AMDProductLine(rawValue: $0)
            } ?? configuration.productLine
        var report = configuration.template
        report.version = try section.integer("report_version", as: UInt32.self, in: 2...5) ?? report.version
        guard report.version != 4 else {
            throw section.invalid("report_version", "4 is not simulated; use 2, 3 or 5")
        }
        report.guestSVN = try section.integer("guest_svn", as: UInt32.self) ?? report.guestSVN
        report.policy = try section.integer("policy", as: UInt64.self) ?? report.policy
        guard report.policy & AttestationReport.policyReservedOne != 0 else {
            throw section.invalid("policy", "bit 17 is reserved and must be set (e.g. 0x30000)")
        }
        report.platformInfo = try section.integer("platform_info", as: UInt64.self) ?? report.platformInfo
        report.familyID = try section.hexBytes("family_id", count: 16) ?? report.familyID
        report.imageID = try section.hexBytes("image_id", count: 16) ?? report.imageID
        report.measurement = try section.hexBytes("measurement", count: 48) ?? report.measurement
        report.hostData = try section.hexBytes("host_data", count: 32) ?? report.hostData
        report.idKeyDigest = try section.hexBytes("id_key_digest", count: 48) ?? report.idKeyDigest
        report.authorKeyDigest = try section.hexBytes("author_key_digest", count: 48) ?? report.authorKeyDigest
        report.reportID = try section.hexBytes("report_id", count: 32) ?? report.reportID
        report.chipID = try section.hexBytes("chip_id", count: 64) ?? report.chipID
        let tcb = TCBVersion(
            bootLoader: try section.integer("tcb_bootloader", as: UInt8.self, in: 0...127) ?? report.reportedTCB.bootLoader,
            tee: try section.integer("tcb_tee", as: UInt8.self, in: 0...127) ?? report.reportedTCB.tee,
            snp: try section.integer("tcb_snp", as: UInt8.self, in: 0...127) ?? report.reportedTCB.snp,
            microcode: try section.integer("tcb_microcode", as: UInt8.self) ?? report.reportedTCB.microcode)
        // A stable platform: current, committed, reported and launch TCB are the VCEK's.
        report.currentTCB = tcb
        report.committedTCB = tcb
        report.reportedTCB = tcb
        report.launchTCB = tcb
        let firmware = (
            build: try section.integer("firmware_build", as: UInt8.self) ?? report.currentFirmware.build,
            minor: try section.integer("firmware_minor", as: UInt8.self) ?? report.currentFirmware.minor,
            major: try section.integer("firmware_major", as: UInt8.self) ?? report.currentFirmware.major
        )
        report.currentFirmware = firmware
        report.committedFirmware = firmware
        configuration.template = report
        configuration.guestVMPL = try section.integer("guest_vmpl", as: UInt32.self, in: 0...3) ?? configuration.guestVMPL
        let signer = try section.parsed("signing_key", expected: "vcek or vlek") { EndorsementKey(rawValue: $0) } ?? .vcek
        let hardwareID =
            try section.parsed("hwid_encoding", expected: "raw or octet-string") {
                SimulatedAMDPKI.HardwareIDEncoding(rawValue: $0)
            } ?? .raw
        // Tools sniff the hwID's first byte (02: INTEGER, 04: OCTET STRING, else raw).
        if hardwareID == .raw, let first = report.chipID.first, first == 0x02 || first == 0x04 {
            throw section.invalid(
                "chip_id",
                "a raw hwID starting with \(first == 2 ? "02" : "04") reads as DER to tools that "
                    + "sniff its first byte; start chip_id with another byte, or set hwid_encoding = \"octet-string\"")
        }
        let revoked = try section.serialNumbers("revoked_serials") ?? []

        var faults = configuration.faults
        faults.invalidParameters = try section.boolean("invalid_params") ?? faults.invalidParameters
        faults.vmpckDisabled = try section.boolean("vmpck_disabled") ?? faults.vmpckDisabled
        faults.hostBusy = try section.boolean("host_busy") ?? faults.hostBusy
        faults.noCertificates = try section.boolean("no_certificates") ?? faults.noCertificates
        faults.latencyMilliseconds =
            try section.integer("latency_ms", as: UInt32.self, in: 0...600_000) ?? faults.latencyMilliseconds
        configuration.faults = faults
        try section.finish()
        return Settings(
            configuration: configuration, signer: signer, hardwareID: hardwareID,
            revokedSerials: revoked)
    }
}
