import ProviderKit
import SystemPackage
import Testing

@testable import ConfigfsTSM

/// A provider whose reports are larger than the 32 KiB outblob limit kernels had before 7.0.
private final class LargeReportProvider: ReportProvider {
    var name: String { "large" }
    var privlevelFloor: UInt32 { 0 }
    func generateReport(for request: ReportRequest) throws(ProviderError) -> GeneratedReport {
        GeneratedReport(outblob: [UInt8](repeating: 0x5A, count: 40 << 10))
    }
}

/// The tree follows the kernel version it is told: configfs-tsm's presence, the attributes an
/// entry shows, and the largest report a read returns.
@Suite struct KernelProfileTreeTests {
    static let clock: @Sendable () -> Timestamp = { Timestamp(seconds: 1_700_000_000, nanoseconds: 0) }

    @Test func beforeConfigfsTSMTheConfigfsRootIsEmpty() throws {
        let tree = ReportTree(provider: LargeReportProvider(), kernel: KernelProfile("6.6")!, clock: Self.clock)
        #expect(throws: Errno.noSuchFileOrDirectory) { try tree.lookup(parent: .configRoot, name: "tsm") }
        #expect(try tree.listDirectory(.configRoot).map(\.name) == [".", ".."])
        #expect(try tree.nodeStat(of: .configRoot).linkCount == 2)
        #expect(throws: Errno.noSuchFileOrDirectory) { try tree.makeDirectory(parent: .report, name: "r") }
        #expect(throws: Errno.noSuchFileOrDirectory) { try tree.listDirectory(.report) }
    }

    @Test(arguments: [("6.16", false), ("7.0", true)])
    func reportsPastTheOutblobLimitFailWithEFBIG(_ version: String, _ fits: Bool) throws {
        let tree = ReportTree(provider: LargeReportProvider(), kernel: KernelProfile(version)!, clock: Self.clock)
        let entry = try tree.makeEntry("big")
        try tree.writeAll(entry, .inblob, [UInt8](repeating: 1, count: 64))
        if fits {
            #expect(try tree.readAll(entry, .outblob).count == 40 << 10)
        } else {
            #expect(throws: Errno.fileTooLarge) { try tree.readAll(entry, .outblob) }
        }
    }

    /// Until 6.11 every entry shows configfs-tsm's original seven attributes whatever the provider.
    @Test(arguments: [
        ("6.10", ["generation", "provider", "privlevel", "privlevel_floor", "inblob", "outblob", "auxblob"]),
        ("6.11", ["generation", "provider", "inblob", "outblob"]),
    ])
    func visibilityArrivedIn611(_ version: String, _ attributes: [String]) throws {
        final class TDXLike: ReportProvider {
            var name: String { "tdx_guest" }
            var privlevelFloor: UInt32 { 0 }
            func isVisible(_ attribute: ReportAttribute) -> Bool { AttributeProfile.tdx.contains(attribute) }
            func generateReport(for request: ReportRequest) throws(ProviderError) -> GeneratedReport {
                GeneratedReport(outblob: [1])
            }
        }
        let tree = ReportTree(provider: TDXLike(), kernel: KernelProfile(version)!, clock: Self.clock)
        let entry = try tree.makeEntry("e")
        #expect(entry.attributes.map(\.fileName) == attributes)
    }

    @Test func onlyRealVersionsAreProfiles() {
        #expect(KernelProfile("6.6") != nil && KernelProfile("6.19") != nil && KernelProfile("7.1") == .newest)
        for text in ["6.5", "6.20", "7.2", "7", "6.06", " 6.6", ""] { #expect(KernelProfile(text) == nil, "\(text)") }
        #expect(KernelProfile("6.9")! < KernelProfile("6.10")!)
    }
}
