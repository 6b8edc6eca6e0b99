import Foundation
import Glibc
import TestDirectories
import Testing

/// `tsmfs roots --out` and `tsmfs collateral --out`, run as root, must not be steerable by whoever
/// else can write where they write: no write through a planted link, no export into a directory
/// another user owns or can write to.
@Suite struct ExportTests {
    static func roots(_ out: String) throws -> CommandResult {
        let state = makeTemporaryDirectory("tsmfs-state")
        return try run(TSMFSBinary.path, ["roots", "--provider", "tdx", "--state-dir", state, "--out", out])
    }

    @Test func plantedLinksAreReplacedNotWrittenThrough() throws {
        let out = makeTemporaryDirectory("tsmfs-export")
        let victim = makeTemporaryDirectory("tsmfs-victim") + "/shadow"
        try "root-owned secret\n".write(toFile: victim, atomically: false, encoding: .utf8)
        // The final names, and the temporary names of the pids that come next, all point at the victim.
        let next = getpid()
        for name in ["intel-sgx-root-ca.pem", "intel-sgx-root-ca.der"] {
            symlink(victim, out + "/" + name)
            for pid in next..<next + 400 { symlink(victim, out + "/\(name).tmp-\(pid)") }
        }
        let result = try Self.roots(out)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "root-owned secret\n")
        var info = stat()
        #expect(lstat(out + "/intel-sgx-root-ca.pem", &info) == 0 && info.st_mode & S_IFMT == S_IFREG)
        #expect(try String(contentsOfFile: out + "/intel-sgx-root-ca.pem", encoding: .utf8).hasPrefix("-----BEGIN CERTIFICATE"))
    }

    @Test func directoriesOfOthersAndLinksAreRefusedWithTheFix() throws {
        let owned = makeTemporaryDirectory("tsmfs-export")
        #expect(chown(owned, 65534, 65534) == 0)
        let other = try Self.roots(owned)
        #expect(other.status == 1 && other.stderr.contains("belongs to uid 65534"), "\(other.stderr)")
        #expect(!other.stderr.contains("\n") || other.stderr.split(separator: "\n").count == 1)

        let open = makeTemporaryDirectory("tsmfs-export")
        #expect(chmod(open, 0o1777) == 0)
        let writable = try Self.roots(open)
        #expect(writable.status == 1 && writable.stderr.contains("chmod go-w \(open)"), "\(writable.stderr)")

        let target = makeTemporaryDirectory("tsmfs-export")
        let link = makeTemporaryDirectory("tsmfs-export-link") + "/out"
        symlink(target, link)
        let linked = try Self.roots(link)
        #expect(linked.status == 1 && linked.stderr.contains("is a symbolic link"), "\(linked.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: target).isEmpty)

        let state = makeTemporaryDirectory("tsmfs-state")
        let collateral = try run(
            TSMFSBinary.path, ["collateral", "--provider", "tdx", "--state-dir", state, "--out", owned])
        #expect(collateral.status == 1 && collateral.stderr.contains("belongs to uid 65534"), "\(collateral.stderr)")
    }

    @Test func aDevicesDirectoryThatIsALinkIsRefused() throws {
        let target = makeTemporaryDirectory("tsmfs-devices-target")
        let link = makeTemporaryDirectory("tsmfs-devices-link") + "/devices"
        symlink(target, link)
        let mountpoint = makeTemporaryDirectory("tsmfs-mount")
        defer { _ = try? tsmfs("unmount", "--lazy", mountpoint) }
        let result = try tsmfs(
            "mount", "--provider", "sev", "--state-dir", makeTemporaryDirectory("tsmfs-state"), "--devices", link, mountpoint)
        #expect(result.status == 1 && result.stderr.contains("is a symbolic link"), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: target).isEmpty)
        #expect(!MountTableSnapshot.tsmfsMounts().contains(mountpoint))
    }
}
