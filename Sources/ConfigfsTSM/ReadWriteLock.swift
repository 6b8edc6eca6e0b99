#if canImport(Glibc)
    import Glibc
#endif

/// A value behind a reader-writer lock. The tree is read by nearly every request (LOOKUP,
/// GETATTR, OPEN) and written only by mkdir, rmdir and chmod, so readers must not queue
/// behind each other as they would behind a mutex.
///
/// A noncopyable `Value` is borrowed in place. A copyable one is copied out of the pointer
/// whenever the compiler cannot prove the body leaves the memory alone, which for a struct
/// of dictionaries is a retain and a release of each on every read.
final class ReadWriteLock<Value: ~Copyable>: @unchecked Sendable {
    // @unchecked: `value` is only touched with `lock` held (shared for reads, exclusive for writes).
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
    /// Behind a pointer rather than in a stored `var`: the lock already makes every access
    /// exclusive, and a stored property would add the runtime's exclusivity bookkeeping (a
    /// thread-local lookup) to each of the several tree reads every request makes.
    private let value = UnsafeMutablePointer<Value>.allocate(capacity: 1)

    init(_ value: consuming Value) {
        self.value.initialize(to: value)
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        // Writers first, so a stream of lookups cannot hold mkdir/rmdir off indefinitely.
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(lock, &attributes)
        pthread_rwlockattr_destroy(&attributes)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
        value.deinitialize(count: 1)
        value.deallocate()
    }

    /// Runs `body` with shared access.
    func read<R, E: Error>(_ body: (borrowing Value) throws(E) -> R) throws(E) -> R {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(value.pointee)
    }

    /// Runs `body` with exclusive access.
    func write<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(&value.pointee)
    }
}
