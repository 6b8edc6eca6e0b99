import Foundation
import Glibc
import SystemPackage
import TestDirectories
import Testing

/// The `tsmfs` command's contract: one-line failures, readiness, clean shutdown, help.
@Suite struct CommandLineTests {
    @Test func mountFailuresAreOneLineNamingTheProblem() throws {
        let empty = makeTemporaryDirectory()
        defer { rmdir(empty) }
        let occupied = makeTemporaryDirectory()
        #expect(FileManager.default.createFile(atPath: occupied + "/file", contents: Data()))
        defer {
            unlink(occupied + "/file")
            rmdir(occupied)
        }
        let badConfig = makeTemporaryDirectory("tsmfs-config") + "/bad.toml"
        try "[echo]\nlatency = 3\n".write(toFile: badConfig, atomically: false, encoding: .utf8)

        let cases: [([String], String)] = [
            (
                ["mount", empty + "/missing"],
                "tsmfs: mountpoint \(empty)/missing does not exist: create it with 'mkdir -p \(empty)/missing'\n"
            ),
            (
                ["mount", occupied],
                "tsmfs: mountpoint \(occupied) is not empty (it contains 'file'): mount on an empty directory so nothing is hidden\n"
            ),
            (
                ["roots", "--provider", "echo", "--out", empty],
                "tsmfs: the echo provider signs nothing, so it has no roots; use --provider tdx, sev or cca\n"
            ),
            (
                ["collateral", "--provider", "sev", "--out", empty],
                "tsmfs: only the tdx provider has collateral; sev verifiers need only tsmfs roots and the auxblob\n"
            ),
            (
                ["mount", "--config", badConfig, empty],
                "tsmfs: \(badConfig):2: [echo] latency: unknown setting (known here: attributes, fail_with, latency_ms, name, privlevel_floor)\n"
            ),
            (
                ["mount", "--config", empty + "/none.toml", empty],
                "tsmfs: cannot read config file \(empty)/none.toml: No such file or directory\n"
            ),
            (
                ["mount", "-o", "no_such_option", empty],
                "tsmfs: libfuse rejected the mount options 'default_permissions,fsname=tsmfs,subtype=tsmfs,no_such_option': fuse: unknown option(s): `-o no_such_option'\n"
            ),
            (["unmount", empty], "tsmfs: \(empty) is not a mount point\n"),
            (["unmount", "/proc"], "tsmfs: /proc is a proc mount, not tsmfs; refusing to unmount it\n"),
        ]
        for (arguments, message) in cases {
            let result = try run(TSMFSBinary.path, arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stderr == message, "\(arguments)")
        }
        let badSeed = try run(TSMFSBinary.path, ["mount", "--deterministic-seed", "abc", empty])
        #expect(badSeed.status == 64)  // usage errors: EX_USAGE, with the usage line
        #expect(badSeed.stderr.hasPrefix("Error: --deterministic-seed must be at least 32 hexadecimal digits (16 bytes)\n"))
        #expect(!MountTableSnapshot.tsmfsMounts().contains(empty))
    }

    @Test func missingFuseDeviceIsExplained() throws {
        let mountpoint = makeTemporaryDirectory()
        defer { rmdir(mountpoint) }
        // A private namespace whose /dev lacks fuse, as in a container started without --device /dev/fuse.
        let result = try shell(
            "unshare --mount --propagation private bash -c 'mount -t tmpfs tmpfs /dev && exec \(TSMFSBinary.path) mount \(mountpoint)'"
        )
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "tsmfs: /dev/fuse is not usable (No such file or directory): load the fuse module (modprobe fuse) or, in a container, pass --device /dev/fuse\n"
        )
    }

    @Test func backgroundMountIsReadyWhenTheCommandReturns() throws {
        for _ in 0..<3 {
            try withMount { fs in
                // No sleep, no retry: the tree must be there already.
                let listing = try Sys.listDirectory(fs.mountpoint + "/tsm")
                #expect(listing == [".", "..", "report"])
            }
        }
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func terminationSignalsUnmountCleanly(_ signal: Int32) throws {
        let mountpoint = makeTemporaryDirectory()
        defer { rmdir(mountpoint) }
        let daemon = try startForegroundDaemon(at: mountpoint)
        // A client holding descriptors, one of them with buffered inblob data, must not block shutdown.
        try Sys.mkdir(mountpoint + "/tsm/report/r")
        let held = try Sys.open(mountpoint + "/tsm/report/r/generation", O_RDONLY)
        let pending = try Sys.open(mountpoint + "/tsm/report/r/inblob", O_WRONLY)
        try Sys.write(pending, nonce)
        kill(daemon.processIdentifier, signal)
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)
        #expect(!MountTableSnapshot.tsmfsMounts().contains(mountpoint))
        Glibc.close(held)
        Glibc.close(pending)
    }

    @Test func mountRecoversFromADaemonKilledWithSIGKILL() throws {
        let mountpoint = makeTemporaryDirectory()
        defer {
            _ = try? tsmfs("unmount", "--lazy", mountpoint)
            rmdir(mountpoint)
        }
        let daemon = try startForegroundDaemon(at: mountpoint)
        kill(daemon.processIdentifier, SIGKILL)
        daemon.waitUntilExit()
        #expect(throws: Errno.socketNotConnected) { try Sys.stat(mountpoint + "/tsm") }
        let result = try tsmfs("mount", mountpoint)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Sys.listDirectory(mountpoint + "/tsm") == [".", "..", "report"])
    }

    @Test func unmountSaysWhenBusyAndLazyDetaches() throws {
        let mountpoint = makeTemporaryDirectory()
        defer { rmdir(mountpoint) }
        #expect(try tsmfs("mount", mountpoint).status == 0)
        let held = try Sys.open(mountpoint + "/tsm/report", O_RDONLY | O_DIRECTORY)
        let busy = try tsmfs("unmount", mountpoint)
        #expect(busy.status == 1)
        #expect(busy.stderr.contains("is busy") && busy.stderr.contains("--lazy"))
        #expect(try tsmfs("unmount", "--lazy", mountpoint).status == 0)
        Glibc.close(held)
        #expect(!MountTableSnapshot.tsmfsMounts().contains(mountpoint))
    }

    @Test func helpTeachesWithAnExampleSession() throws {
        let help = try tsmfs("--help")
        #expect(help.status == 0)
        #expect(help.stdout.contains("mount") && help.stdout.contains("unmount"))
        #expect(help.stdout.contains("head -c 64 /dev/urandom > $report/inblob"))
        let mountHelp = try tsmfs("help", "mount")
        for word in [
            "--provider", "--state-dir", "--config", "--foreground", "-o <options>", "--owner", "--verbose", "allow_other",
        ] {
            #expect(mountHelp.stdout.contains(word), "\(word)")
        }
    }

    @Test func verboseLogsEveryRequestAndItsResult() throws {
        let log = makeTemporaryDirectory("tsmfs-log") + "/tsmfs.log"
        try withMount(arguments: ["--verbose", "--log-file", log]) { fs in
            #expect(throws: Errno.notPermitted) { try Sys.mkdir(fs.mountpoint + "/tsm/x") }
        }
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains("MKDIR 2/x -> error 1 (Operation not permitted)"))
        #expect(text.contains("LOOKUP 1/tsm -> ino 2"))
    }

    /// FLUSH reaches the daemon only from descriptors that can write: an attestation cycle's reads
    /// of generation and outblob close without one, the inblob writer's close still sends it.
    @Test func onlyWritersCloseThroughFlush() throws {
        let log = makeTemporaryDirectory("tsmfs-log") + "/tsmfs.log"
        try withMount(arguments: ["--verbose", "--log-file", log]) { fs in
            let entry = try fs.makeEntry()
            try Sys.writeFile(entry + "/inblob", nonce)
            _ = try Sys.readFile(entry + "/generation")
            _ = try Sys.readFile(entry + "/outblob")
            _ = try Sys.readFile(entry + "/provider")
        }
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(lines.filter { $0.contains("] OPEN ") }.count == 4)
        #expect(lines.filter { $0.contains("] FLUSH ") }.count == 1, "\(lines.joined(separator: "\n"))")
    }

    /// Any user who may create an entry (allow_other) chooses its name: it must not forge log lines.
    @Test func namesCannotForgeLogLines() throws {
        let log = makeTemporaryDirectory("tsmfs-log") + "/tsmfs.log"
        let forged = "x\n2026-01-01T00:00:00+0000 info tsmfs: forged\u{1b}[2J"
        try withMount(arguments: ["--verbose", "--log-file", log]) { fs in
            try Sys.mkdir(fs.report + "/" + forged)
        }
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(!text.split(separator: "\n").contains { $0.hasPrefix("2026-01-01T00:00:00+0000 info tsmfs: forged") })
        #expect(text.contains("x\\x0a2026-01-01T00:00:00+0000 info tsmfs: forged\\x1b[2J"), "\(text)")
        #expect(!text.contains("\u{1b}"))
    }
}

/// Non-root users see the kernel's permission model when the mount allows them in.
@Suite struct PermissionTests {
    @Test func otherUsersReadEvidenceButCannotRequestIt() throws {
        try withMount(arguments: ["-o", "allow_other"]) { fs in
            let entry = try fs.makeEntry()
            try Sys.writeFile(entry + "/inblob", nonce)
            let result = try shell(
                """
                cd \(entry)
                as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
                as_nobody cat generation
                as_nobody cat provider
                as_nobody head -c 8 outblob; echo
                { as_nobody sh -c 'printf x > inblob'; } 2>&1 || true
                { as_nobody mkdir \(fs.report)/mine; } 2>&1 || true
                { as_nobody rmdir \(entry); } 2>&1 || true
                { as_nobody sh -c 'echo 1 > privlevel'; } 2>&1 || true
                """)
            #expect(result.stdout.contains("1\ntsmfs_echo\nTSMECHO1\n"))
            #expect(result.stdout.contains("inblob: Permission denied"))
            #expect(result.stdout.contains("privlevel: Permission denied"))
            #expect(result.stdout.contains("mkdir: cannot create directory '\(fs.report)/mine': Permission denied"))
            #expect(result.stdout.contains("Permission denied"))
            #expect(try Sys.readText(entry + "/generation") == "1\n")
        }
    }

    @Test func withoutAllowOtherOtherUsersCannotEnter() throws {
        try withMount { fs in
            let result = try shell("setpriv --reuid=65534 --regid=65534 --clear-groups ls \(fs.mountpoint) 2>&1 || true")
            #expect(result.stdout.contains("Permission denied"))
        }
    }

    @Test func ownerOptionMapsEveryFile() throws {
        try withMount(arguments: ["--owner", "1000:1001"]) { fs in
            let entry = try fs.makeEntry()
            let info = try Sys.stat(entry + "/inblob")
            #expect(info.st_uid == 1000 && info.st_gid == 1001)
            #expect(try Sys.stat(fs.report).st_uid == 1000)
        }
    }
}

/// Examples and recipes from the README and docs/, run as a user would.
@Suite struct RecipeTests {
    @Test func kernelDocumentationExampleScript() throws {
        try withMount { fs in
            let result = try run("/bin/bash", [examplePath("kernel-doc-flow.sh"), fs.mountpoint])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("tsmfs_echo\n0\n1\n00000000  54 53 4d 45 43 48 4f 31"))
        }
    }

    @Test func exampleConfigurationMounts() throws {
        let config = try String(contentsOfFile: examplePath("tsmfs.toml"), encoding: .utf8)
        try withMount(config: config) { fs in
            let entry = try fs.makeEntry()
            let listing = try Sys.listDirectory(entry)
            #expect(
                listing == [".", "..", "auxblob", "outblob", "inblob", "privlevel_floor", "privlevel", "provider", "generation"])
        }
    }

    @Test(arguments: [["4"], ["5", "2"], ["5", "3"]])
    func tdxEndToEndExample(_ arguments: [String]) throws {
        let result = try run(
            "/bin/bash", [examplePath("tdx-end-to-end.sh")] + arguments,
            environment: ProcessInfo.processInfo.environment.merging(
                ["TSMFS": TSMFSBinary.path, "PYTHON": TDXEvidenceTests.python]) { $1 })
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("dcap-qvl: quote v\(arguments[0]) ("))
        #expect(result.stdout.hasSuffix("bytes) verified, status UpToDate\n"))
    }

    @Test(arguments: [["2"], ["0", "5"]])
    func snpEndToEndExample(_ arguments: [String]) throws {
        let result = try run(
            "/bin/bash", [examplePath("snp-end-to-end.sh")] + arguments,
            environment: ProcessInfo.processInfo.environment.merging(
                ["TSMFS": TSMFSBinary.path, "PYTHON": TDXEvidenceTests.python]) { $1 })
        #expect(result.status == 0, "\(result.stderr)")
        let version = arguments.count > 1 ? arguments[1] : "3"
        #expect(
            result.stdout.hasSuffix("omne-attest: report v\(version) at VMPL \(arguments[0]) verified against the pinned ARK\n"))
    }

    @Test func exampleTDXConfigurationVerifies() throws {
        let state = makeTemporaryDirectory("tsmfs-state")
        let config = try String(contentsOfFile: examplePath("tdx.toml"), encoding: .utf8)
            .replacingOccurrences(of: "state_dir = \"/var/lib/tsmfs\"", with: "state_dir = \"\(state)\"")
        try withMount(provider: "tdx", config: config) { fs in
            let trust = makeTemporaryDirectory("tsmfs-trust")
            for command in ["roots", "collateral"] {
                #expect(try run(TSMFSBinary.path, [command, "--config", fs.configPath!, "--out", trust]).status == 0)
            }
            let quote = try TDXEvidenceTests.takeQuote(fs, nonce: nonce)
            #expect(try TDXEvidenceTests.verify(quote, trust: trust)["verified"] as? Bool == true)
        }
    }

    @Test func exampleSEVConfigurationVerifies() throws {
        let state = makeTemporaryDirectory("tsmfs-state")
        let config = try String(contentsOfFile: examplePath("sev.toml"), encoding: .utf8)
            .replacingOccurrences(of: "state_dir = \"/var/lib/tsmfs\"", with: "state_dir = \"\(state)\"")
        try withMount(provider: "sev", config: config) { fs in
            let trust = makeTemporaryDirectory("tsmfs-trust")
            #expect(try run(TSMFSBinary.path, ["roots", "--config", fs.configPath!, "--out", trust]).status == 0)
            let (report, aux) = try SEVEvidenceTests.takeReport(fs, nonce: nonce)
            #expect(try SEVEvidenceTests.verify(report, aux, trust: trust, nonce: nonce)["verified"] as? Bool == true)
        }
    }

    private func examplePath(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/\(name)").path
    }
}

enum MountTableSnapshot {
    /// Mountpoints of fuse.tsmfs mounts in this namespace.
    static func tsmfsMounts() -> [String] {
        let table = (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? ""
        return table.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            return fields.count > 2 && fields[2] == "fuse.tsmfs" ? String(fields[1]) : nil
        }
    }
}

/// `tsmfs mount --foreground` as a child process, returned once its mount is visible.
/// A configuration file whose echo generations each take `milliseconds`.
func slowEchoConfig(milliseconds: Int) throws -> String {
    let config = makeTemporaryDirectory("tsmfs-config") + "/slow.toml"
    try "[echo]\nlatency_ms = \(milliseconds)\n".write(toFile: config, atomically: false, encoding: .utf8)
    return config
}

func startForegroundDaemon(at mountpoint: String, config: String? = nil) throws -> Process {
    let daemon = Process()
    daemon.executableURL = URL(fileURLWithPath: TSMFSBinary.path)
    daemon.arguments = ["mount", "--foreground"] + (config.map { ["--config", $0] } ?? []) + [mountpoint]
    daemon.standardError = FileHandle.nullDevice
    try daemon.run()
    try waitUntil { MountTableSnapshot.tsmfsMounts().contains(mountpoint) }
    return daemon
}

/// Polls `condition` for up to 10 seconds.
func waitUntil(_ condition: () -> Bool) throws {
    for _ in 0..<1000 {
        if condition() { return }
        usleep(10_000)
    }
    throw MountFailure(message: "timed out waiting")
}
