import ByteLayout
import CFuse3
import FileTree
import Logging
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Translates each FUSE request into one ``FileTree`` or ``OpenFile`` call and replies with its
/// result. It holds no filesystem state of its own beyond the open handles libfuse hands back to
/// it, and knows no surface: configfs, the guest devices and sysfs files are trees.
final class RequestDispatcher: Sendable {
    let tree: any FileTree
    let timeouts: MountOptions.Timeouts
    let log: RequestLog

    init(tree: any FileTree, timeouts: MountOptions.Timeouts, logger: Logger) {
        self.tree = tree
        self.timeouts = timeouts
        self.log = RequestLog(logger)
    }

    private func replyEntry(_ reply: some FUSEReply, _ attributes: NodeAttributes) {
        var entry = fuse_entry_param()
        entry.ino = attributes.inode
        entry.attr = stat(attributes)
        entry.attr_timeout = timeouts.attributes
        entry.entry_timeout = timeouts.entries
        reply.entry(&entry)
    }

    // MARK: namespace

    /// A request that names a child of `parent` and is answered with that child's entry.
    private func answerWithEntry(
        _ reply: some FUSEReply, _ operation: String, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>?,
        _ resolve: (UInt64, UnsafeRawBufferPointer) throws(Errno) -> NodeAttributes
    ) {
        let name = Self.bytes(name!)
        do throws(Errno) {
            let attributes = try resolve(parent, name)
            log.trace("\(operation) \(parent)/\(name.escapedForLog)", "ino \(attributes.inode)")
            replyEntry(reply, attributes)
        } catch {
            log.fail(reply, "\(operation) \(parent)/\(name.escapedForLog)", error)
        }
    }

    /// A name exactly as the VFS passed it: bytes, never repaired through `String`, and not
    /// copied (libfuse's request buffer holds them until the reply).
    private static func bytes(_ name: UnsafePointer<CChar>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: name, count: strlen(name))
    }

    func lookup(_ reply: some FUSEReply, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>?) {
        answerWithEntry(reply, "LOOKUP", parent, name) { (parent, name) throws(Errno) in
            try tree.lookup(parent: parent, name: name)
        }
    }

    func getattr(_ reply: some FUSEReply, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        do {
            var answer = stat(try tree.attributes(of: ino, through: openFile(fi)))
            log.trace("GETATTR \(ino)", "mode \(String(answer.st_mode, radix: 8))")
            reply.attr(&answer, timeout: timeouts.attributes)
        } catch {
            log.fail(reply, "GETATTR \(ino)", error)
        }
    }

    func setattr(_ reply: some FUSEReply, _ ino: fuse_ino_t, _ attr: UnsafeMutablePointer<stat>?, _ valid: Int32) {
        let requested = attr!.pointee
        var change = AttributeChange()
        if valid & FUSE_SET_ATTR_MODE != 0 { change.permissions = requested.st_mode & 0o7777 }
        if valid & FUSE_SET_ATTR_UID != 0 { change.uid = requested.st_uid }
        if valid & FUSE_SET_ATTR_GID != 0 { change.gid = requested.st_gid }
        if valid & FUSE_SET_ATTR_ATIME_NOW != 0 {
            change.accessTime = .now
        } else if valid & FUSE_SET_ATTR_ATIME != 0 {
            change.accessTime = .at(FileTime(requested.st_atim))
        }
        if valid & FUSE_SET_ATTR_MTIME_NOW != 0 {
            change.modificationTime = .now
        } else if valid & FUSE_SET_ATTR_MTIME != 0 {
            change.modificationTime = .at(FileTime(requested.st_mtim))
        }
        do {
            var answer = stat(try tree.changeAttributes(of: ino, change))
            log.trace("SETATTR \(ino) valid=0x\(String(valid, radix: 16))", "ok")
            reply.attr(&answer, timeout: timeouts.attributes)
        } catch {
            log.fail(reply, "SETATTR \(ino)", error)
        }
    }

    func readlink(_ reply: some FUSEReply, _ ino: fuse_ino_t) {
        do {
            reply.readlink(try tree.readLink(ino))
        } catch {
            log.fail(reply, "READLINK \(ino)", error)
        }
    }

    func mkdir(_ reply: some FUSEReply, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>?) {
        answerWithEntry(reply, "MKDIR", parent, name) { (parent, name) throws(Errno) in
            try tree.makeDirectory(parent: parent, name: name)
        }
    }

    func rmdir(_ reply: some FUSEReply, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>?) {
        let name = Self.bytes(name!)
        do {
            let reclaim = try tree.removeDirectory(parent: parent, name: name)
            log.trace("RMDIR \(parent)/\(name.escapedForLog)", "ok")
            reply.error(0)
            // glibc keeps freed memory; hand it back once many entries (and their reports) are gone.
            if reclaim { tsmfs_release_free_memory() }
        } catch {
            log.fail(reply, "RMDIR \(parent)/\(name.escapedForLog)", error)
        }
    }

    /// Operations no tree has: unlink, rename, symlink, link, mknod, create.
    func refuse(_ reply: some FUSEReply, _ operation: String, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>?, _ errno: Errno)
    {
        log.fail(reply, "\(operation) \(parent)/\(Self.bytes(name!).escapedForLog)", errno)
    }

    // MARK: files

    func open(_ reply: some FUSEReply, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        let fi = fi!
        let access = fi.pointee.flags & O_ACCMODE
        do {
            let file = try tree.open(ino, access: AccessMode(read: access != O_WRONLY, write: access != O_RDONLY))
            fi.pointee.fh = UInt64(UInt(bitPattern: Unmanaged.passRetained(FileHandle(file)).toOpaque()))
            // Sizes of these files say nothing about their content: bypass the page cache entirely.
            tsmfs_fi_set_direct_io(fi, 1)
            tsmfs_fi_set_keep_cache(fi, 0)
            tsmfs_fi_set_nonseekable(fi, file.isSeekable ? 0 : 1)
            // Only a descriptor that can write has anything for FLUSH to settle (an inblob's last
            // close commits): a read-only one asks the kernel (5.16+, FOPEN_NOFLUSH) to close
            // without the round trip, two requests of every attestation cycle.
            tsmfs_fi_set_noflush(fi, access == O_RDONLY ? 1 : 0)
            log.trace("OPEN \(ino) \(file.name) flags=0o\(String(fi.pointee.flags, radix: 8))", "fh \(fi.pointee.fh)")
            reply.open(fi)
        } catch {
            log.fail(reply, "OPEN \(ino) flags=0o\(String(fi.pointee.flags, radix: 8))", error)
        }
    }

    /// What `fh` holds for an open file: the tree's open description, boxed so that libfuse's
    /// integer handle can carry an existential.
    final class FileHandle: Sendable {
        let file: any OpenFile
        init(_ file: any OpenFile) { self.file = file }
    }

    /// The object an open or opendir stored in `fh`, still retained by it.
    private static func handle<Handle: AnyObject>(
        _ fi: UnsafeMutablePointer<fuse_file_info>?, as type: Handle.Type
    ) -> Unmanaged<Handle>? {
        guard let fh = fi?.pointee.fh, fh != 0, let pointer = UnsafeRawPointer(bitPattern: UInt(fh)) else { return nil }
        return Unmanaged<Handle>.fromOpaque(pointer)
    }

    private func openFile(_ fi: UnsafeMutablePointer<fuse_file_info>?) -> (any OpenFile)? {
        Self.handle(fi, as: FileHandle.self)?.takeUnretainedValue().file
    }

    func read(
        _ reply: some FUSEReply, _ ino: fuse_ino_t, _ size: Int, _ offset: off_t,
        _ fi: UnsafeMutablePointer<fuse_file_info>?
    ) {
        guard let file = openFile(fi) else { return log.fail(reply, "READ \(ino)", .badFileDescriptor) }
        do {
            var count = 0
            try file.read(at: Int(offset), count: size) { pieces in
                reply.iov(pieces)
                count = pieces.reduce(0) { $0 + $1.count }
            }
            log.trace("READ \(ino) \(file.name) off=\(offset) size=\(size)", "\(count) bytes")
        } catch {
            log.fail(reply, "READ \(ino) \(file.name) off=\(offset) size=\(size)", error)
        }
    }

    func write(
        _ reply: some FUSEReply, _ ino: fuse_ino_t, _ buf: UnsafePointer<CChar>?, _ size: Int,
        _ offset: off_t, _ fi: UnsafeMutablePointer<fuse_file_info>?
    ) {
        guard let file = openFile(fi) else { return log.fail(reply, "WRITE \(ino)", .badFileDescriptor) }
        do {
            // Direct I/O writes carry the writer's lock owner (its file table), as FLUSH does.
            let written = try file.write(
                UnsafeRawBufferPointer(start: buf, count: size), at: Int(offset), owner: fi!.pointee.lock_owner)
            log.trace("WRITE \(ino) \(file.name) off=\(offset) size=\(size)", "\(written) bytes")
            reply.write(written)
        } catch {
            log.fail(reply, "WRITE \(ino) \(file.name) off=\(offset) size=\(size)", error)
        }
    }

    func flush(_ reply: some FUSEReply, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        openFile(fi)?.flush(owner: fi!.pointee.lock_owner)
        log.trace("FLUSH \(ino)", "ok")
        reply.error(0)
    }

    func release(_ reply: some FUSEReply, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        if let handle = Self.handle(fi, as: FileHandle.self) {
            handle.takeUnretainedValue().file.release()
            handle.release()
        }
        log.trace("RELEASE \(ino)", "ok")
        reply.error(0)
    }

    func fsync(_ reply: some FUSEReply, _ ino: fuse_ino_t) {
        do {
            try tree.sync(ino)
            reply.error(0)
        } catch {
            log.fail(reply, "FSYNC \(ino)", error)
        }
    }

    /// No tree has extended attributes: listing succeeds and is empty, as on configfs, sysfs and
    /// devtmpfs without security labels (getxattr and setxattr stay unimplemented, which the
    /// kernel turns into EOPNOTSUPP).
    func listxattr(_ reply: some FUSEReply, _ ino: fuse_ino_t, _ size: Int) {
        log.trace("LISTXATTR \(ino) size=\(size)", "empty")
        if size == 0 { reply.xattrSize(0) } else { reply.buffer(UnsafeRawBufferPointer(start: nil, count: 0)) }
    }

    func ioctl(
        _ reply: some FUSEReply, _ ino: fuse_ino_t, _ command: UInt32, _ argument: UInt64,
        _ fi: UnsafeMutablePointer<fuse_file_info>?, _ input: UnsafeRawPointer?, _ inputSize: Int, _ outputSize: Int,
        caller: pid_t
    ) {
        let request = "IOCTL \(ino) 0x\(String(command, radix: 16)) pid \(caller)"
        guard let file = openFile(fi) else { return log.fail(reply, request, .badFileDescriptor) }
        let bytes = input.map { Array(UnsafeRawBufferPointer(start: $0, count: inputSize)) } ?? []
        let outcome = file.ioctl(IoctlRequest(command: command, argument: argument, input: bytes, caller: caller))
        log.trace("\(request) \(file.name)", "result \(outcome.result)")
        if outcome.output.isEmpty || outputSize == 0 {
            // Nothing to copy back: a failure is a plain error reply.
            if outcome.result < 0 { return reply.error(-outcome.result) }
            return reply.ioctl(result: outcome.result, output: [])
        }
        reply.ioctl(result: outcome.result, output: Array(outcome.output.prefix(outputSize)))
    }

    // MARK: directories

    /// A directory handle: the listing taken at the first read, so offsets stay stable.
    final class DirectoryHandle: Sendable {
        let listing = Mutex<[DirectoryItem]?>(nil)
    }

    private func directoryHandle(_ fi: UnsafeMutablePointer<fuse_file_info>?) -> DirectoryHandle? {
        Self.handle(fi, as: DirectoryHandle.self)?.takeUnretainedValue()
    }

    func opendir(_ reply: some FUSEReply, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        do {
            _ = try tree.listDirectory(ino)
            fi!.pointee.fh = UInt64(UInt(bitPattern: Unmanaged.passRetained(DirectoryHandle()).toOpaque()))
            log.trace("OPENDIR \(ino)", "ok")
            reply.open(fi!)
        } catch {
            log.fail(reply, "OPENDIR \(ino)", error)
        }
    }

    func readdir(
        _ reply: some FUSEReply, _ ino: fuse_ino_t, _ size: Int, _ offset: off_t,
        _ fi: UnsafeMutablePointer<fuse_file_info>?
    ) {
        guard let handle = directoryHandle(fi) else { return log.fail(reply, "READDIR \(ino)", .badFileDescriptor) }
        do {
            let listing = try handle.listing.withLock { (listing: inout [DirectoryItem]?) throws(Errno) -> [DirectoryItem] in
                // Offset 0 is a fresh listing (opendir or rewinddir); later offsets continue it.
                if offset == 0 || listing == nil { listing = try tree.listDirectory(ino) }
                return listing!
            }
            let sent = DirectoryPage.reply(reply, size: size, offset: Int(offset), count: listing.count) { index, add in
                let item = listing[index]
                var attributes = stat()
                attributes.st_ino = UInt(item.inode)
                attributes.st_mode = item.kind.fileType
                return (item.name + [0]).withUnsafeBufferPointer {
                    $0.withMemoryRebound(to: CChar.self) { add($0.baseAddress!, &attributes) }
                }
            }
            log.trace("READDIR \(ino) off=\(offset)", "\(sent) entries")
        } catch {
            log.fail(reply, "READDIR \(ino)", error)
        }
    }

    func releasedir(_ reply: some FUSEReply, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        Self.handle(fi, as: DirectoryHandle.self)?.release()
        reply.error(0)
    }

    func statfs(_ reply: some FUSEReply, _ ino: fuse_ino_t) {
        var info = statvfs()
        let limits = tree.limits
        info.f_bsize = UInt(limits.blockSize)
        info.f_frsize = UInt(limits.blockSize)
        info.f_namemax = UInt(limits.nameMax)
        log.trace("STATFS \(ino)", "ok")
        reply.statfs(&info)
    }
}
