import FileTree
import SystemPackage

/// The report tree as the FUSE dispatcher sees it: a thin translation of inode numbers, names,
/// stats and open descriptions, plus the two answers configfs gives that are not the tree's
/// (no fsync, the page size for statfs).
public struct ConfigfsFiles: FileTree {
    public let tree: ReportTree

    public init(_ tree: ReportTree) { self.tree = tree }

    public func lookup(parent: UInt64, name: UnsafeRawBufferPointer) throws(Errno) -> NodeAttributes {
        NodeAttributes(try tree.lookup(parent: Inode(rawValue: parent), name: FileName(name)))
    }

    public func attributes(of inode: UInt64, through file: (any OpenFile)?) throws(Errno) -> NodeAttributes {
        if Inode(rawValue: inode).isAttribute, let open = file as? OpenAttribute {
            return NodeAttributes(tree.nodeStat(of: open))
        }
        return NodeAttributes(try tree.nodeStat(of: Inode(rawValue: inode)))
    }

    public func changeAttributes(of inode: UInt64, _ change: AttributeChange) throws(Errno) -> NodeAttributes {
        let now = ReportTree.realtimeClock()
        func resolved(_ time: AttributeChange.Time?) -> Timestamp? {
            switch time {
            case nil: nil
            case .now: now
            case .at(let time): time
            }
        }
        let metadata = MetadataChange(
            permissions: change.permissions, uid: change.uid, gid: change.gid, accessTime: resolved(change.accessTime),
            modificationTime: resolved(change.modificationTime))
        return NodeAttributes(try tree.changeMetadata(of: Inode(rawValue: inode), metadata))
    }

    public func makeDirectory(parent: UInt64, name: UnsafeRawBufferPointer) throws(Errno) -> NodeAttributes {
        NodeAttributes(try tree.makeDirectory(parent: Inode(rawValue: parent), name: FileName(name)))
    }

    public func removeDirectory(parent: UInt64, name: UnsafeRawBufferPointer) throws(Errno) -> Bool {
        try tree.removeDirectory(parent: Inode(rawValue: parent), name: FileName(name))
    }

    public func open(_ inode: UInt64, access: AccessMode) throws(Errno) -> any OpenFile {
        try tree.open(Inode(rawValue: inode), mode: access)
    }

    public func listDirectory(_ inode: UInt64) throws(Errno) -> [DirectoryItem] {
        try tree.listDirectory(Inode(rawValue: inode)).map {
            DirectoryItem(name: $0.name.bytes, inode: $0.inode.rawValue, kind: $0.kind)
        }
    }

    /// configfs has no `fsync` for attributes or directories: the VFS answers EINVAL.
    public func sync(_ inode: UInt64) throws(Errno) { throw .invalidArgument }

    /// `simple_statfs`.
    public var limits: FileSystemLimits { FileSystemLimits(blockSize: ReportTree.pageSize, nameMax: ReportTree.nameMax) }
}

extension OpenAttribute: OpenFile {
    public var name: String { attribute.fileName }

    /// configfs binary files fail lseek with ESPIPE yet allow pread/pwrite. Report blobs refuse
    /// both (clients read them sequentially and probe lseek); inblob allows both, so pwrite can
    /// leave holes.
    public var isSeekable: Bool { !attribute.isReportBlob }
}

extension NodeAttributes {
    init(_ stat: NodeStat) {
        self.init(
            inode: stat.inode.rawValue, kind: stat.kind, permissions: stat.permissions, linkCount: stat.linkCount,
            uid: stat.owner.uid, gid: stat.owner.gid, size: stat.size, blockSize: stat.blockSize,
            accessTime: stat.accessTime, modificationTime: stat.modificationTime, changeTime: stat.changeTime)
    }
}
