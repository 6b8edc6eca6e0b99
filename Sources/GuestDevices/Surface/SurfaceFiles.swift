import FileTree
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// The guest surface as the FUSE dispatcher sees it: vendor devices (ioctl only, as a misc
/// device) and sysfs measurement registers (binary attributes), with the kernel's modes and errno.
public final class SurfaceFiles: FileTree {
    public let tree: SurfaceTree
    /// Told once when an ioctl caller is invisible to the daemon (FUSE reports pid 0).
    private let unseenCaller: @Sendable () -> Void
    private let reportedUnseenCaller = Atomic<Bool>(false)

    public static let unseenCallerWarning =
        "a device caller is outside this daemon's pid namespace (FUSE reports pid 0), so its ioctl pointers "
        + "cannot be followed and are answered EFAULT: run the daemon in the callers' pid namespace "
        + "(a pod with hostPID, or tsmfs exec / tsmfs mount inside the container)"

    public init(_ tree: SurfaceTree, unseenCaller: @escaping @Sendable () -> Void = {}) {
        self.tree = tree
        self.unseenCaller = unseenCaller
    }

    private func existing(_ inode: UInt64) throws(Errno) -> SurfaceTree.Node {
        guard let node = tree.node(inode) else { throw .noSuchFileOrDirectory }
        return node
    }

    public func lookup(parent: UInt64, name: UnsafeRawBufferPointer) throws(Errno) -> NodeAttributes {
        _ = try existing(parent)
        guard let node = tree.lookup(parent: parent, name: Array(name)) else { throw .noSuchFileOrDirectory }
        return attributes(of: node)
    }

    public func attributes(of inode: UInt64, through file: (any OpenFile)?) throws(Errno) -> NodeAttributes {
        attributes(of: try existing(inode))
    }

    private func attributes(of node: SurfaceTree.Node) -> NodeAttributes {
        let metadata = tree.metadata(of: node.inode)!
        let kind: NodeAttributes.Kind
        var size: UInt64 = 0
        var links: UInt32 = 1
        switch node.content {
        case .directory:
            kind = .directory
            links =
                2 + UInt32(tree.children(of: node.inode).filter { if case .directory = $0.content { true } else { false } }.count)
        case .device:
            kind = .regularFile
        case .register(let register):
            kind = .regularFile
            size = UInt64(register.size)
        case .firmwareTable(let bytes):
            kind = .regularFile
            size = UInt64(bytes.count)
        case .symlink(let target):
            kind = .symlink
            size = UInt64(target.utf8.count)
        }
        let modified = FileTime(seconds: metadata.modificationSeconds)
        return NodeAttributes(
            inode: node.inode, kind: kind, permissions: metadata.permissions, linkCount: links, uid: metadata.uid,
            gid: metadata.gid, size: size, blockSize: 4096, accessTime: modified, modificationTime: modified,
            changeTime: FileTime(seconds: metadata.changeSeconds))
    }

    /// chmod, chown and touch are kept (kernfs keeps them too); access times are not.
    public func changeAttributes(of inode: UInt64, _ change: AttributeChange) throws(Errno) -> NodeAttributes {
        let now = Int(time(nil))
        let changed = tree.changeMetadata(of: inode) { metadata in
            if let permissions = change.permissions { metadata.permissions = permissions & 0o7777 }
            if let uid = change.uid { metadata.uid = uid }
            if let gid = change.gid { metadata.gid = gid }
            switch change.modificationTime {
            case .now?: metadata.modificationSeconds = now
            case .at(let time)?: metadata.modificationSeconds = time.seconds
            case nil: break
            }
            metadata.changeSeconds = now
        }
        guard changed != nil else { throw .noSuchFileOrDirectory }
        return attributes(of: try existing(inode))
    }

    public func readLink(_ inode: UInt64) throws(Errno) -> String {
        guard case .symlink(let target)? = tree.node(inode)?.content else { throw .invalidArgument }
        return target
    }

    public func open(_ inode: UInt64, access: AccessMode) throws(Errno) -> any OpenFile {
        let node = try existing(inode)
        switch node.content {
        case .register(let register):
            // kernfs refuses a write open of a file without write permission or a write method,
            // root included.
            let permissions = tree.metadata(of: inode)!.permissions
            if access.write && (!register.isWritable || permissions & 0o222 == 0) { throw .permissionDenied }
            return RegisterHandle(name: node.name, register: register)
        case .firmwareTable(let bytes):
            // The attribute has no write method: EACCES, root included.
            if access.write { throw .permissionDenied }
            return FirmwareTableHandle(name: node.name, bytes: bytes)
        case .device(let device):
            return DeviceHandle(name: node.name, device: device, files: self)
        case .directory, .symlink:
            throw .isDirectory
        }
    }

    /// The listing never changes.
    public func listDirectory(_ inode: UInt64) throws(Errno) -> [DirectoryItem] {
        let node = try existing(inode)
        guard case .directory = node.content else { throw .notDirectory }
        let parent = try existing(node.parent)
        return [
            DirectoryItem(name: Array(".".utf8), inode: node.inode, kind: .directory),
            DirectoryItem(name: Array("..".utf8), inode: parent.inode, kind: .directory),
        ]
            + tree.children(of: inode).map {
                DirectoryItem(name: Array($0.name.utf8), inode: $0.inode, kind: attributes(of: $0).kind)
            }
    }

    /// kernfs files and directories sync as a no-op; a character device without fsync fails
    /// with EINVAL.
    public func sync(_ inode: UInt64) throws(Errno) {
        if case .device = try existing(inode).content { throw .invalidArgument }
    }

    public var limits: FileSystemLimits { FileSystemLimits(blockSize: 4096, nameMax: 255) }

    fileprivate func noteCaller(_ pid: Int32) {
        if pid == 0, !reportedUnseenCaller.exchange(true, ordering: .relaxed) { unseenCaller() }
    }
}

/// An open tsm-mr file: sysfs binary attribute semantics, no ioctl.
private final class RegisterHandle: OpenFile {
    let name: String
    let register: any RegisterFile
    var isSeekable: Bool { true }

    init(name: String, register: any RegisterFile) {
        self.name = name
        self.register = register
    }

    func read(at offset: Int, count: Int, _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) -> Void) throws(Errno) {
        let bytes = try SysfsBinaryAttribute.read(register, count: count, at: offset)
        bytes.withUnsafeBytes { UnsafeRawBufferPointer.pieces($0, body) }
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int, owner: UInt64) throws(Errno) -> Int {
        try SysfsBinaryAttribute.write(register, Array(bytes), at: offset)
    }
}

/// An open ACPI table file: kernfs hands out at most a page per read, so a large read is short.
private final class FirmwareTableHandle: OpenFile {
    let name: String
    let bytes: [UInt8]
    var isSeekable: Bool { true }

    init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }

    func read(at offset: Int, count: Int, _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) -> Void) throws(Errno) {
        guard offset < bytes.count, count > 0 else {
            return UnsafeRawBufferPointer.pieces(UnsafeRawBufferPointer(start: nil, count: 0), body)
        }
        let end = offset + min(count, SysfsBinaryAttribute.pageSize, bytes.count - offset)
        bytes.withUnsafeBytes { UnsafeRawBufferPointer.pieces(UnsafeRawBufferPointer(rebasing: $0[offset..<end]), body) }
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int, owner: UInt64) throws(Errno) -> Int {
        throw .badFileDescriptor
    }
}

/// An open vendor device: ioctl only; misc devices have no llseek (ESPIPE), read or write (EINVAL).
private final class DeviceHandle: OpenFile {
    let name: String
    let device: any GuestDevice
    let files: SurfaceFiles
    var isSeekable: Bool { false }

    init(name: String, device: any GuestDevice, files: SurfaceFiles) {
        self.name = name
        self.device = device
        self.files = files
    }

    func read(at offset: Int, count: Int, _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) -> Void) throws(Errno) {
        throw .invalidArgument
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int, owner: UInt64) throws(Errno) -> Int {
        throw .invalidArgument
    }

    /// FUSE gives pid 0 for a caller outside the daemon's pid namespace: its memory cannot be
    /// reached, so every pointer fails (EFAULT).
    func ioctl(_ request: IoctlRequest) -> IoctlReply {
        files.noteCaller(request.caller)
        let outcome = device.ioctl(
            request.command, argument: request.argument, input: request.input, memory: ProcessMemory(pid: request.caller))
        return IoctlReply(result: outcome.result, output: outcome.output)
    }
}
