import Foundation
import Glibc

/// How `tsmfs update-module` reaches a running daemon: an abstract Unix socket with a random name
/// the daemon binds before it mounts, so nobody can take the name first, and which the mount's
/// source names (`tsmfs@<daemon pid>:<name>` in /proc/self/mounts), so two mounts at one path (two
/// `tsmfs exec` at the same `--at`) never answer for each other. The client authenticates the
/// daemon: the socket's peer (SO_PEERCRED) must be the pid the mount names, running as the uid
/// that mounted it. The daemon answers only root and its own user. One request line, one answer line.
enum ControlChannel {
    /// A daemon's bound, listening socket and the name it was bound under.
    struct Listener: Sendable {
        let instance: String
        let descriptor: Int32

        /// What the mount's source says, so clients can find and authenticate this daemon.
        var sourceName: String { "tsmfs@\(getpid()):\(instance)" }
    }

    private static func socketName(_ instance: String) -> [UInt8] { [0] + Array("tsmfs-control:\(instance)".utf8) }

    private static func address(_ name: [UInt8]) -> (sockaddr_un, socklen_t) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            for (index, byte) in name.enumerated() { path[index] = byte }
        }
        return (address, socklen_t(MemoryLayout<sa_family_t>.size + name.count))
    }

    /// Binds a fresh random name and listens; fails when the name is taken (a daemon never shares one).
    static func listen() throws -> Listener {
        let instance = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw CLIError("cannot create the control socket: \(systemError(errno))") }
        var (address, length) = address(socketName(instance))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0, Glibc.listen(descriptor, 8) == 0 else {
            let error = errno
            close(descriptor)
            throw CLIError(
                "the control socket name tsmfs-control:\(instance) is taken (\(systemError(error))): "
                    + "another process holds it, so this daemon will not start; try again")
        }
        return Listener(instance: instance, descriptor: descriptor)
    }

    /// Answers requests on a thread of its own with `handle`.
    static func serve(_ listener: Listener, handle: @escaping @Sendable (String) -> String) {
        let descriptor = listener.descriptor
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
    }

    /// struct ucred { pid_t pid; uid_t uid; gid_t gid; } of a connected socket's peer (hidden from
    /// Swift behind _GNU_SOURCE).
    private static func peer(_ descriptor: Int32) -> (pid: Int32, uid: UInt32)? {
        var credentials = [UInt32](repeating: UInt32.max, count: 3)
        var size = socklen_t(12)
        guard getsockopt(descriptor, SOL_SOCKET, SO_PEERCRED, &credentials, &size) == 0 else { return nil }
        return (Int32(bitPattern: credentials[0]), credentials[1])
    }

    private static func answer(_ client: Int32, _ handle: (String) -> String) {
        defer { close(client) }
        guard let uid = peer(client)?.uid else { return }
        let reply: String
        if uid != 0 && uid != geteuid() {
            reply = "error only root or uid \(geteuid()) may control this daemon"
        } else {
            reply = handle(readLine(client) ?? "")
        }
        send(client, reply + "\n")
    }

    /// The daemon serving `mountpoint`, as its mount names it: pid, socket name and the uid that mounted it.
    static func daemon(of mountpoint: String) throws -> (pid: Int32, instance: String, uid: UInt32) {
        guard let mount = MountTable.current().mount(at: mountpoint), mount.type == "fuse.tsmfs" else {
            throw CLIError("no tsmfs daemon answers for \(mountpoint): tsmfs is not mounted there")
        }
        let parts = mount.source.split(separator: "@", maxSplits: 1).last?.split(separator: ":") ?? []
        guard mount.source.hasPrefix("tsmfs@"), parts.count == 2, let pid = Int32(parts[0]),
            let uid = mount.option("user_id").flatMap({ UInt32($0) })
        else {
            throw CLIError(
                "the tsmfs at \(mountpoint) takes no module updates (its provider is not tdx, or it is an older version)")
        }
        return (pid, String(parts[1]), uid)
    }

    /// Sends one request to the daemon serving `mountpoint`, once it proved to be that daemon; returns its answer line.
    static func request(_ line: String, mountpoint: String) throws -> String {
        let daemon = try daemon(of: mountpoint)
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw CLIError("cannot create a socket: \(systemError(errno))") }
        defer { close(descriptor) }
        var (address, length) = address(socketName(daemon.instance))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, length) }
        }
        guard connected == 0 else {
            throw CLIError("no tsmfs daemon answers for \(mountpoint) (its daemon has exited: tsmfs unmount \(mountpoint))")
        }
        guard let peer = peer(descriptor), peer.pid == daemon.pid, peer.uid == daemon.uid else {
            let seen = peer(descriptor).map { "pid \($0.pid), uid \($0.uid)" } ?? "unknown"
            throw CLIError(
                "the process answering for \(mountpoint) (\(seen)) is not its daemon (pid \(daemon.pid), uid \(daemon.uid)): "
                    + "nothing was sent to it")
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
