import ByteLayout

/// The ACPI "CC Event Log" table (ACPI 6.5 §5.2.34): a 36-byte ACPI header, the CC type, and
/// where the log area is. These are the bytes /sys/firmware/acpi/tables/CCEL shows, with the
/// OEM fields TDVF writes.
public struct CCELTable: Sendable, Equatable {
    public static let size = 56

    /// ACPI's CC types: 2 is Intel TDX.
    public static let ccTypeTDX: UInt8 = 2

    /// Log area minimum length (LAML): the size of /sys/firmware/acpi/tables/data/CCEL.
    public var logAreaLength: UInt64
    /// Log area start address (LASA): guest-physical; no client reads it.
    public var logAreaStart: UInt64

    public init(logAreaLength: UInt64 = UInt64(CCEventLog.defaultAreaLength), logAreaStart: UInt64 = 0x7D64_9000) {
        self.logAreaLength = logAreaLength
        self.logAreaStart = logAreaStart
    }

    public enum Offset {
        public static let signature = 0
        public static let length = 4
        public static let revision = 8
        public static let checksum = 9
        public static let oemID = 10
        public static let oemTableID = 16
        public static let oemRevision = 24
        public static let creatorID = 28
        public static let creatorRevision = 32
        public static let ccType = 36
        public static let ccSubtype = 37
        public static let logAreaLength = 40
        public static let logAreaStart = 48
    }

    public var bytes: [UInt8] {
        var out = Array("CCEL".utf8)
        out.appendLittleEndian(UInt32(Self.size))
        out += [1, 0]  // revision, checksum (filled below)
        out += Array("INTEL ".utf8) + Array("EDK2    ".utf8)
        out.appendLittleEndian(UInt32(2))  // OEM revision
        out += Array("    ".utf8)  // creator ID
        out.appendLittleEndian(UInt32(0x0100_0013))  // creator revision
        out += [Self.ccTypeTDX, 0, 0, 0]  // CC type, subtype, reserved
        out.appendLittleEndian(logAreaLength)
        out.appendLittleEndian(logAreaStart)
        // ACPI: all bytes of the table sum to zero modulo 256.
        out[Offset.checksum] = UInt8(truncatingIfNeeded: 256 - out.reduce(0) { ($0 + Int($1)) % 256 })
        return out
    }
}
