import Foundation
import Glibc
import TestDirectories
import Testing

/// Every simulated private key derives from the deterministic seed, so it must never be where other
/// users read: not on a daemon's command line, not in a file others can read, not in /etc/fstab.
@Suite struct SeedTests {
    static let seed = String(repeating: "5eed", count: 16)

    /// A seed file of root's, mode 0600.
    static func seedFile(mode: mode_t = 0o600) throws -> String {
        let path = makeTemporaryDirectory("tsmfs-seed") + "/seed"
        try (seed + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        #expect(chmod(path, mode) == 0)
        return path
    }

    /// Every process's command line, as any user reads them.
    static func allCommandLines() -> String {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { Int($0) != nil } ?? []
        return pids.compactMap { FileManager.default.contents(atPath: "/proc/\($0)/cmdline") }
            .map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n")
    }

    @Test(arguments: ["file", "option", "config"])
    func theDaemonGetsTheSeedButNotOnItsCommandLine(_ source: String) throws {
        let mountpoint = makeTemporaryDirectory("tsmfs-mount")
        defer { _ = try? tsmfs("unmount", mountpoint) }
        var arguments = ["mount", "--provider", "tdx", "--state-dir", makeTemporaryDirectory("tsmfs-state")]
        switch source {
        case "file": arguments += ["--deterministic-seed-file", try Self.seedFile()]
        case "option": arguments += ["--deterministic-seed", Self.seed]
        default:
            let config = makeTemporaryDirectory("tsmfs-config") + "/seeded.toml"
            try "[tsmfs]\ndeterministic_seed_file = \"\(try Self.seedFile())\"\n".write(
                toFile: config, atomically: false, encoding: .utf8)
            arguments += ["--config", config]
        }
        let mounted = try run(TSMFSBinary.path, arguments + [mountpoint])
        #expect(mounted.status == 0, "\(mounted.stderr)")
        let (pid, _) = try ControlChannelTests.daemon(of: mountpoint)
        let commandLine = String(decoding: FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data(), as: UTF8.self)
        #expect(commandLine.contains("mount") && !commandLine.contains(Self.seed), "\(commandLine)")
        // The daemon's keys are the seed's: its quote verifies with roots derived from the seed elsewhere.
        let trust = makeTemporaryDirectory("tsmfs-trust")
        let roots = try run(
            TSMFSBinary.path,
            [
                "roots", "--provider", "tdx", "--state-dir", makeTemporaryDirectory("tsmfs-state"), "--deterministic-seed",
                Self.seed, "--out", trust,
            ])
        #expect(roots.status == 0, "\(roots.stderr)")
        let entry = mountpoint + "/tsm/report/q"
        try Sys.mkdir(entry)
        try Sys.writeFile(entry + "/inblob", nonce)
        let quote = try DICEQuotingTests.save(try Sys.readFile(entry + "/outblob"))
        let verify = try DICEQuotingTests.tsmfsVerify(quote, trust: trust)
        #expect(verify.status == 0, "\(verify.stdout)")
    }

    @Test func execHandsTheSeedOnWithoutACommandLine() throws {
        let result = try run(
            TSMFSBinary.path,
            [
                "exec", "--provider", "tdx", "--state-dir", makeTemporaryDirectory("tsmfs-state"), "--deterministic-seed-file",
                try Self.seedFile(), "--", "sh", "-c", "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("--inside-namespace") && result.stdout.contains("--exit-with-parent"), "\(result.stdout)")
        #expect(!result.stdout.contains(Self.seed))
    }

    @Test func seedFilesOthersCanReadOrOwnAreRefused() throws {
        let open = try Self.seedFile(mode: 0o644)
        let state = makeTemporaryDirectory("tsmfs-state")
        let readable = try run(
            TSMFSBinary.path,
            [
                "roots", "--provider", "tdx", "--state-dir", state, "--deterministic-seed-file", open, "--out",
                makeTemporaryDirectory("tsmfs-trust"),
            ])
        #expect(readable.status == 1 && readable.stderr.contains("chmod 600 \(open)"), "\(readable.stderr)")
        let foreign = try Self.seedFile()
        #expect(chown(foreign, 65534, 65534) == 0)
        let owned = try run(
            TSMFSBinary.path,
            [
                "roots", "--provider", "tdx", "--state-dir", state, "--deterministic-seed-file", foreign, "--out",
                makeTemporaryDirectory("tsmfs-trust"),
            ])
        #expect(owned.status == 1 && owned.stderr.contains("belongs to uid 65534"), "\(owned.stderr)")
    }

    @Test func theMountHelperRefusesASeedInFstab() throws {
        let helper = TDXEvidenceTests.packageRoot + "/mount-helpers/mount.fuse.tsmfs"
        let refused = try run(helper, ["tsmfs", "/mnt", "-f", "-o", "provider=tdx,seed=\(Self.seed)"])
        #expect(refused.status == 1 && refused.stderr.contains("seed_file=FILE"), "\(refused.stderr)")
        let accepted = try run(helper, ["tsmfs", "/mnt", "-f", "-o", "provider=tdx,seed_file=/etc/tsmfs/seed"])
        #expect(accepted.status == 0, "\(accepted.stderr)")
    }
}
