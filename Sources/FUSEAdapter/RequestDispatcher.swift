import ByteLayout
import CFuse3
import ConfigfsTSM
import Logging
import SystemPackage
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Translates each FUSE request into one ``ReportTree`` or ``OpenAttribute`` call and
/// replies with its result. It holds no filesystem state of its own beyond the open
/// handles libfuse hands back to it.
final class RequestDispatcher: Sendable {
    let tree: ReportTree
    let timeouts: MountOptions.Timeouts
    let logger: Logger
    private let tracing: Bool

    init(tree: ReportTree, timeouts: MountOptions.Timeouts, logger: Logger) {
        self.tree = tree
        self.timeouts = timeouts
        self.logger = logger
        self.tracing = logger.logLevel <= .trace
    }

    /// Logs one request and its outcome at trace level (`--verbose`); free when not tracing.
    private func trace(_ request: @autoclosure () -> String, _ outcome: @autoclosure () -> String) {
        guard tracing else { return }
        logger.trace("\(request()) -> \(outcome())")
    }

    private func fail(_ req: fuse_req_t?, _ request: @autoclosure () -> String, _ errno: Errno) {
        trace(request(), "error \(errno.rawValue) (\(errno))")
        fuse_reply_err(req, errno.rawValue)
    }

    private func replyEntry(_ req: fuse_req_t?, _ attributes: NodeAttributes) {
        var entry = fuse_entry_param()
        entry.ino = attributes.inode.rawValue
        entry.attr = stat(attributes)
        entry.attr_timeout = timeouts.attributes
        entry.entry_timeout = timeouts.entries
        fuse_reply_entry(req, &entry)
    }

    // MARK: namespace

    /// A request that names a child of `parent` and is answered with that child's entry.
    private func answerWithEntry(_ req: fuse_req_t?, _ operation: String, _ parent: fuse_ino_t,
                                 _ name: UnsafePointer<CChar>?,
                                 _ resolve: (ConfigfsTSM.Inode, FileName) throws(Errno) -> NodeAttributes) {
        let name = FileName(cString: name!)
        do throws(Errno) {
            let attributes = try resolve(Inode(rawValue: parent), name)
            trace("\(operation) \(parent)/\(name)", "ino \(attributes.inode.rawValue)")
            replyEntry(req, attributes)
        } catch {
            fail(req, "\(operation) \(parent)/\(name)", error)
        }
    }

    func lookup(_ req: fuse_req_t?, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>?) {
        answerWithEntry(req, "LOOKUP", parent, name) { (parent, name) throws(Errno) in
            try tree.lookup(parent: parent, name: name)
        }
    }

    func getattr(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        do {
            let attributes: NodeAttributes
            if Inode(rawValue: ino).isAttribute, let file = openFile(fi) {
                attributes = tree.attributes(of: file)
            } else {
                attributes = try tree.attributes(of: Inode(rawValue: ino))
            }
            var reply = stat(attributes)
            trace("GETATTR \(ino)", "mode \(String(reply.st_mode, radix: 8))")
            fuse_reply_attr(req, &reply, timeouts.attributes)
        } catch {
            fail(req, "GETATTR \(ino)", error)
        }
    }

    func setattr(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ attr: UnsafeMutablePointer<stat>?,
                 _ valid: Int32, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        let requested = attr!.pointee
        var change = MetadataChange()
        let now = ReportTree.realtimeClock()
        if valid & FUSE_SET_ATTR_MODE != 0 { change.permissions = requested.st_mode & 0o7777 }
        if valid & FUSE_SET_ATTR_UID != 0 { change.uid = requested.st_uid }
        if valid & FUSE_SET_ATTR_GID != 0 { change.gid = requested.st_gid }
        if valid & FUSE_SET_ATTR_ATIME_NOW != 0 { change.accessTime = now }
        else if valid & FUSE_SET_ATTR_ATIME != 0 { change.accessTime = Timestamp(requested.st_atim) }
        if valid & FUSE_SET_ATTR_MTIME_NOW != 0 { change.modificationTime = now }
        else if valid & FUSE_SET_ATTR_MTIME != 0 { change.modificationTime = Timestamp(requested.st_mtim) }
        do {
            var reply = stat(try tree.setAttributes(of: Inode(rawValue: ino), change))
            trace("SETATTR \(ino) valid=0x\(String(valid, radix: 16))", "ok")
            fuse_reply_attr(req, &reply, timeouts.attributes)
        } catch {
            fail(req, "SETATTR \(ino)", error)
        }
    }

    func mkdir(_ req: fuse_req_t?, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>?) {
        answerWithEntry(req, "MKDIR", parent, name) { (parent, name) throws(Errno) in
            try tree.makeDirectory(parent: parent, name: name)
        }
    }

    func rmdir(_ req: fuse_req_t?, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>?) {
        let name = FileName(cString: name!)
        do {
            try tree.removeDirectory(parent: Inode(rawValue: parent), name: name)
            trace("RMDIR \(parent)/\(name)", "ok")
            fuse_reply_err(req, 0)
            // glibc keeps freed memory; hand it back once the last entry (and its reports) is gone.
            if tree.entryCount == 0 { tsmfs_release_free_memory() }
        } catch {
            fail(req, "RMDIR \(parent)/\(name)", error)
        }
    }

    /// Operations configfs does not have: unlink, rename, symlink, link, mknod (EPERM) and
    /// creating a new file (EACCES, the directory has no `create`).
    func refuse(_ req: fuse_req_t?, _ operation: String, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>?, _ errno: Errno) {
        fail(req, "\(operation) \(parent)/\(FileName(cString: name!))", errno)
    }

    // MARK: files

    func open(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
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
            trace("OPEN \(ino) flags=0o\(String(fi.pointee.flags, radix: 8))", "fh \(fi.pointee.fh)")
            fuse_reply_open(req, fi)
        } catch {
            fail(req, "OPEN \(ino) flags=0o\(String(fi.pointee.flags, radix: 8))", error)
        }
    }

    private func openFile(_ fi: UnsafeMutablePointer<fuse_file_info>?) -> OpenAttribute? {
        guard let fh = fi?.pointee.fh, fh != 0, let pointer = UnsafeRawPointer(bitPattern: UInt(fh)) else { return nil }
        return Unmanaged<OpenAttribute>.fromOpaque(pointer).takeUnretainedValue()
    }

    func read(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ size: Int, _ offset: off_t,
              _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        guard let file = openFile(fi) else { return fail(req, "READ \(ino)", .badFileDescriptor) }
        do {
            let count = try file.read(at: Int(offset), count: size) { pieces in
                var vectors = pieces.map { iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count) }
                fuse_reply_iov(req, &vectors, Int32(vectors.count))
                return pieces.reduce(0) { $0 + $1.count }
            }
            trace("READ \(ino) \(file.attribute.fileName) off=\(offset) size=\(size)", "\(count) bytes")
        } catch {
            fail(req, "READ \(ino) \(file.attribute.fileName) off=\(offset) size=\(size)", error)
        }
    }

    func write(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ buf: UnsafePointer<CChar>?, _ size: Int,
               _ offset: off_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        guard let file = openFile(fi) else { return fail(req, "WRITE \(ino)", .badFileDescriptor) }
        do {
            // Direct I/O writes carry the writer's lock owner (its file table), as FLUSH does.
            let written = try file.write(UnsafeRawBufferPointer(start: buf, count: size), at: Int(offset),
                                         owner: fi!.pointee.lock_owner)
            trace("WRITE \(ino) \(file.attribute.fileName) off=\(offset) size=\(size)", "\(written) bytes")
            fuse_reply_write(req, written)
        } catch {
            fail(req, "WRITE \(ino) \(file.attribute.fileName) off=\(offset) size=\(size)", error)
        }
    }

    func flush(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        openFile(fi)?.flush(owner: fi!.pointee.lock_owner)
        trace("FLUSH \(ino)", "ok")
        fuse_reply_err(req, 0)
    }

    func release(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        if let file = openFile(fi) {
            file.release()
            Unmanaged.passUnretained(file).release()
        }
        trace("RELEASE \(ino)", "ok")
        fuse_reply_err(req, 0)
    }

    /// configfs has no `fsync` for attributes or directories: the VFS answers EINVAL.
    func fsync(_ req: fuse_req_t?, _ ino: fuse_ino_t) {
        fail(req, "FSYNC \(ino)", .invalidArgument)
    }

    /// configfs has no xattr handlers: listing succeeds and is empty (getxattr and setxattr stay
    /// unimplemented, which the kernel turns into EOPNOTSUPP, configfs' answer).
    func listxattr(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ size: Int) {
        trace("LISTXATTR \(ino) size=\(size)", "empty")
        if size == 0 { fuse_reply_xattr(req, 0) } else { fuse_reply_buf(req, nil, 0) }
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

    func opendir(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        do {
            _ = try tree.listDirectory(Inode(rawValue: ino))
            fi!.pointee.fh = UInt64(UInt(bitPattern: Unmanaged.passRetained(DirectoryHandle()).toOpaque()))
            trace("OPENDIR \(ino)", "ok")
            fuse_reply_open(req, fi)
        } catch {
            fail(req, "OPENDIR \(ino)", error)
        }
    }

    func readdir(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ size: Int, _ offset: off_t,
                 _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        guard let handle = directoryHandle(fi) else { return fail(req, "READDIR \(ino)", .badFileDescriptor) }
        do {
            let listing = try handle.listing.withLock { (listing: inout [DirectoryEntry]?) throws(Errno) -> [DirectoryEntry] in
                // Offset 0 is a fresh listing (opendir or rewinddir); later offsets continue it.
                if offset == 0 || listing == nil { listing = try tree.listDirectory(Inode(rawValue: ino)) }
                return listing!
            }
            var buffer = [CChar](repeating: 0, count: size)
            var used = 0
            var index = Int(offset)
            while index < listing.count {
                let item = listing[index]
                var attributes = stat()
                attributes.st_ino = UInt(item.inode.rawValue)
                attributes.st_mode = item.kind == .directory ? S_IFDIR : S_IFREG
                let needed = buffer.withUnsafeMutableBufferPointer { storage in
                    item.name.withCString { name in
                        fuse_add_direntry(req, storage.baseAddress! + used, size - used, name, &attributes, off_t(index + 1))
                    }
                }
                if needed > size - used { break }
                used += needed
                index += 1
            }
            trace("READDIR \(ino) off=\(offset)", "\(index - Int(offset)) entries")
            fuse_reply_buf(req, buffer, used)
        } catch {
            fail(req, "READDIR \(ino)", error)
        }
    }

    func releasedir(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        if let handle = directoryHandle(fi) { Unmanaged.passUnretained(handle).release() }
        fuse_reply_err(req, 0)
    }

    /// `simple_statfs`: only the block size and the name limit are meaningful.
    func statfs(_ req: fuse_req_t?, _ ino: fuse_ino_t) {
        var info = statvfs()
        info.f_bsize = UInt(ReportTree.pageSize)
        info.f_frsize = UInt(ReportTree.pageSize)
        info.f_namemax = UInt(ReportTree.nameMax)
        trace("STATFS \(ino)", "ok")
        fuse_reply_statfs(req, &info)
    }
}
