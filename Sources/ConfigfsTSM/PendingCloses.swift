import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The inblob descriptors of one entry that were closed (FUSE FLUSH) with uncommitted writes and
/// whose RELEASE has not arrived yet.
///
/// configfs commits an inblob at the last close of its open file description. FUSE sends FLUSH on
/// every close(2) — a dup's, a forked child's — and RELEASE, asynchronously, only at the last one.
/// So a FLUSH marks the descriptor here, RELEASE commits and clears it, and every operation that
/// observes the entry's state first waits for the marks to clear. After a last close the RELEASE
/// follows within microseconds, and the writer's next operation sees its commit exactly as with
/// the kernel; after any other close no RELEASE comes, the wait runs out, and nothing was committed,
/// which is again the kernel's answer.
final class PendingCloses: @unchecked Sendable {
    // @unchecked: every field is guarded by `mutex`.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// The descriptors closed with uncommitted writes: rarely more than one.
    private var pending = MostlyOneList<ObjectIdentifier>()
    /// `pending.count`, readable without the mutex: nearly every observation finds nothing
    /// pending and must not pay for a lock.
    private let pendingCount = Atomic<Int>(0)
    /// How long an observer waits for a RELEASE before it decides the close was not the last.
    let patience: Duration
    static let yieldsBeforeSleeping = 16

    init(patience: Duration) {
        self.patience = patience
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    private func locked<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// A close with uncommitted writes: its RELEASE may follow.
    func closed(_ descriptor: ObjectIdentifier) {
        locked {
            guard pending.insert(descriptor) else { return }
            pendingCount.add(1, ordering: .releasing)
        }
    }

    /// The descriptor was written again (so that close was not its last), or it was released.
    func settled(_ descriptor: ObjectIdentifier) {
        // Every inblob write and release lands here and nearly always nothing is pending: then
        // there is nothing to remove and nobody to wake. A close marked concurrently is ordered
        // after this call, as if it had come a moment later.
        guard pendingCount.load(ordering: .acquiring) > 0 else { return }
        locked {
            guard pending.remove(descriptor) else { return }
            pendingCount.subtract(1, ordering: .releasing)
            pthread_cond_broadcast(condition)
        }
    }

    /// Waits until no close is pending, at most `patience`; closes still pending then were not
    /// last closes and are forgotten (their descriptors commit when they are finally released).
    func wait() {
        guard pendingCount.load(ordering: .acquiring) > 0 else { return }
        // The RELEASE is usually being handled on the other core right now: yielding a few times
        // costs less than a sleep and a wake-up.
        for _ in 0..<Self.yieldsBeforeSleeping {
            sched_yield()
            if pendingCount.load(ordering: .acquiring) == 0 { return }
        }
        locked {
            guard !pending.isEmpty else { return }
            var deadline = timespec()
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            let (seconds, attoseconds) = patience.components
            let nanoseconds = deadline.tv_nsec + Int(attoseconds / 1_000_000_000)
            deadline.tv_sec += Int(seconds) + nanoseconds / 1_000_000_000
            deadline.tv_nsec = nanoseconds % 1_000_000_000
            while !pending.isEmpty {
                if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT {
                    pendingCount.subtract(pending.count, ordering: .releasing)
                    pending.removeAll()
                }
            }
        }
    }
}
