import Synchronization
import SystemPackage

/// The guest surface beyond configfs, as one small read-only tree served by its own FUSE mount:
///
///     dev/tdx_guest | dev/sev-guest                      the vendor device (0600)
///     sys/devices/virtual/misc/tdx_guest/measurements/   tsm-mr files (TDX)
///     sys/class/misc/tdx_guest -> ../../devices/virtual/misc/tdx_guest
///
/// Paths mirror the kernel's, so each piece is bound into place by the same relative path. The
/// shape is fixed when the mount starts; only metadata (chmod, chown, touch) changes afterwards.
public final class SurfaceTree: Sendable {
    /// What a node is.
    public enum Content: Sendable {
        case directory
        case device(any GuestDevice)
        case register(any RegisterFile)
        /// An ACPI table or its data as sysfs shows them: fixed bytes, read-only.
        case firmwareTable([UInt8])
        case symlink(String)
    }

    /// One node: its place in the tree and what it serves.
    public struct Node: Sendable {
        public let inode: UInt64
        public let parent: UInt64
        public let name: String
        public let content: Content
    }

    /// The metadata a client may change.
    public struct Metadata: Sendable, Equatable {
        public var permissions: UInt32
        public var uid: UInt32
        public var gid: UInt32
        public var modificationSeconds: Int
        public var changeSeconds: Int
    }

    public static let rootInode: UInt64 = 1

    private let nodes: [Node]
    private let childrenByParent: [UInt64: [Node]]
    private let metadata: Mutex<[Metadata]>

    /// Builds the tree from `placements` (paths relative to the root, parents created as needed).
    /// Every node belongs to `uid`:`gid`, as the kernel's to root.
    public init(_ placements: [(path: String, content: Content)], uid: UInt32 = 0, gid: UInt32 = 0, now: Int) {
        var nodes = [Node(inode: Self.rootInode, parent: Self.rootInode, name: "", content: .directory)]
        var directories: [String: UInt64] = ["": Self.rootInode]
        func directory(_ path: String) -> UInt64 {
            if let inode = directories[path] { return inode }
            let parentPath = path.split(separator: "/").dropLast().joined(separator: "/")
            let parent = directory(parentPath)
            let inode = UInt64(nodes.count + 1)
            nodes.append(Node(inode: inode, parent: parent, name: String(path.split(separator: "/").last!), content: .directory))
            directories[path] = inode
            return inode
        }
        for placement in placements {
            let components = placement.path.split(separator: "/")
            if case .directory = placement.content {
                _ = directory(components.joined(separator: "/"))
                continue
            }
            let parent = directory(components.dropLast().joined(separator: "/"))
            nodes.append(
                Node(inode: UInt64(nodes.count + 1), parent: parent, name: String(components.last!), content: placement.content))
        }
        self.nodes = nodes
        self.childrenByParent = Dictionary(grouping: nodes.dropFirst(), by: \.parent)
        self.metadata = Mutex(
            nodes.map { node in
                Metadata(
                    permissions: Self.defaultPermissions(node.content), uid: uid, gid: gid, modificationSeconds: now,
                    changeSeconds: now)
            })
    }

    /// The kernel's modes: misc devices 0600, tsm-mr 0444 plus 0200 when writable, ACPI tables
    /// 0400, sysfs directories 0755, symlinks 0777.
    static func defaultPermissions(_ content: Content) -> UInt32 {
        switch content {
        case .directory: 0o755
        case .device: 0o600
        case .register(let register): register.isWritable ? 0o644 : 0o444
        case .firmwareTable: 0o400
        case .symlink: 0o777
        }
    }

    public func node(_ inode: UInt64) -> Node? {
        guard inode >= 1, inode <= UInt64(nodes.count) else { return nil }
        return nodes[Int(inode - 1)]
    }

    public func lookup(parent: UInt64, name: [UInt8]) -> Node? {
        childrenByParent[parent]?.first { Array($0.name.utf8) == name }
    }

    /// A directory's children in creation order.
    public func children(of inode: UInt64) -> [Node] { childrenByParent[inode] ?? [] }

    /// The node found by following `path` from the root (no symlinks followed).
    public func node(at path: String) -> Node? {
        var current = nodes[0]
        for component in path.split(separator: "/") {
            guard let next = lookup(parent: current.inode, name: Array(component.utf8)) else { return nil }
            current = next
        }
        return current
    }

    public func metadata(of inode: UInt64) -> Metadata? {
        guard node(inode) != nil else { return nil }
        return metadata.withLock { $0[Int(inode - 1)] }
    }

    /// Applies a chmod/chown/touch; returns the new metadata.
    public func changeMetadata(of inode: UInt64, _ change: (inout Metadata) -> Void) -> Metadata? {
        guard node(inode) != nil else { return nil }
        return metadata.withLock { all in
            change(&all[Int(inode - 1)])
            return all[Int(inode - 1)]
        }
    }
}
