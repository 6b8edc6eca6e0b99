import FUSEAdapter
import Glibc

/// The mounts of this process's namespace, from /proc/self/mounts.
struct MountTable {
    struct Mount {
        var source: String
        var mountpoint: String
        var type: String
        var options: [String] = []

        /// The value of option `name=value`, if present.
        func option(_ name: String) -> String? {
            options.first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
        }
    }

    var mounts: [Mount]

    static func current() -> MountTable {
        guard let file = fopen("/proc/self/mounts", "r") else { return MountTable(mounts: []) }
        defer { fclose(file) }
        var mounts: [Mount] = []
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0 {
            let fields = String(cString: line!).split(separator: " ")
            guard fields.count >= 3 else { continue }
            mounts.append(
                Mount(
                    source: MountIdentity.unescape(fields[0]), mountpoint: MountIdentity.unescape(fields[1]),
                    type: String(fields[2]),
                    options: fields.count > 3 ? fields[3].split(separator: ",").map(String.init) : []))
        }
        return MountTable(mounts: mounts)
    }

    /// The topmost mount at exactly `path`.
    func mount(at path: String) -> Mount? {
        mounts.last { $0.mountpoint == path }
    }
}

/// The names in a directory, `.` and `..` excluded; nil if it cannot be read.
func directoryNames(_ path: String) -> [String]? {
    guard let directory = opendir(path) else { return nil }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// Absolute, symlink-free form of a path the user typed.
func absolutePath(_ path: String) -> String {
    if let resolved = realpath(path, nil) {
        defer { free(resolved) }
        return String(cString: resolved)
    }
    if path.hasPrefix("/") { return path }
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
    guard getcwd(&buffer, buffer.count) != nil else { return path }
    return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } + "/" + path
}

/// Detaches the mount at `path` (umount2 with MNT_DETACH as root, fusermount3 -uz otherwise).
func detachMount(_ path: String, lazy: Bool) throws {
    if geteuid() == 0 {
        guard umount2(path, lazy ? Int32(MNT_DETACH) : 0) == 0 else {
            let error = errno
            switch error {
            case EBUSY:
                throw CLIError(
                    "\(path) is busy (a process has a file or directory open there); "
                        + "close it, or use 'tsmfs unmount --lazy \(path)'")
            case EINVAL:
                throw CLIError("\(path) is not a mount point")
            default:
                throw CLIError("cannot unmount \(path): \(systemError(error))")
            }
        }
        return
    }
    let status = try runProgram("fusermount3", ["-u"] + (lazy ? ["-z"] : []) + [path])
    guard status == 0 else { throw CLIError("fusermount3 could not unmount \(path) (exit status \(status))") }
}
