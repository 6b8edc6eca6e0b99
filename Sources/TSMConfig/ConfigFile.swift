/// A parsed configuration file: a TOML subset of `[section]` headers and `key = value`
/// lines, where a value is a double-quoted string, an integer (decimal or `0x` hex, `_`
/// separators allowed) or `true`/`false`; `#` starts a comment.
public struct ConfigFile: Sendable {
    struct Setting: Sendable {
        var value: ConfigValue
        var line: Int
    }

    /// The file name used in messages.
    public let name: String
    var sections: [String: [String: Setting]]
    var sectionLines: [String: Int]

    /// Parses `text`; `name` is the path quoted in error messages.
    public init(parsing text: String, name: String) throws(ConfigError) {
        self.name = name
        var sections: [String: [String: Setting]] = ["": [:]]
        var sectionLines: [String: Int] = [:]
        var current = ""
        // "\r\n" is one Character to Swift, so a split on "\n" alone would not split CRLF lines.
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        for (index, rawLine) in lines.enumerated() {
            let lineNumber = index + 1
            func fail(_ message: String) -> ConfigError { ConfigError(file: name, line: lineNumber, message: message) }
            let line = Self.strippingComment(rawLine).trimmingSpaces()
            if line.isEmpty { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { throw fail("section header must end with ']'") }
                let section = String(line.dropFirst().dropLast()).trimmingSpaces()
                guard !section.isEmpty, section.allSatisfy(Self.isKeyCharacter) else {
                    throw fail("invalid section name '\(section)': use letters, digits, '_' and '-'")
                }
                guard sectionLines[section] == nil else {
                    throw fail("section [\(section)] appears twice (first on line \(sectionLines[section]!))")
                }
                sectionLines[section] = lineNumber
                sections[section, default: [:]] = [:]
                current = section
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw fail("expected 'key = value' or '[section]', found '\(line)'")
            }
            let key = String(line[..<equals]).trimmingSpaces()
            let valueText = String(line[line.index(after: equals)...]).trimmingSpaces()
            guard !key.isEmpty, key.allSatisfy(Self.isKeyCharacter) else {
                throw fail("invalid key '\(key)': use letters, digits, '_' and '-'")
            }
            let value: ConfigValue
            do {
                value = try Self.parseValue(valueText)
            } catch {
                throw fail("\(Self.qualified(current, key)): \(error.message)")
            }
            if let earlier = sections[current]?[key] {
                throw fail("\(Self.qualified(current, key)) is set twice (first on line \(earlier.line))")
            }
            sections[current, default: [:]][key] = Setting(value: value, line: lineNumber)
        }
        self.sections = sections
        self.sectionLines = sectionLines
    }

    /// An empty configuration (every setting at its default).
    public static func empty(name: String = "(defaults)") -> ConfigFile {
        try! ConfigFile(parsing: "", name: name)
    }

    /// Reads one section; a missing section reads as empty.
    public func section(_ name: String) -> ConfigSection {
        ConfigSection(file: self, name: name, settings: sections[name] ?? [:])
    }

    /// The sections present in the file (excluding the unnamed top level).
    public var sectionNames: [String] { sections.keys.filter { !$0.isEmpty }.sorted() }

    /// Rejects every section not in `known`, and any setting before the first section header,
    /// naming the file and the line: a misspelt `[section]` would otherwise be ignored whole.
    public func checkSections(known: [String]) throws(ConfigError) {
        if let (key, setting) = sections[""]?.min(by: { $0.value.line < $1.value.line }) {
            throw ConfigError(
                file: name, line: setting.line,
                message: "\(key) is outside any section; put it under one of "
                    + known.map { "[\($0)]" }.joined(separator: ", "))
        }
        if let (section, line) = sectionLines.filter({ !known.contains($0.key) }).min(by: { $0.value < $1.value }) {
            throw ConfigError(
                file: name, line: line,
                message: "unknown section [\(section)] (known: \(known.joined(separator: ", ")))")
        }
    }

    static func qualified(_ section: String, _ key: String) -> String {
        section.isEmpty ? key : "[\(section)] \(key)"
    }

    private static func isKeyCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == "-")
    }

    private static func strippingComment(_ line: Substring) -> Substring {
        var inString = false
        var escaped = false
        for index in line.indices {
            let character = line[index]
            if escaped {
                escaped = false
                continue
            }
            if character == "\\" && inString {
                escaped = true
                continue
            }
            if character == "\"" { inString.toggle() }
            if character == "#" && !inString { return line[..<index] }
        }
        return line
    }

    struct ValueError: Error { var message: String }

    private static func parseValue(_ text: String) throws(ValueError) -> ConfigValue {
        if text.isEmpty { throw ValueError(message: "missing value after '='") }
        if text == "true" { return .boolean(true) }
        if text == "false" { return .boolean(false) }
        if text.hasPrefix("\"") { return .string(try parseString(text)) }
        var digits = String(text.filter { $0 != "_" })
        var negative = false
        if digits.hasPrefix("-") {
            negative = true
            digits.removeFirst()
        } else if digits.hasPrefix("+") {
            digits.removeFirst()
        }
        let isHex = digits.lowercased().hasPrefix("0x")
        let body = isHex ? String(digits.dropFirst(2)) : digits
        let isWellFormed = !body.isEmpty && body.allSatisfy { isHex ? $0.isHexDigit : ("0"..."9").contains($0) }
        let magnitude = isWellFormed ? UInt64(body, radix: isHex ? 16 : 10) : nil
        if isWellFormed && magnitude == nil { throw ValueError(message: "\(text) is out of range") }
        guard let magnitude else {
            throw ValueError(
                message:
                    "cannot read \(text) as a value: strings need double quotes, numbers are decimal or 0x hex, booleans are true/false"
            )
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw ValueError(message: "\(text) is out of range") }
            return .integer(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude))
        }
        guard magnitude <= UInt64(Int64.max) else { throw ValueError(message: "\(text) is out of range") }
        return .integer(Int64(magnitude))
    }

    private static func parseString(_ text: String) throws(ValueError) -> String {
        var result = ""
        var iterator = text.dropFirst().makeIterator()
        while let character = iterator.next() {
            switch character {
            case "\"":
                let rest = String(IteratorSequence(iterator)).trimmingSpaces()
                guard rest.isEmpty else { throw ValueError(message: "unexpected '\(rest)' after the closing quote") }
                return result
            case "\\":
                switch iterator.next() {
                case "\"": result.append("\"")
                case "\\": result.append("\\")
                case "n": result.append("\n")
                case "t": result.append("\t")
                case let other?: throw ValueError(message: "unknown escape '\\\(other)' in string")
                case nil: throw ValueError(message: "unterminated string")
                }
            default:
                guard !character.isASCII || character.asciiValue! >= 0x20 else {
                    throw ValueError(message: "control character in string")
                }
                result.append(character)
            }
        }
        throw ValueError(message: "unterminated string: add the closing '\"'")
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = lastIndex(where: { !isSpace($0) })!
        return String(self[first...last])
    }
}
