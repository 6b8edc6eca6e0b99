import CFuse3
import GuestSurface
import Logging
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Serves a ``SurfaceTree``: guest devices (ioctl only, as a misc device) and sysfs measurement
/// registers (binary attributes), with the kernel's modes and errno. Like ``RequestDispatcher``
/// it translates each request into one call and keeps no state beyond the tree.
final class SurfaceDispatcher: Sendable {
    let tree: SurfaceTree
    let timeouts: MountOptions.Timeouts
    let log: RequestLog
    static let unseenCallerWarning =
        "a device caller is outside this daemon's pid namespace (FUSE reports pid 0), so its ioctl pointers "
        + "cannot be followed and are answered EFAULT: run the daemon in the callers' pid namespace "
        + "(a pod with hostPID, or tsmfs exec / tsmfs mount inside the container)"
    /// Whether the daemon already said it cannot see its callers (pid 0), which it says once.
    private let reportedUnseenCaller = Atomic<Bool>(false)

    init(tree: SurfaceTree, timeouts: MountOptions.Timeouts, logger: Logger) {
        self.tree = tree
        self.timeouts = timeouts
        self.log = RequestLog(logger)
    }

    func stat(of node: SurfaceTree.Node) -> stat {
        var answer = Glibc.stat()
        let metadata = tree.metadata(of: node.inode)!
        answer.st_ino = UInt(node.inode)
        answer.st_uid = metadata.uid
        answer.st_gid = metadata.gid
        answer.st_blksize = 4096
        answer.st_mtim = timespec(tv_sec: metadata.modificationSeconds, tv_nsec: 0)
        answer.st_atim = answer.st_mtim
        answer.st_ctim = timespec(tv_sec: metadata.changeSeconds, tv_nsec: 0)
        switch node.content {
        case .directory:
            answer.st_mode = S_IFDIR | metadata.permissions
            answer.st_nlink = UInt(
                2 + tree.children(of: node.inode).filter { if case .directory = $0.content { true } else { false } }.count)
        case .device:
            answer.st_mode = S_IFREG | metadata.permissions
            answer.st_nlink = 1
        case .register(let register):
            answer.st_mode = S_IFREG | metadata.permissions
            answer.st_nlink = 1
            answer.st_size = register.size
        case .symlink(let target):
            answer.st_mode = S_IFLNK | metadata.permissions
            answer.st_nlink = 1
            answer.st_size = target.utf8.count
        }
        return answer
    }

    // MARK: namespace

    func lookup(_ reply: some FUSEReply, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>?) {
        let bytes = Array(UnsafeRawBufferPointer(start: name!, count: strlen(name!)))
        guard tree.node(parent) != nil else { return log.fail(reply, "LOOKUP \(parent)", .noSuchFileOrDirectory) }
        guard let node = tree.lookup(parent: parent, name: bytes) else {
            return log.fail(reply, "LOOKUP \(parent)/\(String(decoding: bytes, as: UTF8.self))", .noSuchFileOrDirectory)
        }
        var entry = fuse_entry_param()
        entry.ino = node.inode
        entry.attr = stat(of: node)
        entry.attr_timeout = timeouts.attributes
        entry.entry_timeout = timeouts.entries
        log.trace("LOOKUP \(parent)/\(node.name)", "ino \(node.inode)")
        reply.entry(&entry)
    }

    func getattr(_ reply: some FUSEReply, _ ino: fuse_ino_t) {
        guard let node = tree.node(ino) else { return log.fail(reply, "GETATTR \(ino)", .noSuchFileOrDirectory) }
        var answer = stat(of: node)
        reply.attr(&answer, timeout: timeouts.attributes)
    }

    /// chmod, chown and touch are kept (kernfs keeps them too); truncation is accepted and does
    /// nothing, as for sysfs files and character devices (`O_TRUNC` works).
    func setattr(_ reply: some FUSEReply, _ ino: fuse_ino_t, _ attr: UnsafeMutablePointer<Glibc.stat>?, _ valid: Int32) {
        let requested = attr!.pointee
        let now = Int(time(nil))
        let changed = tree.changeMetadata(of: ino) { metadata in
            if valid & FUSE_SET_ATTR_MODE != 0 { metadata.permissions = requested.st_mode & 0o7777 }
            if valid & FUSE_SET_ATTR_UID != 0 { metadata.uid = requested.st_uid }
            if valid & FUSE_SET_ATTR_GID != 0 { metadata.gid = requested.st_gid }
            if valid & FUSE_SET_ATTR_MTIME_NOW != 0 { metadata.modificationSeconds = now }
            if valid & FUSE_SET_ATTR_MTIME != 0 { metadata.modificationSeconds = requested.st_mtim.tv_sec }
            metadata.changeSeconds = now
        }
        guard changed != nil, let node = tree.node(ino) else { return log.fail(reply, "SETATTR \(ino)", .noSuchFileOrDirectory) }
        var answer = stat(of: node)
        reply.attr(&answer, timeout: timeouts.attributes)
    }

    func readlink(_ reply: some FUSEReply, _ ino: fuse_ino_t) {
        guard case .symlink(let target)? = tree.node(ino)?.content else {
            return log.fail(reply, "READLINK \(ino)", .invalidArgument)
        }
        reply.readlink(target)
    }

    // MARK: files

    func open(_ reply: some FUSEReply, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        let fi = fi!
        guard let node = tree.node(ino) else { return log.fail(reply, "OPEN \(ino)", .noSuchFileOrDirectory) }
        let access = fi.pointee.flags & O_ACCMODE
        switch node.content {
        case .register(let register):
            // kernfs refuses a write open of a file without write permission or a write method,
            // root included.
            let permissions = tree.metadata(of: ino)!.permissions
            if access != O_RDONLY && (!register.isWritable || permissions & 0o222 == 0) {
                return log.fail(reply, "OPEN \(ino) \(node.name) for writing", .permissionDenied)
            }
            tsmfs_fi_set_nonseekable(fi, 0)
        case .device:
            // Misc devices have no llseek: lseek fails with ESPIPE.
            tsmfs_fi_set_nonseekable(fi, 1)
        case .directory, .symlink:
            return log.fail(reply, "OPEN \(ino)", .isDirectory)
        }
        tsmfs_fi_set_direct_io(fi, 1)
        tsmfs_fi_set_keep_cache(fi, 0)
        log.trace("OPEN \(ino) \(node.name) flags=0o\(String(fi.pointee.flags, radix: 8))", "ok")
        reply.open(fi)
    }

    func read(_ reply: some FUSEReply, _ ino: fuse_ino_t, _ size: Int, _ offset: off_t) {
        guard let node = tree.node(ino) else { return log.fail(reply, "READ \(ino)", .noSuchFileOrDirectory) }
        switch node.content {
        case .register(let register):
            do {
                let bytes = try SysfsBinaryAttribute.read(register, count: size, at: Int(offset))
                log.trace("READ \(node.name) off=\(offset) size=\(size)", "\(bytes.count) bytes")
                bytes.withUnsafeBytes { reply.buffer($0) }
            } catch {
                log.fail(reply, "READ \(node.name)", error)
            }
        default:
            // A device without read: the VFS answers EINVAL.
            log.fail(reply, "READ \(node.name)", .invalidArgument)
        }
    }

    func write(_ reply: some FUSEReply, _ ino: fuse_ino_t, _ buf: UnsafePointer<CChar>?, _ size: Int, _ offset: off_t) {
        guard let node = tree.node(ino) else { return log.fail(reply, "WRITE \(ino)", .noSuchFileOrDirectory) }
        switch node.content {
        case .register(let register):
            do {
                let data = Array(UnsafeRawBufferPointer(start: buf, count: size))
                let written = try SysfsBinaryAttribute.write(register, data, at: Int(offset))
                log.trace("WRITE \(node.name) off=\(offset) size=\(size)", "\(written) bytes")
                reply.write(written)
            } catch {
                log.fail(reply, "WRITE \(node.name) off=\(offset) size=\(size)", error)
            }
        default:
            log.fail(reply, "WRITE \(node.name)", .invalidArgument)
        }
    }

    /// kernfs files sync as a no-op; a character device without fsync fails with EINVAL.
    func fsync(_ reply: some FUSEReply, _ ino: fuse_ino_t) {
        if case .register? = tree.node(ino)?.content { return reply.error(0) }
        log.fail(reply, "FSYNC \(ino)", .invalidArgument)
    }

    func ioctl(
        _ reply: some FUSEReply, _ ino: fuse_ino_t, _ command: UInt32, _ argument: UInt64,
        _ input: UnsafeRawPointer?, _ inputSize: Int, _ outputSize: Int, caller: pid_t
    ) {
        guard let node = tree.node(ino) else { return log.fail(reply, "IOCTL \(ino)", .noSuchFileOrDirectory) }
        guard case .device(let device) = node.content else {
            // sysfs files have no ioctl.
            return log.fail(reply, "IOCTL \(node.name) 0x\(String(command, radix: 16))", .inappropriateIOCTLForDevice)
        }
        let bytes = input.map { Array(UnsafeRawBufferPointer(start: $0, count: inputSize)) } ?? []
        // FUSE gives pid 0 for a caller outside the daemon's pid namespace: its memory cannot be
        // reached, so every pointer fails (EFAULT). Say why, once.
        if caller == 0, !reportedUnseenCaller.exchange(true, ordering: .relaxed) {
            log.logger.warning(
                "\(Self.unseenCallerWarning)")
        }
        let outcome = device.ioctl(command, argument: argument, input: bytes, memory: ProcessMemory(pid: caller))
        log.trace("IOCTL \(node.name) 0x\(String(command, radix: 16)) pid \(caller)", "result \(outcome.result)")
        if outcome.output.isEmpty || outputSize == 0 {
            // Nothing to copy back: a failure is a plain error reply.
            if outcome.result < 0 { return reply.error(-outcome.result) }
            return reply.ioctl(result: outcome.result, output: [])
        }
        reply.ioctl(result: outcome.result, output: Array(outcome.output.prefix(outputSize)))
    }

    // MARK: directories

    func opendir(_ reply: some FUSEReply, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        guard case .directory? = tree.node(ino)?.content else { return log.fail(reply, "OPENDIR \(ino)", .notDirectory) }
        reply.open(fi!)
    }

    /// The listing never changes, so offsets index it directly.
    func readdir(_ reply: some FUSEReply, _ ino: fuse_ino_t, _ size: Int, _ offset: off_t) {
        guard let node = tree.node(ino) else { return log.fail(reply, "READDIR \(ino)", .noSuchFileOrDirectory) }
        let listing = [(".", node), ("..", tree.node(node.parent)!)] + tree.children(of: ino).map { ($0.name, $0) }
        DirectoryPage.reply(reply, size: size, offset: Int(offset), count: listing.count) { index, add in
            var attributes = stat(of: listing[index].1)
            return listing[index].0.withCString { add($0, &attributes) }
        }
    }

    func statfs(_ reply: some FUSEReply) {
        var info = statvfs()
        info.f_bsize = 4096
        info.f_frsize = 4096
        info.f_namemax = 255
        reply.statfs(&info)
    }
}
