import FileTree
import ProviderKit
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// The whole mounted tree: a configfs root holding `tsm/report/`, and the report entries
/// created in it. All namespace operations of the filesystem go through here, keyed by
/// inode number, with the kernel's errno for every refusal (the kernel's drivers/virt/coco/guest/report.c over fs/configfs; docs/fidelity.md).
///
/// ## Lock order
///
/// Locks are taken only in this order, and none is held while waiting for a later one:
///
/// 1. `OpenAttribute.state` — one open file's buffers.
/// 2. `ReportEntry.state` — one entry's inputs, counters and cached report. Held for a whole
///    report generation, as the kernel holds its rwsem, so it serialises that entry only.
/// 3. `ResourceBudget` — the generation slots (a semaphore, waited for under 2) and the cache
///    accounting (atomics).
///
/// Outside that chain, each taken alone and never while another is wanted:
///
/// * `ReportTree.state` — the names and numbers of entries. Lookups, mkdir, rmdir and readdir
///   need only this, so no generation, however slow, holds them up. No entry lock is ever taken
///   under it: code that needs entries copies them out first.
/// * `PendingCloses` — waited on (without other locks but 1) before an entry's state is read.
/// * `ProviderSlot` — the registered provider, read before an entry lock is taken.
///
/// Enforcing the cache cap runs after the generating entry's lock is released, with no lock
/// held, and only *tries* other entries' locks: an entry busy generating is skipped.
public final class ReportTree: Sendable {
    /// configfs' `s_blocksize` and the `st_size` of text attributes (x86-64 `PAGE_SIZE`).
    public static let pageSize: UInt32 = 4096
    /// `NAME_MAX`.
    public static let nameMax = 255

    private let providerSlot: ProviderSlot
    private let owner: Ownership
    private let clock: @Sendable () -> Timestamp
    private let diagnostics: Diagnostics
    private let mounted: Timestamp
    private let budget: ResourceBudget
    private let releaseWait: Duration
    /// The Linux version whose configfs-tsm this tree is: whether `tsm/` exists, which attributes
    /// an entry shows, how large a report may be.
    public let kernel: KernelProfile
    private let state: ReadWriteLock<State>

    /// Noncopyable, so that a read borrows it where it lies (see ``ReadWriteLock``).
    private struct State: ~Copyable {
        var entriesByName: [FileName: ReportEntry] = [:]
        var entriesByID: [UInt64: ReportEntry] = [:]
        var lastEntryID: UInt64 = 0
        var reportChanged: Timestamp
        var metadataChanges: [Inode: MetadataChange] = [:]
        /// The most entries held at once since the tree was last empty.
        var mostEntriesSinceEmpty = 0
    }

    /// How many entries must have lived at once before emptying the tree is worth handing memory
    /// back to the system: a client that creates and removes one entry at a time would otherwise
    /// pay a heap trim, and the page faults that follow it, on every cycle.
    public static let entriesWorthReclaiming = 64

    /// - Parameters:
    ///   - provider: the registered provider, or `nil` to model "tsm_report loaded, no TSM driver"
    ///     (mkdir then fails with ENXIO).
    ///   - owner: the owner every node reports (root, like configfs, unless mapped).
    ///   - clock: the time source for timestamps.
    ///   - releaseWait: how long an operation on an entry waits for the RELEASE that tells a
    ///     last close of an inblob (which commits) from the close of a copy (which does not);
    ///   see ``PendingCloses``.
    public init(
        provider: (any ReportProvider)?, owner: Ownership = .root,
        limits: ResourceLimits = .defaults,
        diagnostics: Diagnostics = Diagnostics(),
        releaseWait: Duration = ReportTree.defaultReleaseWait,
        kernel: KernelProfile = .newest,
        clock: @escaping @Sendable () -> Timestamp = ReportTree.realtimeClock
    ) {
        self.kernel = kernel
        self.budget = ResourceBudget(limits)
        self.releaseWait = releaseWait
        self.providerSlot = ProviderSlot(provider, kernel: kernel)
        self.owner = owner
        self.clock = clock
        self.diagnostics = diagnostics
        let now = clock()
        self.mounted = now
        self.state = ReadWriteLock(State(reportChanged: now))
        budget.overCap.withLock { $0 = { [weak self] in self?.dropOldestCaches() } }
    }

    /// Bytes of generated reports cached across entries.
    public var cachedReportBytes: Int { budget.totalCachedBytes }

    /// Drops the least recently generated cached reports that can be rebuilt exactly until the
    /// cache fits its cap again. Entry locks are never taken under the tree lock (lookups need
    /// it), and an entry busy generating is skipped rather than waited for.
    private func dropOldestCaches() {
        let entries = state.read { Array($0.entriesByID.values) }
        let cached = entries.compactMap { entry in entry.droppableCacheStamp.map { (entry, $0) } }.sorted { $0.1 < $1.1 }
        for (entry, _) in cached where budget.totalCachedBytes > budget.limits.maxCachedBytes {
            entry.dropCachedReport()
        }
    }

    /// Long enough for a RELEASE on a loaded machine; paid only after closing a dup'ed or
    /// inherited inblob descriptor that still had uncommitted writes.
    public static let defaultReleaseWait: Duration = .seconds(1)

    /// `CLOCK_REALTIME`.
    public static let realtimeClock: @Sendable () -> Timestamp = {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Timestamp(seconds: now.tv_sec, nanoseconds: now.tv_nsec)
    }

    /// Registers or unregisters the provider at run time. Existing entries keep their
    /// attribute files; new generations use the new provider (or fail with ENXIO).
    public func setProvider(_ provider: (any ReportProvider)?) {
        providerSlot.replace(with: provider)
    }

    /// The number of report entries.
    public var entryCount: Int { state.read { $0.entriesByID.count } }

    // MARK: lookup and attributes

    /// Resolves `name` in the directory `parent`.
    public func lookup(parent: Inode, name: FileName) throws(Errno) -> NodeStat {
        guard name.count <= Self.nameMax else { throw .fileNameTooLong }
        switch parent.node {
        case .configRoot:
            guard name == "tsm", kernel.hasConfigfsTSM else { throw .noSuchFileOrDirectory }
            return try nodeStat(of: .tsm)
        case .tsm:
            guard name == "report" else { throw .noSuchFileOrDirectory }
            return try nodeStat(of: .report)
        case .report:
            guard let entry = state.read({ $0.entriesByName[name] }) else { throw .noSuchFileOrDirectory }
            return try nodeStat(of: Inode.entryDirectory(entry.id))
        case .entry(let id):
            // The attribute's stat fails with ENOENT unless the entry exists and shows it.
            guard let attribute = ReportAttribute(fileName: name) else { throw .noSuchFileOrDirectory }
            return try nodeStat(of: Inode.attribute(attribute, ofEntry: id))
        case .attribute:
            throw .notDirectory
        case .invalid:
            throw .noSuchFileOrDirectory
        }
    }

    /// The `stat` of a node.
    public func nodeStat(of inode: Inode) throws(Errno) -> NodeStat {
        try state.read { (state: borrowing State) throws(Errno) -> NodeStat in try stat(of: inode, in: state) }
    }

    private func stat(of inode: Inode, in state: borrowing State) throws(Errno) -> NodeStat {
        let base = try baseStat(of: inode, in: state)
        // Nearly always empty: no hashing then.
        guard !state.metadataChanges.isEmpty, let change = state.metadataChanges[inode] else { return base }
        return change.applied(to: base)
    }

    /// The `stat` of an attribute reached through an open descriptor, which stays valid
    /// after its entry was removed (fstat on an fd that outlived rmdir).
    public func nodeStat(of file: OpenAttribute) -> NodeStat {
        let inode = Inode.attribute(file.attribute, ofEntry: file.entry.id)
        return (try? nodeStat(of: inode)) ?? fileStat(inode, file.attribute, created: file.entry.created)
    }

    private func baseStat(of inode: Inode, in state: borrowing State) throws(Errno) -> NodeStat {
        switch inode.node {
        case .configRoot:
            return directoryStat(inode, subdirectories: kernel.hasConfigfsTSM ? 1 : 0, changed: mounted)
        case .tsm where !kernel.hasConfigfsTSM, .report where !kernel.hasConfigfsTSM:
            // A kernel before configfs-tsm: the configfs root is empty.
            throw .noSuchFileOrDirectory
        case .tsm:
            return directoryStat(inode, subdirectories: 1, changed: mounted)
        case .report:
            return directoryStat(inode, subdirectories: state.entriesByID.count, changed: state.reportChanged)
        case .entry(let id):
            guard let entry = state.entriesByID[id] else { throw .noSuchFileOrDirectory }
            return directoryStat(inode, subdirectories: 0, changed: entry.created)
        case .attribute(let id, let attribute):
            guard let entry = state.entriesByID[id], entry.attributes.contains(attribute) else {
                throw .noSuchFileOrDirectory
            }
            return fileStat(inode, attribute, created: entry.created)
        case .invalid:
            throw .noSuchFileOrDirectory
        }
    }

    private func directoryStat(_ inode: Inode, subdirectories: Int, changed: Timestamp) -> NodeStat {
        NodeStat(
            inode: inode, kind: .directory, permissions: 0o755,
            linkCount: UInt32(2 + subdirectories), owner: owner, size: 0,
            blockSize: Self.pageSize,
            accessTime: changed, modificationTime: changed, changeTime: changed)
    }

    private func fileStat(_ inode: Inode, _ attribute: ReportAttribute, created: Timestamp) -> NodeStat {
        NodeStat(
            inode: inode, kind: .regularFile, permissions: attribute.method.permissions,
            linkCount: 1, owner: owner, size: attribute.isBinary ? 0 : UInt64(Self.pageSize),
            blockSize: Self.pageSize,
            accessTime: created, modificationTime: created, changeTime: created)
    }

    /// chmod/chown/utimes/truncate. configfs persists mode, owner and times; a size change
    /// (O_TRUNC, truncate(1)) is accepted and changes nothing.
    public func changeMetadata(of inode: Inode, _ change: MetadataChange) throws(Errno) -> NodeStat {
        var change = change
        change.changeTime = clock()
        try state.write { (state: inout State) throws(Errno) in
            _ = try baseStat(of: inode, in: state)
            state.metadataChanges[inode, default: MetadataChange()].merge(change)
        }
        return try nodeStat(of: inode)
    }

    // MARK: directories

    /// mkdir: only `tsm/report/` creates entries; the requested mode is ignored (always 0755).
    public func makeDirectory(parent: Inode, name: FileName) throws(Errno) -> NodeStat {
        guard name.count <= Self.nameMax else { throw .fileNameTooLong }
        guard parent == .report, kernel.hasConfigfsTSM else {
            if case .invalid = parent.node { throw .noSuchFileOrDirectory }
            if !kernel.hasConfigfsTSM { throw .noSuchFileOrDirectory }
            throw .notPermitted
        }
        guard let visible = providerSlot.registration?.visibleAttributes else { throw .noSuchAddressOrDevice }
        let now = clock()
        let entry = try state.write { (state: inout State) throws(Errno) -> ReportEntry in
            guard state.entriesByName[name] == nil else { throw .fileExists }
            guard state.entriesByID.count < budget.limits.maxEntries else { throw .noMemory }
            state.lastEntryID += 1
            let entry = ReportEntry(
                id: state.lastEntryID, name: name, attributes: visible, created: now,
                providerSlot: providerSlot, diagnostics: diagnostics, budget: budget,
                releaseWait: releaseWait, outblobMax: kernel.outblobMax)
            state.entriesByName[name] = entry
            state.entriesByID[entry.id] = entry
            state.mostEntriesSinceEmpty = max(state.mostEntriesSinceEmpty, state.entriesByID.count)
            state.reportChanged = now
            return entry
        }
        return try nodeStat(of: Inode.entryDirectory(entry.id))
    }

    /// rmdir: removes a report entry even though it holds attribute files. Open descriptors
    /// of the entry stay valid and fail with ENOENT from then on.
    /// - Returns: whether this emptied a tree that held at least ``entriesWorthReclaiming``
    ///   entries at once: a moment to hand the memory they used back to the system.
    @discardableResult
    public func removeDirectory(parent: Inode, name: FileName) throws(Errno) -> Bool {
        switch parent.node {
        case .report:
            let now = clock()
            let (entry, reclaim) = try state.write { (state: inout State) throws(Errno) -> (ReportEntry, Bool) in
                guard let entry = state.entriesByName.removeValue(forKey: name) else { throw .noSuchFileOrDirectory }
                state.entriesByID[entry.id] = nil
                if !state.metadataChanges.isEmpty {
                    state.metadataChanges[Inode.entryDirectory(entry.id)] = nil
                    for attribute in entry.attributes {
                        state.metadataChanges[Inode.attribute(attribute, ofEntry: entry.id)] = nil
                    }
                }
                state.reportChanged = now
                guard state.entriesByID.isEmpty else { return (entry, false) }
                defer { state.mostEntriesSinceEmpty = 0 }
                return (entry, state.mostEntriesSinceEmpty >= Self.entriesWorthReclaiming)
            }
            entry.markRemoved()
            return reclaim
        case .configRoot:
            guard name == "tsm" else { throw .noSuchFileOrDirectory }
            throw .notPermitted
        case .tsm:
            guard name == "report" else { throw .noSuchFileOrDirectory }
            throw .notPermitted
        case .entry(let id):
            guard let entry = entry(id), let attribute = ReportAttribute(fileName: name),
                entry.attributes.contains(attribute)
            else { throw .noSuchFileOrDirectory }
            throw .notDirectory
        case .attribute:
            throw .notDirectory
        case .invalid:
            throw .noSuchFileOrDirectory
        }
    }

    /// The listing of a directory in configfs order: `.`, `..`, then children newest first
    /// (configfs adds each new child at the head of the list).
    public func listDirectory(_ inode: Inode) throws(Errno) -> [DirectoryEntry] {
        let parent: Inode
        var children: [DirectoryEntry]
        switch inode.node {
        case .configRoot:
            parent = .configRoot
            children = kernel.hasConfigfsTSM ? [DirectoryEntry(name: "tsm", inode: .tsm, kind: .directory)] : []
        case .tsm where !kernel.hasConfigfsTSM, .report where !kernel.hasConfigfsTSM:
            throw .noSuchFileOrDirectory
        case .tsm:
            parent = .configRoot
            children = [DirectoryEntry(name: "report", inode: .report, kind: .directory)]
        case .report:
            parent = .tsm
            children = state.read { state in
                state.entriesByID.values.sorted { $0.id > $1.id }.map {
                    DirectoryEntry(name: $0.name, inode: Inode.entryDirectory($0.id), kind: .directory)
                }
            }
        case .entry(let id):
            guard let entry = entry(id) else { throw .noSuchFileOrDirectory }
            parent = .report
            children = entry.attributes.reversed().map {
                DirectoryEntry(name: FileName($0.fileName), inode: Inode.attribute($0, ofEntry: id), kind: .regularFile)
            }
        case .attribute:
            throw .notDirectory
        case .invalid:
            throw .noSuchFileOrDirectory
        }
        return [
            DirectoryEntry(name: ".", inode: inode, kind: .directory),
            DirectoryEntry(name: "..", inode: parent, kind: .directory),
        ] + children
    }

    // MARK: files

    /// open(2) of an attribute. configfs refuses — even for root — a write-open unless the
    /// mode has a write bit and the attribute a store method, and likewise for reads.
    public func open(_ inode: Inode, mode: AccessMode) throws(Errno) -> OpenAttribute {
        guard case .attribute(let id, let attribute) = inode.node else {
            if case .invalid = inode.node { throw .noSuchFileOrDirectory }
            throw .isDirectory
        }
        // The entry and the file's mode in one read of the tree.
        let (entry, permissions) = try state.read { (state: borrowing State) throws(Errno) -> (ReportEntry, UInt32) in
            // ENOENT unless the entry exists and shows this attribute.
            let permissions = try stat(of: inode, in: state).permissions
            return (state.entriesByID[id]!, permissions)
        }
        if mode.write {
            guard permissions & 0o222 != 0, attribute.method.isWritable else { throw .permissionDenied }
        }
        if mode.read {
            guard permissions & 0o444 != 0, attribute.method.isReadable else { throw .permissionDenied }
        }
        return OpenAttribute(entry: entry, attribute: attribute)
    }

    /// The entry with this number, if it still exists.
    public func entry(_ id: UInt64) -> ReportEntry? {
        state.read { $0.entriesByID[id] }
    }

    /// The entry with this name, if it exists.
    public func entry(named name: FileName) -> ReportEntry? {
        state.read { $0.entriesByName[name] }
    }
}
