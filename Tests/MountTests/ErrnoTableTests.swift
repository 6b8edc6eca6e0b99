import ByteLayout
import EchoProvider
import Glibc
import SystemPackage
import Testing

/// Every row of the spec's errno table (§4.1) that a FUSE filesystem can reproduce,
/// driven through the mounted filesystem with real syscalls.
@Suite struct ErrnoTableTests {
    @Test func namespaceOperations() throws {
        try withMount { fs in
            let entry = try fs.makeEntry()
            #expect(throws: Errno.fileExists) { try Sys.mkdir(entry) }
            #expect(throws: Errno.notPermitted) { try Sys.mkdir(entry + "/sub") }
            #expect(throws: Errno.notPermitted) { try Sys.mkdir(fs.mountpoint + "/tsm/other") }
            #expect(throws: Errno.notPermitted) { try Sys.mkdir(fs.mountpoint + "/other") }
            #expect(throws: Errno.notPermitted) { try Sys.rmdir(fs.report) }
            #expect(throws: Errno.notPermitted) { try Sys.rmdir(fs.mountpoint + "/tsm") }
            #expect(throws: Errno.notPermitted) { try Sys.unlink(entry + "/outblob") }
            #expect(throws: Errno.isDirectory) { try Sys.unlink(entry) }
            #expect(throws: Errno.notPermitted) { try Sys.rename(entry + "/inblob", entry + "/x") }
            #expect(throws: Errno.notPermitted) { try Sys.rename(entry, fs.report + "/moved") }
            #expect(throws: Errno.notPermitted) { try Sys.symlink("inblob", entry + "/link") }
            #expect(throws: Errno.notPermitted) { try Sys.link(entry + "/inblob", entry + "/hard") }
            #expect(throws: Errno.notPermitted) { try Sys.mknod(entry + "/node") }
            #expect(throws: Errno.permissionDenied) { try Sys.open(entry + "/newfile", O_WRONLY | O_CREAT) }
            #expect(throws: Errno.noSuchFileOrDirectory) { try Sys.open(entry + "/newfile", O_RDONLY) }
            #expect(throws: Errno.fileNameTooLong) { try Sys.mkdir(fs.report + "/" + String(repeating: "n", count: 256)) }
            try Sys.rmdir(entry)
            #expect(throws: Errno.noSuchFileOrDirectory) { try Sys.rmdir(entry) }
        }
    }

    @Test func openModesAreCheckedEvenForRoot() throws {
        try withMount { fs in
            let entry = try fs.makeEntry()
            for name in ["generation", "provider", "privlevel_floor", "outblob", "auxblob", "manifestblob"] {
                #expect(throws: Errno.permissionDenied, "\(name)") { try Sys.open(entry + "/" + name, O_WRONLY) }
                #expect(throws: Errno.permissionDenied, "\(name)") { try Sys.open(entry + "/" + name, O_RDWR) }
            }
            for name in ["inblob", "privlevel", "service_provider", "service_guid", "service_manifest_version"] {
                #expect(throws: Errno.permissionDenied, "\(name)") { try Sys.open(entry + "/" + name, O_RDONLY) }
                #expect(throws: Errno.permissionDenied, "\(name)") { try Sys.open(entry + "/" + name, O_RDWR) }
            }
        }
    }

    @Test func textAttributeStores() throws {
        try withMount { fs in
            let entry = try fs.makeEntry()
            #expect(throws: Errno.invalidArgument) { try Sys.writeFile(entry + "/privlevel", "abc") }
            #expect(throws: Errno.invalidArgument) { try Sys.writeFile(entry + "/privlevel", "1 trailing") }
            #expect(throws: Errno.invalidArgument) { try Sys.writeFile(entry + "/privlevel", "-1") }
            #expect(throws: Errno.outOfRange) { try Sys.writeFile(entry + "/privlevel", "4294967296") }
            #expect(throws: Errno.invalidArgument) { try Sys.writeFile(entry + "/privlevel", "4") }
            #expect(throws: Errno.invalidArgument) { try Sys.writeFile(entry + "/service_manifest_version", "x") }
            #expect(throws: Errno.outOfRange) { try Sys.writeFile(entry + "/service_manifest_version", "0x100000000") }
            #expect(try Sys.readText(entry + "/generation") == "0\n")
            #expect(throws: Errno.invalidArgument) { try Sys.writeFile(entry + "/service_guid", "not-a-guid") }
            #expect(try Sys.readText(entry + "/generation") == "1\n")
            try Sys.writeFile(entry + "/privlevel", "0x3\n")
            #expect(try Sys.readText(entry + "/generation") == "2\n")
        }
    }

    @Test func privlevelBelowTheFloorIsRejected() throws {
        try withMount(config: "[echo]\nprivlevel_floor = 2\nattributes = \"sev\"\n") { fs in
            let entry = try fs.makeEntry()
            #expect(try Sys.readText(entry + "/privlevel_floor") == "2\n")
            #expect(throws: Errno.invalidArgument) { try Sys.writeFile(entry + "/privlevel", "1") }
            try Sys.writeFile(entry + "/privlevel", "2")
            #expect(try Sys.readText(entry + "/generation") == "1\n")
        }
    }

    @Test func inblobLimitAndSeeking() throws {
        try withMount { fs in
            let entry = try fs.makeEntry()
            #expect(throws: Errno.fileTooLarge) { try Sys.writeFile(entry + "/inblob", nonce + [0]) }
            try Sys.writeFile(entry + "/inblob", nonce)
            for blob in ["outblob", "auxblob", "manifestblob"] {
                let fd = try Sys.open(entry + "/" + blob, O_RDONLY)
                #expect(throws: Errno.illegalSeek) { try Sys.check(Int(lseek(fd, 0, SEEK_CUR))) }
                #expect(throws: Errno.illegalSeek) { try Sys.check(Int(lseek(fd, 0, SEEK_SET))) }
                try Sys.close(fd)
            }
        }
    }

    @Test func firstReadOfABlobReportsErrors() throws {
        try withMount { fs in
            let entry = try fs.makeEntry()
            for blob in ["outblob", "auxblob", "manifestblob"] {
                // open succeeds; the error comes with the first read.
                let fd = try Sys.open(entry + "/" + blob, O_RDONLY)
                #expect(throws: Errno.invalidArgument) { try Sys.read(fd) }
                try Sys.close(fd)
            }
        }
        try withMount(config: "[echo]\nfail_with = \"ETIMEDOUT\"\n") { fs in
            let entry = try fs.makeEntry()
            try Sys.writeFile(entry + "/inblob", nonce)
            #expect(throws: Errno.timedOut) { try Sys.readFile(entry + "/outblob") }
            #expect(throws: Errno.timedOut) { try Sys.readFile(entry + "/auxblob") }
        }
    }

    @Test func entryCapIsENOMEM() throws {
        try withMount(config: "[tsmfs]\nmax_entries = 2\n") { fs in
            _ = try fs.makeEntry("a")
            _ = try fs.makeEntry("b")
            #expect(throws: Errno.noMemory) { try Sys.mkdir(fs.report + "/c") }
            try Sys.rmdir(fs.report + "/a")
            _ = try fs.makeEntry("c")
        }
    }

    @Test func noProviderMeansENXIOOnMkdir() throws {
        try withMount(provider: "none") { fs in
            #expect(throws: Errno.noSuchAddressOrDevice) { try Sys.mkdir(fs.report + "/r") }
            let listing = try Sys.listDirectory(fs.report)
            #expect(listing == [".", ".."])
        }
    }

    @Test func descriptorsOfARemovedEntryFailWithENOENT() throws {
        try withMount { fs in
            let entry = try fs.makeEntry()
            try Sys.writeFile(entry + "/inblob", nonce)
            let generation = try Sys.open(entry + "/generation", O_RDONLY)
            let outblob = try Sys.open(entry + "/outblob", O_RDONLY)
            let filled = try Sys.open(entry + "/auxblob", O_RDONLY)
            let first = try Sys.read(filled, count: 4)
            let privlevel = try Sys.open(entry + "/privlevel", O_WRONLY)
            let inblob = try Sys.open(entry + "/inblob", O_WRONLY)
            try Sys.rmdir(entry)
            #expect(throws: Errno.noSuchFileOrDirectory) { try Sys.read(generation) }
            #expect(throws: Errno.noSuchFileOrDirectory) { try Sys.read(outblob) }
            #expect(throws: Errno.noSuchFileOrDirectory) { try Sys.write(privlevel, Array("1".utf8)) }
            // Already-filled buffers stay readable; binary writes are buffered and then dropped.
            #expect(first + (try Sys.read(filled)) == Array("TSMEAUX1".utf8) + [1, 0, 0, 0, 0, 0, 0, 0])
            #expect(try Sys.write(inblob, nonce) == 64)
            for fd in [generation, outblob, filled, privlevel, inblob] { try Sys.close(fd) }
            #expect(throws: Errno.noSuchFileOrDirectory) { try Sys.stat(entry) }
        }
    }
}
