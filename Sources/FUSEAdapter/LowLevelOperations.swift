import CFuse3

/// The libfuse low-level dispatch table. Each entry is a C function pointer that finds the
/// ``RequestDispatcher`` through the session's userdata; none of them captures anything,
/// and none is actor-isolated, because libfuse calls them from its own worker threads.
enum LowLevelOperations {
    static func table() -> fuse_lowlevel_ops {
        var ops = fuse_lowlevel_ops()
        ops.lookup = { req, parent, name in dispatcher(req).lookup(req, parent, name) }
        ops.getattr = { req, ino, fi in dispatcher(req).getattr(req, ino, fi) }
        ops.setattr = { req, ino, attr, valid, fi in dispatcher(req).setattr(req, ino, attr, valid, fi) }
        ops.mkdir = { req, parent, name, _ in dispatcher(req).mkdir(req, parent, name) }
        ops.rmdir = { req, parent, name in dispatcher(req).rmdir(req, parent, name) }
        ops.mknod = { req, parent, name, _, _ in dispatcher(req).refuse(req, "MKNOD", parent, name, .notPermitted) }
        ops.unlink = { req, parent, name in dispatcher(req).refuse(req, "UNLINK", parent, name, .notPermitted) }
        ops.symlink = { req, _, parent, name in dispatcher(req).refuse(req, "SYMLINK", parent, name, .notPermitted) }
        ops.link = { req, _, parent, name in dispatcher(req).refuse(req, "LINK", parent, name, .notPermitted) }
        ops.rename = { req, parent, name, _, _, _ in dispatcher(req).refuse(req, "RENAME", parent, name, .notPermitted) }
        ops.create = { req, parent, name, _, _ in dispatcher(req).refuse(req, "CREATE", parent, name, .permissionDenied) }
        ops.open = { req, ino, fi in dispatcher(req).open(req, ino, fi) }
        ops.read = { req, ino, size, offset, fi in dispatcher(req).read(req, ino, size, offset, fi) }
        ops.write = { req, ino, buf, size, offset, fi in dispatcher(req).write(req, ino, buf, size, offset, fi) }
        ops.flush = { req, ino, fi in dispatcher(req).flush(req, ino, fi) }
        ops.release = { req, ino, fi in dispatcher(req).release(req, ino, fi) }
        ops.opendir = { req, ino, fi in dispatcher(req).opendir(req, ino, fi) }
        ops.readdir = { req, ino, size, offset, fi in dispatcher(req).readdir(req, ino, size, offset, fi) }
        ops.releasedir = { req, ino, fi in dispatcher(req).releasedir(req, ino, fi) }
        ops.statfs = { req, ino in dispatcher(req).statfs(req, ino) }
        ops.fsync = { req, ino, _, _ in dispatcher(req).fsync(req, ino) }
        ops.fsyncdir = { req, ino, _, _ in dispatcher(req).fsync(req, ino) }
        ops.listxattr = { req, ino, size in dispatcher(req).listxattr(req, ino, size) }
        return ops
    }
}

/// The dispatcher registered as the session's userdata.
private func dispatcher(_ req: fuse_req_t?) -> RequestDispatcher {
    Unmanaged<RequestDispatcher>.fromOpaque(fuse_req_userdata(req)!).takeUnretainedValue()
}
