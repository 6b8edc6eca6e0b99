/// A value in a configuration file.
public enum ConfigValue: Equatable, Sendable, CustomStringConvertible {
    case string(String)
    case integer(Int64)
    case boolean(Bool)
    case array([ConfigValue])

    public var description: String {
        switch self {
        case .string(let text): "\"\(text)\""
        case .integer(let number): String(number)
        case .boolean(let flag): String(flag)
        case .array(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
        }
    }

    var typeName: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .boolean: "a boolean"
        case .array: "an array"
        }
    }
}

/// A problem in a configuration file, worded for the person who has to fix it.
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}
