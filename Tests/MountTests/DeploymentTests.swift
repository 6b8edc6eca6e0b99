import Foundation
import Glibc
import SystemPackage
import TestDirectories
import Testing

/// Every deployment recipe docs/deployment.md shows, run for real.
@Suite struct DeploymentTests {
    static let root = TDXEvidenceTests.packageRoot

    static var exampleEnvironment: [String: String] {
        ProcessInfo.processInfo.environment.merging(["TSMFS": TSMFSBinary.path, "PYTHON": TDXEvidenceTests.python]) { $1 }
    }

    @Test(arguments: ["container-bwrap.sh", "container-devices-bwrap.sh", "multi-container.sh", "fault-injection.sh"])
    func exampleScriptSucceeds(_ script: String) throws {
        let result = try run("/bin/bash", [Self.root + "/examples/" + script], environment: Self.exampleEnvironment)
        #expect(result.status == 0, "\(script): \(result.stdout)\n\(result.stderr)")
    }

    @Test func containerSeesTheKernelPermissionModel() throws {
        let result = try run("/bin/bash", [Self.root + "/examples/container-bwrap.sh"], environment: Self.exampleEnvironment)
        #expect(result.stdout.contains("tdx_guest\n1\n"))
        #expect(result.stdout.contains("REPORTDATA is this container's nonce"))
        #expect(result.stdout.contains("unprivileged user: outblob readable, inblob refused (EACCES)"))
    }

    /// Runs `script` in a private mount namespace where /usr/sbin also holds mount.fuse.tsmfs,
    /// as if installed, so mount(8) finds the helper without touching the host.
    static func withInstalledMountHelper(_ script: String) throws -> CommandResult {
        try shell(
            """
            unshare --mount --propagation private bash -ec '
                shadow=$(mktemp -d -p \(testRunDirectory))
                for file in /usr/sbin/*; do ln -s "$file" "$shadow/${file##*/}"; done
                cp \(root)/mount-helpers/mount.fuse.tsmfs "$shadow/"
                mount --bind "$shadow" /usr/sbin
                \(script)'
            """, environment: ["TSMFS": TSMFSBinary.path])
    }

    @Test func mountTypeFuseTsmfsThroughMount8() throws {
        let mountpoint = makeTemporaryDirectory()
        defer { rmdir(mountpoint) }
        let result = try Self.withInstalledMountHelper(
            """
            mount -t fuse.tsmfs tsmfs \(mountpoint) -o provider=echo,allow_other,nofail,x-systemd.automount
            grep " \(mountpoint) fuse.tsmfs " /proc/self/mounts
            mkdir \(mountpoint)/tsm/report/r && cat \(mountpoint)/tsm/report/r/provider
            umount \(mountpoint)
            """)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout.contains("fuse.tsmfs rw,nosuid,nodev,relatime,user_id=0,group_id=0,default_permissions,allow_other"))
        #expect(result.stdout.hasSuffix("tsmfs_echo\n"))
    }

    @Test func mountHelperServesDevicesWhereTheOptionSays() throws {
        let mountpoint = makeTemporaryDirectory()
        let state = makeTemporaryDirectory("tsmfs-state")
        let devices = makeTemporaryDirectory("tsmfs-devices") + "/new"
        defer { rmdir(mountpoint) }
        let result = try Self.withInstalledMountHelper(
            """
            mount -t fuse.tsmfs tsmfs \(mountpoint) -o provider=tdx,state_dir=\(state),devices=\(devices)
            stat -c "%a %s" \(devices)/dev/tdx_guest \(devices)/sys/devices/virtual/misc/tdx_guest/measurements/rtmr3:sha384
            umount \(mountpoint)
            for i in $(seq 50); do grep -q " \(devices) " /proc/self/mounts || break; sleep 0.1; done
            grep -c " \(devices) " /proc/self/mounts || true
            """)
        #expect(result.status == 0, "\(result.stderr)")
        // The devices stop with the configfs mount.
        #expect(result.stdout == "600 0\n644 48\n0\n")
    }

    @Test func fstabLineMountsWithTsmfsOptions() throws {
        let mountpoint = makeTemporaryDirectory()
        defer { rmdir(mountpoint) }
        let fstab = makeTemporaryDirectory("tsmfs-fstab") + "/fstab"
        try "tsmfs \(mountpoint) fuse.tsmfs provider=echo,owner=1000:1001,nofail 0 0\n"
            .write(toFile: fstab, atomically: false, encoding: .utf8)
        let result = try Self.withInstalledMountHelper(
            """
            mount -T \(fstab) \(mountpoint)
            stat -c "%u:%g %a" \(mountpoint)/tsm/report
            umount \(mountpoint)
            """)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "1000:1001 755\n")
    }

    @Test func systemdUnitsVerify() throws {
        let units = makeTemporaryDirectory("tsmfs-units")
        let service = try String(contentsOfFile: Self.root + "/mount-helpers/systemd/tsmfs@.service", encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/tsmfs", with: TSMFSBinary.path)
        try service.write(toFile: units + "/tsmfs@tdx.service", atomically: false, encoding: .utf8)
        let mountUnit = try String(contentsOfFile: Self.root + "/mount-helpers/systemd/run-tsmfs.mount", encoding: .utf8)
        try mountUnit.write(toFile: units + "/run-tsmfs.mount", atomically: false, encoding: .utf8)
        let serve = try String(contentsOfFile: Self.root + "/mount-helpers/systemd/tsmfs-serve.service", encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/tsmfs", with: TSMFSBinary.path)
        try serve.write(toFile: units + "/tsmfs-serve.service", atomically: false, encoding: .utf8)
        let result = try run(
            "/usr/bin/systemd-analyze",
            [
                "verify", "--man=no", units + "/tsmfs@tdx.service",
                units + "/run-tsmfs.mount", units + "/tsmfs-serve.service",
            ])
        // verify only warns about some mistakes, so any output at all is a failure.
        #expect(result.status == 0 && result.stdout.isEmpty && result.stderr.isEmpty, "\(result.stdout)\(result.stderr)")
    }

    @Test func execRunsTheCommandAtTheCanonicalPath() throws {
        let result = try run(
            TSMFSBinary.path,
            [
                "exec", "--provider", "echo", "--", "bash", "-ec",
                """
                r=/sys/kernel/config/tsm/report/r
                mkdir $r
                head -c 64 /dev/zero > $r/inblob
                hexdump -C $r/outblob | head -1
                exit 7
                """,
            ])
        #expect(result.status == 7, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("00000000  54 53 4d 45 43 48 4f 31"))
        #expect(!FileManager.default.fileExists(atPath: "/sys/kernel/config/tsm"))
        #expect(!MountTableSnapshot.tsmfsMounts().contains("/sys/kernel/config"))
    }

    @Test func execMountsOverAnExistingDirectory() throws {
        // The branch taken where /sys/kernel/config already exists: no tmpfs, tsmfs goes on top.
        let existing = makeTemporaryDirectory("tsmfs-existing")
        defer { rmdir(existing) }
        let result = try run(
            TSMFSBinary.path,
            [
                "exec", "--provider", "echo", "--at", existing, "--",
                "sh", "-c", "grep -c ' \(existing) fuse.tsmfs ' /proc/self/mounts; ls \(existing)",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "1\ntsm\n")
        #expect(try Sys.listDirectory(existing) == [".", ".."])
    }

    @Test func execReportsAFailingMountAndAMissingCommand() throws {
        let badConfig = makeTemporaryDirectory("tsmfs-config") + "/bad.toml"
        try "[echo]\nnope = 1\n".write(toFile: badConfig, atomically: false, encoding: .utf8)
        let failed = try run(TSMFSBinary.path, ["exec", "--config", badConfig, "--", "true"])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("[echo] nope: unknown setting"))
        let usage = try run(TSMFSBinary.path, ["exec", "--provider", "echo"])
        #expect(usage.status == 64)
        #expect(usage.stderr.contains("name the command to run after --"))
    }
}
