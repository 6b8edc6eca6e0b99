/// A point in time as `struct timespec` carries it.
public struct FileTime: Sendable, Equatable {
    public var seconds: Int
    public var nanoseconds: Int

    public init(seconds: Int, nanoseconds: Int = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }
}

/// The `stat` of a node, free of any FUSE or libc type.
public struct NodeAttributes: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case directory, regularFile, symlink }

    public var inode: UInt64
    public var kind: Kind
    /// Permission bits only; the file type comes from `kind`.
    public var permissions: UInt32
    public var linkCount: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var size: UInt64
    public var blockSize: UInt32
    public var accessTime: FileTime
    public var modificationTime: FileTime
    public var changeTime: FileTime

    public init(
        inode: UInt64, kind: Kind, permissions: UInt32, linkCount: UInt32, uid: UInt32, gid: UInt32, size: UInt64,
        blockSize: UInt32, accessTime: FileTime, modificationTime: FileTime, changeTime: FileTime
    ) {
        self.inode = inode
        self.kind = kind
        self.permissions = permissions
        self.linkCount = linkCount
        self.uid = uid
        self.gid = gid
        self.size = size
        self.blockSize = blockSize
        self.accessTime = accessTime
        self.modificationTime = modificationTime
        self.changeTime = changeTime
    }
}

/// What a setattr asked to change; `nil` leaves a field alone. A size change (truncate, O_TRUNC)
/// is accepted and changes nothing on these files, so it is not carried.
public struct AttributeChange: Sendable, Equatable {
    public enum Time: Sendable, Equatable {
        /// `UTIME_NOW`: the filesystem's clock decides.
        case now
        case at(FileTime)
    }

    public var permissions: UInt32?
    public var uid: UInt32?
    public var gid: UInt32?
    public var accessTime: Time?
    public var modificationTime: Time?

    public init(
        permissions: UInt32? = nil, uid: UInt32? = nil, gid: UInt32? = nil, accessTime: Time? = nil,
        modificationTime: Time? = nil
    ) {
        self.permissions = permissions
        self.uid = uid
        self.gid = gid
        self.accessTime = accessTime
        self.modificationTime = modificationTime
    }
}

/// One row of a directory listing.
public struct DirectoryItem: Sendable, Equatable {
    public var name: [UInt8]
    public var inode: UInt64
    public var kind: NodeAttributes.Kind

    public init(name: [UInt8], inode: UInt64, kind: NodeAttributes.Kind) {
        self.name = name
        self.inode = inode
        self.kind = kind
    }
}

/// statfs(2): only the block size and the name limit mean anything for these pseudo-filesystems.
public struct FileSystemLimits: Sendable, Equatable {
    public var blockSize: UInt32
    public var nameMax: Int

    public init(blockSize: UInt32, nameMax: Int) {
        self.blockSize = blockSize
        self.nameMax = nameMax
    }
}
