import ByteLayout
import ProviderKit
import Synchronization
import SystemPackage

/// One `tsm/report/<name>` directory: its inputs, its generation counters and its cached
/// report. Every method mirrors one `show`/`store`/`read`/`write` of drivers/virt/coco/guest/report.c,
/// with the same checks in the same order, so each errno is the kernel's.
///
/// The kernel serialises all of configfs-tsm behind one rwsem; here each entry has its own
/// lock, held for a whole generation, so one entry sees exactly the kernel's ordering while
/// different entries proceed in parallel. Where it stands among the other locks: ``ReportTree``.
public final class ReportEntry: Sendable {
    /// The limit on outblob/auxblob/manifestblob (`TSM_REPORT_OUTBLOB_MAX`) of the kernel served.
    public let outblobMax: Int
    /// The privilege level ceiling (`TSM_REPORT_PRIVLEVEL_MAX`).
    public static let privlevelMax: UInt32 = 3

    public let id: UInt64
    public let name: FileName
    /// The attribute files, chosen by the provider at mkdir time and never changed afterwards.
    public let attributes: [ReportAttribute]
    let created: Timestamp
    private let providerSlot: ProviderSlot
    private let diagnostics: Diagnostics
    private let budget: ResourceBudget
    private let state: Mutex<State>
    /// Closes of this entry's inblob descriptors whose RELEASE may still come.
    let pendingCloses: PendingCloses

    struct State {
        var request = ReportRequest()
        var writeGeneration: UInt64 = 0
        var readGeneration: UInt64 = 0
        var report: GeneratedReport?
        /// The request the cached report answers, serial included, while the provider could
        /// build the same bytes from it again: then the cache may be dropped and rebuilt.
        var rebuildableRequest: ReportRequest?
        /// When the cached report was generated (for dropping the oldest caches first).
        var reportStamp: UInt64 = 0
        var isRemoved = false

        /// `try_advance_write_generation()`: refuses to wrap onto the cached report's generation.
        mutating func advanceWriteGeneration() throws(Errno) {
            guard writeGeneration != readGeneration &- 1 else { throw .resourceBusy }
            writeGeneration &+= 1
        }
    }

    init(
        id: UInt64, name: FileName, attributes: [ReportAttribute], created: Timestamp,
        providerSlot: ProviderSlot, diagnostics: Diagnostics, budget: ResourceBudget,
        releaseWait: Duration, outblobMax: Int
    ) {
        self.outblobMax = outblobMax
        self.pendingCloses = PendingCloses(patience: releaseWait)
        self.diagnostics = diagnostics
        self.budget = budget
        self.id = id
        self.name = name
        self.attributes = attributes
        self.created = created
        self.providerSlot = providerSlot
        self.state = Mutex(State())
    }

    /// Whether rmdir removed this entry (configfs' `frag_dead`): open files then fail with ENOENT.
    public var isRemoved: Bool { state.withLock { $0.isRemoved } }

    /// Marks the entry removed and releases its cached report.
    func markRemoved() {
        let released = state.withLock { state -> Int in
            state.isRemoved = true
            state.rebuildableRequest = nil
            defer { state.report = nil }
            return state.report?.byteCount ?? 0
        }
        _ = budget.account(-released)
    }

    /// When the cached report was generated, if there is one that can be dropped and rebuilt;
    /// nil too while a generation holds the entry (it will account for itself).
    var droppableCacheStamp: UInt64? {
        state.withLockIfAvailable { $0.report != nil && $0.rebuildableRequest != nil ? $0.reportStamp : nil } ?? nil
    }

    /// Drops the cached report (the cache is over its cap) if the provider can rebuild it
    /// byte for byte: the next read then rebuilds it from the same request, as if it had stayed.
    func dropCachedReport() {
        let released = state.withLock { state -> Int in
            guard state.rebuildableRequest != nil else { return 0 }
            defer { state.report = nil }
            return state.report?.byteCount ?? 0
        }
        _ = budget.account(-released)
    }

    // MARK: text attributes

    /// `show()`: the bytes a text attribute reads.
    func show(_ attribute: ReportAttribute) throws(Errno) -> [UInt8] {
        guard case .show(let show) = attribute.method else { throw .permissionDenied }
        pendingCloses.wait()
        let provider = providerSlot.provider
        return try state.withLock { (state: inout State) throws(Errno) -> [UInt8] in
            guard !state.isRemoved else { throw .noSuchFileOrDirectory }
            return Self.sysfsEmit(try show(state, provider))
        }
    }

    /// `sysfs_emit()`: formats into one page, so at most a page less the terminating NUL.
    static func sysfsEmit(_ text: String) -> [UInt8] {
        // Copied whole (one contiguous copy), then cut: a prefix of the view copies byte by byte.
        var bytes = Array(text.utf8)
        let limit = Int(ReportTree.pageSize) - 1
        if bytes.count > limit { bytes.removeSubrange(limit...) }
        return bytes
    }

    /// `store()`: delivers one write(2) to a text attribute; returns the accepted byte count.
    func store(_ attribute: ReportAttribute, _ bytes: [UInt8]) throws(Errno) -> Int {
        guard case .store(let store) = attribute.method else { throw .permissionDenied }
        pendingCloses.wait()
        let provider = providerSlot.provider
        try mutate { (state: inout State) throws(Errno) in try store(&state, bytes, provider) }
        return bytes.count
    }

    /// Runs a store under the entry lock, refusing entries that rmdir removed.
    private func mutate(_ body: (inout State) throws(Errno) -> Void) throws(Errno) {
        try state.withLock { (state: inout State) throws(Errno) in
            guard !state.isRemoved else { throw .noSuchFileOrDirectory }
            try body(&state)
        }
    }

    // MARK: binary attributes

    /// `tsm_report_inblob_write()`, called when an inblob open file is released. Like the kernel,
    /// the result is dropped by configfs, so this reports nothing.
    func commitInblob(_ bytes: [UInt8]) {
        try? mutate { (state: inout State) throws(Errno) in
            try state.advanceWriteGeneration()
            state.request.inblob = bytes
        }
    }

    /// `tsm_report_read()`: the selected blob from the cached report, generating a new report
    /// first when the inputs changed since the last one (or no report was ever generated).
    func readBlob(_ attribute: ReportAttribute) throws(Errno) -> Blob {
        pendingCloses.wait()
        var cacheDelta = 0
        defer {
            // Outside the entry lock: enforcing the cap locks other entries.
            if cacheDelta != 0, budget.account(cacheDelta) { budget.overCap.withLock { $0 }?() }
        }
        return try state.withLock { (state: inout State) throws(Errno) -> Blob in
            guard !state.isRemoved else { throw .noSuchFileOrDirectory }
            guard !state.request.inblob.isEmpty else { throw .invalidArgument }
            if state.readGeneration == state.writeGeneration {
                if let report = state.report { return report.blob(for: attribute) }
                // The cache was dropped over the cap: this generation's report, rebuilt exactly.
                if let request = state.rebuildableRequest {
                    guard let provider = providerSlot.provider else { throw .noSuchAddressOrDevice }
                    let report = try generate(request, by: provider)
                    state.report = report
                    cacheDelta += report.byteCount
                    return report.blob(for: attribute)
                }
            }
            guard let provider = providerSlot.provider else { throw .noSuchAddressOrDevice }
            cacheDelta -= state.report?.byteCount ?? 0
            state.report = nil
            state.rebuildableRequest = nil
            var request = state.request
            request.generation = state.writeGeneration
            request.serial = budget.nextSerial()
            request.platformState = provider.capturePlatformState()
            let report = try generate(request, by: provider)
            state.report = report
            if provider.rebuildsReportsExactly {
                request.rebuildMaterial = report.rebuildMaterial
                state.rebuildableRequest = request
            } else {
                state.rebuildableRequest = nil
            }
            state.reportStamp = budget.nextStamp()
            cacheDelta += report.byteCount
            state.readGeneration = state.writeGeneration
            return report.blob(for: attribute)
        }
    }

    /// One provider generation within the concurrency cap, its failure logged for the daemon.
    private func generate(_ request: ReportRequest, by provider: any ReportProvider) throws(Errno) -> GeneratedReport {
        try budget.generating { () throws(Errno) -> GeneratedReport in
            do throws(ProviderError) {
                return try provider.generateReport(for: request)
            } catch {
                diagnostics.generationFailed(name.description, error)
                throw error.errno
            }
        }
    }

    // MARK: test support

    /// Sets the generation counters, to reach states (such as wrap-around) that would take
    /// 2^64 writes through the filesystem.
    package func setGenerations(write: UInt64, read: UInt64) {
        state.withLock {
            $0.writeGeneration = write
            $0.readGeneration = read
        }
    }

    /// The write generation, as `generation` reads it.
    public var writeGeneration: UInt64 { state.withLock { $0.writeGeneration } }
}
