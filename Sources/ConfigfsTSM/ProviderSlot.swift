import ProviderKit

/// The one provider registered with the tree (the kernel's static `provider`), or none.
///
/// Entries read it on every operation that needs it, so a provider detached at run time
/// makes later generations fail with ENXIO while cached reports stay readable, as in the kernel.
/// Every request that shows, stores, reads a blob or makes an entry reads it, and only
/// registration writes it, so readers share the lock rather than queue for it.
final class ProviderSlot: Sendable {
    /// A registered provider and the attribute files entries made under it get.
    struct Registration {
        let provider: any ReportProvider
        /// Asked of the provider once, at registration, rather than on every mkdir: the answers
        /// depend on the provider and the kernel alone.
        let visibleAttributes: [ReportAttribute]
    }

    private let kernel: KernelProfile
    private let current: ReadWriteLock<Registration?>

    init(_ provider: (any ReportProvider)?, kernel: KernelProfile) {
        self.kernel = kernel
        current = ReadWriteLock(provider.map { Self.register($0, kernel) })
    }

    private static func register(_ provider: any ReportProvider, _ kernel: KernelProfile) -> Registration {
        Registration(provider: provider, visibleAttributes: ReportAttribute.allCases.filter { kernel.shows($0, of: provider) })
    }

    var provider: (any ReportProvider)? {
        current.read { $0?.provider }
    }

    var registration: Registration? {
        current.read { $0 }
    }

    func replace(with provider: (any ReportProvider)?) {
        let registration = provider.map { Self.register($0, kernel) }
        current.write { $0 = registration }
    }
}
