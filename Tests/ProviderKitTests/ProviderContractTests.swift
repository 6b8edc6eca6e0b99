import ByteLayout
import ProviderKit
import SystemPackage
import Testing

/// The provider contract: the attribute files and their kernel kinds, the kernel providers'
/// attribute sets, the request a provider receives and the report it returns.
@Suite struct ProviderContractTests {
    @Test func attributesAreTheKernelsInCreationOrder() {
        #expect(
            ReportAttribute.allCases.map(\.fileName) == [
                "generation", "provider", "privlevel", "privlevel_floor", "service_provider", "service_guid",
                "service_manifest_version", "inblob", "outblob", "auxblob", "manifestblob",
            ])
        #expect(ReportAttribute.allCases.filter(\.isBinary) == [.inblob, .outblob, .auxblob, .manifestblob])
        #expect(ReportAttribute.allCases.filter(\.isReportBlob) == [.outblob, .auxblob, .manifestblob])
    }

    @Test func profilesAreTheKernelProvidersVisibleSets() {
        func visible(_ profile: AttributeProfile) -> [String] {
            ReportAttribute.allCases.filter { profile.contains($0) }.map(\.fileName)
        }
        #expect(visible(.tdx) == ["generation", "provider", "inblob", "outblob"])
        #expect(visible(.sev) == ["generation", "provider", "privlevel", "privlevel_floor", "inblob", "outblob", "auxblob"])
        #expect(visible(.sevSVSM) == ReportAttribute.allCases.map(\.fileName))
        #expect(visible(.all) == ReportAttribute.allCases.map(\.fileName))
    }

    @Test func aRequestStartsAsTheKernelsZeroedDescriptor() {
        let request = ReportRequest()
        #expect(request.inblob.isEmpty && request.privlevel == 0 && request.serviceProvider == nil)
        #expect(request.serviceGUID == [UInt8](repeating: 0, count: 16) && request.serviceManifestVersion == 0)
        #expect(request.serial == 0 && request.generation == 0)
        #expect(ReportRequest(serviceProvider: Array("svsm".utf8)).serviceProviderName == "svsm")
        #expect(ReportRequest(serviceProvider: [0xFF]).serviceProviderName == nil)
    }

    @Test func aReportServesEachBlobAndCountsItsBytes() {
        let report = GeneratedReport(outblob: Blob(segments: [[1, 2], [3]]), auxblob: Blob([4]))
        #expect(report.blob(for: .outblob).bytes == [1, 2, 3] && report.outblob == [1, 2, 3])
        #expect(report.blob(for: .auxblob).bytes == [4] && report.manifestblob.isEmpty)
        #expect(report.byteCount == 4)
    }

    final class Minimal: ReportProvider {
        var name: String { "minimal" }
        var privlevelFloor: UInt32 { 0 }
        func generateReport(for request: ReportRequest) throws(ProviderError) -> GeneratedReport {
            GeneratedReport(outblob: request.inblob)
        }
    }

    @Test func defaultsAreTheSafeOnes() {
        // No visibility rules: every file, as the kernel with NULL callbacks. No promise of exact
        // rebuilds: the core must keep such reports cached.
        #expect(ReportAttribute.allCases.allSatisfy { Minimal().isVisible($0) })
        #expect(!Minimal().rebuildsReportsExactly)
    }

    @Test func faultErrnoNamesAreTheCNames() {
        #expect(Errno(reportErrorName: "EIO") == .ioError)
        #expect(Errno(reportErrorName: "etimedout") == .timedOut)
        #expect(Errno(reportErrorName: "ENOTTY") == .inappropriateIOCTLForDevice)
        #expect(Errno(reportErrorName: "EWHATEVER") == nil)
        #expect(ProviderError(.ioError, "why").description == "why (\(Errno.ioError))")
    }
}
