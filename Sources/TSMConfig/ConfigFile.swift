/// A parsed configuration file: TOML's `[table]` headers and `key = value` lines, values by TOML's
/// grammar (``TOMLValueParser``); `#` starts a comment. Every file this reads, Python's tomllib
/// reads the same; what TOML has beyond (dotted and quoted keys, arrays of tables, multi-line
/// values) is refused by name rather than misread.
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
            let line = rawLine.trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") {
                let header = Self.strippingComment(Substring(line)).trimmingSpaces()
                if header.hasPrefix("[[") { throw fail("arrays of tables ([[…]]) are not used by any setting") }
                guard header.hasSuffix("]") else { throw fail("section header must end with ']'") }
                let section = String(header.dropFirst().dropLast()).trimmingSpaces()
                // A dotted header names a table inside another ([tdx.boot]), as TOML reads it.
                let parts = section.split(separator: ".", omittingEmptySubsequences: false)
                guard !section.isEmpty, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(Self.isKeyCharacter) }) else {
                    throw fail("invalid section name '\(section)': use letters, digits, '_' and '-' (and '.' between names)")
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
            guard !key.isEmpty, key.allSatisfy(Self.isKeyCharacter) else {
                if key.contains(".") || key.hasPrefix("\"") || key.hasPrefix("'") {
                    throw fail("invalid key '\(key)': dotted and quoted keys are not used by any setting")
                }
                throw fail("invalid key '\(key)': use letters, digits, '_' and '-'")
            }
            let value: ConfigValue
            do {
                value = try TOMLValueParser.parse(line[line.index(after: equals)...])
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

    /// A header line without its comment (headers hold no strings).
    private static func strippingComment(_ line: Substring) -> Substring {
        line.firstIndex(of: "#").map { line[..<$0] } ?? line
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
