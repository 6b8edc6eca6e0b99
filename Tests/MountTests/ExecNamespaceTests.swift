import Foundation
import Glibc
import TestDirectories
import Testing

/// What `tsmfs exec` leaves of the host visible inside, and of itself on the host afterwards.
@Suite struct ExecNamespaceTests {
    static func exec(_ script: String, provider: String = "tdx") throws -> CommandResult {
        try run(
            "/usr/bin/timeout",
            [
                "60", TSMFSBinary.path, "exec", "--provider", provider, "--state-dir", makeTemporaryDirectory("tsmfs-state"),
                "--",
                "sh", "-ec", script,
            ])
    }

    static func stagingDirectories() -> Set<String> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter { $0.hasPrefix("tsmfs-exec-") })
    }

    @Test func theRestOfSysKernelStaysVisible() throws {
        let host = Set(try FileManager.default.contentsOfDirectory(atPath: "/sys/kernel"))
        let result = try Self.exec("ls /sys/kernel; test -d /sys/kernel/config/tsm/report")
        #expect(result.status == 0, "\(result.stderr)")
        let inside = Set(result.stdout.split(separator: "\n").map(String.init))
        #expect(host.subtracting(["config"]).isSubset(of: inside), "missing: \(host.subtracting(inside))")
        #expect(inside.contains("config"))
    }

    @Test func aCommandThatMountsOverTheConfigDirectoryStillReturns() throws {
        let result = try Self.exec("mount -t tmpfs none /sys/kernel/config; echo mounted")
        #expect(result.status == 0 && result.stdout == "mounted\n", "status \(result.status): \(result.stderr)")
    }

    /// The outer `tsmfs exec` killed while its command runs, or the inner one: either way the other
    /// removes the staging directory.
    @Test(arguments: ["outer", "inner"])
    func aKilledExecLeavesNoStagingDirectory(_ victim: String) throws {
        let before = Self.stagingDirectories()
        let work = makeTemporaryDirectory("tsmfs-killed-exec")
        let outer = Process()
        outer.executableURL = URL(fileURLWithPath: TSMFSBinary.path)
        outer.arguments = [
            "exec", "--provider", "tdx", "--state-dir", makeTemporaryDirectory("tsmfs-state"), "--", "sh", "-c",
            "touch \(work)/ready; i=0; until [ -e \(work)/go ] || [ $i -gt 600 ]; do i=$((i+1)); sleep 0.05; done",
        ]
        try outer.run()
        try waitUntil { FileManager.default.fileExists(atPath: work + "/ready") }
        let children = try String(
            contentsOfFile: "/proc/\(outer.processIdentifier)/task/\(outer.processIdentifier)/children", encoding: .utf8)
        let inner = try #require(children.split(separator: " ").first.flatMap { Int32($0) })
        kill(victim == "outer" ? outer.processIdentifier : inner, SIGKILL)
        FileManager.default.createFile(atPath: work + "/go", contents: nil)
        outer.waitUntilExit()
        try waitUntil { kill(inner, 0) != 0 }
        // Other tests' exec runs come and go meanwhile; a leftover of this one stays.
        #expect(
            (try? waitUntil { Self.stagingDirectories().subtracting(before).isEmpty }) != nil,
            "left: \(Self.stagingDirectories().subtracting(before))")
    }
}
