import ConfigfsTSM
import SystemPackage
import Testing

@Suite struct KernelParsingTests {
    /// Cases worked through lib/kstrtox.c by hand: base detection, `+`, one newline, overflow order.
    @Test(
        arguments: [
            ("0", 0), ("1", 1), ("3\n", 3), ("+2", 2), ("0x10", 16), ("0X1f\n", 31), ("010", 8),
            ("4294967295", 4_294_967_295), ("00", 0), ("0x0", 0),
        ] as [(String, UInt32)])
    func kstrtouintAccepts(_ text: String, _ value: UInt32) throws {
        #expect(try KernelParsing.kstrtouint(Array(text.utf8)) == value)
    }

    @Test(arguments: [
        "", "\n", "-1", "1 ", " 1", "1\n\n", "abc", "0x", "0xg", "08", "1.0", "++1", "0x\n", "1x", "+",
    ])
    func kstrtouintRejectsWithEINVAL(_ text: String) {
        #expect(throws: Errno.invalidArgument) { try KernelParsing.kstrtouint(Array(text.utf8)) }
    }

    @Test(arguments: ["4294967296", "18446744073709551615", "18446744073709551616", "99999999999999999999x"])
    func kstrtouintRejectsWithERANGE(_ text: String) {
        // 64-bit overflow is ERANGE even with trailing garbage: _kstrtoull checks it first.
        #expect(throws: Errno.outOfRange) { try KernelParsing.kstrtouint(Array(text.utf8)) }
    }

    @Test func kstrtouintStopsAtNUL() throws {
        // configfs terminates the page at the written length; an embedded NUL ends the string.
        #expect(try KernelParsing.kstrtouint([UInt8(ascii: "2"), 0, UInt8(ascii: "x")]) == 2)
    }

    @Test func guidParseUsesGuidByteOrder() throws {
        let bytes = try KernelParsing.guidParse(Array("c476f1eb-0123-45a5-9641-b4e7dde5bfe3\n".utf8))
        #expect(
            bytes == [
                0xeb, 0xf1, 0x76, 0xc4, 0x23, 0x01, 0xa5, 0x45,
                0x96, 0x41, 0xb4, 0xe7, 0xdd, 0xe5, 0xbf, 0xe3,
            ])
    }

    @Test(arguments: [
        "c476f1eb-0123-45a5-9641-b4e7dde5bfe", "c476f1eb+0123-45a5-9641-b4e7dde5bfe3",
        "g476f1eb-0123-45a5-9641-b4e7dde5bfe3", "", "c476f1eb0123-45a5-9641-b4e7dde5bfe3x",
    ])
    func guidParseRejects(_ text: String) {
        #expect(throws: Errno.invalidArgument) { try KernelParsing.guidParse(Array(text.utf8)) }
    }

    @Test func guidParseIgnoresBytesAfterThe36th() throws {
        let plain = try KernelParsing.guidParse(Array("63849ebb-3d92-4670-a1ff-58f9c94b87bb".utf8))
        let trailing = try KernelParsing.guidParse(Array("63849EBB-3D92-4670-A1FF-58F9C94B87BBjunk".utf8))
        #expect(plain == trailing)
    }
}
