import ByteLayout
import EchoProvider
import Foundation
import Glibc
import SystemPackage
import TestDirectories
import Testing

/// With the cached-report cap in force, a generation still has exactly one report: a report dropped
/// from the cache comes back byte for byte, so its blobs never mix with another report's.
@Suite struct CacheCapTests {
    @Test func echoBlobsOfAGenerationAgreeUnderATinyCap() throws {
        // 1 MiB holds about 250 of these 4 KiB reports; 700 entries push each out at least once.
        let name = String(repeating: "p", count: 4000)
        try withMount(config: "[tsmfs]\nmax_cached_mib = 1\n") { fs in
            var outblobs: [String: [UInt8]] = [:]
            for index in 0..<700 {
                let entry = try fs.makeEntry("e\(index)")
                try Sys.writeFile(entry + "/service_provider", name)
                try Sys.writeFile(entry + "/inblob", nonce)
                outblobs[entry] = try Sys.readFile(entry + "/outblob")
            }
            var mismatches: [String] = []
            for (entry, outblob) in outblobs {
                let aux = try Sys.readFile(entry + "/auxblob")
                let manifest = try Sys.readFile(entry + "/manifestblob")
                let again = try Sys.readFile(entry + "/outblob")
                let serial = Array(outblob[EchoReport.Offset.serial..<EchoReport.Offset.serial + 8])
                if again != outblob || Array(aux[8...]) != serial || Array(manifest[8...]) != serial {
                    mismatches.append(entry)
                }
                #expect(try Sys.readText(entry + "/generation") == "2\n")
            }
            #expect(mismatches.isEmpty, "\(mismatches.count) entries read blobs of different reports")
        }
    }

    @Test func sevRereadsOfAnUnchangedGenerationAreIdentical() throws {
        let state = makeTemporaryDirectory("tsmfs-state")
        let config = "[tsmfs]\nprovider = \"sev\"\nstate_dir = \"\(state)\"\nmax_cached_mib = 1\n"
        try withMount(provider: "sev", config: config) { fs in
            var first: [String: ([UInt8], [UInt8])] = [:]
            for index in 0..<300 {
                let entry = try fs.makeEntry("e\(index)")
                try Sys.writeFile(entry + "/inblob", nonce)
                first[entry] = (try Sys.readFile(entry + "/outblob"), try Sys.readFile(entry + "/auxblob"))
            }
            var changed = 0
            for (entry, (report, aux)) in first {
                if try Sys.readFile(entry + "/outblob") != report || Sys.readFile(entry + "/auxblob") != aux { changed += 1 }
            }
            #expect(changed == 0, "\(changed) entries reread different bytes for the same generation")
        }
    }

    /// TDX quotes are signed with random nonces; a quote whose cache was dropped is rebuilt with
    /// the signature kept beside its request, so every reread of a generation is the same quote.
    @Test func tdxRereadsAfterTheCacheWasDroppedAreIdentical() throws {
        let state = makeTemporaryDirectory("tsmfs-state")
        let config = "[tsmfs]\nprovider = \"tdx\"\nstate_dir = \"\(state)\"\nmax_cached_mib = 1\n"
        try withMount(provider: "tdx", config: config) { fs in
            var first: [String: [UInt8]] = [:]
            // About 0.9 KiB of each quote is its own: 1500 of them overflow a 1 MiB cache.
            for index in 0..<1500 {
                let entry = try fs.makeEntry("q\(index)")
                try Sys.writeFile(entry + "/inblob", nonce)
                first[entry] = try Sys.readFile(entry + "/outblob")
            }
            let changed = try first.filter { try Sys.readFile($0.key + "/outblob") != $0.value }.count
            #expect(changed == 0, "\(changed) entries reread a different quote for the same generation")
            // Signed with random nonces: two generations of the same request differ.
            let distinct = Set(first.values.map { Array($0[0x27C..<0x2BC]) }).count
            #expect(distinct == first.count)
        }
    }
}
