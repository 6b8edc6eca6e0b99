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

    /// Short rounds that alternate between the targets, so that whatever else the machine does falls
    /// on all of them alike; each figure is then a median over the rounds, with its spread. A round
    /// gives each target `seconds` split into `turns` turns, the targets alternating turn by turn
    /// (their order rotating with every turn), so that the targets a round compares were measured over
    /// the same stretch of time rather than one after the other: a burst of other work that lasts
    /// a few tenths of a second then falls on all of them. `yardstick`, when given, is a cost measured
    /// in this process once per turn (µs), so a target can be judged against it as the machine was in
    /// that round.
    func alternatingRounds(
        _ targets: [RoundTarget], threads: Int, rounds: Int, seconds: Double, turns: Int = 1,
        yardstick: (() -> Double)? = nil
    ) -> (figures: [String: RoundFigures], yardstick: [Double]) {
        var figures: [String: RoundFigures] = [:]
        var yardsticks: [Double] = []
        for round in 0..<rounds {
            var totals = [String: RoundTotals]()
            var yardstickSum = 0.0
            for turn in 0..<turns {
                if let yardstick { yardstickSum += yardstick() }
                for offset in 0..<targets.count {
                    let target = targets[(round + turn + offset) % targets.count]
                    let cpuBefore = Self.cpuNanoseconds(target.daemon)
                    let switchesBefore = Self.contextSwitches(target.daemon)
                    let result = measure(threads: threads, seconds: seconds / Double(turns)) { thread, iteration in
                        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
                        defer { buffer.deallocate() }
                        return target.workload.cycle(
                            "r\(thread)-\(round)-\(turn)-\(iteration)", nonce: nonce(thread, iteration), buffer: buffer)
                    }
                    totals[target.name, default: RoundTotals()].add(
                        cycles: result.latencies.count, elapsed: result.elapsed,
                        cpuNanoseconds: Self.cpuNanoseconds(target.daemon) - cpuBefore,
                        switches: Self.contextSwitches(target.daemon) - switchesBefore)
                }
            }
            if yardstick != nil { yardsticks.append(yardstickSum / Double(turns)) }
            for (name, total) in totals {
                let cycles = Double(max(1, total.cycles))
                figures[name, default: RoundFigures()].cycleMicroseconds.append(Double(threads) * total.elapsed * 1e6 / cycles)
                figures[name, default: RoundFigures()].cpuMicroseconds.append(total.cpuNanoseconds / 1e3 / cycles)
                figures[name, default: RoundFigures()].switchesPerCycle.append(total.switches / cycles)
            }
        }
        return (figures, yardsticks)
    }
}

/// One target's sums over the turns of a round.
private struct RoundTotals {
    var cycles = 0
    var elapsed = 0.0
    var cpuNanoseconds = 0.0
    var switches = 0.0

    mutating func add(cycles: Int, elapsed: Double, cpuNanoseconds: Double, switches: Double) {
        self.cycles += cycles
        self.elapsed += elapsed
        self.cpuNanoseconds += cpuNanoseconds
        self.switches += switches
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
