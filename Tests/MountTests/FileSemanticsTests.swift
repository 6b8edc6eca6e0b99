import ByteLayout
import EchoProvider
import Foundation
import Glibc
import SystemPackage
import Testing

/// configfs file semantics as clients see them through the kernel's FUSE client.
@Suite struct FileSemanticsTests {
    @Test func inblobCommitIsVisibleWhenCloseReturns() throws {
        try withMount { fs in
            let entry = try fs.makeEntry()
            for round in 1...20 {
                try Sys.writeFile(entry + "/inblob", nonce)
                #expect(try Sys.readText(entry + "/generation") == "\(round)\n")
            }
        }
    }

    @Test func openAndCloseWithoutWritingCommitsNothing() throws {
        try withMount { fs in
            let entry = try fs.makeEntry()
            // libtdx_attest holds an inblob descriptor with flock and never writes to it.
            let holder = try Sys.open(entry + "/inblob", O_WRONLY)
            try Sys.check(flock(holder, LOCK_EX))
            let contender = try Sys.open(entry + "/inblob", O_WRONLY)
            #expect(throws: Errno.resourceTemporarilyUnavailable) { try Sys.check(flock(contender, LOCK_EX | LOCK_NB)) }
            try Sys.writeFile(entry + "/inblob", nonce)
            #expect(try Sys.readText(entry + "/generation") == "1\n")
            try Sys.close(contender)
            try Sys.close(holder)
            #expect(try Sys.readText(entry + "/generation") == "1\n")
        }
    }

    @Test func truncatingAndCreatingOpensOfAttributesAreAccepted() throws {
        try withMount { fs in
            let entry = try fs.makeEntry()
            for flags in [O_WRONLY | O_TRUNC, O_WRONLY | O_CREAT, O_WRONLY | O_CREAT | O_TRUNC] {
                let fd = try Sys.open(entry + "/inblob", flags)
                try Sys.close(fd)
            }
            try Sys.check(truncate(entry + "/privlevel", 0))
            #expect(throws: Errno.fileExists) { try Sys.open(entry + "/inblob", O_WRONLY | O_CREAT | O_EXCL) }
            #expect(try Sys.readText(entry + "/generation") == "0\n")
        }
    }

    @Test func inblobWritesAreBufferedWithHolesZeroFilled() throws {
        try withMount { fs in
            let entry = try fs.makeEntry()
            let fd = try Sys.open(entry + "/inblob", O_WRONLY)
            #expect(try Sys.pwrite(fd, [0xAA, 0xBB], offset: 30) == 2)
            #expect(try Sys.write(fd, [0x11]) == 1)
            #expect(throws: Errno.fileTooLarge) { try Sys.pwrite(fd, [1, 2], offset: 63) }
            #expect(try Sys.readText(entry + "/generation") == "0\n")
            try Sys.close(fd)
            #expect(try Sys.readText(entry + "/generation") == "1\n")
            let report = try #require(EchoReport(outblob: Sys.readFile(entry + "/outblob")))
            #expect(report.request.inblob == [0x11] + [UInt8](repeating: 0, count: 29) + [0xAA, 0xBB])
        }
    }

    @Test func dupedDescriptorsCommitTheWholeBuffer() throws {
        try withMount { fs in
            let entry = try fs.makeEntry()
            let fd = try Sys.open(entry + "/inblob", O_WRONLY)
            let copy = try Sys.check(dup(fd))
            try Sys.write(fd, Array(nonce[0..<32]))
            try Sys.close(copy)
            try Sys.write(fd, Array(nonce[32...]))
            try Sys.close(fd)
            let report = try #require(EchoReport(outblob: Sys.readFile(entry + "/outblob")))
            #expect(report.request.inblob == nonce)
        }
    }

    @Test func textAttributesSnapshotPerDescriptor() throws {
        try withMount { fs in
            let entry = try fs.makeEntry()
            let fd = try Sys.open(entry + "/generation", O_RDONLY)
            #expect(try Sys.read(fd) == Array("0\n".utf8))
            try Sys.writeFile(entry + "/inblob", nonce)
            #expect(try Sys.pread(fd, count: 100, offset: 0) == Array("0\n".utf8))
            #expect(try Sys.check(Int(lseek(fd, 0, SEEK_END))) == 4096)
            try Sys.close(fd)
            #expect(try Sys.readText(entry + "/generation") == "1\n")
        }
    }

    @Test func blobDescriptorsKeepTheReportTheyFirstRead() throws {
        try withMount { fs in
            let entry = try fs.makeEntry()
            try Sys.writeFile(entry + "/inblob", nonce)
            let fd = try Sys.open(entry + "/outblob", O_RDONLY)
            let head = try Sys.read(fd, count: 10)
            try Sys.writeFile(entry + "/inblob", Array(nonce.reversed()))
            let tail = try Sys.read(fd)
            try Sys.close(fd)
            #expect(EchoReport(outblob: head + tail)?.request.inblob == nonce)
            #expect(EchoReport(outblob: try Sys.readFile(entry + "/outblob"))?.request.inblob == Array(nonce.reversed()))
        }
    }

    @Test func oneGenerationFillsEveryBlobAndReadsNeverAdvanceTheGeneration() throws {
        try withMount { fs in
            let entry = try fs.makeEntry()
            try Sys.writeFile(entry + "/inblob", nonce)
            try Sys.writeFile(entry + "/service_provider", "svsm\n")
            // go-configfs-tsm's order: auxblob, outblob, provider, manifestblob, re-reading generation.
            let aux = try Sys.readFile(entry + "/auxblob")
            #expect(try Sys.readText(entry + "/generation") == "2\n")
            let out = try Sys.readFile(entry + "/outblob")
            #expect(try Sys.readText(entry + "/provider") == "tsmfs_echo\n")
            let manifest = try Sys.readFile(entry + "/manifestblob")
            #expect(try Sys.readText(entry + "/generation") == "2\n")
            let report = try #require(EchoReport(outblob: out))
            #expect(report.serial == 1 && report.request.generation == 2)
            #expect(report.request.serviceProvider == Array("svsm".utf8))
            #expect(Array(aux[8...]) == Array(out[0x18..<0x20]) && Array(manifest[8...]) == Array(out[0x18..<0x20]))
            #expect(EchoReport(outblob: try Sys.readFile(entry + "/outblob"))?.serial == 1)
        }
    }

    @Test func wholeBlobArrivesInOneRead() throws {
        try withMount { fs in
            let entry = try fs.makeEntry()
            try Sys.writeFile(entry + "/inblob", nonce)
            let fd = try Sys.open(entry + "/outblob", O_RDONLY)
            #expect(try Sys.read(fd, count: 8192).count == 128)
            #expect(try Sys.read(fd, count: 8192).isEmpty)
            try Sys.close(fd)
        }
    }

    @Test func metadataMatchesConfigfs() throws {
        try withMount(config: "[echo]\nattributes = \"tdx\"\n") { fs in
            let entry = try fs.makeEntry()
            let directory = try Sys.stat(entry)
            #expect(directory.st_mode == S_IFDIR | 0o755)  // mkdir's 0700 is ignored
            #expect(directory.st_nlink == 2 && directory.st_uid == 0 && directory.st_size == 0)
            #expect(try Sys.stat(fs.report).st_nlink == 3)
            let expected: [String: (mode_t, Int)] = [
                "generation": (0o444, 4096), "provider": (0o444, 4096), "inblob": (0o200, 0), "outblob": (0o444, 0),
            ]
            for (name, (mode, size)) in expected {
                let info = try Sys.stat(entry + "/" + name)
                #expect(info.st_mode == S_IFREG | mode && info.st_size == size && info.st_blocks == 0, "\(name)")
                #expect(info.st_blksize == 4096 && info.st_nlink == 1)
            }
            #expect(try Sys.listDirectory(entry) == [".", "..", "outblob", "inblob", "provider", "generation"])
            #expect(throws: Errno.noSuchFileOrDirectory) { try Sys.stat(entry + "/privlevel") }
            #expect(throws: Errno.permissionDenied) { try Sys.writeFile(entry + "/privlevel", "1") }
            try Sys.check(chmod(entry + "/outblob", 0o400))
            #expect(try Sys.stat(entry + "/outblob").st_mode == S_IFREG | 0o400)
        }
    }

    @Test func reportListsEntriesNewestFirstIncludingHiddenNames() throws {
        try withMount { fs in
            for name in ["entry1", ".tmpA1b2C3", "com.intel.dcap", "ünï côde"] { _ = try fs.makeEntry(name) }
            #expect(try Sys.listDirectory(fs.report) == [".", "..", "ünï côde", "com.intel.dcap", ".tmpA1b2C3", "entry1"])
            #expect(try Sys.listDirectory(fs.mountpoint) == [".", "..", "tsm"])
            #expect(try Sys.listDirectory(fs.mountpoint + "/tsm") == [".", "..", "report"])
        }
    }

    @Test func statfsReportsAFUSEFilesystem() throws {
        try withMount { fs in
            // FUSE_SUPER_MAGIC instead of CONFIGFS_MAGIC: a difference FUSE cannot hide (docs/fidelity.md).
            let result = try shell("stat -f -c '%t %l' '\(fs.mountpoint)'")
            #expect(result.stdout == "65735546 255\n")
        }
    }
}
