import Foundation
import Glibc

/// One measured target of the alternating rounds: a mounted tree, its daemon and how to cycle it.
struct RoundTarget: Sendable {
    var name: String
    var workload: Workload
    var daemon: pid_t
}

/// Per-round figures of one target at one thread count.
struct RoundFigures {
    /// Mean latency of a full cycle, µs (threads × elapsed / cycles).
    var cycleMicroseconds: [Double] = []
    /// The daemon's CPU time per cycle, µs: what noise from other work does not move.
    var cpuMicroseconds: [Double] = []
    /// The daemon's context switches per cycle, voluntary and not: every request wakes a worker,
    /// and a worker preempted by the client it has just answered switches twice more.
    var switchesPerCycle: [Double] = []
}

extension Bench {
    /// The CPU time a process has used so far, in nanoseconds, threads that have exited included:
    /// its process CPU clock. (Summing /proc/PID/task/*/schedstat would miss every thread that has
    /// ended, such as a daemon's short-lived background workers.)
    static func cpuNanoseconds(_ pid: pid_t) -> Double {
        var clock = clockid_t()
        var now = timespec()
        guard clock_getcpuclockid(pid, &clock) == 0, clock_gettime(clock, &now) == 0 else { return .nan }
        return Double(now.tv_sec) * 1e9 + Double(now.tv_nsec)
    }

    /// The context switches of a process's live threads so far (voluntary and involuntary, from
    /// /proc/PID/task/*/status). A daemon's FUSE workers and its refill thread stay, so the count
    /// over a round is its own.
    static func contextSwitches(_ pid: pid_t) -> Double {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        var total = 0.0
        for task in tasks {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8) else { continue }
            for line in status.split(separator: "\n") where line.contains("ctxt_switches:") {
                total += Double(line.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)) ?? 0
            }
        }
        return total
    }

    /// Short rounds that alternate between the targets, their order rotating every round, so that
    /// whatever else the machine does falls on all of them alike; each figure is then a median over
    /// the rounds, with its spread. `yardstick`, when given, is a cost measured in this process once
    /// per round (µs), so a target can be judged against it as the machine was in that round.
    func alternatingRounds(
        _ targets: [RoundTarget], threads: Int, rounds: Int, seconds: Double, yardstick: (() -> Double)? = nil
    ) -> (figures: [String: RoundFigures], yardstick: [Double]) {
        var figures: [String: RoundFigures] = [:]
        var yardsticks: [Double] = []
        for round in 0..<rounds {
            if let yardstick { yardsticks.append(yardstick()) }
            for offset in 0..<targets.count {
                let target = targets[(round + offset) % targets.count]
                let cpuBefore = Self.cpuNanoseconds(target.daemon)
                let switchesBefore = Self.contextSwitches(target.daemon)
                let result = measure(threads: threads, seconds: seconds) { thread, iteration in
                    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
                    defer { buffer.deallocate() }
                    return target.workload.cycle(
                        "r\(thread)-\(round)-\(iteration)", nonce: nonce(thread, iteration), buffer: buffer)
                }
                let cycles = Double(max(1, result.latencies.count))
                figures[target.name, default: RoundFigures()].cycleMicroseconds.append(
                    Double(threads) * result.elapsed * 1e6 / cycles)
                figures[target.name, default: RoundFigures()].cpuMicroseconds.append(
                    (Self.cpuNanoseconds(target.daemon) - cpuBefore) / 1e3 / cycles)
                figures[target.name, default: RoundFigures()].switchesPerCycle.append(
                    (Self.contextSwitches(target.daemon) - switchesBefore) / cycles)
            }
        }
        return (figures, yardsticks)
    }
}

/// The median of `values` and their spread (min, max).
func medianAndSpread(_ values: [Double]) -> (median: Double, min: Double, max: Double) {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return (0, 0, 0) }
    let middle = sorted.count / 2
    let median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    return (median, sorted.first!, sorted.last!)
}
