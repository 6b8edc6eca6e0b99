import Glibc
import Synchronization

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
    static func start(arguments: [String], logFile: String?, seed: [UInt8]? = nil) throws -> pid_t {
        // The seed goes through a pipe the daemon inherits, never its command line (/proc/PID/cmdline
        // is readable by every user).
        let seedPipe = try seed.map(SeedHandoff.pipe)
        defer { if let seedPipe { close(seedPipe) } }
        let arguments = arguments + (seedPipe == nil ? [] : ["--deterministic-seed-fd", String(SeedHandoff.descriptor)])
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
        if let seedPipe { posix_spawn_file_actions_adddup2(&actions, seedPipe, SeedHandoff.descriptor) }

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
    static func closeInheritedDescriptors(keeping keep: [Int32]) {
        // The listing's own descriptor is in the list too; it is closed by then (EBADF, harmless).
        let descriptors = (directoryNames("/proc/self/fd") ?? []).compactMap(Int32.init)
        for descriptor in descriptors where descriptor > 2 && !keep.contains(descriptor) { close(descriptor) }
    }

    /// Called by the background copy: reports the outcome to the waiting parent.
    static func report(_ line: String, on descriptor: Int32) {
        let text = line + "\n"
        _ = text.withCString { write(descriptor, $0, strlen($0)) }
        close(descriptor)
    }
}

/// The deterministic seed between tsmfs processes and from seed files: never on a command line.
enum SeedHandoff {
    /// The descriptor a started daemon (or re-executed tsmfs exec) reads the seed from.
    static let descriptor: Int32 = 4

    private static let received = Mutex<[Int32: [UInt8]]>([:])

    /// A pipe's read end holding `seed` as hex; close-on-exec, to be dup2'ed into a child.
    static func pipe(_ seed: [UInt8]) throws -> Int32 {
        var ends: [Int32] = [0, 0]
        guard Glibc.pipe(&ends) == 0 else { throw CLIError("cannot create a pipe: \(systemError(errno))") }
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        let text = Array(seed.hexString.utf8)
        let written = text.withUnsafeBytes { write(ends[1], $0.baseAddress, $0.count) }
        close(ends[1])
        guard written == text.count else {
            close(ends[0])
            throw CLIError("cannot hand the seed over: \(systemError(errno))")
        }
        // Above the descriptors a child gets (dup2 onto itself would keep close-on-exec set).
        let moved = fcntl(ends[0], F_DUPFD_CLOEXEC, 10)
        close(ends[0])
        guard moved >= 0 else { throw CLIError("cannot hand the seed over: \(systemError(errno))") }
        return moved
    }

    /// The seed on an inherited descriptor; read once, then the descriptor is closed.
    static func receive(_ descriptor: Int32) throws -> [UInt8] {
        try received.withLock { cache in
            if let seed = cache[descriptor] { return seed }
            defer { close(descriptor) }
            guard let seed = ProviderOptions.parseSeed(try readAll(descriptor, what: "the inherited seed")) else {
                throw CLIError("the seed handed over on descriptor \(descriptor) is not hex")
            }
            cache[descriptor] = seed
            return seed
        }
    }

    /// A seed file: a regular file of the caller's, unreadable by others, holding the seed as hex.
    static func readFile(_ path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw CLIError("cannot read the seed file \(path): \(systemError(errno))") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw CLIError("the seed file \(path) is not a regular file")
        }
        guard info.st_uid == geteuid() else {
            throw CLIError(
                "the seed file \(path) belongs to uid \(info.st_uid), not to you (uid \(geteuid())): chown it, or use your own")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw CLIError(
                "the seed file \(path) is open to other users (mode \(String(info.st_mode & 0o777, radix: 8))), and every "
                    + "simulated key derives from it: chmod 600 \(path)")
        }
        let text = try readAll(descriptor, what: "the seed file \(path)")
        guard let seed = ProviderOptions.parseSeed(text) else {
            throw CLIError("the seed file \(path) must hold at least 32 hexadecimal digits (16 bytes)")
        }
        return seed
    }

    /// Up to 4 KiB of text, surrounding whitespace removed.
    private static func readAll(_ descriptor: Int32, what: String) throws -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 4096 {
            let count = read(descriptor, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw CLIError("cannot read \(what): \(systemError(errno))") }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
