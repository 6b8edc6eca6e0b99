import CFuse3
import FileTree

#if canImport(Glibc)
    import Glibc
#endif

extension stat {
    /// A node's attributes as FUSE replies carry them.
    init(_ attributes: NodeAttributes) {
        self.init()
        st_ino = UInt(attributes.inode)
        st_mode = attributes.kind.fileType | attributes.permissions
        st_nlink = UInt(attributes.linkCount)
        st_uid = attributes.uid
        st_gid = attributes.gid
        st_size = Int(attributes.size)
        st_blksize = Int(attributes.blockSize)
        st_blocks = 0
        st_atim = timespec(attributes.accessTime)
        st_mtim = timespec(attributes.modificationTime)
        st_ctim = timespec(attributes.changeTime)
    }
}

extension NodeAttributes.Kind {
    /// The `S_IFMT` bits.
    var fileType: UInt32 {
        switch self {
        case .directory: S_IFDIR
        case .regularFile: S_IFREG
        case .symlink: S_IFLNK
        }
    }
}

extension timespec {
    init(_ time: FileTime) {
        self.init(tv_sec: time.seconds, tv_nsec: time.nanoseconds)
    }
}

extension FileTime {
    init(_ time: timespec) {
        self.init(seconds: time.tv_sec, nanoseconds: time.tv_nsec)
    }
}
