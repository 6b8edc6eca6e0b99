import Foundation
import Glibc
import TestDirectories
import Testing

/// Callers of the guest devices the daemon must survive: one whose memory never arrives, one it
/// cannot see at all.
@Suite(.serialized) struct DeviceCallerTests {
    static let client = TDXEvidenceTests.packageRoot + "/Tests/Verifiers/snp_device_client.py"

    /// 16 callers whose request lies in a userfaultfd region nobody resolves: each is answered EFAULT
    /// within the transfer deadline, and ordinary callers and configfs are served meanwhile.
    @Test func stalledCallersAreAnsweredAndOthersServed() throws {
        let work = makeTemporaryDirectory("tsmfs-stalled")
        let nonce = String(repeating: "ab", count: 64)
        let script = """
            for i in $(seq 16); do
              /usr/bin/python3 \(Self.client) /dev/sev-guest stalled-report \(work)/ready$i > \(work)/stalled$i.json &
            done
            i=0; until [ $(ls \(work) | grep -c ready) -eq 16 ]; do i=$((i+1)); [ $i -lt 600 ] || exit 3; sleep 0.05; done
            /usr/bin/python3 \(Self.client) /dev/sev-guest report \(nonce) 0 \(work)/report.bin > \(work)/normal.json
            r=/sys/kernel/config/tsm/report/r; mkdir $r; head -c 64 /dev/zero > $r/inblob; cat $r/outblob > \(work)/configfs.bin
            wait
            """
        let started = Date()
        let result = try run(
            TSMFSBinary.path,
            ["exec", "--provider", "sev", "--state-dir", makeTemporaryDirectory("tsmfs-state"), "--", "sh", "-ec", script])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Date().timeIntervalSince(started) < 30, "the stalled callers were answered in bounded time")
        for index in 1...16 {
            let stalled = try String(contentsOfFile: "\(work)/stalled\(index).json", encoding: .utf8)
            #expect(stalled.contains("\"errno\": 14"), "caller \(index): \(stalled)")
        }
        let normal = try String(contentsOfFile: work + "/normal.json", encoding: .utf8)
        #expect(normal.contains("\"errno\": 0") && normal.contains("\"report_size\": 1184"), "\(normal)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: work + "/configfs.bin")).count == 1184)
    }

    /// A daemon in a child pid namespace (a pod without hostPID) cannot see callers outside it: FUSE
    /// says pid 0, every pointer fails EFAULT, and the daemon's log says why and what to do — once.
    @Test func callersOutsideTheDaemonsPidNamespaceAreExplainedOnce() throws {
        let log = makeTemporaryDirectory("tsmfs-log") + "/daemon.log"
        let mountpoint = makeTemporaryDirectory("tsmfs-mount")
        let devices = makeTemporaryDirectory("tsmfs-devices")
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        daemon.arguments = [
            "--pid", "--fork", "--kill-child", TSMFSBinary.path, "mount", "--foreground", "--provider", "sev", "--state-dir",
            makeTemporaryDirectory("tsmfs-state"), "--devices", devices, mountpoint,
        ]
        daemon.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log, isDirectory: false).creatingFile())
        try daemon.run()
        defer {
            _ = try? tsmfs("unmount", "--lazy", devices)
            _ = try? tsmfs("unmount", "--lazy", mountpoint)
            daemon.terminate()
            daemon.waitUntilExit()
        }
        try waitUntil { FileManager.default.fileExists(atPath: devices + "/dev/sev-guest") }
        for _ in 0..<2 {
            let result = try run(
                "/usr/bin/python3",
                [
                    Self.client, devices + "/dev/sev-guest", "report", String(repeating: "cd", count: 64), "0",
                    makeTemporaryDirectory("tsmfs-out") + "/report.bin",
                ])
            #expect(result.stdout.contains("\"errno\": 14"), "\(result.stdout)\(result.stderr)")
        }
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.components(separatedBy: "outside this daemon's pid namespace").count == 2, "\(text)")
        #expect(text.contains("hostPID"))
    }
}

extension URL {
    /// This file URL, its file created empty first.
    fileprivate func creatingFile() -> URL {
        FileManager.default.createFile(atPath: path, contents: nil)
        return self
    }
}
