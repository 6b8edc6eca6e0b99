import CFuse3

#if canImport(Glibc)
    import Glibc
#endif

/// The libfuse low-level dispatch table, the same for every mount. Each entry is a C function
/// pointer that finds the ``RequestDispatcher`` through the session's userdata; none of them
/// captures anything, and none is actor-isolated, because libfuse calls them from its own worker
/// threads. Operations no tsmfs tree has answer as the kernel's pseudo-filesystems do.
enum LowLevelOperations {
    static func table() -> fuse_lowlevel_ops {
        var ops = fuse_lowlevel_ops()
        ops.lookup = { req, parent, name in dispatcher(req).lookup(LibfuseReply(req), parent, name) }
        ops.getattr = { req, ino, fi in dispatcher(req).getattr(LibfuseReply(req), ino, fi) }
        ops.setattr = { req, ino, attr, valid, _ in dispatcher(req).setattr(LibfuseReply(req), ino, attr, valid) }
        ops.readlink = { req, ino in dispatcher(req).readlink(LibfuseReply(req), ino) }
        ops.mkdir = { req, parent, name, _ in dispatcher(req).mkdir(LibfuseReply(req), parent, name) }
        ops.rmdir = { req, parent, name in dispatcher(req).rmdir(LibfuseReply(req), parent, name) }
        // Nothing can be created, removed or renamed but directories: EPERM, and EACCES for a
        // new file (no directory here has a `create`).
        ops.mknod = { req, parent, name, _, _ in dispatcher(req).refuse(LibfuseReply(req), "MKNOD", parent, name, .notPermitted) }
        ops.unlink = { req, parent, name in dispatcher(req).refuse(LibfuseReply(req), "UNLINK", parent, name, .notPermitted) }
        ops.symlink = { req, _, parent, name in dispatcher(req).refuse(LibfuseReply(req), "SYMLINK", parent, name, .notPermitted)
        }
        ops.link = { req, _, parent, name in dispatcher(req).refuse(LibfuseReply(req), "LINK", parent, name, .notPermitted) }
        ops.rename = { req, parent, name, _, _, _ in
            dispatcher(req).refuse(LibfuseReply(req), "RENAME", parent, name, .notPermitted)
        }
        ops.create = { req, parent, name, _, _ in
            dispatcher(req).refuse(LibfuseReply(req), "CREATE", parent, name, .permissionDenied)
        }
        ops.open = { req, ino, fi in dispatcher(req).open(LibfuseReply(req), ino, fi) }
        ops.read = { req, ino, size, offset, fi in dispatcher(req).read(LibfuseReply(req), ino, size, offset, fi) }
        ops.write = { req, ino, buf, size, offset, fi in dispatcher(req).write(LibfuseReply(req), ino, buf, size, offset, fi) }
        ops.flush = { req, ino, fi in dispatcher(req).flush(LibfuseReply(req), ino, fi) }
        ops.release = { req, ino, fi in dispatcher(req).release(LibfuseReply(req), ino, fi) }
        ops.opendir = { req, ino, fi in dispatcher(req).opendir(LibfuseReply(req), ino, fi) }
        ops.readdir = { req, ino, size, offset, fi in dispatcher(req).readdir(LibfuseReply(req), ino, size, offset, fi) }
        ops.releasedir = { req, ino, fi in dispatcher(req).releasedir(LibfuseReply(req), ino, fi) }
        ops.statfs = { req, ino in dispatcher(req).statfs(LibfuseReply(req), ino) }
        ops.fsync = { req, ino, _, _ in dispatcher(req).fsync(LibfuseReply(req), ino) }
        ops.fsyncdir = { req, ino, _, _ in dispatcher(req).fsync(LibfuseReply(req), ino) }
        ops.listxattr = { req, ino, size in dispatcher(req).listxattr(LibfuseReply(req), ino, size) }
        ops.ioctl = { req, ino, command, argument, fi, _, input, inputSize, outputSize in
            dispatcher(req).ioctl(
                LibfuseReply(req), ino, command, UInt64(UInt(bitPattern: argument)), fi, input, inputSize, outputSize,
                caller: fuse_req_ctx(req).pointee.pid)
        }
        return ops
    }
}

/// The dispatcher registered as the session's userdata.
private func dispatcher(_ req: fuse_req_t?) -> RequestDispatcher {
    Unmanaged<RequestDispatcher>.fromOpaque(fuse_req_userdata(req)!).takeUnretainedValue()
}
