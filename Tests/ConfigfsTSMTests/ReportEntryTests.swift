import ByteLayout
import EchoProvider
import ProviderKit
import SystemPackage
import Testing

@testable import ConfigfsTSM

@Suite struct ReportEntryTests {
    let nonce = (0..<64).map { UInt8($0) }

    @Test func generationCountsEveryAcceptedWriteAndNoRead() throws {
        let (tree, _) = makeTree()
        let entry = try tree.makeEntry("r")
        #expect(try tree.generation(entry) == "0\n")
        try tree.writeAll(entry, .inblob, nonce)
        try tree.writeAll(entry, .privlevel, ascii("2\n"))
        try tree.writeAll(entry, .serviceProvider, ascii("svsm\n"))
        try tree.writeAll(entry, .serviceManifestVersion, ascii("0x7"))
        try tree.writeAll(entry, .inblob, nonce)  // identical bytes still count
        #expect(try tree.generation(entry) == "5\n")
        _ = try tree.readAll(entry, .outblob)
        _ = try tree.readAll(entry, .auxblob)
        #expect(try tree.generation(entry) == "5\n")
    }

    @Test func rejectedStoresDoNotAdvanceTheGeneration() throws {
        let (tree, _) = makeTree { $0.privlevelFloor = 1 }
        let entry = try tree.makeEntry("r")
        #expect(throws: Errno.invalidArgument) { try tree.writeAll(entry, .privlevel, ascii("0")) }
        #expect(throws: Errno.invalidArgument) { try tree.writeAll(entry, .privlevel, ascii("4")) }
        #expect(throws: Errno.invalidArgument) { try tree.writeAll(entry, .privlevel, ascii("x")) }
        #expect(throws: Errno.outOfRange) { try tree.writeAll(entry, .privlevel, ascii("4294967296")) }
        #expect(throws: Errno.invalidArgument) { try tree.writeAll(entry, .serviceManifestVersion, ascii("-1")) }
        #expect(try tree.generation(entry) == "0\n")
        #expect(try tree.writeAll(entry, .privlevel, ascii("1\n")) == 2)
        #expect(try tree.generation(entry) == "1\n")
    }

    @Test func malformedServiceGUIDAdvancesTheGenerationAndClearsTheGUID() throws {
        let (tree, _) = makeTree()
        let entry = try tree.makeEntry("r")
        try tree.writeAll(entry, .serviceGUID, ascii("c476f1eb-0123-45a5-9641-b4e7dde5bfe3"))
        #expect(throws: Errno.invalidArgument) { try tree.writeAll(entry, .serviceGUID, ascii("not-a-guid")) }
        #expect(try tree.generation(entry) == "2\n")
        try tree.writeAll(entry, .inblob, nonce)
        let report = try #require(EchoReport(outblob: tree.readAll(entry, .outblob)))
        #expect(report.request.serviceGUID == [UInt8](repeating: 0, count: 16))
    }

    @Test func serviceProviderStripsOneNewlineAndStopsAtNUL() throws {
        let (tree, _) = makeTree()
        let entry = try tree.makeEntry("r")
        try tree.writeAll(entry, .serviceProvider, ascii("svsm\n\n"))
        try tree.writeAll(entry, .inblob, nonce)
        #expect(EchoReport(outblob: try tree.readAll(entry, .outblob))?.request.serviceProvider == ascii("svsm\n"))
        try tree.writeAll(entry, .serviceProvider, [0x61, 0x00, 0x62])
        #expect(EchoReport(outblob: try tree.readAll(entry, .outblob))?.request.serviceProvider == ascii("a"))
    }

    @Test func blobsNeedAnInblob() throws {
        let (tree, _) = makeTree()
        let entry = try tree.makeEntry("r")
        for blob in [ReportAttribute.outblob, .auxblob, .manifestblob] {
            #expect(throws: Errno.invalidArgument) { try tree.readAll(entry, blob) }
        }
    }

    @Test func oneGenerationFillsAllBlobsAndIsCachedUntilTheNextWrite() throws {
        let (tree, provider) = makeTree()
        let entry = try tree.makeEntry("r")
        try tree.writeAll(entry, .inblob, nonce)
        let aux = try tree.readAll(entry, .auxblob)
        let out = try tree.readAll(entry, .outblob)
        let manifest = try tree.readAll(entry, .manifestblob)
        #expect(provider.generationCount == 1)
        let report = try #require(EchoReport(outblob: out))
        #expect(report.request.inblob == nonce)
        #expect(Array(aux[8...]) == Array(out[0x18..<0x20]))
        #expect(Array(manifest[8...]) == Array(out[0x18..<0x20]))
        #expect(try tree.readAll(entry, .outblob) == out)
        #expect(provider.generationCount == 1)
        try tree.writeAll(entry, .privlevel, ascii("3"))
        let regenerated = try #require(EchoReport(outblob: tree.readAll(entry, .outblob)))
        #expect(regenerated.request.privlevel == 3)
        #expect(regenerated.request.generation == 2)
        #expect(provider.generationCount == 2)
    }

    @Test func providerErrorsReachTheFirstReadAndAreRetriedLater() throws {
        let (tree, _) = makeTree { $0.failure = .ioError }
        let entry = try tree.makeEntry("r")
        try tree.writeAll(entry, .inblob, nonce)
        #expect(throws: Errno.ioError) { try tree.readAll(entry, .outblob) }
        #expect(throws: Errno.ioError) { try tree.readAll(entry, .outblob) }
    }

    @Test func detachedProviderKeepsTheCacheButCannotRegenerate() throws {
        let (tree, _) = makeTree()
        let entry = try tree.makeEntry("r")
        try tree.writeAll(entry, .inblob, nonce)
        let cached = try tree.readAll(entry, .outblob)
        tree.setProvider(nil)
        #expect(try tree.readAll(entry, .outblob) == cached)
        #expect(throws: Errno.noSuchAddressOrDevice) { try tree.readAll(entry, .provider) }
        #expect(throws: Errno.noSuchAddressOrDevice) { try tree.readAll(entry, .privlevelFloor) }
        #expect(throws: Errno.noSuchAddressOrDevice) { try tree.writeAll(entry, .privlevel, ascii("1")) }
        #expect(try tree.generation(entry) == "1\n")
        try tree.writeAll(entry, .inblob, nonce)
        #expect(throws: Errno.noSuchAddressOrDevice) { try tree.readAll(entry, .outblob) }
        #expect(throws: Errno.noSuchAddressOrDevice) { try tree.makeDirectory(parent: .report, name: "s") }
    }

    @Test func generationRefusesToWrapOntoTheCachedReport() throws {
        let (tree, _) = makeTree()
        let entry = try tree.makeEntry("r")
        entry.setGenerations(write: UInt64.max - 1, read: UInt64.max)
        #expect(throws: Errno.resourceBusy) { try tree.writeAll(entry, .privlevel, ascii("1")) }
        #expect(throws: Errno.resourceBusy) { try tree.writeAll(entry, .serviceGUID, ascii("x")) }
        // inblob commits ignore the error, as configfs ignores bin_attr->write's result.
        try tree.writeAll(entry, .inblob, nonce)
        #expect(try tree.generation(entry) == "\(UInt64.max - 1)\n")
        entry.setGenerations(write: UInt64.max, read: 5)
        try tree.writeAll(entry, .privlevel, ascii("1"))
        #expect(try tree.generation(entry) == "0\n")
    }
}
