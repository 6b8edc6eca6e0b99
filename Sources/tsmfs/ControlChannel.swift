import Crypto
import Foundation
import Glibc

/// How `tsmfs update-module` reaches a running daemon: an abstract Unix socket named after the
/// mountpoint (nothing on disk to clean up; it disappears with the daemon). One request line, one
/// answer line. Only root and the daemon's own user may ask (SO_PEERCRED).
enum ControlChannel {
    /// The abstract socket name for `mountpoint` (hashed: sun_path holds 107 bytes).
    static func name(for mountpoint: String) -> [UInt8] {
        [0] + Array("tsmfs-control:".utf8)
            + Array(SHA256.hash(data: Array(mountpoint.utf8)).prefix(16)).map { $0 }.flatMap {
                Array(String(format: "%02x", $0).utf8)
            }
    }

    private static func address(_ name: [UInt8]) -> (sockaddr_un, socklen_t) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            for (index, byte) in name.enumerated() { path[index] = byte }
        }
        return (address, socklen_t(MemoryLayout<sa_family_t>.size + name.count))
    }

    /// Listens for requests on a thread of its own, answering each with `handle`. Returns false
    /// (and serves nothing) when another daemon already answers for this mountpoint.
    @discardableResult
    static func serve(mountpoint: String, handle: @escaping @Sendable (String) -> String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        var (address, length) = address(name(for: mountpoint))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0, listen(descriptor, 8) == 0 else {
            close(descriptor)
            return false
        }
        let thread = Thread {
            while true {
                let client = accept(descriptor, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return
                }
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                answer(client, handle)
            }
        }
        thread.start()
        return true
    }

    private static func answer(_ client: Int32, _ handle: (String) -> String) {
        defer { close(client) }
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; } (hidden from Swift behind _GNU_SOURCE).
        var credentials = [UInt32](repeating: UInt32.max, count: 3)
        var size = socklen_t(12)
        guard getsockopt(client, SOL_SOCKET, SO_PEERCRED, &credentials, &size) == 0 else { return }
        let uid = credentials[1]
        let reply: String
        if uid != 0 && uid != geteuid() {
            reply = "error only root or uid \(geteuid()) may control this daemon"
        } else {
            reply = handle(readLine(client) ?? "")
        }
        send(client, reply + "\n")
    }

    /// Sends one request to the daemon serving `mountpoint`; returns its answer line.
    static func request(_ line: String, mountpoint: String) throws -> String {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw CLIError("cannot create a socket: \(systemError(errno))") }
        defer { close(descriptor) }
        var (address, length) = address(name(for: mountpoint))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, length) }
        }
        guard connected == 0 else {
            throw CLIError("no tsmfs daemon answers for \(mountpoint) (is tsmfs mounted there, by this version?)")
        }
        send(descriptor, line + "\n")
        shutdown(descriptor, Int32(SHUT_WR))
        guard let answer = readLine(descriptor) else { throw CLIError("the tsmfs daemon for \(mountpoint) did not answer") }
        return answer
    }

    private static func send(_ descriptor: Int32, _ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }

    /// One line of at most 4 KiB.
    private static func readLine(_ descriptor: Int32) -> String? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while bytes.count < 4096, !bytes.contains(0x0A) {
            let count = read(descriptor, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += chunk[..<count]
        }
        guard !bytes.isEmpty else { return nil }
        return String(decoding: bytes.prefix { $0 != 0x0A }, as: UTF8.self)
    }
}
