import Foundation
import Glibc
import Synchronization
import SystemPackage
import TestDirectories
import Testing

/// Inputs and situations that must neither hang, leak nor be silently accepted.
@Suite struct HardeningTests {
    @Test func aKilledDaemonsMountIsRecoveredEvenAfterClientsTouchedIt() throws {
        let mountpoint = makeTemporaryDirectory()
        defer {
            _ = try? tsmfs("unmount", "--lazy", mountpoint)
            rmdir(mountpoint)
        }
        let daemon = try startForegroundDaemon(at: mountpoint)
        // Cached attributes make stat of the root succeed although the daemon is gone.
        _ = try Sys.listDirectory(mountpoint + "/tsm")
        kill(daemon.processIdentifier, SIGKILL)
        daemon.waitUntilExit()
        _ = try? Sys.listDirectory(mountpoint + "/tsm")
        let result = try tsmfs("mount", mountpoint)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Sys.listDirectory(mountpoint + "/tsm") == [".", "..", "report"])
    }

    @Test func concurrentMountsOnOneDirectoryMountOnce() throws {
        for _ in 0..<3 {
            let mountpoint = makeTemporaryDirectory()
            defer {
                _ = try? tsmfs("unmount", "--lazy", mountpoint)
                rmdir(mountpoint)
            }
            let results = Mutex<[CommandResult]>([])
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                if let result = try? tsmfs("mount", mountpoint) { results.withLock { $0.append(result) } }
            }
            let outcomes = results.withLock { $0 }
            #expect(outcomes.filter { $0.status == 0 }.count == 1)
            for failure in outcomes where failure.status != 0 {
                #expect(
                    failure.stderr
                        == "tsmfs: tsmfs is already mounted at \(mountpoint); unmount it first with: tsmfs unmount \(mountpoint)\n"
                )
            }
            #expect(MountTableSnapshot.tsmfsMounts().filter { $0 == mountpoint }.count == 1)
        }
    }

    @Test func execUnmountsAndReapsOnEveryExit() throws {
        // A state directory of its own marks this test's daemons among those of tests running beside it.
        let state = makeTemporaryDirectory("tsmfs-exec-state")
        func exec(_ command: String...) throws -> CommandResult {
            try run(TSMFSBinary.path, ["exec", "--provider", "echo", "--state-dir", state, "--"] + command)
        }
        let missing = try exec("/nonexistent/command")
        #expect(missing.status == 127)
        #expect(missing.stderr == "tsmfs: cannot run /nonexistent/command: No such file or directory\n")
        #expect(try exec("/etc/hostname").status == 126)
        #expect(try exec("sh", "-c", "exit 7").status == 7)
        #expect(try exec("sh", "-c", "kill -KILL $$").status == 128 + SIGKILL)
        // "[/]" keeps pgrep from finding the shell that runs it.
        let survivors = try shell("pgrep -af -- '--state-dir [/]\(state.dropFirst())' || true").stdout
        #expect(survivors.isEmpty, "\(survivors)")
    }

    @Test func execsDaemonDoesNotOutliveAKilledExec() throws {
        let state = makeTemporaryDirectory("tsmfs-exec-state")
        let exec = Process()
        exec.executableURL = URL(fileURLWithPath: TSMFSBinary.path)
        exec.arguments = ["exec", "--provider", "echo", "--state-dir", state, "--", "sleep", "30"]
        try exec.run()
        defer { exec.terminate() }
        // "[/]" keeps pgrep from finding the shell that runs it.
        func pids(_ pattern: String) throws -> [String] {
            try shell("pgrep -f -- '\(pattern)' || true").stdout.split(separator: "\n").map(String.init)
        }
        let daemon = "mount --foreground.*--state-dir [/]\(state.dropFirst())"
        try waitUntil { ((try? pids(daemon)) ?? []).count == 1 }
        // The process inside the namespace owns the daemon; kill it as a crash would.
        let owners = try pids("exec --inside-namespace.*--state-dir [/]\(state.dropFirst())")
        #expect(owners.count == 1)
        for owner in owners { kill(pid_t(owner)!, SIGKILL) }
        try waitUntil { ((try? pids(daemon)) ?? ["?"]).isEmpty }
        #expect(try pids(daemon).isEmpty, "the daemon kept serving a namespace nobody can reach")
    }

    @Test func configurationMustBeASmallRegularTextFile() throws {
        let empty = makeTemporaryDirectory()
        defer { rmdir(empty) }
        for (path, message) in [
            ("/dev/zero", "tsmfs: config file /dev/zero is not a regular file: name a TOML file (see examples/tsmfs.toml)\n"),
            (
                "/dev/urandom",
                "tsmfs: config file /dev/urandom is not a regular file: name a TOML file (see examples/tsmfs.toml)\n"
            ),
            (empty, "tsmfs: config file \(empty) is not a regular file: name a TOML file (see examples/tsmfs.toml)\n"),
        ] {
            let result = try tsmfs("mount", "--config", path, empty)
            #expect(result.status == 1 && result.stderr == message, "\(path): \(result.stderr)")
        }
        let huge = makeTemporaryDirectory("tsmfs-config") + "/huge.toml"
        try String(repeating: "# padding\n", count: 200_000).write(toFile: huge, atomically: false, encoding: .utf8)
        let tooLarge = try tsmfs("mount", "--config", huge, empty)
        #expect(tooLarge.stderr == "tsmfs: config file \(huge) is larger than 1 MiB; is it the right file?\n")
        #expect(!MountTableSnapshot.tsmfsMounts().contains(empty))
    }

    @Test func unknownSectionsAndTopLevelKeysAreErrorsAndCRLFIsValid() throws {
        let empty = makeTemporaryDirectory()
        defer { rmdir(empty) }
        let directory = makeTemporaryDirectory("tsmfs-config")
        let cases: [(String, String)] = [
            (
                "[tsmfs]\nprovider = \"echo\"\n[tdxx]\nquote_version = 4\n",
                ":3: unknown section [tdxx] (known: tsmfs, tdx, sev, cca, echo, tdx.boot)\n"
            ),
            (
                "provider = \"echo\"\n[tsmfs]\n",
                ":1: provider is outside any section; put it under one of [tsmfs], [tdx], [sev], [cca], [echo], [tdx.boot]\n"
            ),
        ]
        for (index, (text, message)) in cases.enumerated() {
            let path = directory + "/case\(index).toml"
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            let result = try tsmfs("mount", "--config", path, empty)
            #expect(result.status == 1 && result.stderr == "tsmfs: \(path)\(message)", "\(result.stderr)")
        }
        let crlf = directory + "/crlf.toml"
        try "# made on Windows\r\n[tsmfs]\r\nprovider = \"echo\"\r\n[echo]\r\nname = \"crlf\"\r\n".write(
            toFile: crlf, atomically: false, encoding: .utf8)
        try withMount(arguments: ["--config", crlf]) { fs in
            let entry = try fs.makeEntry()
            #expect(try Sys.readText(entry + "/provider") == "crlf\n")
        }
    }

    @Test func ownerIDsMustNameAUser() throws {
        let empty = makeTemporaryDirectory()
        defer { rmdir(empty) }
        for owner in ["4294967295:0", "0:4294967295", "4294967296:0", "-1:0"] {
            let result = try tsmfs("mount", "--owner=\(owner)", empty)
            #expect(result.status == 64, "\(owner)")
            #expect(result.stderr.contains("--owner must be UID:GID with numeric ids from 0 to 4294967294"), "\(owner)")
        }
        let config = makeTemporaryDirectory("tsmfs-config") + "/owner.toml"
        try "[tsmfs]\nowner = \"4294967295:4294967295\"\n".write(toFile: config, atomically: false, encoding: .utf8)
        let result = try tsmfs("mount", "--config", config, empty)
        #expect(result.stderr.hasPrefix("tsmfs: \(config):2: [tsmfs] owner:"), "\(result.stderr)")
        #expect(!MountTableSnapshot.tsmfsMounts().contains(empty))
    }

    @Test func stateDirectoriesOthersCanWriteAndForeignKeysAreRefused() throws {
        let empty = makeTemporaryDirectory()
        defer { rmdir(empty) }
        let state = makeTemporaryDirectory("tsmfs-state")
        #expect(try tsmfs("roots", "--provider", "tdx", "--state-dir", state, "--out", state + "/out").status == 0)
        chmod(state, 0o777)
        let open = try tsmfs("mount", "--provider", "tdx", "--state-dir", state, empty)
        #expect(open.status == 1)
        #expect(
            open.stderr
                == "tsmfs: \(state) is writable by other users (mode 777), so they could replace the simulated keys: chmod go-w \(state)\n"
        )
        chmod(state, 0o700)
        let key = state + "/tdx/intel-sgx-root-ca.key"
        #expect(FileManager.default.fileExists(atPath: key))
        chown(key, 65534, 65534)
        let foreign = try tsmfs("mount", "--provider", "tdx", "--state-dir", state, empty)
        #expect(foreign.status == 1)
        #expect(
            foreign.stderr.hasPrefix("tsmfs: \(key) belongs to uid 65534, not to the user running tsmfs (uid 0)"),
            "\(foreign.stderr)")
        #expect(!MountTableSnapshot.tsmfsMounts().contains(empty))
    }

    @Test func endToEndExamplesSayWhatTheyNeed() throws {
        let result = try run(
            "/bin/bash", [TDXEvidenceTests.packageRoot + "/examples/tdx-end-to-end.sh"],
            environment: ProcessInfo.processInfo.environment.merging(
                ["TSMFS": TSMFSBinary.path, "PYTHON": "/usr/bin/python3"]) { $1 })
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "tdx-end-to-end.sh: /usr/bin/python3 lacks the verifiers: pip install dcap-qvl omne-attest cryptography\n")
    }
}
