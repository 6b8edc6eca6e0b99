import ProviderKit

/// Inode numbers of the tree, computed rather than looked up: the fixed directories have
/// numbers 1–3, and entry `n` owns the block `n << 4 …` (`| 0` for its directory,
/// `| 1 + attribute` for its files). Entry numbers are never reused, so a stale inode the
/// kernel still holds can never alias a newer entry.
public struct Inode: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The mount root: a configfs root (`/sys/kernel/config`). FUSE requires 1.
    public static let configRoot = Inode(rawValue: 1)
    /// `tsm/`, the configfs subsystem group.
    public static let tsm = Inode(rawValue: 2)
    /// `tsm/report/`, the default group holding report entries.
    public static let report = Inode(rawValue: 3)

    static let entryShift: UInt64 = 4

    static func entryDirectory(_ id: UInt64) -> Inode { Inode(rawValue: id << entryShift) }

    static func attribute(_ attribute: ReportAttribute, ofEntry id: UInt64) -> Inode {
        Inode(rawValue: id << entryShift | UInt64(attribute.rawValue + 1))
    }

    /// What this number denotes, without consulting the tree.
    var node: NodeAddress {
        switch self {
        case .configRoot: return .configRoot
        case .tsm: return .tsm
        case .report: return .report
        default:
            let id = rawValue >> Inode.entryShift
            let slot = Int(rawValue & ((1 << Inode.entryShift) - 1))
            guard id > 0 else { return .invalid }
            if slot == 0 { return .entry(id) }
            guard let attribute = ReportAttribute(rawValue: slot - 1) else { return .invalid }
            return .attribute(id, attribute)
        }
    }

    /// Whether this number denotes an attribute file (as opposed to a directory).
    public var isAttribute: Bool {
        if case .attribute = node { return true }
        return false
    }

    public var description: String { "ino \(rawValue)" }
}

/// The decoded meaning of an inode number.
enum NodeAddress: Equatable {
    case configRoot, tsm, report
    case entry(UInt64)
    case attribute(UInt64, ReportAttribute)
    case invalid
}
