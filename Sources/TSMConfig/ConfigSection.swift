import ByteLayout

/// Typed reading of one `[section]`. Every key read is remembered, so ``finish()`` can
/// reject the keys nobody asked for — usually typos that would otherwise be ignored.
public final class ConfigSection {
    public let name: String
    private let file: ConfigFile
    private let settings: [String: ConfigFile.Setting]
    private var consumed: Set<String> = []

    init(file: ConfigFile, name: String, settings: [String: ConfigFile.Setting]) {
        self.file = file
        self.name = name
        self.settings = settings
    }

    /// An error about `key` (a value valid alone but not with the rest), naming file and line.
    public func invalid(_ key: String, _ message: String) -> ConfigError {
        error(key, message)
    }

    private func error(_ key: String, _ message: String) -> ConfigError {
        ConfigError(
            file: file.name, line: settings[key]?.line ?? file.sectionLines[name],
            message: "\(ConfigFile.qualified(name, key)): \(message)")
    }

    private func value(_ key: String) -> ConfigValue? {
        consumed.insert(key)
        return settings[key]?.value
    }

    public func string(_ key: String) throws(ConfigError) -> String? {
        switch value(key) {
        case nil: return nil
        case .string(let text): return text
        case let other?: throw error(key, "expected a string in double quotes, found \(other.typeName) \(other)")
        }
    }

    public func boolean(_ key: String) throws(ConfigError) -> Bool? {
        switch value(key) {
        case nil: return nil
        case .boolean(let flag): return flag
        case let other?: throw error(key, "expected true or false, found \(other.typeName) \(other)")
        }
    }

    /// An integer within `range`.
    public func integer<T: FixedWidthInteger>(
        _ key: String, as type: T.Type = T.self,
        in range: ClosedRange<T> = T.min...T.max
    ) throws(ConfigError) -> T? {
        switch value(key) {
        case nil: return nil
        case .integer(let number):
            guard let converted = T(exactly: number), range.contains(converted) else {
                throw error(key, "\(number) is out of range (\(range.lowerBound)…\(range.upperBound))")
            }
            return converted
        case let other?: throw error(key, "expected an integer, found \(other.typeName) \(other)")
        }
    }

    /// A string that must be one of `choices`.
    public func choice(_ key: String, from choices: [String]) throws(ConfigError) -> String? {
        guard let text = try string(key) else { return nil }
        guard choices.contains(text) else {
            throw error(key, "\"\(text)\" is not one of \(choices.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
        return text
    }

    /// A value converted by `parse`, which returns `nil` for invalid text described by `expected`.
    public func parsed<T>(_ key: String, expected: String, _ parse: (String) -> T?) throws(ConfigError) -> T? {
        guard let text = try string(key) else { return nil }
        guard let result = parse(text) else { throw error(key, "\"\(text)\" is not \(expected)") }
        return result
    }

    /// Exactly `count` bytes written as hexadecimal digits (upper or lower case).
    public func hexBytes(_ key: String, count: Int) throws(ConfigError) -> [UInt8]? {
        try parsed(key, expected: "\(count) bytes as \(count * 2) hexadecimal digits") { text in
            [UInt8](hex: text).flatMap { $0.count == count ? $0 : nil }
        }
    }

    /// An array of strings.
    public func strings(_ key: String) throws(ConfigError) -> [String]? {
        switch value(key) {
        case nil: return nil
        case .array(let items):
            var strings: [String] = []
            for item in items {
                guard case .string(let text) = item else {
                    throw error(key, "expected an array of strings, found \(item.typeName) \(item) in it")
                }
                strings.append(text)
            }
            return strings
        case .string(let text):
            let items = text.split(separator: ",").map { "\"\($0.filter { $0 != " " })\"" }
            throw error(key, "is an array now: write \(key) = [\(items.joined(separator: ", "))]")
        case let other?: throw error(key, "expected an array of strings, found \(other.typeName) \(other)")
        }
    }

    /// Certificate serial numbers (big-endian bytes), each a hexadecimal string, e.g.
    /// `["02", "7f3a"]`; an odd digit count gets a leading zero.
    public func serialNumbers(_ key: String) throws(ConfigError) -> [[UInt8]]? {
        guard let texts = try strings(key) else { return nil }
        return try texts.map { (text) throws(ConfigError) -> [UInt8] in
            guard let serial = [UInt8](hex: text.count % 2 == 0 ? text : "0" + text), !serial.isEmpty else {
                throw error(key, "\"\(text)\" is not a serial number in hexadecimal, e.g. \"02\"")
            }
            return serial
        }
    }

    /// Fails on keys of this section that no reader asked for.
    public func finish() throws(ConfigError) {
        let unknown = settings.keys.filter { !consumed.contains($0) }.sorted()
        guard let first = unknown.first else { return }
        let known = consumed.sorted().joined(separator: ", ")
        throw error(first, "unknown setting (known here: \(known.isEmpty ? "none" : known))")
    }
}
