import CBORFuzz
import ConfigfsTSM
import Foundation
import Glibc
import SystemPackage
import TestDirectories
import Testing

/// Malformed, huge, binary and hostile input: the right errno or a clear error, never a crash.
@Suite struct HostileInputTests {
    /// Random byte strings biased towards parser edge cases.
    static func fuzzInputs(seed: UInt64, count: Int) -> [[UInt8]] {
        var rng = SplitMix(seed: seed)
        let alphabet = Array("0123456789abcdefxX+-\n \u{0}ABCDEF-".utf8)
        return (0..<count).map { _ in
            let length = Int.random(in: 0...40, using: &rng)
            return (0..<length).map { _ in
                Int.random(in: 0..<4, using: &rng) == 0
                    ? UInt8.random(in: 0...255, using: &rng) : alphabet.randomElement(using: &rng)!
            }
        }
    }

    @Test func kernelParsersAgreeWithTheIndependentModel() {
        for input in Self.fuzzInputs(seed: 1, count: 20_000) {
            let core = Result { () throws(Errno) -> UInt32 in try KernelParsing.kstrtouint(input) }
                .mapError { ErrnoFailure($0.rawValue) }
            let model = ConfigfsTSMModel.kstrtouint(input)
            #expect(core == model, "kstrtouint(\(input))")
            let coreGUID = try? KernelParsing.guidParse(input)
            #expect(coreGUID == ConfigfsTSMModel.guid(input), "guid_parse(\(input))")
        }
        // Valid GUIDs are rare in random bytes: check a structured set too.
        for seed in 0..<2000 {
            var rng = SplitMix(seed: UInt64(seed))
            var text = Array("c476f1eb-0123-45a5-9641-b4e7dde5bfe3\n".utf8)
            text[Int.random(in: 0..<text.count, using: &rng)] = Array("0aF-gx\n".utf8).randomElement(using: &rng)!
            #expect((try? KernelParsing.guidParse(text)) == ConfigfsTSMModel.guid(text))
        }
    }

    @Test func hugeAndBinaryWritesGetTheKernelsErrors() throws {
        try withMount { fs in
            let entry = try fs.makeEntry()
            let huge = [UInt8](repeating: UInt8(ascii: "1"), count: 2 << 20)
            for attribute in ["privlevel", "service_manifest_version"] {
                let fd = try Sys.open(entry + "/" + attribute, O_WRONLY)
                // configfs stores at most 4095 bytes per write(2): 4095 digits overflow → ERANGE.
                #expect(throws: Errno.outOfRange) { try Sys.write(fd, huge) }
                #expect(throws: Errno.invalidArgument) { try Sys.write(fd, [0xFF, 0xFE, 0x00, 0x80]) }
                try Sys.close(fd)
            }
            let provider = try Sys.open(entry + "/service_provider", O_WRONLY)
            #expect(try Sys.write(provider, huge) == 4095)
            try Sys.close(provider)
            #expect(throws: Errno.fileTooLarge) { try Sys.writeFile(entry + "/inblob", huge) }
            try Sys.writeFile(entry + "/inblob", (0..<64).map { UInt8(255 - $0) })
            #expect(try Sys.readFile(entry + "/outblob").count > 64)
        }
    }

    @Test func entryNamesFollowTheVFS() throws {
        try withMount { fs in
            for name in [
                String(repeating: "n", count: 255), "..hidden", "sp ace", "tab\tname", "nl\nname",
                "ünïcödé", "\u{1}\u{7f}", "-dash",
            ] {
                try Sys.mkdir(fs.report + "/" + name)
                #expect(try Sys.readText(fs.report + "/" + name + "/generation") == "0\n", "\(name.debugDescription)")
                try Sys.rmdir(fs.report + "/" + name)
            }
            #expect(throws: Errno.fileNameTooLong) { try Sys.mkdir(fs.report + "/" + String(repeating: "n", count: 256)) }
            #expect(throws: Errno.fileExists) { try Sys.mkdir(fs.report + "/.") }
            #expect(throws: Errno.fileExists) { try Sys.mkdir(fs.report + "/..") }
            // The VFS answers these itself, for configfs as for tsmfs.
            #expect(throws: Errno.directoryNotEmpty) { try Sys.rmdir(fs.report + "/..") }
            #expect(throws: Errno.invalidArgument) { try Sys.rmdir(fs.report + "/.") }
            // Invalid UTF-8 in a name: the bytes reach tsmfs as they are and round-trip.
            let raw: [UInt8] = Array("raw".utf8) + [0xFF, 0xC0]
            #expect(Glibc.mkdir(Sys.path(fs.report, raw), 0o700) == 0)
            #expect(try Sys.listNames(fs.report) == [Array(".".utf8), Array("..".utf8), raw])
        }
    }

    @Test func sigtermDuringAGenerationWithOpenFilesShutsDownCleanly() throws {
        let mountpoint = makeTemporaryDirectory()
        defer { rmdir(mountpoint) }
        let daemon = try startForegroundDaemon(at: mountpoint, config: try slowEchoConfig(milliseconds: 2000))
        let entry = mountpoint + "/tsm/report/r"
        try Sys.mkdir(entry)
        try Sys.writeFile(entry + "/inblob", nonce)
        let held = try Sys.open(entry + "/generation", O_RDONLY)
        // A reader blocked in a 2 s generation when SIGTERM arrives.
        let reader = try startReader(entry + "/outblob")
        try waitUntil { isBlockedInRead(reader.processIdentifier) }
        kill(daemon.processIdentifier, SIGTERM)
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)
        #expect(!MountTableSnapshot.tsmfsMounts().contains(mountpoint))
        reader.waitUntilExit()
        Glibc.close(held)
    }
}
