import Foundation
import Glibc
import Synchronization

/// The attestation cycle clients run, as raw syscalls: mkdir, write a 64-byte inblob, read
/// generation, read outblob (and auxblob where present), rmdir.
struct Workload: Sendable {
    var root: String
    var readsAuxblob: Bool
    /// On tmpfs there are no attribute files: the same syscalls go to files this creates.
    var isPlainDirectory: Bool

    func cycle(_ name: String, nonce: [UInt8], buffer: UnsafeMutableRawBufferPointer) -> Bool {
        let entry = root + "/" + name
        guard mkdir(entry, 0o700) == 0 else { return false }
        defer { cleanUp(entry) }
        let create = isPlainDirectory ? O_CREAT : 0
        guard write(entry + "/inblob", nonce, flags: O_WRONLY | O_TRUNC | create) else { return false }
        if isPlainDirectory {
            for file in ["generation", "outblob", "auxblob"] { _ = write(entry + "/" + file, nonce, flags: O_WRONLY | O_CREAT) }
        }
        guard read(entry + "/generation", buffer) > 0, read(entry + "/outblob", buffer) > 0 else { return false }
        if readsAuxblob { _ = read(entry + "/auxblob", buffer) }
        return true
    }

    private func cleanUp(_ entry: String) {
        if isPlainDirectory {
            for file in ["inblob", "generation", "outblob", "auxblob"] { unlink(entry + "/" + file) }
        }
        rmdir(entry)
    }

    func write(_ path: String, _ bytes: [UInt8], flags: Int32) -> Bool {
        let fd = open(path, flags | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        return close(fd) == 0 && written == bytes.count
    }

    /// Reads to EOF through one descriptor; returns the byte count or -1.
    func read(_ path: String, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return -1 }
        defer { close(fd) }
        var total = 0
        while true {
            let got = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if got <= 0 { return got < 0 ? -1 : total }
            total += got
        }
    }
}

/// Runs `body` on `threads` threads for `seconds`, each call timed; returns per-call latencies.
func measure(threads: Int, seconds: Double, _ body: @escaping @Sendable (_ thread: Int, _ iteration: Int) -> Bool)
    -> (latencies: [Double], failures: Int, elapsed: Double)
{
    let results = Mutex<([Double], Int)>(([], 0))
    let start = DispatchTime.now().uptimeNanoseconds
    let deadline = start + UInt64(seconds * 1e9)
    let group = DispatchGroup()
    for thread in 0..<threads {
        group.enter()
        Thread {
            var latencies: [Double] = []
            var failures = 0
            var iteration = 0
            while DispatchTime.now().uptimeNanoseconds < deadline {
                let before = DispatchTime.now().uptimeNanoseconds
                if !body(thread, iteration) { failures += 1 }
                latencies.append(Double(DispatchTime.now().uptimeNanoseconds - before) / 1e3)
                iteration += 1
            }
            results.withLock {
                $0.0 += latencies
                $0.1 += failures
            }
            group.leave()
        }.start()
    }
    group.wait()
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    return results.withLock { ($0.0, $0.1, elapsed) }
}

/// Latency percentile (microseconds).
func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))]
}
