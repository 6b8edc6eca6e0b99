import Foundation
import Glibc
import SystemPackage
import TestDirectories
import Testing

/// DICE-based TDX quoting through a real mount, runtime module updates of the running daemon, and
/// tsmfs verify / inspect on every kind of evidence and on hostile files.
@Suite(.serialized) struct DICEQuotingTests {
    static func withDICE(config: String = "", _ body: (MountedTSMFS, String) throws -> Void) throws {
        try withTrustedMount(
            provider: "tdx", config: "quoting = \"dice\"\n" + config, stateDirectory: nil, exports: ["roots"], body)
    }

    static func independentVerdict(_ quote: [UInt8], trust: String, reportData: [UInt8]) throws -> [String: Any] {
        let file = makeTemporaryDirectory("tsmfs-dice") + "/quote.dat"
        try Data(quote).write(to: URL(fileURLWithPath: file))
        let result = try run(
            TDXEvidenceTests.python,
            [
                TDXEvidenceTests.packageRoot + "/Tests/Verifiers/dice_quote_verify.py", file, trust + "/dice-root-ca.der",
                TDXEvidenceTests.hex(reportData),
            ])
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return try #require(parsed, "dice_quote_verify.py: \(result.stdout) \(result.stderr)")
    }

    static func tsmfsVerify(_ file: String, trust: String, _ extra: [String] = []) throws -> CommandResult {
        try run(TSMFSBinary.path, ["verify", "--roots", trust] + extra + [file])
    }

    static func save(_ bytes: [UInt8], _ name: String = "evidence") throws -> String {
        let file = makeTemporaryDirectory("tsmfs-evidence") + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    /// The measurements an independent parser extracts, as a dictionary of hex strings.
    static func measurements(_ verdict: [String: Any]) -> [String: Any] { verdict["measurements"] as? [String: Any] ?? [:] }

    @Test func diceQuotesVerifyIndependentlyAndWithTsmfsVerify() throws {
        try Self.withDICE { fs, trust in
            #expect(FileManager.default.fileExists(atPath: trust + "/dice-root-ca.pem"))
            #expect(FileManager.default.fileExists(atPath: trust + "/dice-root-ca.der"))
            let quote = try TDXEvidenceTests.takeQuote(fs, nonce: nonce)
            #expect(Array(quote.prefix(4)) == [0xD8, 0x3D, 0xD2, 0x84], "a CWT around a COSE_Sign1")
            let verdict = try Self.independentVerdict(quote, trust: trust, reportData: nonce)
            #expect(verdict["verified"] as? Bool == true, "\(verdict)")
            #expect(verdict["root_in_bag"] as? Bool == false && (verdict["chain"] as? [String])?.count == 3)
            let file = try Self.save(quote)
            let result = try Self.tsmfsVerify(file, trust: trust, ["--report-data", TDXEvidenceTests.hex(nonce)])
            #expect(
                result.status == 0 && result.stdout.contains("valid TDX quote (DICE chain)"), "\(result.stdout)\(result.stderr)")
            // What the configfs tests ask of every quote: REPORTDATA, one quote per generation, cached.
            #expect(Self.measurements(verdict)["report_data"] as? String == TDXEvidenceTests.hex(nonce))
            #expect(try Sys.readFile(fs.report + "/q/outblob") == quote)
            let inspect = try run(TSMFSBinary.path, ["inspect", "--json", file])
            let fields =
                (try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])?["fields"]
                as? [String: String]
            #expect(fields?["report_data"] == TDXEvidenceTests.hex(nonce) && fields?["module.svn"] == "3", "\(inspect.stdout)")
            #expect(fields?["eat_profile"] == "2.16.840.1.113741.1.16.1" && fields?["algorithm"] == "ES384")
            // The same quote without its CWT tag is still a DICE quote go-tdx-guest accepts.
            let bare = try Self.save(Array(quote.dropFirst(2)))
            let bareResult = try Self.tsmfsVerify(bare, trust: trust)
            #expect(bareResult.status == 0, "\(bareResult.stdout)")
        }
    }

    /// Inside `tsmfs exec`, a DICE quote's measurements are what the tsm-mr files show at the same
    /// moment, before and after a runtime extend of RTMR3.
    @Test func diceQuoteMeasurementsAreTheRegistersOfTheSameMoment() throws {
        let (state, work, config, trust) = try Self.diceStateWithRoots("tsmfs-dice-exec")
        let measurements = "/sys/devices/virtual/misc/tdx_guest/measurements"
        let script = """
            r=/sys/kernel/config/tsm/report
            take() { mkdir $r/$1; head -c 64 /dev/zero > $r/$1/inblob; cat $r/$1/outblob > \(work)/$1.quote
              for i in 0 1 2 3; do cat \(measurements)/rtmr$i:sha384 > \(work)/$1.rtmr$i; done; }
            take before
            printf '%048d' 7 | head -c 48 > \(measurements)/rtmr3:sha384
            take after
            """
        let result = try run(
            TSMFSBinary.path,
            ["exec", "--provider", "tdx", "--config", config, "--state-dir", state, "--", "sh", "-ec", script])
        #expect(result.status == 0, "\(result.stderr)")
        var rtmr3: [String] = []
        for name in ["before", "after"] {
            let quote = Array(try Data(contentsOf: URL(fileURLWithPath: "\(work)/\(name).quote")))
            let verdict = try Self.independentVerdict(quote, trust: trust, reportData: [UInt8](repeating: 0, count: 64))
            #expect(verdict["verified"] as? Bool == true, "\(name): \(verdict)")
            let registers = try (0..<4).map {
                TDXEvidenceTests.hex(Array(try Data(contentsOf: URL(fileURLWithPath: "\(work)/\(name).rtmr\($0)"))))
            }
            #expect(Self.measurements(verdict)["rtmrs"] as? [String] == registers, "\(name)")
            rtmr3.append(registers[3])
        }
        #expect(rtmr3[0] != rtmr3[1], "the extend changed RTMR3")
    }

    /// The configfs-tsm ABI does not depend on who quotes: the kernel documentation's flow, the
    /// attributes an entry shows, and a quote read whole or a byte at a time.
    @Test(arguments: ["qe", "dice"])
    func kernelABIConformanceInEitherQuotingMode(_ quoting: String) throws {
        try withTrustedMount(provider: "tdx", config: "quoting = \"\(quoting)\"\n", stateDirectory: nil, exports: []) { fs, _ in
            let flow = try run("/bin/bash", [TDXEvidenceTests.packageRoot + "/examples/kernel-doc-flow.sh", fs.mountpoint])
            #expect(flow.status == 0, "\(flow.stderr)")
            #expect(flow.stdout.hasPrefix("tdx_guest\n0\n1\n00000000  "), "\(flow.stdout.prefix(200))")
            let entry = try fs.makeEntry("abi")
            // tdx_guest's visibility: the privlevel, auxblob and service attributes are hidden.
            #expect(
                try Sys.listDirectory(entry).filter { $0 != "." && $0 != ".." }.sorted() == [
                    "generation", "inblob", "outblob", "provider",
                ])
            try Sys.writeFile(entry + "/inblob", nonce)
            let quote = try Sys.readFile(entry + "/outblob")
            let bytewise = try shell("dd if=\(entry)/outblob bs=1 status=none | od -An -tx1 -v | tr -d ' \\n'")
            #expect(bytewise.stdout == TDXEvidenceTests.hex(quote))
            #expect(try Sys.readFile(entry + "/generation") == Array("1\n".utf8))
            // REPORTDATA is exactly 64 bytes: a shorter inblob fails the next read, as tdx_report_new() does.
            try Sys.writeFile(entry + "/inblob", [UInt8](repeating: 1, count: 63))
            #expect(throws: Errno.invalidArgument) { try Sys.readFile(entry + "/outblob") }
        }
    }

    @Test func tsmfsVerifyFailsFlippedBytesWithTheCheckNamed() throws {
        try Self.withDICE { fs, trust in
            let quote = try TDXEvidenceTests.takeQuote(fs, nonce: nonce)
            let reportData = try #require(quote.firstRange(of: nonce)).lowerBound
            let deviceIDName = try #require(quote.firstRange(of: Array("Simulated Intel TDX DeviceID".utf8))).lowerBound
            // tag 61, tag 18, array, protected <<{1: -35}>>, map of 3, label 3, "application/eat+cwt", label 4, bstr(20): kid.
            let keyID = 2 + 2 + 5 + 1 + 1 + 20 + 1 + 1
            for (offset, check) in [
                (0, "evidence"), (2, "quote layout"), (7, "quote layout"), (keyID + 3, "key id"),
                (reportData + 5, "quote signature"),
                (deviceIDName + 3, "DICE chain"), (quote.count - 1, "quote signature"),
            ] {
                var tampered = quote
                tampered[offset] ^= 0x01
                let result = try Self.tsmfsVerify(try Self.save(tampered), trust: trust)
                #expect(result.status == 1, "offset \(offset): \(result.stdout)")
                #expect(result.stdout.contains("invalid: \(check)"), "offset \(offset): \(result.stdout)")
            }
        }
    }

    @Test func updateModuleRenewsTheKeyAndChangesCurrentButNotOrigin() throws {
        try Self.withDICE { fs, trust in
            let before = try TDXEvidenceTests.takeQuote(fs, nonce: nonce)
            let mrSeam = String(repeating: "6d", count: 48)
            let update = try run(TSMFSBinary.path, ["update-module", fs.mountpoint, "--svn", "7", "--mrseam", mrSeam])
            #expect(
                update.status == 0 && update.stdout.hasPrefix("module updated: SVN 3 -> 7"), "\(update.stdout)\(update.stderr)")
            #expect(try Sys.readFile(fs.report + "/q/outblob") == before, "a report already generated stays as it was")
            let after = try TDXEvidenceTests.takeQuote(fs, nonce: nonce, entry: "after")
            let old = try Self.independentVerdict(before, trust: trust, reportData: nonce)
            let new = try Self.independentVerdict(after, trust: trust, reportData: nonce)
            #expect(old["verified"] as? Bool == true && new["verified"] as? Bool == true, "\(new)")
            #expect(old["quoting_key"] as? String != new["quoting_key"] as? String, "TDH.QUOTE.INIT renews the quoting key")
            let info = new["tcb_info"] as? [String: Any]
            #expect(info?["svn"] as? Int == 7 && (info?["fwids"] as? [String]) == [mrSeam])
            // Origin stays the launch module; current is the one running now.
            let launchSEAM = String(repeating: "5e", count: 48)
            #expect(Self.measurements(new)["tee_tcb_svn"] as? String == Self.measurements(old)["tee_tcb_svn"] as? String)
            #expect((Self.measurements(new)["tee_tcb_svn"] as? String)?.hasPrefix("03") == true)
            #expect((Self.measurements(new)["tee_tcb_svn2"] as? String)?.hasPrefix("07") == true)
            #expect(Self.measurements(new)["mr_seam"] as? String == launchSEAM)
            #expect((new["current_seam"] as? [String: Any])?["mr_seam"] as? String == mrSeam)
            #expect((old["current_seam"] as? [String: Any])?["mr_seam"] as? String == launchSEAM)
            let verify = try Self.tsmfsVerify(try Self.save(after), trust: trust)
            #expect(verify.stdout.contains("module updated since launch (origin SVN 3)"), "\(verify.stdout)")

            // Refused updates change nothing.
            let dropped = try run(TSMFSBinary.path, ["update-module", fs.mountpoint, "--without-quoting"])
            #expect(dropped.status == 1 && dropped.stderr.contains("no quoting feature"), "\(dropped.stderr)")
            let unknown = try run(TSMFSBinary.path, ["update-module", makeTemporaryDirectory(), "--svn", "1"])
            #expect(unknown.status == 1 && unknown.stderr.contains("no tsmfs daemon answers"), "\(unknown.stderr)")
            let later = try Self.independentVerdict(
                try TDXEvidenceTests.takeQuote(fs, nonce: nonce, entry: "later"), trust: trust, reportData: nonce)
            #expect((Self.measurements(later)["tee_tcb_svn2"] as? String)?.hasPrefix("07") == true)
        }
    }

    @Test func aQuoteRequestedDuringTheUpdateWaitsForTheNewModule() throws {
        try Self.withDICE { fs, trust in
            let entry = try fs.makeEntry("during")
            let updater = Process()
            updater.executableURL = URL(fileURLWithPath: TSMFSBinary.path)
            updater.arguments = ["update-module", fs.mountpoint, "--svn", "9", "--duration-ms", "1500"]
            try updater.run()
            // Once the client waits for the answer, the daemon has the request (and the module lock).
            try waitUntil { isBlockedInRead(updater.processIdentifier) }
            try Sys.writeFile(entry + "/inblob", nonce)
            let quote = try Sys.readFile(entry + "/outblob")
            updater.waitUntilExit()
            #expect(updater.terminationStatus == 0)
            let verdict = try Self.independentVerdict(quote, trust: trust, reportData: nonce)
            #expect(
                (Self.measurements(verdict)["tee_tcb_svn2"] as? String)?.hasPrefix("09") == true,
                "a quote requested while the TD is paused comes from the new module")
        }
    }

    @Test func updateModuleInsideExecReachesThatNamespacesDaemon() throws {
        let state = makeTemporaryDirectory("tsmfs-state")
        let tsmfs = TSMFSBinary.path
        let result = try run(
            tsmfs,
            [
                "exec", "--provider", "tdx", "--state-dir", state, "--", "sh", "-ec",
                "\(tsmfs) update-module /sys/kernel/config --svn 6 >/dev/null; r=/sys/kernel/config/tsm/report/r; mkdir $r; "
                    + "head -c 64 /dev/zero > $r/inblob; \(tsmfs) inspect --json $r/outblob",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\"tee_tcb_svn\": \"06010200"), "\(result.stdout)")
    }

    @Test func theQuoteBufferFixedAtStartBoundsUpdates() throws {
        // First learn this configuration's quote size, then mount with exactly that buffer.
        let seed = String(repeating: "5e", count: 32)
        var size = 0
        try withMount(provider: "tdx", config: "[tdx]\nquoting = \"dice\"\n", arguments: ["--deterministic-seed", seed]) { fs in
            size = try TDXEvidenceTests.takeQuote(fs, nonce: nonce).count
        }
        try withMount(
            provider: "tdx", config: "[tdx]\nquoting = \"dice\"\nmax_quote_size = \(size)\n",
            arguments: ["--deterministic-seed", seed]
        ) { fs in
            var refused: CommandResult?
            for svn in 200...255 {
                let result = try run(TSMFSBinary.path, ["update-module", fs.mountpoint, "--svn", "\(svn)"])
                if result.status != 0 {
                    refused = result
                    break
                }
            }
            let result = try #require(refused, "no SVN made the quotes outgrow a \(size)-byte buffer")
            #expect(
                result.stderr.contains("more than the \(size)-byte quote buffer fixed when the TD started"), "\(result.stderr)")
        }
    }

    @Test func updateModuleWorksInQEModeWithTheSamePCKChain() throws {
        try TDXEvidenceTests.withTDX { fixture in
            let before = try TDXEvidenceTests.takeQuote(fixture.filesystem, nonce: nonce)
            let update = try run(TSMFSBinary.path, ["update-module", fixture.filesystem.mountpoint, "--svn", "5"])
            #expect(update.status == 0, "\(update.stderr)")
            let after = try TDXEvidenceTests.takeQuote(fixture.filesystem, nonce: nonce, entry: "after")
            #expect(after[0x30] == 5)
            #expect(before.suffix(2000) == after.suffix(2000), "the same PCK chain")
            #expect(try TDXEvidenceTests.verify(after, trust: fixture.trust)["verified"] as? Bool == true)
            let verify = try Self.tsmfsVerify(try Self.save(after), trust: fixture.trust, ["--collateral", fixture.trust])
            #expect(verify.status == 0 && verify.stdout.contains("TCB status UpToDate"), "\(verify.stdout)")
        }
    }

    @Test func tsmfsVerifyReportsTheTCBStatusTheCollateralGives() throws {
        let state = makeTemporaryDirectory("tsmfs-state")
        try TDXEvidenceTests.withTDX(config: "tcb_status = \"OutOfDate\"\n", stateDirectory: state) { fixture in
            let quote = try Self.save(try TDXEvidenceTests.takeQuote(fixture.filesystem, nonce: nonce))
            let result = try Self.tsmfsVerify(quote, trust: fixture.trust, ["--collateral", fixture.trust])
            #expect(result.status == 0 && result.stdout.contains("TCB status OutOfDate"), "\(result.stdout)")
            // Collateral of the same roots for another platform family (FMSPC) does not apply.
            let other = makeTemporaryDirectory("tsmfs-trust")
            let config = makeTemporaryDirectory("tsmfs-config") + "/other.toml"
            try "[tsmfs]\nstate_dir = \"\(state)\"\n[tdx]\nfmspc = \"00906ED50000\"\n"
                .write(toFile: config, atomically: false, encoding: .utf8)
            #expect(
                try run(TSMFSBinary.path, ["collateral", "--provider", "tdx", "--config", config, "--out", other]).status == 0)
            let foreign = try Self.tsmfsVerify(quote, trust: fixture.trust, ["--collateral", other])
            #expect(foreign.status == 1 && foreign.stdout.contains("invalid: FMSPC"), "\(foreign.stdout)")
        }
    }

    @Test func tsmfsVerifyAcceptsEveryKindAndRefusesForeignRoots() throws {
        try SEVEvidenceTests.withSEV { fixture in
            let (report, aux) = try SEVEvidenceTests.takeReport(fixture.filesystem, nonce: nonce)
            let reportFile = try Self.save(report, "report.bin")
            let auxFile = try Self.save(aux, "aux.bin")
            let valid = try Self.tsmfsVerify(
                reportFile, trust: fixture.trust, ["--auxblob", auxFile, "--report-data", TDXEvidenceTests.hex(nonce)])
            #expect(valid.status == 0 && valid.stdout.contains("valid SEV-SNP attestation report"), "\(valid.stdout)")
            let foreign = makeTemporaryDirectory("tsmfs-trust")
            let state = makeTemporaryDirectory("tsmfs-state")
            #expect(
                try run(TSMFSBinary.path, ["roots", "--provider", "sev", "--state-dir", state, "--out", foreign]).status == 0)
            let refused = try Self.tsmfsVerify(reportFile, trust: foreign, ["--auxblob", auxFile])
            #expect(refused.status == 1 && refused.stdout.contains("invalid: ARK"), "\(refused.stdout)")
            let missing = try Self.tsmfsVerify(reportFile, trust: fixture.trust)
            #expect(missing.status == 1 && missing.stdout.contains("needs --auxblob"), "\(missing.stdout)")
            let inspect = try run(TSMFSBinary.path, ["inspect", auxFile])
            #expect(inspect.status == 0 && inspect.stdout.contains("ark") && inspect.stdout.contains("vcek"), "\(inspect.stdout)")
        }
        try CCAEvidenceTests.withCCA { fs, trust in
            let challenge = [UInt8](repeating: 0x33, count: 48)
            let token = try CCAEvidenceTests.takeToken(fs, challenge: challenge)
            let file = try Self.save(token)
            let valid = try Self.tsmfsVerify(file, trust: trust, ["--report-data", TDXEvidenceTests.hex(challenge)])
            #expect(valid.status == 0 && valid.stdout.contains("valid Arm CCA attestation token"), "\(valid.stdout)")
            let inspect = try run(TSMFSBinary.path, ["inspect", file])
            #expect(inspect.stdout.contains("realm.challenge") && inspect.stdout.contains(TDXEvidenceTests.hex(challenge)))
        }
    }

    @Test func verifyAndInspectSurviveHostileFiles() throws {
        let work = makeTemporaryDirectory("tsmfs-hostile")
        var quote: [UInt8] = []
        try Self.withDICE { fs, _ in quote = try TDXEvidenceTests.takeQuote(fs, nonce: nonce) }
        // The payload's head replaced by a byte string of 2^63 bytes.
        let hugeLength =
            Array(quote.prefix(9)) + [0xA0, 0x5B, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] + Array(quote.suffix(98))
        let files: [(String, [UInt8])] = [
            ("empty", []), ("truncated", Array(quote.prefix(600))), ("huge-length", hugeLength),
            ("garbage", (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }),
            ("cbor-bomb", [0xD9, 0x01, 0x8F, 0xBB, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
            ("deep-cbor", [0xD9, 0x01, 0x8F] + [UInt8](repeating: 0x81, count: 100_000)),
            ("deep-dice", [0xD8, 0x3D, 0xD2, 0x84] + [UInt8](repeating: 0x81, count: 100_000)),
            ("trailing-byte", quote + [0]),
        ]
        for (name, bytes) in files {
            let path = work + "/" + name
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            for arguments in [["verify", "--roots", work, path], ["inspect", path], ["inspect", "--json", path]] {
                let result = try run(TSMFSBinary.path, arguments)
                let output = (result.stdout + result.stderr).trimmingCharacters(in: .newlines)
                #expect(result.status == 1, "\(arguments): \(result.status) \(output)")
                #expect(!output.isEmpty && !output.contains("\n"), "\(arguments): one line expected, got \(output)")
            }
        }
        for path in ["/nonexistent/file", work] {
            let result = try run(TSMFSBinary.path, ["inspect", path])
            #expect(result.status == 1 && result.stderr.contains("cannot read"), "\(result.stderr)")
        }
    }
}

extension DICEQuotingTests {
    /// A state directory, a work directory with a configuration selecting DICE quoting, and the
    /// roots `tsmfs roots` exported for it: what tests of DICE quotes inside `tsmfs exec` start from.
    static func diceStateWithRoots(_ prefix: String) throws -> (state: String, work: String, config: String, trust: String) {
        let state = makeTemporaryDirectory("tsmfs-state")
        let work = makeTemporaryDirectory(prefix)
        let config = work + "/dice.toml"
        try "[tdx]\nquoting = \"dice\"\n".write(toFile: config, atomically: false, encoding: .utf8)
        let trust = work + "/trust"
        let roots = try run(
            TSMFSBinary.path, ["roots", "--provider", "tdx", "--config", config, "--state-dir", state, "--out", trust])
        #expect(roots.status == 0, "\(roots.stderr)")
        return (state, work, config, trust)
    }
}
