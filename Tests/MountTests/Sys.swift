import Glibc
import SystemPackage

/// Thin wrappers over the syscalls clients make, throwing the errno they fail with.
enum Sys {
    @discardableResult
    static func check(_ result: Int32) throws(Errno) -> Int32 {
        guard result >= 0 else { throw Errno(rawValue: errno) }
        return result
    }

    @discardableResult
    static func check(_ result: Int) throws(Errno) -> Int {
        guard result >= 0 else { throw Errno(rawValue: errno) }
        return result
    }

    static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0o644) throws(Errno) -> Int32 {
        try check(Glibc.open(path, flags | O_CLOEXEC, mode))
    }

    static func close(_ fd: Int32) throws(Errno) { try check(Glibc.close(fd)) }

    static func read(_ fd: Int32, count: Int = 65536) throws(Errno) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let got = try check(Glibc.read(fd, &buffer, count))
        return Array(buffer[..<got])
    }

    static func pread(_ fd: Int32, count: Int, offset: Int) throws(Errno) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let got = try check(Glibc.pread(fd, &buffer, count, off_t(offset)))
        return Array(buffer[..<got])
    }

    @discardableResult
    static func write(_ fd: Int32, _ bytes: [UInt8]) throws(Errno) -> Int {
        try check(bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) })
    }

    @discardableResult
    static func pwrite(_ fd: Int32, _ bytes: [UInt8], offset: Int) throws(Errno) -> Int {
        try check(bytes.withUnsafeBytes { Glibc.pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) })
    }

    /// Reads to EOF through one descriptor, like `cat` or Go's `os.ReadFile`.
    static func readFile(_ path: String) throws(Errno) -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { Glibc.close(fd) }
        var result: [UInt8] = []
        while true {
            let chunk = try read(fd)
            if chunk.isEmpty { return result }
            result += chunk
        }
    }

    static func readText(_ path: String) throws(Errno) -> String {
        String(decoding: try readFile(path), as: UTF8.self)
    }

    /// One write through `open(O_WRONLY|O_CREAT|O_TRUNC)`, like Go's `os.WriteFile`.
    static func writeFile(_ path: String, _ bytes: [UInt8]) throws(Errno) {
        let fd = try open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o220)
        var failure: Errno?
        do { try write(fd, bytes) } catch { failure = error }
        try close(fd)
        if let failure { throw failure }
    }

    static func writeFile(_ path: String, _ text: String) throws(Errno) {
        try writeFile(path, Array(text.utf8))
    }

    static func mkdir(_ path: String, _ mode: mode_t = 0o700) throws(Errno) { try check(Glibc.mkdir(path, mode)) }
    static func rmdir(_ path: String) throws(Errno) { try check(Glibc.rmdir(path)) }
    static func unlink(_ path: String) throws(Errno) { try check(Glibc.unlink(path)) }
    static func rename(_ from: String, _ to: String) throws(Errno) { try check(Glibc.rename(from, to)) }
    static func symlink(_ target: String, _ path: String) throws(Errno) { try check(Glibc.symlink(target, path)) }
    static func readlink(_ path: String) throws(Errno) -> String {
        var buffer = [CChar](repeating: 0, count: 4097)
        let count = try check(Glibc.readlink(path, &buffer, 4096))
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    static func link(_ from: String, _ to: String) throws(Errno) { try check(Glibc.link(from, to)) }
    static func mknod(_ path: String) throws(Errno) { try check(Glibc.mknod(path, S_IFREG | 0o600, 0)) }

    static func stat(_ path: String) throws(Errno) -> Glibc.stat {
        var info = Glibc.stat()
        try check(fstatat(AT_FDCWD, path, &info, 0))
        return info
    }

    /// The names in a directory exactly as getdents returns them, as bytes.
    static func listNames(_ path: String) throws(Errno) -> [[UInt8]] {
        guard let directory = opendir(path) else { throw Errno(rawValue: errno) }
        defer { closedir(directory) }
        var names: [[UInt8]] = []
        while let entry = readdir(directory) {
            names.append(withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) })
        }
        return names
    }

    /// A path below `directory` whose last component is `name`'s bytes, whatever they are.
    static func path(_ directory: String, _ name: [UInt8]) -> [CChar] {
        (Array(directory.utf8) + [UInt8(ascii: "/")] + name + [0]).map { CChar(bitPattern: $0) }
    }

    /// The names in a directory as text; fails the test's expectations if any is not UTF-8
    /// rather than repairing it (use ``listNames(_:)`` for arbitrary bytes).
    static func listDirectory(_ path: String) throws(Errno) -> [String] {
        try listNames(path).map { String(validating: $0, as: UTF8.self) ?? "<not UTF-8: \($0)>" }
    }
}

let nonce: [UInt8] = (0..<64).map { UInt8(($0 * 7 + 3) & 0xff) }
