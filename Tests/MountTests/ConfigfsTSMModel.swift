import ByteLayout
import EchoProvider
import Glibc
import ProviderKit

/// A reference model of one configfs-tsm mount with the echo provider (all attributes, floor 0),
/// written from the specification (the kernel's report.c and configfs, as docs/fidelity.md describes them), independently of the filesystem's core: it
/// predicts the result or errno of every operation the model test performs.
final class ConfigfsTSMModel {
    final class Entry {
        var writeGeneration: UInt64 = 0
        var readGeneration: UInt64 = 0
        var request = ReportRequest()
        var cached: GeneratedReport?
        var removed = false
    }

    /// An open file description: shared by dup'ed descriptors and by child processes holding it.
    final class OpenFile {
        var entry: Entry
        var attribute: ReportAttribute
        var canRead: Bool
        var canWrite: Bool
        var position = 0
        var readBuffer: [UInt8]?
        var writeBuffer: [UInt8] = []
        var uncommitted = false
        /// Descriptors and holders referring to it; the last one's close commits.
        var references = 1

        init(entry: Entry, attribute: ReportAttribute, canRead: Bool, canWrite: Bool) {
            self.entry = entry
            self.attribute = attribute
            self.canRead = canRead
            self.canWrite = canWrite
        }
    }

    /// What an operation returned.
    enum Outcome: Equatable, CustomStringConvertible {
        case ok
        case count(Int)
        case bytes([UInt8])
        case error(Int32)

        var description: String {
            switch self {
            case .ok: "ok"
            case .count(let n): "\(n)"
            case .bytes(let b): "\(b.count) bytes"
            case .error(let e): "errno \(e) (\(String(cString: strerror(e))))"
            }
        }
    }

    var entries: [[UInt8]: Entry] = [:]
    var descriptors: [Int: OpenFile] = [:]
    /// Open files held by child processes, by holder number.
    var holders: [Int: OpenFile] = [:]
    /// The echo provider's report count, shared by every entry.
    var serial: UInt64 = 0

    /// `NAME_MAX`: the VFS refuses longer names before any filesystem sees them.
    static let nameMax = 255

    func mkdir(_ name: [UInt8]) -> Outcome {
        guard name.count <= Self.nameMax else { return .error(ENAMETOOLONG) }
        // The VFS answers for "." and "..", which always exist.
        guard entries[name] == nil, name != Array(".".utf8), name != Array("..".utf8) else { return .error(EEXIST) }
        entries[name] = Entry()
        return .ok
    }

    func rmdir(_ name: [UInt8]) -> Outcome {
        guard name.count <= Self.nameMax else { return .error(ENAMETOOLONG) }
        if name == Array(".".utf8) { return .error(EINVAL) }
        if name == Array("..".utf8) { return .error(ENOTEMPTY) }
        guard let entry = entries.removeValue(forKey: name) else { return .error(ENOENT) }
        entry.removed = true
        return .ok
    }

    func open(_ id: Int, _ name: [UInt8], _ attribute: ReportAttribute, read: Bool, write: Bool) -> Outcome {
        guard name.count <= Self.nameMax else { return .error(ENAMETOOLONG) }
        guard let entry = entries[name] else { return .error(ENOENT) }
        if write && attribute.isReadOnly { return .error(EACCES) }
        if read && !attribute.isReadOnly { return .error(EACCES) }
        descriptors[id] = OpenFile(entry: entry, attribute: attribute, canRead: read, canWrite: write)
        return .ok
    }

    /// dup(2): another descriptor for the same open file description.
    func dup(_ id: Int, as copy: Int) -> Outcome {
        guard let file = descriptors[id] else { return .error(EBADF) }
        file.references += 1
        descriptors[copy] = file
        return .ok
    }

    /// A child process inherits the descriptor and keeps it open.
    func hand(_ id: Int, to holder: Int) -> Outcome {
        guard let file = descriptors[id] else { return .error(EBADF) }
        file.references += 1
        holders[holder] = file
        return .ok
    }

    /// The child holding `holder` exits, closing its copy.
    func exit(_ holder: Int) -> Outcome {
        guard let file = holders.removeValue(forKey: holder) else { return .error(ECHILD) }
        drop(file)
        return .ok
    }

    func write(_ id: Int, _ bytes: [UInt8], at offset: Int?) -> Outcome {
        // Report blobs are non-seekable (tsmfs' documented FUSE difference, docs/fidelity.md), and
        // pwrite checks seekability before the open mode.
        if offset != nil, let fd = descriptors[id], fd.attribute.isReportBlob { return .error(ESPIPE) }
        guard let fd = descriptors[id], fd.canWrite else { return .error(EBADF) }
        if fd.attribute == .inblob {
            let start = offset ?? fd.position
            fd.uncommitted = true
            let end = start + bytes.count
            guard end <= 64 else { return .error(EFBIG) }
            if end > fd.writeBuffer.count { fd.writeBuffer += [UInt8](repeating: 0, count: end - fd.writeBuffer.count) }
            fd.writeBuffer.replaceSubrange(start..<end, with: bytes)
            if offset == nil { fd.position = end }
            return .count(bytes.count)
        }
        let accepted = Array(bytes.prefix(4095))
        fd.readBuffer = nil
        guard !fd.entry.removed else { return .error(ENOENT) }
        if let errno = store(fd.attribute, accepted, fd.entry) { return .error(errno) }
        return .count(accepted.count)
    }

    func read(_ id: Int, count: Int) -> Outcome {
        guard let fd = descriptors[id], fd.canRead else { return .error(EBADF) }
        if fd.readBuffer == nil {
            guard !fd.entry.removed else { return .error(ENOENT) }
            let content: [UInt8]
            switch fd.attribute {
            case .generation: content = Array("\(fd.entry.writeGeneration)\n".utf8)
            case .provider: content = Array("tsmfs_echo\n".utf8)
            case .privlevelFloor: content = Array("0\n".utf8)
            default:
                guard !fd.entry.request.inblob.isEmpty else { return .error(EINVAL) }
                content = report(fd.entry).blob(for: fd.attribute).bytes
                if content.isEmpty { return .bytes([]) }
            }
            fd.readBuffer = content
        }
        let buffer = fd.readBuffer!
        let start = min(fd.position, buffer.count)
        let slice = Array(buffer[start..<min(buffer.count, start + count)])
        fd.position += slice.count
        return .bytes(slice)
    }

    func close(_ id: Int) -> Outcome {
        guard let fd = descriptors.removeValue(forKey: id) else { return .error(EBADF) }
        drop(fd)
        return .ok
    }

    /// One reference fewer; configfs commits an inblob at the last one, unless rmdir came first.
    private func drop(_ file: OpenFile) {
        file.references -= 1
        guard file.references == 0, file.uncommitted, !file.entry.removed else { return }
        file.entry.writeGeneration += 1
        file.entry.request.inblob = file.writeBuffer
    }

    /// The cached report, or a new one when the inputs changed since it was made.
    private func report(_ entry: Entry) -> GeneratedReport {
        if let cached = entry.cached, entry.readGeneration == entry.writeGeneration { return cached }
        serial += 1
        var request = entry.request
        request.generation = entry.writeGeneration
        let report = EchoReport(request: request, serial: serial).blobs
        entry.cached = report
        entry.readGeneration = entry.writeGeneration
        return report
    }

    /// A text attribute's store, with the kernel's order of checks; nil on success.
    private func store(_ attribute: ReportAttribute, _ bytes: [UInt8], _ entry: Entry) -> Int32? {
        switch attribute {
        case .privlevel:
            switch Self.kstrtouint(bytes) {
            case .failure(let failure): return failure.errno
            case .success(let value):
                guard value <= 3 else { return EINVAL }
                entry.writeGeneration += 1
                entry.request.privlevel = value
            }
        case .serviceManifestVersion:
            switch Self.kstrtouint(bytes) {
            case .failure(let failure): return failure.errno
            case .success(let value):
                entry.writeGeneration += 1
                entry.request.serviceManifestVersion = value
            }
        case .serviceProvider:
            entry.writeGeneration += 1
            let text = bytes.last == 0x0A ? Array(bytes.dropLast()) : bytes
            entry.request.serviceProvider = Array(text.prefix { $0 != 0 })
        case .serviceGUID:
            entry.writeGeneration += 1
            entry.request.serviceGUID = [UInt8](repeating: 0, count: 16)
            guard let guid = Self.guid(bytes) else { return EINVAL }
            entry.request.serviceGUID = guid
        default:
            return EACCES
        }
        return nil
    }

    /// kstrtouint(s, 0) as lib/kstrtox.c defines it.
    static func kstrtouint(_ raw: [UInt8]) -> Result<UInt32, ErrnoFailure> {
        var text = String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        if text.hasPrefix("+") { text.removeFirst() }
        var radix = 10
        var digits = Substring(text)
        if digits.hasPrefix("0x") || digits.hasPrefix("0X"), let third = digits.dropFirst(2).first, third.isHexDigit {
            radix = 16
            digits = digits.dropFirst(2)
        } else if digits.hasPrefix("0") {
            radix = 8
        }
        let body = digits.prefix { $0.isASCII && Int(String($0), radix: radix) != nil }
        var rest = digits.dropFirst(body.count)
        if rest.hasPrefix("\n") { rest.removeFirst() }
        guard !body.isEmpty else { return .failure(ErrnoFailure(EINVAL)) }
        guard let wide = UInt64(body, radix: radix) else { return .failure(ErrnoFailure(ERANGE)) }
        guard rest.isEmpty else { return .failure(ErrnoFailure(EINVAL)) }
        guard let value = UInt32(exactly: wide) else { return .failure(ErrnoFailure(ERANGE)) }
        return .success(value)
    }

    /// guid_parse: 36 characters, hyphens at 8, 13, 18, 23, hex elsewhere; guid_t byte order.
    static func guid(_ raw: [UInt8]) -> [UInt8]? {
        let text = Array(raw.prefix { $0 != 0 }.prefix(36))
        guard text.count == 36 else { return nil }
        var hex: [UInt8] = []
        for (index, byte) in text.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard byte == UInt8(ascii: "-") else { return nil }
            } else {
                guard let nibble = UInt8(String(UnicodeScalar(byte)), radix: 16) else { return nil }
                hex.append(nibble)
            }
        }
        let bytes = stride(from: 0, to: 32, by: 2).map { hex[$0] << 4 | hex[$0 + 1] }
        return Array(bytes[0..<4].reversed()) + Array(bytes[4..<6].reversed()) + Array(bytes[6..<8].reversed())
            + Array(bytes[8...])
    }
}

struct ErrnoFailure: Error, Equatable {
    var errno: Int32
    init(_ errno: Int32) { self.errno = errno }
}

extension ReportAttribute {
    /// The spec's table (§2.2): these are `_RO` (0444), every other attribute `_WO` (0200).
    var isReadOnly: Bool {
        [.generation, .provider, .privlevelFloor, .outblob, .auxblob, .manifestblob].contains(self)
    }
}
