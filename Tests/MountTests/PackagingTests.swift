import Foundation
import Glibc
import TestDirectories
import Testing

/// The artifacts `make deb` leaves (make test builds them first): the self-contained binary, the
/// install tree, and the Debian package installed with apt into a fresh Debian root.
@Suite(.serialized) struct PackagingTests {
    static let root = TDXEvidenceTests.packageRoot
    static let staticBinary = root + "/.build/static/tsmfs"
    static let installTree = root + "/.build/deb/root"
    static let version = "0.1.0"
    static var package: String? {
        (try? FileManager.default.contentsOfDirectory(atPath: root + "/.build/deb"))?
            .filter { $0.hasPrefix("tsmfs_") && $0.hasSuffix(".deb") }.first.map { root + "/.build/deb/" + $0 }
    }

    /// Only glibc and libfuse3 from the system: no toolchain path, no Swift runtime library.
    @Test func theStaticBinaryNeedsOnlyGlibcAndLibfuse() throws {
        let ldd = try run("/usr/bin/ldd", [Self.staticBinary])
        #expect(ldd.status == 0, "\(ldd.stderr)")
        let libraries = ldd.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(!libraries.isEmpty)
        for line in libraries {
            let name = String(line.split(separator: " ").first ?? "")
            #expect(
                ["linux-vdso.so.1", "libfuse3.so.3", "libc.so.6", "libm.so.6", "/lib64/ld-linux-x86-64.so.2"].contains(name),
                "unexpected dependency: \(line)")
            #expect(!line.contains("/opt/swift") && !line.contains("libswift"), "\(line)")
        }
        let version = try run("/usr/bin/env", ["-i", Self.staticBinary, "--version"])
        #expect(version.status == 0 && version.stdout == Self.version + "\n", "\(version.stdout) \(version.stderr)")
    }

    /// What make install lays out (the package's tree is one, under /usr), and make uninstall
    /// removes it all again.
    @Test func installPutsEveryPieceWhereDebianLooksAndUninstallRemovesThem() throws {
        let expected = [
            "usr/bin/tsmfs", "sbin/mount.fuse.tsmfs", "usr/lib/systemd/system/tsmfs@.service",
            "usr/lib/systemd/system/run-tsmfs.mount", "usr/share/man/man1/tsmfs.1.gz", "usr/share/man/man1/tsmfs-mount.1.gz",
            "usr/share/man/man1/tsmfs-exec.1.gz", "usr/share/man/man5/tsmfs.toml.5.gz",
            "usr/share/man/man8/mount.fuse.tsmfs.8.gz", "usr/share/bash-completion/completions/tsmfs",
            "usr/share/zsh/vendor-completions/_tsmfs", "usr/share/fish/vendor_completions.d/tsmfs.fish",
            "usr/share/doc/tsmfs/examples/tdx.toml", "usr/share/doc/tsmfs/copyright", "usr/share/doc/tsmfs/changelog.Debian.gz",
        ]
        for path in expected {
            #expect(FileManager.default.fileExists(atPath: Self.installTree + "/" + path), "\(path) is missing")
        }
        // The helper and the service run the installed binary, not the source tree's.
        let helper = try String(contentsOfFile: Self.installTree + "/sbin/mount.fuse.tsmfs", encoding: .utf8)
        #expect(helper.contains("/usr/bin/tsmfs") && !helper.contains("/usr/local/bin/tsmfs"))
        let service = try String(contentsOfFile: Self.installTree + "/usr/lib/systemd/system/tsmfs@.service", encoding: .utf8)
        #expect(service.contains("ExecStart=/usr/bin/tsmfs mount"))
        let modes = try shell("stat -c '%a %n' \(Self.installTree)/usr/bin/tsmfs \(Self.installTree)/sbin/mount.fuse.tsmfs")
        #expect(modes.stdout == "755 \(Self.installTree)/usr/bin/tsmfs\n755 \(Self.installTree)/sbin/mount.fuse.tsmfs\n")
        // The completion scripts are the argument parser's, for every subcommand.
        let bash = try String(contentsOfFile: Self.installTree + "/usr/share/bash-completion/completions/tsmfs", encoding: .utf8)
        #expect(!bash.hasPrefix("#!") && bash.contains("update-module") && bash.contains("--kernel"))

        let copy = makeTemporaryDirectory("tsmfs-uninstall")
        #expect(try shell("cp -a \(Self.installTree)/. \(copy)/ && rm -rf \(copy)/DEBIAN").status == 0)
        let uninstall = try run(
            "/usr/bin/make",
            ["-C", Self.root, "--no-print-directory", "uninstall", "DESTDIR=\(copy)", "PREFIX=/usr", "SBINDIR=/sbin"])
        #expect(uninstall.status == 0, "\(uninstall.stderr)")
        let left = try shell("cd \(copy) && find . -type f | sort")
        #expect(left.stdout == "", "make uninstall left: \(left.stdout)")
    }

    /// The package's fields, and lintian's verdict (make deb runs it too).
    @Test func thePackageDeclaresWhatDebianNeeds() throws {
        let deb = try #require(Self.package, "make deb did not run")
        let control = try run("/usr/bin/dpkg-deb", ["--field", deb])
        #expect(control.status == 0)
        let fields = Dictionary(
            control.stdout.split(separator: "\n").compactMap { line -> (String, String)? in
                guard let colon = line.firstIndex(of: ":"), !line.hasPrefix(" ") else { return nil }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }, uniquingKeysWith: { first, _ in first })
        #expect(fields["Package"] == "tsmfs")
        #expect(fields["Version"] == Self.version + "-1")
        #expect(fields["Architecture"] == "amd64")
        let depends = fields["Depends"] ?? ""
        #expect(depends.contains("fuse3") && depends.contains("libfuse3-3") && depends.contains("libc6"), "\(depends)")
        if access("/usr/bin/lintian", X_OK) == 0 {
            let lintian = try run(
                "/usr/bin/lintian", ["--fail-on", "error,warning", "--suppress-tags", "initial-upload-closes-no-bugs", deb])
            #expect(lintian.status == 0, "\(lintian.stdout)")
        }
    }

    /// A fresh minimal Debian bookworm root (debootstrap), the package installed with apt, and in it:
    /// the binary with an empty environment, the manual page, and the kernel documentation's flow
    /// under `tsmfs exec --provider tdx`.
    @Test func thePackageInstallsWithAptIntoAFreshDebianAndRuns() throws {
        let deb = try #require(Self.package, "make deb did not run")
        guard let pristine = try Self.debianRoot() else { return }
        let work = makeTemporaryDirectory("tsmfs-debian")
        let target = work + "/root"
        defer { _ = try? shell("rm -rf \(work)") }
        #expect(try shell("cp -a \(pristine) \(target)").status == 0)
        #expect(
            try shell("cp \(deb) \(target)/root/tsmfs.deb && cp \(Self.root)/examples/kernel-doc-flow.sh \(target)/root/").status
                == 0)
        let script = """
            set -e
            r=\(target)
            # The root is a mount point, as in a container or a VM (tsmfs exec makes / private).
            mount --bind $r $r
            mount --rbind /dev $r/dev; mount -t proc proc $r/proc; mount --rbind /sys $r/sys
            mount -t tmpfs tmpfs $r/tmp; mount -t tmpfs tmpfs $r/run
            cp /etc/resolv.conf $r/etc/resolv.conf
            inside() { chroot $r env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"; }
            inside apt-get update -qq
            inside env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /root/tsmfs.deb bsdextrautils >/dev/null
            echo "version: $(chroot $r env -i /usr/bin/tsmfs --version)"
            inside test -f /usr/share/man/man1/tsmfs.1.gz && echo "manual: present"
            inside tsmfs exec --provider tdx --state-dir /var/lib/tsmfs -- bash /root/kernel-doc-flow.sh > $r/root/flow.out
            echo "flow: $(head -c 9 $r/root/flow.out)"
            """
        let result = try run("/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", script])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout == "version: \(Self.version)\nmanual: present\nflow: tdx_guest\n", "\(result.stdout)")
    }

    /// A minimal bookworm root made once per checkout and copied for each run; nil (with one line
    /// saying why) where debootstrap cannot reach a Debian mirror.
    static func debianRoot() throws -> String? {
        let cache = root + "/.build/packaging/bookworm"
        if FileManager.default.fileExists(atPath: cache + "/usr/bin/apt-get") { return cache }
        _ = try shell("rm -rf \(cache).partial")
        let made = try run(
            "/usr/sbin/debootstrap",
            ["--variant=minbase", "bookworm", cache + ".partial", "http://deb.debian.org/debian"])
        guard made.status == 0 else {
            print("PackagingTests: skipped the apt install: debootstrap cannot reach deb.debian.org")
            return nil
        }
        #expect(try shell("mv \(cache).partial \(cache)").status == 0)
        return cache
    }

    /// The CI recipes users copy, checked offline field by field; the checker refuses recipes with
    /// a misspelt key, a job without a runner or a step that is neither `uses` nor `run`.
    @Test func theCIRecipesHaveEveryFieldTheirServicesRequire() throws {
        let checker = Self.root + "/Tests/Verifiers/ci_recipe_check.py"
        let github = Self.root + "/examples/ci/github-actions.yml"
        let gitlab = Self.root + "/examples/ci/gitlab-ci.yml"
        let result = try run(TDXEvidenceTests.python, [checker, github, gitlab])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let original = try String(contentsOfFile: github, encoding: .utf8)
        let broken = makeTemporaryDirectory("tsmfs-ci")
        let mutations = [
            original.replacingOccurrences(of: "runs-on: ubuntu-24.04", with: "runs_on: ubuntu-24.04"),
            original.replacingOccurrences(
                of: "      - name: Install tsmfs\n        run:", with: "      - name: Install tsmfs\n        runs:"),
            original.replacingOccurrences(
                of: "--provider tdx --services -- go test", with: "--provider sev --services -- go test"),
            original.replacingOccurrences(of: "--provider tdx --services -- go test", with: "--provider tdx -- go test"),
        ]
        for (index, text) in mutations.enumerated() {
            #expect(text != original, "mutation \(index) changed nothing")
            let path = broken + "/workflow\(index).yml"
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            #expect(try run(TDXEvidenceTests.python, [checker, path, gitlab]).status == 1, "mutation \(index) passed")
        }
        let pipeline = try String(contentsOfFile: gitlab, encoding: .utf8)
            .replacingOccurrences(of: "  script:\n", with: "  scripts:\n")
        try pipeline.write(toFile: broken + "/gitlab.yml", atomically: false, encoding: .utf8)
        #expect(try run(TDXEvidenceTests.python, [checker, github, broken + "/gitlab.yml"]).status == 1)
    }
}
