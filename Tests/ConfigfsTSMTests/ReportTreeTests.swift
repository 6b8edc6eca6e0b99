import ByteLayout
import Dispatch
import EchoProvider
import Foundation
import Glibc
import ProviderKit
import Synchronization
import SystemPackage
import Testing

@testable import ConfigfsTSM

/// A provider whose reports have no aux data until `auxData` is set, and that counts its calls.
final class EmptyAuxProvider: ReportProvider {
    let calls = Atomic<Int>(0)
    let auxData = Mutex<[UInt8]>([])
    var name: String { "empty_aux" }
    var privlevelFloor: UInt32 { 0 }
    func generateReport(for request: ReportRequest) throws(ProviderError) -> GeneratedReport {
        calls.add(1, ordering: .relaxed)
        return GeneratedReport(outblob: [1, 2, 3], auxblob: auxData.withLock { $0 })
    }
}

@Suite struct ReportTreeTests {
    @Test func fixedDirectoriesAndTheirRefusals() throws {
        let (tree, _) = makeTree()
        #expect(try tree.lookup(parent: .configRoot, name: "tsm").inode == .tsm)
        #expect(try tree.lookup(parent: .tsm, name: "report").inode == .report)
        #expect(throws: Errno.noSuchFileOrDirectory) { try tree.lookup(parent: .configRoot, name: "x") }
        #expect(throws: Errno.notPermitted) { try tree.makeDirectory(parent: .configRoot, name: "x") }
        #expect(throws: Errno.notPermitted) { try tree.makeDirectory(parent: .tsm, name: "x") }
        #expect(throws: Errno.notPermitted) { try tree.removeDirectory(parent: .tsm, name: "report") }
        #expect(throws: Errno.notPermitted) { try tree.removeDirectory(parent: .configRoot, name: "tsm") }
        #expect(throws: Errno.isDirectory) { try tree.open(.report, mode: .init(read: true, write: false)) }
    }

    /// The daemon trims its heap when rmdir says so: only when the tree is empty again after
    /// holding many entries at once, never on every cycle of a client using one entry at a time.
    @Test func removalAsksForReclaimOnlyAfterManyEntries() throws {
        let (tree, _) = makeTree()
        for cycle in 0..<3 {
            _ = try tree.makeEntry("one")
            #expect(try !tree.removeDirectory(parent: .report, name: "one"), "cycle \(cycle)")
        }
        let many = ReportTree.entriesWorthReclaiming
        for index in 0..<many { _ = try tree.makeEntry("e\(index)") }
        for index in 0..<many - 1 { #expect(try !tree.removeDirectory(parent: .report, name: FileName("e\(index)"))) }
        #expect(try tree.removeDirectory(parent: .report, name: FileName("e\(many - 1)")))
        // The peak starts again from empty: one entry after the reclaim asks for nothing.
        _ = try tree.makeEntry("again")
        #expect(try !tree.removeDirectory(parent: .report, name: "again"))
        // One short of the threshold is not enough.
        for index in 0..<many - 1 { _ = try tree.makeEntry("f\(index)") }
        let removals = try (0..<many - 1).map { try tree.removeDirectory(parent: .report, name: FileName("f\($0)")) }
        #expect(!removals.contains(true))
    }

    @Test func entriesAreDirectoriesWithTheKernelsModesAndSizes() throws {
        let (tree, _) = makeTree()
        let entry = try tree.makeEntry("r")
        let directory = try tree.nodeStat(of: Inode(rawValue: entry.id << 4))
        #expect(directory.kind == .directory && directory.permissions == 0o755 && directory.linkCount == 2)
        #expect(try tree.nodeStat(of: .report).linkCount == 3)
        let expected: [ReportAttribute: (UInt32, UInt64)] = [
            .generation: (0o444, 4096), .provider: (0o444, 4096), .privlevel: (0o200, 4096),
            .privlevelFloor: (0o444, 4096), .serviceProvider: (0o200, 4096), .serviceGUID: (0o200, 4096),
            .serviceManifestVersion: (0o200, 4096), .inblob: (0o200, 0), .outblob: (0o444, 0),
            .auxblob: (0o444, 0), .manifestblob: (0o444, 0),
        ]
        for (attribute, (mode, size)) in expected {
            let stat = try tree.lookup(parent: Inode(rawValue: entry.id << 4), name: FileName(attribute.fileName))
            #expect(stat.permissions == mode && stat.size == size && stat.kind == .regularFile, "\(attribute)")
            #expect(stat.owner == .root && stat.linkCount == 1)
        }
        #expect(throws: Errno.fileExists) { try tree.makeDirectory(parent: .report, name: "r") }
        #expect(throws: Errno.notPermitted) { try tree.makeDirectory(parent: Inode(rawValue: entry.id << 4), name: "sub") }
    }

    @Test(arguments: AttributeProfile.allCases)
    func visibilityIsChosenAtMkdirAndListedInReverseCreationOrder(_ profile: AttributeProfile) throws {
        let (tree, _) = makeTree { $0.profile = profile }
        let entry = try tree.makeEntry("r")
        let names = try tree.listDirectory(Inode(rawValue: entry.id << 4)).map(\.name)
        let expected: [FileName] =
            switch profile {
            case .tdx: ["outblob", "inblob", "provider", "generation"]
            case .sev: ["auxblob", "outblob", "inblob", "privlevel_floor", "privlevel", "provider", "generation"]
            case .all, .sevSVSM:
                [
                    "manifestblob", "auxblob", "outblob", "inblob", "service_manifest_version",
                    "service_guid", "service_provider", "privlevel_floor", "privlevel", "provider", "generation",
                ]
            }
        #expect(names == [".", ".."] + expected)
        if profile == .tdx {
            #expect(throws: Errno.noSuchFileOrDirectory) {
                try tree.lookup(parent: Inode(rawValue: entry.id << 4), name: "privlevel")
            }
        }
    }

    @Test func reportListsEntriesNewestFirst() throws {
        let (tree, _) = makeTree()
        for name in ["a", "c", "b"] { _ = try tree.makeEntry(name) }
        #expect(try tree.listDirectory(.report).map(\.name) == [".", "..", "b", "c", "a"])
        try tree.removeDirectory(parent: .report, name: "c")
        #expect(try tree.listDirectory(.report).map(\.name) == [".", "..", "b", "a"])
        #expect(throws: Errno.noSuchFileOrDirectory) { try tree.removeDirectory(parent: .report, name: "c") }
    }

    @Test func openChecksModesEvenForRoot() throws {
        let (tree, _) = makeTree()
        let entry = try tree.makeEntry("r")
        for attribute in ReportAttribute.allCases {
            if attribute.method.isReadable {
                #expect(throws: Errno.permissionDenied) { try tree.openAttribute(entry, attribute, write: true) }
                _ = try tree.openAttribute(entry, attribute, read: true)
            } else {
                #expect(throws: Errno.permissionDenied) { try tree.openAttribute(entry, attribute, read: true) }
                _ = try tree.openAttribute(entry, attribute, write: true)
            }
        }
    }

    @Test func chmodPersistsButCannotAddMissingMethods() throws {
        let (tree, _) = makeTree()
        let entry = try tree.makeEntry("r")
        let outblob = Inode.attribute(.outblob, ofEntry: entry.id)
        _ = try tree.changeMetadata(of: outblob, MetadataChange(permissions: 0o666, uid: 7))
        let changed = try tree.lookup(parent: Inode(rawValue: entry.id << 4), name: "outblob")
        #expect(changed.permissions == 0o666 && changed.owner.uid == 7)
        #expect(throws: Errno.permissionDenied) { try tree.open(outblob, mode: .init(read: false, write: true)) }
        _ = try tree.changeMetadata(of: outblob, MetadataChange(permissions: 0o000))
        #expect(throws: Errno.permissionDenied) { try tree.open(outblob, mode: .init(read: true, write: false)) }
    }

    @Test func noProviderMeansENXIOOnMkdir() {
        let tree = ReportTree(provider: nil)
        #expect(throws: Errno.noSuchAddressOrDevice) { try tree.makeDirectory(parent: .report, name: "r") }
    }

    @Test func namesFollowVFSLimits() throws {
        let (tree, _) = makeTree()
        _ = try tree.makeEntry(String(repeating: "n", count: 255))
        _ = try tree.makeEntry(".hidden")
        _ = try tree.makeEntry("entry\u{1}ctl-ünïcode")
        #expect(throws: Errno.fileNameTooLong) {
            try tree.makeDirectory(parent: .report, name: FileName(String(repeating: "n", count: 256)))
        }
    }

    @Test func emptyBlobReadsAsEOFAndIsNotSnapshotted() throws {
        let provider = EmptyAuxProvider()
        let tree = ReportTree(provider: provider)
        let entry = try tree.makeEntry("r")
        try tree.writeAll(entry, .inblob, [1])
        let aux = try tree.openAttribute(entry, .auxblob, read: true)
        defer { aux.release() }
        #expect(try aux.readBytes(at: 0, count: 64) == [])
        #expect(try tree.readAll(entry, .outblob) == [1, 2, 3])
        #expect(provider.calls.load(ordering: .relaxed) == 1)
        // An empty blob was EOF, not a snapshot: the same descriptor asks again on its next read
        // and sees the next generation's aux data (a snapshotting descriptor would stay empty).
        provider.auxData.withLock { $0 = [7, 8] }
        try tree.writeAll(entry, .inblob, [2])
        #expect(try aux.readBytes(at: 0, count: 64) == [7, 8])
        #expect(provider.calls.load(ordering: .relaxed) == 2)
        // Once filled, it is a snapshot: a later generation does not change what it reads.
        provider.auxData.withLock { $0 = [9] }
        try tree.writeAll(entry, .inblob, [3])
        #expect(try aux.readBytes(at: 0, count: 64) == [7, 8])
    }

    @Test func everyAttributeIsDeclaredOnceWithTheKernelsMode() {
        #expect(AttributeMethod.table.count == ReportAttribute.allCases.count)
        let readOnly: [ReportAttribute] = [.generation, .provider, .privlevelFloor, .outblob, .auxblob, .manifestblob]
        for attribute in ReportAttribute.allCases {
            let method = attribute.method
            #expect(method.isReadable == readOnly.contains(attribute), "\(attribute)")
            #expect(method.permissions == (readOnly.contains(attribute) ? 0o444 : 0o200), "\(attribute)")
            switch method {
            case .readBlob, .writeInblob: #expect(attribute.isBinary, "\(attribute)")
            case .show, .store: #expect(!attribute.isBinary, "\(attribute)")
            }
        }
    }

    @Test func racingWritersCountEveryCommit() throws {
        let (tree, _) = makeTree()
        let entry = try tree.makeEntry("r")
        let writers = 8
        let commits = 200
        DispatchQueue.concurrentPerform(iterations: writers) { writer in
            for commit in 0..<commits {
                let file = try! tree.openAttribute(entry, .inblob, write: true)
                _ = try! file.write([UInt8(writer), UInt8(commit & 0xff)])
                file.flush()
                file.release()
                _ = try? tree.readAll(entry, .outblob)
            }
        }
        #expect(try tree.generation(entry) == "\(writers * commits)\n")
    }

    @Test func entryNumbersAreNeverReused() throws {
        let (tree, _) = makeTree()
        let first = try tree.makeEntry("r")
        try tree.removeDirectory(parent: .report, name: "r")
        let second = try tree.makeEntry("r")
        #expect(second.id != first.id)
        #expect(throws: Errno.noSuchFileOrDirectory) { try tree.nodeStat(of: Inode(rawValue: first.id << 4)) }
    }
}

/// A provider that records how many generations overlap, and makes large reports. Gated, every
/// generation waits inside the provider until the test opens the gate, so overlap is certain
/// rather than left to the scheduler.
final class SlowCountingProvider: ReportProvider {
    let running = Atomic<Int>(0)
    let peak = Atomic<Int>(0)
    let calls = Atomic<Int>(0)
    /// Whether it tells the core its reports can be rebuilt byte for byte.
    let rebuildsReportsExactly: Bool
    private let gate: DispatchSemaphore?
    init(rebuildsExactly: Bool = true, gated: Bool = false) {
        self.rebuildsReportsExactly = rebuildsExactly
        self.gate = gated ? DispatchSemaphore(value: 0) : nil
    }

    /// Lets `count` waiting (or future) generations finish.
    func open(_ count: Int) { for _ in 0..<count { gate?.signal() } }
    var name: String { "slow" }
    var privlevelFloor: UInt32 { 0 }
    func generateReport(for request: ReportRequest) throws(ProviderError) -> GeneratedReport {
        let now = running.add(1, ordering: .relaxed).newValue
        var seen = peak.load(ordering: .relaxed)
        while now > seen, !peak.compareExchange(expected: seen, desired: now, ordering: .relaxed).exchanged {
            seen = peak.load(ordering: .relaxed)
        }
        gate?.wait()
        running.subtract(1, ordering: .relaxed)
        calls.add(1, ordering: .relaxed)
        return GeneratedReport(outblob: [UInt8](repeating: request.inblob.first ?? 0, count: 1000))
    }
}

@Suite struct ResourceLimitTests {
    @Test func entryCapFailsMkdirWithENOMEM() throws {
        let tree = ReportTree(provider: EchoProvider(), limits: ResourceLimits(maxEntries: 3))
        for index in 0..<3 { _ = try tree.makeEntry("e\(index)") }
        #expect(throws: Errno.noMemory) { try tree.makeDirectory(parent: .report, name: "e3") }
        try tree.removeDirectory(parent: .report, name: "e0")
        _ = try tree.makeEntry("e3")
    }

    /// Eight threads read eight entries at once, each generation held inside the provider until all
    /// eight readers have started and as many generations run as the cap allows; returns the most
    /// generations seen running together.
    static func peakConcurrentGenerations(cap: Int) throws -> Int {
        let provider = SlowCountingProvider(gated: true)
        let tree = ReportTree(provider: provider, limits: ResourceLimits(maxConcurrentGenerations: cap))
        let entries = try (0..<8).map { try tree.makeEntry("e\($0)") }
        for entry in entries { try tree.writeAll(entry, .inblob, [1]) }
        let started = Atomic<Int>(0)
        let threads = entries.map { entry in
            Thread {
                started.add(1, ordering: .relaxed)
                _ = try? tree.readAll(entry, .outblob)
            }
        }
        for thread in threads { thread.start() }
        try waitFor { started.load(ordering: .relaxed) == entries.count }
        try waitFor { provider.running.load(ordering: .relaxed) == min(cap, entries.count) }
        provider.open(entries.count)
        try waitFor { provider.calls.load(ordering: .relaxed) == entries.count }
        return provider.peak.load(ordering: .relaxed)
    }

    /// Polls `condition` (a state the test waits for, not a duration) for up to 10 seconds.
    static func waitFor(_ condition: () -> Bool) throws {
        for _ in 0..<10_000 {
            if condition() { return }
            usleep(1000)
        }
        throw Errno.timedOut
    }

    @Test func generationsRunAtMostTheCapAtOnce() throws {
        #expect(try Self.peakConcurrentGenerations(cap: 2) <= 2)
        #expect(try Self.peakConcurrentGenerations(cap: 1) == 1)
        // The control: with room for all eight, they do overlap, so the cap above is what held them.
        #expect(try Self.peakConcurrentGenerations(cap: 8) > 2)
    }

    @Test func cacheOverItsCapDropsTheOldestReportsWhichRegenerate() throws {
        let provider = SlowCountingProvider()
        let tree = ReportTree(provider: provider, limits: ResourceLimits(maxCachedBytes: 2500))
        let entries = try (0..<4).map { try tree.makeEntry("e\($0)") }
        for (index, entry) in entries.enumerated() {
            try tree.writeAll(entry, .inblob, [UInt8(index)])
            #expect(try tree.readAll(entry, .outblob) == [UInt8](repeating: UInt8(index), count: 1000))
            #expect(tree.cachedReportBytes <= 2500)
        }
        #expect(provider.calls.load(ordering: .relaxed) == 4)
        // The newest two stay cached; the oldest regenerates (same inputs, same generation).
        _ = try tree.readAll(entries[3], .outblob)
        #expect(provider.calls.load(ordering: .relaxed) == 4)
        #expect(try tree.readAll(entries[0], .outblob) == [UInt8](repeating: 0, count: 1000))
        #expect(provider.calls.load(ordering: .relaxed) == 5)
        #expect(try tree.generation(entries[0]) == "1\n")
        try tree.removeDirectory(parent: .report, name: "e0")
        #expect(tree.cachedReportBytes <= 2000)
    }

    @Test func reportsThatCannotBeRebuiltExactlyStayCached() throws {
        let provider = SlowCountingProvider(rebuildsExactly: false)
        let tree = ReportTree(provider: provider, limits: ResourceLimits(maxCachedBytes: 2500))
        let entries = try (0..<4).map { try tree.makeEntry("e\($0)") }
        for (index, entry) in entries.enumerated() {
            try tree.writeAll(entry, .inblob, [UInt8(index)])
            _ = try tree.readAll(entry, .outblob)
        }
        // Over the cap, but one generation must keep one report: nothing was dropped or regenerated.
        #expect(tree.cachedReportBytes == 4000)
        for entry in entries { _ = try tree.readAll(entry, .outblob) }
        #expect(provider.calls.load(ordering: .relaxed) == 4)
    }

    @Test func aRebuiltReportKeepsItsSerial() throws {
        let tree = ReportTree(provider: EchoProvider(), limits: ResourceLimits(maxCachedBytes: 300))
        let entries = try (0..<3).map { try tree.makeEntry("e\($0)") }
        var first: [[UInt8]] = []
        for entry in entries {
            try tree.writeAll(entry, .inblob, [UInt8](repeating: 7, count: 64))
            first.append(try tree.readAll(entry, .outblob))
        }
        for (entry, outblob) in zip(entries, first) {
            let aux = try tree.readAll(entry, .auxblob)
            #expect(try tree.readAll(entry, .outblob) == outblob)
            #expect(Array(aux[8...]) == Array(outblob[0x18..<0x20]))
        }
    }
}

/// A provider that blocks inside its first generation until the test lets it go.
final class GatedProvider: ReportProvider {
    let entered = DispatchSemaphore(value: 0)
    let gate = DispatchSemaphore(value: 0)
    let first = Atomic<Bool>(true)
    var name: String { "gated" }
    var privlevelFloor: UInt32 { 0 }
    var rebuildsReportsExactly: Bool { true }
    func generateReport(for request: ReportRequest) throws(ProviderError) -> GeneratedReport {
        if first.exchange(false, ordering: .relaxed) {
            entered.signal()
            gate.wait()
        }
        return GeneratedReport(outblob: [UInt8](repeating: request.inblob.first ?? 0, count: 1000))
    }
}

@Suite struct LockOrderTests {
    @Test func aGenerationInProgressStallsNoOtherEntryEvenOverTheCacheCap() throws {
        let provider = GatedProvider()
        let tree = ReportTree(provider: provider, limits: ResourceLimits(maxCachedBytes: 1500))
        let slow = try tree.makeEntry("slow")
        try tree.writeAll(slow, .inblob, [1])
        let blocked = Thread { _ = try? tree.readAll(slow, .outblob) }
        blocked.start()
        provider.entered.wait()  // the slow entry's lock is now held for its generation
        defer { provider.gate.signal() }

        // Everything else must finish while that generation is still held: lookups, mkdir,
        // readdir, other entries' writes and generations, and dropping caches over the cap.
        let others = DispatchSemaphore(value: 0)
        let failure = Mutex<String?>(nil)
        Thread {
            do {
                for index in 0..<3 {
                    let entry = try tree.makeEntry("e\(index)")
                    try tree.writeAll(entry, .inblob, [UInt8(index + 2)])
                    _ = try tree.readAll(entry, .outblob)  // over the cap from the second on
                    _ = try tree.lookup(parent: .report, name: FileName("e\(index)"))
                }
                _ = try tree.listDirectory(.report)
                _ = try tree.nodeStat(of: .report)
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
            others.signal()
        }.start()
        // Generous: this checks that nothing waits for the gated generation, not how fast anything is.
        #expect(others.wait(timeout: .now() + 20) == .success, "another entry's operation waited for the gated generation")
        #expect(failure.withLock { $0 } == nil)
        #expect(tree.cachedReportBytes <= 1500)
    }
}
