import ByteLayout
import IntelPKI
import ProviderKit
import TDXProvider
import TDXQuote
import TSMConfig

/// The `[tdx]` section of the configuration file: the simulated TD, its platform, the quote
/// format and the host faults to simulate. Every value has a working default.
public enum TDXSettings {
    public struct Settings: Sendable {
        /// The provider's configuration; the boot `[tdx.boot]` describes is in its `bootEventLog`,
        /// and its RTMR0–2 are that log's replay.
        public var configuration: TDXProvider.Configuration
        public var platform: TDXPlatform
    }

    /// Reads `[tdx]` and `[tdx.boot]` for a guest running `kernel`.
    public static func read(_ section: ConfigSection, boot bootSection: ConfigSection, kernel: KernelProfile)
        throws(ConfigError) -> Settings
    {
        let boot = try TDXBootSettings.read(bootSection, kernel: kernel)
        var configuration = TDXProvider.Configuration()
        var platform = TDXPlatform()

        let version = try section.integer("quote_version", as: Int.self, in: 4...5) ?? 4
        let bodyType = try section.integer("body_type", as: UInt16.self, in: 2...3)
        if version == 4 {
            guard bodyType == nil || bodyType == 2 else {
                throw section.invalid("body_type", "quote version 4 carries only body type 2 (TDX 1.0); set quote_version = 5")
            }
            configuration.format = .v4
        } else {
            configuration.format = .v5(TDReportBody.Kind(rawValue: bodyType ?? 3)!)
        }

        if let quoting = try section.choice("quoting", from: TDXProvider.Quoting.allCases.map(\.rawValue)) {
            configuration.quoting = TDXProvider.Quoting(rawValue: quoting)!
        }
        configuration.maxQuoteSize = try section.integer("max_quote_size", as: Int.self, in: 1024...(4 << 20)) ?? 0

        var identity = TDIdentity()
        identity.tdAttributes = try section.hexBytes("td_attributes", count: 8) ?? identity.tdAttributes
        identity.xfam = try section.hexBytes("xfam", count: 8) ?? identity.xfam
        identity.mrTD = try section.hexBytes("mrtd", count: 48) ?? identity.mrTD
        identity.mrConfigID = try section.hexBytes("mrconfigid", count: 48) ?? identity.mrConfigID
        identity.mrOwner = try section.hexBytes("mrowner", count: 48) ?? identity.mrOwner
        identity.mrOwnerConfig = try section.hexBytes("mrownerconfig", count: 48) ?? identity.mrOwnerConfig
        // RTMR0–2 are what the boot log replays to, and RTMR3 starts at zero: a value that says
        // otherwise would make the log and every quote disagree.
        for index in 0..<3 {
            let replayed = boot.registers[index]
            if let given = try section.hexBytes("rtmr\(index)", count: 48), given != replayed {
                throw section.invalid(
                    "rtmr\(index)",
                    "RTMR\(index) is the replay of the boot event log, which gives \(replayed.hexString): describe the "
                        + "boot in [tdx.boot] and leave rtmr\(index) out")
            }
            identity.rtmrs[index] = replayed
        }
        if let rtmr3 = try section.hexBytes("rtmr3", count: 48), rtmr3 != identity.rtmrs[3] {
            throw section.invalid(
                "rtmr3",
                "RTMR3 starts at zero on every TD and changes only by extends at run time "
                    + "(measurements/rtmr3:sha384 or the TDX_CMD_EXTEND_RTMR ioctl): leave rtmr3 out")
        }
        identity.mrServiceTD = try section.hexBytes("mrservicetd", count: 48) ?? identity.mrServiceTD
        configuration.identity = identity

        platform.mrSeam = try section.hexBytes("mrseam", count: 48) ?? platform.mrSeam
        platform.teeTCBSVN = try section.hexBytes("tee_tcb_svn", count: 16) ?? platform.teeTCBSVN
        platform.teeTCBSVN2 = try section.hexBytes("tee_tcb_svn2", count: 16) ?? platform.teeTCBSVN2
        platform.fmspc = try section.hexBytes("fmspc", count: 6) ?? platform.fmspc
        platform.sgxTCBComponents = try section.hexBytes("sgx_tcb_components", count: 16) ?? platform.sgxTCBComponents
        platform.pceSVN = try section.integer("pce_svn", as: UInt16.self) ?? platform.pceSVN
        platform.qeISVSVN = try section.integer("qe_svn", as: UInt16.self) ?? platform.qeISVSVN
        if let status = try section.choice("tcb_status", from: TDXPlatform.TCBStatus.allCases.map(\.rawValue)) {
            platform.tcbStatus = TDXPlatform.TCBStatus(rawValue: status)!
        }
        platform.revokedSerials = try section.serialNumbers("revoked_serials") ?? []

        var faults = TDXProvider.FaultSimulation()
        if let service = try section.choice("quote_service", from: ["available", "unavailable"]) {
            faults.serviceUnavailable = service == "unavailable"
        }
        faults.timeout = try section.boolean("quote_timeout") ?? false
        if let old = try section.string("kernel") {
            throw section.invalid(
                "kernel",
                "the kernel version now selects the whole guest ABI: move it to [tsmfs] as kernel = \"\(old)\" "
                    + "(or pass --kernel \(old))")
        }
        faults.emptyOutblobOnFailure = !kernel.quoteFailureIsError
        faults.latencyMilliseconds = try section.integer("latency_ms", as: UInt32.self, in: 0...600_000) ?? 0
        faults.latencyJitterMilliseconds = try section.integer("latency_jitter_ms", as: UInt32.self, in: 0...600_000) ?? 0
        configuration.faults = faults
        configuration.bootEventLog = TDXProvider.BootEventLog(table: boot.table, log: boot.log)
        try section.finish()
        return Settings(configuration: configuration, platform: platform)
    }
}
