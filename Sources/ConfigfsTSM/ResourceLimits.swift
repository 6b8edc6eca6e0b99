import Dispatch
import Synchronization
import SystemPackage

/// Caps that keep a long-running mount bounded, whatever its clients do.
public struct ResourceLimits: Sendable, Equatable {
    /// Report entries that may exist at once; mkdir beyond it fails with ENOMEM, the error the
    /// kernel's allocation failure gives.
    public var maxEntries: Int
    /// Report generations that may run at once; further readers wait, as they wait for the
    /// kernel's lock. The wait is bounded by libfuse's worker threads, so nothing queues without end.
    public var maxConcurrentGenerations: Int
    /// Bytes of generated reports kept cached across entries. Past it, the least recently
    /// generated caches are dropped; those entries generate afresh when next read.
    public var maxCachedBytes: Int

    public init(maxEntries: Int = 100_000, maxConcurrentGenerations: Int = 8, maxCachedBytes: Int = 256 << 20) {
        self.maxEntries = maxEntries
        self.maxConcurrentGenerations = maxConcurrentGenerations
        self.maxCachedBytes = maxCachedBytes
    }

    public static let defaults = ResourceLimits()
}

/// The shared side of the limits: the generation gate and the cache accounting.
final class ResourceBudget: Sendable {
    let limits: ResourceLimits
    private let generationSlots: DispatchSemaphore
    private let cachedBytes = Atomic<Int>(0)
    private let generationClock = Atomic<UInt64>(0)
    private let serials = Atomic<UInt64>(0)
    /// Called (outside any entry lock) when the cache is over its cap.
    let overCap = Mutex<(@Sendable () -> Void)?>(nil)

    init(_ limits: ResourceLimits) {
        self.limits = limits
        self.generationSlots = DispatchSemaphore(value: max(1, limits.maxConcurrentGenerations))
    }

    /// Runs one provider generation within the concurrency cap.
    func generating<T>(_ body: () throws(Errno) -> T) throws(Errno) -> T {
        generationSlots.wait()
        defer { generationSlots.signal() }
        return try body()
    }

    /// A monotonically increasing stamp, to find the least recently generated caches.
    func nextStamp() -> UInt64 { generationClock.add(1, ordering: .relaxed).newValue }

    /// The next report serial (``ReportRequest/serial``): 1 for the mount's first generation.
    func nextSerial() -> UInt64 { serials.add(1, ordering: .relaxed).newValue }

    /// Records a change in cached bytes; reports whether the cache is now over its cap.
    func account(_ delta: Int) -> Bool {
        cachedBytes.add(delta, ordering: .relaxed).newValue > limits.maxCachedBytes
    }

    var totalCachedBytes: Int { cachedBytes.load(ordering: .relaxed) }
}
