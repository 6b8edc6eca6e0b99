import CProcessMemory
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// The memory of the process (thread) that made a request, read and written with
/// `process_vm_readv`/`process_vm_writev`. The daemon needs ptrace access to the caller — root has
/// it; an unprivileged daemon only has it over its own user's processes. Any short or failed
/// transfer is EFAULT, the kernel's answer when `copy_from_user`/`copy_to_user` fails.
public struct ProcessMemory: CallerMemory {
    public let pid: pid_t

    /// The end of x86-64 user space (`TASK_SIZE_MAX`): `access_ok` refuses anything beyond it.
    public static let userSpaceEnd: UInt64 = 0x7FFF_FFFF_F000

    public init(pid: pid_t) { self.pid = pid }

    public static func isUserRange(_ address: UInt64, _ count: Int) -> Bool {
        let (end, overflow) = address.addingReportingOverflow(UInt64(count))
        return !overflow && end <= userSpaceEnd
    }

    public func read(_ count: Int, at address: UInt64) throws(Errno) -> [UInt8] {
        guard count > 0 else { return [] }
        guard address != 0, Self.isUserRange(address, count) else { throw .badAddress }
        var bytes = [UInt8](repeating: 0, count: count)
        let transferred = bytes.withUnsafeMutableBytes { buffer in
            tsmfs_read_process_memory(pid, buffer.baseAddress, count, UInt(address))
        }
        guard transferred == count else { throw .badAddress }
        return bytes
    }

    public func write(_ bytes: [UInt8], at address: UInt64) throws(Errno) {
        guard !bytes.isEmpty else { return }
        guard address != 0, Self.isUserRange(address, bytes.count) else { throw .badAddress }
        let transferred = bytes.withUnsafeBytes { buffer in
            tsmfs_write_process_memory(pid, buffer.baseAddress, bytes.count, UInt(address))
        }
        guard transferred == bytes.count else { throw .badAddress }
    }
}
