import ByteLayout
import CBORFuzz
import EchoProvider
import Foundation
import Glibc
import ProviderKit
import Synchronization
import Testing

/// One step of a model test. Names are bytes: any byte but NUL and '/', any length.
enum ModelOperation: CustomStringConvertible, Sendable {
    case mkdir([UInt8])
    case rmdir([UInt8])
    case open(fd: Int, entry: [UInt8], attribute: ReportAttribute, read: Bool, write: Bool)
    case write(fd: Int, bytes: [UInt8], offset: Int?)
    case read(fd: Int, count: Int)
    case close(fd: Int)
    /// dup(2) of `fd` into the unused slot `copy`.
    case dup(fd: Int, copy: Int)
    /// A child process inherits `fd` and holds it until ``exit(holder:)``.
    case hand(fd: Int, holder: Int)
    case exit(holder: Int)

    var description: String {
        switch self {
        case .mkdir(let name): "mkdir \(Self.show(name))"
        case .rmdir(let name): "rmdir \(Self.show(name))"
        case .open(let fd, let entry, let attribute, let read, let write):
            "fd\(fd) = open \(Self.show(entry))/\(attribute.fileName) \(read && write ? "O_RDWR" : write ? "O_WRONLY" : "O_RDONLY")"
        case .write(let fd, let bytes, let offset):
            "\(offset.map { "pwrite@\($0)" } ?? "write") fd\(fd) \(bytes.count) bytes \(String(decoding: bytes.prefix(12), as: UTF8.self).debugDescription)"
        case .read(let fd, let count): "read fd\(fd) \(count)"
        case .close(let fd): "close fd\(fd)"
        case .dup(let fd, let copy): "fd\(copy) = dup fd\(fd)"
        case .hand(let fd, let holder): "child \(holder) inherits fd\(fd)"
        case .exit(let holder): "child \(holder) exits"
        }
    }

    /// A name for the log: its length and its bytes in hex when it is not plain ASCII.
    static func show(_ name: [UInt8]) -> String {
        if name.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) { return String(decoding: name, as: UTF8.self) }
        return "<\(name.count) bytes \(Array(name.prefix(16)).hexString)\(name.count > 16 ? "…" : "")>"
    }
}

/// Random operation sequences, biased towards the interesting corners of the ABI.
enum OperationGenerator {
    static let numbers = ["0", "1\n", "2", "3", "4", "+3", "0x2", "08", "abc", "-1", "4294967296", "0x", "1 ", "3\n\n", "010"]
    static let guids = [
        "c476f1eb-0123-45a5-9641-b4e7dde5bfe3", "C476F1EB-0123-45A5-9641-B4E7DDE5BFE3\n",
        "c476f1eb-0123-45a5-9641-b4e7dde5bfe", "not-a-guid", "c476f1eb+0123-45a5-9641-b4e7dde5bfe3",
    ]
    static let providers = ["svsm", "svsm\n", "x\n\n", "a\u{0}b"]

    /// Names that look alike to a String but are different bytes, and the limits of the VFS.
    static let trickyNames: [[UInt8]] = [
        [0xC3, 0xA9], [0x65, 0xCC, 0x81],  // é precomposed, and e + combining acute
        [0xE2, 0x84, 0xAB], [0xC3, 0x85],  // Å two ways
        [0x61, 0xFF], [0x61, 0xFE],  // invalid UTF-8 a repairing decoder maps to one name
        Array(".".utf8), Array("..".utf8), Array(".c".utf8), Array("a".utf8),
        [UInt8](repeating: 0xFF, count: 255), [UInt8](repeating: 0x6E, count: 256),
    ]

    /// A few entry names for one sequence, from the whole domain: tricky ones and random bytes.
    static func names(using rng: inout SplitMix) -> [[UInt8]] {
        (0..<3).map { _ in
            if Bool.random(using: &rng) { return trickyNames.randomElement(using: &rng)! }
            let length = [1, 2, 8, 64, 255, 256].randomElement(using: &rng)!
            return (0..<length).map { _ in
                var byte: UInt8
                repeat { byte = UInt8.random(in: 1...255, using: &rng) } while byte == UInt8(ascii: "/")
                return byte
            }
        }
    }

    static func sequence(seed: UInt64, length: Int, names fixedNames: [[UInt8]]? = nil) -> [ModelOperation] {
        var rng = SplitMix(seed: seed)
        let names = fixedNames ?? Self.names(using: &rng)
        var open: Set<Int> = []
        var holders: Set<Int> = []
        var operations: [ModelOperation] = []
        for _ in 0..<length {
            let roll = Int.random(in: 0..<100, using: &rng)
            let name = names.randomElement(using: &rng)!
            let fd = Int.random(in: 0..<6, using: &rng)
            let free = (0..<6).first { !open.contains($0) }
            let holder = (0..<3).first { !holders.contains($0) }
            switch roll {
            case 0..<10: operations.append(.mkdir(name))
            case 10..<15: operations.append(.rmdir(name))
            case 15..<33 where !open.contains(fd):
                let attribute = ReportAttribute.allCases.randomElement(using: &rng)!
                let mode = Int.random(in: 0..<10, using: &rng)
                let (read, write) = mode < 1 ? (true, true) : (attribute.isReadOnly != (mode < 2)) ? (true, false) : (false, true)
                operations.append(.open(fd: fd, entry: name, attribute: attribute, read: read, write: write))
                open.insert(fd)
            case 33..<57 where open.contains(fd):
                let payload: [UInt8]
                var offset: Int?
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: payload = Array(numbers.randomElement(using: &rng)!.utf8)
                case 1: payload = Array(guids.randomElement(using: &rng)!.utf8)
                case 2: payload = Array(providers.randomElement(using: &rng)!.utf8)
                default:
                    payload = (0..<Int.random(in: 1...70, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    if Bool.random(using: &rng) { offset = Int.random(in: 0...66, using: &rng) }
                }
                operations.append(.write(fd: fd, bytes: payload, offset: offset))
            case 57..<80 where open.contains(fd):
                operations.append(.read(fd: fd, count: [1, 7, 64, 200, 4096].randomElement(using: &rng)!))
            case 80..<85 where open.contains(fd):
                if let free {
                    operations.append(.dup(fd: fd, copy: free))
                    open.insert(free)
                }
            case 85..<89 where open.contains(fd):
                if let holder {
                    operations.append(.hand(fd: fd, holder: holder))
                    holders.insert(holder)
                }
            case 89..<93:
                if let child = holders.randomElement(using: &rng) {
                    operations.append(.exit(holder: child))
                    holders.remove(child)
                }
            default:
                if open.contains(fd) {
                    operations.append(.close(fd: fd))
                    open.remove(fd)
                }
            }
        }
        return operations + open.sorted().map { .close(fd: $0) } + holders.sorted().map { .exit(holder: $0) }
    }
}

/// A child process holding a copy of a descriptor (as fd 3) until told to exit: the inherited
/// descriptor of a fork, closed by another file table than the writer's.
struct Holder {
    let pid: pid_t

    /// Starts `sleep` with `descriptor` as its fd 3.
    init?(holding descriptor: Int32) {
        guard fcntl(descriptor, F_GETFD) >= 0 else { return nil }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, descriptor, 3)
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("sleep"), strdup("600"), nil]
        defer { for argument in argv { free(argument) } }
        let spawned = posix_spawn(&pid, "/bin/sleep", &actions, nil, argv, nil)
        guard spawned == 0 else {
            errno = spawned
            return nil
        }
        self.pid = pid
    }

    /// Kills the child; once waitpid returns, the kernel has closed its copy.
    func exit() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}

/// Runs operations against a mounted filesystem and the model side by side.
struct ModelRun {
    typealias Outcome = ConfigfsTSMModel.Outcome

    /// A mismatch: where, what the filesystem did, what the model expected.
    struct Divergence: CustomStringConvertible {
        var index: Int
        var operation: ModelOperation
        var actual: Outcome
        var expected: Outcome
        var description: String { "step \(index): \(operation): filesystem \(actual), model \(expected)" }
    }

    /// Replays `operations`; returns the first divergence. With `maskSerial`, the echo provider's
    /// shared report counter is ignored (other threads move it).
    static func replay(_ operations: [ModelOperation], report: String, maskSerial: Bool = false) -> Divergence? {
        let model = ConfigfsTSMModel()
        var fds: [Int: Int32] = [:]
        var holders: [Int: Holder] = [:]
        defer {
            for descriptor in fds.values { Glibc.close(descriptor) }
            for holder in holders.values { holder.exit() }
        }
        let reportPath = Array(report.utf8)
        func path(_ components: [UInt8]...) -> [CChar] {
            (reportPath + components.flatMap { [UInt8(ascii: "/")] + $0 } + [0]).map { CChar(bitPattern: $0) }
        }
        for (index, operation) in operations.enumerated() {
            let expected: Outcome
            let actual: Outcome
            switch operation {
            case .mkdir(let name):
                expected = model.mkdir(name)
                actual = outcome(Glibc.mkdir(path(name), 0o700))
            case .rmdir(let name):
                expected = model.rmdir(name)
                actual = outcome(Glibc.rmdir(path(name)))
            case .open(let fd, let entry, let attribute, let read, let write):
                expected = model.open(fd, entry, attribute, read: read, write: write)
                let flags = read && write ? O_RDWR : write ? O_WRONLY : O_RDONLY
                let result = Glibc.open(path(entry, Array(attribute.fileName.utf8)), flags | O_CLOEXEC)
                if result >= 0 { fds[fd] = result }
                actual = outcome(result)
            case .write(let fd, let bytes, let offset):
                expected = model.write(fd, bytes, at: offset)
                let descriptor = fds[fd] ?? -1
                let written = bytes.withUnsafeBytes { buffer in
                    offset.map { Glibc.pwrite(descriptor, buffer.baseAddress, buffer.count, off_t($0)) }
                        ?? Glibc.write(descriptor, buffer.baseAddress, buffer.count)
                }
                actual = written < 0 ? .error(errno) : .count(written)
            case .read(let fd, let count):
                expected = model.read(fd, count: count)
                var buffer = [UInt8](repeating: 0, count: count)
                let got = Glibc.read(fds[fd] ?? -1, &buffer, count)
                actual = got < 0 ? .error(errno) : .bytes(Array(buffer[..<got]))
            case .close(let fd):
                expected = model.close(fd)
                actual = outcome(Glibc.close(fds.removeValue(forKey: fd) ?? -1))
            case .dup(let fd, let copy):
                expected = model.dup(fd, as: copy)
                let result = fcntl(fds[fd] ?? -1, F_DUPFD_CLOEXEC, 0)
                if result >= 0 { fds[copy] = result }
                actual = outcome(result)
            case .hand(let fd, let holder):
                expected = model.hand(fd, to: holder)
                if let child = Holder(holding: fds[fd] ?? -1) {
                    holders[holder] = child
                    actual = .ok
                } else {
                    actual = .error(errno)
                }
            case .exit(let holder):
                expected = model.exit(holder)
                if let child = holders.removeValue(forKey: holder) {
                    child.exit()
                    actual = .ok
                } else {
                    actual = .error(ECHILD)
                }
            }
            if masked(actual, maskSerial) != masked(expected, maskSerial) {
                return Divergence(index: index, operation: operation, actual: actual, expected: expected)
            }
        }
        return nil
    }

    private static func outcome(_ result: Int32) -> Outcome { result < 0 ? .error(errno) : .ok }

    /// Blanks the serial in echo reports (outblob 0x18..0x20; aux/manifest 8..16).
    private static func masked(_ outcome: Outcome, _ mask: Bool) -> Outcome {
        guard mask, case .bytes(var bytes) = outcome else { return outcome }
        let magic = bytes.prefix(8)
        let range = magic.elementsEqual(EchoReport.magic) ? 0x18..<0x20 : 8..<16
        if magic.elementsEqual(EchoReport.magic) || magic.elementsEqual(EchoReport.auxMagic)
            || magic.elementsEqual(EchoReport.manifestMagic)
        {
            for index in range where index < bytes.count { bytes[index] = 0 }
        }
        return .bytes(bytes)
    }

    /// A dup's close by the writer makes the entry wait for a RELEASE that never comes; half a
    /// second keeps such sequences quick yet far above a real RELEASE's delay.
    static let modelConfig = "[tsmfs]\nrelease_wait_ms = 500\n"

    /// Replays on a fresh mount.
    static func replayOnFreshMount(_ operations: [ModelOperation]) throws -> Divergence? {
        var divergence: Divergence?
        try withMount(config: modelConfig) { fs in divergence = replay(operations, report: fs.report) }
        return divergence
    }

    /// The shortest sub-sequence found (greedy deletion) that still diverges.
    static func shrink(_ operations: [ModelOperation], budget: Int = 150) throws -> ([ModelOperation], Divergence) {
        var current = operations
        var divergence = try replayOnFreshMount(current)!
        current = Array(current.prefix(divergence.index + 1))
        var attempts = 0
        var index = 0
        while index < current.count, attempts < budget {
            var candidate = current
            candidate.remove(at: index)
            attempts += 1
            if let found = try replayOnFreshMount(candidate) {
                current = Array(candidate.prefix(found.index + 1))
                divergence = found
            } else {
                index += 1
            }
        }
        return (current, divergence)
    }
}

@Suite struct ModelTests {
    /// Sequences run in CI; TSMFS_MODEL_SEQUENCES and TSMFS_MODEL_SEED override, and
    /// TSMFS_MODEL_SECONDS turns this into a soak that runs new seeds until the time is up.
    static let environment = ProcessInfo.processInfo.environment
    static let baseSeed = UInt64(environment["TSMFS_MODEL_SEED"] ?? "") ?? 0x75_6D_66_73
    static let sequences = Int(environment["TSMFS_MODEL_SEQUENCES"] ?? "") ?? 12
    static let seconds = Double(environment["TSMFS_MODEL_SECONDS"] ?? "") ?? 0

    @Test func randomSequencesMatchTheModel() throws {
        let started = Date()
        var seed = Self.baseSeed
        var count = 0
        while count < Self.sequences || Date().timeIntervalSince(started) < Self.seconds {
            let operations = OperationGenerator.sequence(seed: seed, length: 150)
            if try ModelRun.replayOnFreshMount(operations) != nil {
                let (shortest, divergence) = try ModelRun.shrink(operations)
                Issue.record(
                    """
                    seed \(seed) diverges; shortest reproducing sequence (\(shortest.count) steps):
                    \(shortest.enumerated().map { "  \($0.offset): \($0.element)" }.joined(separator: "\n"))
                    \(divergence)
                    """)
                return
            }
            seed &+= 1
            count += 1
        }
    }

    @Test func concurrentThreadsEachMatchTheirModel() throws {
        try withMount(config: ModelRun.modelConfig) { fs in
            let divergences = Mutex<[String]>([])
            let threads = 4
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                let operations = OperationGenerator.sequence(
                    seed: Self.baseSeed &+ 1000 &+ UInt64(thread), length: 120,
                    names: [Array("t\(thread)a".utf8), [0xFF, UInt8(thread)], [0xC3, 0xA9, UInt8(0x30 + thread)]])
                if let divergence = ModelRun.replay(operations, report: fs.report, maskSerial: true) {
                    divergences.withLock { $0.append("thread \(thread): \(divergence)") }
                }
            }
            #expect(divergences.withLock { $0 } == [])
        }
    }

    @Test func theModelCatchesADeliberateBug() {
        // A model test that cannot fail is a defect: replaying against a model that disagrees
        // (here, one whose mkdir never succeeds) must report a divergence.
        let operations: [ModelOperation] = [.mkdir(Array("x".utf8)), .rmdir(Array("x".utf8))]
        var divergence: ModelRun.Divergence?
        try? withMount { fs in
            try Sys.mkdir(fs.report + "/x")  // the filesystem now disagrees with a fresh model
            divergence = ModelRun.replay(operations, report: fs.report)
        }
        #expect(divergence?.index == 0)
    }
}
