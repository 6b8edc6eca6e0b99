import ProviderKit
import Synchronization

/// The one provider registered with the tree (the kernel's static `provider`), or none.
///
/// Entries read it on every operation that needs it, so a provider detached at run time
/// makes later generations fail with ENXIO while cached reports stay readable, as in the kernel.
final class ProviderSlot: Sendable {
    private let current: Mutex<(any ReportProvider)?>

    init(_ provider: (any ReportProvider)?) {
        current = Mutex(provider)
    }

    var provider: (any ReportProvider)? {
        current.withLock { $0 }
    }

    func replace(with provider: (any ReportProvider)?) {
        current.withLock { $0 = provider }
    }
}
