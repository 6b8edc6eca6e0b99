import ByteLayout
import Foundation
import Glibc
import ProviderKit
import SystemPackage
import TestDirectories
import Testing

/// Verifies SEV-SNP reports and auxblobs read through the mounted filesystem with omne-attest
/// and the cryptography package, pinning only the ARK hash `tsmfs roots` exported.
@Suite struct SEVEvidenceTests {
    struct SEVFixture {
        var filesystem: MountedTSMFS
        var trust: String
    }

    static func withSEV(config: String = "", stateDirectory: String? = nil, _ body: (SEVFixture) throws -> Void) throws {
        try withTrustedMount(provider: "sev", config: config, stateDirectory: stateDirectory, exports: ["roots"]) { fs, trust in
            try body(SEVFixture(filesystem: fs, trust: trust))
        }
    }

    /// privlevel (optional), inblob with dd, then outblob and auxblob with cat.
    static func takeReport(_ fs: MountedTSMFS, nonce: [UInt8], privlevel: Int? = nil, entry: String = "r") throws -> (
        [UInt8], [UInt8]
    ) {
        let path = fs.report + "/" + entry
        if (try? Sys.stat(path)) == nil { try Sys.mkdir(path) }
        if let privlevel { try Sys.writeFile(path + "/privlevel", "\(privlevel)\n") }
        let work = makeTemporaryDirectory("tsmfs-nonce")
        try Data(nonce).write(to: URL(fileURLWithPath: work + "/nonce"))
        let result = try shell(
            "dd if=\(work)/nonce of=\(path)/inblob bs=64 count=1 status=none && cat \(path)/outblob > \(work)/report && cat \(path)/auxblob > \(work)/aux"
        )
        #expect(result.status == 0, "\(result.stderr)")
        return (
            Array(try Data(contentsOf: URL(fileURLWithPath: work + "/report"))),
            Array(try Data(contentsOf: URL(fileURLWithPath: work + "/aux")))
        )
    }

    /// Runs `script` from Tests/Verifiers on the report and auxblob (written to files, passed first)
    /// and `arguments`; returns the JSON object it prints.
    static func check(_ script: String, _ report: [UInt8], _ aux: [UInt8], _ arguments: [String]) throws -> [String: Any] {
        let work = makeTemporaryDirectory("tsmfs-report")
        try Data(report).write(to: URL(fileURLWithPath: work + "/report"))
        try Data(aux).write(to: URL(fileURLWithPath: work + "/aux"))
        let result = try run(
            TDXEvidenceTests.python,
            [TDXEvidenceTests.packageRoot + "/Tests/Verifiers/" + script, work + "/report", work + "/aux"] + arguments)
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return try #require(parsed, "\(script) output: \(result.stdout) \(result.stderr)")
    }

    /// omne-attest's and cryptography's verdict, with the ARK pinned by the hash tsmfs roots wrote.
    static func verify(
        _ report: [UInt8], _ aux: [UInt8], trust: String, nonce: [UInt8], maxVMPL: Int = 3,
        line: String = "Milan"
    ) throws -> [String: Any] {
        try check(
            "omne_attest_verify.py", report, aux,
            ["\(trust)/\(line)/ark.der.sha256", TDXEvidenceTests.hex(nonce), String(maxVMPL)])
    }

    /// The KDS encodings, checked with the cryptography package: hwID against CHIP_ID, and the CRL.
    static func kdsCheck(_ report: [UInt8], _ aux: [UInt8], trust: String, line: String = "Milan") throws -> [String: Any] {
        try check("amd_kds_check.py", report, aux, [trust, line])
    }

    @Test func vcekHardwareIDIsTheRawChipIDAsAMDIssuesIt() throws {
        try Self.withSEV { fixture in
            let (report, aux) = try Self.takeReport(fixture.filesystem, nonce: nonce)
            let verdict = try Self.kdsCheck(report, aux, trust: fixture.trust)
            #expect(verdict["hwid_equals_chip_id"] as? Bool == true, "\(verdict)")
            let chipID = try #require(verdict["chip_id"] as? String)
            #expect(!chipID.hasPrefix("02") && !chipID.hasPrefix("04"), "first-byte sniffers would read \(chipID) as DER")
        }
        try Self.withSEV(config: "hwid_encoding = \"octet-string\"\n") { fixture in
            let (report, aux) = try Self.takeReport(fixture.filesystem, nonce: nonce)
            let verdict = try Self.kdsCheck(report, aux, trust: fixture.trust)
            #expect(verdict["hwid"] as? String == "0440" + (verdict["chip_id"] as? String ?? "-"), "\(verdict)")
        }
    }

    @Test func aRawHardwareIDThatLooksLikeDERIsRefused() throws {
        let mountpoint = makeTemporaryDirectory()
        defer { rmdir(mountpoint) }
        let config = makeTemporaryDirectory("tsmfs-config") + "/sev.toml"
        try "[sev]\nchip_id = \"\(String(repeating: "04", count: 64))\"\n".write(
            toFile: config, atomically: false, encoding: .utf8)
        let result = try tsmfs("mount", "--provider", "sev", "--config", config, mountpoint)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("tsmfs: \(config):2: [sev] chip_id: a raw hwID starting with 04"), "\(result.stderr)")
    }

    @Test(arguments: ["vcek", "vlek"])
    func rootsIncludeTheCRLAMDsKDSServes(_ signer: String) throws {
        let state = makeTemporaryDirectory("tsmfs-state")  // one set of RSA keys for both variants
        for revoked in ["", "\"02\", \"1f\""] {
            let config = "signing_key = \"\(signer)\"\n" + (revoked.isEmpty ? "" : "revoked_serials = [\(revoked)]\n")
            try Self.withSEV(config: config, stateDirectory: state) { fixture in
                let (report, aux) = try Self.takeReport(fixture.filesystem, nonce: nonce)
                let verdict = try Self.kdsCheck(report, aux, trust: fixture.trust)
                #expect(verdict["crl_issuer_is_ark"] as? Bool == true, "\(verdict)")
                #expect(verdict["crl_algorithm_is_pss"] as? Bool == true, "\(verdict)")
                #expect(verdict["crl_signature_valid"] as? Bool == true, "\(verdict)")
                #expect(verdict["crl_has_number_and_aki"] as? Bool == true, "\(verdict)")
                #expect(verdict["crl_revoked"] as? [String] == (revoked.isEmpty ? [] : ["1f", "2"]), "\(verdict)")
            }
        }
    }

    @Test func reportAndAuxblobFromTheMountVerify() throws {
        try Self.withSEV { fixture in
            let nonce = (0..<64).map { UInt8(($0 * 11 + 1) & 0xff) }
            let (report, aux) = try Self.takeReport(fixture.filesystem, nonce: nonce)
            #expect(report.count == 1184)
            let verdict = try Self.verify(report, aux, trust: fixture.trust, nonce: nonce)
            #expect(verdict["verified"] as? Bool == true, "\(verdict)")
            #expect(verdict["table_order"] as? [String] == ["ark", "ask", "vcek"])
            let fields = try #require(verdict["report"] as? [String: Any])
            #expect(fields["version"] as? Int == 3 && fields["vmpl"] as? Int == 0)
            #expect(fields["policy"] as? Int == 0x30000)
            #expect(fields["cpuid"] as? [Int] == [0x19, 0x01, 0x01])
            #expect(fields["reported_tcb"] as? [Int] == [4, 0, 22, 0xD5])
            #expect(try Sys.readText(fixture.filesystem.report + "/r/provider") == "sev_guest\n")
            #expect(
                try Sys.listDirectory(fixture.filesystem.report + "/r") == [
                    ".", "..", "auxblob", "outblob", "inblob", "privlevel_floor", "privlevel", "provider", "generation",
                ])
        }
    }

    @Test func everyFieldComesFromTheConfiguration() throws {
        let config = """
            product_line = "Genoa"
            guest_svn = 9
            policy = 0x30000
            measurement = "\(String(repeating: "a7", count: 48))"
            host_data = "\(String(repeating: "b8", count: 32))"
            chip_id = "\(String(repeating: "c9", count: 64))"
            tcb_bootloader = 10
            tcb_tee = 1
            tcb_snp = 23
            tcb_microcode = 0x48
            platform_info = 0x3
            family_id = "\(String(repeating: "f1", count: 16))"
            image_id = "\(String(repeating: "e2", count: 16))"
            id_key_digest = "\(String(repeating: "d3", count: 48))"
            author_key_digest = "\(String(repeating: "c4", count: 48))"
            report_id = "\(String(repeating: "b5", count: 32))"
            firmware_major = 1
            firmware_minor = 57
            firmware_build = 9
            """
        try Self.withSEV(config: config) { fixture in
            let nonce = [UInt8](repeating: 0x42, count: 64)
            let (report, aux) = try Self.takeReport(fixture.filesystem, nonce: nonce, privlevel: 1)
            let verdict = try Self.verify(report, aux, trust: fixture.trust, nonce: nonce, line: "Genoa")
            #expect(verdict["verified"] as? Bool == true, "\(verdict)")
            let fields = try #require(verdict["report"] as? [String: Any])
            #expect(fields["guest_svn"] as? Int == 9 && fields["vmpl"] as? Int == 1)
            #expect(fields["measurement"] as? String == String(repeating: "a7", count: 48))
            #expect(fields["host_data"] as? String == String(repeating: "b8", count: 32))
            #expect(fields["chip_id"] as? String == String(repeating: "c9", count: 64))
            for tcb in ["reported_tcb", "current_tcb", "committed_tcb", "launch_tcb"] {
                #expect(fields[tcb] as? [Int] == [10, 1, 23, 0x48], "\(tcb)")
            }
            #expect(fields["cpuid"] as? [Int] == [0x19, 0x11, 0x01])
            #expect(fields["platform_info"] as? Int == 3 && fields["signer_info"] as? Int == 0)
            #expect(fields["family_id"] as? String == String(repeating: "f1", count: 16))
            #expect(fields["image_id"] as? String == String(repeating: "e2", count: 16))
            #expect(fields["id_key_digest"] as? String == String(repeating: "d3", count: 48))
            #expect(fields["author_key_digest"] as? String == String(repeating: "c4", count: 48))
            #expect(fields["report_id"] as? String == String(repeating: "b5", count: 32))
            #expect(fields["firmware"] as? [Int] == [9, 57, 1, 9, 57, 1])
            #expect(fields["report_data"] as? String == TDXEvidenceTests.hex(nonce))
        }
    }

    @Test(arguments: [2, 3, 5])
    func reportVersionsVerify(_ version: Int) throws {
        try Self.withSEV(config: "report_version = \(version)\n") { fixture in
            let nonce = [UInt8](repeating: UInt8(version), count: 64)
            let (report, aux) = try Self.takeReport(fixture.filesystem, nonce: nonce)
            let verdict = try Self.verify(report, aux, trust: fixture.trust, nonce: nonce)
            #expect(verdict["verified"] as? Bool == true, "\(verdict)")
            #expect((verdict["report"] as? [String: Any])?["version"] as? Int == version)
        }
    }

    @Test func flippedBytesFailVerification() throws {
        try Self.withSEV { fixture in
            let nonce = [UInt8](repeating: 5, count: 64)
            let (report, aux) = try Self.takeReport(fixture.filesystem, nonce: nonce)
            #expect(try Self.verify(report, aux, trust: fixture.trust, nonce: nonce)["verified"] as? Bool == true)
            for offset in [0x90, 0x50 + 63, 0x1A0, 0x2A0 + 1] {
                var tampered = report
                tampered[offset] ^= 0x01
                #expect(
                    try Self.verify(tampered, aux, trust: fixture.trust, nonce: nonce)["verified"] as? Bool == false,
                    "report byte 0x\(String(offset, radix: 16))")
            }
            // A byte inside each certificate's signed part (well past the table's 96 bytes).
            let vcekOffset = Int(aux.loadLittleEndianUInt32(at: 48 + 16))
            let askOffset = Int(aux.loadLittleEndianUInt32(at: 24 + 16))
            for offset in [vcekOffset + 200, askOffset + 300] {
                var tampered = aux
                tampered[offset] ^= 0x01
                #expect(
                    try Self.verify(report, tampered, trust: fixture.trust, nonce: nonce)["verified"] as? Bool == false,
                    "auxblob byte \(offset)")
            }
        }
    }

    @Test func privilegeLevelsFollowTheFloor() throws {
        try Self.withSEV { fixture in
            let entry = try fixture.filesystem.makeEntry("levels")
            #expect(try Sys.readText(entry + "/privlevel_floor") == "0\n")
            for level in 0...3 {
                let (report, aux) = try Self.takeReport(fixture.filesystem, nonce: nonce, privlevel: level, entry: "levels")
                let verdict = try Self.verify(report, aux, trust: fixture.trust, nonce: nonce)
                #expect((verdict["report"] as? [String: Any])?["vmpl"] as? Int == level)
            }
            #expect(throws: Errno.invalidArgument) { try Sys.writeFile(entry + "/privlevel", "4") }
        }
        try Self.withSEV(config: "guest_vmpl = 2\n") { fixture in
            let entry = try fixture.filesystem.makeEntry("floor")
            #expect(try Sys.readText(entry + "/privlevel_floor") == "2\n")
            #expect(throws: Errno.invalidArgument) { try Sys.writeFile(entry + "/privlevel", "1") }
            // Without a privlevel write the request asks for VMPL0, which the firmware refuses.
            try Sys.writeFile(entry + "/inblob", nonce)
            #expect(throws: Errno.invalidArgument) { try Sys.readFile(entry + "/outblob") }
            try Sys.writeFile(entry + "/privlevel", "3")
            let (report, aux) = try Self.takeReport(fixture.filesystem, nonce: nonce, entry: "floor")
            let verdict = try Self.verify(report, aux, trust: fixture.trust, nonce: nonce)
            #expect((verdict["report"] as? [String: Any])?["vmpl"] as? Int == 3)
        }
    }

    @Test func rootsPersistAcrossRemountsInEveryLayout() throws {
        let state = makeTemporaryDirectory("tsmfs-state")
        var firstTrust = ""
        try Self.withSEV(stateDirectory: state) { fixture in firstTrust = fixture.trust }
        try Self.withSEV(stateDirectory: state) { fixture in
            let (report, aux) = try Self.takeReport(fixture.filesystem, nonce: nonce)
            #expect(try Self.verify(report, aux, trust: firstTrust, nonce: nonce)["verified"] as? Bool == true)
        }
        #expect(try Sys.stat(state + "/sev/ark-milan.key").st_mode & 0o777 == 0o600)
        let ark = try String(contentsOfFile: firstTrust + "/Milan/ark.pem", encoding: .utf8)
        let ask = try String(contentsOfFile: firstTrust + "/Milan/ask.pem", encoding: .utf8)
        #expect(try String(contentsOfFile: firstTrust + "/Milan/ask_ark.pem", encoding: .utf8) == ask + ark)
        #expect(try String(contentsOfFile: firstTrust + "/Milan/snpguest/ark.pem", encoding: .utf8) == ark)
        let arkDER = try Data(contentsOf: URL(fileURLWithPath: firstTrust + "/Milan/ark.der"))
        let digest = try run("/usr/bin/sha256sum", [firstTrust + "/Milan/ark.der"]).stdout.prefix(64)
        #expect(try String(contentsOfFile: firstTrust + "/Milan/ark.der.sha256", encoding: .utf8) == digest + "\n")
        #expect(arkDER.count > 1000)
    }

    @Test func svsmAttestsItsServicesManifest() throws {
        try Self.withSEV(config: "guest_vmpl = 1\n") { fixture in
            let entry = try fixture.filesystem.makeEntry("svsm")
            #expect(
                try Sys.listDirectory(entry) == [
                    ".", "..", "manifestblob", "auxblob", "outblob", "inblob",
                    "service_manifest_version", "service_guid", "service_provider",
                    "privlevel_floor", "privlevel", "provider", "generation",
                ])
            #expect(try Sys.readText(entry + "/privlevel_floor") == "1\n")
            try Sys.writeFile(entry + "/service_provider", "svsm\n")
            let nonce = (0..<64).map { UInt8(($0 * 5 + 2) & 0xff) }
            let (report, aux) = try Self.takeReport(fixture.filesystem, nonce: nonce, entry: "svsm")
            let manifest = try Sys.readFile(entry + "/manifestblob")
            // A GUID table: header (manifest GUID, length, one entry), then the vTPM entry and its data.
            #expect(
                Array(manifest[0..<16]) == [
                    0xbb, 0x9e, 0x84, 0x63, 0x92, 0x3d, 0x70, 0x46,
                    0xa1, 0xff, 0x58, 0xf9, 0xc9, 0x4b, 0x87, 0xbb,
                ])
            #expect(Int(manifest.loadLittleEndianUInt32(at: 16)) == manifest.count)
            #expect(manifest.loadLittleEndianUInt32(at: 20) == 1)
            #expect(
                Array(manifest[24..<40]) == [
                    0xeb, 0xf1, 0x76, 0xc4, 0x23, 0x01, 0xa5, 0x45,
                    0x96, 0x41, 0xb4, 0xe7, 0xdd, 0xe5, 0xbf, 0xe3,
                ])
            #expect(manifest.loadLittleEndianUInt32(at: 40) == 48)
            let vtpm = Array(manifest[48...])
            #expect(Int(manifest.loadLittleEndianUInt32(at: 44)) == vtpm.count)
            #expect(Array(vtpm[0..<4]) == [0x00, 0x23, 0x00, 0x0B])  // TPMT_PUBLIC: ECC, SHA-256
            // REPORT_DATA = SHA-512(nonce ‖ manifest), in a report from the SVSM's VMPL0.
            let binding = try shell(
                "cat <(printf '\(nonce.map { String(format: "\\x%02x", $0) }.joined())') \(entry)/manifestblob | sha512sum"
            ).stdout.prefix(128)
            let verdict = try Self.verify(report, aux, trust: fixture.trust, nonce: [UInt8](hex: binding)!, maxVMPL: 0)
            #expect(verdict["verified"] as? Bool == true, "\(verdict)")

            // One service: its own manifest, the vTPM's endorsement key.
            try Sys.writeFile(entry + "/service_guid", "c476f1eb-0123-45a5-9641-b4e7dde5bfe3")
            let (single, singleAux) = try Self.takeReport(fixture.filesystem, nonce: nonce, entry: "svsm")
            #expect(try Sys.readFile(entry + "/manifestblob") == vtpm)
            let singleBinding = try shell(
                "cat <(printf '\(nonce.map { String(format: "\\x%02x", $0) }.joined())') \(entry)/manifestblob | sha512sum"
            ).stdout.prefix(128)
            #expect(
                try Self.verify(
                    single, singleAux, trust: fixture.trust, nonce: [UInt8](hex: singleBinding)!,
                    maxVMPL: 0)["verified"] as? Bool == true)

            try Sys.writeFile(entry + "/service_manifest_version", "1")
            #expect(throws: Errno.invalidArgument) { try Sys.readFile(entry + "/outblob") }
            try Sys.writeFile(entry + "/service_manifest_version", "0")
            try Sys.writeFile(entry + "/service_guid", "00000000-0000-0000-0000-00000000000a")
            #expect(throws: Errno.invalidArgument) { try Sys.readFile(entry + "/outblob") }
            try Sys.writeFile(entry + "/service_provider", "other")
            #expect(throws: Errno.invalidArgument) { try Sys.readFile(entry + "/outblob") }
        }
    }

    @Test func seededReportsRepeatByteForByte() throws {
        let seed = String(repeating: "5e", count: 32)
        let state = makeTemporaryDirectory("tsmfs-state")
        var evidence: [[UInt8]] = []
        for _ in 0..<2 {
            let config = "[tsmfs]\nprovider = \"sev\"\nstate_dir = \"\(state)\"\n"
            try withMount(provider: "sev", config: config, arguments: ["--deterministic-seed", seed]) { fs in
                let trust = makeTemporaryDirectory("tsmfs-trust")
                #expect(
                    try run(
                        TSMFSBinary.path,
                        [
                            "roots", "--config", fs.configPath!, "--deterministic-seed", seed,
                            "--out", trust,
                        ]
                    ).status == 0)
                let (report, aux) = try Self.takeReport(fs, nonce: nonce, privlevel: 1)
                #expect(try Self.verify(report, aux, trust: trust, nonce: nonce)["verified"] as? Bool == true)
                evidence.append(report + aux)
            }
        }
        #expect(evidence[0] == evidence[1], "seeded reports and auxblobs for the same request must be identical")
        // The VCEK key is derived from the seed, not stored; RSA keys cannot be derived and are stored.
        #expect((try? Sys.stat(state + "/sev/vcek-milan.key")) == nil)
        #expect(try Sys.stat(state + "/sev/ark-milan.key").st_mode & 0o777 == 0o600)
    }

    @Test func vlekSignedReportsVerify() throws {
        try Self.withSEV(config: "signing_key = \"vlek\"\n") { fixture in
            let (report, aux) = try Self.takeReport(fixture.filesystem, nonce: nonce, privlevel: 1)
            #expect((report[0x48] >> 2) & 7 == 1)
            let verdict = try Self.verify(report, aux, trust: fixture.trust, nonce: nonce)
            #expect(verdict["verified"] as? Bool == true, "\(verdict)")
            #expect(verdict["table_order"] as? [String] == ["ark", "ask", "vlek"])
            #expect(FileManager.default.fileExists(atPath: fixture.trust + "/Milan/asvk_ark.pem"))
            #expect(FileManager.default.fileExists(atPath: fixture.trust + "/Milan/snpguest/vlek.pem"))
            var tampered = report
            tampered[0x90] ^= 1
            #expect(try Self.verify(tampered, aux, trust: fixture.trust, nonce: nonce)["verified"] as? Bool == false)
        }
    }

    @Test func firmwareAndHostFaultsMirrorTheDriver() throws {
        let cases: [(String, Errno?)] = [
            ("invalid_params = true", .invalidArgument), ("vmpck_disabled = true", .inappropriateIOCTLForDevice),
            ("host_busy = true", .timedOut), ("no_certificates = true", nil),
        ]
        for (setting, errno) in cases {
            try Self.withSEV(config: setting + "\n") { fixture in
                let entry = try fixture.filesystem.makeEntry()
                try Sys.writeFile(entry + "/inblob", nonce)
                if let errno {
                    #expect(throws: errno, "\(setting)") { try Sys.readFile(entry + "/outblob") }
                    #expect(throws: errno, "\(setting)") { try Sys.readFile(entry + "/outblob") }
                } else {
                    #expect(try Sys.readFile(entry + "/outblob").count == 1184)
                    #expect(try Sys.readFile(entry + "/auxblob") == [])
                }
            }
        }
        try Self.withSEV { fixture in
            let entry = try fixture.filesystem.makeEntry("short")
            try Sys.writeFile(entry + "/inblob", [1, 2, 3])
            #expect(throws: Errno.invalidArgument) { try Sys.readFile(entry + "/outblob") }
        }
    }
}

extension Array where Element == UInt8 {
    func loadLittleEndianUInt32(at offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(self[offset + $1]) << (8 * $1) }
    }
}
