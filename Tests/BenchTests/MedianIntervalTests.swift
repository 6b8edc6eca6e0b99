import Foundation
import Testing

@testable import tsmfs_bench

@Suite struct MedianIntervalTests {
    /// The binomial probabilities the interval is chosen from, against exact counting.
    @Test func binomialProbabilitiesAreExact() {
        func choose(_ n: Int, _ k: Int) -> Double { k == 0 ? 1 : choose(n, k - 1) * Double(n - k + 1) / Double(k) }
        for n in [1, 2, 5, 15, 25, 60] {
            let cumulative = MedianInterval.binomialHalfCumulative(n)
            #expect(cumulative.count == n + 1)
            var sum = 0.0
            for j in 0...n {
                sum += choose(n, j) / pow(2, Double(n))
                #expect(abs(cumulative[j] - sum) < 1e-12, "n \(n), j \(j)")
            }
            #expect(abs(cumulative[n] - 1) < 1e-12)
        }
    }

    /// Which order statistics bound the interval, for the sample sizes the bench uses and the
    /// edges: 15 rounds give the 4th smallest and the 4th largest (96.5 %), 6 the extremes, 5 none.
    @Test func orderStatisticsForKnownSizes() throws {
        let fifteen = (1...15).map(Double.init).shuffled()
        #expect(MedianInterval(fifteen) == MedianInterval(lower: 4, upper: 12, coverage: 1 - 2 * 576 / 32768))
        let six = [6.0, 1, 5, 2, 4, 3]
        #expect(MedianInterval(six) == MedianInterval(lower: 1, upper: 6, coverage: 1 - 2.0 / 64))
        #expect(MedianInterval([1, 2, 3, 4, 5]) == nil)
        #expect(MedianInterval([]) == nil)
        #expect(MedianInterval([1, 2, .nan, 4, 5, 6, 7]) == nil)
        let interval = try #require(MedianInterval((1...25).map(Double.init), level: 0.9))
        #expect(interval.coverage >= 0.9 && interval.lower <= 13 && interval.upper >= 13)
    }

    @Test func verdictsCompareBothEnds() {
        let interval = MedianInterval(lower: 0.85, upper: 0.97, coverage: 0.965)
        #expect(interval.verdict { $0 >= 0.9 } == .unsettled)
        #expect(interval.verdict { $0 >= 0.8 } == .settledMet)
        #expect(interval.verdict { $0 >= 1.0 } == .settledMissed)
    }

    /// Over many samples from skewed and heavy-tailed distributions, the interval holds the true
    /// median at least as often as it claims (give or take the simulation's own error: with 4,000
    /// trials its standard deviation is about 0.003, and the tolerance is 0.015).
    @Test func coversTheTrueMedianAsOftenAsItClaims() throws {
        var generator = SystemRandomNumberGenerator()
        let distributions: [(name: String, median: Double, draw: (inout SystemRandomNumberGenerator) -> Double)] = [
            ("uniform", 0.5, { Double.random(in: 0..<1, using: &$0) }),
            ("exponential", log(2.0), { -log(1 - Double.random(in: 0..<1, using: &$0)) }),
            // Pareto with shape 1 (no mean at all): median 2.
            ("pareto", 2, { 1 / (1 - Double.random(in: 0..<1, using: &$0)) }),
        ]
        for (name, median, draw) in distributions {
            for size in [6, 15, 25] {
                var covered = 0
                var claimed = 0.0
                let trials = 4000
                for _ in 0..<trials {
                    let sample = (0..<size).map { _ in draw(&generator) }
                    let interval = try #require(MedianInterval(sample))
                    claimed = interval.coverage
                    if interval.lower <= median && median <= interval.upper { covered += 1 }
                }
                let observed = Double(covered) / Double(trials)
                #expect(observed >= claimed - 0.015, "\(name), n \(size): observed \(observed), claimed \(claimed)")
            }
        }
    }
}
