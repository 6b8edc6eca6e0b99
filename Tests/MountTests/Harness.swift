import Foundation
import Glibc
import SystemPackage
import TestDirectories
import Testing

/// The `tsmfs` executable under test: $TSMFS_BINARY, else the one built beside this test bundle.
enum TSMFSBinary {
    static let path: String = {
        if let override = ProcessInfo.processInfo.environment["TSMFS_BINARY"] { return override }
        let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return bundle.deletingLastPathComponent().appendingPathComponent("tsmfs").path
    }()
}

/// The outcome of a command.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `arguments[0]` with the rest as its arguments.
@discardableResult
func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Read before waiting, so a chatty child cannot block on a full pipe.
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus,
        stdout: String(decoding: stdout, as: UTF8.self),
        stderr: String(decoding: stderr, as: UTF8.self))
}

/// Runs a bash script with `-e` (bash, as in the kernel documentation's transcripts).
@discardableResult
func shell(_ script: String, environment: [String: String] = [:]) throws -> CommandResult {
    var merged = ProcessInfo.processInfo.environment
    merged["LC_ALL"] = "C"  // tools' messages in plain ASCII, whatever the host's locale
    merged.merge(environment) { $1 }
    return try run("/bin/bash", ["-ec", script], environment: merged)
}

@discardableResult
func tsmfs(_ arguments: String...) throws -> CommandResult {
    try run(TSMFSBinary.path, arguments)
}

/// A tsmfs instance mounted (in the background, as users run it) on a temporary directory.
/// It is unmounted when the test's `withMount` body ends, whether the test passed or not.
final class MountedTSMFS: Sendable {
    let mountpoint: String
    let configPath: String?

    var report: String { mountpoint + "/tsm/report" }

    init(provider: String = "echo", config: String? = nil, arguments: [String] = []) throws {
        mountpoint = makeTemporaryDirectory()
        if let config {
            let path = makeTemporaryDirectory("tsmfs-config") + "/tsmfs.toml"
            try config.write(toFile: path, atomically: false, encoding: .utf8)
            configPath = path
        } else {
            configPath = nil
        }
        var command = ["mount", "--provider", provider] + arguments
        if let configPath { command += ["--config", configPath] }
        let result = try run(TSMFSBinary.path, command + [mountpoint])
        guard result.status == 0 else {
            rmdir(mountpoint)
            throw MountFailure(message: "tsmfs mount failed (\(result.status)): \(result.stderr)")
        }
    }

    func unmount() {
        _ = try? run(TSMFSBinary.path, ["unmount", "--lazy", mountpoint])
        rmdir(mountpoint)
    }

    /// `<report>/<name>` created with mkdir.
    func makeEntry(_ name: String = "r") throws -> String {
        let path = report + "/" + name
        try Sys.mkdir(path)
        return path
    }
}

struct MountFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Mounts tsmfs for the duration of `body`.
func withMount(
    provider: String = "echo", config: String? = nil, arguments: [String] = [],
    _ body: (MountedTSMFS) throws -> Void
) throws {
    let filesystem = try MountedTSMFS(provider: provider, config: config, arguments: arguments)
    defer { filesystem.unmount() }
    try body(filesystem)
}

/// Mounts `provider` with `config` as its section of the configuration file, then exports its
/// trust material (`tsmfs roots`, `tsmfs collateral`) from the same configuration into a fresh
/// directory, which `body` receives.
func withTrustedMount(
    provider: String, config: String, stateDirectory: String?, exports: [String], tsmfsSettings: String = "",
    _ body: (MountedTSMFS, String) throws -> Void
) throws {
    let state = stateDirectory ?? makeTemporaryDirectory("tsmfs-state")
    let configText =
        "[tsmfs]\nprovider = \"\(provider)\"\nstate_dir = \"\(state)\"\n\(tsmfsSettings)[\(provider)]\n" + config
    try withMount(provider: provider, config: configText) { fs in
        let trust = makeTemporaryDirectory("tsmfs-trust")
        for command in exports {
            let result = try run(TSMFSBinary.path, [command, "--config", fs.configPath!, "--out", trust])
            #expect(result.status == 0, "\(command): \(result.stderr)")
        }
        try body(fs, trust)
    }
}

/// Whether process `pid` is blocked in read(2) (syscall 0 on x86-64): a gate for "the client is now
/// waiting on the filesystem", where a sleep would only make that likely.
func isBlockedInRead(_ pid: Int32) -> Bool {
    (try? String(contentsOfFile: "/proc/\(pid)/syscall", encoding: .utf8))?.hasPrefix("0 ") == true
}

/// Starts `cat path` with its output discarded: a reader whose progress a test can see from /proc.
func startReader(_ path: String) throws -> Process {
    let reader = Process()
    reader.executableURL = URL(fileURLWithPath: "/bin/cat")
    reader.arguments = [path]
    reader.standardOutput = FileHandle.nullDevice
    try reader.run()
    return reader
}
