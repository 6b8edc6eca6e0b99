import CFuse3

#if canImport(Glibc)
    import Glibc
#endif

/// Where the answer to one FUSE request goes: libfuse's `fuse_reply_*` in the daemon, a recorder in
/// tests, so the dispatcher can be driven in-process without a mount. Exactly one call per request.
protocol FUSEReply {
    /// Success without data (0) or a failure (a positive errno).
    func error(_ errno: Int32)
    func entry(_ entry: inout fuse_entry_param)
    func attr(_ attributes: inout stat, timeout: Double)
    func open(_ file: UnsafeMutablePointer<fuse_file_info>)
    /// Read data as the pieces of a blob's segments, sent without copying.
    func iov(_ pieces: UnsafeBufferPointer<UnsafeRawBufferPointer>)
    func write(_ count: Int)
    func buffer(_ bytes: UnsafeRawBufferPointer)
    func statfs(_ info: inout statvfs)
    /// The size an xattr list would need (a `listxattr` size query).
    func xattrSize(_ size: Int)
    /// A symlink's target.
    func readlink(_ target: String)
    /// An ioctl's return value (0 or a negative errno) and the bytes copied back to its argument.
    func ioctl(result: Int32, output: [UInt8])
}

/// Replies through libfuse.
struct LibfuseReply: FUSEReply {
    let request: fuse_req_t?

    init(_ request: fuse_req_t?) { self.request = request }

    func error(_ errno: Int32) { fuse_reply_err(request, errno) }
    func entry(_ entry: inout fuse_entry_param) { fuse_reply_entry(request, &entry) }
    func attr(_ attributes: inout stat, timeout: Double) { fuse_reply_attr(request, &attributes, timeout) }
    func open(_ file: UnsafeMutablePointer<fuse_file_info>) { fuse_reply_open(request, file) }
    func iov(_ pieces: UnsafeBufferPointer<UnsafeRawBufferPointer>) {
        // fuse_reply_buf sends one piece without the copy of the vector fuse_reply_iov allocates.
        guard pieces.count > 1 else { return buffer(pieces.first ?? UnsafeRawBufferPointer(start: nil, count: 0)) }
        // On the stack: the vector is needed only for this call.
        withUnsafeTemporaryAllocation(of: iovec.self, capacity: pieces.count) { vectors in
            for (index, piece) in pieces.enumerated() {
                vectors.initializeElement(
                    at: index, to: iovec(iov_base: UnsafeMutableRawPointer(mutating: piece.baseAddress), iov_len: piece.count))
            }
            fuse_reply_iov(request, vectors.baseAddress, Int32(pieces.count))
        }
    }
    func write(_ count: Int) { fuse_reply_write(request, count) }
    func buffer(_ bytes: UnsafeRawBufferPointer) {
        fuse_reply_buf(request, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
    }
    func statfs(_ info: inout statvfs) { fuse_reply_statfs(request, &info) }
    func xattrSize(_ size: Int) { fuse_reply_xattr(request, size) }
    func readlink(_ target: String) { fuse_reply_readlink(request, target) }
    func ioctl(result: Int32, output: [UInt8]) {
        output.withUnsafeBytes { fuse_reply_ioctl(request, result, $0.baseAddress, $0.count) }
    }
}
