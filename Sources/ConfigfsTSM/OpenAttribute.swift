import ByteLayout
import ProviderKit
import Synchronization
import SystemPackage

/// One open file description of an attribute: configfs' `struct configfs_buffer`.
///
/// Text attributes snapshot `show()` on the first read (and again after a write on the same
/// descriptor) and hand every write straight to `store()`. Binary attributes buffer writes
/// until commit and snapshot the whole blob on the first read, so a descriptor keeps reading
/// the report it first saw even after the entry's inputs change.
public final class OpenAttribute: Sendable {
    /// configfs copies at most one page minus the terminating NUL per text write.
    public static let textWriteMax = 4095

    public let entry: ReportEntry
    public let attribute: ReportAttribute
    private let state: Mutex<State>

    private struct State {
        /// The text page or binary blob this descriptor reads from; `nil` until filled.
        var readBuffer: Blob?
        /// The binary write buffer (`bin_buffer`).
        var writeBuffer: [UInt8] = []
        /// configfs' `write_in_progress`: set by any binary write attempt, even a failed one.
        var writeInProgress = false
        /// configfs' `read_in_progress`.
        var readInProgress = false
        /// Writes made and not yet committed.
        var uncommitted = false
        /// The FUSE lock owners (one per file table: a process and its threads) that wrote; nearly
        /// always one.
        var writers = MostlyOneList<UInt64>()
        /// A writer closed its copy since the last write, so any close now may be the last.
        var writerClosed = false
    }

    init(entry: ReportEntry, attribute: ReportAttribute) {
        self.entry = entry
        self.attribute = attribute
        self.state = Mutex(State())
    }

    /// Reads up to `count` bytes at `offset`, passing them to `body` as the pieces of the
    /// blob's segments, without copying. Errors of the first read (no inblob, provider failure,
    /// removed entry) surface here.
    public func read(at offset: Int, count: Int, _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) -> Void) throws(Errno) {
        // The segments are copy-on-write: taking them under the lock is a retain, not a copy.
        try readBuffer().withRange(at: offset, length: count, body)
    }

    /// The bytes this descriptor reads, filled on first use.
    private func readBuffer() throws(Errno) -> Blob {
        try state.withLock { (state: inout State) throws(Errno) -> Blob in
            let buffer: Blob
            if attribute.isBinary {
                guard !state.writeInProgress else { throw .textFileBusy }
                state.readInProgress = true
                if let filled = state.readBuffer {
                    buffer = filled
                } else {
                    guard !entry.isRemoved else { throw .noSuchFileOrDirectory }
                    let blob = try entry.readBlob(attribute)
                    // An empty report is EOF and is queried again on the next read.
                    if blob.count > entry.outblobMax { throw .fileTooLarge }
                    if !blob.isEmpty { state.readBuffer = blob }
                    buffer = blob
                }
            } else {
                if let filled = state.readBuffer {
                    buffer = filled
                } else {
                    guard !entry.isRemoved else { throw .noSuchFileOrDirectory }
                    buffer = Blob(try entry.show(attribute))
                    state.readBuffer = buffer
                }
            }
            return buffer
        }
    }

    /// Writes `bytes` at `offset` for the file table `owner`; returns how many bytes write(2) reports.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int, owner: UInt64 = 0) throws(Errno) -> Int {
        try state.withLock { (state: inout State) throws(Errno) -> Int in
            if attribute.isBinary {
                // Written again: an earlier close of a copy of this descriptor was not its last.
                entry.pendingCloses.settled(ObjectIdentifier(self))
                state.writers.insert(owner)
                state.writerClosed = false
                return try Self.bufferBinaryWrite(&state, bytes, at: offset)
            }
            let accepted = Array(bytes.prefix(Self.textWriteMax))
            state.readBuffer = nil
            guard !accepted.isEmpty else { throw .badAddress }
            guard !entry.isRemoved else { throw .noSuchFileOrDirectory }
            return try entry.store(attribute, accepted)
        }
    }

    /// `configfs_bin_write_iter()`: grow the buffer (zero-filling holes) up to the 64-byte limit.
    private static func bufferBinaryWrite(
        _ state: inout State, _ bytes: UnsafeRawBufferPointer,
        at offset: Int
    ) throws(Errno) -> Int {
        guard !state.readInProgress else { throw .textFileBusy }
        state.writeInProgress = true
        state.uncommitted = true
        let (end, overflow) = offset.addingReportingOverflow(bytes.count)
        guard offset >= 0, !overflow, end <= ReportRequest.inblobMax else { throw .fileTooLarge }
        if end > state.writeBuffer.count {
            state.writeBuffer.append(contentsOf: repeatElement(0, count: end - state.writeBuffer.count))
        }
        state.writeBuffer.withUnsafeMutableBytes { destination in
            UnsafeMutableRawBufferPointer(rebasing: destination[offset..<end]).copyMemory(from: bytes)
        }
        guard !bytes.isEmpty else { throw .badAddress }
        return bytes.count
    }

    /// close(2) of this descriptor or of any copy of it (FUSE FLUSH) by the file table `owner`.
    /// Only the last close commits, and only RELEASE says which one that was; until it arrives,
    /// the entry's observers wait. A close by a file table that never wrote — a forked child's,
    /// or exec closing an O_CLOEXEC copy — while the writer still holds its copy is not the last,
    /// so it makes nobody wait.
    public func flush(owner: UInt64 = 0) {
        state.withLock { state in
            guard state.uncommitted, !entry.isRemoved else { return }
            if state.writers.contains(owner) { state.writerClosed = true }
            guard state.writerClosed else { return }
            entry.pendingCloses.closed(ObjectIdentifier(self))
        }
    }

    /// The last reference is gone (FUSE RELEASE): commit the buffered writes, as configfs does
    /// in `configfs_release_bin_file()`, unless rmdir removed the entry meanwhile.
    public func release() {
        state.withLock { state in
            guard state.uncommitted else { return }
            state.uncommitted = false
            guard !entry.isRemoved else { return }
            entry.commitInblob(state.writeBuffer)
        }
        entry.pendingCloses.settled(ObjectIdentifier(self))
    }
}
