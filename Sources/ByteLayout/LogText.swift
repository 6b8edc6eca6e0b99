extension Sequence<UInt8> {
    /// Bytes a user chose (a file name), for logs and messages: UTF-8 where valid, every other byte
    /// as `\xNN`, and control characters (a newline, an escape sequence, a line separator) escaped
    /// too, so that nobody who can name a file can forge log lines or drive a terminal with it.
    public var escapedForLog: String {
        let bytes = Array(self)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return bytes.map { $0 < 0x7F && $0 >= 0x20 ? String(UnicodeScalar($0)) : "\\x" + [$0].hexString }.joined()
        }
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator, .format:
                escaped +=
                    scalar.value <= 0xFF ? "\\x" + [UInt8(scalar.value)].hexString : "\\u{\(String(scalar.value, radix: 16))}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
