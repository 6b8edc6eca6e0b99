import Crypto
import Foundation
import Glibc
import TestDirectories
import Testing

/// The boot event log (CCEL) inside `tsmfs exec --provider tdx`: the files as sysfs serves ACPI
/// tables, read by an independent parser written from the TCG format and by Intel's unmodified
/// cctrusted-vm, and always in agreement with tsm-mr, the TDREPORT and the quote.
@Suite(.serialized) struct BootLogTests {
    static let table = "/sys/firmware/acpi/tables/CCEL"
    static let data = "/sys/firmware/acpi/tables/data/CCEL"
    static let measurements = "/sys/devices/virtual/misc/tdx_guest/measurements"
    static let verifiers = TDXEvidenceTests.packageRoot + "/Tests/Verifiers"

    /// The independent parser's view of a table and log: its fields, events and RTMR0–2 replayed.
    static func replay(table: String, data: String) throws -> [String: Any] {
        let result = try run(TDXEvidenceTests.python, [verifiers + "/ccel_replay.py", table, data])
        #expect(result.status == 0, "ccel_replay.py: \(result.stderr)")
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return try #require(parsed, "ccel_replay.py: \(result.stdout) \(result.stderr)")
    }

    static func contents(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    static func hexFile(_ path: String) throws -> String { TDXEvidenceTests.hex(try contents(path)) }

    /// Runs `script` inside `tsmfs exec --provider tdx`; `$w` is a work directory outside it.
    static func execTDX(_ script: String, config: String? = nil, state: String, work: String) throws -> CommandResult {
        var arguments = ["exec", "--provider", "tdx", "--state-dir", state]
        if let config { arguments += ["--config", config] }
        return try run(TSMFSBinary.path, arguments + ["--", "sh", "-ec", "w=\(work)\n" + script])
    }

    @Test func theLogReplaysToWhatEveryReaderOfTheRegistersSees() throws {
        let state = makeTemporaryDirectory("tsmfs-state")
        let work = makeTemporaryDirectory("tsmfs-ccel")
        let trust = work + "/trust"
        #expect(try run(TSMFSBinary.path, ["roots", "--provider", "tdx", "--state-dir", state, "--out", trust]).status == 0)
        #expect(
            try run(TSMFSBinary.path, ["collateral", "--provider", "tdx", "--state-dir", state, "--out", trust]).status == 0)
        let script = """
            r=/sys/kernel/config/tsm/report
            snapshot() {
              cp \(Self.table) $w/$1.table; cp \(Self.data) $w/$1.data
              for i in 0 1 2 3; do cat \(Self.measurements)/rtmr$i:sha384 > $w/$1.rtmr$i; done
              mkdir $r/$1; head -c 64 /dev/zero > $r/$1/inblob; cat $r/$1/outblob > $w/$1.quote
            }
            # The files as sysfs serves ACPI tables: 0400 root, one page per read, no writer.
            stat -c '%a %U %s' \(Self.table) \(Self.data) > $w/stat
            dd if=\(Self.data) bs=65536 count=1 status=none | wc -c > $w/oneread
            if echo x 2>/dev/null > \(Self.table); then echo writable > $w/write; else echo refused > $w/write; fi
            \(TDXEvidenceTests.python) -c 'import mmap,os
            fd=os.open("\(Self.data)", os.O_RDONLY)
            try: mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ); print("mapped")
            except OSError as e: print(e.errno)' > $w/mmap
            \(TDXEvidenceTests.python) \(Self.verifiers)/cctrusted_client.py > $w/cctrusted.json
            snapshot boot
            printf '%048d' 3 | head -c 48 > \(Self.measurements)/rtmr3:sha384
            snapshot rtmr3
            printf '%048d' 2 | head -c 48 > \(Self.measurements)/rtmr2:sha384
            snapshot rtmr2
            """
        let result = try Self.execTDX(script, state: state, work: work)
        #expect(result.status == 0, "\(result.stderr)")

        #expect(try String(contentsOfFile: work + "/stat", encoding: .utf8) == "400 root 56\n400 root 65536\n")
        #expect(try String(contentsOfFile: work + "/oneread", encoding: .utf8) == "4096\n")
        #expect(try String(contentsOfFile: work + "/write", encoding: .utf8) == "refused\n")
        #expect(try String(contentsOfFile: work + "/mmap", encoding: .utf8) == "\(ENODEV)\n")

        let boot = try Self.replay(table: work + "/boot.table", data: work + "/boot.data")
        let replayed = try #require(boot["rtmrs"] as? [String])
        let registers = try (0..<4).map { try Self.hexFile(work + "/boot.rtmr\($0)") }
        #expect(replayed == Array(registers[0..<3]))
        #expect(registers[3] == String(repeating: "00", count: 48), "RTMR3 starts at zero and is never in the log")
        let quoted = try Self.quotedRegisters(work + "/boot.quote", trust: trust)
        #expect(quoted == registers)

        // Intel's SDK, unmodified: it initialises, reads the log, and its replay equals the RTMRs it reads.
        let sdk = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/cctrusted.json")))
                as? [String: Any])
        let sdkReplay = try #require(sdk["replayed"] as? [String: String])
        let sdkMeasured = try #require(sdk["measured"] as? [String: String])
        #expect((0..<3).map { sdkReplay["\($0)"] } == replayed)
        #expect((0..<4).map { sdkMeasured["\($0)"] } == registers)
        #expect(sdk["events"] as? Int == (boot["events"] as? [Any])!.count + 1, "the Spec ID event and every other")

        // A runtime extend of RTMR3 leaves the log and RTMR0–2 alone.
        let afterRTMR3 = try (0..<4).map { try Self.hexFile(work + "/rtmr3.rtmr\($0)") }
        #expect(try Self.contents(work + "/rtmr3.data") == (try Self.contents(work + "/boot.data")))
        #expect(Array(afterRTMR3[0..<3]) == replayed && afterRTMR3[3] != registers[3])
        #expect(try Self.quotedRegisters(work + "/rtmr3.quote", trust: trust) == afterRTMR3)

        // Extending RTMR2 at run time makes log and register disagree, as on hardware.
        let afterRTMR2 = try (0..<4).map { try Self.hexFile(work + "/rtmr2.rtmr\($0)") }
        #expect(try Self.contents(work + "/rtmr2.data") == (try Self.contents(work + "/boot.data")))
        #expect(afterRTMR2[2] != replayed[2])
        #expect(try Self.quotedRegisters(work + "/rtmr2.quote", trust: trust) == afterRTMR2)
    }

    /// RTMR0–3 of a quote as dcap-qvl reads them after verifying it.
    static func quotedRegisters(_ path: String, trust: String) throws -> [String] {
        let verdict = try TDXEvidenceTests.verify(try contents(path), trust: trust)
        #expect(verdict["verified"] as? Bool == true, "\(verdict)")
        let report = try #require(
            ((verdict["result"] as? [String: Any])?["report"] as? [String: Any])?["TD10"] as? [String: Any])
        return (0..<4).map { report["rt_mr\($0)"] as? String ?? "" }
    }

    /// `[tdx.boot]` describes the boot: a file is measured as GRUB measures it, the command line
    /// appears as GRUB logs it, and the log area has the configured size.
    @Test func bootSettingsDescribeTheLog() throws {
        let work = makeTemporaryDirectory("tsmfs-ccel")
        let kernel = work + "/vmlinuz"
        let image = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try Data(image).write(to: URL(fileURLWithPath: kernel))
        let config = work + "/boot.toml"
        try """
        [tdx.boot]
        kernel = "\(kernel)"
        kernel_path = "/vmlinuz-6.8"
        command_line = "console=ttyS0 quiet"
        log_area_size = 131072
        """.write(toFile: config, atomically: false, encoding: .utf8)
        let result = try Self.execTDX(
            "cp \(Self.table) $w/table; cp \(Self.data) $w/data", config: config,
            state: makeTemporaryDirectory("tsmfs-state"), work: work)
        #expect(result.status == 0, "\(result.stderr)")
        let log = try Self.replay(table: work + "/table", data: work + "/data")
        #expect((log["table"] as? [String: Any])?["laml"] as? Int == 131072)
        let events = try #require(log["events"] as? [[String: Any]])
        func event(_ text: String) -> [String: Any]? {
            events.first { $0["data"] as? String == TDXEvidenceTests.hex(Array(text.utf8) + [0]) }
        }
        func sha384(_ bytes: [UInt8]) -> String { TDXEvidenceTests.hex(Array(SHA384.hash(data: bytes))) }
        #expect(event("/vmlinuz-6.8")?["digest"] as? String == sha384(image))
        #expect(event("/vmlinuz-6.8")?["index"] as? Int == 3)
        let commandLine = "/vmlinuz-6.8 console=ttyS0 quiet"
        #expect(event("kernel_cmdline: \(commandLine)")?["digest"] as? String == sha384(Array(commandLine.utf8)))
        #expect(event("grub_cmd: linux \(commandLine)")?["digest"] as? String == sha384(Array("linux \(commandLine)".utf8)))
    }

    /// Settings that would make the log and the registers disagree, and the old place of the kernel
    /// version, are refused with messages that say what to do.
    @Test func settingsThatContradictTheLogAreRefusedWithTheFix() throws {
        let work = makeTemporaryDirectory("tsmfs-ccel")
        let cases = [
            ("[tdx]\nrtmr0 = \"\(String(repeating: "00", count: 48))\"\n", "describe the boot in [tdx.boot] and leave rtmr0 out"),
            ("[tdx]\nrtmr3 = \"\(String(repeating: "ab", count: 48))\"\n", "changes only by extends at run time"),
            ("[tdx]\nkernel = \"7.0\"\n", "move it to [tsmfs] as kernel = \"7.0\""),
        ]
        for (text, fix) in cases {
            let config = work + "/bad.toml"
            try text.write(toFile: config, atomically: false, encoding: .utf8)
            let result = try run(
                TSMFSBinary.path, ["exec", "--provider", "tdx", "--config", config, "--state-dir", work + "/state", "--", "true"])
            #expect(result.status == 1 && result.stderr.contains(fix), "\(text): \(result.stderr)")
        }
    }
}

extension BootLogTests {
    /// DICE quotes carry the same registers: the boot log replays to the RTMRs of the TDX module's
    /// CBOR quote, as an independent checker (cbor2 + cryptography) reads them.
    @Test func diceQuotesAgreeWithTheLogToo() throws {
        let (state, work, config, trust) = try DICEQuotingTests.diceStateWithRoots("tsmfs-ccel")
        let script = """
            r=/sys/kernel/config/tsm/report
            cp \(Self.table) $w/table; cp \(Self.data) $w/data
            mkdir $r/q; head -c 64 /dev/zero > $r/q/inblob; cat $r/q/outblob > $w/quote
            """
        let result = try Self.execTDX(script, config: config, state: state, work: work)
        #expect(result.status == 0, "\(result.stderr)")
        let verdict = try DICEQuotingTests.independentVerdict(
            try Self.contents(work + "/quote"), trust: trust, reportData: [UInt8](repeating: 0, count: 64))
        #expect(verdict["verified"] as? Bool == true, "\(verdict)")
        let quoted = try #require(DICEQuotingTests.measurements(verdict)["rtmrs"] as? [String])
        let replayed = try #require(try Self.replay(table: work + "/table", data: work + "/data")["rtmrs"] as? [String])
        #expect(Array(quoted.prefix(3)) == replayed)
        #expect(quoted.last == String(repeating: "00", count: 48))
    }
}

extension BootLogTests {
    /// `tsmfs mount --devices DIR` serves the table and the log at DIR's firmware paths for bind
    /// mounts, with the same modes, sizes and bytes as inside exec.
    @Test func theDevicesTreeServesTheLogForBindMounts() throws {
        try GuestDeviceMountTests.withDevices(provider: "tdx") { _, devices, _ in
            let tables = devices + "/sys/firmware/acpi/tables"
            let listing = try shell("stat -c '%a %s %F' \(tables)/CCEL \(tables)/data/CCEL; ls \(tables) \(tables)/data")
            #expect(
                listing.stdout == "400 56 regular file\n400 65536 regular file\n\(tables):\nCCEL\ndata\n\n\(tables)/data:\nCCEL\n"
            )
            let log = try Self.replay(table: tables + "/CCEL", data: tables + "/data/CCEL")
            let registers = try (0..<3).map {
                try Self.hexFile(devices + "/sys/devices/virtual/misc/tdx_guest/measurements/rtmr\($0):sha384")
            }
            #expect(log["rtmrs"] as? [String] == registers)
        }
    }
}
