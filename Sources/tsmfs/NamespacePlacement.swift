import Glibc

/// Puts files, directories and links at paths that may not exist, inside tsmfs exec's private
/// mount namespace. /dev and sysfs cannot be written to, so a directory that needs a new entry
/// is covered with a tmpfs on which every original entry is bound back (subdirectories with
/// their submounts, device nodes, links copied) before the new entry is added: the command sees
/// the host's tree plus tsmfs's pieces, and the host sees nothing.
final class NamespacePlacement {
    /// Directories already covered, so a second piece reuses the same tmpfs.
    private var opened: Set<String> = []
    /// A directory on a tmpfs of the namespace's own, for staging: nothing made there reaches the host.
    private let workspace: String
    private var made = 0

    init(workspace: String) { self.workspace = workspace }

    /// A new directory in the workspace.
    func workspaceDirectory(_ purpose: String) throws -> String {
        made += 1
        let path = "\(workspace)/\(purpose)-\(made)"
        guard mkdir(path, 0o700) == 0 else { throw failure("create the directory", path) }
        return path
    }

    /// Creates the directory `path`, covering its parent (with every original entry bound back) if
    /// the parent cannot take a new entry.
    func makeDirectory(_ path: String) throws {
        try makeRoom(in: parent(of: path))
        guard mkdir(path, 0o755) == 0 else { throw failure("create the directory", path) }
    }

    enum Kind { case file, directory }

    /// Binds `source` (a file or directory of a tsmfs mount) at `target`.
    func bind(_ source: String, at target: String, as kind: Kind) throws {
        if !exists(target) {
            try makeRoom(in: parent(of: target))
            switch kind {
            case .directory:
                guard mkdir(target, 0o755) == 0 else { throw failure("create the directory", target) }
            case .file:
                let descriptor = open(target, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
                guard descriptor >= 0 else { throw failure("create", target) }
                close(descriptor)
            }
        }
        guard mount(source, target, nil, UInt(MS_BIND), nil) == 0 else { throw failure("bind \(source) on", target) }
    }

    /// Creates the symbolic link `path` → `target`, replacing nothing that exists.
    func link(_ path: String, to target: String) throws {
        if exists(path) { return }
        try makeRoom(in: parent(of: path))
        guard symlink(target, path) == 0 else { throw failure("create the link", path) }
    }

    // MARK: covering a directory

    private func makeRoom(in directory: String) throws {
        if opened.contains(directory) { return }
        if !exists(directory) {
            try makeRoom(in: parent(of: directory))
            guard mkdir(directory, 0o755) == 0 else { throw failure("create the directory", directory) }
            opened.insert(directory)
            return
        }
        var info = stat()
        guard stat(directory, &info) == 0 else { throw failure("inspect", directory) }
        // Keep the original reachable while the tmpfs covers it.
        let original = try workspaceDirectory("original")
        defer {
            umount2(original, Int32(MNT_DETACH))
            rmdir(original)
        }
        guard mount(directory, original, nil, UInt(MS_BIND | MS_REC), nil) == 0 else { throw failure("bind", directory) }
        guard mount("tsmfs", directory, "tmpfs", 0, "mode=\(String(info.st_mode & 0o7777, radix: 8))") == 0 else {
            throw failure("mount a tmpfs on", directory)
        }
        opened.insert(directory)
        for name in directoryNames(original) ?? [] {
            let from = "\(original)/\(name)"
            let to = "\(directory)/\(name)"
            var entry = stat()
            guard lstat(from, &entry) == 0 else { continue }
            switch entry.st_mode & S_IFMT {
            case S_IFLNK:
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let count = readlink(from, &buffer, buffer.count - 1)
                guard count >= 0 else { continue }
                buffer[count] = 0
                _ = symlink(buffer, to)
            case S_IFDIR:
                guard mkdir(to, entry.st_mode & 0o7777) == 0 else { continue }
                _ = mount(from, to, nil, UInt(MS_BIND | MS_REC), nil)
            default:
                let descriptor = open(to, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
                guard descriptor >= 0 else { continue }
                close(descriptor)
                _ = mount(from, to, nil, UInt(MS_BIND | MS_REC), nil)
            }
        }
    }

    /// A fresh empty directory in /tmp for exec's staging, made outside the namespace and removed by
    /// whoever made it.
    static func stagingDirectory(_ purpose: String) throws -> String {
        var template = Array("/tmp/tsmfs-exec-\(purpose).XXXXXX".utf8CString)
        guard let path = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CLIError("cannot create a staging directory in /tmp for tsmfs exec: \(systemError(errno))")
        }
        return String(cString: path)
    }

    private func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    private func parent(of path: String) -> String {
        let parent = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        return parent.isEmpty ? "/" : parent
    }

    private func failure(_ action: String, _ path: String) -> CLIError {
        CLIError("cannot \(action) \(path): \(systemError(errno)) (tsmfs exec needs root)")
    }
}
