import SystemPackage

/// A filesystem as the FUSE dispatcher serves it: every request of a mount becomes one call
/// here, and every failure is the errno the kernel's own filesystem would give.
///
/// Each surface (the configfs report tree, the guest devices and sysfs files) conforms through a
/// thin adapter of its own module, so the dispatcher knows no surface and a new file surface is
/// one more conforming tree. Inodes are the tree's own numbers; 1 is the root.
///
/// A `name` is the bytes the VFS passed, valid for the call only: a tree that keeps one copies it.
/// (Every lookup, mkdir and rmdir names something; an array per request was an allocation per
/// request.)
public protocol FileTree: Sendable {
    /// The child `name` of directory `parent`.
    func lookup(parent: UInt64, name: UnsafeRawBufferPointer) throws(Errno) -> NodeAttributes
    /// A node's `stat`; `file` is the open description a FUSE `getattr` came through (fstat),
    /// which may outlive the node's name.
    func attributes(of inode: UInt64, through file: (any OpenFile)?) throws(Errno) -> NodeAttributes
    /// chmod, chown, utimes.
    func changeAttributes(of inode: UInt64, _ change: AttributeChange) throws(Errno) -> NodeAttributes
    func makeDirectory(parent: UInt64, name: UnsafeRawBufferPointer) throws(Errno) -> NodeAttributes
    /// Returns whether the removal freed enough of what clients made (the tree is empty again after
    /// holding many entries) that the daemon should hand the memory back to the system now.
    func removeDirectory(parent: UInt64, name: UnsafeRawBufferPointer) throws(Errno) -> Bool
    func readLink(_ inode: UInt64) throws(Errno) -> String
    func open(_ inode: UInt64, access: AccessMode) throws(Errno) -> any OpenFile
    /// A directory's listing, `.` and `..` first, in the order the kernel lists it.
    func listDirectory(_ inode: UInt64) throws(Errno) -> [DirectoryItem]
    /// fsync(2) or fsync of a directory.
    func sync(_ inode: UInt64) throws(Errno)
    /// What statfs(2) reports.
    var limits: FileSystemLimits { get }
}

extension FileTree {
    /// Fixed trees (sysfs, devtmpfs nodes) cannot grow: EPERM, as for mknod or unlink.
    public func makeDirectory(parent: UInt64, name: UnsafeRawBufferPointer) throws(Errno) -> NodeAttributes {
        throw .notPermitted
    }
    public func removeDirectory(parent: UInt64, name: UnsafeRawBufferPointer) throws(Errno) -> Bool { throw .notPermitted }
    /// readlink(2) of anything but a symlink.
    public func readLink(_ inode: UInt64) throws(Errno) -> String { throw .invalidArgument }
}

extension FileTree {
    /// ``lookup(parent:name:)`` for a name held as an array (tests, tools).
    public func lookup(parent: UInt64, name: [UInt8]) throws(Errno) -> NodeAttributes {
        try Self.withBytes(name) { (bytes) throws(Errno) in try lookup(parent: parent, name: bytes) }
    }

    /// ``makeDirectory(parent:name:)`` for a name held as an array.
    public func makeDirectory(parent: UInt64, name: [UInt8]) throws(Errno) -> NodeAttributes {
        try Self.withBytes(name) { (bytes) throws(Errno) in try makeDirectory(parent: parent, name: bytes) }
    }

    /// ``removeDirectory(parent:name:)`` for a name held as an array.
    public func removeDirectory(parent: UInt64, name: [UInt8]) throws(Errno) -> Bool {
        try Self.withBytes(name) { (bytes) throws(Errno) in try removeDirectory(parent: parent, name: bytes) }
    }

    /// `withUnsafeBytes`, keeping the error type.
    private static func withBytes<R>(
        _ name: [UInt8], _ body: (UnsafeRawBufferPointer) throws(Errno) -> R
    ) throws(Errno) -> R {
        let result = name.withUnsafeBytes { bytes in Result { () throws(Errno) -> R in try body(bytes) } }
        return try result.get()
    }
}

/// One open file description: what read, write, ioctl, flush and close reach.
public protocol OpenFile: AnyObject, Sendable {
    /// For logs.
    var name: String { get }
    /// Whether lseek works. FUSE cannot fail lseek while allowing pread, so a file that refuses
    /// one refuses both.
    var isSeekable: Bool { get }
    /// Reads up to `count` bytes at `offset`, handing them to `body` as pieces, without copying
    /// (``UnsafeRawBufferPointer/pieces(_:_:)`` for one). Not generic: it is called through the
    /// protocol on every read, where a generic method runs unspecialised.
    func read(at offset: Int, count: Int, _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) -> Void) throws(Errno)
    /// Writes `bytes` at `offset` for the lock owner `owner` (one per file table).
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int, owner: UInt64) throws(Errno) -> Int
    /// close(2) of one copy of the descriptor.
    func flush(owner: UInt64)
    /// The last copy is gone.
    func release()
    /// An ioctl with the bytes the kernel copied in from its argument (restricted ioctls).
    func ioctl(_ request: IoctlRequest) -> IoctlReply
}

extension OpenFile {
    public func flush(owner: UInt64) {}
    public func release() {}
    /// A file without an ioctl handler: the VFS answers ENOTTY.
    public func ioctl(_ request: IoctlRequest) -> IoctlReply { IoctlReply(result: -Errno.inappropriateIOCTLForDevice.rawValue) }
}

extension UnsafeRawBufferPointer {
    /// Calls `body` with `bytes` as the only piece of a read; none when `bytes` is empty.
    public static func pieces(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) -> Void) {
        guard !bytes.isEmpty else { return body(UnsafeBufferPointer<UnsafeRawBufferPointer>(start: nil, count: 0)) }
        withUnsafePointer(to: bytes) { body(UnsafeBufferPointer<UnsafeRawBufferPointer>(start: $0, count: 1)) }
    }
}

/// How open(2) asked for a file.
public struct AccessMode: Sendable, Equatable {
    public var read: Bool
    public var write: Bool

    public init(read: Bool, write: Bool) {
        self.read = read
        self.write = write
    }
}

/// One ioctl as FUSE delivers it.
public struct IoctlRequest: Sendable {
    public var command: UInt32
    /// The caller's pointer.
    public var argument: UInt64
    /// `_IOC_SIZE(command)` bytes copied from the argument for commands that write, else empty.
    public var input: [UInt8]
    /// The calling process as the daemon's pid namespace sees it; 0 when it cannot see it.
    public var caller: Int32

    public init(command: UInt32, argument: UInt64, input: [UInt8], caller: Int32) {
        self.command = command
        self.argument = argument
        self.input = input
        self.caller = caller
    }
}

/// An ioctl's return value (0 or a negative errno) and the bytes copied back to its argument.
public struct IoctlReply: Sendable, Equatable {
    public var result: Int32
    public var output: [UInt8]

    public init(result: Int32, output: [UInt8] = []) {
        self.result = result
        self.output = output
    }
}
