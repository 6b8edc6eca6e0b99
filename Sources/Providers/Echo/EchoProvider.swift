import ProviderKit
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// The diagnostic provider: its evidence is the request itself, laid out as an
/// ``EchoReport``, so tests can see exactly what the filesystem handed the provider.
/// It does no cryptography, which also makes it the baseline of the benchmarks.
public final class EchoProvider: ReportProvider {
    public struct Configuration: Sendable, Equatable {
        /// What `provider` reads.
        public var name = "tsmfs_echo"
        /// Which attribute files entries get.
        public var profile = AttributeProfile.all
        /// What `privlevel_floor` reads and the lowest accepted `privlevel`.
        public var privlevelFloor: UInt32 = 0
        /// When set, every generation fails with this errno (fault injection).
        public var failure: Errno?
        /// Time every generation takes, in milliseconds.
        public var latencyMilliseconds: UInt32 = 0

        public init() {}
    }

    public let configuration: Configuration
    private let generations = Atomic<UInt64>(0)

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    public var name: String { configuration.name }
    public var privlevelFloor: UInt32 { configuration.privlevelFloor }

    public func isVisible(_ attribute: ReportAttribute) -> Bool {
        configuration.profile.contains(attribute)
    }

    /// How many reports this provider has generated (failures excluded).
    public var generationCount: UInt64 { generations.load(ordering: .relaxed) }

    /// The report carries the request's serial and nothing else that varies.
    public var rebuildsReportsExactly: Bool { true }

    public func generateReport(for request: ReportRequest) throws(ProviderError) -> GeneratedReport {
        if configuration.latencyMilliseconds > 0 {
            usleep(configuration.latencyMilliseconds * 1000)
        }
        if let failure = configuration.failure {
            throw ProviderError(failure, "echo provider configured to fail with \(failure)")
        }
        generations.add(1, ordering: .relaxed)
        return EchoReport(request: request, serial: request.serial).blobs
    }
}
