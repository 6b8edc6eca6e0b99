@testable import ConfigfsTSM
import EchoProvider
import ProviderKit
import SystemPackage
import Testing
import Synchronization
import Dispatch

/// A provider whose report has no aux data and counts its calls.
final class EmptyAuxProvider: ReportProvider {
    let calls = Atomic<Int>(0)
    var name: String { "empty_aux" }
    var privlevelFloor: UInt32 { 0 }
    func generateReport(for request: ReportRequest) throws(ProviderError) -> GeneratedReport {
        calls.add(1, ordering: .relaxed)
        return GeneratedReport(outblob: [1, 2, 3])
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

    @Test func entriesAreDirectoriesWithTheKernelsModesAndSizes() throws {
        let (tree, _) = makeTree()
        let entry = try tree.makeEntry("r")
        let directory = try tree.attributes(of: Inode(rawValue: entry.id << 4))
        #expect(directory.kind == .directory && directory.permissions == 0o755 && directory.linkCount == 2)
        #expect(try tree.attributes(of: .report).linkCount == 3)
        let expected: [ReportAttribute: (UInt32, UInt64)] = [
            .generation: (0o444, 4096), .provider: (0o444, 4096), .privlevel: (0o200, 4096),
            .privlevelFloor: (0o444, 4096), .serviceProvider: (0o200, 4096), .serviceGUID: (0o200, 4096),
            .serviceManifestVersion: (0o200, 4096), .inblob: (0o200, 0), .outblob: (0o444, 0),
            .auxblob: (0o444, 0), .manifestblob: (0o444, 0),
        ]
        for (attribute, (mode, size)) in expected {
            let stat = try tree.lookup(parent: Inode(rawValue: entry.id << 4), name: attribute.fileName)
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
        let expected: [String] = switch profile {
        case .tdx: ["outblob", "inblob", "provider", "generation"]
        case .sev: ["auxblob", "outblob", "inblob", "privlevel_floor", "privlevel", "provider", "generation"]
        case .all, .sevSVSM: ["manifestblob", "auxblob", "outblob", "inblob", "service_manifest_version",
                              "service_guid", "service_provider", "privlevel_floor", "privlevel", "provider", "generation"]
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
            if attribute.isReadable {
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
        _ = try tree.setAttributes(of: outblob, MetadataChange(permissions: 0o666, uid: 7))
        let changed = try tree.lookup(parent: Inode(rawValue: entry.id << 4), name: "outblob")
        #expect(changed.permissions == 0o666 && changed.owner.uid == 7)
        #expect(throws: Errno.permissionDenied) { try tree.open(outblob, mode: .init(read: false, write: true)) }
        _ = try tree.setAttributes(of: outblob, MetadataChange(permissions: 0o000))
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
        #expect(throws: Errno.fileNameTooLong) { try tree.makeDirectory(parent: .report, name: String(repeating: "n", count: 256)) }
    }

    @Test func emptyBlobReadsAsEOFAndIsNotSnapshotted() throws {
        let provider = EmptyAuxProvider()
        let tree = ReportTree(provider: provider)
        let entry = try tree.makeEntry("r")
        try tree.writeAll(entry, .inblob, [1])
        let aux = try tree.openAttribute(entry, .auxblob, read: true)
        #expect(try aux.readAll() == [])
        #expect(try tree.readAll(entry, .outblob) == [1, 2, 3])
        #expect(provider.calls.load(ordering: .relaxed) == 1)
    }

    @Test func racingWritersCountEveryCommit() throws {
        let (tree, _) = makeTree()
        let entry = try tree.makeEntry("r")
        let writers = 8, commits = 200
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
        #expect(throws: Errno.noSuchFileOrDirectory) { try tree.attributes(of: Inode(rawValue: first.id << 4)) }
    }
}
