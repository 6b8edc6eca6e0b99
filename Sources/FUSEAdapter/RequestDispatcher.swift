import ByteLayout
import CFuse3
import ConfigfsTSM
import Logging
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Translates each FUSE request into one ``ReportTree`` or ``OpenAttribute`` call and
/// replies with its result. It holds no filesystem state of its own beyond the open
/// handles libfuse hands back to it.
final class RequestDispatcher: Sendable {
    let tree: ReportTree
    let timeouts: MountOptions.Timeouts
    let log: RequestLog

    init(tree: ReportTree, timeouts: MountOptions.Timeouts, logger: Logger) {
        self.tree = tree
        self.timeouts = timeouts
        self.log = RequestLog(logger)
    }

    private func replyEntry(_ reply: some FUSEReply, _ attributes: NodeStat) {
        var entry = fuse_entry_param()
        entry.ino = attributes.inode.rawValue
        entry.attr = stat(attributes)
        entry.attr_timeout = timeouts.attributes
        entry.entry_timeout = timeouts.entries
        reply.entry(&entry)
    }

    // MARK: namespace

    /// A request that names a child of `parent` and is answered with that child's entry.
    private func answerWithEntry(
        _ reply: some FUSEReply, _ operation: String, _ parent: fuse_ino_t,
        _ name: UnsafePointer<CChar>?,
        _ resolve: (ConfigfsTSM.Inode, FileName) throws(Errno) -> NodeStat
    ) {
        let name = FileName(cString: name!)
        do throws(Errno) {
            let attributes = try resolve(Inode(rawValue: parent), name)
            log.trace("\(operation) \(parent)/\(name)", "ino \(attributes.inode.rawValue)")
            replyEntry(reply, attributes)
        } catch {
            log.fail(reply, "\(operation) \(parent)/\(name)", error)
        }
    }

    func lookup(_ reply: some FUSEReply, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>?) {
        answerWithEntry(reply, "LOOKUP", parent, name) { (parent, name) throws(Errno) in
            try tree.lookup(parent: parent, name: name)
        }
    }

    func getattr(_ reply: some FUSEReply, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        do {
            let attributes: NodeStat
            if Inode(rawValue: ino).isAttribute, let file = openFile(fi) {
                attributes = tree.nodeStat(of: file)
            } else {
                attributes = try tree.nodeStat(of: Inode(rawValue: ino))
            }
            var answer = stat(attributes)
            log.trace("GETATTR \(ino)", "mode \(String(answer.st_mode, radix: 8))")
            reply.attr(&answer, timeout: timeouts.attributes)
        } catch {
            log.fail(reply, "GETATTR \(ino)", error)
        }
    }

    func setattr(
        _ reply: some FUSEReply, _ ino: fuse_ino_t, _ attr: UnsafeMutablePointer<stat>?,
        _ valid: Int32, _ fi: UnsafeMutablePointer<fuse_file_info>?
    ) {
        let requested = attr!.pointee
        var change = MetadataChange()
        let now = ReportTree.realtimeClock()
        if valid & FUSE_SET_ATTR_MODE != 0 { change.permissions = requested.st_mode & 0o7777 }
        if valid & FUSE_SET_ATTR_UID != 0 { change.uid = requested.st_uid }
        if valid & FUSE_SET_ATTR_GID != 0 { change.gid = requested.st_gid }
        if valid & FUSE_SET_ATTR_ATIME_NOW != 0 {
            change.accessTime = now
        } else if valid & FUSE_SET_ATTR_ATIME != 0 {
            change.accessTime = Timestamp(requested.st_atim)
        }
        if valid & FUSE_SET_ATTR_MTIME_NOW != 0 {
            change.modificationTime = now
        } else if valid & FUSE_SET_ATTR_MTIME != 0 {
            change.modificationTime = Timestamp(requested.st_mtim)
        }
        do {
            var answer = stat(try tree.changeMetadata(of: Inode(rawValue: ino), change))
            log.trace("SETATTR \(ino) valid=0x\(String(valid, radix: 16))", "ok")
            reply.attr(&answer, timeout: timeouts.attributes)
        } catch {
            log.fail(reply, "SETATTR \(ino)", error)
        }
    }

    func mkdir(_ reply: some FUSEReply, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>?) {
        answerWithEntry(reply, "MKDIR", parent, name) { (parent, name) throws(Errno) in
            try tree.makeDirectory(parent: parent, name: name)
        }
    }

    func rmdir(_ reply: some FUSEReply, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>?) {
        let name = FileName(cString: name!)
        do {
            try tree.removeDirectory(parent: Inode(rawValue: parent), name: name)
            log.trace("RMDIR \(parent)/\(name)", "ok")
            reply.error(0)
            // glibc keeps freed memory; hand it back once the last entry (and its reports) is gone.
            if tree.entryCount == 0 { tsmfs_release_free_memory() }
        } catch {
            log.fail(reply, "RMDIR \(parent)/\(name)", error)
        }
    }

    /// Operations configfs does not have: unlink, rename, symlink, link, mknod (EPERM) and
    /// creating a new file (EACCES, the directory has no `create`).
    func refuse(_ reply: some FUSEReply, _ operation: String, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>?, _ errno: Errno)
    {
        log.fail(reply, "\(operation) \(parent)/\(FileName(cString: name!))", errno)
    }

    // MARK: files

    func open(_ reply: some FUSEReply, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        let fi = fi!
        let access = fi.pointee.flags & O_ACCMODE
        let mode = ReportTree.OpenMode(read: access != O_WRONLY, write: access != O_RDONLY)
        do {
            let file = try tree.open(Inode(rawValue: ino), mode: mode)
            fi.pointee.fh = UInt64(UInt(bitPattern: Unmanaged.passRetained(file).toOpaque()))
            // configfs sizes say nothing about content: bypass the page cache entirely.
            tsmfs_fi_set_direct_io(fi, 1)
            tsmfs_fi_set_keep_cache(fi, 0)
            // configfs binary files fail lseek with ESPIPE yet allow pread/pwrite; FUSE can
            // only refuse both or allow both. Report blobs refuse both (clients read them
            // sequentially and probe lseek); inblob allows both, so pwrite can leave holes.
            tsmfs_fi_set_nonseekable(fi, file.attribute.isReportBlob ? 1 : 0)
            log.trace("OPEN \(ino) flags=0o\(String(fi.pointee.flags, radix: 8))", "fh \(fi.pointee.fh)")
            reply.open(fi)
        } catch {
            log.fail(reply, "OPEN \(ino) flags=0o\(String(fi.pointee.flags, radix: 8))", error)
        }
    }

    private func openFile(_ fi: UnsafeMutablePointer<fuse_file_info>?) -> OpenAttribute? {
        guard let fh = fi?.pointee.fh, fh != 0, let pointer = UnsafeRawPointer(bitPattern: UInt(fh)) else { return nil }
        return Unmanaged<OpenAttribute>.fromOpaque(pointer).takeUnretainedValue()
    }

    func read(
        _ reply: some FUSEReply, _ ino: fuse_ino_t, _ size: Int, _ offset: off_t,
        _ fi: UnsafeMutablePointer<fuse_file_info>?
    ) {
        guard let file = openFile(fi) else { return log.fail(reply, "READ \(ino)", .badFileDescriptor) }
        do {
            let count = try file.read(at: Int(offset), count: size) { pieces in
                reply.iov(pieces)
                return pieces.reduce(0) { $0 + $1.count }
            }
            log.trace("READ \(ino) \(file.attribute.fileName) off=\(offset) size=\(size)", "\(count) bytes")
        } catch {
            log.fail(reply, "READ \(ino) \(file.attribute.fileName) off=\(offset) size=\(size)", error)
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
                UnsafeRawBufferPointer(start: buf, count: size), at: Int(offset),
                owner: fi!.pointee.lock_owner)
            log.trace("WRITE \(ino) \(file.attribute.fileName) off=\(offset) size=\(size)", "\(written) bytes")
            reply.write(written)
        } catch {
            log.fail(reply, "WRITE \(ino) \(file.attribute.fileName) off=\(offset) size=\(size)", error)
        }
    }

    func flush(_ reply: some FUSEReply, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        openFile(fi)?.flush(owner: fi!.pointee.lock_owner)
        log.trace("FLUSH \(ino)", "ok")
        reply.error(0)
    }

    func release(_ reply: some FUSEReply, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        if let file = openFile(fi) {
            file.release()
            Unmanaged.passUnretained(file).release()
        }
        log.trace("RELEASE \(ino)", "ok")
        reply.error(0)
    }

    /// configfs has no `fsync` for attributes or directories: the VFS answers EINVAL.
    func fsync(_ reply: some FUSEReply, _ ino: fuse_ino_t) {
        log.fail(reply, "FSYNC \(ino)", .invalidArgument)
    }

    /// configfs has no xattr handlers: listing succeeds and is empty (getxattr and setxattr stay
    /// unimplemented, which the kernel turns into EOPNOTSUPP, configfs' answer).
    func listxattr(_ reply: some FUSEReply, _ ino: fuse_ino_t, _ size: Int) {
        log.trace("LISTXATTR \(ino) size=\(size)", "empty")
        if size == 0 { reply.xattrSize(0) } else { reply.buffer(UnsafeRawBufferPointer(start: nil, count: 0)) }
    }

    // MARK: directories

    /// A directory handle: the listing taken at the first read, so offsets stay stable.
    final class DirectoryHandle: Sendable {
        let listing = Mutex<[DirectoryEntry]?>(nil)
    }

    private func directoryHandle(_ fi: UnsafeMutablePointer<fuse_file_info>?) -> DirectoryHandle? {
        guard let fh = fi?.pointee.fh, let pointer = UnsafeRawPointer(bitPattern: UInt(fh)) else { return nil }
        return Unmanaged<DirectoryHandle>.fromOpaque(pointer).takeUnretainedValue()
    }

    func opendir(_ reply: some FUSEReply, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        do {
            _ = try tree.listDirectory(Inode(rawValue: ino))
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
            let listing = try handle.listing.withLock { (listing: inout [DirectoryEntry]?) throws(Errno) -> [DirectoryEntry] in
                // Offset 0 is a fresh listing (opendir or rewinddir); later offsets continue it.
                if offset == 0 || listing == nil { listing = try tree.listDirectory(Inode(rawValue: ino)) }
                return listing!
            }
            let sent = DirectoryPage.reply(reply, size: size, offset: Int(offset), count: listing.count) { index, add in
                let item = listing[index]
                var attributes = stat()
                attributes.st_ino = UInt(item.inode.rawValue)
                attributes.st_mode = item.kind == .directory ? S_IFDIR : S_IFREG
                return item.name.withCString { add($0, &attributes) }
            }
            log.trace("READDIR \(ino) off=\(offset)", "\(sent) entries")
        } catch {
            log.fail(reply, "READDIR \(ino)", error)
        }
    }

    func releasedir(_ reply: some FUSEReply, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        if let handle = directoryHandle(fi) { Unmanaged.passUnretained(handle).release() }
        reply.error(0)
    }

    /// `simple_statfs`: only the block size and the name limit are meaningful.
    func statfs(_ reply: some FUSEReply, _ ino: fuse_ino_t) {
        var info = statvfs()
        info.f_bsize = UInt(ReportTree.pageSize)
        info.f_frsize = UInt(ReportTree.pageSize)
        info.f_namemax = UInt(ReportTree.nameMax)
        log.trace("STATFS \(ino)", "ok")
        reply.statfs(&info)
    }
}
