import CFuse3
import ConfigfsTSM

#if canImport(Glibc)
    import Glibc
#endif

extension stat {
    /// The kernel's view of a node, as FUSE replies carry it.
    init(_ attributes: NodeStat) {
        self.init()
        st_ino = UInt(attributes.inode.rawValue)
        st_mode = (attributes.kind == .directory ? S_IFDIR : S_IFREG) | attributes.permissions
        st_nlink = UInt(attributes.linkCount)
        st_uid = attributes.owner.uid
        st_gid = attributes.owner.gid
        st_size = Int(attributes.size)
        st_blksize = Int(attributes.blockSize)
        st_blocks = 0
        st_atim = timespec(attributes.accessTime)
        st_mtim = timespec(attributes.modificationTime)
        st_ctim = timespec(attributes.changeTime)
    }
}

extension timespec {
    init(_ timestamp: Timestamp) {
        self.init(tv_sec: timestamp.seconds, tv_nsec: timestamp.nanoseconds)
    }
}

extension Timestamp {
    init(_ time: timespec) {
        self.init(seconds: time.tv_sec, nanoseconds: time.tv_nsec)
    }
}
