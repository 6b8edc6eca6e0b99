import CFuse3
import ConfigfsTSM
import EchoProvider
import Glibc
import Logging
import ProviderKit
import SystemPackage
import Testing

@testable import FUSEAdapter

/// Records the one answer the dispatcher gives a request.
final class RecordedReply: FUSEReply {
    enum Answer: Equatable {
        case error(Int32)
        case entry(inode: UInt64, mode: UInt32)
        case attr(mode: UInt32, size: Int)
        case open(handle: Bool, directIO: Bool, nonseekable: Bool)
        case data([UInt8])
        case written(Int)
        case buffer([UInt8])
        case statfs(blockSize: UInt, nameMax: UInt)
        case xattrSize(Int)
        case link(String)
        case ioctl(result: Int32, output: [UInt8])
    }

    private(set) var answers: [Answer] = []
    var answer: Answer? { answers.count == 1 ? answers[0] : nil }

    func error(_ errno: Int32) { answers.append(.error(errno)) }
    func entry(_ entry: inout fuse_entry_param) { answers.append(.entry(inode: entry.ino, mode: entry.attr.st_mode)) }
    func attr(_ attributes: inout stat, timeout: Double) {
        answers.append(.attr(mode: attributes.st_mode, size: Int(attributes.st_size)))
    }
    func open(_ file: UnsafeMutablePointer<fuse_file_info>) {
        answers.append(
            .open(
                handle: file.pointee.fh != 0, directIO: file.pointee.direct_io != 0,
                nonseekable: file.pointee.nonseekable != 0))
    }
    func iov(_ pieces: UnsafeBufferPointer<UnsafeRawBufferPointer>) { answers.append(.data(pieces.flatMap { Array($0) })) }
    func write(_ count: Int) { answers.append(.written(count)) }
    func buffer(_ bytes: UnsafeRawBufferPointer) { answers.append(.buffer(Array(bytes))) }
    func statfs(_ info: inout statvfs) { answers.append(.statfs(blockSize: info.f_bsize, nameMax: info.f_namemax)) }
    func readlink(_ target: String) { answers.append(.link(target)) }
    func ioctl(result: Int32, output: [UInt8]) { answers.append(.ioctl(result: result, output: output)) }
    func xattrSize(_ size: Int) { answers.append(.xattrSize(size)) }
}

/// The FUSE adapter's dispatch, driven in-process: each request is answered once, with the tree's
/// result or errno, and open files carry the flags configfs semantics need.
@Suite struct DispatchTests {
    let dispatcher = RequestDispatcher(
        tree: ConfigfsFiles(ReportTree(provider: EchoProvider())), timeouts: .standard,
        logger: Logger(label: "test"))

    /// Runs one request with a fresh recorder; returns its single answer.
    func ask(_ request: (RecordedReply) -> Void) -> RecordedReply.Answer? {
        let reply = RecordedReply()
        request(reply)
        return reply.answer
    }

    func named(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> Void) {
        (bytes + [0]).map { CChar(bitPattern: $0) }.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    func makeEntry(_ name: [UInt8]) -> UInt64? {
        var answer: RecordedReply.Answer?
        named(name) { name in answer = ask { dispatcher.mkdir($0, 3, name) } }
        guard case .entry(let inode, let mode)? = answer, mode & S_IFMT == S_IFDIR else { return nil }
        return inode
    }

    /// Opens `attribute` of the entry directory `entry`; the file info carries the handle.
    func open(_ entry: UInt64, _ attribute: String, flags: Int32) -> (RecordedReply.Answer?, fuse_file_info, UInt64) {
        var lookedUp: RecordedReply.Answer?
        named(Array(attribute.utf8)) { name in lookedUp = ask { dispatcher.lookup($0, entry, name) } }
        guard case .entry(let inode, _)? = lookedUp else { return (lookedUp, fuse_file_info(), 0) }
        var info = fuse_file_info()
        info.flags = flags
        let answer = ask { dispatcher.open($0, inode, &info) }
        return (answer, info, inode)
    }

    /// Parses a readdir buffer (struct fuse_dirent records) into names.
    static func names(_ buffer: [UInt8]) -> [[UInt8]] {
        var names: [[UInt8]] = []
        var position = 0
        while position + 24 <= buffer.count {
            let length = Int(buffer[position + 16]) | Int(buffer[position + 17]) << 8
            names.append(Array(buffer[position + 24..<position + 24 + length]))
            position += (24 + length + 7) & ~7
        }
        return names
    }

    @Test func namespaceRequestsAnswerWithEntriesOrTheKernelsErrno() {
        let name: [UInt8] = [0x61, 0xFF, 0xC3, 0xA9]
        guard let entry = makeEntry(name) else {
            Issue.record("mkdir failed")
            return
        }
        named(name) { name in
            #expect(ask { dispatcher.mkdir($0, 3, name) } == .error(EEXIST))
            #expect(ask { dispatcher.lookup($0, 3, name) } == .entry(inode: entry, mode: S_IFDIR | 0o755))
            #expect(ask { dispatcher.refuse($0, "UNLINK", 3, name, .notPermitted) } == .error(EPERM))
            #expect(ask { dispatcher.mkdir($0, 2, name) } == .error(EPERM))
        }
        named(Array("outblob".utf8)) { name in
            guard case .entry(let inode, let mode)? = ask({ dispatcher.lookup($0, entry, name) }) else {
                Issue.record("lookup of outblob failed")
                return
            }
            #expect(mode == S_IFREG | 0o444)
            #expect(ask { dispatcher.getattr($0, inode, nil) } == .attr(mode: S_IFREG | 0o444, size: 0))
        }
        var info = fuse_file_info()
        #expect(ask { dispatcher.opendir($0, 3, &info) } == .open(handle: true, directIO: false, nonseekable: false))
        guard case .buffer(let listing)? = ask({ dispatcher.readdir($0, 3, 4096, 0, &info) }) else {
            Issue.record("readdir gave no buffer")
            return
        }
        #expect(Self.names(listing) == [Array(".".utf8), Array("..".utf8), name])
        #expect(ask { dispatcher.releasedir($0, 3, &info) } == .error(0))
        named(name) { name in #expect(ask { dispatcher.rmdir($0, 3, name) } == .error(0)) }
        #expect(ask { dispatcher.getattr($0, entry, nil) } == .error(ENOENT))
    }

    @Test func filesCommitAtReleaseAndReadThroughDirectIO() {
        guard let entry = makeEntry(Array("r".utf8)) else {
            Issue.record("mkdir failed")
            return
        }
        var (answer, inblob, inblobInode) = open(entry, "inblob", flags: O_WRONLY)
        #expect(answer == .open(handle: true, directIO: true, nonseekable: false))
        let nonce = [UInt8](repeating: 0x42, count: 64)
        nonce.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { text in
                #expect(ask { dispatcher.write($0, inblobInode, text.baseAddress, 64, 0, &inblob) } == .written(64))
                #expect(ask { dispatcher.write($0, inblobInode, text.baseAddress, 1, 64, &inblob) } == .error(EFBIG))
            }
        }
        #expect(ask { dispatcher.flush($0, inblobInode, &inblob) } == .error(0))
        #expect(ask { dispatcher.release($0, inblobInode, &inblob) } == .error(0))

        var (opened, outblob, outblobInode) = open(entry, "outblob", flags: O_RDONLY)
        #expect(opened == .open(handle: true, directIO: true, nonseekable: true))
        guard case .data(let report)? = ask({ dispatcher.read($0, outblobInode, 65536, 0, &outblob) }) else {
            Issue.record("read gave no data")
            return
        }
        #expect(EchoReport(outblob: report)?.request.inblob == nonce)
        #expect(ask { dispatcher.read($0, outblobInode, 4096, off_t(report.count), &outblob) } == .data([]))
        #expect(ask { dispatcher.release($0, outblobInode, &outblob) } == .error(0))

        #expect(open(entry, "generation", flags: O_WRONLY).0 == .error(EACCES))
        #expect(open(entry, "inblob", flags: O_RDWR).0 == .error(EACCES))
        #expect(ask { dispatcher.read($0, outblobInode, 16, 0, nil) } == .error(EBADF))
    }

    @Test func callsConfigfsLacksAnswerAsConfigfs() {
        #expect(ask { dispatcher.fsync($0, 1) } == .error(EINVAL))
        #expect(ask { dispatcher.listxattr($0, 1, 0) } == .xattrSize(0))
        #expect(ask { dispatcher.listxattr($0, 1, 64) } == .buffer([]))
        #expect(ask { dispatcher.statfs($0, 1) } == .statfs(blockSize: 4096, nameMax: 255))
        #expect(ask { dispatcher.getattr($0, 1, nil) } == .attr(mode: S_IFDIR | 0o755, size: 0))
        #expect(ask { dispatcher.getattr($0, 0x7FFF_0000, nil) } == .error(ENOENT))
    }
}

extension DispatchTests {
    /// configfs attributes have no ioctl handler: the VFS answers ENOTTY.
    @Test func configfsFilesHaveNoIoctl() {
        guard let entry = makeEntry(Array("i".utf8)) else {
            Issue.record("mkdir failed")
            return
        }
        var (_, info, inode) = open(entry, "outblob", flags: O_RDONLY)
        #expect(ask { dispatcher.ioctl($0, inode, 0x5401, 0, &info, nil, 0, 0, caller: getpid()) } == .error(ENOTTY))
        #expect(ask { dispatcher.release($0, inode, &info) } == .error(0))
    }
}
