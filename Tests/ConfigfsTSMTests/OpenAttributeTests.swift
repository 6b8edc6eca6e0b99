import ByteLayout
import EchoProvider
import Foundation
import ProviderKit
import SystemPackage
import Testing

@testable import ConfigfsTSM

@Suite struct OpenAttributeTests {
    let nonce = (0..<64).map { UInt8(255 - $0) }

    @Test func textReadsSnapshotOnFirstRead() throws {
        let (tree, _) = makeTree()
        let entry = try tree.makeEntry("r")
        let held = try tree.openAttribute(entry, .generation, read: true)
        #expect(try held.readBytes(at: 0, count: 100) == ascii("0\n"))
        try tree.writeAll(entry, .inblob, nonce)
        #expect(try held.readBytes(at: 0, count: 100) == ascii("0\n"))
        #expect(try held.readBytes(at: 1, count: 100) == ascii("\n"))
        #expect(try held.readBytes(at: 2, count: 100) == [])
        #expect(try tree.generation(entry) == "1\n")
    }

    @Test func textWritesAreStoredImmediatelyAndTruncatedTo4095Bytes() throws {
        let (tree, _) = makeTree()
        let entry = try tree.makeEntry("r")
        let file = try tree.openAttribute(entry, .serviceProvider, write: true)
        #expect(try file.write(ascii("svsm")) == 4)
        #expect(try tree.generation(entry) == "1\n")
        #expect(try file.write([UInt8](repeating: 0x41, count: 5000)) == 4095)
        #expect(try tree.generation(entry) == "2\n")
        #expect(throws: Errno.badAddress) { try file.write([]) }
        file.release()
    }

    @Test func inblobIsBufferedUntilTheLastReleaseAndHolesAreZeroFilled() throws {
        let (tree, _) = makeTree()
        let entry = try tree.makeEntry("r")
        let file = try tree.openAttribute(entry, .inblob, write: true)
        #expect(try file.write([1, 2], at: 10) == 2)
        #expect(try file.write([9], at: 0) == 1)
        #expect(try tree.generation(entry) == "0\n")
        file.flush()  // a close, but no RELEASE follows: a copy of the descriptor is still open
        #expect(try tree.generation(entry) == "0\n")
        file.release()
        #expect(try tree.generation(entry) == "1\n")
        file.flush()
        file.release()  // nothing new written: no second commit
        #expect(try tree.generation(entry) == "1\n")
        let report = try #require(EchoReport(outblob: tree.readAll(entry, .outblob)))
        #expect(report.request.inblob == [9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2])
    }

    @Test func aWritersCloseMakesObserversWaitForTheRelease() throws {
        let (tree, _) = makeTree(releaseWait: .seconds(30))
        let entry = try tree.makeEntry("r")
        let file = try tree.openAttribute(entry, .inblob, write: true)
        #expect(try file.write(nonce, owner: 7) == 64)
        file.flush(owner: 8)  // a file table that never wrote: nobody waits
        #expect(try tree.generation(entry) == "0\n")
        file.flush(owner: 7)  // the writer's close: observers wait for RELEASE, however late
        let released = Thread {
            usleep(200_000)
            file.release()
        }
        released.start()
        #expect(try tree.generation(entry) == "1\n")
    }

    @Test func aCloseWithoutReleaseIsForgottenAfterTheWait() throws {
        let (tree, _) = makeTree(releaseWait: .milliseconds(50))
        let entry = try tree.makeEntry("r")
        let file = try tree.openAttribute(entry, .inblob, write: true)
        #expect(try file.write(nonce, owner: 7) == 64)
        file.flush(owner: 7)  // a dup's close by the writer: no RELEASE comes
        #expect(try tree.generation(entry) == "0\n")
        #expect(try file.write([1], at: 0, owner: 7) == 1)
        file.flush(owner: 9)  // after a writer's write, another table's close is not the last
        #expect(try tree.generation(entry) == "0\n")
        file.release()
        #expect(try tree.generation(entry) == "1\n")
    }

    @Test func inblobRejectsEndsPast64AndStillCommitsWhatItHas() throws {
        let (tree, _) = makeTree()
        let entry = try tree.makeEntry("r")
        let file = try tree.openAttribute(entry, .inblob, write: true)
        #expect(try file.write(Array(nonce[0..<60])) == 60)
        #expect(throws: Errno.fileTooLarge) { try file.write([1, 2, 3, 4, 5], at: 60) }
        #expect(try file.write([1, 2, 3, 4], at: 60) == 4)
        #expect(throws: Errno.fileTooLarge) { try file.write([1], at: 64) }
        file.flush()
        file.release()
        #expect(EchoReport(outblob: try tree.readAll(entry, .outblob))?.request.inblob == Array(nonce[0..<60]) + [1, 2, 3, 4])
    }

    @Test func failedInblobWriteStillCommitsAnEmptyBuffer() throws {
        // configfs sets write_in_progress before the EFBIG check, so release commits 0 bytes.
        let (tree, _) = makeTree()
        let entry = try tree.makeEntry("r")
        try tree.writeAll(entry, .inblob, nonce)
        #expect(throws: Errno.fileTooLarge) { try tree.writeAll(entry, .inblob, nonce + [0x0a]) }
        #expect(try tree.generation(entry) == "2\n")
        #expect(throws: Errno.invalidArgument) { try tree.readAll(entry, .outblob) }
    }

    @Test func openAndCloseWithoutWritingCommitsNothing() throws {
        let (tree, _) = makeTree()
        let entry = try tree.makeEntry("r")
        let file = try tree.openAttribute(entry, .inblob, write: true)
        file.flush()
        file.release()
        #expect(try tree.generation(entry) == "0\n")
    }

    @Test func blobDescriptorKeepsItsSnapshot() throws {
        let (tree, _) = makeTree()
        let entry = try tree.makeEntry("r")
        try tree.writeAll(entry, .inblob, nonce)
        let held = try tree.openAttribute(entry, .outblob, read: true)
        let first = try held.readBytes(at: 0, count: 16)
        try tree.writeAll(entry, .inblob, Array(nonce.reversed()))
        let fresh = try tree.readAll(entry, .outblob)
        let rest = try held.readAll()
        #expect(Array(rest[0..<16]) == first)
        #expect(EchoReport(outblob: rest)?.request.inblob == nonce)
        #expect(EchoReport(outblob: fresh)?.request.inblob == Array(nonce.reversed()))
    }

    @Test func removedEntryFailsWithENOENTExceptFromFilledBuffers() throws {
        let (tree, _) = makeTree()
        let entry = try tree.makeEntry("r")
        try tree.writeAll(entry, .inblob, nonce)
        let filled = try tree.openAttribute(entry, .outblob, read: true)
        _ = try filled.readBytes(at: 0, count: 1)
        let unfilledBlob = try tree.openAttribute(entry, .outblob, read: true)
        let unfilledText = try tree.openAttribute(entry, .generation, read: true)
        let textWriter = try tree.openAttribute(entry, .privlevel, write: true)
        let inblob = try tree.openAttribute(entry, .inblob, write: true)
        try tree.removeDirectory(parent: .report, name: "r")
        #expect(try filled.readAll().count > 1)
        #expect(throws: Errno.noSuchFileOrDirectory) { try unfilledBlob.readAll() }
        #expect(throws: Errno.noSuchFileOrDirectory) { try unfilledText.readAll() }
        #expect(throws: Errno.noSuchFileOrDirectory) { try textWriter.write(ascii("1")) }
        // Binary writes are buffered regardless; the commit is dropped.
        #expect(try inblob.write(nonce) == 64)
        inblob.flush()
        #expect(entry.writeGeneration == 1)
        #expect(throws: Errno.noSuchFileOrDirectory) { try tree.nodeStat(of: Inode(rawValue: entry.id << 4)) }
    }
}
