import FileTree

/// A point in time as `struct timespec` carries it: the file tree's own type.
public typealias Timestamp = FileTime

/// Who owns the tree's files. configfs files belong to root; `--owner` maps that for rootless use.
public struct Ownership: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32

    public init(uid: UInt32, gid: UInt32) {
        self.uid = uid
        self.gid = gid
    }

    public static let root = Ownership(uid: 0, gid: 0)
}

/// The `stat` of a node, free of any FUSE or libc type.
public struct NodeStat: Sendable, Equatable {
    /// The file tree's kinds; configfs makes only directories and regular files.
    public typealias Kind = NodeAttributes.Kind

    public var inode: Inode
    public var kind: Kind
    /// Permission bits only (`S_IALLUGO`); the file type comes from `kind`.
    public var permissions: UInt32
    public var linkCount: UInt32
    public var owner: Ownership
    public var size: UInt64
    public var blockSize: UInt32
    public var accessTime: Timestamp
    public var modificationTime: Timestamp
    public var changeTime: Timestamp
}

/// Metadata a client changed with chmod/chown/touch. configfs keeps these in the dirent's
/// `s_iattr`, so they survive later lookups; everything else about the file stays fixed.
public struct MetadataChange: Sendable, Equatable {
    public var permissions: UInt32?
    public var uid: UInt32?
    public var gid: UInt32?
    public var accessTime: Timestamp?
    public var modificationTime: Timestamp?
    /// When the change was made; set by the tree, not by callers.
    var changeTime: Timestamp?

    public init(
        permissions: UInt32? = nil, uid: UInt32? = nil, gid: UInt32? = nil,
        accessTime: Timestamp? = nil, modificationTime: Timestamp? = nil
    ) {
        self.permissions = permissions
        self.uid = uid
        self.gid = gid
        self.accessTime = accessTime
        self.modificationTime = modificationTime
    }

    func applied(to attributes: NodeStat) -> NodeStat {
        var result = attributes
        if let permissions { result.permissions = permissions & 0o7777 }
        if let uid { result.owner.uid = uid }
        if let gid { result.owner.gid = gid }
        if let accessTime { result.accessTime = accessTime }
        if let modificationTime { result.modificationTime = modificationTime }
        if let changeTime { result.changeTime = changeTime }
        return result
    }

    /// Folds a later change into this one.
    mutating func merge(_ later: MetadataChange) {
        permissions = later.permissions ?? permissions
        uid = later.uid ?? uid
        gid = later.gid ?? gid
        accessTime = later.accessTime ?? accessTime
        modificationTime = later.modificationTime ?? modificationTime
        changeTime = later.changeTime ?? changeTime
    }
}

/// One row of a directory listing.
public struct DirectoryEntry: Sendable, Equatable {
    public var name: FileName
    public var inode: Inode
    public var kind: NodeStat.Kind
}
