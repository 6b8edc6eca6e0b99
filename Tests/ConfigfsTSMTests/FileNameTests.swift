import ConfigfsTSM
import Testing

/// Names as logs print them: readable where they can be, never able to break a log line.
@Suite struct FileNameTests {
    @Test(arguments: [
        (Array("report-1".utf8), "report-1"), (Array("é".utf8), "é"),
        (Array("a\nb".utf8), "a\\x0ab"), (Array("\u{1b}[31mred".utf8), "\\x1b[31mred"),
        (Array("line\u{2028}sep".utf8), "line\\u{2028}sep"), (Array("bidi\u{202e}".utf8), "bidi\\u{202e}"),
        ([0x61, 0xFF, 0x0A, 0x7F], "a\\xff\\x0a\\x7f"), (Array("tab\there".utf8), "tab\\x09here"),
    ])
    func descriptionsEscapeWhatCouldForgeALogLine(_ bytes: [UInt8], _ expected: String) {
        #expect(FileName(bytes: bytes).description == expected)
    }
}
