import ByteLayout
import SystemPackage

/// Parsers that reproduce the kernel's text conventions byte for byte.
///
/// configfs hands `store()` a NUL-terminated copy of the written bytes, so every parser
/// here sees the input only up to its first NUL, as the C code does.
public enum KernelParsing {
    /// `kstrtouint(s, 0, &val)` from lib/kstrtox.c: an optional `+`, then base 0 (`0x`
    /// hexadecimal, a leading `0` octal, else decimal), at most one trailing newline.
    ///
    /// Errors: `ERANGE` when the digits overflow 64 bits (checked before trailing garbage,
    /// as `_kstrtoull` does) or the value does not fit 32 bits; `EINVAL` otherwise.
    public static func kstrtouint(_ bytes: some Collection<UInt8>) throws(Errno) -> UInt32 {
        let value = try kstrtoull(bytes)
        guard let narrowed = UInt32(exactly: value) else { throw .outOfRange }
        return narrowed
    }

    /// `kstrtoull(s, 0, &val)`.
    public static func kstrtoull(_ bytes: some Collection<UInt8>) throws(Errno) -> UInt64 {
        var s = Array(bytes.prefix { $0 != 0 })[...]
        if s.first == UInt8(ascii: "+") { s = s.dropFirst() }

        var base: UInt64 = 10
        if s.first == UInt8(ascii: "0") {
            let second = s.dropFirst().first.map(lowercased)
            let third = s.dropFirst(2).first
            if second == UInt8(ascii: "x"), let third, digitValue(third).map({ $0 < 16 }) == true {
                base = 16
                s = s.dropFirst(2)
            } else {
                base = 8
            }
        }

        var result: UInt64 = 0
        var overflow = false
        var consumed = 0
        for byte in s {
            guard let digit = digitValue(byte), digit < base else { break }
            let (product, productOverflow) = result.multipliedReportingOverflow(by: base)
            let (sum, sumOverflow) = product.addingReportingOverflow(digit)
            if productOverflow || sumOverflow { overflow = true }
            result = sum
            consumed += 1
        }
        if overflow { throw .outOfRange }
        if consumed == 0 { throw .invalidArgument }
        var rest = s.dropFirst(consumed)
        if rest.first == UInt8(ascii: "\n") { rest = rest.dropFirst() }
        guard rest.isEmpty else { throw .invalidArgument }
        return result
    }

    /// `guid_parse()` from lib/uuid.c: the first 36 bytes must read
    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`; anything after them is ignored.
    /// Returns the 16 bytes in `guid_t` order (first three fields little-endian).
    public static func guidParse(_ bytes: some Collection<UInt8>) throws(Errno) -> [UInt8] {
        // guid_parse stops at the 36th byte (or a NUL before it) and validates exactly that text,
        // which is then a GUID in the RFC 4122 text form: ByteLayout's decoder and byte order apply.
        let text = Array(bytes.prefix { $0 != 0 }.prefix(36))
        guard text.count == 36, let guid = [UInt8](guid: String(decoding: text, as: UTF8.self)) else {
            throw .invalidArgument
        }
        return guid.guidTOrder
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }

    private static func digitValue(_ byte: UInt8) -> UInt64? {
        switch lowercased(byte) {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt64(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt64(lowercased(byte) - UInt8(ascii: "a") + 10)
        default: nil
        }
    }
}
