/// A JSON string literal (RFC 8259): quotes, backslashes and control characters escaped, for
/// documents written field by field in a fixed order (collateral, inspection output).
public func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 { out += hexEscape(scalar.value) } else { out.unicodeScalars.append(scalar) }
        }
    }
    return out + "\""
}

/// `\u00XX` for a control character.
private func hexEscape(_ value: UInt32) -> String {
    let digits = Array("0123456789abcdef")
    return "\\u00" + String(digits[Int(value >> 4)]) + String(digits[Int(value & 0xF)])
}
