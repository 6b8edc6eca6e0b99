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

/// Names of every length and byte, on both sides of the inline capacity: a name is its bytes, and
/// two names are equal, hash alike and find each other in a dictionary exactly when their bytes do.
@Suite struct FileNameModelTests {
    @Test func namesAreTheirBytes() {
        var generator = SystemRandomNumberGenerator()
        let lengths = Array(0...40) + [FileName.inlineCapacity - 1, FileName.inlineCapacity, FileName.inlineCapacity + 1, 255]
        var names: [[UInt8]] = []
        for length in lengths {
            for _ in 0..<8 { names.append((0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }) }
            // Near neighbours: the same bytes with the last one changed, and with a zero byte appended.
            if let last = names.last, !last.isEmpty { names.append(last.dropLast() + [last.last! &+ 1]) }
            if let last = names.last { names.append(last + [0]) }
        }
        var byName: [FileName: Int] = [:]
        for (index, bytes) in names.enumerated() {
            let name = FileName(bytes: bytes)
            #expect(name.bytes == bytes && name.count == bytes.count)
            #expect(bytes.withUnsafeBytes { FileName($0) } == name)
            if byName[name] == nil { byName[name] = index }
        }
        for (index, bytes) in names.enumerated() {
            let name = FileName(bytes: bytes)
            let first = names.firstIndex(of: bytes)!
            #expect(byName[name] == first, "name \(index) found as \(String(describing: byName[name]))")
            for other in names.prefix(64) where other != bytes {
                #expect(FileName(bytes: other) != name)
            }
            var hasher = Hasher()
            hasher.combine(FileName(bytes: Array(bytes)))
            var again = Hasher()
            again.combine(name)
            #expect(hasher.finalize() == again.finalize())
        }
    }
}
