import Glibc

/// Running the filesystem in the background: the parent starts a detached copy of itself in
/// foreground mode and waits on a pipe until that copy reports "ready" (the mount is
/// visible) or an error line, so `tsmfs mount` returns only once the mount can be used.
enum Daemon {
    /// The file descriptor the background copy reports readiness on.
    static let readyDescriptor: Int32 = 3

    /// glibc's `POSIX_SPAWN_SETSID`, a GNU extension the Swift Glibc module does not export.
    private static let posixSpawnSetSID: Int16 = 0x80

    /// Starts `arguments` (a `tsmfs mount --foreground …` command line) detached, and waits
    /// for its verdict; returns the daemon's process id once it serves.
    @discardableResult
    static func start(arguments: [String], logFile: String?) throws -> pid_t {
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else {
            throw CLIError("cannot create a pipe: \(systemError(errno))")
        }
        let (readEnd, writeEnd) = (pipeFDs[0], pipeFDs[1])
        // Neither end may leak into the daemon except as the dup2'ed readiness descriptor.
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, logFile ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o640)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, readyDescriptor)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own session: the terminal's Ctrl-C and hang-up no longer reach the daemon.
        posix_spawnattr_setflags(&attributes, posixSpawnSetSID)

        let executable = currentExecutable()
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        close(writeEnd)
        defer { close(readEnd) }
        guard spawned == 0 else {
            throw CLIError("cannot start the tsmfs daemon: \(systemError(spawned))")
        }

        var report: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while true {
            let count = read(readEnd, &chunk, chunk.count)
            if count > 0 {
                report += chunk[..<count]
                continue
            }
            if count < 0 && errno == EINTR { continue }
            break
        }
        let line = String(decoding: report, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        if line == "ready" { return pid }
        if line.hasPrefix("error: ") { throw CLIError(String(line.dropFirst("error: ".count))) }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        throw CLIError(
            "the tsmfs daemon exited (status \(status)) before the mount was ready"
                + (logFile.map { "; see \($0)" } ?? "; rerun with --foreground to see why"))
    }

    /// Closes every descriptor the daemon inherited beyond stdio and `keep`: whoever started
    /// `tsmfs mount` may be reading its output through a pipe, and must see EOF when it exits.
    static func closeInheritedDescriptors(keeping keep: Int32) {
        // The listing's own descriptor is in the list too; it is closed by then (EBADF, harmless).
        let descriptors = (directoryNames("/proc/self/fd") ?? []).compactMap(Int32.init)
        for descriptor in descriptors where descriptor > 2 && descriptor != keep { close(descriptor) }
    }

    /// Called by the background copy: reports the outcome to the waiting parent.
    static func report(_ line: String, on descriptor: Int32) {
        let text = line + "\n"
        _ = text.withCString { write(descriptor, $0, strlen($0)) }
        close(descriptor)
    }
}
