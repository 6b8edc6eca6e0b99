import ProviderKit

/// The one provider registered with the tree (the kernel's static `provider`), or none.
///
/// Entries read it on every operation that needs it, so a provider detached at run time
/// makes later generations fail with ENXIO while cached reports stay readable, as in the kernel.
/// Every request that shows, stores, reads a blob or makes an entry reads it, and only
/// registration writes it, so readers share the lock rather than queue for it.
final class ProviderSlot: Sendable {
    private let current: ReadWriteLock<(any ReportProvider)?>

    init(_ provider: (any ReportProvider)?) {
        current = ReadWriteLock(provider)
    }

    var provider: (any ReportProvider)? {
        current.read { $0 }
    }

    func replace(with provider: (any ReportProvider)?) {
        current.write { $0 = provider }
    }
}
