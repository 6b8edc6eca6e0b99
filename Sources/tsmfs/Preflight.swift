import CFuse3
import Glibc

/// Checks made before mounting, so that each common mistake gets a one-line reason and a fix
/// instead of a libfuse error.
enum Preflight {
    /// configfs' `statfs` magic: mounting over a real configfs (e.g. `/sys/kernel/config`
    /// without tsm) is allowed even though it is not empty.
    static let configfsMagic: Int = 0x6265_6570

    static func checkFuseDevice() throws {
        guard access("/dev/fuse", R_OK | W_OK) == 0 else {
            let reason = systemError(errno)
            throw CLIError(
                "/dev/fuse is not usable (\(reason)): load the fuse module (modprobe fuse) "
                    + "or, in a container, pass --device /dev/fuse")
        }
    }

    /// Without root, libfuse mounts through the setuid helper fusermount3.
    static func checkUnprivilegedHelper() throws {
        guard geteuid() != 0 else { return }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        let found = path.split(separator: ":").contains { access("\($0)/fusermount3", X_OK) == 0 }
        guard found else {
            throw CLIError("fusermount3 is missing, and mounting without root needs it: install the fuse3 package")
        }
    }

    /// Verifies the mountpoint, recovering a stale tsmfs mount left by a killed daemon.
    static func checkMountpoint(_ path: String, recoverStale: (String) throws -> Void) throws {
        if isDeadMount(path) {
            try recoverStale(path)
            guard !isDeadMount(path) else {
                throw CLIError("\(path) is still a dead FUSE mount after detaching it; run: fusermount3 -uz \(path)")
            }
        }
        if let mounted = MountTable.current().mount(at: path), mounted.type == "fuse.tsmfs" {
            throw CLIError("tsmfs is already mounted at \(path); unmount it first with: tsmfs unmount \(path)")
        }
        var info = stat()
        if stat(path, &info) != 0 {
            let error = errno
            if error == ENOENT {
                throw CLIError("mountpoint \(path) does not exist: create it with 'mkdir -p \(path)'")
            }
            throw CLIError("cannot use mountpoint \(path): \(systemError(error))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw CLIError("mountpoint \(path) is not a directory")
        }
        var fs = statfs()
        if statfs(path, &fs) == 0, fs.f_type == configfsMagic { return }
        guard let names = directoryNames(path) else {
            throw CLIError("cannot read mountpoint \(path): \(systemError(errno))")
        }
        if let name = names.first {
            throw CLIError(
                "mountpoint \(path) is not empty (it contains '\(name)'): "
                    + "mount on an empty directory so nothing is hidden")
        }
    }

    /// Whether `path` is a FUSE mount whose daemon is gone. The mount table says it is a FUSE
    /// mount; only a request that reaches the (absent) daemon says it is dead: the kernel may
    /// answer `stat` from its attribute cache, so statfs and a directory read are asked too.
    static func isDeadMount(_ path: String) -> Bool {
        guard let mounted = MountTable.current().mount(at: path), mounted.type.hasPrefix("fuse") else { return false }
        var info = stat()
        if stat(path, &info) != 0 && errno == ENOTCONN { return true }
        var fs = statfs()
        if statfs(path, &fs) != 0 && errno == ENOTCONN { return true }
        return directoryNames(path) == nil && errno == ENOTCONN
    }

    /// Holds an exclusive lock on the mountpoint directory while `body` checks and mounts it, so
    /// that two `tsmfs mount` on one directory cannot both find it empty and stack two mounts.
    static func withMountpointLock<R>(_ path: String, _ body: () throws -> R) throws -> R {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        // Nothing to lock (missing, not a directory, dead mount): the checks in body say why.
        guard descriptor >= 0 else { return try body() }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw CLIError("cannot lock mountpoint \(path): \(systemError(errno))")
            }
        }
        return try body()
    }
}
