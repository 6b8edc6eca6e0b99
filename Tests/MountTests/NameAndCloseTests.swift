import EchoProvider
import Foundation
import Glibc
import SystemPackage
import Testing

/// Names are bytes, commits happen at the last close, and the calls configfs does not have
/// answer as configfs does.
@Suite struct NameAndCloseTests {
    /// mkdir of a name given as bytes; the errno, or nil on success.
    private func mkdir(_ report: String, _ name: [UInt8]) -> Errno? {
        Glibc.mkdir(Sys.path(report, name), 0o700) == 0 ? nil : Errno(rawValue: errno)
    }

    /// A path to the entry `name` that a Swift String can hold: a name that is not UTF-8 cannot,
    /// so the path goes through /proc/self/fd of an O_PATH descriptor of the directory.
    private func entry(_ report: String, _ name: [UInt8]) -> (path: String, fd: Int32) {
        let oPath: Int32 = 0o10000000  // O_PATH, which the Glibc module does not export
        let fd = Sys.path(report, name).withUnsafeBufferPointer { Glibc.open($0.baseAddress!, oPath | O_DIRECTORY) }
        return ("/proc/self/fd/\(fd)", fd)
    }

    @Test(
        arguments: [
            ([0xC3, 0xA9], [0x65, 0xCC, 0x81]),  // é precomposed, and e + combining acute
            ([0xE2, 0x84, 0xAB], [0xC3, 0x85]),  // Å as ANGSTROM SIGN and as LATIN CAPITAL A WITH RING
            ([0x61, 0xFF], [0x61, 0xFE]),  // invalid UTF-8 that a repairing decoder maps to one name
        ] as [([UInt8], [UInt8])])
    func namesThatLookAlikeAreDifferentEntries(_ first: [UInt8], _ second: [UInt8]) throws {
        try withMount { fs in
            #expect(mkdir(fs.report, first) == nil)
            #expect(mkdir(fs.report, second) == nil)
            #expect(try Sys.listNames(fs.report) == [Array(".".utf8), Array("..".utf8), second, first])
            let (one, oneFD) = entry(fs.report, first)
            let (other, otherFD) = entry(fs.report, second)
            defer {
                Glibc.close(oneFD)
                Glibc.close(otherFD)
            }
            try Sys.writeFile(one + "/inblob", nonce)
            #expect(try Sys.readText(one + "/generation") == "1\n")
            #expect(try Sys.readText(other + "/generation") == "0\n")
            #expect(throws: Errno.invalidArgument) { try Sys.readFile(other + "/outblob") }
            #expect(Glibc.rmdir(Sys.path(fs.report, second)) == 0)
            #expect(try Sys.listNames(fs.report) == [Array(".".utf8), Array("..".utf8), first])
            #expect(try Sys.readText(one + "/generation") == "1\n")
        }
    }

    @Test func namesUpToNameMaxBytesOfAnyKindRoundTrip() throws {
        try withMount { fs in
            let longest = [UInt8](repeating: 0xFF, count: 255)
            let tooLong = [UInt8](repeating: 0xFF, count: 256)
            let controls: [UInt8] = Array(1...0x2E) + [0x30, 0x7F, 0x80, 0xC0, 0xF5]
            #expect(mkdir(fs.report, longest) == nil)
            #expect(mkdir(fs.report, controls) == nil)
            #expect(mkdir(fs.report, tooLong) == .fileNameTooLong)
            #expect(mkdir(fs.report, longest) == .fileExists)
            let names = try Sys.listNames(fs.report)
            #expect(Array(names.dropFirst(2)) == [controls, longest])
        }
    }

    @Test func aForkedChildClosingItsCopyCommitsNothing() throws {
        try withMount { fs in
            let entry = try fs.makeEntry()
            // A subshell and a child process inherit fd 3 and close it while the writer still
            // holds it: the kernel commits only at the last close.
            let result = try shell(
                """
                exec 3>"$E/inblob"
                printf '%032d' 1 >&3
                ( exec 3>&- )
                sh -c 'exit 0'
                test "$(cat "$E/generation")" = 0
                printf '%032d' 2 >&3
                exec 3>&-
                cat "$E/generation"
                """, environment: ["E": entry])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == "1\n")
            let report = try #require(EchoReport(outblob: Sys.readFile(entry + "/outblob")))
            #expect(
                report.request.inblob
                    == Array((String(repeating: "0", count: 31) + "1" + String(repeating: "0", count: 31) + "2").utf8))
        }
    }

    @Test func closingADupCommitsNothingAndTheLastCloseCommitsOnce() throws {
        try withMount { fs in
            let entry = try fs.makeEntry()
            let fd = try Sys.open(entry + "/inblob", O_WRONLY)
            try Sys.write(fd, [1, 2, 3])
            let copy = try Sys.check(dup(fd))
            try Sys.close(copy)
            #expect(try Sys.readText(entry + "/generation") == "0\n")
            try Sys.write(fd, [4])
            try Sys.close(fd)
            #expect(try Sys.readText(entry + "/generation") == "1\n")
            #expect(try EchoReport(outblob: Sys.readFile(entry + "/outblob"))?.request.inblob == [1, 2, 3, 4])
        }
    }

    @Test func theLastCloseMayBeAChildsAfterTheWriterClosed() throws {
        try withMount { fs in
            let entry = try fs.makeEntry()
            // The writer closes first; a child that inherited the descriptor holds the last reference.
            let result = try shell(
                """
                exec 3>"$E/inblob"
                printf '%064d' 7 >&3
                sh -c 'read line; exit 0' <&0 3>&3 &
                exec 3>&-
                before=$(cat "$E/generation")
                wait
                echo "$before $(cat "$E/generation")"
                """, environment: ["E": entry])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == "0 1\n" || result.stdout == "1 1\n", "\(result.stdout)")
        }
    }

    @Test func fsyncFailsAndXattrsAreAbsentAsInConfigfs() throws {
        try withMount { fs in
            let entry = try fs.makeEntry()
            for (path, flags) in [
                (entry + "/generation", O_RDONLY), (entry + "/inblob", O_WRONLY),
                (entry, O_RDONLY | O_DIRECTORY), (fs.report, O_RDONLY | O_DIRECTORY),
            ] {
                let fd = try Sys.open(path, flags)
                #expect(throws: Errno.invalidArgument, "fsync \(path)") { try Sys.check(fsync(fd)) }
                #expect(throws: Errno.invalidArgument, "fdatasync \(path)") { try Sys.check(fdatasync(fd)) }
                try Sys.close(fd)
            }
            let xattrs = try shell(
                """
                python3 - '\(entry)/outblob' '\(entry)' '\(fs.report)' <<'PY'
                import errno, sys
                import os
                for path in sys.argv[1:]:
                    assert os.listxattr(path) == [], path
                    for call in (lambda: os.getxattr(path, "user.x"), lambda: os.setxattr(path, "user.x", b"v")):
                        try:
                            call()
                            raise SystemExit(f"{path}: xattr call succeeded")
                        except OSError as error:
                            assert error.errno == errno.EOPNOTSUPP, (path, error)
                PY
                """)
            #expect(xattrs.status == 0, "\(xattrs.stderr)")
        }
    }

    @Test func textAttributesHoldAtMostOnePage() throws {
        let long = String(repeating: "p", count: 5000)
        try withMount(config: "[echo]\nname = \"\(long)\"\n") { fs in
            let entry = try fs.makeEntry()
            let text = try Sys.readFile(entry + "/provider")
            #expect(text == Array(long.utf8.prefix(4095)))
            let fd = try Sys.open(entry + "/provider", O_RDONLY)
            defer { Glibc.close(fd) }
            #expect(try Sys.pread(fd, count: 100, offset: 4095) == [])
        }
    }
}
