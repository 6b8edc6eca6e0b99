/// Reads one TOML value from the text after `key =` (comment included), by TOML 1.0's grammar for
/// the kinds a configuration uses: booleans, integers (decimal, `0x`, `0o`, `0b`, `_` only between
/// digits, a sign only on decimals, no leading zeros), basic strings with TOML's escapes, literal
/// strings, and arrays of these over one line. What TOML forbids is refused; what TOML allows but no
/// setting uses (floats, dates, inline tables, multi-line strings) is refused by name.
struct TOMLValueParser {
    struct Failure: Error { var message: String }

    private let characters: [Unicode.Scalar]
    private var position = 0

    /// The value, and nothing but a comment or white space after it.
    static func parse(_ text: Substring) throws(Failure) -> ConfigValue {
        var parser = TOMLValueParser(characters: Array(text.unicodeScalars))
        parser.skipSpaces()
        guard !parser.atEnd, parser.peek != "#" else { throw Failure(message: "missing value after '='") }
        let value = try parser.value(depth: 0)
        parser.skipSpaces()
        if !parser.atEnd && parser.peek != "#" {
            throw Failure(message: "unexpected '\(parser.rest)' after the value")
        }
        return value
    }

    private init(characters: [Unicode.Scalar]) { self.characters = characters }

    private var atEnd: Bool { position >= characters.count }
    private var peek: Unicode.Scalar? { atEnd ? nil : characters[position] }
    private var rest: String { String(String.UnicodeScalarView(characters[position...])) }

    private mutating func skipSpaces() {
        while let next = peek, next == " " || next == "\t" || next == "\r" { position += 1 }
    }

    private mutating func value(depth: Int) throws(Failure) -> ConfigValue {
        guard depth < 32 else { throw Failure(message: "arrays nested too deeply") }
        switch peek {
        case "\"":
            if characters[position...].starts(with: ["\"", "\"", "\""]) {
                throw Failure(message: "multi-line strings are not used by any setting: write the value on one line")
            }
            return .string(try basicString())
        case "'":
            if characters[position...].starts(with: ["'", "'", "'"]) {
                throw Failure(message: "multi-line strings are not used by any setting: write the value on one line")
            }
            return .string(try literalString())
        case "[": return try array(depth: depth)
        case "{": throw Failure(message: "inline tables are not used by any setting")
        default: return try bareValue()
        }
    }

    private mutating func array(depth: Int) throws(Failure) -> ConfigValue {
        position += 1
        var items: [ConfigValue] = []
        while true {
            skipSpaces()
            if peek == "#" { throw Failure(message: "arrays are written on one line here; a comment ends this one early") }
            guard let next = peek else { throw Failure(message: "unterminated array: add the closing ']'") }
            if next == "]" {
                position += 1
                return .array(items)
            }
            items.append(try value(depth: depth + 1))
            skipSpaces()
            switch peek {
            case ",": position += 1
            case "]": continue
            default: throw Failure(message: "array items are separated by ',' and the array ends with ']'")
            }
        }
    }

    /// A basic string: TOML's escapes `\b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX`, no control characters.
    private mutating func basicString() throws(Failure) -> String {
        position += 1
        var result = String.UnicodeScalarView()
        while let character = peek {
            position += 1
            switch character {
            case "\"": return String(result)
            case "\\":
                guard let escape = peek else { break }
                position += 1
                switch escape {
                case "b": result.append("\u{8}")
                case "t": result.append("\t")
                case "n": result.append("\n")
                case "f": result.append("\u{C}")
                case "r": result.append("\r")
                case "\"": result.append("\"")
                case "\\": result.append("\\")
                case "u", "U":
                    let count = escape == "u" ? 4 : 8
                    let digits = String(String.UnicodeScalarView(characters[position..<min(characters.count, position + count)]))
                    guard digits.count == count, let code = UInt32(digits, radix: 16), let scalar = Unicode.Scalar(code) else {
                        throw Failure(message: "\\\(escape) needs \(count) hexadecimal digits of a Unicode scalar value")
                    }
                    position += count
                    result.append(scalar)
                default: throw Failure(message: "unknown escape '\\\(escape)' in string")
                }
            default:
                guard !Self.isControl(character) || character == "\t" else {
                    throw Failure(message: "control character in string: write it as an escape")
                }
                result.append(character)
            }
        }
        throw Failure(message: "unterminated string: add the closing '\"'")
    }

    /// A literal string: everything up to the next single quote, as written.
    private mutating func literalString() throws(Failure) -> String {
        position += 1
        var result = String.UnicodeScalarView()
        while let character = peek {
            position += 1
            if character == "'" { return String(result) }
            guard !Self.isControl(character) || character == "\t" else {
                throw Failure(message: "control character in string")
            }
            result.append(character)
        }
        throw Failure(message: "unterminated string: add the closing \"'\"")
    }

    private static func isControl(_ character: Unicode.Scalar) -> Bool {
        character.value < 0x20 || character.value == 0x7F
    }

    /// `true`, `false` or an integer, up to the next space, comma, bracket or comment.
    private mutating func bareValue() throws(Failure) -> ConfigValue {
        let start = position
        while let next = peek, !" \t\r,]#".unicodeScalars.contains(next) { position += 1 }
        let text = String(String.UnicodeScalarView(characters[start..<position]))
        if text == "true" { return .boolean(true) }
        if text == "false" { return .boolean(false) }
        if let number = try Self.integer(text) { return .integer(number) }
        if text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
            || ["inf", "+inf", "-inf", "nan", "+nan", "-nan"].contains(text)
        {
            throw Failure(message: "\(text) is a float, which no setting uses: write an integer")
        }
        if text.count >= 10, text.dropFirst(4).first == "-", text.prefix(4).allSatisfy(\.isNumber) {
            throw Failure(message: "\(text) is a date, which no setting uses")
        }
        throw Failure(
            message: "cannot read \(text) as a value: strings need quotes (\"…\" or '…'), integers are decimal, 0x, 0o or "
                + "0b, booleans are true/false, lists are [ … ]")
    }

    /// A TOML integer, or nil when `text` does not look like one; out of range is an error.
    private static func integer(_ text: String) throws(Failure) -> Int64? {
        var body = Substring(text)
        var negative = false
        if let sign = body.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        let radix: Int
        switch body.prefix(2) {
        case "0x": radix = 16
        case "0o": radix = 8
        case "0b": radix = 2
        default: radix = 10
        }
        if radix != 10 {
            guard text.first != "+" && text.first != "-" else {
                if isDigits(body.dropFirst(2), radix: radix) {
                    throw Failure(message: "\(text): TOML allows a sign only on decimal integers")
                }
                return nil
            }
            body = body.dropFirst(2)
        }
        guard isDigits(body, radix: radix) else { return nil }
        if radix == 10 && body.count > 1 && body.first == "0" {
            throw Failure(message: "\(text): TOML does not allow leading zeros")
        }
        guard let magnitude = UInt64(body.filter { $0 != "_" }, radix: radix) else {
            throw Failure(message: "\(text) is out of range")
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw Failure(message: "\(text) is out of range") }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw Failure(message: "\(text) is out of range") }
        return Int64(magnitude)
    }

    /// Digits of `radix` with `_` only between two of them.
    private static func isDigits(_ text: Substring, radix: Int) -> Bool {
        guard let first = text.first, let last = text.last, first != "_", last != "_", !text.contains("__") else { return false }
        return text.allSatisfy { $0 == "_" || ($0.hexDigitValue.map { $0 < radix } ?? false) }
    }
}
