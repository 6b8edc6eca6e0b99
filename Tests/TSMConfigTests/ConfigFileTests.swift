import TSMConfig
import Testing

@Suite struct ConfigFileTests {
    @Test func readsTypedValues() throws {
        let file = try ConfigFile(
            parsing: """
                # tsmfs configuration
                [tsmfs]
                provider = "echo"   # trailing comment
                state_dir = "/var/lib/tsm # not a comment"

                [echo]
                latency_ms = 1_000
                privlevel_floor = 0x1
                flag = true
                """, name: "t.toml")
        let tsmfs = file.section("tsmfs")
        #expect(try tsmfs.string("provider") == "echo")
        #expect(try tsmfs.string("state_dir") == "/var/lib/tsm # not a comment")
        try tsmfs.finish()
        let echo = file.section("echo")
        #expect(try echo.integer("latency_ms", as: UInt32.self) == 1000)
        #expect(try echo.integer("privlevel_floor", as: UInt32.self, in: 0...3) == 1)
        #expect(try echo.boolean("flag") == true)
        #expect(try echo.string("missing") == nil)
        try echo.finish()
    }

    @Test(arguments: [
        ("[a\nx = 1", "t.toml:1: section header must end with ']'"),
        ("x = \"open", "t.toml:1: x: unterminated string: add the closing '\"'"),
        ("[s]\nx = 1\nx = 2", "t.toml:3: [s] x is set twice (first on line 2)"),
        ("[s]\n[s]", "t.toml:2: section [s] appears twice (first on line 1)"),
        ("just words", "t.toml:1: expected 'key = value' or '[section]', found 'just words'"),
        (
            "x = abc",
            "t.toml:1: x: cannot read abc as a value: strings need quotes (\"…\" or '…'), integers are decimal, 0x, 0o or 0b, "
                + "booleans are true/false, lists are [ … ]"
        ),
        ("x = 99999999999999999999", "t.toml:1: x: 99999999999999999999 is out of range"),
        ("x =", "t.toml:1: x: missing value after '='"),
        ("x = \"a\\q\"", "t.toml:1: x: unknown escape '\\q' in string"),
    ])
    func syntaxErrorsNameTheLine(_ text: String, _ message: String) {
        #expect(throws: ConfigError.self) { try ConfigFile(parsing: text, name: "t.toml") }
        do {
            _ = try ConfigFile(parsing: text, name: "t.toml")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func typeAndRangeErrorsNameTheField() throws {
        let file = try ConfigFile(parsing: "[echo]\nlatency_ms = \"5\"\nprivlevel_floor = 9\nmode = \"x\"\ntypo = 1", name: "c")
        let echo = file.section("echo")
        #expect(throws: ConfigError(file: "c", line: 2, message: "[echo] latency_ms: expected an integer, found a string \"5\""))
        {
            try echo.integer("latency_ms", as: UInt32.self)
        }
        #expect(throws: ConfigError(file: "c", line: 3, message: "[echo] privlevel_floor: 9 is out of range (0…3)")) {
            try echo.integer("privlevel_floor", as: UInt32.self, in: 0...3)
        }
        #expect(throws: ConfigError(file: "c", line: 4, message: "[echo] mode: \"x\" is not one of \"a\", \"b\"")) {
            try echo.choice("mode", from: ["a", "b"])
        }
        #expect(
            throws: ConfigError(
                file: "c", line: 5, message: "[echo] typo: unknown setting (known here: latency_ms, mode, privlevel_floor)")
        ) {
            try echo.finish()
        }
    }

    @Test func hexValuesTakeOnlyHexDigits() throws {
        let file = try ConfigFile(parsing: "good = \"00aBfF\"\nsigned = \"+1+1+1\"\nshort = \"00\"", name: "h")
        let section = file.section("")
        #expect(try section.hexBytes("good", count: 3) == [0x00, 0xAB, 0xFF])
        #expect(throws: ConfigError.self) { try section.hexBytes("signed", count: 3) }
        #expect(throws: ConfigError.self) { try section.hexBytes("short", count: 3) }
    }

    @Test func binaryAndHugeInputFailCleanly() throws {
        let junk = String(decoding: (0..<4096).map { UInt8($0 % 251) }, as: UTF8.self)
        #expect(throws: ConfigError.self) { try ConfigFile(parsing: junk, name: "junk") }
        let huge = "x = \"" + String(repeating: "a", count: 2_000_000) + "\""
        #expect(try ConfigFile(parsing: huge, name: "huge").section("").string("x")?.count == 2_000_000)
    }
}
