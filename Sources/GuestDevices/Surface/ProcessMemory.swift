import CProcessMemory
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// The memory of the process (thread) that made a request, read and written with
/// `process_vm_readv`/`process_vm_writev`. The daemon needs ptrace access to the caller — root has
/// it; an unprivileged daemon only has it over its own user's processes. Any short or failed
/// transfer is EFAULT, the kernel's answer when `copy_from_user`/`copy_to_user` fails.
///
/// A transfer that does not finish within ``deadline`` (a caller whose memory is a userfaultfd region
/// nobody resolves) is abandoned and answered EFAULT too, so one caller cannot hold the daemon's
/// workers; see process_memory.h for how the copy is made killable.
public struct ProcessMemory: CallerMemory {
    public let pid: pid_t

    /// How long one transfer may take. A resident page copies in microseconds, one swapped out in
    /// milliseconds; seconds mean the caller's memory will not come.
    public static let deadline: Duration = .seconds(2)

    private static let timeoutObserver = Mutex<(@Sendable (pid_t, UInt64) -> Void)?>(nil)

    /// `observer` hears of every timed-out transfer (the caller's pid and address), to log it.
    public static func observeTimeouts(_ observer: @escaping @Sendable (pid_t, UInt64) -> Void) {
        timeoutObserver.withLock { $0 = observer }
    }

    private static func timedOut(_ pid: pid_t, _ address: UInt64) {
        timeoutObserver.withLock { $0 }?(pid, address)
    }

    /// The end of x86-64 user space (`TASK_SIZE_MAX`): `access_ok` refuses anything beyond it.
    public static let userSpaceEnd: UInt64 = 0x7FFF_FFFF_F000

    public init(pid: pid_t) { self.pid = pid }

    private static var deadlineMilliseconds: Int32 { Int32(deadline.components.seconds * 1000) }

    public static func isUserRange(_ address: UInt64, _ count: Int) -> Bool {
        let (end, overflow) = address.addingReportingOverflow(UInt64(count))
        return !overflow && end <= userSpaceEnd
    }

    public func read(_ count: Int, at address: UInt64) throws(Errno) -> [UInt8] {
        guard count > 0 else { return [] }
        guard address != 0, Self.isUserRange(address, count) else { throw .badAddress }
        var bytes = [UInt8](repeating: 0, count: count)
        let transferred = bytes.withUnsafeMutableBytes { buffer in
            tsmfs_read_process_memory(pid, buffer.baseAddress, count, UInt(address), Self.deadlineMilliseconds)
        }
        if transferred < 0 && errno == ETIMEDOUT { Self.timedOut(pid, address) }
        guard transferred == count else { throw .badAddress }
        return bytes
    }

    public func write(_ bytes: [UInt8], at address: UInt64) throws(Errno) {
        guard !bytes.isEmpty else { return }
        guard address != 0, Self.isUserRange(address, bytes.count) else { throw .badAddress }
        let transferred = bytes.withUnsafeBytes { buffer in
            tsmfs_write_process_memory(pid, buffer.baseAddress, bytes.count, UInt(address), Self.deadlineMilliseconds)
        }
        if transferred < 0 && errno == ETIMEDOUT { Self.timedOut(pid, address) }
        guard transferred == bytes.count else { throw .badAddress }
    }
}
