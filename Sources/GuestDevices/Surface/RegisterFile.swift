import SystemPackage

/// A measurement register as tsm-mr shows it in sysfs: a binary attribute of fixed size whose
/// read returns the current value and whose write, if allowed, extends it with exactly
/// ``size`` bytes.
public protocol RegisterFile: Sendable {
    /// The file name (`rtmr0:sha384`, `mrconfigid`).
    var name: String { get }
    /// The register's width in bytes: its `st_size`.
    var size: Int { get }
    var isWritable: Bool { get }
    /// The current value, ``size`` bytes.
    func value() throws(Errno) -> [UInt8]
    /// Extends the register with `data` (``size`` bytes).
    func extend(with data: [UInt8]) throws(Errno)
}

/// sysfs's handling of binary attributes around a register (`sysfs_kf_bin_read` and
/// `sysfs_kf_bin_write` clamping to the file size, then tsm-mr's whole-value rule), free of FUSE.
public enum SysfsBinaryAttribute {
    /// kernfs clamps one write to a page before sysfs clamps it to the file size.
    public static let pageSize = 4096

    /// A read of `count` bytes at `offset`: clamped to the register, empty at or past its end.
    public static func read(_ register: any RegisterFile, count: Int, at offset: Int) throws(Errno) -> [UInt8] {
        guard count > 0, offset < register.size else { return [] }
        let value = try register.value()
        return Array(value[offset..<min(register.size, offset + count)])
    }

    /// A write of `data` at `offset`: EFBIG at or past the end; otherwise clamped to the file, and
    /// tsm-mr refuses anything but exactly the whole register at offset 0 (EINVAL). Returns the
    /// count consumed (the register's size: a longer write is short, as on the kernel).
    public static func write(_ register: any RegisterFile, _ data: [UInt8], at offset: Int) throws(Errno) -> Int {
        if offset >= register.size { throw .fileTooLarge }
        let count = min(min(data.count, pageSize), register.size - offset)
        if count == 0 { return 0 }
        guard offset == 0, count == register.size else { throw .invalidArgument }
        try register.extend(with: Array(data[0..<count]))
        return count
    }
}
