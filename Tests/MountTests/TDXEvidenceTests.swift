import ByteLayout
import Foundation
import Glibc
import SystemPackage
import TestDirectories
import Testing

/// Verifies TDX quotes read through the mounted filesystem with the third-party dcap-qvl,
/// trusting only what `tsmfs roots` and `tsmfs collateral` exported.
@Suite struct TDXEvidenceTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    static let python = ProcessInfo.processInfo.environment["TSMFS_VERIFIER_PYTHON"] ?? packageRoot + "/.venv/bin/python"

    /// A tdx mount and the trust material exported from it.
    struct TDXFixture {
        var filesystem: MountedTSMFS
        var trust: String
    }

    static func withTDX(
        config: String = "", stateDirectory: String? = nil, kernel: String? = nil, _ body: (TDXFixture) throws -> Void
    ) throws {
        try withTrustedMount(
            provider: "tdx", config: config, stateDirectory: stateDirectory,
            exports: ["roots", "collateral"], tsmfsSettings: kernel.map { "kernel = \"\($0)\"\n" } ?? ""
        ) { fs, trust in
            try body(TDXFixture(filesystem: fs, trust: trust))
        }
    }

    /// Takes a quote the way a shell user does: dd the nonce in, cat the quote out.
    static func takeQuote(_ fs: MountedTSMFS, nonce: [UInt8], entry: String = "q") throws -> [UInt8] {
        let path = fs.report + "/" + entry
        if (try? Sys.stat(path)) == nil { try Sys.mkdir(path) }
        let nonceFile = makeTemporaryDirectory("tsmfs-nonce") + "/nonce"
        try Data(nonce).write(to: URL(fileURLWithPath: nonceFile))
        let result = try shell(
            "dd if=\(nonceFile) of=\(path)/inblob bs=64 count=1 status=none && cat \(path)/outblob > \(nonceFile).quote")
        #expect(result.status == 0, "\(result.stderr)")
        return Array(try Data(contentsOf: URL(fileURLWithPath: nonceFile + ".quote")))
    }

    /// dcap-qvl's verdict on `quote`.
    static func verify(_ quote: [UInt8], trust: String) throws -> [String: Any] {
        let quoteFile = makeTemporaryDirectory("tsmfs-quote") + "/quote.dat"
        try Data(quote).write(to: URL(fileURLWithPath: quoteFile))
        let result = try run(
            python,
            [
                packageRoot + "/Tests/Verifiers/dcap_qvl_verify.py", quoteFile,
                trust + "/collateral.json", trust + "/intel-sgx-root-ca.der",
            ])
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return try #require(parsed, "verifier output: \(result.stdout) \(result.stderr)")
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// Intel's appraisal rules, applied by an independent script (Tests/Verifiers/intel_appraisal.py).
    static func appraise(_ quote: [UInt8], trust: String) throws -> [String: Any] {
        let quoteFile = makeTemporaryDirectory("tsmfs-quote") + "/quote.dat"
        try Data(quote).write(to: URL(fileURLWithPath: quoteFile))
        let result = try run(python, [packageRoot + "/Tests/Verifiers/intel_appraisal.py", quoteFile, trust])
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return try #require(parsed, "appraisal output: \(result.stdout) \(result.stderr)")
    }

    @Test(arguments: [
        ("4", "2", "UpToDate"), ("5", "2", "UpToDate"), ("5", "3", "UpToDate"), ("4", "2", "OutOfDate"),
        ("5", "3", "OutOfDate"),
    ])
    func everyQuoteKindPassesIntelsAppraisalRules(_ version: String, _ bodyType: String, _ status: String) throws {
        let config = "quote_version = \(version)\nbody_type = \(bodyType)\ntcb_status = \"\(status)\"\n"
        try Self.withTDX(config: config) { fixture in
            let quote = try Self.takeQuote(fixture.filesystem, nonce: nonce)
            let verdict = try Self.appraise(quote, trust: fixture.trust)
            #expect(verdict["failures"] as? [String] == [], "\(verdict)")
            #expect(verdict["version"] as? Int == Int(version) && verdict["body_type"] as? Int == Int(bodyType))
            #expect(verdict["qe_status"] as? String == "UpToDate" && verdict["module_status"] as? String == "UpToDate")
            #expect(verdict["tcb_status"] as? String == status && verdict["status"] as? String == status, "\(verdict)")
        }
    }

    @Test func theAppraisalCatchesAnUnmaskedQEIdentity() throws {
        try Self.withTDX { fixture in
            let quote = try Self.takeQuote(fixture.filesystem, nonce: nonce)
            // Publish the QE's raw ATTRIBUTES, as tsmfs once did: Intel's rule must reject it. The
            // signature would fail too, so re-sign is out of reach: check the named failure is there.
            let path = fixture.trust + "/qe-identity.json"
            let text = try String(contentsOfFile: path, encoding: .utf8)
            try text.replacingOccurrences(
                of: #""attributes":"11000000000000000000000000000000""#,
                with: #""attributes":"15000000000000000000000000000000""#
            )
            .write(toFile: path, atomically: false, encoding: .utf8)
            let verdict = try Self.appraise(quote, trust: fixture.trust)
            let failures = try #require(verdict["failures"] as? [String])
            #expect(failures.contains("Quoting Enclave attributes do not match the QE identity under its mask"), "\(failures)")
            #expect(failures.contains("the QE identity signature does not verify"), "\(failures)")
        }
    }

    @Test func quoteFromTheMountVerifiesUpToDate() throws {
        try Self.withTDX { fixture in
            let nonce = (0..<64).map { UInt8(($0 * 13 + 5) & 0xff) }
            let quote = try Self.takeQuote(fixture.filesystem, nonce: nonce)
            #expect(quote.count > 1020 && quote.count < 8192)
            let verdict = try Self.verify(quote, trust: fixture.trust)
            #expect(verdict["verified"] as? Bool == true, "\(verdict)")
            let result = try #require(verdict["result"] as? [String: Any])
            #expect(result["status"] as? String == "UpToDate")
            let report = try #require((result["report"] as? [String: Any])?["TD10"] as? [String: Any])
            #expect(report["report_data"] as? String == Self.hex(nonce))
            let header = try #require(verdict["header"] as? [String: Any])
            #expect(header["version"] as? Int == 4 && header["tee_type"] as? Int == 0x81)
            #expect(header["attestation_key_type"] as? Int == 2)
            #expect(header["qe_vendor_id"] as? String == "939a7233f79c4ca9940a0db3957f0607")
            #expect(try Sys.readText(fixture.filesystem.report + "/q/provider") == "tdx_guest\n")
            #expect(
                try Sys.listDirectory(fixture.filesystem.report + "/q") == [
                    ".", "..", "outblob", "inblob", "provider", "generation",
                ])
        }
    }

    @Test func everyFieldComesFromTheConfiguration() throws {
        let mrtd = String(repeating: "a1", count: 48)
        let config = """
            mrtd = "\(mrtd)"
            mrconfigid = "\(String(repeating: "c3", count: 48))"
            mrowner = "\(String(repeating: "d4", count: 48))"
            mrownerconfig = "\(String(repeating: "e5", count: 48))"
            xfam = "e702060000000000"
            mrseam = "\(String(repeating: "f6", count: 48))"
            tee_tcb_svn = "05010300000000000000000000000000"
            """
        try Self.withTDX(config: config) { fixture in
            let quote = try Self.takeQuote(fixture.filesystem, nonce: Array(repeating: 7, count: 64))
            let verdict = try Self.verify(quote, trust: fixture.trust)
            #expect(verdict["verified"] as? Bool == true, "\(verdict)")
            let report = try #require(
                ((verdict["result"] as? [String: Any])?["report"] as? [String: Any])?["TD10"] as? [String: Any])
            #expect(report["mr_td"] as? String == mrtd)
            // RTMR0–2 replay the boot log (BootLogTests); RTMR3 starts at zero.
            for register in ["rt_mr0", "rt_mr1", "rt_mr2"] {
                #expect(report[register] as? String != String(repeating: "00", count: 48), "\(register)")
            }
            #expect(report["rt_mr3"] as? String == String(repeating: "00", count: 48))
            #expect(report["mr_config_id"] as? String == String(repeating: "c3", count: 48))
            #expect(report["mr_owner"] as? String == String(repeating: "d4", count: 48))
            #expect(report["mr_owner_config"] as? String == String(repeating: "e5", count: 48))
            #expect(report["xfam"] as? String == "e702060000000000")
            #expect(report["mr_seam"] as? String == String(repeating: "f6", count: 48))
            #expect(report["tee_tcb_svn"] as? String == "05010300000000000000000000000000")
            #expect(report["td_attributes"] as? String == "0000001000000000")
        }
    }

    @Test(arguments: [("5", "2", "TD10"), ("5", "3", "TD15")])
    func version5BodyTypesVerify(_ version: String, _ bodyType: String, _ reportKind: String) throws {
        try Self.withTDX(config: "quote_version = \(version)\nbody_type = \(bodyType)\n") { fixture in
            let quote = try Self.takeQuote(fixture.filesystem, nonce: Array(repeating: 9, count: 64))
            #expect(quote.loadLittleEndianUInt16(at: 0) == 5 && quote.loadLittleEndianUInt16(at: 48) == UInt16(bodyType)!)
            let verdict = try Self.verify(quote, trust: fixture.trust)
            #expect(verdict["verified"] as? Bool == true, "\(verdict)")
            let result = try #require(verdict["result"] as? [String: Any])
            #expect(result["status"] as? String == "UpToDate")
            #expect((result["report"] as? [String: Any])?[reportKind] != nil, "\(result)")
        }
    }

    @Test func tamperingWithAnySignedPartFailsVerification() throws {
        try Self.withTDX { fixture in
            let quote = try Self.takeQuote(fixture.filesystem, nonce: Array(repeating: 1, count: 64))
            #expect(try Self.verify(quote, trust: fixture.trust)["verified"] as? Bool == true)
            let signatureData = 0x27C
            let qeReport = signatureData + 128 + 6
            let chain = qeReport + 384 + 64 + 2 + 32 + 6
            let places: [(String, Int)] = [
                ("body (MRTD)", 0x30 + 0x88 + 5), ("report data", 0x30 + 0x208), ("header", 0x1C),
                ("QE report", qeReport + 0x100 + 1), ("QE report signature", qeReport + 384 + 3),
                ("PCK chain", chain + 200), ("attestation key", signatureData + 64 + 10),
            ]
            for (part, offset) in places {
                var tampered = quote
                tampered[offset] ^= 0x01
                let verdict = try Self.verify(tampered, trust: fixture.trust)
                #expect(verdict["verified"] as? Bool == false, "tampered \(part) still verified: \(verdict)")
            }
        }
    }

    @Test func outOfDateSwitchIsReportedByTheVerifier() throws {
        try Self.withTDX(config: "tcb_status = \"OutOfDate\"\n") { fixture in
            let quote = try Self.takeQuote(fixture.filesystem, nonce: Array(repeating: 2, count: 64))
            let verdict = try Self.verify(quote, trust: fixture.trust)
            #expect(verdict["verified"] as? Bool == true, "\(verdict)")
            #expect((verdict["result"] as? [String: Any])?["status"] as? String == "OutOfDate")
        }
    }

    @Test func keysPersistAcrossRemountsSoExportedRootsKeepWorking() throws {
        let state = makeTemporaryDirectory("tsmfs-state")
        var firstTrust = ""
        try Self.withTDX(stateDirectory: state) { fixture in
            firstTrust = fixture.trust
            _ = try Self.takeQuote(fixture.filesystem, nonce: Array(repeating: 3, count: 64))
        }
        let keyMode = try Sys.stat(state + "/tdx/intel-sgx-root-ca.key").st_mode & 0o777
        #expect(keyMode == 0o600)
        try Self.withTDX(stateDirectory: state) { fixture in
            let quote = try Self.takeQuote(fixture.filesystem, nonce: Array(repeating: 4, count: 64))
            let verdict = try Self.verify(quote, trust: firstTrust)
            #expect(verdict["verified"] as? Bool == true, "a remount's quote must verify with the first export: \(verdict)")
            let firstRoot = try Data(contentsOf: URL(fileURLWithPath: firstTrust + "/intel-sgx-root-ca.der"))
            let secondRoot = try Data(contentsOf: URL(fileURLWithPath: fixture.trust + "/intel-sgx-root-ca.der"))
            #expect(firstRoot == secondRoot)
        }
    }

    @Test func looseKeyPermissionsAreRefused() throws {
        let state = makeTemporaryDirectory("tsmfs-state")
        try Self.withTDX(stateDirectory: state) { _ in }
        chmod(state + "/tdx/intel-sgx-pck.key", 0o644)
        let mountpoint = makeTemporaryDirectory()
        defer { rmdir(mountpoint) }
        let result = try tsmfs("mount", "--provider", "tdx", "--state-dir", state, mountpoint)
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "tsmfs: \(state)/tdx/intel-sgx-pck.key is readable by other users (mode 644); a private key must be 0600: chmod 600 \(state)/tdx/intel-sgx-pck.key\n"
        )
    }

    @Test func deterministicSeedReproducesRootsAndQuotes() throws {
        let seed = String(repeating: "5eed", count: 8)
        let fixedNonce = (0..<64).map { UInt8($0) }
        var roots: [Data] = []
        var quotes: [[UInt8]] = []
        for _ in 0..<2 {
            let state = makeTemporaryDirectory("tsmfs-state")
            try withMount(
                provider: "tdx", config: "[tsmfs]\nprovider = \"tdx\"\nstate_dir = \"\(state)\"\n",
                arguments: ["--deterministic-seed", seed]
            ) { fs in
                let trust = makeTemporaryDirectory("tsmfs-trust")
                for command in ["roots", "collateral"] {
                    let result = try run(
                        TSMFSBinary.path,
                        [
                            command, "--config", fs.configPath!,
                            "--deterministic-seed", seed, "--out", trust,
                        ])
                    #expect(result.status == 0, "\(result.stderr)")
                }
                let quote = try Self.takeQuote(fs, nonce: fixedNonce)
                #expect(try Self.verify(quote, trust: trust)["verified"] as? Bool == true)
                quotes.append(quote)
                roots.append(try Data(contentsOf: URL(fileURLWithPath: trust + "/intel-sgx-root-ca.der")))
            }
            // Seeded keys are derived, never stored.
            #expect((try? Sys.stat(state + "/tdx/intel-sgx-root-ca.key")) == nil)
        }
        #expect(roots[0] == roots[1])
        #expect(quotes[0] == quotes[1], "seeded quotes for the same nonce must be byte-identical")
    }

    @Test func wrongInblobLengthIsEINVALOnTheFirstRead() throws {
        try Self.withTDX { fixture in
            let entry = try fixture.filesystem.makeEntry("short")
            try Sys.writeFile(entry + "/inblob", Array(repeating: 1, count: 32))
            #expect(throws: Errno.invalidArgument) { try Sys.readFile(entry + "/outblob") }
            #expect(throws: Errno.permissionDenied) { try Sys.writeFile(entry + "/privlevel", "1") }
        }
    }

    @Test func hostFailuresMirrorTheKernel() throws {
        try Self.withTDX(config: "quote_service = \"unavailable\"\n") { fixture in
            let entry = try fixture.filesystem.makeEntry()
            try Sys.writeFile(entry + "/inblob", nonce)
            #expect(throws: Errno.ioError) { try Sys.readFile(entry + "/outblob") }
        }
        try Self.withTDX(config: "quote_service = \"unavailable\"\n", kernel: "7.0") { fixture in
            let entry = try fixture.filesystem.makeEntry()
            try Sys.writeFile(entry + "/inblob", nonce)
            #expect(try Sys.readFile(entry + "/outblob") == [])
        }
        try Self.withTDX(config: "quote_timeout = true\n") { fixture in
            let entry = try fixture.filesystem.makeEntry()
            try Sys.writeFile(entry + "/inblob", nonce)
            #expect(throws: Errno.ioError) { try Sys.readFile(entry + "/outblob") }
            #expect(throws: Errno.resourceBusy) { try Sys.readFile(entry + "/outblob") }
            let other = try fixture.filesystem.makeEntry("other")
            try Sys.writeFile(other + "/inblob", nonce)
            #expect(throws: Errno.resourceBusy) { try Sys.readFile(other + "/outblob") }
        }
        try Self.withTDX(config: "latency_ms = 300\n") { fixture in
            let started = Date()
            _ = try Self.takeQuote(fixture.filesystem, nonce: nonce)
            #expect(Date().timeIntervalSince(started) >= 0.3)
        }
    }
}

extension Array where Element == UInt8 {
    func loadLittleEndianUInt16(at offset: Int) -> UInt16 { UInt16(self[offset]) | UInt16(self[offset + 1]) << 8 }
}
