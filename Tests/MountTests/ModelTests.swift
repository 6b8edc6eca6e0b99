import EchoProvider
import Foundation
import Glibc
import ProviderKit
import Synchronization
import Testing

/// One step of a model test.
enum ModelOperation: CustomStringConvertible, Sendable {
    case mkdir(String)
    case rmdir(String)
    case open(fd: Int, entry: String, attribute: ReportAttribute, read: Bool, write: Bool)
    case write(fd: Int, bytes: [UInt8], offset: Int?)
    case read(fd: Int, count: Int)
    case close(fd: Int)

    var description: String {
        switch self {
        case .mkdir(let name): "mkdir \(name)"
        case .rmdir(let name): "rmdir \(name)"
        case let .open(fd, entry, attribute, read, write):
            "fd\(fd) = open \(entry)/\(attribute.fileName) \(read && write ? "O_RDWR" : write ? "O_WRONLY" : "O_RDONLY")"
        case let .write(fd, bytes, offset):
            "\(offset.map { "pwrite@\($0)" } ?? "write") fd\(fd) \(bytes.count) bytes \(String(decoding: bytes.prefix(12), as: UTF8.self).debugDescription)"
        case let .read(fd, count): "read fd\(fd) \(count)"
        case let .close(fd): "close fd\(fd)"
        }
    }
}

/// SplitMix64: small, seedable, reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random operation sequences, biased towards the interesting corners of the ABI.
enum OperationGenerator {
    static let numbers = ["0", "1\n", "2", "3", "4", "+3", "0x2", "08", "abc", "-1", "4294967296", "0x", "1 ", "3\n\n", "010"]
    static let guids = ["c476f1eb-0123-45a5-9641-b4e7dde5bfe3", "C476F1EB-0123-45A5-9641-B4E7DDE5BFE3\n",
                        "c476f1eb-0123-45a5-9641-b4e7dde5bfe", "not-a-guid", "c476f1eb+0123-45a5-9641-b4e7dde5bfe3"]
    static let providers = ["svsm", "svsm\n", "x\n\n", "a\u{0}b"]

    static func sequence(seed: UInt64, length: Int, names: [String]) -> [ModelOperation] {
        var rng = SeededGenerator(state: seed)
        var open: Set<Int> = []
        var operations: [ModelOperation] = []
        for _ in 0..<length {
            let roll = Int.random(in: 0..<100, using: &rng)
            let name = names.randomElement(using: &rng)!
            let fd = Int.random(in: 0..<6, using: &rng)
            switch roll {
            case 0..<10: operations.append(.mkdir(name))
            case 10..<16: operations.append(.rmdir(name))
            case 16..<36 where !open.contains(fd):
                let attribute = ReportAttribute.allCases.randomElement(using: &rng)!
                let mode = Int.random(in: 0..<10, using: &rng)
                let (read, write) = mode < 1 ? (true, true) : (attribute.isReadable != (mode < 2)) ? (true, false) : (false, true)
                operations.append(.open(fd: fd, entry: name, attribute: attribute, read: read, write: write))
                open.insert(fd)
            case 36..<62 where open.contains(fd):
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
            case 62..<88 where open.contains(fd):
                operations.append(.read(fd: fd, count: [1, 7, 64, 200, 4096].randomElement(using: &rng)!))
            default:
                if open.contains(fd) {
                    operations.append(.close(fd: fd))
                    open.remove(fd)
                }
            }
        }
        return operations + open.sorted().map { .close(fd: $0) }
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
        defer { fds.values.forEach { _ = Glibc.close($0) } }
        for (index, operation) in operations.enumerated() {
            let expected: Outcome
            let actual: Outcome
            switch operation {
            case .mkdir(let name):
                expected = model.mkdir(name)
                actual = outcome(Glibc.mkdir(report + "/" + name, 0o700))
            case .rmdir(let name):
                expected = model.rmdir(name)
                actual = outcome(Glibc.rmdir(report + "/" + name))
            case let .open(fd, entry, attribute, read, write):
                expected = model.open(fd, entry, attribute, read: read, write: write)
                let flags = read && write ? O_RDWR : write ? O_WRONLY : O_RDONLY
                let result = Glibc.open(report + "/" + entry + "/" + attribute.fileName, flags | O_CLOEXEC)
                if result >= 0 { fds[fd] = result }
                actual = outcome(result)
            case let .write(fd, bytes, offset):
                expected = model.write(fd, bytes, at: offset)
                let descriptor = fds[fd] ?? -1
                let written = bytes.withUnsafeBytes { buffer in
                    offset.map { Glibc.pwrite(descriptor, buffer.baseAddress, buffer.count, off_t($0)) }
                        ?? Glibc.write(descriptor, buffer.baseAddress, buffer.count)
                }
                actual = written < 0 ? .error(errno) : .count(written)
            case let .read(fd, count):
                expected = model.read(fd, count: count)
                var buffer = [UInt8](repeating: 0, count: count)
                let got = Glibc.read(fds[fd] ?? -1, &buffer, count)
                actual = got < 0 ? .error(errno) : .bytes(Array(buffer[..<got]))
            case let .close(fd):
                expected = model.close(fd)
                actual = outcome(Glibc.close(fds.removeValue(forKey: fd) ?? -1))
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
            || magic.elementsEqual(EchoReport.manifestMagic) {
            for index in range where index < bytes.count { bytes[index] = 0 }
        }
        return .bytes(bytes)
    }

    /// Replays on a fresh mount.
    static func replayOnFreshMount(_ operations: [ModelOperation]) throws -> Divergence? {
        var divergence: Divergence?
        try withMount { fs in divergence = replay(operations, report: fs.report) }
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
            let operations = OperationGenerator.sequence(seed: seed, length: 150, names: ["a", "b", ".c"])
            if try ModelRun.replayOnFreshMount(operations) != nil {
                let (shortest, divergence) = try ModelRun.shrink(operations)
                Issue.record("""
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
        try withMount { fs in
            let divergences = Mutex<[String]>([])
            let threads = 4
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                let operations = OperationGenerator.sequence(seed: Self.baseSeed &+ 1000 &+ UInt64(thread), length: 120,
                                                             names: ["t\(thread)a", "t\(thread)b"])
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
        let operations: [ModelOperation] = [.mkdir("x"), .rmdir("x")]
        var divergence: ModelRun.Divergence?
        try? withMount { fs in
            try Sys.mkdir(fs.report + "/x")   // the filesystem now disagrees with a fresh model
            divergence = ModelRun.replay(operations, report: fs.report)
        }
        #expect(divergence?.index == 0)
    }
}
