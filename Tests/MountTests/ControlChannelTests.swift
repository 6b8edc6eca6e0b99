import Foundation
import Glibc
import TestDirectories
import Testing

/// `tsmfs update-module` talks only to the daemon of the mount it names: not to a local user who
/// took the channel's name, not to another mount at the same path in another namespace.
@Suite(.serialized) struct ControlChannelTests {
    /// The daemon pid and channel name a tdx mount's source carries (`tsmfs@<pid>:<name>`).
    static func daemon(of mountpoint: String) throws -> (pid: Int32, instance: String) {
        let line = try #require(
            try String(contentsOfFile: "/proc/self/mounts", encoding: .utf8).split(separator: "\n")
                .first { $0.split(separator: " ")[1] == mountpoint })
        let source = String(line.split(separator: " ")[0])
        #expect(source.hasPrefix("tsmfs@"), "\(source)")
        let parts = source.dropFirst(6).split(separator: ":")
        return (try #require(Int32(parts[0])), String(parts[1]))
    }

    @Test func anotherUserHoldingTheChannelNameIsNotTalkedTo() throws {
        let mountpoint = makeTemporaryDirectory("tsmfs-mount")
        defer { _ = try? tsmfs("unmount", "--lazy", mountpoint) }
        let state = makeTemporaryDirectory("tsmfs-state")
        #expect(try tsmfs("mount", "--provider", "tdx", "--state-dir", state, mountpoint).status == 0)
        let (pid, instance) = try Self.daemon(of: mountpoint)
        // While the daemon lives it holds the name: nobody else can bind it.
        let squat = """
            import socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.bind(b"\\0tsmfs-control:\(instance)")
            except OSError:
                print("taken", flush=True); sys.exit(0)
            s.listen(1); print("listening", flush=True)
            c, _ = s.accept(); c.recv(4096); c.sendall(b"ok module updated: SVN 3 -> 77\\n"); c.close()
            """
        let taken = try run(
            "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", squat])
        #expect(taken.stdout == "taken\n", "\(taken.stdout)\(taken.stderr)")
        // Once it is gone (killed; its mount stays until unmounted), a local user takes the name.
        kill(pid, SIGKILL)
        try waitUntil { kill(pid, 0) != 0 }
        let squatter = Process()
        squatter.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        squatter.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", squat]
        let output = Pipe()
        squatter.standardOutput = output
        try squatter.run()
        defer { squatter.terminate() }
        let ready = output.fileHandleForReading.availableData
        #expect(String(decoding: ready, as: UTF8.self).hasPrefix("listening"))
        let result = try tsmfs("update-module", mountpoint, "--svn", "77")
        #expect(result.status == 1, "\(result.stdout)")
        #expect(result.stderr.contains("is not its daemon") && result.stderr.contains("nothing was sent"), "\(result.stderr)")
        #expect(!result.stdout.contains("module updated"))
    }

    @Test func twoExecsAtOnePathAnswerOnlyTheirOwnUpdates() throws {
        let work = makeTemporaryDirectory("tsmfs-two-exec")
        let at = "/run/tsmfs-test-same-path"
        let tsmfsPath = TSMFSBinary.path
        let first = Process()
        first.executableURL = URL(fileURLWithPath: tsmfsPath)
        first.arguments = [
            "exec", "--provider", "tdx", "--state-dir", makeTemporaryDirectory("tsmfs-state"), "--at", at, "--", "sh", "-ec",
            """
            touch \(work)/first-ready
            i=0; until [ -e \(work)/second-done ]; do i=$((i+1)); [ $i -lt 600 ] || exit 3; sleep 0.05; done
            mkdir \(at)/tsm/report/q; head -c 64 /dev/zero > \(at)/tsm/report/q/inblob
            \(tsmfsPath) inspect \(at)/tsm/report/q/outblob > \(work)/first.txt
            """,
        ]
        try first.run()
        try waitUntil { FileManager.default.fileExists(atPath: work + "/first-ready") }
        let second = try run(
            tsmfsPath,
            [
                "exec", "--provider", "tdx", "--state-dir", makeTemporaryDirectory("tsmfs-state"), "--at", at, "--",
                tsmfsPath, "update-module", at, "--svn", "77",
            ])
        FileManager.default.createFile(atPath: work + "/second-done", contents: nil)
        first.waitUntilExit()
        #expect(second.status == 0 && second.stdout.contains("SVN 3 -> 77"), "\(second.stdout)\(second.stderr)")
        #expect(first.terminationStatus == 0)
        let inspected = try String(contentsOfFile: work + "/first.txt", encoding: .utf8)
        let svn = inspected.split(separator: "\n").first { $0.hasPrefix("tee_tcb_svn ") }?.split(separator: " ").last
        #expect(svn?.hasPrefix("03010200") == true, "the first TD's module is untouched: \(inspected)")
    }

    @Test func sigtermEndsAPausedUpdateAtOnce() throws {
        let mountpoint = makeTemporaryDirectory("tsmfs-mount")
        defer { _ = try? tsmfs("unmount", "--lazy", mountpoint) }
        #expect(
            try tsmfs("mount", "--provider", "tdx", "--state-dir", makeTemporaryDirectory("tsmfs-state"), mountpoint).status == 0)
        let (daemon, _) = try Self.daemon(of: mountpoint)
        let entry = mountpoint + "/tsm/report/waiting"
        try Sys.mkdir(entry)
        try Sys.writeFile(entry + "/inblob", nonce)
        let update = Process()
        update.executableURL = URL(fileURLWithPath: TSMFSBinary.path)
        update.arguments = ["update-module", mountpoint, "--svn", "9", "--duration-ms", "15000"]
        let updateOutput = Pipe()
        update.standardError = updateOutput
        try update.run()
        try waitUntil { isBlockedInRead(update.processIdentifier) }
        // A quote requested now waits behind the paused TD.
        let reader = try startReader(entry + "/outblob")
        try waitUntil { isBlockedInRead(reader.processIdentifier) }
        let signalled = Date()
        kill(daemon, SIGTERM)
        try waitUntil { kill(daemon, 0) != 0 }
        #expect(Date().timeIntervalSince(signalled) < 5, "the daemon stopped without serving out the 15 s pause")
        update.waitUntilExit()
        reader.waitUntilExit()
        #expect(update.terminationStatus == 1)
        let message = String(decoding: updateOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(message.contains("the daemon is stopping"), "\(message)")
    }

    @Test func aPauseLongerThanAMinuteIsRefused() throws {
        let result = try tsmfs("update-module", "/run/none", "--svn", "1", "--duration-ms", "60001")
        #expect(result.status != 0 && result.stderr.contains("--duration-ms is at most 60000"), "\(result.stderr)")
    }
}
