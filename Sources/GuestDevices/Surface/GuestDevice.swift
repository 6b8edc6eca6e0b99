import SystemPackage

/// A vendor guest device (`/dev/tdx_guest`, `/dev/sev-guest`): a misc character device whose only
/// operation is ioctl. Served as a regular file in a FUSE mount, it receives *restricted* ioctls:
/// the kernel copies `_IOC_SIZE(command)` bytes of the argument in and out; anything the argument
/// points to the device reads and writes itself through ``CallerMemory``.
public protocol GuestDevice: Sendable {
    /// The device's name under /dev.
    var name: String { get }

    /// Handles one ioctl. `argument` is the caller's pointer, `input` the bytes the kernel copied
    /// from it (`_IOC_SIZE(command)` for commands that write, else empty).
    func ioctl(_ command: UInt32, argument: UInt64, input: [UInt8], memory: any CallerMemory) -> IoctlOutcome
}

/// The result of an ioctl: a return value, and the bytes the kernel copies back to the argument.
public struct IoctlOutcome: Sendable, Equatable {
    /// 0 or a negative errno, as the driver's handler returns it.
    public var result: Int32
    /// Copied back to the argument (at most `_IOC_SIZE(command)` bytes), even with a failure.
    public var output: [UInt8]

    public init(result: Int32, output: [UInt8] = []) {
        self.result = result
        self.output = output
    }

    public static func success(_ output: [UInt8] = []) -> IoctlOutcome { IoctlOutcome(result: 0, output: output) }
    public static func failure(_ errno: Errno, output: [UInt8] = []) -> IoctlOutcome {
        IoctlOutcome(result: -errno.rawValue, output: output)
    }
}

/// The calling process's memory, where ioctl arguments point. Reads and writes that the kernel's
/// `copy_from_user`/`copy_to_user` would fail on fail with EFAULT.
public protocol CallerMemory: Sendable {
    func read(_ count: Int, at address: UInt64) throws(Errno) -> [UInt8]
    func write(_ bytes: [UInt8], at address: UInt64) throws(Errno)
}

/// `_IOC` decoding (x86-64, asm-generic): direction in bits 30–31, size in 16–29.
public enum IoctlNumber {
    public static func size(_ command: UInt32) -> Int { Int((command >> 16) & 0x3FFF) }
    /// Userspace writes the argument (`_IOC_WRITE`): the kernel copies it in.
    public static func copiesIn(_ command: UInt32) -> Bool { command & (1 << 30) != 0 }
    /// Userspace reads the argument (`_IOC_READ`): the kernel copies it out.
    public static func copiesOut(_ command: UInt32) -> Bool { command & (2 << 30) != 0 }
}
