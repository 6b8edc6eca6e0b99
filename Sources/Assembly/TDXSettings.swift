import IntelPKI
import TDXProvider
import TDXQuote
import TSMConfig

/// The `[tdx]` section of the configuration file: the simulated TD, its platform, the quote
/// format and the host faults to simulate. Every value has a working default.
public enum TDXSettings {
    public static func read(_ section: ConfigSection) throws(ConfigError) -> (TDXProvider.Configuration, TDXPlatform) {
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
        for index in 0..<4 {
            identity.rtmrs[index] = try section.hexBytes("rtmr\(index)", count: 48) ?? identity.rtmrs[index]
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
        if let kernel = try section.choice("kernel", from: ["7.1", "7.0"]) {
            faults.emptyOutblobOnFailure = kernel == "7.0"
        }
        faults.latencyMilliseconds = try section.integer("latency_ms", as: UInt32.self, in: 0...600_000) ?? 0
        faults.latencyJitterMilliseconds = try section.integer("latency_jitter_ms", as: UInt32.self, in: 0...600_000) ?? 0
        configuration.faults = faults
        try section.finish()
        return (configuration, platform)
    }
}
