/// Hexadecimal and GUID text, the way evidence, configuration and collateral write bytes.
extension Array where Element == UInt8 {
    /// Bytes from hexadecimal digits (either case, no separators); nil for anything else.
    public init?(hex text: some StringProtocol) {
        // Digit by digit: UInt8(_:radix:) would also take a sign ("+1").
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self = bytes
    }

    /// Lower-case hexadecimal, two digits a byte.
    public var hexString: String { hexString(digits: Self.lowerDigits) }

    /// Upper-case hexadecimal, as Intel's collateral writes it.
    public var upperHexString: String { hexString(digits: Self.upperDigits) }

    private static let lowerDigits = Array("0123456789abcdef".utf8)
    private static let upperDigits = Array("0123456789ABCDEF".utf8)

    private func hexString(digits: [UInt8]) -> String {
        String(decoding: flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] }, as: UTF8.self)
    }

    /// A GUID string's bytes in RFC 4122 order (the hex digits as the string reads); nil if malformed.
    public init?(guid text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.map(\.count) == [8, 4, 4, 4, 12], let bytes = [UInt8](hex: parts.joined()) else { return nil }
        self = bytes
    }

    /// The same GUID in the kernel's `guid_t` order: the first three fields little-endian.
    public var guidTOrder: [UInt8] {
        Array(self[0..<4].reversed()) + Array(self[4..<6].reversed()) + Array(self[6..<8].reversed()) + Array(self[8...])
    }
}
