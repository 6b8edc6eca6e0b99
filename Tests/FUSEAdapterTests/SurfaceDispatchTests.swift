import CFuse3
import FileTree
import Glibc
import GuestSurface
import Logging
import Synchronization
import SystemPackage
import Testing

@testable import FUSEAdapter

/// A device that answers every ioctl with its input reversed, and counts what it was asked.
private struct MirrorDevice: GuestDevice {
    var name: String { "mirror" }
    func ioctl(_ command: UInt32, argument: UInt64, input: [UInt8], memory: any CallerMemory) -> IoctlOutcome {
        command == 0xBAD ? .failure(.invalidArgument) : .success(input.reversed())
    }
}

/// A four-byte register whose extend replaces its value.
private final class ScratchRegister: RegisterFile {
    let name = "scratch"
    let size = 4
    let isWritable: Bool
    private let stored = Mutex<[UInt8]>([1, 2, 3, 4])
    init(writable: Bool) { isWritable = writable }
    func value() throws(Errno) -> [UInt8] { stored.withLock { $0 } }
    func extend(with data: [UInt8]) throws(Errno) { stored.withLock { $0 = data } }
}

/// The same dispatcher serving the guest surface tree: devices answer ioctl only, registers read
/// and write as sysfs binary attributes, and the fixed tree refuses to change shape.
@Suite struct SurfaceDispatchTests {
    let dispatcher: RequestDispatcher

    init() {
        let tree = SurfaceTree(
            [
                ("dev/mirror", .device(MirrorDevice())),
                ("sys/measurements/fixed", .register(ScratchRegister(writable: false))),
                ("sys/measurements/open", .register(ScratchRegister(writable: true))),
                ("sys/link", .symlink("measurements")),
            ], now: 1_700_000_000)
        dispatcher = RequestDispatcher(tree: SurfaceFiles(tree), timeouts: .standard, logger: Logger(label: "test"))
    }

    func ask(_ request: (RecordedReply) -> Void) -> RecordedReply.Answer? {
        let reply = RecordedReply()
        request(reply)
        return reply.answer
    }

    /// Looks `path` up component by component; returns the inode.
    func inode(_ path: String) -> UInt64? {
        var current: UInt64 = 1
        for component in path.split(separator: "/") {
            var answer: RecordedReply.Answer?
            String(component).withCString { name in answer = ask { dispatcher.lookup($0, current, name) } }
            guard case .entry(let inode, _)? = answer else { return nil }
            current = inode
        }
        return current
    }

    func open(_ path: String, flags: Int32) -> (RecordedReply.Answer?, fuse_file_info) {
        var info = fuse_file_info()
        info.flags = flags
        guard let inode = inode(path) else { return (nil, info) }
        return (ask { dispatcher.open($0, inode, &info) }, info)
    }

    @Test func devicesAnswerIoctlOnlyAndRefuseSeeking() throws {
        var (answer, info) = open("dev/mirror", flags: O_RDWR)
        #expect(answer == .open(handle: true, directIO: true, nonseekable: true))
        let device = try #require(inode("dev/mirror"))
        #expect(ask { dispatcher.read($0, device, 16, 0, &info) } == .error(EINVAL))
        #expect(ask { dispatcher.write($0, device, "x", 1, 0, &info) } == .error(EINVAL))
        let input: [UInt8] = [1, 2, 3]
        let reply = input.withUnsafeBytes { bytes in
            ask { dispatcher.ioctl($0, device, 0x1234, 0x1000, &info, bytes.baseAddress, 3, 3, caller: getpid()) }
        }
        #expect(reply == .ioctl(result: 0, output: [3, 2, 1]))
        #expect(ask { dispatcher.ioctl($0, device, 0xBAD, 0, &info, nil, 0, 0, caller: getpid()) } == .error(EINVAL))
        #expect(ask { dispatcher.fsync($0, device) } == .error(EINVAL))
        #expect(ask { dispatcher.getattr($0, device, &info) } == .attr(mode: S_IFREG | 0o600, size: 0))
        #expect(ask { dispatcher.release($0, device, &info) } == .error(0))
        #expect(ask { dispatcher.ioctl($0, device, 0x1234, 0, nil, nil, 0, 0, caller: getpid()) } == .error(EBADF))
    }

    @Test func registersReadAndWriteAsSysfsBinaryAttributes() throws {
        #expect(open("sys/measurements/fixed", flags: O_WRONLY).0 == .error(EACCES))
        var (answer, info) = open("sys/measurements/open", flags: O_RDWR)
        #expect(answer == .open(handle: true, directIO: true, nonseekable: false))
        let register = try #require(inode("sys/measurements/open"))
        #expect(ask { dispatcher.read($0, register, 4096, 1, &info) } == .data([2, 3, 4]))
        #expect(ask { dispatcher.write($0, register, "abc", 3, 0, &info) } == .error(EINVAL))
        #expect(ask { dispatcher.write($0, register, "abcd", 4, 0, &info) } == .written(4))
        #expect(ask { dispatcher.read($0, register, 4096, 0, &info) } == .data(Array("abcd".utf8)))
        #expect(ask { dispatcher.write($0, register, "abcd", 4, 4, &info) } == .error(EFBIG))
        // sysfs files have no ioctl.
        #expect(ask { dispatcher.ioctl($0, register, 0x1234, 0, &info, nil, 0, 0, caller: getpid()) } == .error(ENOTTY))
        #expect(ask { dispatcher.fsync($0, register) } == .error(0))
        #expect(ask { dispatcher.getattr($0, register, &info) } == .attr(mode: S_IFREG | 0o644, size: 4))
        #expect(ask { dispatcher.release($0, register, &info) } == .error(0))
    }

    @Test func theFixedTreeKeepsItsShape() throws {
        let link = try #require(inode("sys/link"))
        #expect(ask { dispatcher.readlink($0, link) } == .link("measurements"))
        #expect(ask { dispatcher.readlink($0, 1) } == .error(EINVAL))
        "new".withCString { name in
            #expect(ask { dispatcher.mkdir($0, 1, name) } == .error(EPERM))
            #expect(ask { dispatcher.rmdir($0, 1, name) } == .error(EPERM))
            #expect(ask { dispatcher.lookup($0, 1, name) } == .error(ENOENT))
            #expect(ask { dispatcher.lookup($0, 999, name) } == .error(ENOENT))
        }
        var info = fuse_file_info()
        info.flags = O_RDONLY
        #expect(ask { dispatcher.open($0, 1, &info) } == .error(EISDIR))
        let device = try #require(inode("dev/mirror"))
        #expect(ask { dispatcher.opendir($0, device, &info) } == .error(ENOTDIR))
        #expect(ask { dispatcher.opendir($0, 1, &info) } == .open(handle: true, directIO: false, nonseekable: false))
        guard case .buffer(let listing)? = ask({ dispatcher.readdir($0, 1, 4096, 0, &info) }) else {
            Issue.record("readdir gave no buffer")
            return
        }
        #expect(DispatchTests.names(listing) == [".", "..", "dev", "sys"].map { Array($0.utf8) })
        #expect(ask { dispatcher.releasedir($0, 1, &info) } == .error(0))
        #expect(ask { dispatcher.statfs($0, 1) } == .statfs(blockSize: 4096, nameMax: 255))
        #expect(ask { dispatcher.fsync($0, 1) } == .error(0))
        #expect(ask { dispatcher.listxattr($0, device, 0) } == .xattrSize(0))
    }

    /// FUSE reports pid 0 for a caller in another pid namespace; the surface says so once.
    @Test func anUnseenCallerIsReportedOnce() throws {
        let reports = Mutex(0)
        let files = SurfaceFiles(SurfaceTree([("mirror", .device(MirrorDevice()))], now: 0)) {
            reports.withLock { $0 += 1 }
        }
        let surface = RequestDispatcher(tree: files, timeouts: .standard, logger: Logger(label: "test"))
        var info = fuse_file_info()
        "mirror".withCString { name in _ = ask { surface.lookup($0, 1, name) } }
        #expect(ask { surface.open($0, 2, &info) } == .open(handle: true, directIO: true, nonseekable: true))
        for _ in 0..<3 { _ = ask { surface.ioctl($0, 2, 0x1234, 0, &info, nil, 0, 0, caller: 0) } }
        #expect(reports.withLock { $0 } == 1)
        _ = ask { surface.release($0, 2, &info) }
    }
}
