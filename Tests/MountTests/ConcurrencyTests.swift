import Dispatch
import EchoProvider
import Foundation
import Glibc
import Synchronization
import SystemPackage
import Testing

@Suite struct ConcurrencyTests {
    @Test func aSlowGenerationHoldsUpOnlyItsOwnEntry() throws {
        try withMount(config: "[echo]\nlatency_ms = 5000\n") { fs in
            let slow = try fs.makeEntry("slow")
            try Sys.writeFile(slow + "/inblob", nonce)
            let reader = try startReader(slow + "/outblob")
            try waitUntil { isBlockedInRead(reader.processIdentifier) }  // inside its generation now
            // Everything that does not generate must get through while it runs.
            let other = try fs.makeEntry("other")
            try Sys.writeFile(other + "/inblob", nonce)
            #expect(try Sys.readText(other + "/generation") == "1\n")
            #expect(try Sys.readText(other + "/provider") == "tsmfs_echo\n")
            #expect(try Sys.listDirectory(fs.report).sorted() == [".", "..", "other", "slow"])
            #expect(try Sys.stat(slow + "/outblob").st_size == 0)
            try Sys.rmdir(other)
            #expect(reader.isRunning, "the other entry's operations waited for the slow generation")
            reader.waitUntilExit()
        }
    }

    @Test func manyThreadsCyclingTheirOwnEntries() throws {
        try withMount { fs in
            let threads = 8
            let cycles = 40
            let problems = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                for cycle in 0..<cycles {
                    do {
                        let entry = fs.report + "/t\(thread)-\(cycle)"
                        try Sys.mkdir(entry)
                        let mine = (0..<64).map { UInt8((thread * 31 + cycle + $0) & 0xff) }
                        try Sys.writeFile(entry + "/inblob", mine)
                        let generation = try Sys.readText(entry + "/generation")
                        let report = EchoReport(outblob: try Sys.readFile(entry + "/outblob"))
                        _ = try Sys.readFile(entry + "/auxblob")
                        try Sys.rmdir(entry)
                        if generation != "1\n" || report?.request.inblob != mine {
                            problems.withLock { $0.append("thread \(thread) cycle \(cycle): \(generation)") }
                        }
                    } catch {
                        problems.withLock { $0.append("thread \(thread) cycle \(cycle): \(error)") }
                    }
                }
            }
            #expect(problems.withLock { $0 } == [])
            let remaining = try Sys.listDirectory(fs.report)
            #expect(remaining == [".", ".."])
        }
    }

    @Test func racingWritersOnOneEntryCountEveryCommit() throws {
        try withMount { fs in
            let entry = try fs.makeEntry()
            let writers = 6
            let commits = 50
            DispatchQueue.concurrentPerform(iterations: writers) { writer in
                for commit in 0..<commits {
                    try? Sys.writeFile(entry + "/inblob", [UInt8(writer), UInt8(commit)])
                    _ = try? Sys.readFile(entry + "/outblob")
                }
            }
            #expect(try Sys.readText(entry + "/generation") == "\(writers * commits)\n")
            let report = try #require(EchoReport(outblob: Sys.readFile(entry + "/outblob")))
            #expect(report.request.generation == UInt64(writers * commits))
        }
    }

    @Test func aThousandLeakedEntries() throws {
        try withMount { fs in
            // go-sev-guest's IsSupported() creates an entry and never removes it.
            for index in 0..<1000 { try Sys.mkdir(fs.report + "/entry\(index)") }
            let listing = try Sys.listDirectory(fs.report)
            #expect(listing.count == 1002)
            #expect(listing[2] == "entry999" && listing.last == "entry0")
            #expect(try Sys.stat(fs.report).st_nlink == 1002)
            let probe = fs.report + "/entry500"
            try Sys.writeFile(probe + "/inblob", nonce)
            #expect(EchoReport(outblob: try Sys.readFile(probe + "/outblob"))?.request.inblob == nonce)
            for index in 0..<1000 { try Sys.rmdir(fs.report + "/entry\(index)") }
            #expect(try Sys.listDirectory(fs.report) == [".", ".."])
        }
    }
}
