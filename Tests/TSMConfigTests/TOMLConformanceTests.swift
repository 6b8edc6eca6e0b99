import CBORFuzz
import Foundation
import Testing

@testable import TSMConfig

/// The configuration reader against Python's tomllib (the standard library's TOML 1.0 parser): what
/// tsmfs accepts, tomllib reads to the same values; what TOML forbids, tsmfs refuses.
@Suite struct TOMLConformanceTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// tomllib's reading of each document: its JSON, or nil where tomllib refuses it.
    static func tomllib(_ documents: [String]) throws -> [Any?] {
        let input = try JSONSerialization.data(withJSONObject: documents)
        let script = """
            import json, math, sys, tomllib
            def plain(v):
                if isinstance(v, float) and not math.isfinite(v): return str(v)
                if isinstance(v, dict): return {k: plain(x) for k, x in v.items()}
                if isinstance(v, list): return [plain(x) for x in v]
                return v
            out = []
            for text in json.load(sys.stdin):
                try:
                    out.append(plain(tomllib.loads(text)))
                except tomllib.TOMLDecodeError:
                    out.append(None)
            print(json.dumps(out, default=str))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let parsed = try JSONSerialization.jsonObject(with: output) as? [Any]
        return try #require(parsed).map { $0 is NSNull ? nil : $0 }
    }

    /// A parsed file as tomllib's JSON would show it.
    static func json(_ file: ConfigFile) -> [String: Any] {
        func plain(_ value: ConfigValue) -> Any {
            switch value {
            case .string(let text): text
            case .integer(let number): NSNumber(value: number)
            case .boolean(let flag): NSNumber(value: flag)
            case .array(let items): items.map(plain)
            }
        }
        var out: [String: Any] = [:]
        // A dotted header is a table inside its parent: [tdx.boot] is tdx's "boot".
        func place(_ values: [String: Any], at path: ArraySlice<String>, in table: inout [String: Any]) {
            guard let first = path.first else { return table.merge(values) { $1 } }
            var inner = table[first] as? [String: Any] ?? [:]
            place(values, at: path.dropFirst(), in: &inner)
            table[first] = inner
        }
        for (section, settings) in file.sections where !settings.isEmpty || !section.isEmpty {
            let values = settings.mapValues { plain($0.value) }
            place(values, at: ArraySlice(section.split(separator: ".").map(String.init)), in: &out)
        }
        return out
    }

    /// Whether two readings are the same JSON (compared as canonical JSON text: a boolean and an
    /// integer differ even where Foundation's numbers would compare equal).
    static func same(_ mine: [String: Any], _ theirs: Any?) -> Bool {
        guard let theirs = theirs as? [String: Any] else { return false }
        func text(_ object: Any) -> String? {
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map {
                String(decoding: $0, as: UTF8.self)
            }
        }
        return text(mine) != nil && text(mine) == text(theirs)
    }

    @Test func everyExampleReadsAsTomllibReadsIt() throws {
        let examples = try FileManager.default.contentsOfDirectory(atPath: Self.packageRoot + "/examples")
            .filter { $0.hasSuffix(".toml") }.sorted()
        #expect(examples.count >= 4)
        let texts = try examples.map { try String(contentsOfFile: Self.packageRoot + "/examples/" + $0, encoding: .utf8) }
        let theirs = try Self.tomllib(texts)
        for (index, name) in examples.enumerated() {
            let mine = Self.json(try ConfigFile(parsing: texts[index], name: name))
            #expect(Self.same(mine, theirs[index]), "\(name): \(mine) vs \(String(describing: theirs[index]))")
        }
    }

    /// Values by TOML's grammar: each accepted one is read as tomllib reads it; what TOML forbids is
    /// refused by both; what TOML allows but no setting uses, tsmfs refuses by name.
    @Test func valuesFollowTOMLsGrammar() throws {
        let accepted = [
            "5", "-5", "+5", "0", "-0", "+0", "1_000", "0x1F", "0xdead_beef", "0o17", "0b1010", "9223372036854775807",
            "-9223372036854775808", "true", "false", "\"text\"", "\"tab\\there\"", "\"\\u00e9\\U0001F600\"", "\"q\\\"q\"",
            "'C:\\path'", "''", "[]", "[1, 2, 3]", "[\"a\", 'b',]", "[[1], [\"x\"]]", "\"a#b\" # comment",
            "[ 1 , 2 ] # c",
        ]
        let forbidden = [
            "-0x10", "+0x1F", "1__0", "1_", "_1", "01", "0x", "0b2", "0o8", "\"\\q\"", "\"open",
            "'open", "[1, 2", "[1 2]", "yes", "\"\\u12\"", "0X1F", "1,", "",
        ]
        let unused = ["1.5", "1e3", "inf", "nan", "1979-05-27", "{ a = 1 }", "\"\"\"x\"\"\""]
        // TOML requires an error for an integer beyond 64 bits; tomllib, with Python's unbounded
        // integers, reads it anyway, so only tsmfs's side is checked.
        #expect(throws: ConfigError.self) { try ConfigFile(parsing: "k = 9223372036854775808", name: "t.toml") }
        let documents = (accepted + forbidden + unused).map { "k = \($0)" }
        let theirs = try Self.tomllib(documents)
        for (index, text) in accepted.enumerated() {
            let file = try ConfigFile(parsing: documents[index], name: "t.toml")
            #expect(Self.same(Self.json(file), theirs[index]), "\(text): tomllib reads \(String(describing: theirs[index]))")
        }
        for (offset, text) in forbidden.enumerated() {
            #expect(theirs[accepted.count + offset] == nil, "tomllib accepts \(text)")
            #expect(throws: ConfigError.self, "\(text)") { try ConfigFile(parsing: "k = \(text)", name: "t.toml") }
        }
        for (offset, text) in unused.enumerated() {
            #expect(theirs[accepted.count + forbidden.count + offset] != nil, "tomllib refuses \(text)")
            #expect(throws: ConfigError.self, "\(text)") { try ConfigFile(parsing: "k = \(text)", name: "t.toml") }
        }
    }

    /// Random documents of valid and broken lines: an error names the file and the first bad line
    /// (everything before it parses, the file cut after it fails there), and every document tsmfs
    /// accepts, tomllib reads to the same values.
    @Test func garbageFailsAtItsLineAndWhatParsesAgreesWithTomllib() throws {
        var rng = SplitMix(seed: 7)
        let fragments = [
            "[tsmfs]", "[echo]", "provider = \"echo\"", "latency_ms = 5", "x", "= 1", "\"", "[", "]", "max_entries = 0x",
            "name = \"a\\q\"", "#", "\u{0}", "é", "fail_with = \"EIO\"", "", "  # note", "list = [1, 'two']",
            "n = -0x1", "m = 1__2", "s = 'lit'", "[ spaced ]", "a.b = 1",
        ]
        var accepted: [(text: String, file: ConfigFile)] = []
        for _ in 0..<3000 {
            let lines = (0..<Int(rng.next() % 8 + 1)).map { _ in
                rng.next() % 5 == 0
                    ? String(decoding: (0..<8).map { _ in UInt8(32 + rng.next() % 95) }, as: UTF8.self)
                    : fragments[Int(rng.next() % UInt64(fragments.count))]
            }
            let separator = rng.next() % 2 == 0 ? "\n" : "\r\n"
            func parse(_ count: Int) -> Result<ConfigFile, ConfigError> {
                Result { () throws(ConfigError) in
                    try ConfigFile(parsing: lines.prefix(count).joined(separator: separator), name: "fuzz.toml")
                }
            }
            switch parse(lines.count) {
            case .success(let file): accepted.append((lines.joined(separator: separator), file))
            case .failure(let error):
                #expect(error.file == "fuzz.toml" && error.description.hasPrefix("fuzz.toml:"), "\(error)")
                guard let line = error.line, (1...lines.count).contains(line) else {
                    Issue.record("error without a line in range: \(error) for \(lines)")
                    continue
                }
                #expect((try? parse(line - 1).get()) != nil, "lines before \(line) fail too: \(lines)")
                #expect((try? parse(line).get()) == nil, "\(error) is not where \(lines) first fails")
            }
        }
        #expect(accepted.count > 50)
        let theirs = try Self.tomllib(accepted.map(\.text))
        for (index, document) in accepted.enumerated() {
            #expect(Self.same(Self.json(document.file), theirs[index]), "\(document.text)")
        }
    }
}

@Suite struct SerialListTests {
    @Test func anOldCommaSeparatedListNamesTheNewForm() throws {
        let file = try ConfigFile(parsing: "[sev]\nrevoked_serials = \"02, 1f\"\n", name: "old.toml")
        let error = #expect(throws: ConfigError.self) { try file.section("sev").serialNumbers("revoked_serials") }
        #expect(
            error?.description == "old.toml:2: [sev] revoked_serials: is an array now: write revoked_serials = [\"02\", \"1f\"]")
        let current = try ConfigFile(parsing: "[sev]\nrevoked_serials = [\"02\", '1f', \"abc\"]\n", name: "new.toml")
        #expect(try current.section("sev").serialNumbers("revoked_serials") == [[0x02], [0x1F], [0x0A, 0xBC]])
    }
}
