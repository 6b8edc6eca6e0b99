import CBOR
import CBORFuzz
import Foundation
import Glibc
import SystemPackage
import TestDirectories
import Testing

/// The arm_cca_guest provider through a real mount: the driver's ABI, and tokens verified with
/// third-party CBOR/COSE code (cbor2 and pycose) against what `tsmfs roots --provider cca` exported.
@Suite struct CCAEvidenceTests {
    static func withCCA(config: String = "", _ body: (MountedTSMFS, String) throws -> Void) throws {
        try withTrustedMount(provider: "cca", config: config, stateDirectory: nil, exports: ["roots"], body)
    }

    /// dd the challenge in, cat the token out.
    static func takeToken(_ fs: MountedTSMFS, challenge: [UInt8], entry: String = "t") throws -> [UInt8] {
        let path = fs.report + "/" + entry
        if (try? Sys.stat(path)) == nil { try Sys.mkdir(path) }
        let file = makeTemporaryDirectory("tsmfs-cca") + "/challenge"
        try Data(challenge).write(to: URL(fileURLWithPath: file))
        let result = try shell(
            "dd if=\(file) of=\(path)/inblob bs=\(challenge.count) count=1 status=none && cat \(path)/outblob > \(file).token")
        #expect(result.status == 0, "\(result.stderr)")
        return Array(try Data(contentsOf: URL(fileURLWithPath: file + ".token")))
    }

    static func verify(_ token: [UInt8], trust: String, challenge: [UInt8]) throws -> [String: Any] {
        let file = makeTemporaryDirectory("tsmfs-cca") + "/token.cbor"
        try Data(token).write(to: URL(fileURLWithPath: file))
        let result = try run(
            TDXEvidenceTests.python,
            [TDXEvidenceTests.packageRoot + "/Tests/Verifiers/cca_token_verify.py", file, trust, TDXEvidenceTests.hex(challenge)])
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return try #require(parsed, "verifier output: \(result.stdout) \(result.stderr)")
    }

    @Test func theDriversABIThroughTheMount() throws {
        try Self.withCCA { fs, _ in
            let entry = try fs.makeEntry("abi")
            #expect(
                try Sys.listDirectory(entry).filter { $0 != "." && $0 != ".." }.sorted() == [
                    "auxblob", "generation", "inblob", "manifestblob", "outblob", "privlevel", "privlevel_floor", "provider",
                    "service_guid", "service_manifest_version", "service_provider",
                ])
            #expect(try Sys.readText(entry + "/provider") == "arm_cca_guest\n")
            #expect(try Sys.readText(entry + "/privlevel_floor") == "0\n")
            try Sys.writeFile(entry + "/inblob", [UInt8](repeating: 7, count: 31))
            #expect(throws: Errno.invalidArgument) { try Sys.readFile(entry + "/outblob") }
            try Sys.writeFile(entry + "/inblob", [UInt8](repeating: 7, count: 32))
            #expect(try Sys.readFile(entry + "/outblob").count > 0)
            // privlevel and service_* are accepted (the generation moves) and change nothing.
            let before = try Sys.readText(entry + "/generation")
            try Sys.writeFile(entry + "/privlevel", "2\n")
            try Sys.writeFile(entry + "/service_provider", "svsm\n")
            try Sys.writeFile(entry + "/service_manifest_version", "1\n")
            #expect(try Sys.readText(entry + "/generation") == "\(Int(before.dropLast())! + 3)\n")
            #expect(try Sys.readFile(entry + "/outblob").count > 0)
            #expect(try Sys.readFile(entry + "/auxblob").isEmpty && (try Sys.readFile(entry + "/manifestblob")).isEmpty)
        }
    }

    @Test func tokensVerifyWithPycoseInEveryForm() throws {
        for config in [
            "", "collection = \"cmw\"\n", "profile = \"legacy\"\nplatform_algorithm = \"ES256\"\n",
            "realm_hash_algorithm = \"sha-512\"\nrak_hash_algorithm = \"sha-384\"\nrem2 = \"\(String(repeating: "ab", count: 64))\"\n",
        ] {
            try Self.withCCA(config: config) { fs, trust in
                for length in [32, 48, 64] {
                    let challenge = (0..<length).map { UInt8(($0 * 13 + length) & 0xFF) }
                    let token = try Self.takeToken(fs, challenge: challenge, entry: "t\(length)")
                    let verdict = try Self.verify(token, trust: trust, challenge: challenge)
                    #expect(verdict["verified"] as? Bool == true, "[cca] \(config): \(verdict)")
                }
                let verdict = try Self.verify(
                    try Self.takeToken(fs, challenge: [UInt8](repeating: 1, count: 64)), trust: trust,
                    challenge: [UInt8](repeating: 1, count: 64))
                if config.contains("cmw") { #expect(verdict["collection"] as? Int == 907) }
                if config.contains("legacy") {
                    #expect(verdict["rak_form"] as? String == "raw-point" && verdict["platform_algorithm"] as? Int == -7)
                    #expect(verdict["platform_profile"] as? String == "http://arm.com/CCA-SSD/1.0.0")
                }
                if config.contains("rem2") { #expect(verdict["rem0"] as? String == String(repeating: "00", count: 64)) }
            }
        }
    }

    @Test func tamperedTokensAreRejected() throws {
        try Self.withCCA { fs, trust in
            let challenge = [UInt8](repeating: 0x42, count: 64)
            let token = try Self.takeToken(fs, challenge: challenge)
            #expect(try Self.verify(token, trust: trust, challenge: challenge)["verified"] as? Bool == true)
            #expect(
                try Self.verify(token, trust: trust, challenge: [UInt8](repeating: 0x43, count: 64))["verified"] as? Bool == false
            )
            // Flip one byte in each signed payload and each signature: every one must fail.
            let parsed = try CBORDecoder.decode(token)
            guard case .tagged(_, let map) = parsed, let platform = map[44234]?.bytesValue, let realm = map[44241]?.bytesValue
            else {
                Issue.record("not a token collection")
                return
            }
            for (inner, range) in [
                (platform, 20..<platform.count - 100), (platform, platform.count - 10..<platform.count),
                (realm, 20..<realm.count - 100), (realm, realm.count - 10..<realm.count),
            ] {
                let offset = token.firstRange(of: inner)!.lowerBound + (range.lowerBound + range.upperBound) / 2
                var tampered = token
                tampered[offset] ^= 0x01
                let verdict = try? Self.verify(tampered, trust: trust, challenge: challenge)
                #expect(verdict?["verified"] as? Bool != true, "a flipped byte at \(offset) passed")
            }
            // A token from another platform (other roots) is not this platform's.
            let other = makeTemporaryDirectory("tsmfs-trust")
            let state = makeTemporaryDirectory("tsmfs-state")
            #expect(try run(TSMFSBinary.path, ["roots", "--provider", "cca", "--state-dir", state, "--out", other]).status == 0)
            #expect(try Self.verify(token, trust: other, challenge: challenge)["verified"] as? Bool == false)
        }
    }

    @Test func theExampleConfigurationIsValidAndDefault() throws {
        let state = makeTemporaryDirectory("tsmfs-state")
        let trust = makeTemporaryDirectory("tsmfs-trust")
        let result = try run(
            TSMFSBinary.path,
            ["roots", "--config", TDXEvidenceTests.packageRoot + "/examples/cca.toml", "--state-dir", state, "--out", trust])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Sys.readText(trust + "/cpak.pem").hasPrefix("-----BEGIN PUBLIC KEY-----"))
    }

    @Test func faultsAreTheDriversErrno() throws {
        for (config, errno) in [
            ("rsi_error = true\n", Errno.noSuchAddressOrDevice), ("token_init_failure = true\n", .invalidArgument),
        ] {
            try Self.withCCA(config: config) { fs, _ in
                let entry = try fs.makeEntry()
                try Sys.writeFile(entry + "/inblob", [UInt8](repeating: 1, count: 64))
                #expect(throws: errno) { try Sys.readFile(entry + "/outblob") }
            }
        }
    }

    @Test func execRunsACCAClientAtTheCanonicalPath() throws {
        let state = makeTemporaryDirectory("tsmfs-state")
        let result = try run(
            TSMFSBinary.path,
            [
                "exec", "--provider", "cca", "--state-dir", state, "--", "sh", "-ec",
                "r=/sys/kernel/config/tsm/report/r; mkdir $r; cat $r/provider; head -c 64 /dev/urandom > $r/inblob; head -c 3 $r/outblob | od -An -tx1",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "arm_cca_guest\n d9 01 8f\n", "tag 399 opens the token")
    }

    @Test func theCBOREncoderAgreesWithCbor2() throws {
        var generator = SplitMix(seed: 0xC0B0)
        let work = makeTemporaryDirectory("tsmfs-cbor")
        var values: [CBORValue] = []
        var files: [String] = []
        for index in 0..<200 {
            let value = CBORValue.random(&generator, depth: 0)
            values.append(value)
            files.append("\(work)/\(index).cbor")
            try Data(CBOREncoder.encode(value)).write(to: URL(fileURLWithPath: files.last!))
        }
        let result = try run(TDXEvidenceTests.python, [TDXEvidenceTests.packageRoot + "/Tests/Verifiers/cbor_check.py"] + files)
        let verdicts = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]], "\(result.stderr)")
        #expect(verdicts.count == values.count)
        for (index, verdict) in verdicts.enumerated() {
            #expect(verdict["deterministic"] as? Bool == true, "\(files[index]): \(verdict["problems"] ?? "")")
            let decoded = try CBORDecoder.decode(CBOREncoder.encode(values[index]))
            let ours = try Self.canonicalJSON(Self.describe(decoded))
            let theirs = try Self.canonicalJSON(verdict["value"] ?? [:])
            #expect(ours == theirs, "\(files[index]) decodes differently in cbor2")
        }
    }

    static func canonicalJSON(_ value: Any) throws -> String {
        String(
            decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self)
    }

    /// The description cbor_check.py prints, built from our own decoding.
    static func describe(_ value: CBORValue) -> Any {
        switch value {
        case .unsigned(let number): ["i": String(number)]
        case .negative(let number): ["i": number == UInt64.max ? "-18446744073709551616" : String(-1 - Int128(number))]
        case .bytes(let bytes): ["b": TDXEvidenceTests.hex(bytes)]
        case .text(let text): ["t": text]
        case .array(let items): ["a": items.map(describe)]
        case .map(let entries): ["m": entries.map { [describe($0.key), describe($0.value)] }]
        case .tagged(let tag, let item): ["tag": String(tag), "v": describe(item)]
        case .bool(let flag): ["bool": flag]
        case .null: ["null": true]
        }
    }
}
