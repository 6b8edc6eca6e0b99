#if canImport(Glibc)
    import Glibc
#endif

/// Which mount a path shows, by the device number of its superblock ("major:minor", field 3 of
/// /proc/self/mountinfo). Every FUSE connection gets a device of its own, so a daemon can tell its
/// mount from a newer one at the same path — without a request to itself, which a stat would be.
public enum MountIdentity {
    /// The device of the topmost mount at exactly `path`, or nil if nothing is mounted there.
    static func device(at path: String) -> String? {
        guard let file = fopen("/proc/self/mountinfo", "r") else { return nil }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        var device: String?
        while getline(&line, &capacity, file) > 0 {
            let fields = String(cString: line!).split(separator: " ")
            guard fields.count > 4, unescape(fields[4]) == path else { continue }
            device = String(fields[2])
        }
        return device
    }

    /// /proc/self/mounts and mountinfo write space, tab, newline and backslash as octal escapes.
    public static func unescape(_ field: Substring) -> String {
        var bytes: [UInt8] = []
        var rest = Array(field.utf8)[...]
        while let byte = rest.first {
            if byte == UInt8(ascii: "\\"), rest.count >= 4,
                let value = UInt8(String(decoding: rest.dropFirst().prefix(3), as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                rest = rest.dropFirst(4)
            } else {
                bytes.append(byte)
                rest = rest.dropFirst()
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
